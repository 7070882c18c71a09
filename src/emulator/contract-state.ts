/**
 * getState/setState of the implementation contract (names documented in src/contract/types.ts), over one
 * logical processor. Every bad name or value raises ContractError('bad-request') naming it; a value the
 * processor could never hold (a non-canonical RIP, reserved RFLAGS or CR bits, a CR0/CR4 value outside the
 * VMX fixed bits while in VMX operation) is refused the same way rather than silently adjusted.

 */
import { ContractError, type StateValues } from '../contract/types';
import { CR0, CR4, IA32_EFER, MSR, SEG_AR } from '../arch';
import type { LogicalProcessor } from './processor';
import { featureControlBits, readMsr, writeMsr } from './msrs';
import { GPR_NAMES, SEG_NAMES, fromU64, isCanonical, toU64 } from './state';
import { SUPPORTED_CR0 } from './profiles';
import { crValuesSupportedInVmx } from './vmx/operation';

const GPR_INDEX = new Map<string, number>(GPR_NAMES.map((n, i) => [n, i]));
const SEG_INDEX = new Map<string, number>(SEG_NAMES.map((n, i) => [n, i]));
const DR_NAMES = new Set(['dr0', 'dr1', 'dr2', 'dr3', 'dr6', 'dr7']);
/** RFLAGS bits that exist (SDM Vol. 1 3.4.3): all of 21:0 except the reserved 1, 3, 5 and 15; bit 1 reads 1. */
const RFLAGS_DEFINED = 0x3f7fd7;
const U64_MAX = 0xffffffffffffffffn;

const NAME_HELP =
  'expected rax…r15, rip, rflags, cr0/cr2/cr3/cr4/cr8, dr0–dr3/dr6/dr7, <es|cs|ss|ds|fs|gs|ldtr|tr>.<selector|base|limit|access>, ' +
  'gdtr.base/limit, idtr.base/limit, msr:0x<hex>, cpl, vmx.mode (read-only), activity (read-only)';

function bad(message: string): never {
  throw new ContractError('bad-request', message);
}
function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}
function parseMsrName(name: string): number | undefined {
  const m = /^msr:0x([0-9a-f]{1,8})$/i.exec(name);
  return m === null ? undefined : parseInt(m[1], 16) >>> 0;
}
function checkRange(name: string, v: bigint, max: bigint): void {
  if (v < 0n || v > max) bad(`value ${v < 0n ? v.toString() : hex(v)} for ${name} is outside 0…${hex(max)}`);
}

export function getState(cpu: LogicalProcessor, names: readonly string[]): StateValues {
  if (!Array.isArray(names)) bad('getState needs an array of state names');
  const out: StateValues = {};
  for (const name of names) {
    if (typeof name !== 'string') bad(`state name ${String(name)} is not a string`);
    out[name] = getOne(cpu, name);
  }
  return out;
}

function getOne(cpu: LogicalProcessor, name: string): bigint {
  const r = cpu.regs;
  const g = GPR_INDEX.get(name);
  if (g !== undefined) return r.getGpr(g);
  switch (name) {
    case 'rip': return toU64(r.rip);
    case 'rflags': return BigInt(r.rflags >>> 0);
    case 'cr0': return BigInt(r.cr0 >>> 0);
    case 'cr2': return toU64(r.cr2);
    case 'cr3': return BigInt(r.cr3);
    case 'cr4': return BigInt(r.cr4 >>> 0);
    case 'cr8': return BigInt(r.cr8);
    case 'gdtr.base': return toU64(r.gdtrBase);
    case 'gdtr.limit': return BigInt(r.gdtrLimit);
    case 'idtr.base': return toU64(r.idtrBase);
    case 'idtr.limit': return BigInt(r.idtrLimit);
    case 'cpl': return BigInt(r.cpl);
    case 'vmx.mode': return BigInt(cpu.vmxMode);
    case 'activity': return BigInt(cpu.activityState);
  }
  if (DR_NAMES.has(name)) return BigInt.asUintN(64, r.dr[Number(name[2])]);
  const seg = segmentName(name);
  if (seg !== undefined) {
    const [i, part] = seg;
    if (part === 'selector') return BigInt(r.segSelectorView[i]);
    if (part === 'base') return toU64(r.segBaseView[i]);
    if (part === 'limit') return BigInt(r.segLimitView[i]);
    return BigInt(r.segAccessView[i]);
  }
  const msr = parseMsrName(name);
  if (msr !== undefined) {
    const v = readMsr(cpu, msr);
    if (v === undefined) bad(`${name} is not implemented by this processor (RDMSR of it raises #GP)`);
    return v;
  }
  return bad(`unknown state name "${name}"; ${NAME_HELP}`);
}

