/**
 * EPT translation of guest-physical addresses (SDM Vol. 3C 29.3 "The Extended Page Table Mechanism (EPT)"):
 * the 4-level walk (29.3.2, Tables "Format of an EPT PML4 Entry" … "Format of an EPT Page-Table Entry",
 * 2-MiB and 1-GiB pages), EPT misconfigurations (29.3.3.1, exit reason 49) and EPT violations (29.3.3.2,
 * exit reason 48, qualification per 28.2.1 Table "Exit Qualification for EPT Violations").
 *
 * Not modelled: accessed/dirty flags (not offered: IA32_VMX_EPT_VPID_CAP[21] = 0), mode-based execute
 * control, sub-page permissions, #VE, 5-level walks. The caller (the interpreter's TLB) caches results.
 */
import * as ns_arch from '../../arch';
import type { LogicalProcessor } from '../processor';
import type { Vmcs } from '../vmcs/vmcs';
import * as ns_vmcs_layout from '../vmcs/layout';
import * as ns_exit_vm_exit from '../exit/vm-exit';
import * as ns_x86_platform from '../x86/platform';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { EXIT, EPT_VIOLATION } = ns_arch;
const { V } = ns_vmcs_layout;
const { beginExit, completeExit } = ns_exit_vm_exit;
const { GPA_FETCH, GPA_LINEAR_VALID, GPA_PAGING_STRUCTURE, GPA_WRITE } = ns_x86_platform;

const TWO32 = 4294967296;
/** Memory types valid in a leaf entry's bits 5:3 (0 UC, 1 WC, 4 WT, 5 WP, 6 WB). */
const VALID_MEMTYPE = (1 << 0) | (1 << 1) | (1 << 4) | (1 << 5) | (1 << 6);

/** Is a present entry misconfigured (29.3.3.1)? `level` 4 = PML4E … 1 = PTE; `leaf` for large pages. */
function misconfigured(lo: number, hi: number, level: number, leaf: boolean, width: number): boolean {
  const perm = lo & 7;
  if (perm === 2 || perm === 6) return true; // write-only or write/execute without read
  if (width < 52 && (hi & 0xfffff) >>> (width - 32) !== 0) return true; // bits 51:MAXPHYADDR
  // Non-leaf entries: bits 7:3 are reserved in a PML4E, bits 6:3 in a PDPTE or PDE that references a table.
  if (!leaf) return (lo & (level === 4 ? 0xf8 : 0x78)) !== 0;
  if (((VALID_MEMTYPE >>> ((lo >>> 3) & 7)) & 1) === 0) return true;
  if (level === 3 && (lo & 0x3ffff000) !== 0) return true; // 1-GiB page: bits 29:12 reserved
  if (level === 2 && (lo & 0x001ff000) !== 0) return true; // 2-MiB page: bits 20:12 reserved
  return false;
}

function eptExit(cpu: LogicalProcessor, reason: number, qualification: number, gpa: number, access: number, linear: number): void {
  const e = beginExit(cpu, reason);
  e.qualLo = qualification >>> 0;
  e.hasGuestPhysical = true;
  e.gpaLo = gpa >>> 0;
  e.gpaHi = Math.floor(gpa / TWO32) >>> 0;
  if (reason === EXIT.EPT_VIOLATION && (access & GPA_LINEAR_VALID) !== 0) {
    e.hasGuestLinear = true;
    e.glaLo = linear >>> 0;
    e.glaHi = Math.floor(linear / TWO32) >>> 0;
  }
  const f = cpu.facts;
  if (f.idtVectoringValid) {
    e.idtInfo = (0x80000000 | (f.idtVectoringType << 8) | (f.idtVectoringVector & 0xff) | (f.idtVectoringErrorCode >= 0 ? 1 << 11 : 0)) >>> 0;
    if (f.idtVectoringErrorCode >= 0) e.idtErrorCode = f.idtVectoringErrorCode;
  }
  completeExit(cpu);
}

/**
 * Translate `gpa` for an access of kind `access` (GPA_* bits). Returns the host-physical address, or -1 after
 * performing the VM exit for an EPT violation or misconfiguration.
 */
export function eptTranslate(cpu: LogicalProcessor, vmcs: Vmcs, gpa: number, access: number, linear: number): number {
  const mem = cpu.memory;
  const width = cpu.caps.physicalAddressWidth;
  let table = (vmcs.hi[V.EPT_POINTER] & 0xfffff) * TWO32 + ((vmcs.lo[V.EPT_POINTER] & 0xfffff000) >>> 0);
  let r = 1, w = 1, x = 1;
  for (let level = 4; level >= 1; level--) {
    const shift = 12 + 9 * (level - 1);
    const index = Math.floor(gpa / 2 ** shift) & 0x1ff;
    const a = table + index * 8;
    const lo = mem.read32(a);
    const hi = mem.read32(a + 4);
    const perm = lo & 7;
    r &= perm & 1;
    w &= (perm >>> 1) & 1;
    x &= (perm >>> 2) & 1;
    if (perm === 0) return violation(cpu, access, r, w, x, gpa, linear);
    const leaf = level === 1 || ((level === 2 || level === 3) && (lo & 0x80) !== 0);
    if (misconfigured(lo, hi, level, leaf, width)) {
      eptExit(cpu, EXIT.EPT_MISCONFIG, 0, gpa, access, linear);
      return -1;
    }
    const frame = (hi & 0xfffff) * TWO32 + ((lo & 0xfffff000) >>> 0);
    if (leaf) {
      const need = (access & GPA_FETCH) !== 0 ? x : (access & GPA_WRITE) !== 0 ? w : r;
      if (need === 0) return violation(cpu, access, r, w, x, gpa, linear);
      const size = 2 ** shift;
      return frame - (frame % size) + (gpa % size);
    }
    table = frame;
  }
  return -1; // not reached: level 1 is always a leaf
}

function violation(cpu: LogicalProcessor, access: number, r: number, w: number, x: number, gpa: number, linear: number): number {
  let q = (access & GPA_FETCH) !== 0 ? EPT_VIOLATION.FETCH : (access & GPA_WRITE) !== 0 ? EPT_VIOLATION.WRITE : EPT_VIOLATION.READ;
  if (r !== 0) q |= EPT_VIOLATION.READABLE;
  if (w !== 0) q |= EPT_VIOLATION.WRITABLE;
  if (x !== 0) q |= EPT_VIOLATION.EXECUTABLE;
  if ((access & GPA_LINEAR_VALID) !== 0) {
    q |= EPT_VIOLATION.GUEST_LINEAR_ADDRESS_VALID;
    if ((access & GPA_PAGING_STRUCTURE) === 0) q |= EPT_VIOLATION.TRANSLATED_ACCESS;
  }
  eptExit(cpu, EXIT.EPT_VIOLATION, q, gpa, access, linear);
  return -1;
}
