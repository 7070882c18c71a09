// Model-specific registers used by VMX scenarios, and the layouts of the VMX
// capability MSRs.
//
// Addresses: SDM Vol. 4 "Model-Specific Registers" (Table 2-2, architectural
// MSRs); VMX capability MSRs and their layouts: SDM Vol. 3C Appendix A
// "VMX Capability Reporting Facility" (A.1 Basic VMX Information, A.6
// Miscellaneous Data, A.10 VPID and EPT Capabilities). Cross-checked against
// Linux arch/x86/include/asm/msr-index.h, asm/vmx.h and Bochs cpu/msr.h.
import { NameTable, UnknownNameError } from './names';

/** MSR addresses (SDM Vol. 4 Table 2-2 "IA-32 Architectural MSRs"). */
export const MSR = {
  IA32_TIME_STAMP_COUNTER: 0x10,
  IA32_APIC_BASE: 0x1b,
  IA32_FEATURE_CONTROL: 0x3a,
  IA32_TSC_ADJUST: 0x3b,
  IA32_SPEC_CTRL: 0x48,
  IA32_PRED_CMD: 0x49,
  IA32_BIOS_SIGN_ID: 0x8b,
  IA32_SMM_MONITOR_CTL: 0x9b,
  IA32_SMBASE: 0x9e,
  IA32_PMC0: 0xc1,
  IA32_MPERF: 0xe7,
  IA32_APERF: 0xe8,
  IA32_MTRRCAP: 0xfe,
  IA32_ARCH_CAPABILITIES: 0x10a,
  IA32_SYSENTER_CS: 0x174,
  IA32_SYSENTER_ESP: 0x175,
  IA32_SYSENTER_EIP: 0x176,
  IA32_MCG_CAP: 0x179,
  IA32_PERFEVTSEL0: 0x186,
  IA32_MISC_ENABLE: 0x1a0,
  IA32_DEBUGCTL: 0x1d9,
  IA32_MTRR_PHYSBASE0: 0x200,
  IA32_MTRR_PHYSMASK0: 0x201,
  IA32_PAT: 0x277,
  IA32_MTRR_DEF_TYPE: 0x2ff,
  IA32_FIXED_CTR_CTRL: 0x38d,
  IA32_PERF_GLOBAL_STATUS: 0x38e,
  IA32_PERF_GLOBAL_CTRL: 0x38f,
  IA32_VMX_BASIC: 0x480,
  IA32_VMX_PINBASED_CTLS: 0x481,
  IA32_VMX_PROCBASED_CTLS: 0x482,
  IA32_VMX_EXIT_CTLS: 0x483,
  IA32_VMX_ENTRY_CTLS: 0x484,
  IA32_VMX_MISC: 0x485,
  IA32_VMX_CR0_FIXED0: 0x486,
  IA32_VMX_CR0_FIXED1: 0x487,
  IA32_VMX_CR4_FIXED0: 0x488,
  IA32_VMX_CR4_FIXED1: 0x489,
  IA32_VMX_VMCS_ENUM: 0x48a,
  IA32_VMX_PROCBASED_CTLS2: 0x48b,
  IA32_VMX_EPT_VPID_CAP: 0x48c,
  IA32_VMX_TRUE_PINBASED_CTLS: 0x48d,
  IA32_VMX_TRUE_PROCBASED_CTLS: 0x48e,
  IA32_VMX_TRUE_EXIT_CTLS: 0x48f,
  IA32_VMX_TRUE_ENTRY_CTLS: 0x490,
  IA32_VMX_VMFUNC: 0x491,
  IA32_VMX_PROCBASED_CTLS3: 0x492,
  IA32_VMX_EXIT_CTLS2: 0x493,
  IA32_RTIT_CTL: 0x570,
  IA32_U_CET: 0x6a0,
  IA32_S_CET: 0x6a2,
  IA32_PL0_SSP: 0x6a4,
  IA32_INTERRUPT_SSP_TABLE_ADDR: 0x6a8,
  IA32_TSC_DEADLINE: 0x6e0,
  IA32_PKRS: 0x6e1,
  IA32_X2APIC_APICID: 0x802,
  IA32_X2APIC_TPR: 0x808,
  IA32_X2APIC_EOI: 0x80b,
  IA32_X2APIC_ICR: 0x830,
  IA32_X2APIC_SELF_IPI: 0x83f,
  IA32_BNDCFGS: 0xd90,
  IA32_XSS: 0xda0,
  IA32_LBR_CTL: 0x14ce,
  IA32_EFER: 0xc0000080,
  IA32_STAR: 0xc0000081,
  IA32_LSTAR: 0xc0000082,
  IA32_CSTAR: 0xc0000083,
  IA32_FMASK: 0xc0000084,
  IA32_FS_BASE: 0xc0000100,
  IA32_GS_BASE: 0xc0000101,
  IA32_KERNEL_GS_BASE: 0xc0000102,
  IA32_TSC_AUX: 0xc0000103,
} as const;

