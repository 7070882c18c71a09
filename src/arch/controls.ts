// VMX control bits: pin-based, primary/secondary/tertiary processor-based
// VM-execution controls, VM-exit and VM-entry controls.
//
// Bit positions: SDM Vol. 3C 25.6.1 "Pin-Based VM-Execution Controls",
// 25.6.2 "Processor-Based VM-Execution Controls", 25.7.1 "VM-Exit Controls",
// 25.8.1 "VM-Entry Controls"; default1 classes: Appendix A.3.1-A.3.4, A.4, A.5.
// Cross-checked against Linux arch/x86/include/asm/vmx.h, vmxfeatures.h,
// Bochs cpu/vmx_ctrls.h and ia32-doc.
import { F } from './vmcs-fields';
import { MSR } from './msrs';
import { NameTable } from './names';

export type ControlField =
  | 'pin-based'
  | 'primary processor-based'
  | 'secondary processor-based'
  | 'tertiary processor-based'
  | 'VM-exit'
  | 'VM-entry';

export interface ControlBit {
  /** SDM spelling, e.g. "HLT exiting". */
  name: string;
  /** Identifier, e.g. HLT_EXITING; equals the key in PIN/PROC/PROC2/PROC3/EXIT_CTL/ENTRY_CTL. */
  id: string;
  field: ControlField;
  bit: number;
  /** In the default1 class of Appendix A (reported as must-be-1 by the non-TRUE capability MSR). */
  default1: boolean;
}

/** SDM 25.6.1, Table "Definitions of Pin-Based VM-Execution Controls". */
export const PIN = {
  EXTERNAL_INTERRUPT_EXITING: 1 << 0,
  NMI_EXITING: 1 << 3,
  VIRTUAL_NMIS: 1 << 5,
  ACTIVATE_VMX_PREEMPTION_TIMER: 1 << 6,
  PROCESS_POSTED_INTERRUPTS: 1 << 7,
} as const;

/** SDM 25.6.2, Table "Definitions of Primary Processor-Based VM-Execution Controls". */
export const PROC = {
  INTERRUPT_WINDOW_EXITING: 1 << 2,
  USE_TSC_OFFSETTING: 1 << 3,
  HLT_EXITING: 1 << 7,
  INVLPG_EXITING: 1 << 9,
  MWAIT_EXITING: 1 << 10,
  RDPMC_EXITING: 1 << 11,
  RDTSC_EXITING: 1 << 12,
  CR3_LOAD_EXITING: 1 << 15,
  CR3_STORE_EXITING: 1 << 16,
  ACTIVATE_TERTIARY_CONTROLS: 1 << 17,
  CR8_LOAD_EXITING: 1 << 19,
  CR8_STORE_EXITING: 1 << 20,
  USE_TPR_SHADOW: 1 << 21,
  NMI_WINDOW_EXITING: 1 << 22,
  MOV_DR_EXITING: 1 << 23,
  UNCONDITIONAL_IO_EXITING: 1 << 24,
  USE_IO_BITMAPS: 1 << 25,
  MONITOR_TRAP_FLAG: 1 << 27,
  USE_MSR_BITMAPS: 1 << 28,
  MONITOR_EXITING: 1 << 29,
  PAUSE_EXITING: 1 << 30,
  ACTIVATE_SECONDARY_CONTROLS: (1 << 31) >>> 0,
} as const;

