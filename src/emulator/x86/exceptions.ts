/**
 * Event delivery through the IDT (SDM Vol. 3A Chapter 6 "Interrupt and Exception Handling"):
 * 64-bit mode / IA-32e (6.14: 16-byte gates, stack switch from the TSS RSPn or IST, 16-byte alignment,
 * SS:RSP always pushed), protected mode (6.12.1: 8-byte gates, SS:ESP pushed on a privilege change),
 * error codes (6.13) and the double-fault and triple-fault rules (6.15 "Interrupt 8—Double Fault
 * Exception (#DF)", Table "Conditions for Generating a Double Fault").
 *
 * In VMX non-root operation the platform sees every event first (Platform.interceptEvent; SDM 26.2 "Other
 * Causes of VM Exits": exceptions by the exception bitmap), and a triple fault goes to Platform.tripleFault
 * (SDM 26.2 / exit reason 2). While an event is being delivered, facts.idtVectoring* describe it so that a VM
 * exit from a nested event can report IDT-vectoring information (SDM 28.2.4).
 */
import * as ns_access from './access';
import * as ns_exec from './exec';
import type { Exec } from './exec';
import * as ns_flags from './flags';
import * as ns_paging from './paging';
import * as ns_platform from './platform';
import * as ns_segments from './segments';
import { fault, UnsupportedInstructionError } from './exec';
// Imported bindings rebound to module constants: under tsx/esbuild's CommonJS output each use of an
// imported name is a getter call, which costs on the hot path.
const { getSp, rdSys32, rdSys64, setSp, wrSys32, wrSys64 } = ns_access;
const { FAULT, STOP, DF, GP, NP, PF_VEC, SS_VEC, TS } = ns_exec;
const { IF, NT, RF, TF, VM, materialize } = ns_flags;
const { checkCanonical } = ns_paging;
const { EXITED } = ns_platform;
const { accessRights, desc, descriptorBase, descriptorLimit, loadDataSegment, readDescriptor, setSegment, nullStackSegment, updateMode } = ns_segments;

/** Interruption types (SDM 25.8.3, Table "Format of the VM-Entry Interruption-Information Field"). */
export const T_EXTERNAL = 0;
export const T_NMI = 2;
export const T_HARDWARE = 3;
export const T_SOFTWARE_INT = 4;
export const T_PRIV_SOFTWARE = 5;
export const T_SOFTWARE_EXC = 6;

const CONTRIBUTORY = (1 << 0) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 13);
const TWO32 = 4294967296;

function isContributory(vector: number, type: number): boolean {
  return type === T_HARDWARE && vector < 32 && ((CONTRIBUTORY >>> vector) & 1) === 1;
}
function isPageFault(vector: number, type: number): boolean {
  return type === T_HARDWARE && vector === PF_VEC;
}

/**
 * Deliver an event. `nextRip` is the return address for software interrupts/exceptions (INT n, INT3, INTO,
 * INT1); faults return to x.ripCur. Returns false when the run must stop (VM exit, triple fault).
 * `intercept` = false for events injected at VM entry (they are not subject to the exception bitmap).
 */
