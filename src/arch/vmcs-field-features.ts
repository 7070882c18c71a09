// Which VMX feature a VMCS field belongs to: a field exists on a processor only if that processor supports
// the feature (SDM Vol. 3C Appendix B "Field Encoding in VMCS": the footnotes of Tables B-1 to B-15, e.g.
// "This field exists only on processors that support the 1-setting of the 'enable VPID' VM-execution
// control"). VMREAD/VMWRITE of a field the processor does not support fail with VM-instruction error 12
// (SDM 31.3 "VMREAD", "VMWRITE").
//
// Written by the emulator engineer (a new file, so as not to edit vmcs-fields.ts); one row per field that is
// conditional. Fields not listed are present on every processor that supports VMX.
import type { VmcsFieldId } from './vmcs-fields';
import type { ControlField } from './controls';

/**
 * The capability a conditional field depends on. Each names the 1-setting of a control (by control-field and
 * control id, as in controls.ts) or a bit of a capability MSR.
 */
export type FieldFeature =
  | { control: ControlField; id: string }
  /** Any one of several control 1-settings suffices (e.g. Guest IA32_PAT: "load IA32_PAT" on entry or "save IA32_PAT" on exit). */
  | { anyOf: { control: ControlField; id: string }[] }
  /** IA32_VMX_BASIC bit 49: the dual-monitor treatment of SMIs and SMM. */
  | { basic: 'dualMonitor' | 'nestedException' }
  /** CR3-target value n exists only if IA32_VMX_MISC bits 24:16 report more than n values. */
  | { cr3Target: number }
  /** Fields of features outside VMX proper that this table does not model (TDX): never supported here. */
  | { never: string };

const c = (control: ControlField, id: string) => ({ control, id });