/** SDM 25.6.2, Table "Definitions of Secondary Processor-Based VM-Execution Controls". */
export const PROC2 = {
  VIRTUALIZE_APIC_ACCESSES: 1 << 0,
  ENABLE_EPT: 1 << 1,
  DESCRIPTOR_TABLE_EXITING: 1 << 2,
  ENABLE_RDTSCP: 1 << 3,
  VIRTUALIZE_X2APIC_MODE: 1 << 4,
  ENABLE_VPID: 1 << 5,
  WBINVD_EXITING: 1 << 6,
  UNRESTRICTED_GUEST: 1 << 7,
  APIC_REGISTER_VIRTUALIZATION: 1 << 8,
  VIRTUAL_INTERRUPT_DELIVERY: 1 << 9,
  PAUSE_LOOP_EXITING: 1 << 10,
  RDRAND_EXITING: 1 << 11,
  ENABLE_INVPCID: 1 << 12,
  ENABLE_VM_FUNCTIONS: 1 << 13,
  VMCS_SHADOWING: 1 << 14,
  ENABLE_ENCLS_EXITING: 1 << 15,
  RDSEED_EXITING: 1 << 16,
  ENABLE_PML: 1 << 17,
  EPT_VIOLATION_VE: 1 << 18,
  CONCEAL_VMX_FROM_PT: 1 << 19,
  ENABLE_XSAVES_XRSTORS: 1 << 20,
  PASID_TRANSLATION: 1 << 21,
  MODE_BASED_EXECUTE_CONTROL_FOR_EPT: 1 << 22,
  SUB_PAGE_WRITE_PERMISSIONS_FOR_EPT: 1 << 23,
  INTEL_PT_USES_GUEST_PHYSICAL_ADDRESSES: 1 << 24,
  USE_TSC_SCALING: 1 << 25,
  ENABLE_USER_WAIT_AND_PAUSE: 1 << 26,
  ENABLE_PCONFIG: 1 << 27,
  ENABLE_ENCLV_EXITING: 1 << 28,
  VMM_BUS_LOCK_DETECTION: 1 << 30,
  INSTRUCTION_TIMEOUT: (1 << 31) >>> 0,
} as const;

/** SDM 25.6.2, Table "Definitions of Tertiary Processor-Based VM-Execution Controls" (a 64-bit field). */
export const PROC3 = {
  LOADIWKEY_EXITING: 1n << 0n,
  ENABLE_HLAT: 1n << 1n,
  EPT_PAGING_WRITE_CONTROL: 1n << 2n,
  GUEST_PAGING_VERIFICATION: 1n << 3n,
  IPI_VIRTUALIZATION: 1n << 4n,
  ENABLE_MSR_LIST_INSTRUCTIONS: 1n << 6n,
  VIRTUALIZE_IA32_SPEC_CTRL: 1n << 7n,
} as const;

/** SDM 25.7.1, Table "Definitions of Primary VM-Exit Controls". */
export const EXIT_CTL = {
  SAVE_DEBUG_CONTROLS: 1 << 2,
  HOST_ADDRESS_SPACE_SIZE: 1 << 9,
  LOAD_IA32_PERF_GLOBAL_CTRL: 1 << 12,
  ACKNOWLEDGE_INTERRUPT_ON_EXIT: 1 << 15,
  SAVE_IA32_PAT: 1 << 18,
  LOAD_IA32_PAT: 1 << 19,
  SAVE_IA32_EFER: 1 << 20,
  LOAD_IA32_EFER: 1 << 21,
  SAVE_VMX_PREEMPTION_TIMER_VALUE: 1 << 22,
  CLEAR_IA32_BNDCFGS: 1 << 23,
  CONCEAL_VMX_FROM_PT: 1 << 24,
  CLEAR_IA32_RTIT_CTL: 1 << 25,
  CLEAR_IA32_LBR_CTL: 1 << 26,
  CLEAR_UINV: 1 << 27,
  LOAD_CET_STATE: 1 << 28,
  LOAD_PKRS: 1 << 29,
  SAVE_IA32_PERF_GLOBAL_CTL: 1 << 30,
  ACTIVATE_SECONDARY_CONTROLS: (1 << 31) >>> 0,
} as const;

