/**
 * System instructions (SDM Vol. 2 pages of the same names): CPUID, HLT, RDTSC, RDTSCP, RDPMC, RDMSR, WRMSR,
 * MOV to/from CR0/2/3/4/8, MOV DR, CLTS, LMSW, SMSW, INVD, WBINVD, INVLPG, INVPCID, LGDT, LIDT, SGDT, SIDT,
 * LLDT, LTR, SLDT, STR, MONITOR, MWAIT, PAUSE, XSETBV, XGETBV, XSAVES, XRSTORS, GETSEC, ENCLS, RDRAND,
 * RDSEED, SWAPGS, SYSCALL, SYSRET, RSM, MOV/PUSH/POP of segment registers.
 *
 * Order inside each handler follows SDM 26.1.1 "Relative Priority of Faults and VM Exits": #UD and
 * privilege-based faults (CPL > 0, CR4.TSD/PCE/UMIP rules) first, then the VM-exit decision
 * (interceptInstruction, non-root only), then the instruction's own effect. In non-root operation control-
 * register reads and writes go through Platform.readCr/writeCr (guest/host masks, read shadows, TPR shadow:
 * SDM 26.3 "Changes to Instruction Behavior in VMX Non-Root Operation").
 */
import * as ns_access from './access';
import * as ns_decode from './decode';
import type { Handler, Insn } from './decode';
import * as ns_exec from './exec';
import type { Exec } from './exec';
import * as ns_flags from './flags';
import * as ns_hooks from './hooks';
import * as ns_paging from './paging';
import * as ns_segments from './segments';
import { fault, UnsupportedInstructionError } from './exec';
import { ENCLS_LAST_SGX1_LEAF, ENCLS_LAST_SGX2_LEAF, ENCLS_LEAF, FEATURE_CONTROL_EXT, GETSEC_LEAF, PT_STATE_MSR_ORDER, PT_STATE_USED_BYTES, RTIT_CTL, RTIT_MSR, XSTATE } from '../../arch/processor-features';
// Imported bindings rebound to module constants: under tsx/esbuild's CommonJS output each use of an
// imported name is a getter call, which costs on the hot path.
const { ea, memLa, offsetOf, rd64, rdSize, readOp, reg64, setReg, setReg64, wr16, wr32, wr64, wrSys8, bigFromHalves, rd16, rd32, setSp, getSp } = ns_access;
const { K_MEM } = ns_decode;
const { GP, NP, STOPPED, UD } = ns_exec;
const { CF, ARITH, RF, materialize, setStatus } = ns_flags;
const { beforeHook, checkedExited, descriptorTableInfo, interceptExited, ldtTrInfo, memoryFacts, memoryInfo, randInfo, resetFacts, invInfo } = ns_hooks;
const { checkCanonical, invalidateAddress, invalidateCurrentVpid, retag } = ns_paging;
const { accessRights, desc, descriptorBase, descriptorLimit, loadDataSegment, readDescriptor, setSegment, updateMode, AR_UNUSABLE } = ns_segments;

const CR0_PE = 1;
const CR0_TS = 1 << 3;
const CR0_ET = 1 << 4;
const CR0_NW = 1 << 29;
const CR0_CD = 1 << 30;
const CR0_PG = 0x80000000;
const CR4_TSD = 1 << 2;
const CR4_DE = 1 << 3;
const CR4_PAE = 1 << 5;
const CR4_PGE = 1 << 7;
const CR4_SMEP = 1 << 20;
const CR4_PCE = 1 << 8;
const CR4_UMIP = 1 << 11;
const CR4_OSXSAVE = 1 << 18;
const CR4_SMXE = 1 << 14;
const CR4_PCIDE = 1 << 17;
const EFER_SCE = 1;
const EFER_LME = 1 << 8;
const EFER_LMA = 1 << 10;
const TWO32 = 4294967296;

const MSR_TSC_AUX = 0xc0000103;
const MSR_EFER = 0xc0000080;
const MSR_STAR = 0xc0000081;
const MSR_LSTAR = 0xc0000082;
const MSR_FMASK = 0xc0000084;
const MSR_KERNEL_GS_BASE = 0xc0000102;

function requireCpl0(x: Exec): void {
  if (x.regs.cpl > 0) fault(x, GP, 0);
}
/** SDM 2.5 / Vol. 2 SGDT etc.: with CR4.UMIP = 1, SGDT/SIDT/SLDT/SMSW/STR at CPL > 0 raise #GP(0). */
function umip(x: Exec): void {
  if ((x.regs.cr4 & CR4_UMIP) !== 0 && x.regs.cpl > 0) fault(x, GP, 0);
}
function edxEax(x: Exec, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  x.lo[0] = Number(u & 0xffffffffn);
  x.hi[0] = 0;
  x.lo[2] = Number(u >> 32n);
  x.hi[2] = 0;
}
function edxEaxValue(x: Exec): bigint {
  return bigFromHalves(x.lo[0], x.lo[2]);
}

// ---- CPUID, HLT, time stamp, performance counters, MSRs ----

export const cpuid: Handler = (x, i) => {
  if (x.cpu.nonRoot) {
    resetFacts(x, i, 'CPUID');
    if (interceptExited(x, i)) return STOPPED;
  }
  const leaf = x.lo[0];
  const sub = x.lo[1];
  for (let r = 0; r < 4; r++) x.hi[r] = 0; // CPUID writes 32-bit registers
  x.cpu.runSteps = x.steps;
  x.platform.cpuid(x.cpu, leaf, sub);
  return 0;
};

export const hlt: Handler = (x, i) => {
  requireCpl0(x);
  if (x.cpu.nonRoot) {
    resetFacts(x, i, 'HLT');
    if (interceptExited(x, i)) return STOPPED;
  }
  // The processor enters the HLT state; RIP already points past HLT (SDM Vol. 2 HLT).
  x.cpu.activityState = 1;
  return 1;
};

