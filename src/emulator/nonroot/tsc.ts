/**
 * Time as the guest sees it. The emulated TSC (timing.ts) advances per retired instruction; within one
 * interpreter run the instructions retired so far are counted in CpuContext.runSteps (maintained by the
 * interpreter when it supports it), so RDTSC in the middle of a run sees time advance.
 *
 * RDTSC/RDTSCP/RDMSR(IA32_TIME_STAMP_COUNTER) without a VM exit (SDM Vol. 3C 26.3 "Changes to Instruction
 * Behavior in VMX Non-Root Operation"; 25.6.5 "Time-Stamp Counter Offset and Multiplier"): with "use TSC
 * offsetting" the value is the TSC — multiplied by the TSC multiplier and shifted right by 48 when "use TSC
 * scaling" is also 1 — plus the TSC offset, modulo 2^64.
 */
import * as ns_arch from '../../arch';
import type { LogicalProcessor } from '../processor';
import * as ns_timing from '../timing';
import * as ns_vmcs_layout from '../vmcs/layout';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { PROC, PROC2 } = ns_arch;
const { TSC_PER_INSTRUCTION } = ns_timing;
const { V } = ns_vmcs_layout;

export function tscNow(cpu: LogicalProcessor): number {
  return cpu.tsc + cpu.runSteps * TSC_PER_INSTRUCTION;
}

export function guestTsc(cpu: LogicalProcessor): bigint {
  const tsc = BigInt(tscNow(cpu));
  const vmcs = cpu.current;
  if (!cpu.nonRoot || vmcs === null) return tsc;
  const proc = vmcs.lo[V.PRIMARY_PROC_BASED_VM_EXEC_CONTROL];
  if ((proc & PROC.USE_TSC_OFFSETTING) === 0) return tsc;
  let v = tsc;
  const p2 = (proc & PROC.ACTIVATE_SECONDARY_CONTROLS) !== 0 ? vmcs.lo[V.SECONDARY_VM_EXEC_CONTROL] : 0;
  if ((p2 & PROC2.USE_TSC_SCALING) !== 0) v = (v * vmcs.get64(V.TSC_MULTIPLIER)) >> 48n;
  return BigInt.asUintN(64, v + vmcs.get64(V.TSC_OFFSET));
}
