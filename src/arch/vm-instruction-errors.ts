// VM-instruction error numbers (the value VMfailValid stores in the
// VM-instruction error field) and VMX-abort indicators.
//
// SDM Vol. 3C 31.4 "VM Instruction Error Numbers" (Table 31-1); cross-checked
// against Linux arch/x86/include/asm/vmx.h (enum vm_instruction_error_number)
// and Bochs cpu/vmx.h. Numbers 14, 21 and 27 are not used.
import { NameTable, UnknownNameError } from './names';

/** SDM 31.4, Table 31-1 "VM-Instruction Error Numbers". */
export const VMERR = {
  VMCALL_IN_VMX_ROOT: 1,
  VMCLEAR_INVALID_ADDRESS: 2,
  VMCLEAR_VMXON_POINTER: 3,
  VMLAUNCH_NON_CLEAR_VMCS: 4,
  VMRESUME_NON_LAUNCHED_VMCS: 5,
  VMRESUME_AFTER_VMXOFF: 6,
  ENTRY_INVALID_CONTROL_FIELDS: 7,
  ENTRY_INVALID_HOST_STATE: 8,
  VMPTRLD_INVALID_ADDRESS: 9,
  VMPTRLD_VMXON_POINTER: 10,
  VMPTRLD_INCORRECT_REVISION: 11,
  UNSUPPORTED_VMCS_COMPONENT: 12,
  VMWRITE_READ_ONLY_COMPONENT: 13,
  VMXON_IN_VMX_ROOT: 15,
  ENTRY_INVALID_EXECUTIVE_VMCS_POINTER: 16,
  ENTRY_NON_LAUNCHED_EXECUTIVE_VMCS: 17,
  ENTRY_EXECUTIVE_VMCS_POINTER_NOT_VMXON: 18,
  VMCALL_NON_CLEAR_VMCS: 19,
  VMCALL_INVALID_VMEXIT_CONTROLS: 20,
  VMCALL_INCORRECT_MSEG_REVISION: 22,
  VMXOFF_UNDER_DUAL_MONITOR: 23,
  VMCALL_INVALID_SMM_MONITOR_FEATURES: 24,
  ENTRY_INVALID_VMEXEC_CONTROLS_IN_EXECUTIVE_VMCS: 25,
  ENTRY_EVENTS_BLOCKED_BY_MOV_SS: 26,
  INVALID_OPERAND_INVEPT_INVVPID: 28,
} as const;

export type VmInstructionErrorId = keyof typeof VMERR;

/** Table 31-1 "Description" column, lightly shortened. */
const DESCRIPTIONS: Record<VmInstructionErrorId, string> = {
  VMCALL_IN_VMX_ROOT: 'VMCALL executed in VMX root operation',
  VMCLEAR_INVALID_ADDRESS: 'VMCLEAR with invalid physical address',
  VMCLEAR_VMXON_POINTER: 'VMCLEAR with VMXON pointer',
  VMLAUNCH_NON_CLEAR_VMCS: 'VMLAUNCH with non-clear VMCS',
  VMRESUME_NON_LAUNCHED_VMCS: 'VMRESUME with non-launched VMCS',
  VMRESUME_AFTER_VMXOFF: 'VMRESUME after VMXOFF (VMXOFF and VMXON between VMLAUNCH and VMRESUME)',
  ENTRY_INVALID_CONTROL_FIELDS: 'VM entry with invalid control field(s)',
  ENTRY_INVALID_HOST_STATE: 'VM entry with invalid host-state field(s)',
  VMPTRLD_INVALID_ADDRESS: 'VMPTRLD with invalid physical address',
  VMPTRLD_VMXON_POINTER: 'VMPTRLD with VMXON pointer',
  VMPTRLD_INCORRECT_REVISION: 'VMPTRLD with incorrect VMCS revision identifier',
  UNSUPPORTED_VMCS_COMPONENT: 'VMREAD/VMWRITE from/to unsupported VMCS component',
  VMWRITE_READ_ONLY_COMPONENT: 'VMWRITE to read-only VMCS component',
  VMXON_IN_VMX_ROOT: 'VMXON executed in VMX root operation',
  ENTRY_INVALID_EXECUTIVE_VMCS_POINTER: 'VM entry with invalid executive-VMCS pointer',
  ENTRY_NON_LAUNCHED_EXECUTIVE_VMCS: 'VM entry with non-launched executive VMCS',
  ENTRY_EXECUTIVE_VMCS_POINTER_NOT_VMXON:
    'VM entry with executive-VMCS pointer not VMXON pointer (when attempting to deactivate the dual-monitor treatment of SMIs and SMM)',
  VMCALL_NON_CLEAR_VMCS:
    'VMCALL with non-clear VMCS (when attempting to activate the dual-monitor treatment of SMIs and SMM)',
  VMCALL_INVALID_VMEXIT_CONTROLS: 'VMCALL with invalid VM-exit control fields',
  VMCALL_INCORRECT_MSEG_REVISION:
    'VMCALL with incorrect MSEG revision identifier (when attempting to activate the dual-monitor treatment of SMIs and SMM)',
  VMXOFF_UNDER_DUAL_MONITOR: 'VMXOFF under dual-monitor treatment of SMIs and SMM',
  VMCALL_INVALID_SMM_MONITOR_FEATURES:
    'VMCALL with invalid SMM-monitor features (when attempting to activate the dual-monitor treatment of SMIs and SMM)',
  ENTRY_INVALID_VMEXEC_CONTROLS_IN_EXECUTIVE_VMCS:
    'VM entry with invalid VM-execution control fields in executive VMCS (when attempting to return from SMM)',
  ENTRY_EVENTS_BLOCKED_BY_MOV_SS: 'VM entry with events blocked by MOV SS',
  INVALID_OPERAND_INVEPT_INVVPID: 'Invalid operand to INVEPT/INVVPID',
};