export function deliverEvent(x: Exec, vector: number, type: number, errorCode: number, nextRip: number, intercept: boolean, instrLen = 0): boolean {
  const cpu = x.cpu;
  const facts = cpu.facts;
  let v = vector;
  let t = type;
  let code = errorCode;
  let nested = false;
  let pv = 0;
  let pt = 0;
  let pc = -1;
  for (;;) {
    facts.idtVectoringValid = nested;
    facts.idtVectoringVector = pv;
    facts.idtVectoringType = pt;
    facts.idtVectoringErrorCode = pc;
    if (cpu.nonRoot && (intercept || nested)) {
      materialize(x);
      // Fault-like and software events report the instruction's RIP and length (SDM 28.2.5, 28.3.3).
      x.regs.rip = t === T_EXTERNAL || t === T_NMI ? nextRip : x.ripCur;
      facts.length = instrLen;
      if (v === PF_VEC && t === T_HARDWARE) facts.linearAddress = BigInt.asUintN(64, BigInt(x.excAddress));
      facts.faultVector = -1;
      cpu.runSteps = x.steps;
      if (x.platform.interceptEvent(cpu, v, t, code < 0 ? undefined : code) === EXITED) return false;
    }
    facts.idtVectoringValid = true;
    facts.idtVectoringVector = v;
    facts.idtVectoringType = t;
    facts.idtVectoringErrorCode = code;
    try {
      // CR2 receives the faulting address when a #PF is delivered (not when it causes a VM exit).
      if (v === PF_VEC && t === T_HARDWARE) x.regs.cr2 = x.excAddress;
      const ret = t === T_SOFTWARE_INT || t === T_SOFTWARE_EXC || t === T_PRIV_SOFTWARE ? nextRip
        : t === T_EXTERNAL || t === T_NMI ? nextRip : x.ripCur;
      throughIdt(x, v, t, code, ret);
      facts.idtVectoringValid = false;
      if (t === T_NMI && cpu.interruptibility !== undefined) cpu.interruptibility |= 8;
      return true;
    } catch (e) {
      if (e === STOP) return false;
      if (e !== FAULT) throw e;
      const v2 = x.excVector;
      const c2 = x.excCode;
      const second = isContributory(v2, T_HARDWARE) || v2 === PF_VEC;
      if (t === T_HARDWARE && v === DF && second) {
        // SDM 6.15: a contributory exception or #PF while delivering #DF: triple fault → shutdown, or in
        // non-root operation a VM exit (after which cpu.nonRoot is false: decide on the state before).
        const wasNonRoot = cpu.nonRoot;
        materialize(x);
        cpu.runSteps = x.steps;
        x.platform.tripleFault(cpu);
        if (!wasNonRoot) cpu.activityState = 2;
        return false;
      }
      nested = true;
      pv = v;
      pt = t;
      pc = code;
      if ((isContributory(v, t) && isContributory(v2, T_HARDWARE)) || (isPageFault(v, t) && second)) {
        v = DF;
        code = 0;
      } else {
        v = v2;
        code = c2;
      }
      t = T_HARDWARE;
      instrLen = 0;
    }
  }
}

function throughIdt(x: Exec, vector: number, type: number, code: number, ret: number): void {
  const regs = x.regs;
  if ((regs.cr0 & 1) === 0) throw new UnsupportedInstructionError(`real-mode event delivery (vector ${vector})`);
  if ((regs.efer & (1 << 10)) !== 0) deliver64(x, vector, type, code, ret);
  else deliver32(x, vector, type, code, ret);
}

function extBit(type: number): number {
  return type === T_EXTERNAL || type === T_NMI || type === T_HARDWARE ? 1 : 0;
}

/** The code segment of a gate: present, code, DPL ≤ CPL (SDM 6.12.1.1 / 6.14.1). Returns the new CPL. */
function gateCodeSegment(x: Exec, sel: number, ext: number, want64: boolean): number {
  if ((sel & 0xfffc) === 0) fault(x, GP, ext);
  readDescriptor(x, sel, ext);
  const ar = accessRights(desc.hi);
  if ((ar & 0x18) !== 0x18) fault(x, GP, (sel & 0xfffc) + ext);
  if (want64 && ((ar & 0x2000) === 0 || (ar & 0x4000) !== 0)) fault(x, GP, (sel & 0xfffc) + ext);
  const dpl = (ar >>> 5) & 3;
  if (dpl > x.regs.cpl) fault(x, GP, (sel & 0xfffc) + ext);
  if ((ar & 0x80) === 0) fault(x, NP, (sel & 0xfffc) + ext);
  return (ar & 4) !== 0 ? x.regs.cpl : dpl;
}

function commitCs(x: Exec, sel: number, cpl: number): void {
  const regs = x.regs;
  setSegment(x, 1, (sel & 0xfffc) | cpl, descriptorBase(desc.lo, desc.hi), descriptorLimit(desc.lo, desc.hi), accessRights(desc.hi) | 1);
  regs.cpl = cpl;
}

