// VMCS component encodings.
//
// Encodings: SDM Vol. 3C Appendix B "Field Encoding in VMCS" (Tables B-1 to
// B-15); cross-checked against Linux arch/x86/include/asm/vmx.h (enum
// vmcs_field), Bochs cpu/vmx.h and ia32-doc. Encoding format: SDM 25.11.2
// "VMREAD, VMWRITE, and Encodings of VMCS Fields".
//
// One fact, one place: an encoding is written once, in F; its SDM name and its
// Appendix B table (width and type) are written once, in GROUPS. The test
// suite checks that each encoding's width/type bits agree with its table.
import { NameTable, UnknownNameError } from './names';

/** Canonical field ids -> full encodings (64-bit fields: the "full" access). */
const CANONICAL = {
  // B.1.1 16-bit control fields
  VIRTUAL_PROCESSOR_ID: 0x0000,
  POSTED_INTR_NOTIFICATION_VECTOR: 0x0002,
  EPTP_INDEX: 0x0004,
  HLAT_PREFIX_SIZE: 0x0006,
  LAST_PID_POINTER_INDEX: 0x0008,
  // B.1.2 16-bit guest-state fields
  GUEST_ES_SELECTOR: 0x0800,
  GUEST_CS_SELECTOR: 0x0802,
  GUEST_SS_SELECTOR: 0x0804,
  GUEST_DS_SELECTOR: 0x0806,
  GUEST_FS_SELECTOR: 0x0808,
  GUEST_GS_SELECTOR: 0x080a,
  GUEST_LDTR_SELECTOR: 0x080c,
  GUEST_TR_SELECTOR: 0x080e,
  GUEST_INTR_STATUS: 0x0810,
  GUEST_PML_INDEX: 0x0812,
  GUEST_UINV: 0x0814,
  // B.1.3 16-bit host-state fields
  HOST_ES_SELECTOR: 0x0c00,
  HOST_CS_SELECTOR: 0x0c02,
  HOST_SS_SELECTOR: 0x0c04,
  HOST_DS_SELECTOR: 0x0c06,
  HOST_FS_SELECTOR: 0x0c08,
  HOST_GS_SELECTOR: 0x0c0a,
  HOST_TR_SELECTOR: 0x0c0c,
  // B.2.1 64-bit control fields
  IO_BITMAP_A: 0x2000,
  IO_BITMAP_B: 0x2002,
  MSR_BITMAP: 0x2004,
  VM_EXIT_MSR_STORE_ADDR: 0x2006,
  VM_EXIT_MSR_LOAD_ADDR: 0x2008,
  VM_ENTRY_MSR_LOAD_ADDR: 0x200a,
  EXECUTIVE_VMCS_POINTER: 0x200c,
  PML_ADDRESS: 0x200e,
  TSC_OFFSET: 0x2010,
  VIRTUAL_APIC_PAGE_ADDR: 0x2012,
  APIC_ACCESS_ADDR: 0x2014,
  POSTED_INTR_DESC_ADDR: 0x2016,
  VM_FUNCTION_CONTROL: 0x2018,
  EPT_POINTER: 0x201a,
  EOI_EXIT_BITMAP0: 0x201c,
  EOI_EXIT_BITMAP1: 0x201e,
  EOI_EXIT_BITMAP2: 0x2020,
  EOI_EXIT_BITMAP3: 0x2022,
  EPTP_LIST_ADDRESS: 0x2024,
  VMREAD_BITMAP: 0x2026,
  VMWRITE_BITMAP: 0x2028,
  VE_INFORMATION_ADDRESS: 0x202a,
  XSS_EXIT_BITMAP: 0x202c,
  ENCLS_EXITING_BITMAP: 0x202e,
  SPPT_POINTER: 0x2030,
  TSC_MULTIPLIER: 0x2032,
  TERTIARY_VM_EXEC_CONTROL: 0x2034,
  ENCLV_EXITING_BITMAP: 0x2036,
  LOW_PASID_DIRECTORY_ADDRESS: 0x2038,
  HIGH_PASID_DIRECTORY_ADDRESS: 0x203a,
  SHARED_EPT_POINTER: 0x203c,
  PCONFIG_EXITING_BITMAP: 0x203e,
  HLAT_POINTER: 0x2040,
  PID_POINTER_TABLE: 0x2042,
  SECONDARY_VM_EXIT_CONTROLS: 0x2044,
  IA32_SPEC_CTRL_MASK: 0x204a,
  IA32_SPEC_CTRL_SHADOW: 0x204c,
  INJECTED_EVENT_DATA: 0x2052,
  // B.2.2 64-bit read-only data fields
  GUEST_PHYSICAL_ADDRESS: 0x2400,
  ORIGINAL_EVENT_DATA: 0x2404,
  // B.2.3 64-bit guest-state fields
  VMCS_LINK_POINTER: 0x2800,
  GUEST_IA32_DEBUGCTL: 0x2802,
  GUEST_IA32_PAT: 0x2804,
  GUEST_IA32_EFER: 0x2806,
  GUEST_IA32_PERF_GLOBAL_CTRL: 0x2808,
  GUEST_PDPTE0: 0x280a,
  GUEST_PDPTE1: 0x280c,
  GUEST_PDPTE2: 0x280e,
  GUEST_PDPTE3: 0x2810,
  GUEST_IA32_BNDCFGS: 0x2812,
  GUEST_IA32_RTIT_CTL: 0x2814,
  GUEST_IA32_LBR_CTL: 0x2816,
  GUEST_IA32_PKRS: 0x2818,
  GUEST_IA32_FRED_CONFIG: 0x281a,
  GUEST_IA32_FRED_RSP1: 0x281c,
  GUEST_IA32_FRED_RSP2: 0x281e,
  GUEST_IA32_FRED_RSP3: 0x2820,
  GUEST_IA32_FRED_STKLVLS: 0x2822,
  GUEST_IA32_FRED_SSP1: 0x2824,
  GUEST_IA32_FRED_SSP2: 0x2826,
  GUEST_IA32_FRED_SSP3: 0x2828,
  // B.2.4 64-bit host-state fields
  HOST_IA32_PAT: 0x2c00,
  HOST_IA32_EFER: 0x2c02,
  HOST_IA32_PERF_GLOBAL_CTRL: 0x2c04,
  HOST_IA32_PKRS: 0x2c06,
  HOST_IA32_FRED_CONFIG: 0x2c08,
  HOST_IA32_FRED_RSP1: 0x2c0a,
  HOST_IA32_FRED_RSP2: 0x2c0c,
  HOST_IA32_FRED_RSP3: 0x2c0e,
  HOST_IA32_FRED_STKLVLS: 0x2c10,
  HOST_IA32_FRED_SSP1: 0x2c12,
  HOST_IA32_FRED_SSP2: 0x2c14,
  HOST_IA32_FRED_SSP3: 0x2c16,
  // B.3.1 32-bit control fields
  PIN_BASED_VM_EXEC_CONTROL: 0x4000,
  PRIMARY_PROC_BASED_VM_EXEC_CONTROL: 0x4002,
  EXCEPTION_BITMAP: 0x4004,
  PAGE_FAULT_ERROR_CODE_MASK: 0x4006,
  PAGE_FAULT_ERROR_CODE_MATCH: 0x4008,
  CR3_TARGET_COUNT: 0x400a,
  VM_EXIT_CONTROLS: 0x400c,
  VM_EXIT_MSR_STORE_COUNT: 0x400e,
  VM_EXIT_MSR_LOAD_COUNT: 0x4010,
  VM_ENTRY_CONTROLS: 0x4012,
  VM_ENTRY_MSR_LOAD_COUNT: 0x4014,
  VM_ENTRY_INTR_INFO_FIELD: 0x4016,
  VM_ENTRY_EXCEPTION_ERROR_CODE: 0x4018,
  VM_ENTRY_INSTRUCTION_LEN: 0x401a,
  TPR_THRESHOLD: 0x401c,
  SECONDARY_VM_EXEC_CONTROL: 0x401e,
  PLE_GAP: 0x4020,
  PLE_WINDOW: 0x4022,
  INSTRUCTION_TIMEOUT_CONTROL: 0x4024,
  // B.3.2 32-bit read-only data fields
  VM_INSTRUCTION_ERROR: 0x4400,
  VM_EXIT_REASON: 0x4402,
  VM_EXIT_INTR_INFO: 0x4404,
  VM_EXIT_INTR_ERROR_CODE: 0x4406,
  IDT_VECTORING_INFO_FIELD: 0x4408,
  IDT_VECTORING_ERROR_CODE: 0x440a,
  VM_EXIT_INSTRUCTION_LEN: 0x440c,
  VMX_INSTRUCTION_INFO: 0x440e,
  // B.3.3 32-bit guest-state fields
  GUEST_ES_LIMIT: 0x4800,
  GUEST_CS_LIMIT: 0x4802,
  GUEST_SS_LIMIT: 0x4804,
  GUEST_DS_LIMIT: 0x4806,
  GUEST_FS_LIMIT: 0x4808,
  GUEST_GS_LIMIT: 0x480a,
  GUEST_LDTR_LIMIT: 0x480c,
  GUEST_TR_LIMIT: 0x480e,
  GUEST_GDTR_LIMIT: 0x4810,
  GUEST_IDTR_LIMIT: 0x4812,
  GUEST_ES_AR_BYTES: 0x4814,
  GUEST_CS_AR_BYTES: 0x4816,
  GUEST_SS_AR_BYTES: 0x4818,
  GUEST_DS_AR_BYTES: 0x481a,
  GUEST_FS_AR_BYTES: 0x481c,
  GUEST_GS_AR_BYTES: 0x481e,
  GUEST_LDTR_AR_BYTES: 0x4820,
  GUEST_TR_AR_BYTES: 0x4822,
  GUEST_INTERRUPTIBILITY_INFO: 0x4824,
  GUEST_ACTIVITY_STATE: 0x4826,
  GUEST_SMBASE: 0x4828,
  GUEST_SYSENTER_CS: 0x482a,
  VMX_PREEMPTION_TIMER_VALUE: 0x482e,
  // B.3.4 32-bit host-state field
  HOST_IA32_SYSENTER_CS: 0x4c00,
  // B.4.1 natural-width control fields
  CR0_GUEST_HOST_MASK: 0x6000,
  CR4_GUEST_HOST_MASK: 0x6002,
  CR0_READ_SHADOW: 0x6004,
  CR4_READ_SHADOW: 0x6006,
  CR3_TARGET_VALUE0: 0x6008,
  CR3_TARGET_VALUE1: 0x600a,
  CR3_TARGET_VALUE2: 0x600c,
  CR3_TARGET_VALUE3: 0x600e,
  // B.4.2 natural-width read-only data fields
  EXIT_QUALIFICATION: 0x6400,
  IO_RCX: 0x6402,
  IO_RSI: 0x6404,
  IO_RDI: 0x6406,
  IO_RIP: 0x6408,
  GUEST_LINEAR_ADDRESS: 0x640a,
  // B.4.3 natural-width guest-state fields
  GUEST_CR0: 0x6800,
  GUEST_CR3: 0x6802,
  GUEST_CR4: 0x6804,
  GUEST_ES_BASE: 0x6806,
  GUEST_CS_BASE: 0x6808,
  GUEST_SS_BASE: 0x680a,
  GUEST_DS_BASE: 0x680c,
  GUEST_FS_BASE: 0x680e,
  GUEST_GS_BASE: 0x6810,
  GUEST_LDTR_BASE: 0x6812,
  GUEST_TR_BASE: 0x6814,
  GUEST_GDTR_BASE: 0x6816,
  GUEST_IDTR_BASE: 0x6818,
  GUEST_DR7: 0x681a,
  GUEST_RSP: 0x681c,
  GUEST_RIP: 0x681e,
  GUEST_RFLAGS: 0x6820,
  GUEST_PENDING_DBG_EXCEPTIONS: 0x6822,
  GUEST_SYSENTER_ESP: 0x6824,
  GUEST_SYSENTER_EIP: 0x6826,
  GUEST_S_CET: 0x6828,
  GUEST_SSP: 0x682a,
  GUEST_INTERRUPT_SSP_TABLE_ADDR: 0x682c,
  // B.4.4 natural-width host-state fields
  HOST_CR0: 0x6c00,
  HOST_CR3: 0x6c02,
  HOST_CR4: 0x6c04,
  HOST_FS_BASE: 0x6c06,
  HOST_GS_BASE: 0x6c08,
  HOST_TR_BASE: 0x6c0a,
  HOST_GDTR_BASE: 0x6c0c,
  HOST_IDTR_BASE: 0x6c0e,
  HOST_IA32_SYSENTER_ESP: 0x6c10,
  HOST_IA32_SYSENTER_EIP: 0x6c12,
  HOST_RSP: 0x6c14,
  HOST_RIP: 0x6c16,
  HOST_S_CET: 0x6c18,
  HOST_SSP: 0x6c1a,
  HOST_INTERRUPT_SSP_TABLE_ADDR: 0x6c1c,
} as const;

