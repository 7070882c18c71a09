/**
 * VMLAUNCH and VMRESUME (SDM Vol. 3C 31.3 "VMLAUNCH/VMRESUME—Launch/Resume Virtual Machine"; Chapter 27
 * "VM Entries"): 27.1 basic checks; 27.2 checks on controls (VMfailValid 7) and host state (VMfailValid 8);
 * 27.3 guest-state checks (VM-entry failure, exit reason 33) and loading; 27.4 MSR loading (exit reason 34);
 * 27.6/27.7 event injection and the special features of VM entry; then the guest runs.
 *
 * Cache (non-architectural, provably equivalent): the control and host-state rules read only control and
 * host-state fields, the capability MSRs and IA32_EFER.LMA. A VMCS counts changes to its control and
 * host-state fields (Vmcs.ctlGen, bumped by VMWRITE and by VM exits that change such a field); when neither
 * that count nor LMA changed since those rules last passed, they are not run again. Rules that read memory
 * (CONTROL_RULES_READING_MEMORY) and all guest-state rules run at every entry.
 */
import * as ns_arch from '../../arch';
import type { Machine } from '../machine';
import type { LogicalProcessor } from '../processor';
import * as ns_vmx_conventions from '../vmx/conventions';
import { type InstrResult } from '../vmx/conventions';
import * as ns_vmx_common from '../vmx/common';
import * as ns_vmcs_layout from '../vmcs/layout';
import { EntryContext } from './context';
import * as ns_checks_controls from './checks-controls';
import * as ns_checks_host from './checks-host';
import * as ns_checks_guest_registers from './checks-guest-registers';
import * as ns_checks_guest_segments from './checks-guest-segments';
import * as ns_checks_guest_state from './checks-guest-state';
import * as ns_rule from './rule';
import { type EntryRule } from './rule';
import * as ns_guest_state from './guest-state';
import * as ns_guest_check_cache from './guest-check-cache';
import * as ns_msr_areas from './msr-areas';
import * as ns_exit_vm_exit from '../exit/vm-exit';
import * as ns_nonroot_run from '../nonroot/run';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { EXIT, VMERR, INTERRUPTIBILITY } = ns_arch;
const { R_FAIL_VALID, R_SHUTDOWN, R_VM_EXIT } = ns_vmx_conventions;
const { raiseGP0, raiseUD, vmFailInvalid, vmFailValid, vmxInstructionUD } = ns_vmx_common;
const { V } = ns_vmcs_layout;
const { CONTROL_RULES, CONTROL_RULES_READING_MEMORY } = ns_checks_controls;
const { HOST_RULES } = ns_checks_host;
const { GUEST_REGISTER_RULES } = ns_checks_guest_registers;
const { GUEST_SEGMENT_RULES } = ns_checks_guest_segments;
const { GUEST_STATE_RULES } = ns_checks_guest_state;
const { describeFailure, firstFailure } = ns_rule;
const { loadGuestState } = ns_guest_state;
const { checkGuestState } = ns_guest_check_cache;
const { loadMsrArea } = ns_msr_areas;
const { entryFailure, vpidEnabled } = ns_exit_vm_exit;
const { runNonRoot, enterNonRoot } = ns_nonroot_run;

/** One reusable EntryContext per logical processor. */
function contextOf(cpu: LogicalProcessor): EntryContext {
  let x = cpu.entryContext as EntryContext | null;
  if (x === null) {
    x = new EntryContext();
    cpu.entryContext = x;
  }
  return x;
}

/** All guest-state rules, in the order this implementation checks them (27.3.1 allows any order). */
export const GUEST_RULES: readonly EntryRule[] = [...GUEST_REGISTER_RULES, ...GUEST_SEGMENT_RULES, ...GUEST_STATE_RULES];

