/**
 * VM exits (SDM Vol. 3C Chapter 28 "VM Exits"): record the exit information (28.2), save guest state (28.3)
 * and MSRs (28.4), load host state (28.5) and MSRs (28.6); VMX aborts (28.7). Also the VM-entry failures
 * that look like VM exits (27.8 "VM-Entry Failures During or After Loading Guest State").
 *
 * Callers fill `cpu.exit` (a reusable record, no allocation per exit) with `beginExit` and the set* helpers,
 * then call `completeExit`.
 */
import * as ns_arch from '../../arch';
import type { LogicalProcessor } from '../processor';
import * as ns_vmcs_layout from '../vmcs/layout';
import type { Vmcs } from '../vmcs/vmcs';
import * as ns_entry_guest_state from '../entry/guest-state';
import * as ns_host_state from './host-state';
import * as ns_entry_msr_areas from '../entry/msr-areas';
import type { ExitRecord } from './record';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { EXIT_CTL, ENTRY_CTL, IA32_EFER, INTERRUPTIBILITY, INTR_INFO, PROC, PROC2, VM_ENTRY_FAILURE_BIT, VMX_ABORT } = ns_arch;
const { V } = ns_vmcs_layout;
const { saveGuestState } = ns_entry_guest_state;
const { loadHostState } = ns_host_state;
const { loadMsrArea, storeMsrArea } = ns_entry_msr_areas;

export function beginExit(cpu: LogicalProcessor, reason: number): ExitRecord {
  const e = cpu.exit;
  e.reason = reason;
  e.qualLo = 0;
  e.qualHi = 0;
  e.intrInfo = 0;
  e.intrErrorCode = -1;
  e.instrLen = -1;
  e.instrInfo = -1;
  e.hasGuestLinear = false;
  e.hasGuestPhysical = false;
  e.idtInfo = 0;
  e.idtErrorCode = -1;
  e.blockNmi = false;
  return e;
}

/** Exit qualification from a signed-number or small value. */
export function setQualification(e: ExitRecord, v: number): void {
  e.qualLo = v >>> 0;
  e.qualHi = Math.floor(v / 4294967296) >>> 0;
}

/** 28.2 "Recording VM-Exit Information and Updating VM-Entry Control Fields". */
function recordInformation(vmcs: Vmcs, e: ExitRecord): void {
  vmcs.write32(V.VM_EXIT_REASON, e.reason);
  vmcs.write(V.EXIT_QUALIFICATION, e.qualLo, e.qualHi);
  vmcs.write32(V.VM_EXIT_INTR_INFO, e.intrInfo);
  if (e.intrErrorCode >= 0) vmcs.write32(V.VM_EXIT_INTR_ERROR_CODE, e.intrErrorCode);
  vmcs.write32(V.IDT_VECTORING_INFO_FIELD, e.idtInfo);
  if (e.idtErrorCode >= 0) vmcs.write32(V.IDT_VECTORING_ERROR_CODE, e.idtErrorCode);
  if (e.instrLen >= 0) vmcs.write32(V.VM_EXIT_INSTRUCTION_LEN, e.instrLen);
  if (e.instrInfo >= 0) vmcs.write32(V.VMX_INSTRUCTION_INFO, e.instrInfo);
  if (e.hasGuestLinear) vmcs.write(V.GUEST_LINEAR_ADDRESS, e.glaLo, e.glaHi);
  if (e.hasGuestPhysical) vmcs.write(V.GUEST_PHYSICAL_ADDRESS, e.gpaLo, e.gpaHi);
  // "VM exits clear the valid bit in the VM-entry interruption-information field" (end of 28.2).
  const ei = vmcs.lo[V.VM_ENTRY_INTR_INFO_FIELD];
  if ((ei & INTR_INFO.VALID) !== 0) vmcs.write32(V.VM_ENTRY_INTR_INFO_FIELD, ei & ~INTR_INFO.VALID);
}

/**
 * VMX abort (28.7): the abort indicator is written to bytes 4–7 of the VMCS region and the logical processor
 * enters shutdown.
 */
function vmxAbort(cpu: LogicalProcessor, vmcs: Vmcs, indicator: number): void {
  cpu.memory.write32(vmcs.address + 4, indicator);
  cpu.nonRoot = false;
  cpu.activityState = 2;
  cpu.failedRule = `VMX abort, indicator ${indicator} (SDM 28.7 "VMX Aborts")`;
}