/** The #GP rule and the VM-exit decision of RDTSC/RDTSCP: true when the instruction caused a VM exit. */
function rdtscExited(x: Exec, i: Insn, which: 'RDTSC' | 'RDTSCP'): boolean {
  if ((x.regs.cr4 & CR4_TSD) !== 0 && x.regs.cpl > 0 && (x.regs.cr0 & CR0_PE) !== 0) fault(x, GP, 0);
  if (!x.cpu.nonRoot) return false;
  resetFacts(x, i, which);
  return interceptExited(x, i);
}
function readTsc(x: Exec): bigint {
  x.cpu.runSteps = x.steps;
  return x.platform.rdtsc(x.cpu);
}
export const rdtsc: Handler = (x, i) => {
  if (rdtscExited(x, i, 'RDTSC')) return STOPPED;
  edxEax(x, readTsc(x));
  return 0;
};
export const rdtscp: Handler = (x, i) => {
  if (rdtscExited(x, i, 'RDTSCP')) return STOPPED;
  const tsc = readTsc(x);
  x.cpu.runSteps = x.steps;
  const aux = x.platform.rdmsr(x.cpu, MSR_TSC_AUX) ?? 0n;
  edxEax(x, tsc);
  x.lo[1] = Number(BigInt.asUintN(32, aux));
  x.hi[1] = 0;
  return 0;
};

export const rdpmc: Handler = (x, i) => {
  const r = x.regs;
  if (r.cpl > 0 && (r.cr4 & CR4_PCE) === 0 && (r.cr0 & CR0_PE) !== 0) fault(x, GP, 0);
  if (x.cpu.nonRoot) {
    resetFacts(x, i, 'RDPMC');
    if (interceptExited(x, i)) return STOPPED;
  }
  const ecx = x.lo[1];
  // General-purpose counters are IA32_PMCn (0xC1 + n); ECX bit 30 selects fixed counters IA32_FIXED_CTRn (0x309 + n).
  const msr = (ecx & 0x40000000) !== 0 ? 0x309 + (ecx & 0x3fffffff) : 0xc1 + ecx;
  x.cpu.runSteps = x.steps;
  const v = x.platform.rdmsr(x.cpu, msr);
  if (v === undefined) fault(x, GP, 0);
  edxEax(x, v);
  return 0;
};

export const rdmsr: Handler = (x, i) => {
  requireCpl0(x);
  const msr = x.lo[1];
  if (x.cpu.nonRoot) {
    resetFacts(x, i, 'RDMSR');
    x.cpu.facts.msr = msr;
    if (interceptExited(x, i)) return STOPPED;
  }
  beforeHook(x);
  x.cpu.runSteps = x.steps;
  const v = x.platform.rdmsr(x.cpu, msr);
  x.regs.rip = x.ripCur + i.len;
  if (v === undefined) fault(x, GP, 0);
  edxEax(x, v);
  return 0;
};

export const wrmsr: Handler = (x, i) => {
  requireCpl0(x);
  const msr = x.lo[1];
  const value = edxEaxValue(x);
  if (x.cpu.nonRoot) {
    resetFacts(x, i, 'WRMSR');
    x.cpu.facts.msr = msr;
    x.cpu.facts.value = value;
    if (interceptExited(x, i)) return STOPPED;
  }
  beforeHook(x);
  x.cpu.runSteps = x.steps;
  const ok = x.platform.wrmsr(x.cpu, msr, value);
  x.regs.rip = x.ripCur + i.len;
  if (!ok) fault(x, GP, 0);
  // EFER and segment-base MSRs change the mode. WRMSR invalidates no cached translation (Vol. 3A 4.10.4.1 lists
  // none; a change of paging mode needs CR0.PG 1 → 0 first, which does); XD is checked against EFER.NXE at use.
  updateMode(x);
  return 0;
};

// ---- control and debug registers ----

function crValue(x: Exec, cr: number): bigint {
  const r = x.regs;
  switch (cr) {
    case 0: return BigInt(r.cr0 >>> 0);
    case 2: return BigInt.asUintN(64, BigInt(r.cr2));
    case 3: return BigInt(r.cr3);
    case 4: return BigInt(r.cr4 >>> 0);
    default: return BigInt(r.cr8 & 0xf);
  }
}

/** CR writes in root operation (or outside VMX): the reserved-bit and consistency #GP rules of SDM Vol. 2 MOV CR. */
function writeCrDirect(x: Exec, cr: number, v: bigint): void {
  const r = x.regs;
  switch (cr) {
    case 0: {
      if (v >> 32n !== 0n) fault(x, GP, 0);
      const n = Number(v);
      if ((n & CR0_PG) !== 0 && (n & CR0_PE) === 0) fault(x, GP, 0);
      if ((n & CR0_NW) !== 0 && (n & CR0_CD) === 0) fault(x, GP, 0);
      // Enabling paging with EFER.LME = 1 needs CR4.PAE (SDM 10.8.5); disabling it in 64-bit mode is #GP.
      if ((n & CR0_PG) !== 0 && (r.cr0 & CR0_PG) === 0 && (r.efer & EFER_LME) !== 0 && (r.cr4 & CR4_PAE) === 0) fault(x, GP, 0);
      if ((n & CR0_PG) === 0 && x.mode64) fault(x, GP, 0);
      r.cr0 = (n | CR0_ET) >>> 0;
      break;
    }
    case 2: r.cr2 = Number(BigInt.asIntN(64, v)); break;
    case 3: {
      if (v >> BigInt(x.maxPhys) !== 0n && (v >> 63n) === 0n) fault(x, GP, 0);
      r.cr3 = Number(BigInt.asUintN(63, v));
      break;
    }
    case 4: {
      if (v >> 32n !== 0n) fault(x, GP, 0);
      const n = Number(v);
      // Reserved bits (bits not defined in CR4, SDM 2.5) and clearing PAE in IA-32e mode.
      if ((n & 0xfe008000) !== 0) fault(x, GP, 0);
      if ((r.efer & EFER_LMA) !== 0 && (n & CR4_PAE) === 0) fault(x, GP, 0);
      r.cr4 = n >>> 0;
      break;
    }
    default:
      if (v >> 4n !== 0n) fault(x, GP, 0);
      r.cr8 = Number(v);
  }
}

/**
 * After CR0/CR3/CR4 changed: EFER.LMA follows CR0.PG and EFER.LME (SDM 10.8.5). In VMX root operation (or
 * outside VMX) the write invalidates cached translations as Vol. 3A 4.10.4.1 says (crWriteInvalidation); in
 * non-root operation the platform did that for the write it performed (control-registers.ts), and the run only
 * takes the renewed TLB ids.
 */
function afterCrWrite(x: Exec, cr: number, old: number): void {
  const r = x.regs;
  if (cr === 0) {
    if ((r.cr0 & CR0_PG) !== 0 && (r.efer & EFER_LME) !== 0) r.efer |= EFER_LMA;
    else if ((r.cr0 & CR0_PG) === 0) r.efer &= ~EFER_LMA;
  }
  if (!x.cpu.nonRoot) crWriteInvalidation(x, cr, old);
  retag(x);
  x.codeBase = NaN;
  updateMode(x);
}