export type VmcsFieldId = keyof typeof CANONICAL;

/**
 * Alternative ids (mostly Linux enum vmcs_field spellings) accepted by
 * lookupField and present in F for code ported from KVM.
 */
const ALIASES = {
  POSTED_INTR_NV: 'POSTED_INTR_NOTIFICATION_VECTOR',
  CPU_BASED_VM_EXEC_CONTROL: 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL',
  PRIMARY_VM_EXIT_CONTROLS: 'VM_EXIT_CONTROLS',
  EPTP: 'EPT_POINTER',
  GUEST_PDPTR0: 'GUEST_PDPTE0',
  GUEST_PDPTR1: 'GUEST_PDPTE1',
  GUEST_PDPTR2: 'GUEST_PDPTE2',
  GUEST_PDPTR3: 'GUEST_PDPTE3',
  GUEST_BNDCFGS: 'GUEST_IA32_BNDCFGS',
  NOTIFY_WINDOW: 'INSTRUCTION_TIMEOUT_CONTROL',
  GUEST_IA32_SYSENTER_CS: 'GUEST_SYSENTER_CS',
  GUEST_IA32_SYSENTER_ESP: 'GUEST_SYSENTER_ESP',
  GUEST_IA32_SYSENTER_EIP: 'GUEST_SYSENTER_EIP',
  HOST_SYSENTER_CS: 'HOST_IA32_SYSENTER_CS',
  HOST_SYSENTER_ESP: 'HOST_IA32_SYSENTER_ESP',
  HOST_SYSENTER_EIP: 'HOST_IA32_SYSENTER_EIP',
  GUEST_INTR_SSP_TABLE: 'GUEST_INTERRUPT_SSP_TABLE_ADDR',
  HOST_INTR_SSP_TABLE: 'HOST_INTERRUPT_SSP_TABLE_ADDR',
  GUEST_ES_ACCESS_RIGHTS: 'GUEST_ES_AR_BYTES',
  GUEST_CS_ACCESS_RIGHTS: 'GUEST_CS_AR_BYTES',
  GUEST_SS_ACCESS_RIGHTS: 'GUEST_SS_AR_BYTES',
  GUEST_DS_ACCESS_RIGHTS: 'GUEST_DS_AR_BYTES',
  GUEST_FS_ACCESS_RIGHTS: 'GUEST_FS_AR_BYTES',
  GUEST_GS_ACCESS_RIGHTS: 'GUEST_GS_AR_BYTES',
  GUEST_LDTR_ACCESS_RIGHTS: 'GUEST_LDTR_AR_BYTES',
  GUEST_TR_ACCESS_RIGHTS: 'GUEST_TR_AR_BYTES',
  GUEST_INTERRUPTIBILITY_STATE: 'GUEST_INTERRUPTIBILITY_INFO',
  VM_EXIT_INSTRUCTION_INFO: 'VMX_INSTRUCTION_INFO',
  VMREAD_BITMAP_ADDRESS: 'VMREAD_BITMAP',
  VMWRITE_BITMAP_ADDRESS: 'VMWRITE_BITMAP',
  PID_POINTER_TABLE_ADDRESS: 'PID_POINTER_TABLE',
} as const satisfies Record<string, VmcsFieldId>;

