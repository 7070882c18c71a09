// Basic exit reasons and the layout of the exit-reason VMCS field.
//
// Numbers: SDM Vol. 3C Appendix C "VMX Basic Exit Reasons" (Table C-1);
// cross-checked against Linux arch/x86/include/uapi/asm/vmx.h (EXIT_REASON_*)
// and Bochs cpu/vmx.h. Numbers that no public source confirmed are left out
// (35, 38, 42, 71 are unused; 80-83 are not listed here).
import { NameTable, UnknownNameError } from './names';

/** SDM Appendix C, Table C-1 "Basic Exit Reasons": basic exit reason numbers. */
export const EXIT = {
  EXCEPTION_NMI: 0,
  EXTERNAL_INTERRUPT: 1,
  TRIPLE_FAULT: 2,
  INIT_SIGNAL: 3,
  SIPI: 4,
  IO_SMI: 5,
  OTHER_SMI: 6,
  INTERRUPT_WINDOW: 7,
  NMI_WINDOW: 8,
  TASK_SWITCH: 9,
  CPUID: 10,
  GETSEC: 11,
  HLT: 12,
  INVD: 13,
  INVLPG: 14,
  RDPMC: 15,
  RDTSC: 16,
  RSM: 17,
  VMCALL: 18,
  VMCLEAR: 19,
  VMLAUNCH: 20,
  VMPTRLD: 21,
  VMPTRST: 22,
  VMREAD: 23,
  VMRESUME: 24,
  VMWRITE: 25,
  VMXOFF: 26,
  VMXON: 27,
  CR_ACCESS: 28,
  DR_ACCESS: 29,
  IO_INSTRUCTION: 30,
  RDMSR: 31,
  WRMSR: 32,
  ENTRY_FAIL_GUEST_STATE: 33,
  ENTRY_FAIL_MSR_LOADING: 34,
  MWAIT: 36,
  MONITOR_TRAP_FLAG: 37,
  MONITOR: 39,
  PAUSE: 40,
  ENTRY_FAIL_MACHINE_CHECK: 41,
  TPR_BELOW_THRESHOLD: 43,
  APIC_ACCESS: 44,
  VIRTUALIZED_EOI: 45,
  GDTR_IDTR_ACCESS: 46,
  LDTR_TR_ACCESS: 47,
  EPT_VIOLATION: 48,
  EPT_MISCONFIG: 49,
  INVEPT: 50,
  RDTSCP: 51,
  PREEMPTION_TIMER: 52,
  INVVPID: 53,
  WBINVD: 54,
  XSETBV: 55,
  APIC_WRITE: 56,
  RDRAND: 57,
  INVPCID: 58,
  VMFUNC: 59,
  ENCLS: 60,
  RDSEED: 61,
  PML_FULL: 62,
  XSAVES: 63,
  XRSTORS: 64,
  PCONFIG: 65,
  SPP_EVENT: 66,
  UMWAIT: 67,
  TPAUSE: 68,
  LOADIWKEY: 69,
  ENCLV: 70,
  ENQCMD_PASID_FAILURE: 72,
  ENQCMDS_PASID_FAILURE: 73,
  BUS_LOCK: 74,
  INSTRUCTION_TIMEOUT: 75,
  SEAMCALL: 76,
  TDCALL: 77,
  RDMSRLIST: 78,
  WRMSRLIST: 79,
  RDMSR_IMM: 84,
  WRMSRNS_IMM: 85,
} as const;

export type ExitReasonId = keyof typeof EXIT;