/** Run the rules of 27.2; returns the failing rule or null. Exposed for unit tests. */
export function checkControlsAndHost(x: EntryContext): { rule: EntryRule; error: number } | null {
  const vmcs = x.vmcs;
  const lma = x.lma ? 1 : 0;
  if (vmcs.checkedCtlGen !== vmcs.ctlGen || vmcs.checkedLma !== lma) {
    const c = firstFailure(CONTROL_RULES, x);
    if (c !== null) return { rule: c, error: VMERR.ENTRY_INVALID_CONTROL_FIELDS };
    const h = firstFailure(HOST_RULES, x);
    if (h !== null) return { rule: h, error: VMERR.ENTRY_INVALID_HOST_STATE };
    vmcs.checkedCtlGen = vmcs.ctlGen;
    vmcs.checkedLma = lma;
  }
  const m = firstFailure(CONTROL_RULES_READING_MEMORY, x);
  return m === null ? null : { rule: m, error: VMERR.ENTRY_INVALID_CONTROL_FIELDS };
}

export function vmLaunchOrResume(m: Machine, cpu: LogicalProcessor, launch: boolean, maxSteps: number): InstrResult {
  cpu.failedRule = '';
  // 27.1 "Basic VM-Entry Checks", in order.
  if (vmxInstructionUD(cpu)) return raiseUD(cpu);
  if (cpu.regs.cpl > 0) return raiseGP0(cpu);
  const vmcs = cpu.current;
  if (vmcs === null || vmcs.shadow) return vmFailInvalid(cpu);
  if ((cpu.interruptibility & INTERRUPTIBILITY.BLOCKING_BY_MOV_SS) !== 0) {
    return vmFailValid(cpu, VMERR.ENTRY_EVENTS_BLOCKED_BY_MOV_SS);
  }
  if (launch && vmcs.launched) return vmFailValid(cpu, VMERR.VMLAUNCH_NON_CLEAR_VMCS);
  if (!launch && !vmcs.launched) return vmFailValid(cpu, VMERR.VMRESUME_NON_LAUNCHED_VMCS);

  // 27.2 "Checks on VMX Controls and Host-State Area".
  const x = contextOf(cpu).prepare(cpu, vmcs);
  const bad = checkControlsAndHost(x);
  if (bad !== null) {
    cpu.failedRule = describeFailure(bad.rule);
    vmFailValid(cpu, bad.error);
    return R_FAIL_VALID;
  }

  // 27.3.1 "Checks on the Guest State Area".
  const g = checkGuestState(x, vmcs, GUEST_RULES);
  if (g !== null) {
    cpu.failedRule = describeFailure(g);
    entryFailure(cpu, vmcs, EXIT.ENTRY_FAIL_GUEST_STATE, g.qualification ?? 0);
    return cpu.activityState === 2 ? R_SHUTDOWN : R_VM_EXIT;
  }

  // 27.3.2 Loading guest state; 27.3.3 clearing address-range monitoring (nothing is armed across entry here).
  loadGuestState(cpu, vmcs, x.entry);
  // 27.4 Loading MSRs.
  const count = vmcs.lo[V.VM_ENTRY_MSR_LOAD_COUNT];
  if (count !== 0) {
    const failed = loadMsrArea(cpu, vmcs.getUnsigned(V.VM_ENTRY_MSR_LOAD_ADDR), count);
    if (failed !== 0) {
      cpu.failedRule = `VM entry failed loading MSR-load entry ${failed} (SDM 27.4 "Loading MSRs")`;
      entryFailure(cpu, vmcs, EXIT.ENTRY_FAIL_MSR_LOADING, failed);
      return cpu.activityState === 2 ? R_SHUTDOWN : R_VM_EXIT;
    }
  }
  if (launch) vmcs.launched = true;
  // 29.4.3.1: with "enable VPID" 0, VM entries invalidate the linear and combined mappings of VPID 0000H (all
  // EP4TAs); with it 1 they invalidate nothing (29.4.3.2).
  if (!vpidEnabled(vmcs)) cpu.translations.invalidateVpid(0, false);
  enterNonRoot(m, cpu, vmcs, x);
  return runNonRoot(m, cpu, maxSteps);
}
