/**
 * Linear → physical translation (SDM Vol. 3A Chapter 4 "Paging"): 4-level paging (4.5), PAE paging (4.4)
 * and 32-bit paging (4.3); 4-KiB, 2-MiB/4-MiB and 1-GiB pages; access rights (4.6) with U/S, R/W, CR0.WP,
 * XD (EFER.NXE), SMEP and SMAP; accessed and dirty flags (4.8); page-fault error codes (4.7).
 *
 * With the platform's EPT hook every guest-physical access (paging-structure reads, A/D updates, the final
 * access) goes through Platform.translateGuestPhysical, unless a cached guest-physical mapping serves it (when
 * the run's context names an EP4TA), and the TLB caches the combined linear → host-physical mapping (SDM 29.4.1
 * "Information That May Be Cached": guest-physical and combined mappings).
 *
 * The TLB (tlb.ts) is tagged by VPID and EP4TA and invalidated only where the SDM says (Vol. 3A 4.10.4.1, SDM
 * 29.4.3.1): here for page faults and EPT violations, by the instruction handlers for MOV to CR0/CR3/CR4 (in
 * VMX root operation; in non-root operation the platform does it), INVLPG and INVPCID, and by the VMX layer
 * (INVEPT, INVVPID, VM entries and exits without VPIDs). Paging structures are not cached apart from the
 * translations themselves (no paging-structure caches), so a TLB miss walks the tables as they are in memory.
 *
 * Simplification: PAE paging reads the PDPTEs from memory at each walk instead of caching them at MOV CR3
 * (SDM 4.4.1); no protection keys.
 */
import * as ns_exec from './exec';
import type { Exec } from './exec';
import * as ns_flags from './flags';
import * as ns_platform from './platform';
import { fault } from './exec';
import * as ns_tlb from './tlb';
// Imported bindings rebound to module constants: under tsx/esbuild's CommonJS output each use of an
// imported name is a getter call, which costs on the hot path.
const { PF_VEC, GP, SS_VEC, STOP } = ns_exec;
const { materialize } = ns_flags;
const { GPA_FETCH, GPA_LINEAR_VALID, GPA_PAGING_STRUCTURE, GPA_READ, GPA_WRITE, GPA_AD_UPDATE } = ns_platform;
const { GPA_BASE, NO_ID, PERM_GLOBAL, TLB_SETS } = ns_tlb;
export { Tlb } from './tlb';

/** Access kinds. */
export const ACC_READ = 0;
export const ACC_WRITE = 1;
/** A user-mode access (CPL 3, not an implicit supervisor access). */
export const ACC_USER = 2;
export const ACC_FETCH = 4;
/** Implicit supervisor access (descriptor tables, TSS, interrupt stack frames): SMAP applies regardless of AC. */
export const ACC_IMPLICIT = 8;

/**
 * TLB permission bits: the AND of R/W and U/S over all levels, the OR of XD, the leaf's D bit, EPT-checked access
 * kinds, and G (a global translation: CR4.PGE = 1 and G = 1 in the leaf, Vol. 3A 4.10.2.4).
 */
const P_W = 1;
const P_U = 2;
const P_NX = 4;
const P_D = 8;
const P_EPT_R = 16;
const P_EPT_W = 32;
const P_EPT_X = 64;
const P_G = PERM_GLOBAL;
const P_EPT = P_EPT_R | P_EPT_W | P_EPT_X;

const SET_MASK = TLB_SETS - 1;
const CR0_WP = 1 << 16;
const CR4_PSE = 1 << 4;
const CR4_PAE = 1 << 5;
const CR4_PGE = 1 << 7;
const CR4_SMEP = 1 << 20;
const CR4_SMAP = 1 << 21;
const EFER_NXE = 1 << 11;
const EFER_LMA = 1 << 10;
const RFLAGS_AC = 1 << 18;

const MIN_CANONICAL = -0x800000000000;
const MAX_CANONICAL = 0x800000000000;

/** Non-canonical address in 64-bit mode: #GP(0), or #SS(0) for stack-segment references (SDM 3.3.7.1). */
export function checkCanonical(x: Exec, la: number, ssRelative: boolean): void {
  if (la < MIN_CANONICAL || la >= MAX_CANONICAL) fault(x, ssRelative ? SS_VEC : GP, 0);
}

