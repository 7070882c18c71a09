/**
 * SDM facts about processor features around VMX that the reference machine enumerates: SMX (GETSEC), SGX
 * (ENCLS), the XSAVE feature set's supervisor state (XSAVES/XRSTORS, IA32_XSS) and Intel Processor Trace,
 * whose state is the supervisor state component the XSS-exiting bitmap is usually tested with.
 *
 * Sources: SDM Vol. 2A "CPUID—CPU Identification" (leaves 01H, 07H, 0DH, 12H, 14H); Vol. 2D chapter 7
 * "Safer Mode Extensions Reference" (GETSEC[CAPABILITIES]); Vol. 3D "ENCLS—Execute an Enclave System
 * Function of Specified Leaf Number" and the SGX leaf-function reference; Vol. 1 13.4 "XSAVE Area", 13.5.6
 * "PT State"; Vol. 3C 33.2.8 "Configuration and Status MSRs" of Intel Processor Trace (IA32_RTIT_*);
 * Vol. 4 Table 2-2 (IA32_FEATURE_CONTROL, IA32_XSS, IA32_RTIT_*).
 *
 * Kept apart from msrs.ts/x86.ts so that the VMX tables there stay as they are; every fact is still written
 * once, here.
 */
import { MSR } from './msrs';

/** IA32_FEATURE_CONTROL bits beyond lock and the two VMX enables (msrs.ts FEATURE_CONTROL), Vol. 4 Table 2-2. */
export const FEATURE_CONTROL_EXT = {
  /** Bits 14:8, SENTER local function enables (exist if CPUID.01H:ECX.SMX = 1). */
  SENTER_LOCAL_FUNCTION_ENABLES: 0x7f << 8,
  /** Bit 15, SENTER global enable (exists if CPUID.01H:ECX.SMX = 1). */
  SENTER_GLOBAL_ENABLE: 1 << 15,
  /** Bit 17, SGX launch control enable (exists if CPUID.(EAX=07H,ECX=0):ECX.SGX_LC[30] = 1). */
  SGX_LAUNCH_CONTROL_ENABLE: 1 << 17,
  /** Bit 18, SGX global enable (exists if CPUID.(EAX=07H,ECX=0):EBX.SGX[2] = 1). */
  SGX_ENABLE: 1 << 18,
} as const;

/** CPUID feature flags (Vol. 2A CPUID, feature-information tables). */
export const CPUID_FLAG = {
  /** CPUID.01H:ECX. */
  LEAF1_ECX_SMX: 1 << 6,
  LEAF1_ECX_XSAVE: 1 << 26,
  LEAF1_ECX_OSXSAVE: 1 << 27,
  /** CPUID.(EAX=07H,ECX=0):EBX. */
  LEAF7_EBX_SGX: 1 << 2,
  LEAF7_EBX_INTEL_PT: 1 << 25,
  /** CPUID.(EAX=0DH,ECX=1):EAX. */
  LEAFD1_EAX_XSAVEOPT: 1 << 0,
  LEAFD1_EAX_XSAVEC: 1 << 1,
  LEAFD1_EAX_XGETBV_ECX1: 1 << 2,
  LEAFD1_EAX_XSAVES: 1 << 3,
  /** CPUID.(EAX=0DH,ECX=i), i ≥ 2: ECX bit 0 = the component is supervisor state (IA32_XSS), bit 1 = 64-byte aligned. */
  LEAFD_I_ECX_SUPERVISOR: 1 << 0,
  LEAFD_I_ECX_ALIGNED: 1 << 1,
  /** CPUID.(EAX=12H,ECX=0):EAX. */
  LEAF12_EAX_SGX1: 1 << 0,
  LEAF12_EAX_SGX2: 1 << 1,
} as const;

/** XSAVE state components (Vol. 1 13.1) and the fixed parts of the XSAVE area (13.4). */
export const XSTATE = {
  X87: 0,
  SSE: 1,
  /** Supervisor state component 8: PT state (13.5.6). */
  PT: 8,
  /** The legacy region (512 bytes) and the XSAVE header (64 bytes): the extended region starts at 576. */
  LEGACY_REGION_SIZE: 512,
  HEADER_SIZE: 64,
  EXTENDED_REGION_OFFSET: 576,
  /** Header fields: XSTATE_BV at byte 512, XCOMP_BV at byte 520 of the area; XCOMP_BV bit 63 = compacted format. */
  XSTATE_BV_OFFSET: 512,
  XCOMP_BV_OFFSET: 520,
} as const;

