/**
 * Segment descriptors (SDM Vol. 3A 3.4.5 "Segment Descriptors", 3.5 "System Descriptor Types", 8.2.3 "TSS
 * Descriptor in 64-bit mode") and loading segment registers, plus the processor mode derived from CS and
 * EFER (SDM Vol. 3A 2.2 "Modes of Operation", 9.8.5 "Initializing IA-32e Mode").
 *
 * Descriptor caches keep the VMCS access-rights format (SDM 25.4.1 Table "Format of Access Rights").
 */
import * as ns_access from './access';
import * as ns_exec from './exec';
import type { Exec } from './exec';
import * as ns_paging from './paging';
import { fault } from './exec';
// Imported bindings rebound to module constants: under tsx/esbuild's CommonJS output each use of an
// imported name is a getter call, which costs on the hot path.
const { rdSys32, wrSys8 } = ns_access;
const { GP, NP, SS_VEC } = ns_exec;
const { ACC_USER } = ns_paging;

const EFER_LMA = 1 << 10;
export const AR_UNUSABLE = 1 << 16;
const AR_L = 1 << 13;
const AR_DB = 1 << 14;

/** Scratch results of readDescriptor (no allocation). */
export const desc = { lo: 0, hi: 0, hi2: 0, hi3: 0 };

/** The 8 bytes (and for system descriptors in IA-32e mode, 16 bytes) of the descriptor for `sel`. */
export function readDescriptor(x: Exec, sel: number, errorExt: number, wide = false): void {
  const regs = x.regs;
  const ti = (sel & 4) !== 0;
  const base = ti ? regs.segBaseView[6] : regs.gdtrBase;
  const limit = ti ? ((regs.segAccessView[6] & AR_UNUSABLE) !== 0 ? -1 : regs.segLimitView[6]) : regs.gdtrLimit;
  const end = (sel & 0xfff8) + (wide ? 15 : 7);
  if (end > limit) fault(x, GP, (sel & 0xfffc) + errorExt);
  const la = base + (sel & 0xfff8);
  desc.lo = rdSys32(x, la);
  desc.hi = rdSys32(x, la + 4);
  if (wide) {
    desc.hi2 = rdSys32(x, la + 8);
    desc.hi3 = rdSys32(x, la + 12);
  }
}

export function accessRights(hi: number): number {
  return (hi >>> 8) & 0xf0ff;
}
export function descriptorBase(lo: number, hi: number): number {
  return ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
}
export function descriptorLimit(lo: number, hi: number): number {
  const raw = (lo & 0xffff) | (hi & 0xf0000);
  return (hi & 0x800000) !== 0 ? ((raw << 12) | 0xfff) >>> 0 : raw;
}

/** Set the accessed bit of a code/data descriptor in memory (SDM 3.4.5.1). */
export function markAccessed(x: Exec, sel: number): void {
  if ((desc.hi & 0x100) !== 0) return;
  const regs = x.regs;
  const base = (sel & 4) !== 0 ? regs.segBaseView[6] : regs.gdtrBase;
  desc.hi |= 0x100;
  wrSys8(x, base + (sel & 0xfff8) + 5, (desc.hi >>> 8) & 0xff);
}

export function setSegment(x: Exec, seg: number, sel: number, base: number, limit: number, access: number): void {
  const regs = x.regs;
  regs.segSelector[seg] = sel;
  regs.segBase[seg] = base;
  regs.segLimit[seg] = limit;
  regs.segAccess[seg] = access;
}

/** Recompute the cached mode after CS, CPL, CR0 or EFER changed. */
export function updateMode(x: Exec): void {
  const regs = x.regs;
  const cs = regs.segAccessView[1];
  x.mode64 = (regs.efer & EFER_LMA) !== 0 && (cs & AR_L) !== 0;
  x.bitness = x.mode64 ? 64 : (cs & AR_DB) !== 0 ? 32 : 16;
  x.paging = (regs.cr0 & 0x80000000) !== 0;
  x.uacc = regs.cpl === 3 ? ACC_USER : 0;
  x.codeBase = NaN;
}

/**
 * MOV to DS/ES/FS/GS/SS and POP of a segment register (SDM Vol. 2 MOV "Operation", POP): protection checks
 * of a data-segment load. In 64-bit mode a null selector may be loaded into SS at CPL < 3 when RPL = CPL.
 */
export function loadDataSegment(x: Exec, seg: number, sel: number): void {
  const regs = x.regs;
  const cpl = regs.cpl;
  const rpl = sel & 3;
  if ((sel & 0xfffc) === 0) {
    if (seg === 2 && !(x.mode64 && cpl < 3 && rpl === cpl)) fault(x, GP, 0);
    setSegment(x, seg, sel, seg >= 4 && x.mode64 ? regs.segBaseView[seg] : 0, 0, AR_UNUSABLE | (seg === 2 ? cpl << 5 : 0));
    if (seg >= 4 && x.mode64) regs.segBase[seg] = 0;
    return;
  }
  readDescriptor(x, sel, 0);
  const ar = accessRights(desc.hi);
  const dpl = (ar >>> 5) & 3;
  const isCode = (ar & 0x18) === 0x18;
  const isData = (ar & 0x18) === 0x10;
  if (seg === 2) {
    // SS: writable data segment with RPL = DPL = CPL.
    if (rpl !== cpl || !isData || (ar & 2) === 0 || dpl !== cpl) fault(x, GP, sel & 0xfffc);
    if ((ar & 0x80) === 0) fault(x, SS_VEC, sel & 0xfffc);
  } else {
    // Data or readable code; for data and non-conforming code, DPL >= max(CPL, RPL).
    if (!(isData || (isCode && (ar & 2) !== 0))) fault(x, GP, sel & 0xfffc);
    const conformingCode = isCode && (ar & 4) !== 0;
    if (!conformingCode && (rpl > dpl || cpl > dpl)) fault(x, GP, sel & 0xfffc);
    if ((ar & 0x80) === 0) fault(x, NP, sel & 0xfffc);
  }
  markAccessed(x, sel);
  setSegment(x, seg, sel, descriptorBase(desc.lo, desc.hi), descriptorLimit(desc.lo, desc.hi), accessRights(desc.hi));
}

/** A flat data-segment cache for SS after a privilege change in 64-bit mode (null selector, SDM 6.14.4). */
export function nullStackSegment(x: Exec, cpl: number): void {
  setSegment(x, 2, cpl, 0, 0xffffffff, 0x93 | (cpl << 5) | 0xc000);
}