type AliasValues = { readonly [K in keyof typeof ALIASES]: (typeof CANONICAL)[(typeof ALIASES)[K]] };

/**
 * Hot-path constants: `F.GUEST_RIP === 0x681e`. For 64-bit fields this is the
 * full-access encoding; the high half is `F.X | 1` (also listed in VMCS_FIELDS
 * as `X_HIGH`).
 */
export const F: typeof CANONICAL & AliasValues = Object.freeze({
  ...CANONICAL,
  ...(Object.fromEntries(Object.entries(ALIASES).map(([a, c]) => [a, CANONICAL[c]])) as AliasValues),
});

export type FieldWidth = '16-bit' | '32-bit' | '64-bit' | 'natural-width';
export type FieldType = 'control' | 'VM-exit information' | 'guest-state' | 'host-state';

export interface VmcsField {
  encoding: number;
  /** Identifier, e.g. GUEST_RIP; 64-bit high halves are X_HIGH. */
  id: string;
  /** SDM Appendix B name, e.g. "Guest RIP"; high halves are "<name> (high)". */
  name: string;
  width: FieldWidth;
  type: FieldType;
  access: 'full' | 'high';
}

interface Group {
  table: string;
  width: FieldWidth;
  type: FieldType;
  names: Partial<Record<VmcsFieldId, string>>;
}