/**
 * Vol. 3A 4.10.4.1 "Operations that Invalidate TLBs and Paging-Structure Caches", for the current VPID (PCIDs are
 * not modelled, tlb.ts): MOV to CR0 clearing PG invalidates everything, global entries included; MOV to CR3
 * everything but global entries (also with CR4.PCIDE = 1 and bit 63 set: without PCID tags the old entries would
 * otherwise serve the new PCID); MOV to CR4 everything when it changes PGE or PAE, clears PCIDE or sets SMEP.
 */
function crWriteInvalidation(x: Exec, cr: number, old: number): void {
  const r = x.regs;
  if (cr === 3) invalidateCurrentVpid(x, true);
  else if (cr === 0) {
    if ((old & CR0_PG) !== 0 && (r.cr0 & CR0_PG) === 0) invalidateCurrentVpid(x, false);
  } else if (cr === 4) {
    const v = r.cr4;
    if (((old ^ v) & (CR4_PGE | CR4_PAE)) !== 0 || (old & ~v & CR4_PCIDE) !== 0 || (v & ~old & CR4_SMEP) !== 0) {
      invalidateCurrentVpid(x, false);
    }
  }
}

function crOld(x: Exec, cr: number): number {
  const r = x.regs;
  return cr === 0 ? r.cr0 : cr === 4 ? r.cr4 : 0;
}

function validCr(x: Exec, cr: number): void {
  if (cr !== 0 && cr !== 2 && cr !== 3 && cr !== 4 && !(cr === 8 && x.mode64)) fault(x, UD, -1);
}

export const movToCr: Handler = (x, i) => {
  const cr = i.r0;
  validCr(x, cr);
  requireCpl0(x);
  const value = x.mode64 ? bigFromHalves(x.lo[i.r1], x.hi[i.r1]) : BigInt(x.lo[i.r1]);
  const old = crOld(x, cr);
  if (x.cpu.nonRoot) {
    resetFacts(x, i, 'MOV-TO-CR');
    const f = x.cpu.facts;
    f.crOrDr = cr;
    f.gpr = i.r1;
    f.value = value;
    if (interceptExited(x, i)) return STOPPED;
    beforeHook(x);
    if (checkedExited(x, i, x.platform.writeCr(x.cpu, cr, value))) return STOPPED;
    x.regs.rip = x.ripCur + i.len;
  } else {
    writeCrDirect(x, cr, value);
  }
  afterCrWrite(x, cr, old);
  return 0;
};

export const movFromCr: Handler = (x, i) => {
  const cr = i.r1;
  validCr(x, cr);
  requireCpl0(x);
  let v: bigint;
  if (x.cpu.nonRoot) {
    resetFacts(x, i, 'MOV-FROM-CR');
    const f = x.cpu.facts;
    f.crOrDr = cr;
    f.gpr = i.r0;
    if (interceptExited(x, i)) return STOPPED;
    v = x.platform.readCr(x.cpu, cr);
  } else {
    v = crValue(x, cr);
  }
  if (x.mode64) {
    const u = BigInt.asUintN(64, v);
    x.lo[i.r0] = Number(u & 0xffffffffn);
    x.hi[i.r0] = Number(u >> 32n);
  } else {
    x.lo[i.r0] = Number(BigInt.asUintN(32, v));
  }
  return 0;
};

/**
 * MOV DR (SDM Vol. 2 MOV—Move to/from Debug Registers): DR4/DR5 alias DR6/DR7 unless CR4.DE = 1 (#UD).
 * In non-root operation the VM-exit decision comes first: MOV-DR exits take priority over the CPL > 0 #GP
 * and over the CR4.DE #UD for DR4/DR5 (SDM 26.1.3, an exception to the rule of 26.1.1).
 */
function movDr(toDr: boolean): Handler {
  return (x, i) => {
    let dr = toDr ? i.r0 : i.r1;
    const gpr = toDr ? i.r1 : i.r0;
    if (dr > 7) fault(x, UD, -1);
    if (x.cpu.nonRoot) {
      resetFacts(x, i, 'MOV-DR');
      const f = x.cpu.facts;
      f.crOrDr = dr;
      f.gpr = gpr;
      f.toRegister = toDr;
      if (interceptExited(x, i)) return STOPPED;
    }
    if (dr === 4 || dr === 5) {
      if ((x.regs.cr4 & CR4_DE) !== 0) fault(x, UD, -1);
      dr += 2;
    }
    requireCpl0(x);
    if (toDr) {
      const v = x.mode64 ? bigFromHalves(x.lo[gpr], x.hi[gpr]) : BigInt(x.lo[gpr]);
      if (dr >= 6 && v >> 32n !== 0n) fault(x, GP, 0);
      x.regs.dr[dr] = dr === 6 ? v | 0xffff0ff0n : dr === 7 ? (v | 0x400n) & ~0x1000n : v;
    } else {
      const v = x.regs.dr[dr];
      if (x.mode64) setReg64Big(x, gpr, v);
      else x.lo[gpr] = Number(BigInt.asUintN(32, v));
    }
    return 0;
  };
}
function setReg64Big(x: Exec, r: number, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  x.lo[r] = Number(u & 0xffffffffn);
  x.hi[r] = Number(u >> 32n);
}
export const movToDr = movDr(true);
export const movFromDr = movDr(false);

/**
 * Write CR0 from CLTS/LMSW: through the platform in non-root operation (host-owned bits, SDM 26.3).
 * True when that caused a VM exit (the handler returns STOPPED).
 */
function writeCr0Exited(x: Exec, i: Insn, n: number): boolean {
  const old = x.regs.cr0;
  if (x.cpu.nonRoot) {
    beforeHook(x);
    if (checkedExited(x, i, x.platform.writeCr(x.cpu, 0, BigInt(n >>> 0)))) return true;
    x.regs.rip = x.ripCur + i.len;
  } else {
    x.regs.cr0 = n >>> 0;
  }
  afterCrWrite(x, 0, old);
  return false;
}

export const clts: Handler = (x, i) => {
  requireCpl0(x);
  if (x.cpu.nonRoot) {
    resetFacts(x, i, 'CLTS');
    if (interceptExited(x, i)) return STOPPED;
  }
  return writeCr0Exited(x, i, x.regs.cr0 & ~CR0_TS) ? STOPPED : 0;
};