/** SDM 25.8.1, Table "Definitions of VM-Entry Controls". */
export const ENTRY_CTL = {
  LOAD_DEBUG_CONTROLS: 1 << 2,
  IA32E_MODE_GUEST: 1 << 9,
  ENTRY_TO_SMM: 1 << 10,
  DEACTIVATE_DUAL_MONITOR_TREATMENT: 1 << 11,
  LOAD_IA32_PERF_GLOBAL_CTRL: 1 << 13,
  LOAD_IA32_PAT: 1 << 14,
  LOAD_IA32_EFER: 1 << 15,
  LOAD_IA32_BNDCFGS: 1 << 16,
  CONCEAL_VMX_FROM_PT: 1 << 17,
  LOAD_IA32_RTIT_CTL: 1 << 18,
  LOAD_UINV: 1 << 19,
  LOAD_CET_STATE: 1 << 20,
  LOAD_GUEST_IA32_LBR_CTL: 1 << 21,
  LOAD_PKRS: 1 << 22,
  LOAD_FRED: 1 << 23,
} as const;

/**
 * SDM 25.7.1, secondary VM-exit controls (64-bit field, no ControlField of
 * its own here). Bits 0/1 match Linux SECONDARY_VM_EXIT_{SAVE,LOAD}_IA32_FRED;
 * bit 3 matches Bochs and ia32-doc.
 */
export const EXIT_CTL2 = {
  SAVE_FRED: 1n << 0n,
  LOAD_FRED: 1n << 1n,
  PREMATURELY_BUSY_SHADOW_STACK: 1n << 3n,
} as const;

/** SDM 25.6.14 "VM-Function Controls": bit 0 EPTP switching. */
export const VMFUNC = {
  EPTP_SWITCHING: 1n << 0n,
} as const;

// SDM spellings, then accepted aliases (Linux macro suffixes, short forms).
type Names<T> = Record<keyof T, readonly [string, ...string[]]>;

const PIN_NAMES: Names<typeof PIN> = {
  EXTERNAL_INTERRUPT_EXITING: ['External-interrupt exiting', 'EXT_INTR_MASK', 'INTR_EXITING'],
  NMI_EXITING: ['NMI exiting'],
  VIRTUAL_NMIS: ['Virtual NMIs'],
  ACTIVATE_VMX_PREEMPTION_TIMER: ['Activate VMX-preemption timer', 'VMX_PREEMPTION_TIMER', 'PREEMPTION_TIMER'],
  PROCESS_POSTED_INTERRUPTS: ['Process posted interrupts', 'POSTED_INTR'],
};

const PROC_NAMES: Names<typeof PROC> = {
  INTERRUPT_WINDOW_EXITING: ['Interrupt-window exiting', 'INTR_WINDOW_EXITING', 'VIRTUAL_INTR_PENDING'],
  USE_TSC_OFFSETTING: ['Use TSC offsetting', 'USE_TSC_OFFSETING'],
  HLT_EXITING: ['HLT exiting'],
  INVLPG_EXITING: ['INVLPG exiting'],
  MWAIT_EXITING: ['MWAIT exiting'],
  RDPMC_EXITING: ['RDPMC exiting'],
  RDTSC_EXITING: ['RDTSC exiting'],
  CR3_LOAD_EXITING: ['CR3-load exiting'],
  CR3_STORE_EXITING: ['CR3-store exiting'],
  ACTIVATE_TERTIARY_CONTROLS: ['Activate tertiary controls'],
  CR8_LOAD_EXITING: ['CR8-load exiting'],
  CR8_STORE_EXITING: ['CR8-store exiting'],
  USE_TPR_SHADOW: ['Use TPR shadow', 'TPR_SHADOW'],
  NMI_WINDOW_EXITING: ['NMI-window exiting', 'VIRTUAL_NMI_PENDING'],
  MOV_DR_EXITING: ['MOV-DR exiting'],
  UNCONDITIONAL_IO_EXITING: ['Unconditional I/O exiting', 'UNCOND_IO_EXITING'],
  USE_IO_BITMAPS: ['Use I/O bitmaps'],
  MONITOR_TRAP_FLAG: ['Monitor trap flag', 'MTF'],
  USE_MSR_BITMAPS: ['Use MSR bitmaps'],
  MONITOR_EXITING: ['MONITOR exiting'],
  PAUSE_EXITING: ['PAUSE exiting'],
  ACTIVATE_SECONDARY_CONTROLS: ['Activate secondary controls'],
};

