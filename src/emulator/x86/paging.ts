/**
 * Linear → physical translation (SDM Vol. 3A Chapter 4 "Paging"): 4-level paging (4.5), PAE paging (4.4)
 * and 32-bit paging (4.3); 4-KiB, 2-MiB/4-MiB and 1-GiB pages; access rights (4.6) with U/S, R/W, CR0.WP,
 * XD (EFER.NXE), SMEP and SMAP; accessed and dirty flags (4.8); page-fault error codes (4.7).
 *
 * With the platform's EPT hook every guest-physical access (paging-structure reads, A/D updates, the final
 * access) goes through Platform.translateGuestPhysical, and the TLB caches the combined linear →
 * host-physical mapping (SDM 29.4.1 "Information That May Be Cached": combined mappings).
 *
 * The TLB is direct-mapped (256 entries) and tagged (Platform.translationTag, e.g. the VPID). It is flushed
 * on MOV to CR3 / CR0 / CR4 paging bits and INVLPG / INVPCID here, and by the VMX layer through
 * Interpreter.flushTlb / invalidatePage (INVEPT, INVVPID, VM entry/exit without VPID). Over-flushing is always
 * architecturally allowed (SDM 4.10.4 / 29.4.3); these are the points where it must happen.
 *
 * Simplification: PAE paging reads the PDPTEs from memory at each walk instead of caching them at MOV CR3
 * (SDM 4.4.1); no protection keys.
 */
import * as ns_exec from './exec';
import type { Exec } from './exec';
import * as ns_flags from './flags';
import * as ns_platform from './platform';
import { fault } from './exec';
// Imported bindings rebound to module constants: under tsx/esbuild's CommonJS output each use of an
// imported name is a getter call, which costs on the hot path.
const { PF_VEC, GP, SS_VEC, STOP } = ns_exec;
const { materialize } = ns_flags;
const { GPA_FETCH, GPA_LINEAR_VALID, GPA_PAGING_STRUCTURE, GPA_READ, GPA_WRITE, GPA_AD_UPDATE } = ns_platform;

/** Access kinds. */
export const ACC_READ = 0;
export const ACC_WRITE = 1;
/** A user-mode access (CPL 3, not an implicit supervisor access). */
export const ACC_USER = 2;
export const ACC_FETCH = 4;
/** Implicit supervisor access (descriptor tables, TSS, interrupt stack frames): SMAP applies regardless of AC. */
export const ACC_IMPLICIT = 8;

/** TLB permission bits: the AND of R/W and U/S over all levels, the OR of XD, the leaf's D bit, EPT-checked access kinds. */
const P_W = 1;
const P_U = 2;
const P_NX = 4;
const P_D = 8;
const P_EPT_R = 16;
const P_EPT_W = 32;
const P_EPT_X = 64;

const TLB_SIZE = 256;
const CR0_WP = 1 << 16;
const CR4_PSE = 1 << 4;
const CR4_PAE = 1 << 5;
const CR4_SMEP = 1 << 20;
const CR4_SMAP = 1 << 21;
const EFER_NXE = 1 << 11;
const EFER_LMA = 1 << 10;
const RFLAGS_AC = 1 << 18;

export class Tlb {
  readonly page = new Float64Array(TLB_SIZE).fill(NaN);
  readonly ctx = new Float64Array(TLB_SIZE);
  readonly phys = new Float64Array(TLB_SIZE);
  readonly perm = new Uint8Array(TLB_SIZE);
  /** Bumped on every flush so the interpreter's cached code-page translation is dropped too. */
  epoch = 0;
  /**
   * False only while every entry is invalid (set by each insertion in `walk`): flushing an empty TLB (a VM
   * entry right after the VM exit that flushed it, without VPIDs) costs nothing.
   */
  live = false;