/** LMSW: loads CR0[3:0]; it can set PE but not clear it (SDM Vol. 2 LMSW). The source is read before the exit decision. */
export const lmsw: Handler = (x, i) => {
  requireCpl0(x);
  const la = memLa(x, i);
  const src = readOp(x, i, 0, 2, la) & 0xffff;
  if (x.cpu.nonRoot) {
    resetFacts(x, i, 'LMSW');
    const f = x.cpu.facts;
    f.value = BigInt(src);
    if (i.k0 === K_MEM) memoryFacts(x, i, la);
    else f.gpr = i.r0;
    if (interceptExited(x, i)) return STOPPED;
  }
  const cr0 = x.regs.cr0;
  return writeCr0Exited(x, i, (cr0 & ~0xe) | (src & 0xe) | ((cr0 | src) & 1)) ? STOPPED : 0;
};

/** SMSW: in non-root operation reads CR0 through the read shadow (SDM 26.3). Never causes a VM exit. */
export const smsw: Handler = (x, i) => {
  umip(x);
  const cr0 = x.cpu.nonRoot ? Number(BigInt.asUintN(32, x.platform.readCr(x.cpu, 0))) : x.regs.cr0;
  if (i.k0 === K_MEM) wr16(x, ea(x, i), cr0 & 0xffff);
  else setReg(x, i.r0, i.s0, 0, i.s0 === 2 ? cr0 & 0xffff : cr0 >>> 0, 0);
  return 0;
};

function simpleExiting(what: 'INVD' | 'WBINVD'): Handler {
  return (x, i) => {
    requireCpl0(x);
    if (x.cpu.nonRoot) {
      resetFacts(x, i, what);
      if (interceptExited(x, i)) return STOPPED;
    }
    return 0;
  };
}
export const invd = simpleExiting('INVD');
export const wbinvd = simpleExiting('WBINVD');

/** INVLPG: a non-canonical address makes it a no-op (SDM Vol. 2 INVLPG); the exit qualification is the linear address. */
export const invlpg: Handler = (x, i) => {
  requireCpl0(x);
  let la = offsetOf(x, i);
  if (x.mode64) la += i.seg >= 4 ? x.regs.segBaseView[i.seg] : 0;
  else la = (la + x.regs.segBaseView[i.seg]) >>> 0;
  if (x.cpu.nonRoot) {
    resetFacts(x, i, 'INVLPG');
    memoryFacts(x, i, la);
    if (interceptExited(x, i)) return STOPPED;
  }
  // The current VPID's linear and combined mappings for the address (Vol. 3A 4.10.4.1; SDM 29.4.3.1).
  invalidateAddress(x, la);
  return 0;
};

/** INVPCID (SDM Vol. 2): type in a register, 128-bit descriptor {PCID, linear address} in memory. */
export const invpcid: Handler = (x, i) => {
  requireCpl0(x);
  const type = x.mode64 ? bigFromHalves(x.lo[i.r0], x.hi[i.r0]) : BigInt(x.lo[i.r0]);
  const la = ea(x, i);
  if (x.cpu.nonRoot) {
    resetFacts(x, i, 'INVPCID');
    memoryFacts(x, i, la);
    const f = x.cpu.facts;
    f.instructionInfo = invInfo(i);
    f.operand1 = type;
    if (interceptExited(x, i)) return STOPPED;
  }
  const dlo = rd64(x, la);
  const dhi = x.tHi;
  const addrLo = rd64(x, la + 8);
  const addr = (x.tHi | 0) * TWO32 + addrLo;
  if (type > 3n) fault(x, GP, 0);
  const pcid = dlo & 0xfff;
  if ((dlo & ~0xfff) !== 0 || dhi !== 0) fault(x, GP, 0);
  if ((type === 0n || type === 1n) && pcid !== 0 && (x.regs.cr4 & CR4_PCIDE) === 0) fault(x, GP, 0);
  // Vol. 3A 4.10.4.1 INVPCID, for the current VPID and, without PCID tags (tlb.ts), for every PCID: type 0 the
  // non-global translations of the address, 1 and 3 every non-global translation, 2 every translation.
  if (type === 0n) {
    if (addr < -0x800000000000 || addr >= 0x800000000000) fault(x, GP, 0);
    invalidateAddress(x, addr, true);
  } else {
    invalidateCurrentVpid(x, type !== 2n);
  }
  return 0;
};

// ---- descriptor tables ----

/** LGDT/LIDT/SGDT/SIDT: identity 0 SGDT, 1 SIDT, 2 LGDT, 3 LIDT (SDM 28.2.5 Table 28-10). */
function descriptorTable(identity: 0 | 1 | 2 | 3): Handler {
  const what = (['SGDT', 'SIDT', 'LGDT', 'LIDT'] as const)[identity];
  return (x, i) => {
    if (identity >= 2) requireCpl0(x);
    else umip(x);
    const la = ea(x, i);
    if (x.cpu.nonRoot) {
      resetFacts(x, i, what);
      memoryFacts(x, i, la);
      x.cpu.facts.instructionInfo = descriptorTableInfo(i, identity);
      if (interceptExited(x, i)) return STOPPED;
    }
    const r = x.regs;
    if (identity >= 2) {
      const limit = rd16(x, la);
      let base: number;
      if (x.mode64) {
        const lo = rd64(x, la + 2);
        base = (x.tHi | 0) * TWO32 + lo;
        if (base < -0x800000000000 || base >= 0x800000000000) fault(x, GP, 0);
      } else {
        base = rd32(x, la + 2);
        if (i.size === 2 && x.bitness === 16) base &= 0xffffff;
      }
      if (identity === 2) { r.gdtrLimit = limit; r.gdtrBase = base; } else { r.idtrLimit = limit; r.idtrBase = base; }
    } else {
      const limit = identity === 0 ? r.gdtrLimit : r.idtrLimit;
      const base = identity === 0 ? r.gdtrBase : r.idtrBase;
      wr16(x, la, limit);
      if (x.mode64) wr64(x, la + 2, base >>> 0, Math.floor(base / TWO32) >>> 0);
      else wr32(x, la + 2, base >>> 0);
    }
    return 0;
  };
}
export const sgdt = descriptorTable(0);
export const sidt = descriptorTable(1);
export const lgdt = descriptorTable(2);
export const lidt = descriptorTable(3);