const SEGS = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS', 'LDTR', 'TR'] as const;
function segmentNames(suffix: 'SELECTOR' | 'LIMIT' | 'AR_BYTES' | 'BASE', label: string, segs: readonly string[]) {
  const out: Record<string, string> = {};
  for (const s of segs) out[`GUEST_${s}_${suffix}`] = `Guest ${s} ${label}`;
  return out as Partial<Record<VmcsFieldId, string>>;
}

/** SDM Appendix B tables: which fields each holds, with their SDM names. */
const GROUPS: readonly Group[] = [
  {
    table: 'B-1 16-Bit Control Fields', width: '16-bit', type: 'control',
    names: {
      VIRTUAL_PROCESSOR_ID: 'Virtual-processor identifier (VPID)',
      POSTED_INTR_NOTIFICATION_VECTOR: 'Posted-interrupt notification vector',
      EPTP_INDEX: 'EPTP index',
      HLAT_PREFIX_SIZE: 'HLAT prefix size',
      LAST_PID_POINTER_INDEX: 'Last PID-pointer index',
    },
  },
  {
    table: 'B-2 16-Bit Guest-State Fields', width: '16-bit', type: 'guest-state',
    names: {
      ...segmentNames('SELECTOR', 'selector', SEGS),
      GUEST_INTR_STATUS: 'Guest interrupt status',
      GUEST_PML_INDEX: 'PML index',
      GUEST_UINV: 'Guest UINV',
    },
  },
  {
    table: 'B-3 16-Bit Host-State Fields', width: '16-bit', type: 'host-state',
    names: {
      HOST_ES_SELECTOR: 'Host ES selector', HOST_CS_SELECTOR: 'Host CS selector',
      HOST_SS_SELECTOR: 'Host SS selector', HOST_DS_SELECTOR: 'Host DS selector',
      HOST_FS_SELECTOR: 'Host FS selector', HOST_GS_SELECTOR: 'Host GS selector',
      HOST_TR_SELECTOR: 'Host TR selector',
    },
  },
  {
    table: 'B-4 64-Bit Control Fields', width: '64-bit', type: 'control',
    names: {
      IO_BITMAP_A: 'Address of I/O bitmap A',
      IO_BITMAP_B: 'Address of I/O bitmap B',
      MSR_BITMAP: 'Address of MSR bitmaps',
      VM_EXIT_MSR_STORE_ADDR: 'VM-exit MSR-store address',
      VM_EXIT_MSR_LOAD_ADDR: 'VM-exit MSR-load address',
      VM_ENTRY_MSR_LOAD_ADDR: 'VM-entry MSR-load address',
      EXECUTIVE_VMCS_POINTER: 'Executive-VMCS pointer',
      PML_ADDRESS: 'PML address',
      TSC_OFFSET: 'TSC offset',
      VIRTUAL_APIC_PAGE_ADDR: 'Virtual-APIC address',
      APIC_ACCESS_ADDR: 'APIC-access address',
      POSTED_INTR_DESC_ADDR: 'Posted-interrupt descriptor address',
      VM_FUNCTION_CONTROL: 'VM-function controls',
      EPT_POINTER: 'EPT pointer',
      EOI_EXIT_BITMAP0: 'EOI-exit bitmap 0',
      EOI_EXIT_BITMAP1: 'EOI-exit bitmap 1',
      EOI_EXIT_BITMAP2: 'EOI-exit bitmap 2',
      EOI_EXIT_BITMAP3: 'EOI-exit bitmap 3',
      EPTP_LIST_ADDRESS: 'EPTP-list address',
      VMREAD_BITMAP: 'VMREAD-bitmap address',
      VMWRITE_BITMAP: 'VMWRITE-bitmap address',
      VE_INFORMATION_ADDRESS: 'Virtualization-exception information address',
      XSS_EXIT_BITMAP: 'XSS-exiting bitmap',
      ENCLS_EXITING_BITMAP: 'ENCLS-exiting bitmap',
      SPPT_POINTER: 'Sub-page-permission-table pointer',
      TSC_MULTIPLIER: 'TSC multiplier',
      TERTIARY_VM_EXEC_CONTROL: 'Tertiary processor-based VM-execution controls',
      ENCLV_EXITING_BITMAP: 'ENCLV-exiting bitmap',
      LOW_PASID_DIRECTORY_ADDRESS: 'Low PASID directory address',
      HIGH_PASID_DIRECTORY_ADDRESS: 'High PASID directory address',
      SHARED_EPT_POINTER: 'Shared EPT pointer',
      PCONFIG_EXITING_BITMAP: 'PCONFIG-exiting bitmap',
      HLAT_POINTER: 'Hypervisor-managed linear-address translation pointer',
      PID_POINTER_TABLE: 'PID-pointer table address',
      SECONDARY_VM_EXIT_CONTROLS: 'Secondary VM-exit controls',
      IA32_SPEC_CTRL_MASK: 'IA32_SPEC_CTRL mask',
      IA32_SPEC_CTRL_SHADOW: 'IA32_SPEC_CTRL shadow',
      INJECTED_EVENT_DATA: 'Injected-event data',
    },
  },
  {
    table: 'B-5 64-Bit Read-Only Data Fields', width: '64-bit', type: 'VM-exit information',
    names: { GUEST_PHYSICAL_ADDRESS: 'Guest-physical address', ORIGINAL_EVENT_DATA: 'Original-event data' },
  },
  {
    table: 'B-6 64-Bit Guest-State Fields', width: '64-bit', type: 'guest-state',
    names: {
      VMCS_LINK_POINTER: 'VMCS link pointer',
      GUEST_IA32_DEBUGCTL: 'Guest IA32_DEBUGCTL',
      GUEST_IA32_PAT: 'Guest IA32_PAT',
      GUEST_IA32_EFER: 'Guest IA32_EFER',
      GUEST_IA32_PERF_GLOBAL_CTRL: 'Guest IA32_PERF_GLOBAL_CTRL',
      GUEST_PDPTE0: 'Guest PDPTE0', GUEST_PDPTE1: 'Guest PDPTE1',
      GUEST_PDPTE2: 'Guest PDPTE2', GUEST_PDPTE3: 'Guest PDPTE3',
      GUEST_IA32_BNDCFGS: 'Guest IA32_BNDCFGS',
      GUEST_IA32_RTIT_CTL: 'Guest IA32_RTIT_CTL',
      GUEST_IA32_LBR_CTL: 'Guest IA32_LBR_CTL',
      GUEST_IA32_PKRS: 'Guest IA32_PKRS',
      GUEST_IA32_FRED_CONFIG: 'Guest IA32_FRED_CONFIG',
      GUEST_IA32_FRED_RSP1: 'Guest IA32_FRED_RSP1',
      GUEST_IA32_FRED_RSP2: 'Guest IA32_FRED_RSP2',
      GUEST_IA32_FRED_RSP3: 'Guest IA32_FRED_RSP3',
      GUEST_IA32_FRED_STKLVLS: 'Guest IA32_FRED_STKLVLS',
      GUEST_IA32_FRED_SSP1: 'Guest IA32_FRED_SSP1',
      GUEST_IA32_FRED_SSP2: 'Guest IA32_FRED_SSP2',
      GUEST_IA32_FRED_SSP3: 'Guest IA32_FRED_SSP3',
    },
  },
  {
    table: 'B-7 64-Bit Host-State Fields', width: '64-bit', type: 'host-state',
    names: {
      HOST_IA32_PAT: 'Host IA32_PAT',
      HOST_IA32_EFER: 'Host IA32_EFER',
      HOST_IA32_PERF_GLOBAL_CTRL: 'Host IA32_PERF_GLOBAL_CTRL',
      HOST_IA32_PKRS: 'Host IA32_PKRS',
      HOST_IA32_FRED_CONFIG: 'Host IA32_FRED_CONFIG',
      HOST_IA32_FRED_RSP1: 'Host IA32_FRED_RSP1',
      HOST_IA32_FRED_RSP2: 'Host IA32_FRED_RSP2',
      HOST_IA32_FRED_RSP3: 'Host IA32_FRED_RSP3',
      HOST_IA32_FRED_STKLVLS: 'Host IA32_FRED_STKLVLS',
      HOST_IA32_FRED_SSP1: 'Host IA32_FRED_SSP1',
      HOST_IA32_FRED_SSP2: 'Host IA32_FRED_SSP2',
      HOST_IA32_FRED_SSP3: 'Host IA32_FRED_SSP3',
    },
  },
  {
    table: 'B-8 32-Bit Control Fields', width: '32-bit', type: 'control',
    names: {
      PIN_BASED_VM_EXEC_CONTROL: 'Pin-based VM-execution controls',
      PRIMARY_PROC_BASED_VM_EXEC_CONTROL: 'Primary processor-based VM-execution controls',
      EXCEPTION_BITMAP: 'Exception bitmap',
      PAGE_FAULT_ERROR_CODE_MASK: 'Page-fault error-code mask',
      PAGE_FAULT_ERROR_CODE_MATCH: 'Page-fault error-code match',
      CR3_TARGET_COUNT: 'CR3-target count',
      VM_EXIT_CONTROLS: 'Primary VM-exit controls',
      VM_EXIT_MSR_STORE_COUNT: 'VM-exit MSR-store count',
      VM_EXIT_MSR_LOAD_COUNT: 'VM-exit MSR-load count',
      VM_ENTRY_CONTROLS: 'VM-entry controls',
      VM_ENTRY_MSR_LOAD_COUNT: 'VM-entry MSR-load count',
      VM_ENTRY_INTR_INFO_FIELD: 'VM-entry interruption-information field',
      VM_ENTRY_EXCEPTION_ERROR_CODE: 'VM-entry exception error code',
      VM_ENTRY_INSTRUCTION_LEN: 'VM-entry instruction length',
      TPR_THRESHOLD: 'TPR threshold',
      SECONDARY_VM_EXEC_CONTROL: 'Secondary processor-based VM-execution controls',
      PLE_GAP: 'PLE_Gap',
      PLE_WINDOW: 'PLE_Window',
      INSTRUCTION_TIMEOUT_CONTROL: 'Instruction-timeout control',
    },
  },
  {
    table: 'B-9 32-Bit Read-Only Data Fields', width: '32-bit', type: 'VM-exit information',
    names: {
      VM_INSTRUCTION_ERROR: 'VM-instruction error',
      VM_EXIT_REASON: 'Exit reason',
      VM_EXIT_INTR_INFO: 'VM-exit interruption information',
      VM_EXIT_INTR_ERROR_CODE: 'VM-exit interruption error code',
      IDT_VECTORING_INFO_FIELD: 'IDT-vectoring information field',
      IDT_VECTORING_ERROR_CODE: 'IDT-vectoring error code',
      VM_EXIT_INSTRUCTION_LEN: 'VM-exit instruction length',
      VMX_INSTRUCTION_INFO: 'VM-exit instruction information',
    },
  },
  {
    table: 'B-10 32-Bit Guest-State Fields', width: '32-bit', type: 'guest-state',
    names: {
      ...segmentNames('LIMIT', 'limit', [...SEGS, 'GDTR', 'IDTR']),
      ...segmentNames('AR_BYTES', 'access rights', SEGS),
      GUEST_INTERRUPTIBILITY_INFO: 'Guest interruptibility state',
      GUEST_ACTIVITY_STATE: 'Guest activity state',
      GUEST_SMBASE: 'Guest SMBASE',
      GUEST_SYSENTER_CS: 'Guest IA32_SYSENTER_CS',
      VMX_PREEMPTION_TIMER_VALUE: 'VMX-preemption timer value',
    },
  },
  {
    table: 'B-11 32-Bit Host-State Field', width: '32-bit', type: 'host-state',
    names: { HOST_IA32_SYSENTER_CS: 'Host IA32_SYSENTER_CS' },
  },
  {
    table: 'B-12 Natural-Width Control Fields', width: 'natural-width', type: 'control',
    names: {
      CR0_GUEST_HOST_MASK: 'CR0 guest/host mask',
      CR4_GUEST_HOST_MASK: 'CR4 guest/host mask',
      CR0_READ_SHADOW: 'CR0 read shadow',
      CR4_READ_SHADOW: 'CR4 read shadow',
      CR3_TARGET_VALUE0: 'CR3-target value 0',
      CR3_TARGET_VALUE1: 'CR3-target value 1',
      CR3_TARGET_VALUE2: 'CR3-target value 2',
      CR3_TARGET_VALUE3: 'CR3-target value 3',
    },
  },
  {
    table: 'B-13 Natural-Width Read-Only Data Fields', width: 'natural-width', type: 'VM-exit information',
    names: {
      EXIT_QUALIFICATION: 'Exit qualification',
      IO_RCX: 'I/O RCX', IO_RSI: 'I/O RSI', IO_RDI: 'I/O RDI', IO_RIP: 'I/O RIP',
      GUEST_LINEAR_ADDRESS: 'Guest-linear address',
    },
  },
  {
    table: 'B-14 Natural-Width Guest-State Fields', width: 'natural-width', type: 'guest-state',
    names: {
      GUEST_CR0: 'Guest CR0', GUEST_CR3: 'Guest CR3', GUEST_CR4: 'Guest CR4',
      ...segmentNames('BASE', 'base', [...SEGS, 'GDTR', 'IDTR']),
      GUEST_DR7: 'Guest DR7',
      GUEST_RSP: 'Guest RSP',
      GUEST_RIP: 'Guest RIP',
      GUEST_RFLAGS: 'Guest RFLAGS',
      GUEST_PENDING_DBG_EXCEPTIONS: 'Guest pending debug exceptions',
      GUEST_SYSENTER_ESP: 'Guest IA32_SYSENTER_ESP',
      GUEST_SYSENTER_EIP: 'Guest IA32_SYSENTER_EIP',
      GUEST_S_CET: 'Guest IA32_S_CET',
      GUEST_SSP: 'Guest SSP',
      GUEST_INTERRUPT_SSP_TABLE_ADDR: 'Guest IA32_INTERRUPT_SSP_TABLE_ADDR',
    },
  },
  {
    table: 'B-15 Natural-Width Host-State Fields', width: 'natural-width', type: 'host-state',
    names: {
      HOST_CR0: 'Host CR0', HOST_CR3: 'Host CR3', HOST_CR4: 'Host CR4',
      HOST_FS_BASE: 'Host FS base', HOST_GS_BASE: 'Host GS base', HOST_TR_BASE: 'Host TR base',
      HOST_GDTR_BASE: 'Host GDTR base', HOST_IDTR_BASE: 'Host IDTR base',
      HOST_IA32_SYSENTER_ESP: 'Host IA32_SYSENTER_ESP',
      HOST_IA32_SYSENTER_EIP: 'Host IA32_SYSENTER_EIP',
      HOST_RSP: 'Host RSP',
      HOST_RIP: 'Host RIP',
      HOST_S_CET: 'Host IA32_S_CET',
      HOST_SSP: 'Host SSP',
      HOST_INTERRUPT_SSP_TABLE_ADDR: 'Host IA32_INTERRUPT_SSP_TABLE_ADDR',
    },
  },
];