export type MsrName = keyof typeof MSR;

/** The VMX capability MSRs (Appendix A), in address order. */
export const VMX_MSR_NAMES: readonly MsrName[] = Object.freeze(
  (Object.keys(MSR) as MsrName[]).filter((n) => n.startsWith('IA32_VMX_')).sort((a, b) => MSR[a] - MSR[b]),
);

const BY_ADDRESS = new Map<number, MsrName>((Object.keys(MSR) as MsrName[]).map((n) => [MSR[n], n]));

/** Name of a known MSR address, or undefined. */
export function msrName(address: number): MsrName | undefined {
  return BY_ADDRESS.get(address >>> 0);
}

const TABLE = new NameTable<MsrName>('MSR');
for (const n of Object.keys(MSR) as MsrName[]) {
  TABLE.add(n, n);
  TABLE.add(`MSR_${n}`, n, true);
  if (n.startsWith('IA32_')) TABLE.add(n.slice(5), n, true);
}

/** Resolve an MSR by name ("IA32_EFER", "EFER") or hex address ("0xc0000080"). */
export function lookupMsr(token: string): { name: string; address: number } {
  const t = token.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) {
    const address = parseInt(t, 16) >>> 0;
    const name = msrName(address);
    if (name === undefined) throw new UnknownNameError('MSR', token, []);
    return { name, address };
  }
  const name = TABLE.get(t);
  return { name, address: MSR[name] };
}

/** SDM 24.7 "Enabling and Entering VMX Operation": IA32_FEATURE_CONTROL bits. */
export const FEATURE_CONTROL = {
  LOCK: 1 << 0,
  VMX_INSIDE_SMX: 1 << 1,
  VMX_OUTSIDE_SMX: 1 << 2,
} as const;

/** SDM Vol. 4 Table 2-2: IA32_EFER bits. */
export const IA32_EFER = {
  SCE: 1 << 0,
  LME: 1 << 8,
  LMA: 1 << 10,
  NXE: 1 << 11,
} as const;

const bits = (v: bigint, lo: number, width: number): number => Number((v >> BigInt(lo)) & ((1n << BigInt(width)) - 1n));
const bit = (v: bigint, n: number): boolean => ((v >> BigInt(n)) & 1n) === 1n;
const put = (value: number | boolean | undefined, lo: number, width: number): bigint =>
  (BigInt(typeof value === 'boolean' ? (value ? 1 : 0) : value ?? 0) & ((1n << BigInt(width)) - 1n)) << BigInt(lo);

/** SDM Appendix A.1 "Basic VMX Information": IA32_VMX_BASIC fields. */
export interface VmxBasic {
  /** Bits 30:0: VMCS revision identifier. */
  revisionId: number;
  /** Bits 44:32: bytes to allocate for the VMXON region and any VMCS region (at most 4096). */
  regionSize: number;
  /** Bit 48: addresses of VMXON/VMCS regions and related structures are limited to 32 bits. */
  physAddrWidth32: boolean;
  /** Bit 49: dual-monitor treatment of SMIs and SMM is supported. */
  dualMonitor: boolean;
  /** Bits 53:50: memory type for the VMCS and related structures (0 UC, 6 WB). */
  memoryType: number;
  /** Bit 54: VM exits due to INS/OUTS report instruction information. */
  insOutsInfo: boolean;
  /** Bit 55: default1 controls may be 0; the IA32_VMX_TRUE_*_CTLS MSRs exist. */
  trueControls: boolean;
  /** Bit 56: VM entry may deliver a hardware exception with or without an error code regardless of vector. */
  noErrorCodeRequirement: boolean;
  /** Bit 58: VMX nested-exception support (FRED); per Linux VMX_BASIC_NESTED_EXCEPTION. */
  nestedException: boolean;
}