/** SDM 6.14 "Exception and Interrupt Handling in 64-bit Mode". */
function deliver64(x: Exec, vector: number, type: number, code: number, ret: number): void {
  const regs = x.regs;
  const ext = extBit(type);
  const gateErr = vector * 8 + 2 + ext;
  if (vector * 16 + 15 > regs.idtrLimit) fault(x, GP, gateErr);
  const gla = regs.idtrBase + vector * 16;
  const w0 = rdSys32(x, gla);
  const w1 = rdSys32(x, gla + 4);
  const w2 = rdSys32(x, gla + 8);
  const gtype = (w1 >>> 8) & 0x1f;
  if (gtype !== 0x0e && gtype !== 0x0f) fault(x, GP, gateErr);
  // Software interrupts (INT n, INT3, INTO) check the gate DPL; INT1 and hardware events do not.
  if ((type === T_SOFTWARE_INT || type === T_SOFTWARE_EXC) && regs.cpl > ((w1 >>> 13) & 3)) fault(x, GP, vector * 8 + 2);
  if ((w1 & 0x8000) === 0) fault(x, NP, gateErr);
  const sel = w0 >>> 16;
  const target = (w2 | 0) * TWO32 + ((((w1 & 0xffff0000) | (w0 & 0xffff)) >>> 0));
  const ist = w1 & 7;
  const oldCpl = regs.cpl;
  const newCpl = gateCodeSegment(x, sel, ext, true);
  const csLo = desc.lo;
  const csHi = desc.hi;
  const oldSp = getSp(x);
  let sp = oldSp;
  if (newCpl < oldCpl || ist !== 0) {
    // SDM 6.14.4 / 6.14.5: RSPn or ISTn from the 64-bit TSS.
    const off = ist !== 0 ? 0x24 + (ist - 1) * 8 : 4 + newCpl * 8;
    if (off + 7 > regs.segLimitView[7]) fault(x, TS, (regs.segSelectorView[7] & 0xfffc) + ext);
    const lo = rdSys64(x, regs.segBaseView[7] + off);
    sp = (x.tHi | 0) * TWO32 + lo;
  }
  sp = Math.floor(sp / 16) * 16;
  const frame = code >= 0 ? 48 : 40;
  checkCanonical(x, sp - frame, true);
  materialize(x);
  const rflags = regs.rflags;
  const oldSsSel = regs.segSelectorView[2];
  const oldCsSel = regs.segSelectorView[1];
  wrSys64(x, sp - 8, oldSsSel, 0);
  wrSys64(x, sp - 16, oldSp >>> 0, Math.floor(oldSp / TWO32) >>> 0);
  wrSys64(x, sp - 24, rflags, 0);
  wrSys64(x, sp - 32, oldCsSel, 0);
  wrSys64(x, sp - 40, ret >>> 0, Math.floor(ret / TWO32) >>> 0);
  if (code >= 0) wrSys64(x, sp - 48, code >>> 0, 0);
  checkCanonical(x, target, false);
  // Commit.
  desc.lo = csLo;
  desc.hi = csHi;
  commitCs(x, sel, newCpl);
  if (newCpl < oldCpl) nullStackSegment(x, newCpl);
  regs.rflags = (rflags & ~(TF | NT | RF | VM | (gtypeIsInterrupt(gtype) ? IF : 0))) >>> 0;
  updateMode(x);
  setSp(x, sp - frame);
  regs.rip = target;
}

function gtypeIsInterrupt(gtype: number): boolean {
  return (gtype & 1) === 0; // 0xE/0x6 interrupt gates clear IF; 0xF/0x7 trap gates do not
}

