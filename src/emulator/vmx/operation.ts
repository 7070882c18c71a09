/**
 * Entering and leaving VMX operation, and VMCALL in VMX root operation:
 * SDM Vol. 3C 31.3 "VMXON—Enter VMX Operation", "VMXOFF—Leave VMX Operation", "VMCALL—Call to VM Monitor";
 * 24.7 "Enabling and Entering VMX Operation"; 24.8 "Restrictions on VMX Operation" (fixed CR0/CR4 bits).
 *
 * Each routine follows the order of the SDM pseudo-code. In VMX non-root operation these instructions cause
 * VM exits; that branch is taken by the non-root layer (nonroot/) before these routines are reached, so here
 * `cpu.nonRoot` is always false.
 */
import { FEATURE_CONTROL, VMERR } from '../../arch';
import type { LogicalProcessor } from '../processor';
import { RFLAGS_VM, type InstrResult } from './conventions';
import { joinAddress, raiseGP0, raiseUD, vmFail, vmFailInvalid, vmFailValid, vmSucceed, vmxAddressValid } from './common';

/** CR0 and CR4 values allowed in VMX operation (SDM 24.8; Appendix A.7, A.8). */
export function crValuesSupportedInVmx(cpu: LogicalProcessor, cr0: number, cr4: number): boolean {
  const c = cpu.caps;
  return (
    ((cr0 & c.cr0Fixed0) >>> 0) === c.cr0Fixed0 && (cr0 & ~c.cr0Fixed1) === 0 &&
    ((cr4 & c.cr4Fixed0) >>> 0) === c.cr4Fixed0 && (cr4 & ~c.cr4Fixed1) === 0
  );
}

/** VMXON with the 64-bit operand `addr` (halves lo/hi). */
export function vmxon(cpu: LogicalProcessor, lo: number, hi: number): InstrResult {
  const r = cpu.regs;
  if (!cpu.protectedMode() || !cpu.vmxeEnabled() || (r.rflags & RFLAGS_VM) !== 0 || cpu.inCompatibilityMode()) {
    return raiseUD(cpu);
  }
  if (!cpu.inVmx) {
    // No SMX and no A20M on this machine: "in SMX operation and bit 1 clear" and "in A20M mode" never apply.
    if (
      r.cpl > 0 ||
      !crValuesSupportedInVmx(cpu, r.cr0, r.cr4) ||
      (cpu.featureControl & FEATURE_CONTROL.LOCK) === 0 ||
      (cpu.featureControl & FEATURE_CONTROL.VMX_OUTSIDE_SMX) === 0
    ) {
      return raiseGP0(cpu);
    }
    if (!vmxAddressValid(cpu, lo, hi)) return vmFailInvalid(cpu);
    const addr = joinAddress(lo, hi);
    const rev = cpu.memory.read32(addr);
    if ((rev & 0x7fffffff) !== cpu.caps.revisionId || rev >>> 31 !== 0) return vmFailInvalid(cpu);
    cpu.current = null;
    cpu.inVmx = true;
    cpu.vmxonPointer = addr;
    // "block INIT signals": INIT is held pending while in VMX root operation (see events).
    return vmSucceed(cpu);
  }
  if (r.cpl > 0) return raiseGP0(cpu);
  if (cpu.current === null) return vmFailInvalid(cpu);
  return vmFailValid(cpu, VMERR.VMXON_IN_VMX_ROOT);
}

/**
 * VMXOFF. Implementation-specific: the data of VMCSs still active on this processor is written back to
 * their regions (as VMCLEAR would, launch state kept) and the processor forgets them. The SDM says software
 * should VMCLEAR them first (25.11 "Software Use of the VMCS and Related Structures").
 */
export function vmxoff(cpu: LogicalProcessor): InstrResult {
  const r = cpu.regs;
  if (!cpu.inVmx || !cpu.protectedMode() || (r.rflags & RFLAGS_VM) !== 0 || cpu.inCompatibilityMode()) {
    return raiseUD(cpu);
  }
  if (r.cpl > 0) return raiseGP0(cpu);
  // The dual-monitor treatment of SMIs and SMM is not supported, so it is never active (no error 23).
  for (const v of cpu.active.values()) v.storeTo(cpu.memory);
  cpu.active.clear();
  cpu.current = null;
  cpu.inVmx = false;
  return vmSucceed(cpu);
}

/**
 * VMCALL in VMX root operation: without the dual-monitor treatment (IA32_VMX_BASIC[49] = 0 on every
 * profile here) it fails with VMfail(1) "VMCALL executed in VMX root operation".
 */
export function vmcallRoot(cpu: LogicalProcessor): InstrResult {
  const r = cpu.regs;
  if (!cpu.inVmx) return raiseUD(cpu);
  if ((r.rflags & RFLAGS_VM) !== 0 || cpu.inCompatibilityMode()) return raiseUD(cpu);
  if (r.cpl > 0) return raiseGP0(cpu);
  return vmFail(cpu, VMERR.VMCALL_IN_VMX_ROOT);
}