/** Translate a linear address; faults (#PF, #GP) are raised, EPT exits stop the run. */
export function translate(x: Exec, la: number, acc: number): number {
  if (!x.paging) {
    // Paging off: the linear address is the (guest-)physical address; with EPT, gpaToHpa uses the cached
    // guest-physical mappings (the exact address goes to the hook: an EPT violation reports it, SDM 28.2.1).
    const a = x.mode64 ? la : la >>> 0;
    return x.ept === undefined ? a : gpaToHpa(x, a, accessKind(acc), la);
  }
  const tlb = x.tlb;
  const page = tlb.page;
  const ctx = tlb.ctx;
  const pn = Math.floor(la / 4096);
  // tlb.ts setOf, inline: way 0 of the set, way 1 next to it.
  let i = ((pn ^ (pn >>> 9)) & SET_MASK) << 1;
  if (page[i] !== pn || (ctx[i] !== x.tag && ctx[i] !== x.gtag)) {
    i++;
    if (page[i] !== pn || (ctx[i] !== x.tag && ctx[i] !== x.gtag)) return walk(x, la, acc, pn);
  }
  if (permitted(x, tlb.perm[i], acc)) return tlb.phys[i] + (la - pn * 4096);
  return walk(x, la, acc, pn);
}

/**
 * Take the current ids of the run's translation context (at the start of a run and after an invalidation the
 * interpreter performs itself: ids of invalidated classes of entries are renewed, tlb.ts).
 */
export function retag(x: Exec): void {
  const tlb = x.tlb;
  const c = tlb.context(x.contextTag);
  x.tagTlb = tlb;
  x.tagSerial = tlb.serial;
  x.vpid = c.vpid;
  x.tag = c.id;
  x.gtag = c.gid;
  x.gpaTag = c.pid;
}

/**
 * Linear and combined mappings of the current VPID for one linear address (INVLPG; INVPCID individual-address,
 * which keeps global translations).
 */
export function invalidateAddress(x: Exec, la: number, retainGlobals = false): void {
  x.tlb.invalidateAddress(x.vpid, la, retainGlobals);
  x.codeBase = NaN;
}

/** Linear and combined mappings of the current VPID, all or all but global ones (MOV to CR0/CR3/CR4, INVPCID). */
export function invalidateCurrentVpid(x: Exec, retainGlobals: boolean): void {
  x.tlb.invalidateVpid(x.vpid, retainGlobals);
  retag(x);
  x.codeBase = NaN;
}

function permitted(x: Exec, perm: number, acc: number): boolean {
  if (x.ept !== undefined) {
    const need = (acc & ACC_FETCH) !== 0 ? P_EPT_X : (acc & ACC_WRITE) !== 0 ? P_EPT_W : P_EPT_R;
    if ((perm & need) === 0) return false;
  }
  return rightsOk(x, perm, acc) && ((acc & ACC_WRITE) === 0 || (perm & P_D) !== 0);
}

/** SDM 4.6 "Access Rights". */
function rightsOk(x: Exec, perm: number, acc: number): boolean {
  const regs = x.regs;
  const user = (acc & ACC_USER) !== 0;
  const write = (acc & ACC_WRITE) !== 0;
  const fetch = (acc & ACC_FETCH) !== 0;
  // XD counts only while IA32_EFER.NXE = 1 (Vol. 3A 4.6): a translation cached with NXE = 1 loses it with NXE.
  if (fetch && (perm & P_NX) !== 0 && (regs.efer & EFER_NXE) !== 0) return false;
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
  // A page fault invalidates the TLB entries for the faulting address's page number, in the current context
  // (Vol. 3A 4.10.4.1; with VMX, for the current VPID and EP4TA, SDM 29.4.3.1).
  x.tlb.invalidateAddressIn(x.tag, x.gtag, la);
  x.excAddress = la;
  return fault(x, PF_VEC, code);
}

/**
 * Guest-physical → host-physical for one access (identity without EPT). With EPT (the run's context names an
 * EP4TA) the guest-physical mappings are cached too, tagged by EP4TA (SDM 29.4.1, 29.4.2): a cached mapping that
 * allows the access is used without asking the platform; INVEPT invalidates them, and VM entries and exits do not
 * (29.4.3.2). An EPT violation or misconfiguration invalidates the mappings that would translate the address.
 */