/** SDM Appendix C, Table C-1: the "Name" column, spelled as the SDM does. */
const EXIT_NAMES: Record<ExitReasonId, string> = {
  EXCEPTION_NMI: 'Exception or non-maskable interrupt (NMI)',
  EXTERNAL_INTERRUPT: 'External interrupt',
  TRIPLE_FAULT: 'Triple fault',
  INIT_SIGNAL: 'INIT signal',
  SIPI: 'Start-up IPI (SIPI)',
  IO_SMI: 'I/O system-management interrupt (SMI)',
  OTHER_SMI: 'Other SMI',
  INTERRUPT_WINDOW: 'Interrupt window',
  NMI_WINDOW: 'NMI window',
  TASK_SWITCH: 'Task switch',
  CPUID: 'CPUID',
  GETSEC: 'GETSEC',
  HLT: 'HLT',
  INVD: 'INVD',
  INVLPG: 'INVLPG',
  RDPMC: 'RDPMC',
  RDTSC: 'RDTSC',
  RSM: 'RSM',
  VMCALL: 'VMCALL',
  VMCLEAR: 'VMCLEAR',
  VMLAUNCH: 'VMLAUNCH',
  VMPTRLD: 'VMPTRLD',
  VMPTRST: 'VMPTRST',
  VMREAD: 'VMREAD',
  VMRESUME: 'VMRESUME',
  VMWRITE: 'VMWRITE',
  VMXOFF: 'VMXOFF',
  VMXON: 'VMXON',
  CR_ACCESS: 'Control-register accesses',
  DR_ACCESS: 'MOV DR',
  IO_INSTRUCTION: 'I/O instruction',
  RDMSR: 'RDMSR',
  WRMSR: 'WRMSR',
  ENTRY_FAIL_GUEST_STATE: 'VM-entry failure due to invalid guest state',
  ENTRY_FAIL_MSR_LOADING: 'VM-entry failure due to MSR loading',
  MWAIT: 'MWAIT',
  MONITOR_TRAP_FLAG: 'Monitor trap flag',
  MONITOR: 'MONITOR',
  PAUSE: 'PAUSE',
  ENTRY_FAIL_MACHINE_CHECK: 'VM-entry failure due to machine-check event',
  TPR_BELOW_THRESHOLD: 'TPR below threshold',
  APIC_ACCESS: 'APIC access',
  VIRTUALIZED_EOI: 'Virtualized EOI',
  GDTR_IDTR_ACCESS: 'Access to GDTR or IDTR',
  LDTR_TR_ACCESS: 'Access to LDTR or TR',
  EPT_VIOLATION: 'EPT violation',
  EPT_MISCONFIG: 'EPT misconfiguration',
  INVEPT: 'INVEPT',
  RDTSCP: 'RDTSCP',
  PREEMPTION_TIMER: 'VMX-preemption timer expired',
  INVVPID: 'INVVPID',
  WBINVD: 'WBINVD or WBNOINVD',
  XSETBV: 'XSETBV',
  APIC_WRITE: 'APIC write',
  RDRAND: 'RDRAND',
  INVPCID: 'INVPCID',
  VMFUNC: 'VMFUNC',
  ENCLS: 'ENCLS',
  RDSEED: 'RDSEED',
  PML_FULL: 'Page-modification log full',
  XSAVES: 'XSAVES',
  XRSTORS: 'XRSTORS',
  PCONFIG: 'PCONFIG',
  SPP_EVENT: 'SPP-related event',
  UMWAIT: 'UMWAIT',
  TPAUSE: 'TPAUSE',
  LOADIWKEY: 'LOADIWKEY',
  ENCLV: 'ENCLV',
  ENQCMD_PASID_FAILURE: 'ENQCMD PASID translation failure',
  ENQCMDS_PASID_FAILURE: 'ENQCMDS PASID translation failure',
  BUS_LOCK: 'Bus lock',
  INSTRUCTION_TIMEOUT: 'Instruction timeout',
  SEAMCALL: 'SEAMCALL',
  TDCALL: 'TDCALL',
  RDMSRLIST: 'RDMSRLIST',
  WRMSRLIST: 'WRMSRLIST',
  RDMSR_IMM: 'RDMSR with immediate operand',
  WRMSRNS_IMM: 'WRMSRNS with immediate operand',
};

/**
 * Other spellings accepted by lookupExitReason: Linux EXIT_REASON_* suffixes
 * (so KVM traces paste in) and common short forms.
 */
const EXIT_ALIASES: Partial<Record<ExitReasonId, readonly string[]>> = {
  EXCEPTION_NMI: ['Exception or NMI', 'exception'],
  INIT_SIGNAL: ['INIT'],
  SIPI: ['SIPI_SIGNAL', 'Start-up IPI'],
  IO_SMI: ['I/O SMI'],
  INTERRUPT_WINDOW: ['PENDING_INTERRUPT', 'Interrupt-window exiting'],
  NMI_WINDOW: ['NMI-window exiting'],
  VMXOFF: ['VMOFF'],
  VMXON: ['VMON'],
  CR_ACCESS: ['Control-register access', 'MOV CR'],
  DR_ACCESS: ['Debug-register access'],
  IO_INSTRUCTION: ['I/O', 'IN/OUT'],
  RDMSR: ['MSR_READ'],
  WRMSR: ['MSR_WRITE'],
  ENTRY_FAIL_GUEST_STATE: ['INVALID_STATE', 'Invalid guest state'],
  ENTRY_FAIL_MSR_LOADING: ['MSR_LOAD_FAIL'],
  MWAIT: ['MWAIT_INSTRUCTION'],
  MONITOR: ['MONITOR_INSTRUCTION'],
  PAUSE: ['PAUSE_INSTRUCTION'],
  ENTRY_FAIL_MACHINE_CHECK: ['MCE_DURING_VMENTRY'],
  VIRTUALIZED_EOI: ['EOI_INDUCED'],
  GDTR_IDTR_ACCESS: ['GDTR_IDTR'],
  LDTR_TR_ACCESS: ['LDTR_TR'],
  PREEMPTION_TIMER: ['VMX-preemption timer'],
  WBINVD: ['WBNOINVD'],
  PML_FULL: ['PML full'],
  INSTRUCTION_TIMEOUT: ['NOTIFY'],
  RDMSR_IMM: ['MSR_READ_IMM'],
  WRMSRNS_IMM: ['MSR_WRITE_IMM'],
};