/** SDM 6.12.1 "Exception- or Interrupt-Handler Procedures" (protected mode, no task gates, no virtual-8086). */
function deliver32(x: Exec, vector: number, type: number, code: number, ret: number): void {
  const regs = x.regs;
  const ext = extBit(type);
  const gateErr = vector * 8 + 2 + ext;
  if (vector * 8 + 7 > regs.idtrLimit) fault(x, GP, gateErr);
  const gla = (regs.idtrBase + vector * 8) >>> 0;
  const w0 = rdSys32(x, gla);
  const w1 = rdSys32(x, gla + 4);
  const gtype = (w1 >>> 8) & 0x1f;
  if (gtype === 0x05) throw new UnsupportedInstructionError(`task-gate delivery (vector ${vector})`);
  if (gtype !== 0x0e && gtype !== 0x0f && gtype !== 0x06 && gtype !== 0x07) fault(x, GP, gateErr);
  if ((type === T_SOFTWARE_INT || type === T_SOFTWARE_EXC) && regs.cpl > ((w1 >>> 13) & 3)) fault(x, GP, vector * 8 + 2);
  if ((w1 & 0x8000) === 0) fault(x, NP, gateErr);
  if ((regs.rflags & VM) !== 0) throw new UnsupportedInstructionError('virtual-8086 mode event delivery');
  const sel = w0 >>> 16;
  const size = (gtype & 8) !== 0 ? 4 : 2;
  const target = size === 4 ? ((w1 & 0xffff0000) | (w0 & 0xffff)) >>> 0 : w0 & 0xffff;
  const oldCpl = regs.cpl;
  const newCpl = gateCodeSegment(x, sel, ext, false);
  const csLo = desc.lo;
  const csHi = desc.hi;
  materialize(x);
  const rflags = regs.rflags;
  const oldSsSel = regs.segSelectorView[2];
  const oldSp = getSp(x);
  let ssBase = regs.segBaseView[2];
  let sp = oldSp;
  let newSs = -1;
  let ssLo = 0;
  let ssHi = 0;
  if (newCpl < oldCpl) {
    // SS:ESP for the new privilege level from the 32-bit TSS (SDM 7.2.1 "Task-State Segment").
    const tr = regs.segBaseView[7];
    if (8 + newCpl * 8 + 1 > regs.segLimitView[7]) fault(x, TS, (regs.segSelectorView[7] & 0xfffc) + ext);
    sp = rdSys32(x, tr + 4 + newCpl * 8);
    newSs = rdSys32(x, tr + 8 + newCpl * 8) & 0xffff;
    if ((newSs & 0xfffc) === 0 || (newSs & 3) !== newCpl) fault(x, TS, (newSs & 0xfffc) + ext);
    readDescriptor(x, newSs, ext);
    const ar = accessRights(desc.hi);
    if ((ar & 0x1a) !== 0x12 || ((ar >>> 5) & 3) !== newCpl) fault(x, TS, (newSs & 0xfffc) + ext);
    if ((ar & 0x80) === 0) fault(x, SS_VEC, (newSs & 0xfffc) + ext);
    ssLo = desc.lo;
    ssHi = desc.hi;
    ssBase = descriptorBase(ssLo, ssHi);
  }
  const slots: number[] = [];
  if (newSs >= 0) slots.push(oldSsSel, oldSp);
  slots.push(rflags, regs.segSelectorView[1], ret >>> 0);
  if (code >= 0) slots.push(code);
  let p = sp;
  for (const s of slots) {
    p -= size;
    const la = (ssBase + (p >>> 0)) >>> 0;
    if (size === 4) wrSys32(x, la, s);
    else { wrSys32(x, la, (rdSys32(x, la) & 0xffff0000) | (s & 0xffff)); }
  }
  desc.lo = csLo;
  desc.hi = csHi;
  commitCs(x, sel, newCpl);
  if (newSs >= 0) setSegment(x, 2, newSs, ssBase, descriptorLimit(ssLo, ssHi), accessRights(ssHi));
  regs.rflags = (rflags & ~(TF | NT | RF | VM | (gtypeIsInterrupt(gtype) ? IF : 0))) >>> 0;
  updateMode(x);
  x.lo[4] = p >>> 0;
  regs.rip = target;
}

