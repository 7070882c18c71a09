/**
 * The current-VMCS pointer and launch state: SDM Vol. 3C 31.3 "VMCLEAR—Clear Virtual-Machine Control
 * Structure", "VMPTRLD—Load Pointer to Virtual-Machine Control Structure", "VMPTRST—Store Pointer to
 * Virtual-Machine Control Structure"; 25.1 "Overview" (active/current VMCS, launch state); 25.11.3
 * "Initializing a VMCS".
 *
 * Model (implementation-specific within what 25.1 allows): a processor caches every VMCS made current on it
 * until VMCLEAR (or VMXOFF) writes the data back to the region; VMPTRLD of a VMCS not cached here reads its
 * data from the region (layout.ts), so a VMCS cleared on one logical processor can be loaded on another.
 */
import { VMERR } from '../../arch';
import { NO_VMCS, type LogicalProcessor } from '../processor';
import { REGION_LAUNCH_STATE } from '../vmcs/layout';
import { Vmcs } from '../vmcs/vmcs';
import type { InstrResult } from './conventions';
import { joinAddress, raiseGP0, raiseUD, vmFail, vmSucceed, vmxAddressValid, vmxInstructionUD } from './common';

export function vmclear(cpu: LogicalProcessor, lo: number, hi: number): InstrResult {
  if (vmxInstructionUD(cpu)) return raiseUD(cpu);
  if (cpu.regs.cpl > 0) return raiseGP0(cpu);
  if (!vmxAddressValid(cpu, lo, hi)) return vmFail(cpu, VMERR.VMCLEAR_INVALID_ADDRESS);
  const addr = joinAddress(lo, hi);
  if (addr === cpu.vmxonPointer) return vmFail(cpu, VMERR.VMCLEAR_VMXON_POINTER);
  const cached = cpu.active.get(addr);
  if (cached !== undefined) {
    cached.launched = false;
    cached.storeTo(cpu.memory);
    cpu.active.delete(addr);
  } else {
    // Not cached here: initialize the implementation-specific data in the region (the launch state).
    cpu.memory.write32(addr + REGION_LAUNCH_STATE, 0);
  }
  if (cpu.current !== null && cpu.current.address === addr) cpu.current = null;
  return vmSucceed(cpu);
}

export function vmptrld(cpu: LogicalProcessor, lo: number, hi: number): InstrResult {
  if (vmxInstructionUD(cpu)) return raiseUD(cpu);
  if (cpu.regs.cpl > 0) return raiseGP0(cpu);
  if (!vmxAddressValid(cpu, lo, hi)) return vmFail(cpu, VMERR.VMPTRLD_INVALID_ADDRESS);
  const addr = joinAddress(lo, hi);
  if (addr === cpu.vmxonPointer) return vmFail(cpu, VMERR.VMPTRLD_VMXON_POINTER);
  const rev = cpu.memory.read32(addr);
  const shadow = rev >>> 31 === 1;
  if ((rev & 0x7fffffff) !== cpu.caps.revisionId || (shadow && !cpu.caps.hasShadowing)) {
    return vmFail(cpu, VMERR.VMPTRLD_INCORRECT_REVISION);
  }
  let vmcs = cpu.active.get(addr);
  if (vmcs === undefined) {
    vmcs = new Vmcs(addr);
    vmcs.loadFrom(cpu.memory);
    cpu.active.set(addr, vmcs);
  }
  vmcs.shadow = shadow;
  cpu.current = vmcs;
  return vmSucceed(cpu);
}

/** VMPTRST; the stored pointer is left in cpu.readLo/readHi. */
export function vmptrst(cpu: LogicalProcessor): InstrResult {
  if (vmxInstructionUD(cpu)) return raiseUD(cpu);
  if (cpu.regs.cpl > 0) return raiseGP0(cpu);
  if (cpu.current === null) {
    cpu.readLo = Number(NO_VMCS & 0xffffffffn);
    cpu.readHi = Number(NO_VMCS >> 32n);
  } else {
    cpu.readLo = cpu.current.address >>> 0;
    cpu.readHi = Math.floor(cpu.current.address / 4294967296);
  }
  return vmSucceed(cpu);
}