/** LLDT/LTR/SLDT/STR: identity 0 SLDT, 1 STR, 2 LLDT, 3 LTR (SDM 28.2.5 Table 28-11). */
function ldtTr(identity: 0 | 1 | 2 | 3): Handler {
  const what = (['SLDT', 'STR', 'LLDT', 'LTR'] as const)[identity];
  return (x, i) => {
    if ((x.regs.cr0 & CR0_PE) === 0) fault(x, UD, -1);
    if (identity >= 2) requireCpl0(x);
    else umip(x);
    const la = memLa(x, i);
    let sel = 0;
    if (identity >= 2) sel = readOp(x, i, 0, 2, la) & 0xffff;
    if (x.cpu.nonRoot) {
      resetFacts(x, i, what);
      if (i.k0 === K_MEM) memoryFacts(x, i, la);
      x.cpu.facts.instructionInfo = ldtTrInfo(i, identity);
      if (interceptExited(x, i)) return STOPPED;
    }
    const r = x.regs;
    if (identity < 2) {
      const v = r.segSelectorView[identity === 0 ? 6 : 7];
      if (i.k0 === K_MEM) wr16(x, la, v);
      else setReg(x, i.r0, i.s0, 0, v, 0);
      return 0;
    }
    if (identity === 2) loadLdtr(x, sel);
    else loadTr(x, sel);
    return 0;
  };
}

function systemBase(x: Exec): number {
  const b = descriptorBase(desc.lo, desc.hi);
  return x.mode64 ? (desc.hi2 | 0) * TWO32 + b : b;
}

/** LLDT: a null selector makes LDTR unusable; otherwise an LDT descriptor (type 2) in the GDT. */
function loadLdtr(x: Exec, sel: number): void {
  if ((sel & 0xfffc) === 0) {
    setSegment(x, 6, sel, 0, 0, AR_UNUSABLE);
    return;
  }
  if ((sel & 4) !== 0) fault(x, GP, sel & 0xfffc);
  readDescriptor(x, sel, 0, x.mode64);
  const ar = accessRights(desc.hi);
  if ((ar & 0x1f) !== 0x02) fault(x, GP, sel & 0xfffc);
  if ((ar & 0x80) === 0) fault(x, NP, sel & 0xfffc);
  const base = systemBase(x);
  if (x.mode64) checkCanonical(x, base, false);
  setSegment(x, 6, sel, base, descriptorLimit(desc.lo, desc.hi), ar);
}

/** LTR: an available TSS (type 9, or 1 outside IA-32e mode) in the GDT; the descriptor is marked busy. */
function loadTr(x: Exec, sel: number): void {
  if ((sel & 0xfffc) === 0) fault(x, GP, 0);
  if ((sel & 4) !== 0) fault(x, GP, sel & 0xfffc);
  readDescriptor(x, sel, 0, x.mode64);
  const ar = accessRights(desc.hi);
  const type = ar & 0x1f;
  if (!(type === 0x09 || (!x.mode64 && type === 0x01))) fault(x, GP, sel & 0xfffc);
  if ((ar & 0x80) === 0) fault(x, NP, sel & 0xfffc);
  const base = systemBase(x);
  if (x.mode64) checkCanonical(x, base, false);
  wrSys8(x, x.regs.gdtrBase + (sel & 0xfff8) + 5, ((desc.hi >>> 8) & 0xff) | 0x02);
  setSegment(x, 7, sel, base, descriptorLimit(desc.lo, desc.hi), ar | 0x02);
}

export const sldt = ldtTr(0);
export const str = ldtTr(1);
export const lldt = ldtTr(2);
export const ltr = ldtTr(3);

// ---- MONITOR / MWAIT / PAUSE ----

export const monitor: Handler = (x, i) => {
  if (x.regs.cpl > 0) fault(x, UD, -1);
  if (x.lo[1] !== 0) fault(x, GP, 0);
  const seg = i.segOverride >= 0 ? i.segOverride : 3;
  let la = i.addr === 8 ? reg64(x, 0) : i.addr === 4 ? x.lo[0] : x.lo[0] & 0xffff;
  la = x.mode64 ? la + (seg >= 4 ? x.regs.segBaseView[seg] : 0) : (la + x.regs.segBaseView[seg]) >>> 0;
  if (x.mode64) checkCanonical(x, la, false);
  if (x.cpu.nonRoot) {
    resetFacts(x, i, 'MONITOR');
    x.cpu.facts.linearAddress = BigInt.asUintN(64, BigInt(la));
    if (interceptExited(x, i)) return STOPPED;
  }
  x.pcs.monitorArmed = true;
  return 0;
};

/** MWAIT: treated as a hint that returns at once (allowed: any event may end the wait; SDM Vol. 2 MWAIT). */
export const mwait: Handler = (x, i) => {
  if (x.regs.cpl > 0) fault(x, UD, -1);
  if ((x.lo[1] & ~1) !== 0) fault(x, GP, 0);
  if (x.cpu.nonRoot) {
    resetFacts(x, i, 'MWAIT');
    // MWAIT exit qualification bit 0: the monitoring hardware is armed (SDM 28.2.1).
    x.cpu.facts.value = x.pcs.monitorArmed ? 1n : 0n;
    if (interceptExited(x, i)) return STOPPED;
  }
  x.pcs.monitorArmed = false;
  return 0;
};

export const pause: Handler = (x, i) => {
  if (x.cpu.nonRoot) {
    resetFacts(x, i, 'PAUSE');
    if (interceptExited(x, i)) return STOPPED;
  }
  return 0;
};

// ---- XSETBV / XGETBV / XSAVES / XRSTORS ----

/** XCR0 bits this machine supports: x87 and SSE state. */
const XCR0_SUPPORTED = 3n;
const MSR_XSS = 0xda0;

export const xsetbv: Handler = (x, i) => {
  if ((x.regs.cr4 & CR4_OSXSAVE) === 0) fault(x, UD, -1);
  requireCpl0(x);
  if (x.cpu.nonRoot) {
    resetFacts(x, i, 'XSETBV');
    if (interceptExited(x, i)) return STOPPED;
  }
  const v = edxEaxValue(x);
  if (x.lo[1] !== 0) fault(x, GP, 0);
  if ((v & 1n) === 0n || (v & ~XCR0_SUPPORTED) !== 0n) fault(x, GP, 0);
  x.pcs.xcr0 = v;
  return 0;
};