const PROC2_NAMES: Names<typeof PROC2> = {
  VIRTUALIZE_APIC_ACCESSES: ['Virtualize APIC accesses'],
  ENABLE_EPT: ['Enable EPT', 'EPT'],
  DESCRIPTOR_TABLE_EXITING: ['Descriptor-table exiting', 'DESC'],
  ENABLE_RDTSCP: ['Enable RDTSCP', 'RDTSCP'],
  VIRTUALIZE_X2APIC_MODE: ['Virtualize x2APIC mode'],
  ENABLE_VPID: ['Enable VPID', 'VPID'],
  WBINVD_EXITING: ['WBINVD exiting'],
  UNRESTRICTED_GUEST: ['Unrestricted guest'],
  APIC_REGISTER_VIRTUALIZATION: ['APIC-register virtualization', 'APIC_REGISTER_VIRT'],
  VIRTUAL_INTERRUPT_DELIVERY: ['Virtual-interrupt delivery', 'VIRTUAL_INTR_DELIVERY'],
  PAUSE_LOOP_EXITING: ['PAUSE-loop exiting'],
  RDRAND_EXITING: ['RDRAND exiting'],
  ENABLE_INVPCID: ['Enable INVPCID'],
  ENABLE_VM_FUNCTIONS: ['Enable VM functions', 'ENABLE_VMFUNC'],
  VMCS_SHADOWING: ['VMCS shadowing', 'SHADOW_VMCS'],
  ENABLE_ENCLS_EXITING: ['Enable ENCLS exiting', 'ENCLS_EXITING'],
  RDSEED_EXITING: ['RDSEED exiting'],
  ENABLE_PML: ['Enable PML'],
  EPT_VIOLATION_VE: ['EPT-violation #VE'],
  CONCEAL_VMX_FROM_PT: ['Conceal VMX from PT', 'PT_CONCEAL_VMX'],
  ENABLE_XSAVES_XRSTORS: ['Enable XSAVES/XRSTORS', 'ENABLE_XSAVES'],
  PASID_TRANSLATION: ['PASID translation'],
  MODE_BASED_EXECUTE_CONTROL_FOR_EPT: ['Mode-based execute control for EPT', 'MODE_BASED_EPT_EXEC'],
  SUB_PAGE_WRITE_PERMISSIONS_FOR_EPT: ['Sub-page write permissions for EPT'],
  INTEL_PT_USES_GUEST_PHYSICAL_ADDRESSES: ['Intel PT uses guest physical addresses', 'PT_USE_GPA'],
  USE_TSC_SCALING: ['Use TSC scaling', 'TSC_SCALING'],
  ENABLE_USER_WAIT_AND_PAUSE: ['Enable user wait and pause', 'ENABLE_USR_WAIT_PAUSE'],
  ENABLE_PCONFIG: ['Enable PCONFIG'],
  ENABLE_ENCLV_EXITING: ['Enable ENCLV exiting', 'ENCLV_EXITING'],
  VMM_BUS_LOCK_DETECTION: ['VMM bus-lock detection', 'BUS_LOCK_DETECTION'],
  INSTRUCTION_TIMEOUT: ['Instruction timeout', 'NOTIFY_VM_EXITING'],
};

const PROC3_NAMES: Names<typeof PROC3> = {
  LOADIWKEY_EXITING: ['LOADIWKEY exiting'],
  ENABLE_HLAT: ['Enable HLAT'],
  EPT_PAGING_WRITE_CONTROL: ['EPT paging-write control'],
  GUEST_PAGING_VERIFICATION: ['Guest-paging verification'],
  IPI_VIRTUALIZATION: ['IPI virtualization', 'IPI_VIRT'],
  ENABLE_MSR_LIST_INSTRUCTIONS: ['Enable MSR-list instructions', 'ENABLE_MSRLIST'],
  VIRTUALIZE_IA32_SPEC_CTRL: ['Virtualize IA32_SPEC_CTRL'],
};