function segmentName(name: string): [number, 'selector' | 'base' | 'limit' | 'access'] | undefined {
  const dot = name.indexOf('.');
  if (dot < 0) return undefined;
  const i = SEG_INDEX.get(name.slice(0, dot));
  const part = name.slice(dot + 1);
  if (i === undefined || (part !== 'selector' && part !== 'base' && part !== 'limit' && part !== 'access')) return undefined;
  return [i, part];
}

/**
 * Apply values in order. Control-register and EFER consistency is checked after all are applied (so a
 * caller can change CR0, CR4 and EFER together); if it fails, those three are restored and the call fails.
 */
export function setState(cpu: LogicalProcessor, values: StateValues): void {
  if (values === null || typeof values !== 'object' || Array.isArray(values)) bad('setState needs an object of name → bigint');
  const entries = Object.entries(values);
  for (const [name, v] of entries) {
    if (typeof v !== 'bigint') bad(`value for ${name} must be a bigint, not ${typeof v}`);
  }
  const r = cpu.regs;
  const saved = { cr0: r.cr0, cr4: r.cr4, efer: r.efer };
  for (const [name, v] of entries) setOne(cpu, name, v);
  // IA32_EFER.LMA follows LME and CR0.PG (SDM Vol. 3A 10.8.5 "Initializing IA-32e Mode").
  const lma = (r.efer & IA32_EFER.LME) !== 0 && (r.cr0 & CR0.PG) !== 0;
  r.efer = lma ? r.efer | IA32_EFER.LMA : r.efer & ~IA32_EFER.LMA;
  const problem = modeProblem(cpu);
  if (problem !== '') {
    r.cr0 = saved.cr0;
    r.cr4 = saved.cr4;
    r.efer = saved.efer;
    bad(problem);
  }
}

function modeProblem(cpu: LogicalProcessor): string {
  const r = cpu.regs;
  if ((r.cr0 & CR0.PG) !== 0 && (r.cr0 & CR0.PE) === 0) return 'cr0: PG = 1 requires PE = 1';
  if ((r.cr0 & CR0.NW) !== 0 && (r.cr0 & CR0.CD) === 0) return 'cr0: NW = 1 requires CD = 1';
  if ((r.efer & IA32_EFER.LMA) !== 0 && (r.cr4 & CR4.PAE) === 0) return 'IA-32e mode (EFER.LME and CR0.PG) requires CR4.PAE = 1';
  if (cpu.inVmx && !crValuesSupportedInVmx(cpu, r.cr0, r.cr4)) {
    return `cr0 ${hex(BigInt(r.cr0 >>> 0))} / cr4 ${hex(BigInt(r.cr4 >>> 0))} violate the VMX fixed bits (IA32_VMX_CR0/CR4_FIXED0/1) in VMX operation`;
  }
  return '';
}