/** XGETBV (SDM Vol. 2 XGETBV): ECX = 1 (XINUSE & XCR0) only if CPUID.(EAX=0DH,ECX=1):EAX[2] = 1, else #GP(0). */
export const xgetbv: Handler = (x) => {
  if ((x.regs.cr4 & CR4_OSXSAVE) === 0) fault(x, UD, -1);
  if (x.lo[1] === 0) edxEax(x, x.pcs.xcr0);
  else if (x.lo[1] === 1 && cpuidBit(x, 0xd, 1, 0, 2)) edxEax(x, 0n); // x87 and SSE never leave their initial configuration
  else fault(x, GP, 0);
  return 0;
};

/** PT state (SDM Vol. 1 13.5.6): the nine MSRs in their XSAVE-area order, and the state component's bit. */
const PT_STATE_MSRS: readonly number[] = PT_STATE_MSR_ORDER.map((n) => RTIT_MSR[n]);
const PT_BIT = 1n << BigInt(XSTATE.PT);
const U63 = (1n << 63n) - 1n;

/**
 * The PT-state MSR values, 0 for an MSR this processor does not have (RDMSR of it would be #GP: with this
 * machine's CPUID leaf 14H only IA32_RTIT_CTL and IA32_RTIT_STATUS exist, intel-pt.ts).
 */
function ptState(x: Exec): bigint[] {
  x.cpu.runSteps = x.steps;
  return PT_STATE_MSRS.map((m) => x.platform.rdmsr(x.cpu, m) ?? 0n);
}

/**
 * XRSTORS of PT state (SDM Vol. 1 13.5.6; Vol. 3C "Intel Processor Trace": MSR-write semantics apply to
 * XRSTORS of state component 8): #GP if IA32_RTIT_CTL.TraceEn = 1 before anything is modified; each MSR is
 * loaded as WRMSR would (an invalid value: #GP), IA32_RTIT_CTL last. A non-zero value for an MSR this
 * processor does not have is #GP (our reading: WRMSR of such an MSR is #GP; no real part lacks them).
 * `values` undefined: initialize PT state (every MSR 0).
 */
function restorePtState(x: Exec, values: bigint[] | undefined): void {
  x.cpu.runSteps = x.steps;
  const ctl = x.platform.rdmsr(x.cpu, RTIT_MSR.IA32_RTIT_CTL) ?? 0n;
  if ((ctl & BigInt(RTIT_CTL.TRACE_EN)) !== 0n) fault(x, GP, 0);
  for (let n = 1; n <= PT_STATE_MSRS.length; n++) {
    const k = n % PT_STATE_MSRS.length; // 1 … 8, then IA32_RTIT_CTL (index 0) last
    const msr = PT_STATE_MSRS[k];
    const v = values === undefined ? 0n : values[k];
    x.cpu.runSteps = x.steps;
    if (x.platform.rdmsr(x.cpu, msr) === undefined) {
      if (v !== 0n) fault(x, GP, 0);
      continue;
    }
    x.cpu.runSteps = x.steps;
    if (!x.platform.wrmsr(x.cpu, msr, v)) fault(x, GP, 0);
  }
}

/**
 * XSAVES/XRSTORS (SDM Vol. 1 13.11 "Operation of XSAVES", 13.12 "Operation of XRSTORS"; Vol. 2 XSAVES,
 * XRSTORS) in the compacted format, for the components this machine has: x87 and SSE (always in their
 * initial configuration: the interpreter runs no x87/SSE instruction) and, with Intel PT, supervisor state
 * component 8 (PT state), the only component of the extended region, so at byte 576.
 * XSAVES writes XSTATE_BV = RFBM & XINUSE (PT state is in use when any of its MSRs is not 0, its initial
 * configuration) and XCOMP_BV = bit 63 | RFBM, and PT state when XSTATE_BV[8] = 1 (zeros in its reserved
 * bytes). XRSTORS checks the header (#GP: XCOMP_BV[63] = 0, XCOMP_BV[62:0] outside XCR0 | IA32_XSS,
 * XSTATE_BV outside XCOMP_BV, header bytes 63:16 not 0), then loads or initializes PT state if RFBM[8] = 1.
 * In VMX non-root operation EDX:EAX is recorded for the XSS-exiting bitmap rule (SDM Vol. 3C 26.1.3).
 */
function xsaves(restore: boolean): Handler {
  return (x, i) => {
    // #UD: no XSAVES (CPUID.(EAX=0DH,ECX=1):EAX[3] = 0), CR4.OSXSAVE = 0; "enable XSAVES/XRSTORS" = 0 in decide.ts.
    if ((x.regs.cr4 & CR4_OSXSAVE) === 0 || !cpuidBit(x, 0xd, 1, 0, 3)) fault(x, UD, -1);
    requireCpl0(x);
    const la = ea(x, i);
    if (x.cpu.nonRoot) {
      resetFacts(x, i, restore ? 'XRSTORS' : 'XSAVES');
      memoryFacts(x, i, la);
      const f = x.cpu.facts;
      f.instructionInfo = memoryInfo(i);
      f.value = edxEaxValue(x);
      if (interceptExited(x, i)) return STOPPED;
    }
    if (la % 64 !== 0) fault(x, GP, 0);
    x.cpu.runSteps = x.steps;
    const xss = x.platform.rdmsr(x.cpu, MSR_XSS) ?? 0n;
    const rfbm = edxEaxValue(x) & ((x.pcs.xcr0 & XCR0_SUPPORTED) | xss);
    const ptAt = la + XSTATE.EXTENDED_REGION_OFFSET;
    if (!restore) {
      let xstateBv = 0n;
      if ((rfbm & PT_BIT) !== 0n) {
        // TraceEn is never 1 here, so XSAVES has no TraceEn to clear after saving IA32_RTIT_CTL (13.5.6).
        const values = ptState(x);
        if (values.some((v) => v !== 0n)) {
          xstateBv |= PT_BIT;
          for (let k = 0; k < values.length; k++) {
            const v = values[k];
            wr64(x, ptAt + 8 * k, Number(v & 0xffffffffn), Number(v >> 32n));
          }
          x.cpu.runSteps = x.steps;
          for (let off = PT_STATE_USED_BYTES; off < ptStateSize(x); off += 8) wr64(x, ptAt + off, 0, 0);
        }
      }
      wr64(x, la + XSTATE.XSTATE_BV_OFFSET, Number(xstateBv & 0xffffffffn), Number(xstateBv >> 32n));
      wr64(x, la + XSTATE.XCOMP_BV_OFFSET, Number(rfbm & 0xffffffffn), (Number(rfbm >> 32n) | 0x80000000) >>> 0);
      return 0;
    }
    const bvLo = rd64(x, la + XSTATE.XSTATE_BV_OFFSET);
    const bvHi = x.tHi;
    const cbLo = rd64(x, la + XSTATE.XCOMP_BV_OFFSET);
    const cbHi = x.tHi;
    const xstateBv = bigFromHalves(bvLo, bvHi);
    const xcompBv = bigFromHalves(cbLo, cbHi);
    if ((xcompBv >> 63n) === 0n) fault(x, GP, 0);
    if ((xcompBv & U63 & ~((x.pcs.xcr0 & XCR0_SUPPORTED) | xss)) !== 0n) fault(x, GP, 0);
    if ((xstateBv & ~(xcompBv & U63)) !== 0n) fault(x, GP, 0);
    for (let off = 16; off < XSTATE.HEADER_SIZE; off += 8) {
      if (rd64(x, la + XSTATE.XSTATE_BV_OFFSET + off) !== 0 || x.tHi !== 0) fault(x, GP, 0);
    }
    if ((rfbm & PT_BIT) !== 0n) {
      let values: bigint[] | undefined;
      if ((xstateBv & PT_BIT) !== 0n) {
        values = [];
        for (let k = 0; k < PT_STATE_MSRS.length; k++) {
          const lo = rd64(x, ptAt + 8 * k);
          values.push(bigFromHalves(lo, x.tHi));
        }
      }
      restorePtState(x, values);
    }
    return 0;
  };
}