const EXIT_NAMES: Names<typeof EXIT_CTL> = {
  SAVE_DEBUG_CONTROLS: ['Save debug controls'],
  HOST_ADDRESS_SPACE_SIZE: ['Host address-space size', 'HOST_ADDR_SPACE_SIZE'],
  LOAD_IA32_PERF_GLOBAL_CTRL: ['Load IA32_PERF_GLOBAL_CTRL'],
  ACKNOWLEDGE_INTERRUPT_ON_EXIT: ['Acknowledge interrupt on exit', 'ACK_INTR_ON_EXIT'],
  SAVE_IA32_PAT: ['Save IA32_PAT'],
  LOAD_IA32_PAT: ['Load IA32_PAT'],
  SAVE_IA32_EFER: ['Save IA32_EFER'],
  LOAD_IA32_EFER: ['Load IA32_EFER'],
  SAVE_VMX_PREEMPTION_TIMER_VALUE: ['Save VMX-preemption timer value', 'SAVE_VMX_PREEMPTION_TIMER'],
  CLEAR_IA32_BNDCFGS: ['Clear IA32_BNDCFGS', 'CLEAR_BNDCFGS'],
  CONCEAL_VMX_FROM_PT: ['Conceal VMX from PT', 'PT_CONCEAL_PIP'],
  CLEAR_IA32_RTIT_CTL: ['Clear IA32_RTIT_CTL'],
  CLEAR_IA32_LBR_CTL: ['Clear IA32_LBR_CTL'],
  CLEAR_UINV: ['Clear UINV'],
  LOAD_CET_STATE: ['Load CET state'],
  LOAD_PKRS: ['Load PKRS'],
  SAVE_IA32_PERF_GLOBAL_CTL: ['Save IA32_PERF_GLOBAL_CTL'],
  ACTIVATE_SECONDARY_CONTROLS: ['Activate secondary controls'],
};

const ENTRY_NAMES: Names<typeof ENTRY_CTL> = {
  LOAD_DEBUG_CONTROLS: ['Load debug controls'],
  IA32E_MODE_GUEST: ['IA-32e mode guest', 'IA32E_MODE'],
  ENTRY_TO_SMM: ['Entry to SMM', 'SMM'],
  DEACTIVATE_DUAL_MONITOR_TREATMENT: ['Deactivate dual-monitor treatment', 'DEACT_DUAL_MONITOR'],
  LOAD_IA32_PERF_GLOBAL_CTRL: ['Load IA32_PERF_GLOBAL_CTRL'],
  LOAD_IA32_PAT: ['Load IA32_PAT'],
  LOAD_IA32_EFER: ['Load IA32_EFER'],
  LOAD_IA32_BNDCFGS: ['Load IA32_BNDCFGS', 'LOAD_BNDCFGS'],
  CONCEAL_VMX_FROM_PT: ['Conceal VMX from PT', 'PT_CONCEAL_PIP'],
  LOAD_IA32_RTIT_CTL: ['Load IA32_RTIT_CTL'],
  LOAD_UINV: ['Load UINV'],
  LOAD_CET_STATE: ['Load CET state'],
  LOAD_GUEST_IA32_LBR_CTL: ['Load guest IA32_LBR_CTL'],
  LOAD_PKRS: ['Load PKRS'],
  LOAD_FRED: ['Load FRED', 'LOAD_IA32_FRED'],
};

/**
 * Appendix A.3.1, A.3.2, A.4, A.5: bits in the default1 class that are not
 * named controls (reserved bits a VMM must set to 1).
 */
export const RESERVED_DEFAULT1_BITS: Record<ControlField, number> = {
  'pin-based': 0x00000016,
  'primary processor-based': 0x04006172,
  'secondary processor-based': 0,
  'tertiary processor-based': 0,
  'VM-exit': 0x00036dfb,
  'VM-entry': 0x000011fb,
};