  flushAll(): void {
    if (this.live) {
      this.page.fill(NaN);
      this.live = false;
    }
    this.epoch++;
  }
  flushTag(tag: number): void {
    for (let i = 0; i < TLB_SIZE; i++) if (this.ctx[i] === tag) this.page[i] = NaN;
    this.epoch++;
  }
  flushPage(linear: number): void {
    const pn = Math.floor(linear / 4096);
    const i = pn & (TLB_SIZE - 1);
    if (this.page[i] === pn) this.page[i] = NaN;
    this.epoch++;
  }
}

const MIN_CANONICAL = -0x800000000000;
const MAX_CANONICAL = 0x800000000000;

/** Non-canonical address in 64-bit mode: #GP(0), or #SS(0) for stack-segment references (SDM 3.3.7.1). */
export function checkCanonical(x: Exec, la: number, ssRelative: boolean): void {
  if (la < MIN_CANONICAL || la >= MAX_CANONICAL) fault(x, ssRelative ? SS_VEC : GP, 0);
}

/** Translate a linear address; faults (#PF, #GP) are raised, EPT exits stop the run. */
export function translate(x: Exec, la: number, acc: number): number {
  if (!x.paging && x.ept === undefined) return x.mode64 ? la : la >>> 0;
  const tlb = x.tlb;
  const pn = Math.floor(la / 4096);
  const i = pn & (TLB_SIZE - 1);
  if (tlb.page[i] === pn && tlb.ctx[i] === x.tag && permitted(x, tlb.perm[i], acc)) {
    return tlb.phys[i] + (la - pn * 4096);
  }
  return walk(x, la, acc, pn, i);
}

function permitted(x: Exec, perm: number, acc: number): boolean {
  if (x.ept !== undefined) {
    const need = (acc & ACC_FETCH) !== 0 ? P_EPT_X : (acc & ACC_WRITE) !== 0 ? P_EPT_W : P_EPT_R;
    if ((perm & need) === 0) return false;
  }
  if (!x.paging) return true;
  return rightsOk(x, perm, acc) && ((acc & ACC_WRITE) === 0 || (perm & P_D) !== 0);
}

/** SDM 4.6 "Access Rights". */
function rightsOk(x: Exec, perm: number, acc: number): boolean {
  const regs = x.regs;
  const user = (acc & ACC_USER) !== 0;
  const write = (acc & ACC_WRITE) !== 0;
  const fetch = (acc & ACC_FETCH) !== 0;
  if (fetch && (perm & P_NX) !== 0) return false;
  if (user) {
    if ((perm & P_U) === 0) return false;
    if (write && (perm & P_W) === 0) return false;
    return true;
  }
  // Supervisor-mode access.
  if ((perm & P_U) !== 0) {
    if (fetch && (regs.cr4 & CR4_SMEP) !== 0) return false;
    if (!fetch && (regs.cr4 & CR4_SMAP) !== 0 && ((acc & ACC_IMPLICIT) !== 0 || (regs.rflags & RFLAGS_AC) === 0)) return false;
  }
  if (write && (perm & P_W) === 0 && (regs.cr0 & CR0_WP) !== 0) return false;
  return true;
}

function pageFault(x: Exec, la: number, acc: number, present: boolean, reserved: boolean): never {
  const regs = x.regs;
  let code = present ? 1 : 0;
  if ((acc & ACC_WRITE) !== 0) code |= 2;
  if ((acc & ACC_USER) !== 0) code |= 4;
  if (reserved) code |= 8 | 1;
  if ((acc & ACC_FETCH) !== 0 && ((regs.efer & EFER_NXE) !== 0 || (regs.cr4 & CR4_SMEP) !== 0)) code |= 16;
  x.excAddress = la;
  return fault(x, PF_VEC, code);
}

/** Guest-physical → host-physical for one access (identity without EPT). */
function gpaToHpa(x: Exec, gpa: number, access: number, la: number): number {
  const ept = x.ept;
  if (ept === undefined) return gpa;
  // The hook may perform a VM exit: it must see RFLAGS and the faulting instruction's RIP.
  materialize(x);
  const next = x.regs.rip;
  x.regs.rip = x.ripCur;
  x.cpu.runSteps = x.steps;
  const hpa = ept(x.cpu, gpa, access | GPA_LINEAR_VALID, la);
  if (hpa < 0) throw STOP;
  x.regs.rip = next;
  return hpa;
}