/** CPUID.(EAX=0DH,ECX=8):EAX, the size of PT state in an XSAVE area. */
function ptStateSize(x: Exec): number {
  return cpuidValue(x, 0xd, XSTATE.PT, 0);
}
export const xsavesH = xsaves(false);
export const xrstorsH = xsaves(true);

// ---- GETSEC, ENCLS, RDRAND, RDSEED ----

/**
 * GETSEC (SDM Vol. 2D 7.2, 7.3): #UD if CR4.SMXE = 0 (CR4.SMXE can be 1 only on a processor with SMX). In VMX
 * non-root operation it then always causes a VM exit, whatever CPL and EAX (Vol. 3C 26.1.2). Elsewhere EAX
 * selects the leaf: GETSEC[CAPABILITIES] (EAX = 0) returns in EAX the capability vector selected by EBX,
 * which on this machine is 0 for every index: no TXT-capable chipset (bit 0), no other leaf available
 * (bits 30:1), no extended leaves (bit 31). Every other leaf is therefore unsupported and raises #UD.
 */
export const getsec: Handler = (x, i) => {
  if ((x.regs.cr4 & CR4_SMXE) === 0) fault(x, UD, -1);
  if (x.cpu.nonRoot) {
    resetFacts(x, i, 'GETSEC');
    if (interceptExited(x, i)) return STOPPED;
  }
  if (x.lo[0] !== GETSEC_LEAF.CAPABILITIES) fault(x, UD, -1);
  x.lo[0] = 0;
  x.hi[0] = 0;
  return 0;
};

/**
 * A CPUID register as the platform reports it, without disturbing the guest's registers (CPUID writes
 * EAX/EBX/ECX/EDX): `reg` 0 EAX, 1 EBX, 2 ECX, 3 EDX.
 */
function cpuidValue(x: Exec, leaf: number, sub: number, reg: number): number {
  const lo = x.lo;
  const hi = x.hi;
  const save = [lo[0], hi[0], lo[1], hi[1], lo[2], hi[2], lo[3], hi[3]];
  x.cpu.runSteps = x.steps;
  x.platform.cpuid(x.cpu, leaf, sub);
  const v = [lo[0], lo[3], lo[1], lo[2]][reg];
  for (let r = 0; r < 4; r++) {
    lo[r] = save[2 * r];
    hi[r] = save[2 * r + 1];
  }
  return v >>> 0;
}
function cpuidBit(x: Exec, leaf: number, sub: number, reg: number, bit: number): boolean {
  return ((cpuidValue(x, leaf, sub, reg) >>> bit) & 1) === 1;
}

const RFLAGS_VM = 1 << 17;
const MSR_FEATURE_CONTROL = 0x3a;
const FEATURE_CONTROL_LOCK = 1;
const ENCLS_LEAF_NAMES: readonly string[] = Object.keys(ENCLS_LEAF);

/**
 * ENCLS (SDM Vol. 3D "ENCLS—Execute an Enclave System Function of Specified Leaf Number", Operation and
 * Protected Mode Exceptions), in the pseudo-code's order:
 *  1. #UD if CR0.PE = 0, RFLAGS.VM = 1, in SMM (never here), or SGX1 is not enumerated
 *     (CPUID.(EAX=12H,ECX=0):EAX.SGX1[0], meaningful only with CPUID.(EAX=07H,ECX=0):EBX.SGX[2]);
 *  2. #UD if CPL > 0;
 *  3. in VMX non-root operation, the VM exit under "enable ENCLS exiting" and the ENCLS-exiting bitmap
 *     (decide.ts; Vol. 3C 26.1.3);
 *  4. #GP(0) unless IA32_FEATURE_CONTROL.LOCK = 1 and IA32_FEATURE_CONTROL.SGX_ENABLE[18] = 1;
 *  5. #GP(0) if EAX is not a defined leaf (00H–0CH with SGX1, up to 0FH with SGX2; later leaves need
 *     enumerations this machine does not make);
 *  6. #GP(0) if CR0.PG = 0.
 * The leaf functions themselves need an enclave page cache, which this machine does not have (no EPC section
 * in CPUID leaf 12H): an ENCLS that passes every check above stops the run with "unsupported instruction"
 * rather than guessing a leaf's outcome. (The leaves' own checks, e.g. the DS segment of 32-bit code, are
 * part of that unmodelled flow.)
 */
export const encls: Handler = (x, i) => {
  const r = x.regs;
  if ((r.cr0 & CR0_PE) === 0 || (r.rflags & RFLAGS_VM) !== 0 || !cpuidBit(x, 7, 0, 1, 2) || !cpuidBit(x, 0x12, 0, 0, 0)) {
    fault(x, UD, -1);
  }
  if (r.cpl > 0) fault(x, UD, -1);
  const leaf = x.lo[0] >>> 0; // the upper 32 bits of RAX are ignored
  if (x.cpu.nonRoot) {
    resetFacts(x, i, 'ENCLS');
    x.cpu.facts.operand1 = BigInt(leaf);
    if (interceptExited(x, i)) return STOPPED;
  }
  x.cpu.runSteps = x.steps;
  const fc = Number((x.platform.rdmsr(x.cpu, MSR_FEATURE_CONTROL) ?? 0n) & 0xffffffffn);
  if ((fc & FEATURE_CONTROL_LOCK) === 0 || (fc & FEATURE_CONTROL_EXT.SGX_ENABLE) === 0) fault(x, GP, 0);
  const last = cpuidBit(x, 0x12, 0, 0, 1) ? ENCLS_LAST_SGX2_LEAF : ENCLS_LAST_SGX1_LEAF;
  if (leaf > last) fault(x, GP, 0);
  if ((r.cr0 & CR0_PG) === 0) fault(x, GP, 0);
  throw new UnsupportedInstructionError(`encls leaf ${leaf} (${ENCLS_LEAF_NAMES[leaf]}): SGX leaf functions are not modelled (no EPC)`);
};

