/**
 * Executing a contract Instruction on a logical processor in VMX root operation or outside VMX operation.
 * The instruction arrives already decoded (no machine code): its operands are given directly, so there is
 * no memory-operand fetch and RIP is not advanced (implementation-specific to this contract level).
 * The emulated TSC advances by one instruction's worth.
 */
import { ContractError, type Instruction, type Outcome, type Diagnosed } from '../contract/types';
import { INTERRUPTIBILITY } from '../arch';
import type { Machine } from './machine';
import type { LogicalProcessor } from './processor';
import { cpuidLeaf } from './cpuid';
import { readMsr, writeMsr } from './msrs';
import { writeCr0, writeCr3, writeCr4 } from './control-registers';
import { R_COMPLETED, R_FAIL_INVALID, R_FAIL_VALID, R_FAULT, R_SHUTDOWN, R_STILL_RUNNING, R_SUCCEED, R_VM_EXIT, VEC_GP, type InstrResult } from './vmx/conventions';
import { vmcallRoot, vmxoff, vmxon } from './vmx/operation';
import { vmclear, vmptrld, vmptrst } from './vmx/vmcs-pointer';
import { vmread, vmwrite } from './vmx/vmread-vmwrite';
import { invept, invvpid } from './vmx/invalidation';
import { hi32, lo32 } from './requests';
import { vmLaunchOrResume } from './entry/vm-entry';
import { V } from './vmcs/layout';
import { TSC_PER_INSTRUCTION } from './timing';

const cpuidOut = new Uint32Array(4);

function completedFault(cpu: LogicalProcessor, vector: number): InstrResult {
  cpu.fault(vector, vector === VEC_GP ? 0 : -1);
  return R_FAULT;
}

/**
 * With `afterMovSs` the instruction runs right after a MOV to SS that reloads SS with its own selector: that
 * MOV retires (one more instruction of TSC time) and blocks events for exactly the next instruction (SDM Vol. 3A
 * 6.8.3 "Masking Exceptions and Interrupts When Switching Stacks"; Table "Format of Interruptibility State").
 */