/** Extra names that some SDM editions or common usage give a field. */
const NAME_ALIASES: Partial<Record<VmcsFieldId, readonly string[]>> = {
  VIRTUAL_PROCESSOR_ID: ['VPID', 'Virtual-processor identifier'],
  IO_BITMAP_A: ['I/O bitmap A address', 'I/O bitmap A'],
  IO_BITMAP_B: ['I/O bitmap B address', 'I/O bitmap B'],
  MSR_BITMAP: ['MSR-bitmap address', 'MSR bitmaps'],
  EPT_POINTER: ['EPT pointer (EPTP)'],
  VM_EXIT_CONTROLS: ['VM-exit controls'],
  PRIMARY_PROC_BASED_VM_EXEC_CONTROL: ['Processor-based VM-execution controls'],
  VM_EXIT_REASON: ['VM-exit reason'],
  VMX_INSTRUCTION_INFO: ['VMX-instruction information'],
  VM_FUNCTION_CONTROL: ['VM-function control'],
};

export const VMCS_FIELDS: readonly VmcsField[] = (() => {
  const out: VmcsField[] = [];
  const placed = new Set<string>();
  for (const g of GROUPS) {
    for (const [id, name] of Object.entries(g.names) as [VmcsFieldId, string][]) {
      if (placed.has(id)) throw new Error(`VMCS field ${id} is listed in two Appendix B tables`);
      placed.add(id);
      const encoding = CANONICAL[id];
      out.push(Object.freeze({ encoding, id, name, width: g.width, type: g.type, access: 'full' as const }));
      if (g.width === '64-bit') {
        out.push(Object.freeze({
          encoding: encoding | 1, id: `${id}_HIGH`, name: `${name} (high)`,
          width: g.width, type: g.type, access: 'high' as const,
        }));
      }
    }
  }
  for (const id of Object.keys(CANONICAL)) {
    if (!placed.has(id)) throw new Error(`VMCS field ${id} is in no Appendix B table`);
  }
  return Object.freeze(out.sort((a, b) => a.encoding - b.encoding));
})();