export interface ExitReasonInfo {
  number: number;
  /** As Appendix C spells it, e.g. "Control-register accesses". */
  name: string;
  id: keyof typeof EXIT;
}

/** All known basic exit reasons, ordered by number. */
export const EXIT_REASONS: readonly ExitReasonInfo[] = Object.freeze(
  (Object.keys(EXIT) as ExitReasonId[])
    .map((id) => Object.freeze({ number: EXIT[id], name: EXIT_NAMES[id], id }))
    .sort((a, b) => a.number - b.number),
);

const BY_NUMBER: (ExitReasonInfo | undefined)[] = [];
for (const r of EXIT_REASONS) BY_NUMBER[r.number] = r;

/** O(1) lookup by basic exit reason number (bits 15:0 of the exit-reason field). */
export function exitReasonInfo(n: number): ExitReasonInfo | undefined {
  return BY_NUMBER[n];
}

const TABLE = new NameTable<ExitReasonInfo>('exit reason', { describe: (r) => `${r.number} ${r.name}` });
for (const r of EXIT_REASONS) {
  TABLE.add(r.name, r);
  TABLE.add(r.id, r);
  TABLE.add(`EXIT_REASON_${r.id}`, r, true);
  for (const alias of EXIT_ALIASES[r.id] ?? []) {
    TABLE.add(alias, r);
    TABLE.add(`EXIT_REASON_${alias}`, r, true);
  }
}

/** The name table behind lookupExitReason (for parameter types and listings). */
export const EXIT_REASON_NAMES: NameTable<ExitReasonInfo> = TABLE;

/**
 * Resolve an exit reason from its Appendix C name, its id ("CR_ACCESS"), a
 * short or Linux form ("HLT", "MSR_READ") or a decimal number ("28").
 */
export function lookupExitReason(token: string): ExitReasonInfo {
  const t = token.trim();
  if (/^\d+$/.test(t)) {
    const info = exitReasonInfo(Number(t));
    if (info === undefined) throw new UnknownNameError('exit reason', token, []);
    return info;
  }
  return TABLE.get(t);
}

/**
 * SDM 28.2.1 "Basic VM-Exit Information", Table "Format of Exit Reason":
 * bits of the 32-bit exit-reason field. Bit 26 is named after Linux
 * (bus_lock_detected); bits 16-25 and 30 are not defined.
 */
export const EXIT_REASON_FIELD = {
  BASIC_REASON_MASK: 0xffff,
  BUS_LOCK_DETECTED: 1 << 26,
  ENCLAVE_MODE: 1 << 27,
  PENDING_MTF_VM_EXIT: 1 << 28,
  FROM_VMX_ROOT_OPERATION: 1 << 29,
  VM_ENTRY_FAILURE: 0x80000000,
} as const;

/** Bit 31 of the exit-reason field: 1 = VM-entry failure, 0 = true VM exit. */
export const VM_ENTRY_FAILURE_BIT = 0x80000000;

export interface ExitReasonField {
  basic: number;
  busLockDetected: boolean;
  enclaveMode: boolean;
  pendingMtfVmExit: boolean;
  fromVmxRootOperation: boolean;
  vmEntryFailure: boolean;
}

export function decodeExitReasonField(value: number): ExitReasonField {
  return {
    basic: value & 0xffff,
    busLockDetected: (value & EXIT_REASON_FIELD.BUS_LOCK_DETECTED) !== 0,
    enclaveMode: (value & EXIT_REASON_FIELD.ENCLAVE_MODE) !== 0,
    pendingMtfVmExit: (value & EXIT_REASON_FIELD.PENDING_MTF_VM_EXIT) !== 0,
    fromVmxRootOperation: (value & EXIT_REASON_FIELD.FROM_VMX_ROOT_OPERATION) !== 0,
    vmEntryFailure: (value & VM_ENTRY_FAILURE_BIT) !== 0,
  };
}

export function encodeExitReasonField(f: Partial<ExitReasonField> & { basic: number }): number {
  let v = f.basic & 0xffff;
  if (f.busLockDetected) v |= EXIT_REASON_FIELD.BUS_LOCK_DETECTED;
  if (f.enclaveMode) v |= EXIT_REASON_FIELD.ENCLAVE_MODE;
  if (f.pendingMtfVmExit) v |= EXIT_REASON_FIELD.PENDING_MTF_VM_EXIT;
  if (f.fromVmxRootOperation) v |= EXIT_REASON_FIELD.FROM_VMX_ROOT_OPERATION;
  if (f.vmEntryFailure) v |= VM_ENTRY_FAILURE_BIT;
  return v >>> 0;
}