/** RDRAND/RDSEED: a random value with CF = 1; OF, SF, ZF, AF, PF cleared (SDM Vol. 2 RDRAND). */
function rand(what: 'RDRAND' | 'RDSEED'): Handler {
  return (x, i) => {
    if (x.cpu.nonRoot) {
      resetFacts(x, i, what);
      x.cpu.facts.instructionInfo = randInfo(i);
      if (interceptExited(x, i)) return STOPPED;
    }
    const lo = (Math.random() * TWO32) >>> 0;
    const hi = (Math.random() * TWO32) >>> 0;
    setReg(x, i.r0, i.s0, 0, i.s0 === 2 ? lo & 0xffff : lo, hi);
    setStatus(x, ARITH, CF);
    return 0;
  };
}
export const rdrand = rand('RDRAND');
export const rdseed = rand('RDSEED');

// ---- SWAPGS, SYSCALL, SYSRET, RSM ----

export const swapgs: Handler = (x) => {
  if (!x.mode64) fault(x, UD, -1);
  requireCpl0(x);
  x.cpu.runSteps = x.steps;
  const k = x.platform.rdmsr(x.cpu, MSR_KERNEL_GS_BASE) ?? 0n;
  const gs = BigInt.asUintN(64, BigInt(x.regs.segBaseView[5]));
  x.cpu.runSteps = x.steps;
  x.platform.wrmsr(x.cpu, MSR_KERNEL_GS_BASE, gs);
  x.regs.segBase[5] = Number(BigInt.asIntN(64, k));
  return 0;
};

function msr(x: Exec, n: number): bigint {
  x.cpu.runSteps = x.steps;
  return x.platform.rdmsr(x.cpu, n) ?? 0n;
}

/** SYSCALL (64-bit mode; SDM Vol. 2 SYSCALL "Operation"). */
export const syscall: Handler = (x) => {
  const r = x.regs;
  if ((r.efer & EFER_SCE) === 0 || (r.efer & EFER_LMA) === 0) fault(x, UD, -1);
  if (!x.mode64) throw new UnsupportedInstructionError('syscall from compatibility mode');
  materialize(x);
  setReg64(x, 1, r.rip);
  x.lo[11] = r.rflags;
  x.hi[11] = 0;
  const star = msr(x, MSR_STAR);
  const target = Number(BigInt.asIntN(64, msr(x, MSR_LSTAR)));
  const fmask = Number(msr(x, MSR_FMASK) & 0xffffffffn);
  r.rflags = ((r.rflags & ~fmask & ~RF) | 2) >>> 0;
  const cs = Number((star >> 32n) & 0xfffcn);
  setSegment(x, 1, cs, 0, 0xffffffff, 0xa09b); // 64-bit code, DPL 0, G
  setSegment(x, 2, (cs + 8) & 0xfffc, 0, 0xffffffff, 0xc093);
  r.cpl = 0;
  updateMode(x);
  r.rip = target;
  return 0;
};

/** SYSRET (SDM Vol. 2 SYSRET): to 64-bit mode with REX.W (SYSRETQ), else to compatibility mode. */
export function sysret(to64: boolean): Handler {
  return (x) => {
    const r = x.regs;
    if ((r.efer & EFER_SCE) === 0 || !x.mode64) fault(x, UD, -1);
    requireCpl0(x);
    const rcx = reg64(x, 1);
    if (to64 && (rcx < -0x800000000000 || rcx >= 0x800000000000)) fault(x, GP, 0);
    const star = msr(x, MSR_STAR);
    const base = Number((star >> 48n) & 0xffffn);
    r.rflags = ((x.lo[11] & 0x3c7fd7) | 2) >>> 0;
    x.fOp = 0;
    if (to64) setSegment(x, 1, ((base + 16) & 0xfffc) | 3, 0, 0xffffffff, 0xa0fb);
    else setSegment(x, 1, (base & 0xfffc) | 3, 0, 0xffffffff, 0xc0fb);
    setSegment(x, 2, ((base + 8) & 0xfffc) | 3, 0, 0xffffffff, 0xc0f3);
    r.cpl = 3;
    updateMode(x);
    r.rip = to64 ? rcx : x.lo[1];
    return 0;
  };
}

/** RSM outside system-management mode: #UD (the reference machine has no SMM). */
export const rsm: Handler = (x) => fault(x, UD, -1);

// ---- segment registers ----

/** MOV Sreg, r/m16 (MOV to CS is #UD at decode); MOV SS blocks interrupts for one instruction. */
export const movToSreg: Handler = (x, i) => {
  const la = memLa(x, i);
  const sel = readOp(x, i, 1, 2, la) & 0xffff;
  if (i.r0 === 1) fault(x, UD, -1);
  loadDataSegment(x, i.r0, sel);
  if (i.r0 === 2) movSsShadow(x);
  return 0;
};

export const movFromSreg: Handler = (x, i) => {
  const v = x.regs.segSelectorView[i.r1];
  if (i.k0 === K_MEM) wr16(x, ea(x, i), v);
  else setReg(x, i.r0, i.s0, 0, v, 0);
  return 0;
};

export const popSreg: Handler = (x, i) => {
  const size = x.mode64 ? (i.size === 2 ? 2 : 8) : i.size === 2 ? 2 : 4;
  const sp = getSp(x);
  const v = rdSize(x, x.mode64 ? sp : (x.regs.segBaseView[2] + sp) >>> 0, size) & 0xffff;
  loadDataSegment(x, i.r0, v);
  setSp(x, sp + size);
  if (i.r0 === 2) movSsShadow(x);
  return 0;
};

function movSsShadow(x: Exec): void {
  x.shadow = 2;
  if (x.cpu.interruptibility !== undefined) x.cpu.interruptibility |= 2;
}