/** Number of VMCS components known here, counting 64-bit high halves separately. */
export const VMCS_FIELD_COUNT: number = VMCS_FIELDS.length;

/** Highest index (encoding bits 9:1) of any known field: the value for IA32_VMX_VMCS_ENUM bits 9:1. */
export const MAX_FIELD_INDEX: number = VMCS_FIELDS.reduce((m, f) => Math.max(m, (f.encoding >>> 1) & 0x1ff), 0);

const BY_ENCODING = new Map<number, VmcsField>(VMCS_FIELDS.map((f) => [f.encoding, f]));

/** O(1) lookup by encoding (either access type). */
export function fieldByEncoding(enc: number): VmcsField | undefined {
  return BY_ENCODING.get(enc);
}

const TABLE = new NameTable<VmcsField>('VMCS field', {
  describe: (f) => `${f.name} (0x${f.encoding.toString(16).padStart(4, '0')})`,
});
for (const f of VMCS_FIELDS) {
  TABLE.add(f.id, f);
  TABLE.add(f.name, f);
}
function highOf(id: VmcsFieldId): VmcsField | undefined {
  return BY_ENCODING.get(CANONICAL[id] | 1);
}
for (const [id, names] of Object.entries(NAME_ALIASES) as [VmcsFieldId, readonly string[]][]) {
  const full = BY_ENCODING.get(CANONICAL[id])!;
  for (const n of names) {
    TABLE.add(n, full);
    const high = highOf(id);
    if (full.width === '64-bit' && high) TABLE.add(`${n} (high)`, high, true);
  }
}
for (const [alias, id] of Object.entries(ALIASES) as [string, VmcsFieldId][]) {
  const full = BY_ENCODING.get(CANONICAL[id])!;
  TABLE.add(alias, full);
  const high = highOf(id);
  if (full.width === '64-bit' && high) TABLE.add(`${alias}_HIGH`, high, true);
}