/** Short descriptions without the parenthesised conditions, also accepted by lookup. */
const SHORT_FORMS: Partial<Record<VmInstructionErrorId, string>> = {
  VMRESUME_AFTER_VMXOFF: 'VMRESUME after VMXOFF',
  ENTRY_EXECUTIVE_VMCS_POINTER_NOT_VMXON: 'VM entry with executive-VMCS pointer not VMXON pointer',
  VMCALL_NON_CLEAR_VMCS: 'VMCALL with non-clear VMCS',
  VMCALL_INCORRECT_MSEG_REVISION: 'VMCALL with incorrect MSEG revision identifier',
  VMCALL_INVALID_SMM_MONITOR_FEATURES: 'VMCALL with invalid SMM-monitor features',
  ENTRY_INVALID_VMEXEC_CONTROLS_IN_EXECUTIVE_VMCS: 'VM entry with invalid VM-execution control fields in executive VMCS',
  ENTRY_INVALID_CONTROL_FIELDS: 'VM entry with invalid control field',
  ENTRY_INVALID_HOST_STATE: 'VM entry with invalid host-state field',
};

export interface VmInstructionError {
  number: number;
  id: VmInstructionErrorId;
  description: string;
}

export const VM_INSTRUCTION_ERRORS: readonly VmInstructionError[] = Object.freeze(
  (Object.keys(VMERR) as VmInstructionErrorId[])
    .map((id) => Object.freeze({ number: VMERR[id], id, description: DESCRIPTIONS[id] }))
    .sort((a, b) => a.number - b.number),
);

const BY_NUMBER = new Map<number, VmInstructionError>(VM_INSTRUCTION_ERRORS.map((e) => [e.number, e]));

export function vmInstructionError(n: number): VmInstructionError | undefined {
  return BY_NUMBER.get(n);
}

const TABLE = new NameTable<VmInstructionError>('VM-instruction error', {
  describe: (e) => `${e.number} ${e.description}`,
});
for (const e of VM_INSTRUCTION_ERRORS) {
  TABLE.add(e.id, e);
  TABLE.add(e.description, e);
  const short = SHORT_FORMS[e.id];
  if (short !== undefined) TABLE.add(short, e);
  TABLE.add(`VMXERR_${e.id}`, e, true);
}

/** Resolve by number ("7"), id ("ENTRY_INVALID_CONTROL_FIELDS") or SDM description. */
export function lookupVmInstructionError(token: string): VmInstructionError {
  const t = token.trim();
  if (/^\d+$/.test(t)) {
    const e = vmInstructionError(Number(t));
    if (e === undefined) throw new UnknownNameError('VM-instruction error', token, []);
    return e;
  }
  return TABLE.get(t);
}

/**
 * SDM 28.7 "VMX Aborts": VMX-abort indicator values written to the VMCS
 * region when a VM exit cannot complete.
 */
export const VMX_ABORT = {
  SAVING_GUEST_MSRS: 1,
  HOST_PDPTE_CHECK: 2,
  CURRENT_VMCS_CORRUPTED: 3,
  LOADING_HOST_MSRS: 4,
  MACHINE_CHECK_DURING_EXIT: 5,
  HOST_WITHOUT_64BIT_SUPPORT: 6,
} as const;