function setOne(cpu: LogicalProcessor, name: string, v: bigint): void {
  const r = cpu.regs;
  const g = GPR_INDEX.get(name);
  if (g !== undefined) {
    checkRange(name, v, U64_MAX);
    r.setGpr(g, v);
    return;
  }
  switch (name) {
    case 'rip':
      checkRange(name, v, U64_MAX);
      if (!isCanonical(v)) bad(`rip ${hex(v)} is not canonical`);
      r.rip = fromU64(v);
      return;
    case 'rflags':
      checkRange(name, v, 0xffffffffn);
      if ((v & ~BigInt(RFLAGS_DEFINED)) !== 0n) bad(`rflags ${hex(v)} sets reserved bits (only ${hex(BigInt(RFLAGS_DEFINED))} exist)`);
      if ((v & 2n) === 0n) bad(`rflags ${hex(v)}: bit 1 is reserved and always 1`);
      r.rflags = Number(v);
      return;
    case 'cr0':
      checkRange(name, v, 0xffffffffn);
      if ((v & ~BigInt(SUPPORTED_CR0)) !== 0n) bad(`cr0 ${hex(v)} sets reserved bits`);
      r.cr0 = Number(v) >>> 0;
      return;
    case 'cr2':
      checkRange(name, v, U64_MAX);
      if (!isCanonical(v)) bad(`cr2 ${hex(v)} is not canonical (this implementation holds CR2 as a linear address)`);
      r.cr2 = fromU64(v);
      return;
    case 'cr3':
      checkRange(name, v, BigInt(cpu.caps.physicalAddressLimit) - 1n);
      r.cr3 = Number(v);
      return;
    case 'cr4':
      checkRange(name, v, 0xffffffffn);
      if ((v & ~BigInt(cpu.caps.profile.cr4Supported)) !== 0n) bad(`cr4 ${hex(v)} sets bits this processor does not implement (${hex(BigInt(cpu.caps.profile.cr4Supported))} exist)`);
      r.cr4 = Number(v) >>> 0;
      return;
    case 'cr8':
      checkRange(name, v, 15n);
      r.cr8 = Number(v);
      return;
    case 'gdtr.base':
    case 'idtr.base':
      checkRange(name, v, U64_MAX);
      if (!isCanonical(v)) bad(`${name} ${hex(v)} is not canonical`);
      if (name === 'gdtr.base') r.gdtrBase = fromU64(v);
      else r.idtrBase = fromU64(v);
      return;
    case 'gdtr.limit':
    case 'idtr.limit':
      checkRange(name, v, 0xffffn);
      if (name === 'gdtr.limit') r.gdtrLimit = Number(v);
      else r.idtrLimit = Number(v);
      return;
    case 'cpl':
      checkRange(name, v, 3n);
      setCpl(cpu, Number(v));
      return;
    case 'vmx.mode':
    case 'activity':
      bad(`${name} is read-only`);
  }
  if (DR_NAMES.has(name)) {
    const n = Number(name[2]);
    checkRange(name, v, n >= 6 ? 0xffffffffn : U64_MAX);
    r.dr[n] = v;
    return;
  }
  const seg = segmentName(name);
  if (seg !== undefined) {
    const [i, part] = seg;
    if (part === 'selector') {
      checkRange(name, v, 0xffffn);
      r.segSelector[i] = Number(v);
    } else if (part === 'base') {
      checkRange(name, v, U64_MAX);
      if (!isCanonical(v)) bad(`${name} ${hex(v)} is not canonical`);
      r.segBase[i] = fromU64(v);
    } else if (part === 'limit') {
      checkRange(name, v, 0xffffffffn);
      r.segLimit[i] = Number(v);
    } else {
      checkRange(name, v, 0x1ffffn);
      if ((Number(v) & SEG_AR.RESERVED_MASK) !== 0) bad(`${name} ${hex(v)} sets reserved access-rights bits 11:8`);
      r.segAccess[i] = Number(v);
    }
    return;
  }
  const msr = parseMsrName(name);
  if (msr !== undefined) {
    checkRange(name, v, U64_MAX);
    setMsr(cpu, name, msr, v);
    return;
  }
  bad(`unknown state name "${name}"; ${NAME_HELP}`);
}

/** CPL is CS.RPL; SS.RPL and SS.DPL equal it (SDM Vol. 3A 5.5 "Privilege Levels"). */
function setCpl(cpu: LogicalProcessor, cpl: number): void {
  const r = cpu.regs;
  r.cpl = cpl;
  r.segSelector[1] = (r.segSelectorView[1] & ~3) | cpl;
  r.segSelector[2] = (r.segSelectorView[2] & ~3) | cpl;
  r.segAccess[2] = (r.segAccessView[2] & ~SEG_AR.DPL_MASK) | (cpl << SEG_AR.DPL_SHIFT);
  if ((r.segAccessView[1] & 0x4) === 0) r.segAccess[1] = (r.segAccessView[1] & ~SEG_AR.DPL_MASK) | (cpl << SEG_AR.DPL_SHIFT);
}

function setMsr(cpu: LogicalProcessor, name: string, msr: number, v: bigint): void {
  if (cpu.caps.msr(msr) !== undefined) bad(`${name} is a read-only VMX capability MSR; choose a profile instead`);
  if (msr === MSR.IA32_FEATURE_CONTROL) {
    // Models the firmware's choice, so it is settable even when locked; only the bits the profile has exist.
    const exist = BigInt(featureControlBits(cpu.caps.profile));
    if ((v & ~exist) !== 0n) bad(`${name} ${hex(v)}: only bits ${hex(exist)} exist on this processor (lock, VMX enables, and the SMX/SGX enables the profile has)`);
    cpu.featureControl = Number(v);
    return;
  }
  if (readMsr(cpu, msr) === undefined) bad(`${name} is not implemented by this processor (WRMSR of it raises #GP)`);
  if (msr === MSR.IA32_EFER) {
    // Set up directly (LMA is recomputed from LME and CR0.PG after the whole setState).
    if ((v & ~BigInt(IA32_EFER.SCE | IA32_EFER.LME | IA32_EFER.LMA | IA32_EFER.NXE)) !== 0n) bad(`${name} ${hex(v)} sets reserved bits`);
    cpu.regs.efer = Number(v);
    return;
  }
  if (!writeMsr(cpu, msr, v)) bad(`${name} cannot hold ${hex(v)} (WRMSR of it raises #GP)`);
}