export function executeRoot(
  m: Machine, cpu: LogicalProcessor, instr: Instruction, maxSteps: number, afterMovSs = false,
): Outcome & Diagnosed {
  if (cpu.nonRoot) {
    throw new ContractError('bad-request', `logical processor ${cpu.index} is in VMX non-root operation; continue it with run()`);
  }
  if (cpu.activityState !== 0) {
    throw new ContractError('bad-request', `logical processor ${cpu.index} is not active (activity state ${cpu.activityState}); it executes no instruction`);
  }
  cpu.failedRule = '';
  if (afterMovSs) {
    cpu.tsc += TSC_PER_INSTRUCTION;
    cpu.interruptibility |= INTERRUPTIBILITY.BLOCKING_BY_MOV_SS;
  }
  cpu.tsc += TSC_PER_INSTRUCTION;
  let values: Record<string, bigint> | undefined;
  let r: InstrResult;
  switch (instr.mnemonic) {
    case 'VMXON':
      r = vmxon(cpu, lo32(instr.address), hi32(instr.address));
      break;
    case 'VMXOFF':
      r = vmxoff(cpu);
      break;
    case 'VMCLEAR':
      r = vmclear(cpu, lo32(instr.address), hi32(instr.address));
      break;
    case 'VMPTRLD':
      r = vmptrld(cpu, lo32(instr.address), hi32(instr.address));
      break;
    case 'VMPTRST':
      r = vmptrst(cpu);
      break;
    case 'VMREAD':
      r = vmread(cpu, lo32(instr.encoding), hi32(instr.encoding));
      break;
    case 'VMWRITE':
      r = vmwrite(cpu, lo32(instr.encoding), hi32(instr.encoding), lo32(instr.value), hi32(instr.value));
      break;
    case 'VMCALL':
      r = vmcallRoot(cpu);
      break;
    case 'INVEPT':
      r = invept(cpu, lo32(instr.type), hi32(instr.type), lo32(instr.descriptor[0]), hi32(instr.descriptor[0]));
      break;
    case 'INVVPID':
      r = invvpid(cpu, lo32(instr.type), hi32(instr.type), lo32(instr.descriptor[0]), hi32(instr.descriptor[0]),
        lo32(instr.descriptor[1]), hi32(instr.descriptor[1]));
      break;
    case 'VMLAUNCH':
    case 'VMRESUME':
      r = vmLaunchOrResume(m, cpu, instr.mnemonic === 'VMLAUNCH', maxSteps);
      break;
    case 'CPUID':
      cpuidLeaf(cpu, instr.leaf, instr.subleaf ?? 0, cpuidOut);
      values = { eax: BigInt(cpuidOut[0]), ebx: BigInt(cpuidOut[1]), ecx: BigInt(cpuidOut[2]), edx: BigInt(cpuidOut[3]) };
      cpu.regs.setGpr(0, values.eax);
      cpu.regs.setGpr(3, values.ebx);
      cpu.regs.setGpr(1, values.ecx);
      cpu.regs.setGpr(2, values.edx);
      r = R_COMPLETED;
      break;
    case 'RDMSR': {
      if (cpu.regs.cpl > 0) { r = completedFault(cpu, VEC_GP); break; }
      const v = readMsr(cpu, instr.msr);
      if (v === undefined) { r = completedFault(cpu, VEC_GP); break; }
      values = { value: v };
      cpu.regs.setGpr(0, v & 0xffffffffn);
      cpu.regs.setGpr(2, v >> 32n);
      r = R_COMPLETED;
      break;
    }
    case 'WRMSR':
      r = cpu.regs.cpl > 0 || !writeMsr(cpu, instr.msr, instr.value) ? completedFault(cpu, VEC_GP) : R_COMPLETED;
      break;
    case 'MOV-TO-CR': {
      const lo = lo32(instr.value);
      const hi = hi32(instr.value);
      const ok = cpu.regs.cpl === 0 &&
        (instr.cr === 0 ? writeCr0(cpu, lo, hi) : instr.cr === 3 ? writeCr3(cpu, lo, hi) : writeCr4(cpu, lo, hi));
      r = ok ? R_COMPLETED : completedFault(cpu, VEC_GP);
      break;
    }
  }
  // The blocking lasts for this one instruction; a VM entry replaced it with the guest's own state.
  if (afterMovSs && !cpu.nonRoot && r !== R_VM_EXIT) cpu.interruptibility &= ~INTERRUPTIBILITY.BLOCKING_BY_MOV_SS;
  return toOutcome(cpu, r, instr.mnemonic, values);
}

/** The contract Outcome for an instruction result, read from the processor's scratch fields. */
export function toOutcome(
  cpu: LogicalProcessor, r: InstrResult, mnemonic: string, values?: Record<string, bigint>,
): Outcome & Diagnosed {
  let out: Outcome & Diagnosed;
  switch (r) {
    case R_SUCCEED:
      out = mnemonic === 'VMREAD' || mnemonic === 'VMPTRST'
        ? { kind: 'VMsucceed', value: (BigInt(cpu.readHi >>> 0) << 32n) | BigInt(cpu.readLo >>> 0) }
        : { kind: 'VMsucceed' };
      break;
    case R_FAIL_INVALID:
      out = { kind: 'VMfailInvalid' };
      break;
    case R_FAIL_VALID:
      out = { kind: 'VMfailValid', error: cpu.lastError };
      break;
    case R_FAULT:
      out = cpu.faultCode >= 0 ? { kind: 'fault', vector: cpu.faultVector, errorCode: cpu.faultCode } : { kind: 'fault', vector: cpu.faultVector };
      break;
    case R_VM_EXIT:
      out = { kind: 'vm-exit', exitReason: cpu.current!.lo[V.VM_EXIT_REASON] >>> 0 };
      break;
    case R_STILL_RUNNING:
      out = { kind: 'still-running', steps: cpu.lastRunSteps };
      break;
    case R_SHUTDOWN:
      out = { kind: 'shutdown' };
      break;
    default:
      out = values === undefined ? { kind: 'completed' } : { kind: 'completed', values };
  }
  if (cpu.failedRule !== '') out.notes = [cpu.failedRule];
  return out;
}
