/**
 * Steps shared by the VMX instruction routines (SDM Vol. 3C 31.2 "Conventions" and the "Operation" sections
 * of Chapter 31 "VMX Instruction Reference").
 */
import type { LogicalProcessor } from '../processor';
import * as ns_vmcs_layout from '../vmcs/layout';
import * as ns_util_bits from '../util/bits';
import * as ns_conventions from './conventions';
import { type InstrResult } from './conventions';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { V } = ns_vmcs_layout;
const { alignedWithin, joinUnsigned } = ns_util_bits;
const { R_FAIL_INVALID, R_FAIL_VALID, R_FAULT, R_SUCCEED, RFLAGS_VM, VEC_GP, VEC_UD, vmFailInvalidFlags, vmFailValidFlags, vmSucceedFlags } = ns_conventions;

export function vmSucceed(cpu: LogicalProcessor): InstrResult {
  cpu.regs.rflags = vmSucceedFlags(cpu.regs.rflags);
  return R_SUCCEED;
}

export function vmFailInvalid(cpu: LogicalProcessor): InstrResult {
  cpu.regs.rflags = vmFailInvalidFlags(cpu.regs.rflags);
  return R_FAIL_INVALID;
}

/** VMfailValid(error): ZF ← 1 and the VM-instruction error field of the current VMCS ← error. */
export function vmFailValid(cpu: LogicalProcessor, error: number): InstrResult {
  cpu.regs.rflags = vmFailValidFlags(cpu.regs.rflags);
  cpu.current!.write32(V.VM_INSTRUCTION_ERROR, error);
  cpu.lastError = error;
  return R_FAIL_VALID;
}

/** VMfail(error): VMfailValid if there is a current VMCS, else VMfailInvalid. */
export function vmFail(cpu: LogicalProcessor, error: number): InstrResult {
  return cpu.current !== null ? vmFailValid(cpu, error) : vmFailInvalid(cpu);
}

export function raiseUD(cpu: LogicalProcessor): InstrResult {
  cpu.fault(VEC_UD);
  return R_FAULT;
}

export function raiseGP0(cpu: LogicalProcessor): InstrResult {
  cpu.fault(VEC_GP, 0);
  return R_FAULT;
}

/**
 * The first test of most VMX instructions: "IF (not in VMX operation) or (CR0.PE = 0) or (RFLAGS.VM = 1) or
 * (IA32_EFER.LMA = 1 and CS.L = 0) THEN #UD".
 */
export function vmxInstructionUD(cpu: LogicalProcessor): boolean {
  return !cpu.inVmx || !cpu.protectedMode() || (cpu.regs.rflags & RFLAGS_VM) !== 0 || cpu.inCompatibilityMode();
}

/**
 * Is a VMXON/VMCS physical address usable: 4-KiB aligned and within the VMX physical-address width
 * (SDM 31.3 "VMXON", "VMCLEAR", "VMPTRLD": "addr is not 4KB-aligned or addr sets any bits beyond the
 * physical-address width"). `addr` is the 64-bit operand split into halves.
 */
export function vmxAddressValid(cpu: LogicalProcessor, lo: number, hi: number): boolean {
  return alignedWithin(lo, hi, 4096, cpu.caps.vmxAddressWidth);
}

/** Physical address from halves already checked by vmxAddressValid (below 2^52, exact). */
export const joinAddress = joinUnsigned;