export const FIELD_FEATURES: Partial<Record<VmcsFieldId, FieldFeature>> = {
  VIRTUAL_PROCESSOR_ID: c('secondary processor-based', 'ENABLE_VPID'),
  POSTED_INTR_NOTIFICATION_VECTOR: c('pin-based', 'PROCESS_POSTED_INTERRUPTS'),
  POSTED_INTR_DESC_ADDR: c('pin-based', 'PROCESS_POSTED_INTERRUPTS'),
  EPTP_INDEX: c('secondary processor-based', 'EPT_VIOLATION_VE'),
  VE_INFORMATION_ADDRESS: c('secondary processor-based', 'EPT_VIOLATION_VE'),
  HLAT_PREFIX_SIZE: c('tertiary processor-based', 'ENABLE_HLAT'),
  HLAT_POINTER: c('tertiary processor-based', 'ENABLE_HLAT'),
  LAST_PID_POINTER_INDEX: c('tertiary processor-based', 'IPI_VIRTUALIZATION'),
  PID_POINTER_TABLE: c('tertiary processor-based', 'IPI_VIRTUALIZATION'),
  GUEST_INTR_STATUS: c('secondary processor-based', 'VIRTUAL_INTERRUPT_DELIVERY'),
  EOI_EXIT_BITMAP0: c('secondary processor-based', 'VIRTUAL_INTERRUPT_DELIVERY'),
  EOI_EXIT_BITMAP1: c('secondary processor-based', 'VIRTUAL_INTERRUPT_DELIVERY'),
  EOI_EXIT_BITMAP2: c('secondary processor-based', 'VIRTUAL_INTERRUPT_DELIVERY'),
  EOI_EXIT_BITMAP3: c('secondary processor-based', 'VIRTUAL_INTERRUPT_DELIVERY'),
  GUEST_PML_INDEX: c('secondary processor-based', 'ENABLE_PML'),
  PML_ADDRESS: c('secondary processor-based', 'ENABLE_PML'),
  GUEST_UINV: { anyOf: [c('VM-entry', 'LOAD_UINV'), c('VM-exit', 'CLEAR_UINV')] },
  EXECUTIVE_VMCS_POINTER: { basic: 'dualMonitor' },
  VIRTUAL_APIC_PAGE_ADDR: c('primary processor-based', 'USE_TPR_SHADOW'),
  TPR_THRESHOLD: c('primary processor-based', 'USE_TPR_SHADOW'),
  APIC_ACCESS_ADDR: c('secondary processor-based', 'VIRTUALIZE_APIC_ACCESSES'),
  VM_FUNCTION_CONTROL: c('secondary processor-based', 'ENABLE_VM_FUNCTIONS'),
  EPTP_LIST_ADDRESS: c('secondary processor-based', 'ENABLE_VM_FUNCTIONS'),
  EPT_POINTER: c('secondary processor-based', 'ENABLE_EPT'),
  GUEST_PHYSICAL_ADDRESS: c('secondary processor-based', 'ENABLE_EPT'),
  GUEST_PDPTE0: c('secondary processor-based', 'ENABLE_EPT'),
  GUEST_PDPTE1: c('secondary processor-based', 'ENABLE_EPT'),
  GUEST_PDPTE2: c('secondary processor-based', 'ENABLE_EPT'),
  GUEST_PDPTE3: c('secondary processor-based', 'ENABLE_EPT'),
  VMREAD_BITMAP: c('secondary processor-based', 'VMCS_SHADOWING'),
  VMWRITE_BITMAP: c('secondary processor-based', 'VMCS_SHADOWING'),
  XSS_EXIT_BITMAP: c('secondary processor-based', 'ENABLE_XSAVES_XRSTORS'),
  ENCLS_EXITING_BITMAP: c('secondary processor-based', 'ENABLE_ENCLS_EXITING'),
  ENCLV_EXITING_BITMAP: c('secondary processor-based', 'ENABLE_ENCLV_EXITING'),
  SPPT_POINTER: c('secondary processor-based', 'SUB_PAGE_WRITE_PERMISSIONS_FOR_EPT'),
  TSC_MULTIPLIER: c('secondary processor-based', 'USE_TSC_SCALING'),
  TERTIARY_VM_EXEC_CONTROL: c('primary processor-based', 'ACTIVATE_TERTIARY_CONTROLS'),
  SECONDARY_VM_EXEC_CONTROL: c('primary processor-based', 'ACTIVATE_SECONDARY_CONTROLS'),
  SECONDARY_VM_EXIT_CONTROLS: c('VM-exit', 'ACTIVATE_SECONDARY_CONTROLS'),
  LOW_PASID_DIRECTORY_ADDRESS: c('secondary processor-based', 'PASID_TRANSLATION'),
  HIGH_PASID_DIRECTORY_ADDRESS: c('secondary processor-based', 'PASID_TRANSLATION'),
  PCONFIG_EXITING_BITMAP: c('secondary processor-based', 'ENABLE_PCONFIG'),
  IA32_SPEC_CTRL_MASK: c('tertiary processor-based', 'VIRTUALIZE_IA32_SPEC_CTRL'),
  IA32_SPEC_CTRL_SHADOW: c('tertiary processor-based', 'VIRTUALIZE_IA32_SPEC_CTRL'),
  INJECTED_EVENT_DATA: { basic: 'nestedException' },
  ORIGINAL_EVENT_DATA: { basic: 'nestedException' },
  SHARED_EPT_POINTER: { never: 'Intel TDX' },
  PLE_GAP: c('secondary processor-based', 'PAUSE_LOOP_EXITING'),
  PLE_WINDOW: c('secondary processor-based', 'PAUSE_LOOP_EXITING'),
  INSTRUCTION_TIMEOUT_CONTROL: c('secondary processor-based', 'INSTRUCTION_TIMEOUT'),
  VMX_PREEMPTION_TIMER_VALUE: c('pin-based', 'ACTIVATE_VMX_PREEMPTION_TIMER'),
  GUEST_IA32_PAT: { anyOf: [c('VM-entry', 'LOAD_IA32_PAT'), c('VM-exit', 'SAVE_IA32_PAT')] },
  HOST_IA32_PAT: c('VM-exit', 'LOAD_IA32_PAT'),
  GUEST_IA32_EFER: { anyOf: [c('VM-entry', 'LOAD_IA32_EFER'), c('VM-exit', 'SAVE_IA32_EFER')] },
  HOST_IA32_EFER: c('VM-exit', 'LOAD_IA32_EFER'),
  GUEST_IA32_PERF_GLOBAL_CTRL: { anyOf: [c('VM-entry', 'LOAD_IA32_PERF_GLOBAL_CTRL'), c('VM-exit', 'SAVE_IA32_PERF_GLOBAL_CTL')] },
  HOST_IA32_PERF_GLOBAL_CTRL: c('VM-exit', 'LOAD_IA32_PERF_GLOBAL_CTRL'),
  GUEST_IA32_BNDCFGS: { anyOf: [c('VM-entry', 'LOAD_IA32_BNDCFGS'), c('VM-exit', 'CLEAR_IA32_BNDCFGS')] },
  GUEST_IA32_RTIT_CTL: { anyOf: [c('VM-entry', 'LOAD_IA32_RTIT_CTL'), c('VM-exit', 'CLEAR_IA32_RTIT_CTL')] },
  GUEST_IA32_LBR_CTL: { anyOf: [c('VM-entry', 'LOAD_GUEST_IA32_LBR_CTL'), c('VM-exit', 'CLEAR_IA32_LBR_CTL')] },
  GUEST_IA32_PKRS: { anyOf: [c('VM-entry', 'LOAD_PKRS'), c('VM-exit', 'LOAD_PKRS')] },
  HOST_IA32_PKRS: c('VM-exit', 'LOAD_PKRS'),
  GUEST_S_CET: { anyOf: [c('VM-entry', 'LOAD_CET_STATE'), c('VM-exit', 'LOAD_CET_STATE')] },
  GUEST_SSP: { anyOf: [c('VM-entry', 'LOAD_CET_STATE'), c('VM-exit', 'LOAD_CET_STATE')] },
  GUEST_INTERRUPT_SSP_TABLE_ADDR: { anyOf: [c('VM-entry', 'LOAD_CET_STATE'), c('VM-exit', 'LOAD_CET_STATE')] },
  HOST_S_CET: c('VM-exit', 'LOAD_CET_STATE'),
  HOST_SSP: c('VM-exit', 'LOAD_CET_STATE'),
  HOST_INTERRUPT_SSP_TABLE_ADDR: c('VM-exit', 'LOAD_CET_STATE'),
  GUEST_IA32_FRED_CONFIG: c('VM-entry', 'LOAD_FRED'),
  GUEST_IA32_FRED_RSP1: c('VM-entry', 'LOAD_FRED'),
  GUEST_IA32_FRED_RSP2: c('VM-entry', 'LOAD_FRED'),
  GUEST_IA32_FRED_RSP3: c('VM-entry', 'LOAD_FRED'),
  GUEST_IA32_FRED_STKLVLS: c('VM-entry', 'LOAD_FRED'),
  GUEST_IA32_FRED_SSP1: c('VM-entry', 'LOAD_FRED'),
  GUEST_IA32_FRED_SSP2: c('VM-entry', 'LOAD_FRED'),
  GUEST_IA32_FRED_SSP3: c('VM-entry', 'LOAD_FRED'),
  HOST_IA32_FRED_CONFIG: c('VM-entry', 'LOAD_FRED'),
  HOST_IA32_FRED_RSP1: c('VM-entry', 'LOAD_FRED'),
  HOST_IA32_FRED_RSP2: c('VM-entry', 'LOAD_FRED'),
  HOST_IA32_FRED_RSP3: c('VM-entry', 'LOAD_FRED'),
  HOST_IA32_FRED_STKLVLS: c('VM-entry', 'LOAD_FRED'),
  HOST_IA32_FRED_SSP1: c('VM-entry', 'LOAD_FRED'),
  HOST_IA32_FRED_SSP2: c('VM-entry', 'LOAD_FRED'),
  HOST_IA32_FRED_SSP3: c('VM-entry', 'LOAD_FRED'),
  CR3_TARGET_VALUE0: { cr3Target: 0 },
  CR3_TARGET_VALUE1: { cr3Target: 1 },
  CR3_TARGET_VALUE2: { cr3Target: 2 },
  CR3_TARGET_VALUE3: { cr3Target: 3 },
};