/** Perform the VM exit described by cpu.exit. Afterwards the processor is in VMX root operation with host state loaded. */
export function completeExit(cpu: LogicalProcessor): void {
  const vmcs = cpu.current!;
  const e = cpu.exit;
  const exitCtl = vmcs.lo[V.VM_EXIT_CONTROLS];
  recordInformation(vmcs, e);
  // 28.3 Saving guest state.
  saveGuestState(cpu, vmcs, exitCtl);
  if (cpu.caps.storeEferLma) {
    const entry = vmcs.lo[V.VM_ENTRY_CONTROLS];
    const lma = (cpu.regs.efer & IA32_EFER.LMA) !== 0;
    vmcs.write32(V.VM_ENTRY_CONTROLS, lma ? entry | ENTRY_CTL.IA32E_MODE_GUEST : entry & ~ENTRY_CTL.IA32E_MODE_GUEST);
  }
  if ((exitCtl & EXIT_CTL.SAVE_VMX_PREEMPTION_TIMER_VALUE) !== 0) {
    vmcs.write32(V.VMX_PREEMPTION_TIMER_VALUE, cpu.preemptionTimerValue());
  }
  cpu.nonRoot = false;
  cpu.shadowVmcs = null;
  cpu.pendingEvents = cpu.irrCount !== 0 || cpu.pendingNmi || cpu.pendingInit || cpu.pendingSipi >= 0 || cpu.pendingSmi;
  // 28.4 Saving MSRs.
  const storeCount = vmcs.lo[V.VM_EXIT_MSR_STORE_COUNT];
  if (storeCount !== 0 && storeMsrArea(cpu, vmcs.getUnsigned(V.VM_EXIT_MSR_STORE_ADDR), storeCount) !== 0) {
    vmxAbort(cpu, vmcs, VMX_ABORT.SAVING_GUEST_MSRS);
    return;
  }
  finishWithHostState(cpu, vmcs);
  // After a VM exit caused by an NMI, NMIs are blocked in root operation (SDM 26.7.1 / 28.3.4); otherwise
  // this implementation leaves none blocked (root NMI blocking is not tracked across the guest's run).
  if (e.blockNmi) cpu.interruptibility = INTERRUPTIBILITY.BLOCKING_BY_NMI;
}

/** 28.5 and 28.6, shared with VM-entry failures; also the TLB rule of 29.4.3.1 for VPID-less transitions. */
function finishWithHostState(cpu: LogicalProcessor, vmcs: Vmcs): void {
  loadHostState(cpu, vmcs);
  cpu.interruptibility = 0;
  const loadCount = vmcs.lo[V.VM_EXIT_MSR_LOAD_COUNT];
  if (loadCount !== 0 && loadMsrArea(cpu, vmcs.getUnsigned(V.VM_EXIT_MSR_LOAD_ADDR), loadCount) !== 0) {
    vmxAbort(cpu, vmcs, VMX_ABORT.LOADING_HOST_MSRS);
    return;
  }
  // 29.4.3.1: with "enable VPID" 0, VM exits invalidate the linear and combined mappings of VPID 0000H (all
  // EP4TAs); with it 1 they invalidate nothing (29.4.3.2).
  if (!vpidEnabled(vmcs)) cpu.translations.invalidateVpid(0, false);
}

export function vpidEnabled(vmcs: Vmcs): boolean {
  return (vmcs.lo[V.PRIMARY_PROC_BASED_VM_EXEC_CONTROL] & PROC.ACTIVATE_SECONDARY_CONTROLS) !== 0 &&
    (vmcs.lo[V.SECONDARY_VM_EXEC_CONTROL] & PROC2.ENABLE_VPID) !== 0;
}

/**
 * The VPID the processor's translations are tagged with now (SDM 29.1): the VMCS's VPID in non-root operation
 * with "enable VPID" 1, otherwise 0000H (root operation, outside VMX, or "enable VPID" 0).
 */
export function currentVpid(cpu: LogicalProcessor): number {
  const vmcs = cpu.current;
  return cpu.nonRoot && vmcs !== null && vpidEnabled(vmcs) ? vmcs.lo[V.VIRTUAL_PROCESSOR_ID] & 0xffff : 0;
}

/**
 * A VM-entry failure after the guest-state checks began (27.8): exit reason (basic reason | bit 31) and
 * exit qualification are written, nothing else of the exit information; the guest-state area is not written
 * and no MSRs are stored; host state and the VM-exit MSR-load area are loaded.
 */
export function entryFailure(cpu: LogicalProcessor, vmcs: Vmcs, basicReason: number, qualification: number): void {
  vmcs.write32(V.VM_EXIT_REASON, (basicReason | VM_ENTRY_FAILURE_BIT) >>> 0);
  vmcs.write(V.EXIT_QUALIFICATION, qualification >>> 0, 0);
  cpu.nonRoot = false;
  finishWithHostState(cpu, vmcs);
}