function accessKind(acc: number): number {
  return (acc & ACC_FETCH) !== 0 ? GPA_FETCH : (acc & ACC_WRITE) !== 0 ? GPA_WRITE : GPA_READ;
}

/** Scratch for walks (no allocation): entry addresses (host-physical) and widths, to set A/D afterwards. */
const walkAddr = new Float64Array(5);
const walkGpa = new Float64Array(5);

function reservedMask(x: Exec): number {
  // Bits 51:MAXPHYADDR of a 64-bit entry, as a mask of bits 63:32.
  const w = Math.min(52, Math.max(32, x.maxPhys));
  return (0xfffff & ~((1 << (w - 32)) - 1)) >>> 0;
}

function walk(x: Exec, la: number, acc: number, pn: number, slot: number): number {
  const regs = x.regs;
  let phys: number;
  let perm: number;
  if (!x.paging) {
    // EPT without guest paging: the linear address is the guest-physical address.
    const gpa = x.mode64 ? la : la >>> 0;
    // The exact guest-physical address goes to the hook (an EPT violation reports it, SDM 28.2.1); EPT maps
    // whole 4-KiB pages, so the TLB keeps the page of the result.
    phys = gpaToHpa(x, gpa, accessKind(acc), la);
    perm = P_W | P_U | P_D;
  } else if ((regs.efer & EFER_LMA) !== 0) {
    phys = walk64(x, la, acc);
    perm = walkPerm;
  } else if ((regs.cr4 & CR4_PAE) !== 0) {
    phys = walkPae(x, la, acc);
    perm = walkPerm;
  } else {
    phys = walk32(x, la, acc);
    perm = walkPerm;
  }
  if (x.ept !== undefined) perm |= (acc & ACC_FETCH) !== 0 ? P_EPT_X : (acc & ACC_WRITE) !== 0 ? P_EPT_W | P_EPT_R : P_EPT_R;
  const tlb = x.tlb;
  // Keep EPT permissions already established for the same page.
  if (tlb.page[slot] === pn && tlb.ctx[slot] === x.tag && tlb.phys[slot] === phys - (la - pn * 4096)) {
    perm |= tlb.perm[slot] & (P_EPT_R | P_EPT_W | P_EPT_X);
  }
  tlb.page[slot] = pn;
  tlb.live = true;
  tlb.ctx[slot] = x.tag;
  tlb.phys[slot] = phys - (la - pn * 4096);
  tlb.perm[slot] = perm;
  return phys;
}

/**
 * The walks return the physical address and leave the TLB permission bits in walkPerm (no allocation: a
 * TLB miss is once per VM entry for a guest without VPIDs).
 */
let walkPerm = 0;

