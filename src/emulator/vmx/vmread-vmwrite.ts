/**
 * VMREAD and VMWRITE in VMX root operation (SDM Vol. 3C 31.3 "VMREAD—Read Field from Virtual-Machine
 * Control Structure", "VMWRITE—Write Field to Virtual-Machine Control Structure"), and the component access
 * both share with VMCS shadowing in non-root operation (25.10 "VMCS Types: Ordinary and Shadow").
 *
 * Hot path: no allocation. Encodings and values arrive as 32-bit halves; the read value is left in
 * cpu.readLo/readHi.
 */
import * as ns_arch from '../../arch';
import * as ns_capabilities from '../capabilities';
import { type MachineCapabilities } from '../capabilities';
import type { LogicalProcessor } from '../processor';
import * as ns_vmcs_layout from '../vmcs/layout';
import type { Vmcs } from '../vmcs/vmcs';
import type { InstrResult } from './conventions';
import * as ns_common from './common';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { VMERR } = ns_arch;
const { DENSE_MASK, HIGH_ACCESS } = ns_capabilities;
const { FIELD_TYPE, FIELD_WIDTH, T_EXIT_INFO, W16, W32 } = ns_vmcs_layout;
const { raiseGP0, raiseUD, vmFailInvalid, vmFailValid, vmSucceed, vmxInstructionUD } = ns_common;

/**
 * The encodingTable entry for a VMREAD/VMWRITE register operand, or -1 when it "does not correspond to any
 * VMCS field" this processor supports. Outside 64-bit mode the operand is 32 bits wide, so bits 63:32 do not
 * exist; in 64-bit mode any of bits 63:15 set means no field.
 */
export function componentOf(caps: MachineCapabilities, encLo: number, encHi: number, is64: boolean): number {
  if (is64 && encHi !== 0) return -1;
  if (encLo >>> 0 >= 0x8000) return -1;
  return caps.encodingTable[encLo];
}

/** Read a component into cpu.readLo/readHi, shaped to the operand size (64 or 32 bits). */
export function readComponent(cpu: LogicalProcessor, vmcs: Vmcs, entry: number, is64: boolean): void {
  const d = entry & DENSE_MASK;
  if ((entry & HIGH_ACCESS) !== 0) {
    cpu.readLo = vmcs.hi[d];
    cpu.readHi = 0;
  } else {
    cpu.readLo = vmcs.lo[d];
    cpu.readHi = is64 ? vmcs.hi[d] : 0;
  }
}

/**
 * Write a component. "If the VMCS field specified by the secondary source operand is shorter than the
 * effective operand size, the high bits of the primary source operand are ignored. If the VMCS field is
 * longer than the effective operand size, the high bits of the field are cleared to 0." A high access
 * writes bits 63:32 of the 64-bit field and leaves bits 31:0.
 */
export function writeComponent(vmcs: Vmcs, entry: number, is64: boolean, lo: number, hi: number): void {
  const d = entry & DENSE_MASK;
  if ((entry & HIGH_ACCESS) !== 0) {
    vmcs.write(d, vmcs.lo[d], lo >>> 0);
    return;
  }
  switch (FIELD_WIDTH[d]) {
    case W16:
      vmcs.write(d, lo & 0xffff, 0);
      return;
    case W32:
      vmcs.write(d, lo >>> 0, 0);
      return;
    default:
      vmcs.write(d, lo >>> 0, is64 ? hi >>> 0 : 0);
  }
}

/** Is the component one VMWRITE may not write (a VM-exit information field without IA32_VMX_MISC[29])? */
export function componentReadOnly(caps: MachineCapabilities, entry: number): boolean {
  return !caps.vmwriteAnyField && FIELD_TYPE[entry & DENSE_MASK] === T_EXIT_INFO;
}

export function vmread(cpu: LogicalProcessor, encLo: number, encHi: number): InstrResult {
  if (vmxInstructionUD(cpu)) return raiseUD(cpu);
  if (cpu.regs.cpl > 0) return raiseGP0(cpu);
  const vmcs = cpu.current;
  if (vmcs === null) return vmFailInvalid(cpu);
  const is64 = cpu.in64BitMode();
  const entry = componentOf(cpu.caps, encLo, encHi, is64);
  if (entry < 0) return vmFailValid(cpu, VMERR.UNSUPPORTED_VMCS_COMPONENT);
  readComponent(cpu, vmcs, entry, is64);
  return vmSucceed(cpu);
}

export function vmwrite(cpu: LogicalProcessor, encLo: number, encHi: number, lo: number, hi: number): InstrResult {
  if (vmxInstructionUD(cpu)) return raiseUD(cpu);
  if (cpu.regs.cpl > 0) return raiseGP0(cpu);
  const vmcs = cpu.current;
  if (vmcs === null) return vmFailInvalid(cpu);
  const is64 = cpu.in64BitMode();
  const entry = componentOf(cpu.caps, encLo, encHi, is64);
  if (entry < 0) return vmFailValid(cpu, VMERR.UNSUPPORTED_VMCS_COMPONENT);
  if (componentReadOnly(cpu.caps, entry)) return vmFailValid(cpu, VMERR.VMWRITE_READ_ONLY_COMPONENT);
  writeComponent(vmcs, entry, is64, lo, hi);
  return vmSucceed(cpu);
}
