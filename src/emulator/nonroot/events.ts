/**
 * Events in VMX non-root operation (SDM Vol. 3C 26.2 "Other Causes of VM Exits", 26.5 "Features Specific to
 * VMX Non-Root Operation", 26.7 "Changes to Event Blocking"):
 *  - exceptions against the exception bitmap and the #PF error-code mask/match (26.2), exit reason 0;
 *  - triple fault, exit reason 2;
 *  - at instruction boundaries, in priority order: INIT (3), SIPI in wait-for-SIPI (4), a pending MTF VM exit
 *    (37), VMX-preemption timer expiry (52), NMI-window exiting (8), NMIs (exit 0 with "NMI exiting", else
 *    delivered through the guest IDT), interrupt-window exiting (7), external interrupts (exit 1 with
 *    "external-interrupt exiting", else delivered through the guest IDT).
 *
 * Implementation-specific choices: SMIs are discarded (SMM is not modelled); with "external-interrupt
 * exiting" = 1 an external interrupt exits whatever RFLAGS.IF and STI/MOV-SS blocking say (as KVM models it);
 * without it, RFLAGS.IF = 0 or STI/MOV-SS blocking holds it pending.
 */
import * as ns_arch from '../../arch';
import type { LogicalProcessor } from '../processor';
import * as ns_vmcs_layout from '../vmcs/layout';
import type { Vmcs } from '../vmcs/vmcs';
import * as ns_exit_vm_exit from '../exit/vm-exit';
import * as ns_events from '../events';
import type { GuestExecutor } from '../entry/executor';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { EXIT, EXIT_CTL, INTERRUPTIBILITY, INTR_INFO, INTR_TYPE, PIN, PROC, RFLAGS, VECTOR, exceptionHasErrorCode } = ns_arch;
const { V } = ns_vmcs_layout;
const { beginExit, completeExit, setQualification } = ns_exit_vm_exit;
const { acknowledgeInterrupt, highestInterrupt } = ns_events;

const BLOCK_STI_MOVSS = INTERRUPTIBILITY.BLOCKING_BY_STI | INTERRUPTIBILITY.BLOCKING_BY_MOV_SS;

/** Record the IDT-vectoring information (28.2.4) when the exit interrupts the delivery of an event. */
function idtVectoring(cpu: LogicalProcessor): void {
  const f = cpu.facts;
  if (!f.idtVectoringValid) return;
  const e = cpu.exit;
  e.idtInfo = (INTR_INFO.VALID | (f.idtVectoringType << INTR_INFO.TYPE_SHIFT) | (f.idtVectoringVector & 0xff) |
    (f.idtVectoringErrorCode >= 0 ? INTR_INFO.ERROR_CODE_VALID : 0)) >>> 0;
  if (f.idtVectoringErrorCode >= 0) e.idtErrorCode = f.idtVectoringErrorCode;
}

/** Does exception `vector` with `errorCode` exit by the exception bitmap (26.2; #PF mask/match rule)? */
export function exceptionExits(vmcs: Vmcs, vector: number, errorCode: number): boolean {
  const bit = ((vmcs.lo[V.EXCEPTION_BITMAP] >>> vector) & 1) === 1;
  if (vector !== VECTOR.PF) return bit;
  const matches = ((errorCode & vmcs.lo[V.PAGE_FAULT_ERROR_CODE_MASK]) >>> 0) === vmcs.lo[V.PAGE_FAULT_ERROR_CODE_MATCH];
  return bit ? matches : !matches;
}

/**
 * Platform.interceptEvent: an event about to be delivered through the guest IDT. Exceptions (hardware,
 * privileged software INT1, software INT3/INTO) are checked against the exception bitmap; NMIs and external
 * interrupts reach here only when they are delivered (their exit decision was taken at the boundary).
 */