/** SDM 4.5 "4-Level Paging and 5-Level Paging" (4-level only). */
function walk64(x: Exec, la: number, acc: number): number {
  const regs = x.regs;
  const mem = x.mem;
  const nxe = (regs.efer & EFER_NXE) !== 0;
  const rsvdHi = (reservedMask(x) | (nxe ? 0 : 0x80000000)) >>> 0;
  // Linear-address bits: 47:39 PML4, 38:30 PDPT, 29:21 PD, 20:12 PT.
  const hiLa = Math.floor(la / 4294967296);
  const loLa = la >>> 0;
  const idx0 = (hiLa >>> 7) & 0x1ff; // bits 47:39
  const idx1 = ((hiLa & 0x7f) << 2) | (loLa >>> 30); // bits 38:30
  const idx2 = (loLa >>> 21) & 0x1ff; // bits 29:21
  const idx3 = (loLa >>> 12) & 0x1ff; // bits 20:12
  // CR3 is a non-negative integer below 2^52: bits 31:12 and 51:32 of the PML4 address, integer operations only.
  let tableLo = (regs.cr3 >>> 0) & 0xfffff000;
  let tableHi = Math.floor(regs.cr3 / 4294967296) & 0xfffff;
  let rw = P_W;
  let us = P_U;
  let nx = 0;
  let levels = 0;
  for (let level = 0; level < 4; level++) {
    const idx = level === 0 ? idx0 : level === 1 ? idx1 : level === 2 ? idx2 : idx3;
    const gpa = tableHi * 4294967296 + (tableLo >>> 0) + idx * 8;
    const hpa = gpaToHpa(x, gpa, GPA_READ | GPA_PAGING_STRUCTURE, la);
    walkAddr[level] = hpa;
    walkGpa[level] = gpa;
    levels = level + 1;
    const lo = mem.read32(hpa);
    const hi = mem.read32(hpa + 4);
    if ((lo & 1) === 0) pageFault(x, la, acc, false, false);
    let rsvd = (hi & rsvdHi) !== 0;
    const ps = (lo & 0x80) !== 0;
    if (level === 0 && ps) rsvd = true; // PML4E bit 7 is reserved
    if (level === 1 && ps && (lo & 0x3fffe000) !== 0) rsvd = true; // 1-GiB page: bits 29:13
    if (level === 2 && ps && (lo & 0x001fe000) !== 0) rsvd = true; // 2-MiB page: bits 20:13
    if (rsvd) pageFault(x, la, acc, true, true);
    if ((lo & 2) === 0) rw = 0;
    if ((lo & 4) === 0) us = 0;
    if (nxe && (hi & 0x80000000) !== 0) nx = P_NX;
    const addrHi = hi & 0xfffff;
    if (level === 3 || ((level === 1 || level === 2) && ps)) {
      const perm = rw | us | nx | ((lo & 0x40) !== 0 ? P_D : 0);
      // Page size 2^12, 2^21 or 2^30: the frame is the entry's address bits above it, the offset the
      // linear address's bits below it (integer masks; la is an integer, so la >>> 0 keeps bits 31:0).
      const offsetMask = level === 3 ? 0xfff : level === 2 ? 0x1fffff : 0x3fffffff;
      const frame = addrHi * 4294967296 + ((lo & ~offsetMask) >>> 0);
      const gpaFinal = frame + ((la >>> 0) & offsetMask);
      return finish(x, la, acc, perm, levels, gpaFinal);
    }
    tableLo = lo & ~0xfff;
    tableHi = addrHi;
  }
  throw new Error('unreachable');
}

/** SDM 4.4 "PAE Paging". */
function walkPae(x: Exec, la: number, acc: number): number {
  const regs = x.regs;
  const mem = x.mem;
  const nxe = (regs.efer & EFER_NXE) !== 0;
  const rsvdHi = (reservedMask(x) | (nxe ? 0 : 0x80000000)) >>> 0;
  const l = la >>> 0;
  let rw = P_W;
  let us = P_U;
  let nx = 0;
  // PDPTE: CR3 bits 31:5 locate the 32-byte PDPT; PDPTEs have no R/W, U/S or XD (SDM Table 4-8).
  const pdpteGpa = (regs.cr3 & 0xffffffe0) + (l >>> 30) * 8;
  const pdpteHpa = gpaToHpa(x, pdpteGpa, GPA_READ | GPA_PAGING_STRUCTURE, la);
  const plo = mem.read32(pdpteHpa);
  const phi = mem.read32(pdpteHpa + 4);
  if ((plo & 1) === 0) pageFault(x, la, acc, false, false);
  if ((phi & reservedMask(x)) !== 0 || (plo & 0x1e6) !== 0) pageFault(x, la, acc, true, true);
  let tableGpa = (phi & 0xfffff) * 4294967296 + ((plo & ~0xfff) >>> 0);
  for (let level = 0; level < 2; level++) {
    const gpa = tableGpa + (level === 0 ? (l >>> 21) & 0x1ff : (l >>> 12) & 0x1ff) * 8;
    const hpa = gpaToHpa(x, gpa, GPA_READ | GPA_PAGING_STRUCTURE, la);
    walkAddr[level] = hpa;
    walkGpa[level] = gpa;
    const lo = mem.read32(hpa);
    const hi = mem.read32(hpa + 4);
    if ((lo & 1) === 0) pageFault(x, la, acc, false, false);
    const ps = level === 0 && (lo & 0x80) !== 0;
    if ((hi & rsvdHi) !== 0 || (ps && (lo & 0x001fe000) !== 0)) pageFault(x, la, acc, true, true);
    if ((lo & 2) === 0) rw = 0;
    if ((lo & 4) === 0) us = 0;
    if (nxe && (hi & 0x80000000) !== 0) nx = P_NX;
    const frame = (hi & 0xfffff) * 4294967296 + ((lo & ~0xfff) >>> 0);
    if (ps || level === 1) {
      const size = ps ? 0x200000 : 0x1000;
      const gpaFinal = frame - (frame % size) + (l % size);
      return finish(x, la, acc, rw | us | nx | ((lo & 0x40) !== 0 ? P_D : 0), level + 1, gpaFinal);
    }
    tableGpa = frame;
  }
  throw new Error('unreachable');
}