/** Named controls in the default1 class (the TRUE capability MSRs may allow them to be 0). */
const NAMED_DEFAULT1: Partial<Record<ControlField, readonly string[]>> = {
  'primary processor-based': ['CR3_LOAD_EXITING', 'CR3_STORE_EXITING'],
  'VM-exit': ['SAVE_DEBUG_CONTROLS'],
  'VM-entry': ['LOAD_DEBUG_CONTROLS'],
};

export interface ControlFieldInfo {
  /** SDM name of the VMCS field holding these controls. */
  name: string;
  /** VMCS field encoding. */
  encoding: number;
  capabilityMsr: number;
  trueCapabilityMsr?: number;
  /** Appendix A default1 class (32-bit fields only; 0 for tertiary). */
  default1Mask: number;
  /** Width of the control field in bits. */
  bits: 32 | 64;
}

/** Where each control field lives, and which capability MSRs report it (SDM Appendix A.3-A.5). */
export const CONTROL_FIELDS: Record<ControlField, ControlFieldInfo> = {
  'pin-based': {
    name: 'Pin-based VM-execution controls', encoding: F.PIN_BASED_VM_EXEC_CONTROL,
    capabilityMsr: MSR.IA32_VMX_PINBASED_CTLS, trueCapabilityMsr: MSR.IA32_VMX_TRUE_PINBASED_CTLS,
    default1Mask: 0x00000016, bits: 32,
  },
  'primary processor-based': {
    name: 'Primary processor-based VM-execution controls', encoding: F.PRIMARY_PROC_BASED_VM_EXEC_CONTROL,
    capabilityMsr: MSR.IA32_VMX_PROCBASED_CTLS, trueCapabilityMsr: MSR.IA32_VMX_TRUE_PROCBASED_CTLS,
    default1Mask: 0x0401e172, bits: 32,
  },
  'secondary processor-based': {
    name: 'Secondary processor-based VM-execution controls', encoding: F.SECONDARY_VM_EXEC_CONTROL,
    capabilityMsr: MSR.IA32_VMX_PROCBASED_CTLS2, default1Mask: 0, bits: 32,
  },
  'tertiary processor-based': {
    name: 'Tertiary processor-based VM-execution controls', encoding: F.TERTIARY_VM_EXEC_CONTROL,
    capabilityMsr: MSR.IA32_VMX_PROCBASED_CTLS3, default1Mask: 0, bits: 64,
  },
  'VM-exit': {
    name: 'Primary VM-exit controls', encoding: F.VM_EXIT_CONTROLS,
    capabilityMsr: MSR.IA32_VMX_EXIT_CTLS, trueCapabilityMsr: MSR.IA32_VMX_TRUE_EXIT_CTLS,
    default1Mask: 0x00036dff, bits: 32,
  },
  'VM-entry': {
    name: 'VM-entry controls', encoding: F.VM_ENTRY_CONTROLS,
    capabilityMsr: MSR.IA32_VMX_ENTRY_CTLS, trueCapabilityMsr: MSR.IA32_VMX_TRUE_ENTRY_CTLS,
    default1Mask: 0x000011ff, bits: 32,
  },
};

function bitOf(mask: number | bigint): number {
  let m = BigInt(mask);
  let bit = 0;
  while (m > 1n) {
    m >>= 1n;
    bit++;
  }
  return bit;
}

function build(field: ControlField, masks: Record<string, number | bigint>, names: Record<string, readonly string[]>): ControlBit[] {
  const d1 = new Set(NAMED_DEFAULT1[field] ?? []);
  return Object.keys(masks).map((id) =>
    Object.freeze({ name: names[id][0], id, field, bit: bitOf(masks[id]), default1: d1.has(id) }),
  );
}