export function interceptEvent(cpu: LogicalProcessor, vector: number, type: number, errorCode: number | undefined): boolean {
  const vmcs = cpu.current;
  if (!cpu.nonRoot || vmcs === null) return false;
  if (type !== INTR_TYPE.HARDWARE_EXCEPTION && type !== INTR_TYPE.SOFTWARE_EXCEPTION &&
      type !== INTR_TYPE.PRIVILEGED_SOFTWARE_EXCEPTION) return false;
  const code = errorCode ?? 0;
  if (!exceptionExits(vmcs, vector, code)) return false;
  const e = beginExit(cpu, EXIT.EXCEPTION_NMI);
  const hasCode = errorCode !== undefined && type === INTR_TYPE.HARDWARE_EXCEPTION && exceptionHasErrorCode(vector);
  e.intrInfo = (INTR_INFO.VALID | (type << INTR_INFO.TYPE_SHIFT) | vector | (hasCode ? INTR_INFO.ERROR_CODE_VALID : 0)) >>> 0;
  if (hasCode) e.intrErrorCode = code >>> 0;
  // Exit qualification (28.2.1): #PF → the linear address that caused it; #DB → the DR6-format conditions.
  if (vector === VECTOR.PF) {
    const la = BigInt.asUintN(64, cpu.facts.linearAddress);
    e.qualLo = Number(la & 0xffffffffn);
    e.qualHi = Number(la >> 32n);
  } else if (vector === VECTOR.DB && type === INTR_TYPE.HARDWARE_EXCEPTION) {
    // B3–B0, BD and BS as DR6 would report them; DR6 itself is not updated by such a VM exit.
    setQualification(e, Number(cpu.regs.dr[6] & 0x600fn));
  }
  // Software exceptions and INT1 report the instruction length (28.2.5).
  if (type !== INTR_TYPE.HARDWARE_EXCEPTION) e.instrLen = cpu.facts.length;
  idtVectoring(cpu);
  completeExit(cpu);
  return true;
}

/** Platform.tripleFault in non-root operation: exit reason 2 (26.2). */
export function tripleFaultExit(cpu: LogicalProcessor): void {
  beginExit(cpu, EXIT.TRIPLE_FAULT);
  idtVectoring(cpu);
  completeExit(cpu);
}

function simpleExit(cpu: LogicalProcessor, reason: number, qualification = 0): void {
  const e = beginExit(cpu, reason);
  e.qualLo = qualification;
  completeExit(cpu);
}

function pin(vmcs: Vmcs): number {
  return vmcs.lo[V.PIN_BASED_VM_EXEC_CONTROL];
}
function proc(vmcs: Vmcs): number {
  return vmcs.lo[V.PRIMARY_PROC_BASED_VM_EXEC_CONTROL];
}

/**
 * Is anything able to act at an instruction boundary right now? Keeps CpuContext.pendingEvents exact so the
 * interpreter calls instructionBoundary only when it could matter.
 */
export function boundaryWork(cpu: LogicalProcessor): boolean {
  const vmcs = cpu.current;
  if (vmcs === null) return false;
  const p = proc(vmcs);
  return cpu.pendingInit || cpu.pendingSipi >= 0 || cpu.mtfPending || cpu.preemptionActive || cpu.pendingNmi ||
    cpu.irrCount !== 0 || cpu.pendingSmi || (p & (PROC.INTERRUPT_WINDOW_EXITING | PROC.NMI_WINDOW_EXITING)) !== 0;
}

/**
 * Take whatever is due at this instruction boundary. Returns true if a VM exit happened. May deliver an NMI or
 * an external interrupt through the guest IDT (through `exec`).
 */