/** The name table behind lookupField (for parameter types and listings). */
export const VMCS_FIELD_NAMES: NameTable<VmcsField> = TABLE;

/** Resolve a field by SDM name, id, alias, or hex encoding ("0x681e"). */
export function lookupField(token: string): VmcsField {
  const t = token.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) {
    const f = fieldByEncoding(parseInt(t, 16));
    if (f === undefined) throw new UnknownNameError('VMCS field', token, []);
    return f;
  }
  return TABLE.get(t);
}

const TYPES: readonly FieldType[] = ['control', 'VM-exit information', 'guest-state', 'host-state'];
const WIDTHS: readonly FieldWidth[] = ['16-bit', '64-bit', '32-bit', 'natural-width'];

/** SDM 25.11.2, "Structure of VMCS Component Encoding": bits other than 14:13, 11:0. */
export const ENCODING_RESERVED_MASK = 0xffff9000;

export interface DecodedEncoding {
  access: 'full' | 'high';
  index: number;
  type: FieldType;
  width: FieldWidth;
  /** Bit 12 or any of bits 31:15 is set. */
  reservedBitsSet: boolean;
  /** Access type "high" (bit 0 = 1) used with a width other than 64-bit. */
  invalidHighAccess: boolean;
}

/**
 * Split a 32-bit VMREAD/VMWRITE encoding into its parts (SDM 25.11.2):
 * bit 0 access type, bits 9:1 index, bits 11:10 type, bit 12 reserved,
 * bits 14:13 width, bits 31:15 reserved.
 */