function gpaToHpa(x: Exec, gpa: number, access: number, la: number): number {
  const ept = x.ept;
  if (ept === undefined) return gpa;
  const ptag = x.gpaTag;
  const need = (access & GPA_FETCH) !== 0 ? P_EPT_X : (access & GPA_WRITE) !== 0 ? P_EPT_W : P_EPT_R;
  const gpn = Math.floor(gpa / 4096);
  if (ptag !== NO_ID) {
    const tlb = x.tlb;
    const i = GPA_BASE + (((gpn ^ (gpn >>> 9)) & SET_MASK) << 1);
    if (tlb.page[i] === gpn && tlb.ctx[i] === ptag && (tlb.perm[i] & need) !== 0) return tlb.phys[i] + (gpa - gpn * 4096);
    if (tlb.page[i + 1] === gpn && tlb.ctx[i + 1] === ptag && (tlb.perm[i + 1] & need) !== 0) return tlb.phys[i + 1] + (gpa - gpn * 4096);
  }
  // The hook may perform a VM exit: it must see RFLAGS and the faulting instruction's RIP.
  materialize(x);
  const next = x.regs.rip;
  x.regs.rip = x.ripCur;
  x.cpu.runSteps = x.steps;
  const hpa = ept(x.cpu, gpa, access | GPA_LINEAR_VALID, la);
  if (hpa < 0) {
    // An EPT violation invalidates the guest-physical mappings that would translate the guest-physical address
    // and the combined mappings of the linear address (SDM 29.4.3.1); nothing is cached from a misconfigured
    // entry (29.4.2).
    if (x.paging) x.tlb.invalidateAddressIn(x.tag, x.gtag, la);
    if (ptag !== NO_ID) x.tlb.invalidateAddressIn(ptag, NO_ID, gpa, GPA_BASE);
    throw STOP;
  }
  x.regs.rip = next;
  if (ptag !== NO_ID) {
    // A write implies read access (write without read is an EPT misconfiguration, 29.3.3.1).
    const s = GPA_BASE + (((gpn ^ (gpn >>> 9)) & SET_MASK) << 1);
    x.tlb.insert(s, gpn, ptag, NO_ID, hpa - (gpa - gpn * 4096), need === P_EPT_W ? P_EPT_W | P_EPT_R : need, -1, 0, P_EPT);
  }
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

function walk(x: Exec, la: number, acc: number, pn: number): number {
  const regs = x.regs;
  let phys: number;
  let perm: number;
  if ((regs.efer & EFER_LMA) !== 0) {
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
  const global = (perm & P_G) !== 0;
  x.tlb.insert(((pn ^ (pn >>> 9)) & SET_MASK) << 1, pn, global ? x.gtag : x.tag, global ? x.tag : x.gtag, phys - (la - pn * 4096), perm, x.vpid, walkSize, P_EPT);
  return phys;
}

/**
 * The walks return the physical address and leave the TLB permission bits in walkPerm and log2(page size / 4 KiB)
 * in walkSize (no allocation).
 */
let walkPerm = 0;
let walkSize = 0;

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
      const perm = rw | us | nx | ((lo & 0x40) !== 0 ? P_D : 0) | globalBit(x, lo);
      walkSize = level === 3 ? 0 : level === 2 ? 9 : 18;
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
      walkSize = ps ? 9 : 0;
      return finish(x, la, acc, rw | us | nx | ((lo & 0x40) !== 0 ? P_D : 0) | globalBit(x, lo), level + 1, gpaFinal);
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
      walkSize = big ? 10 : 0;
      return finish(x, la, acc, rw | us | ((e & 0x40) !== 0 ? P_D : 0) | globalBit(x, e), level + 1, gpaFinal);
    }
    table = (e & 0xfffff000) >>> 0;
  }
  throw new Error('unreachable');
}

/** P_G for a leaf entry with G (bit 8) = 1 while CR4.PGE = 1 (Vol. 3A 4.10.2.4); G is ignored otherwise. */
function globalBit(x: Exec, leafLo: number): number {
  return (leafLo & 0x100) !== 0 && (x.regs.cr4 & CR4_PGE) !== 0 ? P_G : 0;
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