export const VMX_BASIC = {
  revisionId: (v: bigint): number => bits(v, 0, 31),
  regionSize: (v: bigint): number => bits(v, 32, 13),
  physAddrWidth32: (v: bigint): boolean => bit(v, 48),
  dualMonitor: (v: bigint): boolean => bit(v, 49),
  memoryType: (v: bigint): number => bits(v, 50, 4),
  insOutsInfo: (v: bigint): boolean => bit(v, 54),
  trueControls: (v: bigint): boolean => bit(v, 55),
  noErrorCodeRequirement: (v: bigint): boolean => bit(v, 56),
  nestedException: (v: bigint): boolean => bit(v, 58),
} as const;

export function decodeVmxBasic(v: bigint): VmxBasic {
  return {
    revisionId: VMX_BASIC.revisionId(v),
    regionSize: VMX_BASIC.regionSize(v),
    physAddrWidth32: VMX_BASIC.physAddrWidth32(v),
    dualMonitor: VMX_BASIC.dualMonitor(v),
    memoryType: VMX_BASIC.memoryType(v),
    insOutsInfo: VMX_BASIC.insOutsInfo(v),
    trueControls: VMX_BASIC.trueControls(v),
    noErrorCodeRequirement: VMX_BASIC.noErrorCodeRequirement(v),
    nestedException: VMX_BASIC.nestedException(v),
  };
}

export function encodeVmxBasic(b: Partial<VmxBasic> & { revisionId: number }): bigint {
  return (
    put(b.revisionId, 0, 31) |
    put(b.regionSize, 32, 13) |
    put(b.physAddrWidth32, 48, 1) |
    put(b.dualMonitor, 49, 1) |
    put(b.memoryType, 50, 4) |
    put(b.insOutsInfo, 54, 1) |
    put(b.trueControls, 55, 1) |
    put(b.noErrorCodeRequirement, 56, 1) |
    put(b.nestedException, 58, 1)
  );
}

/** SDM Appendix A.6 "Miscellaneous Data": IA32_VMX_MISC fields. */
export interface VmxMisc {
  /** Bits 4:0: the VMX-preemption timer counts down when TSC bit X changes (X = this value). */
  preemptionTimerRate: number;
  /** Bit 5: VM exits store EFER.LMA into the "IA-32e mode guest" VM-entry control. */
  storeEferLma: boolean;
  /** Bit 6: activity state HLT supported. */
  activityHlt: boolean;
  /** Bit 7: activity state shutdown supported. */
  activityShutdown: boolean;
  /** Bit 8: activity state wait-for-SIPI supported. */
  activityWaitForSipi: boolean;
  /** Bit 14: Intel PT may be used in VMX operation. */
  intelPt: boolean;
  /** Bit 15: RDMSR in SMM can read IA32_SMBASE. */
  rdmsrSmbaseInSmm: boolean;
  /** Bits 24:16: number of CR3-target values supported. */
  cr3TargetCount: number;
  /** Bits 27:25: N; recommended maximum MSR-list entries is 512 * (N + 1). */
  maxMsrListCode: number;
  /** Bit 28: bit 2 of IA32_SMM_MONITOR_CTL can be set (VMXOFF unblocks SMIs). */
  smmMonitorCtlBit2: boolean;
  /** Bit 29: VMWRITE may write any supported field, including VM-exit information fields. */
  vmwriteAnyField: boolean;
  /** Bit 30: VM entry may inject software interrupts/exceptions with instruction length 0. */
  zeroLengthInjection: boolean;
  /** Bits 63:32: MSEG revision identifier. */
  msegRevision: number;
}

export const VMX_MISC = {
  preemptionTimerRate: (v: bigint): number => bits(v, 0, 5),
  storeEferLma: (v: bigint): boolean => bit(v, 5),
  activityHlt: (v: bigint): boolean => bit(v, 6),
  activityShutdown: (v: bigint): boolean => bit(v, 7),
  activityWaitForSipi: (v: bigint): boolean => bit(v, 8),
  intelPt: (v: bigint): boolean => bit(v, 14),
  rdmsrSmbaseInSmm: (v: bigint): boolean => bit(v, 15),
  cr3TargetCount: (v: bigint): number => bits(v, 16, 9),
  maxMsrListCode: (v: bigint): number => bits(v, 25, 3),
  /** Recommended maximum number of MSRs in each MSR list: 512 * (N + 1). */
  maxMsrListEntries: (v: bigint): number => 512 * (bits(v, 25, 3) + 1),
  smmMonitorCtlBit2: (v: bigint): boolean => bit(v, 28),
  vmwriteAnyField: (v: bigint): boolean => bit(v, 29),
  zeroLengthInjection: (v: bigint): boolean => bit(v, 30),
  msegRevision: (v: bigint): number => bits(v, 32, 32),
} as const;