/** IRET in IA-32e mode / protected mode (SDM Vol. 2 IRET/IRETD/IRETQ "Operation"; no task return, no virtual-8086). */
export function iret(x: Exec, size: number): void {
  const regs = x.regs;
  materialize(x);
  if ((regs.rflags & NT) !== 0) {
    if ((regs.efer & (1 << 10)) !== 0) fault(x, GP, 0);
    throw new UnsupportedInstructionError('IRET task return (NT = 1)');
  }
  const sp0 = getSp(x);
  const ssBase = x.mode64 ? 0 : regs.segBaseView[2];
  const rd = (k: number): number => {
    const a = x.mode64 ? sp0 + k * size : (ssBase + ((sp0 + k * size) >>> 0)) >>> 0;
    if (x.mode64) checkCanonical(x, a, true);
    if (size === 8) {
      const lo = rdSys64(x, a);
      return (x.tHi | 0) * TWO32 + lo;
    }
    return size === 4 ? rdSys32(x, a) : rdSys32(x, a) & 0xffff;
  };
  const newRip = rd(0);
  const csSel = rd(1) & 0xffff;
  const newFlags = rd(2) >>> 0;
  const cpl = regs.cpl;
  const rpl = csSel & 3;
  if ((csSel & 0xfffc) === 0) fault(x, GP, 0);
  if (rpl < cpl) fault(x, GP, csSel & 0xfffc);
  readDescriptor(x, csSel, 0);
  const ar = accessRights(desc.hi);
  if ((ar & 0x18) !== 0x18) fault(x, GP, csSel & 0xfffc);
  const dpl = (ar >>> 5) & 3;
  if ((ar & 4) !== 0 ? dpl > rpl : dpl !== rpl) fault(x, GP, csSel & 0xfffc);
  if ((ar & 0x80) === 0) fault(x, NP, csSel & 0xfffc);
  const csLo = desc.lo;
  const csHi = desc.hi;
  const to64 = (regs.efer & (1 << 10)) !== 0 && (ar & 0x2000) !== 0;
  const popStack = x.mode64 || rpl > cpl;
  let newSp = sp0 + 3 * size;
  let newSs = regs.segSelectorView[2];
  if (popStack) {
    newSp = rd(3);
    newSs = rd(4) & 0xffff;
  }
  if (to64) checkCanonical(x, newRip, false);
  // RFLAGS: IOPL only at CPL 0, IF only when CPL ≤ IOPL; VM, VIF, VIP are not restored here.
  const iopl = (regs.rflags >>> 12) & 3;
  let mask = 0x257fd5; // CF PF AF ZF SF TF IF DF OF IOPL NT RF AC ID (bits 0..21 except reserved, VM, VIF, VIP)
  mask &= ~(0x20000 | 0x80000 | 0x100000);
  if (cpl > 0) mask &= ~0x3000;
  if (cpl > iopl) mask &= ~IF;
  if (size === 2) mask &= 0xffff;
  regs.rflags = (((regs.rflags & ~mask) | (newFlags & mask)) | 2) >>> 0;
  if (popStack && rpl !== cpl || (x.mode64 && popStack)) {
    if ((newSs & 0xfffc) === 0) {
      // IA-32e: a null SS is allowed when returning to 64-bit mode at CPL < 3.
      if (!(to64 && rpl < 3)) fault(x, GP, 0);
      nullStackSegment(x, rpl);
      regs.segSelector[2] = newSs;
    } else {
      const savedCpl = regs.cpl;
      regs.cpl = rpl; // SS checks are made against the new CPL
      try {
        loadDataSegment(x, 2, newSs);
      } catch (e) {
        regs.cpl = savedCpl;
        throw e;
      }
    }
  }
  desc.lo = csLo;
  desc.hi = csHi;
  commitCs(x, csSel, rpl);
  if (rpl > cpl) {
    // Data segments not accessible at the new CPL become null (SDM IRET "RETURN-TO-OUTER-PRIVILEGE-LEVEL").
    for (const s of [0, 3, 4, 5]) {
      const sar = regs.segAccessView[s];
      const sdpl = (sar >>> 5) & 3;
      const conformingCode = (sar & 0x1c) === 0x1c;
      if ((sar & 0x10000) === 0 && !conformingCode && sdpl < rpl) {
        regs.segSelector[s] = 0;
        regs.segAccess[s] |= 0x10000;
      }
    }
  }
  updateMode(x);
  if (popStack || !x.mode64) setSp(x, newSp);
  regs.rip = to64 ? newRip : newRip >>> 0;
  if (x.cpu.interruptibility !== undefined) x.cpu.interruptibility &= ~8; // IRET unblocks NMIs (SDM 6.7.1)
}
