/**
 * Running a logical processor in VMX non-root operation: what VM entry establishes just before the guest's
 * first instruction (SDM Vol. 3C 27.6 "Event Injection", 27.7 "Special Features of VM Entry": VMX-preemption
 * timer, monitor trap flag, pending MTF VM exit; 25.10 the shadow VMCS), and the loop that drives the
 * interpreter within a step budget, taking instruction-boundary events between runs.
 *
 * Time: a halted guest (HLT activity state) spends its step budget waiting, one TSC_PER_INSTRUCTION per step,
 * so the VMX-preemption timer still expires in HLT (implementation-specific; see timing.ts). While the
 * executor does not count retired instructions within a run (CpuContext.runSteps), the loop runs it in slices
 * of TIME_SLICE instructions, so the TSC (and with it RDTSC, PAUSE-loop exiting and the preemption-timer value
 * saved at an exit) advances at least every TIME_SLICE instructions; with runSteps it is exact per instruction.
 */
import { ContractError } from '../../contract/types';
import * as ns_arch from '../../arch';
import type { Machine } from '../machine';
import type { LogicalProcessor } from '../processor';
import type { Vmcs } from '../vmcs/vmcs';
import * as ns_vmcs_layout from '../vmcs/layout';
import type { EntryContext } from '../entry/context';
import * as ns_vmx_conventions from '../vmx/conventions';
import { type InstrResult } from '../vmx/conventions';
import * as ns_timing from '../timing';
import * as ns_events from './events';
import * as ns_shadow from './shadow';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { INTERRUPTIBILITY, INTR_INFO, INTR_TYPE, PIN, PROC, PROC2 } = ns_arch;
const { V } = ns_vmcs_layout;
const { R_SHUTDOWN, R_STILL_RUNNING, R_VM_EXIT } = ns_vmx_conventions;
const { TSC_PER_INSTRUCTION } = ns_timing;
const { atBoundary, boundaryWork } = ns_events;
const { resolveShadowVmcs } = ns_shadow;

/** Instructions per interpreter call when the executor cannot report time within a run (see above). */
export const TIME_SLICE = 64;

/** Establish non-root operation after guest state and MSRs were loaded (27.6, 27.7). */
export function enterNonRoot(m: Machine, cpu: LogicalProcessor, vmcs: Vmcs, x: EntryContext): void {
  cpu.nonRoot = true;
  cpu.shadowVmcs = (x.proc2 & PROC2.VMCS_SHADOWING) !== 0 ? resolveShadowVmcs(cpu, vmcs) : null;
  cpu.pleLast = -1;
  cpu.mtfPending = false;
  // 27.7.4 "VMX-Preemption Timer": loaded from the VMCS field; counts down from the VM entry on.
  cpu.preemptionActive = (x.pin & PIN.ACTIVATE_VMX_PREEMPTION_TIMER) !== 0;
  if (cpu.preemptionActive) {
    const unit = 2 ** cpu.caps.preemptionTimerRate;
    cpu.preemptionDeadline = (Math.floor(cpu.tsc / unit) + vmcs.lo[V.VMX_PREEMPTION_TIMER_VALUE]) * unit;
  }
  if (x.injecting) injectAtEntry(m, cpu, vmcs, x);
  if (cpu.nonRoot) cpu.pendingEvents = boundaryWork(cpu);
}