export function atBoundary(cpu: LogicalProcessor, exec: GuestExecutor | null): boolean {
  const vmcs = cpu.current!;
  const blocking = cpu.interruptibility;
  const activity = cpu.activityState;
  if (cpu.pendingSmi) cpu.pendingSmi = false; // SMM is not modelled: the SMI is discarded.
  if (cpu.pendingInit) {
    cpu.pendingInit = false;
    simpleExit(cpu, EXIT.INIT_SIGNAL);
    return true;
  }
  if (cpu.pendingSipi >= 0) {
    const vector = cpu.pendingSipi;
    cpu.pendingSipi = -1;
    if (activity === 3) {
      simpleExit(cpu, EXIT.SIPI, vector);
      return true;
    }
    // A SIPI outside the wait-for-SIPI state is discarded.
  }
  if (cpu.mtfPending) {
    cpu.mtfPending = false;
    simpleExit(cpu, EXIT.MONITOR_TRAP_FLAG);
    return true;
  }
  if (cpu.preemptionActive && cpu.preemptionTimerValue() === 0) {
    simpleExit(cpu, EXIT.PREEMPTION_TIMER);
    return true;
  }
  if (activity === 2 || activity === 3) return false; // shutdown / wait-for-SIPI: NMIs and interrupts blocked
  const p = pin(vmcs);
  const pr = proc(vmcs);
  const virtualNmis = (p & PIN.VIRTUAL_NMIS) !== 0;
  if ((pr & PROC.NMI_WINDOW_EXITING) !== 0 && (blocking & (INTERRUPTIBILITY.BLOCKING_BY_NMI | INTERRUPTIBILITY.BLOCKING_BY_MOV_SS)) === 0) {
    simpleExit(cpu, EXIT.NMI_WINDOW);
    return true;
  }
  if (cpu.pendingNmi && (blocking & INTERRUPTIBILITY.BLOCKING_BY_MOV_SS) === 0) {
    if ((p & PIN.NMI_EXITING) !== 0) {
      if (virtualNmis || (blocking & INTERRUPTIBILITY.BLOCKING_BY_NMI) === 0) {
        cpu.pendingNmi = false;
        const e = beginExit(cpu, EXIT.EXCEPTION_NMI);
        e.intrInfo = (INTR_INFO.VALID | (INTR_TYPE.NMI << INTR_INFO.TYPE_SHIFT) | VECTOR.NMI) >>> 0;
        e.blockNmi = true;
        completeExit(cpu);
        return true;
      }
    } else if ((blocking & INTERRUPTIBILITY.BLOCKING_BY_NMI) === 0 && exec !== null) {
      cpu.pendingNmi = false;
      cpu.activityState = 0;
      if (!exec.inject(cpu, VECTOR.NMI, INTR_TYPE.NMI, -1, 0)) return !cpu.nonRoot;
      cpu.interruptibility |= INTERRUPTIBILITY.BLOCKING_BY_NMI;
    }
  }
  const ifSet = (cpu.regs.rflags & RFLAGS.IF) !== 0;
  if ((pr & PROC.INTERRUPT_WINDOW_EXITING) !== 0 && ifSet && (cpu.interruptibility & BLOCK_STI_MOVSS) === 0) {
    simpleExit(cpu, EXIT.INTERRUPT_WINDOW);
    return true;
  }
  const vector = highestInterrupt(cpu);
  if (vector >= 0) {
    if ((p & PIN.EXTERNAL_INTERRUPT_EXITING) !== 0) {
      const e = beginExit(cpu, EXIT.EXTERNAL_INTERRUPT);
      if ((vmcs.lo[V.VM_EXIT_CONTROLS] & EXIT_CTL.ACKNOWLEDGE_INTERRUPT_ON_EXIT) !== 0) {
        // The interrupt is acknowledged and its vector reported (28.2.2); without it, it stays pending.
        acknowledgeInterrupt(cpu, vector);
        e.intrInfo = (INTR_INFO.VALID | (INTR_TYPE.EXTERNAL_INTERRUPT << INTR_INFO.TYPE_SHIFT) | vector) >>> 0;
      }
      completeExit(cpu);
      return true;
    }
    if (ifSet && (cpu.interruptibility & BLOCK_STI_MOVSS) === 0 && exec !== null) {
      acknowledgeInterrupt(cpu, vector);
      cpu.activityState = 0;
      if (!exec.inject(cpu, vector, INTR_TYPE.EXTERNAL_INTERRUPT, -1, 0)) return !cpu.nonRoot;
    }
  }
  return false;
}