export function decodeEncoding(enc: number): DecodedEncoding {
  const e = enc >>> 0;
  const width = WIDTHS[(e >>> 13) & 3];
  const access = (e & 1) === 1 ? 'high' : 'full';
  return {
    access,
    index: (e >>> 1) & 0x1ff,
    type: TYPES[(e >>> 10) & 3],
    width,
    reservedBitsSet: (e & ENCODING_RESERVED_MASK) !== 0,
    invalidHighAccess: access === 'high' && width !== '64-bit',
  };
}

/** Build an encoding from its parts (inverse of decodeEncoding for valid encodings). */
export function encodeEncoding(p: { access?: 'full' | 'high'; index: number; type: FieldType; width: FieldWidth }): number {
  return (
    (WIDTHS.indexOf(p.width) << 13) |
    (TYPES.indexOf(p.type) << 10) |
    ((p.index & 0x1ff) << 1) |
    (p.access === 'high' ? 1 : 0)
  );
}

/** Size of the value VMREAD/VMWRITE transfers: natural width is 64 on a 64-bit processor; a high access is 32. */
export function widthBits(f: VmcsField): 16 | 32 | 64 {
  if (f.access === 'high') return 32;
  switch (f.width) {
    case '16-bit':
      return 16;
    case '32-bit':
      return 32;
    default:
      return 64;
  }
}