/** SDM 4.3 "32-Bit Paging" (4-MiB pages with CR4.PSE; PSE-36 bits ignored). */
function walk32(x: Exec, la: number, acc: number): number {
  const regs = x.regs;
  const mem = x.mem;
  const l = la >>> 0;
  let rw = P_W;
  let us = P_U;
  let table = (regs.cr3 & 0xfffff000) >>> 0;
  for (let level = 0; level < 2; level++) {
    const gpa = table + (level === 0 ? l >>> 22 : (l >>> 12) & 0x3ff) * 4;
    const hpa = gpaToHpa(x, gpa, GPA_READ | GPA_PAGING_STRUCTURE, la);
    walkAddr[level] = hpa;
    walkGpa[level] = gpa;
    const e = mem.read32(hpa);
    if ((e & 1) === 0) pageFault(x, la, acc, false, false);
    if ((e & 2) === 0) rw = 0;
    if ((e & 4) === 0) us = 0;
    const big = level === 0 && (e & 0x80) !== 0 && (regs.cr4 & CR4_PSE) !== 0;
    if (big || level === 1) {
      const gpaFinal = big ? ((e & 0xffc00000) >>> 0) + (l & 0x3fffff) : ((e & 0xfffff000) >>> 0) + (l & 0xfff);
      return finish(x, la, acc, rw | us | ((e & 0x40) !== 0 ? P_D : 0), level + 1, gpaFinal);
    }
    table = (e & 0xfffff000) >>> 0;
  }
  throw new Error('unreachable');
}

/** Rights check, A/D updates (SDM 4.8) and the final guest-physical → host-physical step. */
function finish(x: Exec, la: number, acc: number, perm: number, levels: number, gpaFinal: number): number {
  if (!rightsOk(x, perm, acc)) pageFault(x, la, acc, true, false);
  const mem = x.mem;
  // Accessed flags on every entry used, dirty flag on the leaf for a write.
  for (let k = 0; k < levels; k++) {
    const hpa = walkAddr[k];
    const e = mem.read32(hpa);
    const wantD = k === levels - 1 && (acc & ACC_WRITE) !== 0;
    const upd = e | 0x20 | (wantD ? 0x40 : 0);
    if (upd !== e) {
      const whpa = x.ept === undefined ? hpa : gpaToHpa(x, walkGpa[k], GPA_WRITE | GPA_PAGING_STRUCTURE | GPA_AD_UPDATE, la);
      mem.write32(whpa, upd);
    }
  }
  if ((acc & ACC_WRITE) !== 0) perm |= P_D;
  const hpa = gpaToHpa(x, gpaFinal, accessKind(acc), la);
  walkPerm = perm;
  return hpa;
}