/** Every named control bit of every control field. */
export const CONTROLS: readonly ControlBit[] = Object.freeze([
  ...build('pin-based', PIN, PIN_NAMES),
  ...build('primary processor-based', PROC, PROC_NAMES),
  ...build('secondary processor-based', PROC2, PROC2_NAMES),
  ...build('tertiary processor-based', PROC3, PROC3_NAMES),
  ...build('VM-exit', EXIT_CTL, EXIT_NAMES),
  ...build('VM-entry', ENTRY_CTL, ENTRY_NAMES),
]);

const ALIASES_BY_FIELD: Record<ControlField, Record<string, readonly string[]>> = {
  'pin-based': PIN_NAMES,
  'primary processor-based': PROC_NAMES,
  'secondary processor-based': PROC2_NAMES,
  'tertiary processor-based': PROC3_NAMES,
  'VM-exit': EXIT_NAMES,
  'VM-entry': ENTRY_NAMES,
};

/** Qualifiers that select a control field in a token such as "VM-exit: Load IA32_EFER" or "EXIT_CTL.LOAD_IA32_EFER". */
const FIELD_QUALIFIERS: Record<ControlField, readonly string[]> = {
  'pin-based': ['pin-based', 'pin', 'PIN', 'PIN_BASED', 'pin-based VM-execution'],
  'primary processor-based': ['primary processor-based', 'processor-based', 'primary', 'PROC', 'CPU_BASED', 'primary processor-based VM-execution'],
  'secondary processor-based': ['secondary processor-based', 'secondary', 'PROC2', 'SECONDARY_EXEC', 'secondary processor-based VM-execution'],
  'tertiary processor-based': ['tertiary processor-based', 'tertiary', 'PROC3', 'TERTIARY_EXEC', 'tertiary processor-based VM-execution'],
  'VM-exit': ['VM-exit', 'exit', 'EXIT_CTL', 'primary VM-exit'],
  'VM-entry': ['VM-entry', 'entry', 'ENTRY_CTL'],
};

const describe = (c: ControlBit) => `${c.field}: ${c.name}`;
const TABLE = new NameTable<ControlBit>('VMX control', { describe });
const PER_FIELD = {} as Record<ControlField, NameTable<ControlBit>>;
for (const field of Object.keys(FIELD_QUALIFIERS) as ControlField[]) {
  PER_FIELD[field] = new NameTable<ControlBit>(`${field} control`, { describe });
}
for (const c of CONTROLS) {
  const spellings = [c.id, ...ALIASES_BY_FIELD[c.field][c.id]];
  for (const s of spellings) {
    TABLE.add(s, c);
    PER_FIELD[c.field].add(s, c);
    for (const q of FIELD_QUALIFIERS[c.field]) TABLE.add(`${q} ${s}`, c, true);
  }
}

/** The name table behind lookupControl (for parameter types and listings). */
export const CONTROL_NAMES: NameTable<ControlBit> = TABLE;

/**
 * Resolve a control by SDM name ("HLT exiting"), id ("HLT_EXITING"), kebab
 * case ("hlt-exiting") or a Linux-style alias. Names shared by several fields
 * (e.g. "Load IA32_EFER") need either the `field` argument or a qualified
 * token such as "VM-entry: Load IA32_EFER" / "ENTRY_CTL.LOAD_IA32_EFER";
 * otherwise AmbiguousNameError is thrown.
 */
export function lookupControl(token: string, field?: ControlField): ControlBit {
  return field === undefined ? TABLE.get(token) : PER_FIELD[field].get(token);
}

/** Controls of one field, in bit order. */
export function controlsOf(field: ControlField): ControlBit[] {
  return CONTROLS.filter((c) => c.field === field).sort((a, b) => a.bit - b.bit);
}

/** OR of the bits of `field` whose ControlBit is marked default1. */
export function namedDefault1Mask(field: ControlField): number {
  return CONTROLS.filter((c) => c.field === field && c.default1).reduce((m, c) => (m | (1 << c.bit)) >>> 0, 0);
}