export function decodeVmxMisc(v: bigint): VmxMisc {
  return {
    preemptionTimerRate: VMX_MISC.preemptionTimerRate(v),
    storeEferLma: VMX_MISC.storeEferLma(v),
    activityHlt: VMX_MISC.activityHlt(v),
    activityShutdown: VMX_MISC.activityShutdown(v),
    activityWaitForSipi: VMX_MISC.activityWaitForSipi(v),
    intelPt: VMX_MISC.intelPt(v),
    rdmsrSmbaseInSmm: VMX_MISC.rdmsrSmbaseInSmm(v),
    cr3TargetCount: VMX_MISC.cr3TargetCount(v),
    maxMsrListCode: VMX_MISC.maxMsrListCode(v),
    smmMonitorCtlBit2: VMX_MISC.smmMonitorCtlBit2(v),
    vmwriteAnyField: VMX_MISC.vmwriteAnyField(v),
    zeroLengthInjection: VMX_MISC.zeroLengthInjection(v),
    msegRevision: VMX_MISC.msegRevision(v),
  };
}

export function encodeVmxMisc(m: Partial<VmxMisc>): bigint {
  return (
    put(m.preemptionTimerRate, 0, 5) |
    put(m.storeEferLma, 5, 1) |
    put(m.activityHlt, 6, 1) |
    put(m.activityShutdown, 7, 1) |
    put(m.activityWaitForSipi, 8, 1) |
    put(m.intelPt, 14, 1) |
    put(m.rdmsrSmbaseInSmm, 15, 1) |
    put(m.cr3TargetCount, 16, 9) |
    put(m.maxMsrListCode, 25, 3) |
    put(m.smmMonitorCtlBit2, 28, 1) |
    put(m.vmwriteAnyField, 29, 1) |
    put(m.zeroLengthInjection, 30, 1) |
    put(m.msegRevision, 32, 32)
  );
}

/** SDM Appendix A.10 "VPID and EPT Capabilities": IA32_VMX_EPT_VPID_CAP bits. */
export const EPT_VPID_CAP = {
  EXECUTE_ONLY: 1n << 0n,
  PAGE_WALK_LENGTH_4: 1n << 6n,
  PAGE_WALK_LENGTH_5: 1n << 7n,
  MEMORY_TYPE_UC: 1n << 8n,
  MEMORY_TYPE_WB: 1n << 14n,
  PDE_2MB_PAGES: 1n << 16n,
  PDPTE_1GB_PAGES: 1n << 17n,
  INVEPT: 1n << 20n,
  ACCESSED_DIRTY_FLAGS: 1n << 21n,
  ADVANCED_EXIT_INFORMATION: 1n << 22n,
  SUPERVISOR_SHADOW_STACK: 1n << 23n,
  INVEPT_SINGLE_CONTEXT: 1n << 25n,
  INVEPT_ALL_CONTEXT: 1n << 26n,
  INVVPID: 1n << 32n,
  INVVPID_INDIVIDUAL_ADDRESS: 1n << 40n,
  INVVPID_SINGLE_CONTEXT: 1n << 41n,
  INVVPID_ALL_CONTEXT: 1n << 42n,
  INVVPID_SINGLE_CONTEXT_RETAINING_GLOBALS: 1n << 43n,
  /** Bits 53:48: maximum HLAT prefix size (shift, then mask with 0x3f). */
  MAX_HLAT_PREFIX_SIZE_SHIFT: 48n,
} as const;

/** SDM Appendix A.9 "VMCS Enumeration": IA32_VMX_VMCS_ENUM bits 9:1 hold the highest field index. */
export const VMCS_ENUM = {
  highestIndex: (v: bigint): number => bits(v, 1, 9),
  encode: (highestIndex: number): bigint => put(highestIndex, 1, 9),
} as const;

/** SDM Appendix A.2 "Reserved Controls and Default Settings": allowed-0 (bits 31:0) and allowed-1 (bits 63:32). */
export const ALLOWED_SETTINGS = {
  /** Bits that must be 1 in the control field. */
  allowed0: (v: bigint): number => bits(v, 0, 32),
  /** Bits that may be 1 in the control field. */
  allowed1: (v: bigint): number => bits(v, 32, 32),
  encode: (allowed0: number, allowed1: number): bigint => put(allowed0 >>> 0, 0, 32) | put(allowed1 >>> 0, 32, 32),
} as const;