/**
 * PT state (Vol. 1 13.5.6): nine MSRs, 8 bytes each, in this order; bytes 72 and above of the component are
 * reserved.
 */
export const PT_STATE_MSR_ORDER = [
  'IA32_RTIT_CTL', 'IA32_RTIT_OUTPUT_BASE', 'IA32_RTIT_OUTPUT_MASK_PTRS', 'IA32_RTIT_STATUS', 'IA32_RTIT_CR3_MATCH',
  'IA32_RTIT_ADDR0_A', 'IA32_RTIT_ADDR0_B', 'IA32_RTIT_ADDR1_A', 'IA32_RTIT_ADDR1_B',
] as const;
export const PT_STATE_USED_BYTES = 72;

/** Intel PT MSR addresses (Vol. 4 Table 2-2); IA32_RTIT_CTL is in msrs.ts (a VMCS guest-state MSR). */
export const RTIT_MSR = {
  IA32_RTIT_OUTPUT_BASE: 0x560,
  IA32_RTIT_OUTPUT_MASK_PTRS: 0x561,
  IA32_RTIT_CTL: MSR.IA32_RTIT_CTL,
  IA32_RTIT_STATUS: 0x571,
  IA32_RTIT_CR3_MATCH: 0x572,
  IA32_RTIT_ADDR0_A: 0x580,
  IA32_RTIT_ADDR0_B: 0x581,
  IA32_RTIT_ADDR1_A: 0x582,
  IA32_RTIT_ADDR1_B: 0x583,
} as const;

/** IA32_RTIT_CTL bits (Vol. 3C "IA32_RTIT_CTL MSR" table) that this file's users refer to. */
export const RTIT_CTL = {
  TRACE_EN: 1 << 0,
  CYC_EN: 1 << 1,
  OS: 1 << 2,
  USER: 1 << 3,
  PWR_EVT_EN: 1 << 4,
  FUP_ON_PTW: 1 << 5,
  FABRIC_EN: 1 << 6,
  CR3_FILTER: 1 << 7,
  TOPA: 1 << 8,
  MTC_EN: 1 << 9,
  TSC_EN: 1 << 10,
  DIS_RETC: 1 << 11,
  PTW_EN: 1 << 12,
  BRANCH_EN: 1 << 13,
} as const;

/** IA32_RTIT_STATUS bits (Vol. 3C "IA32_RTIT_STATUS MSR" table). */
export const RTIT_STATUS = {
  /** Bits 2:0 (FilterEn, ContextEn, TriggerEn): written by the processor; writes are ignored. */
  PROCESSOR_WRITTEN: 0x7,
  ERROR: 1 << 4,
  STOPPED: 1 << 5,
  /** Bits 48:32: PacketByteCnt (settable to a non-zero value only with CPUID.(EAX=14H,ECX=0):EBX[1] = 1). */
  PACKET_BYTE_CNT_SHIFT: 32,
  PACKET_BYTE_CNT_MASK: 0x1ffffn << 32n,
} as const;

/** GETSEC leaf functions (Vol. 2D 7.3): EAX selects the leaf. Only CAPABILITIES is named here. */
export const GETSEC_LEAF = {
  CAPABILITIES: 0,
} as const;

/**
 * ENCLS leaf functions (Vol. 3D, SGX instruction references): EAX selects the leaf. 00H–0CH are SGX1,
 * 0DH–0FH SGX2 (CPUID.(EAX=12H,ECX=0):EAX[1]); 10H–13H (ERDINFO, ETRACKC, ELDBC, ELDUC) need
 * CPUID.(EAX=12H,ECX=0):EAX[5], 14H–16H need EAX[6] or later enumerations.
 */
export const ENCLS_LEAF = {
  ECREATE: 0x00, EADD: 0x01, EINIT: 0x02, EREMOVE: 0x03, EDBGRD: 0x04, EDBGWR: 0x05, EEXTEND: 0x06,
  ELDB: 0x07, ELDU: 0x08, EBLOCK: 0x09, EPA: 0x0a, EWB: 0x0b, ETRACK: 0x0c,
  EAUG: 0x0d, EMODPR: 0x0e, EMODT: 0x0f,
} as const;
/** The highest SGX1 leaf and the highest SGX2 leaf. */
export const ENCLS_LAST_SGX1_LEAF = ENCLS_LEAF.ETRACK;
export const ENCLS_LAST_SGX2_LEAF = ENCLS_LEAF.EMODT;
