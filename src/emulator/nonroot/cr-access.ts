/**
 * Control-register accesses in VMX non-root operation: the exit decisions of SDM Vol. 3C 26.1.3 ("CLTS",
 * "LMSW", "MOV from CR3", "MOV from CR8", "MOV to CR0", "MOV to CR3", "MOV to CR4", "MOV to CR8") and the
 * changed behaviour when they do not exit (26.3 "Changes to Instruction Behavior in VMX Non-Root Operation":
 * guest/host masks and read shadows, 25.6.6; the TPR shadow, 30.1 "Virtual APIC State").
 */
import * as ns_arch from '../../arch';
import type { LogicalProcessor } from '../processor';
import * as ns_vmcs_layout from '../vmcs/layout';
import type { Vmcs } from '../vmcs/vmcs';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { CR0, PROC, PROC2 } = ns_arch;
const { V } = ns_vmcs_layout;

/** MOV to CR0/CR4 exits iff a bit owned by the host (mask 1) would be set to a value differing from the read shadow. */
export function movToCr0or4Exits(vmcs: Vmcs, cr: 0 | 4, lo: number, hi: number): boolean {
  const mask = cr === 0 ? V.CR0_GUEST_HOST_MASK : V.CR4_GUEST_HOST_MASK;
  const shadow = cr === 0 ? V.CR0_READ_SHADOW : V.CR4_READ_SHADOW;
  return ((lo ^ vmcs.lo[shadow]) & vmcs.lo[mask]) !== 0 || ((hi ^ vmcs.hi[shadow]) & vmcs.hi[mask]) !== 0;
}

/** CLTS exits iff CR0.TS is host-owned and the read shadow's TS is 1. */
export function cltsExits(vmcs: Vmcs): boolean {
  return (vmcs.lo[V.CR0_GUEST_HOST_MASK] & CR0.TS) !== 0 && (vmcs.lo[V.CR0_READ_SHADOW] & CR0.TS) !== 0;
}

/**
 * LMSW exits iff (a) CR0.PE is host-owned, the shadow's PE is 0 and the source's PE is 1, or (b) for any of MP,
 * EM, TS (bits 3:1) the bit is host-owned and the source differs from the shadow.
 */
export function lmswExits(vmcs: Vmcs, source: number): boolean {
  const mask = vmcs.lo[V.CR0_GUEST_HOST_MASK];
  const shadow = vmcs.lo[V.CR0_READ_SHADOW];
  if ((mask & CR0.PE) !== 0 && (shadow & CR0.PE) === 0 && (source & CR0.PE) !== 0) return true;
  return ((source ^ shadow) & mask & 0xe) !== 0;
}

const CR3_TARGETS = [V.CR3_TARGET_VALUE0, V.CR3_TARGET_VALUE1, V.CR3_TARGET_VALUE2, V.CR3_TARGET_VALUE3];

/**
 * MOV to CR3 exits iff "CR3-load exiting" is 1 and the source equals none of the first n CR3-target values,
 * n = CR3-target count (with n = 0 every MOV to CR3 exits).
 */
export function movToCr3Exits(vmcs: Vmcs, lo: number, hi: number): boolean {
  if ((vmcs.lo[V.PRIMARY_PROC_BASED_VM_EXEC_CONTROL] & PROC.CR3_LOAD_EXITING) === 0) return false;
  const n = vmcs.lo[V.CR3_TARGET_COUNT];
  for (let i = 0; i < n && i < CR3_TARGETS.length; i++) {
    if (vmcs.lo[CR3_TARGETS[i]] === lo >>> 0 && vmcs.hi[CR3_TARGETS[i]] === hi >>> 0) return false;
  }
  return true;
}

/** MOV from CR0/CR4 without an exit: host-owned bits come from the read shadow. Returns the 32-bit value. */
export function shadowedCr(cpu: LogicalProcessor, vmcs: Vmcs, cr: 0 | 4): number {
  const actual = cr === 0 ? cpu.regs.cr0 : cpu.regs.cr4;
  const mask = vmcs.lo[cr === 0 ? V.CR0_GUEST_HOST_MASK : V.CR4_GUEST_HOST_MASK];
  const shadow = vmcs.lo[cr === 0 ? V.CR0_READ_SHADOW : V.CR4_READ_SHADOW];
  return ((actual & ~mask) | (shadow & mask)) >>> 0;
}

/** The value MOV to CR0/CR4 (or CLTS/LMSW) writes without an exit: host-owned bits keep their current value. */
export function maskedCrWrite(cpu: LogicalProcessor, vmcs: Vmcs, cr: 0 | 4, lo: number): number {
  const actual = cr === 0 ? cpu.regs.cr0 : cpu.regs.cr4;
  const mask = vmcs.lo[cr === 0 ? V.CR0_GUEST_HOST_MASK : V.CR4_GUEST_HOST_MASK];
  return ((actual & mask) | (lo & ~mask)) >>> 0;
}

/** Is "use TPR shadow" on (MOV CR8 reads and writes the VTPR in the virtual-APIC page instead of CR8)? */
export function tprShadow(vmcs: Vmcs): boolean {
  return (vmcs.lo[V.PRIMARY_PROC_BASED_VM_EXEC_CONTROL] & PROC.USE_TPR_SHADOW) !== 0;
}

/** Physical address of VTPR (offset 80H of the virtual-APIC page). */
export function vtprAddress(vmcs: Vmcs): number {
  return vmcs.getUnsigned(V.VIRTUAL_APIC_PAGE_ADDR) + 0x80;
}

/**
 * After MOV to CR8 writes the VTPR without virtual-interrupt delivery: a trap-like "TPR below threshold" VM
 * exit if VTPR[7:4] < TPR threshold[3:0] (SDM 30.1.2 "TPR Virtualization").
 */
export function tprBelowThreshold(cpu: LogicalProcessor, vmcs: Vmcs): boolean {
  if ((vmcs.lo[V.PRIMARY_PROC_BASED_VM_EXEC_CONTROL] & PROC.ACTIVATE_SECONDARY_CONTROLS) !== 0 &&
      (vmcs.lo[V.SECONDARY_VM_EXEC_CONTROL] & PROC2.VIRTUAL_INTERRUPT_DELIVERY) !== 0) return false;
  const vtpr = cpu.memory.read8(vtprAddress(vmcs));
  return vtpr >>> 4 < (vmcs.lo[V.TPR_THRESHOLD] & 0xf);
}