/** 27.6 "Event Injection" (27.6.1 vectored events through the guest IDT; 27.6.2 injection of a pending MTF). */
function injectAtEntry(m: Machine, cpu: LogicalProcessor, vmcs: Vmcs, x: EntryContext): void {
  const mtf = (x.proc & PROC.MONITOR_TRAP_FLAG) !== 0;
  if (x.injType === INTR_TYPE.OTHER_EVENT) {
    // Vector 0: a pending MTF VM exit, taken before the first guest instruction.
    cpu.mtfPending = true;
    return;
  }
  const exec = m.executor(cpu);
  if (exec === null) throw new ContractError('unsupported', 'event injection needs the x86 interpreter (src/emulator/x86), which is not attached');
  const code = (x.intrInfo & INTR_INFO.ERROR_CODE_VALID) !== 0 ? vmcs.lo[V.VM_ENTRY_EXCEPTION_ERROR_CODE] : -1;
  const soft = x.injType === INTR_TYPE.SOFTWARE_INTERRUPT || x.injType === INTR_TYPE.SOFTWARE_EXCEPTION ||
    x.injType === INTR_TYPE.PRIVILEGED_SOFTWARE_EXCEPTION;
  cpu.activityState = 0; // delivering an event leaves the HLT state (27.6.1)
  if (x.injType === INTR_TYPE.NMI && (x.pin & PIN.VIRTUAL_NMIS) !== 0) cpu.interruptibility |= INTERRUPTIBILITY.BLOCKING_BY_NMI;
  const delivered = exec.inject(cpu, x.injVector, x.injType, code, soft ? vmcs.lo[V.VM_ENTRY_INSTRUCTION_LEN] : 0);
  // 26.5.2: after injecting an exception or software interrupt, an MTF VM exit is pending before the handler runs.
  if (delivered && cpu.nonRoot && mtf && x.injType !== INTR_TYPE.EXTERNAL_INTERRUPT && x.injType !== INTR_TYPE.NMI) {
    cpu.mtfPending = true;
  }
}

/** The result once the processor has left non-root operation. */
function leftNonRoot(cpu: LogicalProcessor): InstrResult {
  return cpu.activityState === 2 ? R_SHUTDOWN : R_VM_EXIT;
}

/** Run the guest for at most `maxSteps` instructions. */
export function runNonRoot(m: Machine, cpu: LogicalProcessor, maxSteps: number): InstrResult {
  let steps = 0;
  const exec = m.executor(cpu);
  for (;;) {
    if (!cpu.nonRoot) {
      cpu.lastRunSteps = steps;
      return leftNonRoot(cpu);
    }
    if (cpu.pendingEvents) {
      if (atBoundary(cpu, exec) || !cpu.nonRoot) continue;
      cpu.pendingEvents = boundaryWork(cpu);
    }
    const remaining = maxSteps - steps;
    if (remaining <= 0) {
      cpu.lastRunSteps = steps;
      return R_STILL_RUNNING;
    }
    const vmcs = cpu.current!;
    const proc = vmcs.lo[V.PRIMARY_PROC_BASED_VM_EXEC_CONTROL];
    let n = remaining;
    if (cpu.preemptionActive) n = Math.max(1, Math.min(n, Math.ceil((cpu.preemptionDeadline - cpu.tsc) / TSC_PER_INSTRUCTION)));
    if (cpu.activityState !== 0) {
      // Halted, shutdown or waiting for SIPI: time passes; only boundary events can change anything.
      cpu.tsc += n * TSC_PER_INSTRUCTION;
      steps += n;
      continue;
    }
    if (exec === null) {
      throw new ContractError('unsupported', 'guest execution needs the x86 interpreter (src/emulator/x86), which is not attached');
    }
    const mtf = (proc & PROC.MONITOR_TRAP_FLAG) !== 0;
    if (mtf) n = 1;
    else if (!exec.tracksRunSteps && n > TIME_SLICE) n = TIME_SLICE;
    const t0 = cpu.tsc;
    cpu.runSteps = 0;
    const done = exec.run(cpu, n);
    cpu.tsc = t0 + done * TSC_PER_INSTRUCTION;
    cpu.runSteps = 0;
    steps += done;
    if (!cpu.nonRoot) continue;
    // 26.5.2 "Monitor Trap Flag": an MTF VM exit is pending after the instruction completes.
    if (mtf && done > 0) cpu.mtfPending = true;
    cpu.pendingEvents = boundaryWork(cpu);
    if (done < n && cpu.activityState === 0 && !cpu.pendingEvents) {
      // The interpreter stopped early without a VM exit or halt: nothing more can happen in this budget.
      cpu.lastRunSteps = steps;
      return R_STILL_RUNNING;
    }
  }
}
