/**
 * Capability profiles of the reference machine: the values of the VMX capability MSRs (SDM Vol. 3C
 * Appendix A "VMX Capability Reporting Facility") and the few CPUID facts that go with them.
 *
 * A profile advertises only what this emulator implements. Where the modelled part has a feature the
 * emulator does not model, the profile clears its allowed-1 bit (listed per profile below), so a VMM that
 * reads the capability MSRs never enables something that would be silently ignored.
 */
import { CR0, CR4, ENTRY_CTL, EPT_VPID_CAP, EXIT_CTL, FEATURE_CONTROL, MSR, PIN, PROC, PROC2, ALLOWED_SETTINGS, encodeVmxBasic, encodeVmxMisc } from '../arch';
import { FEATURE_CONTROL_EXT } from '../arch/processor-features';

/**
 * Processor features outside VMX proper that a profile enumerates (CPUID, cpuid.ts) and the emulator
 * implements to the extent stated here. A feature the profile does not have is absent: its CPUID bits are 0,
 * its MSRs raise #GP(0), its instructions raise #UD.
 */
export interface ProcessorFeatures {
  /**
   * Safer Mode Extensions: CPUID.01H:ECX.SMX[6], CR4.SMXE may be set (and IA32_VMX_CR4_FIXED1 allows it), the
   * SENTER enables of IA32_FEATURE_CONTROL exist, and GETSEC executes with CR4.SMXE = 1 (SDM Vol. 2D 7.2):
   * in VMX non-root operation it always exits (Vol. 3C 26.1.2); elsewhere only GETSEC[CAPABILITIES] exists,
   * and it reports no TXT-capable chipset and no other leaf, so every other leaf is #UD (Vol. 2D 7.3).
   */
  smx: boolean;
  /**
   * Intel SGX1 and SGX2 enumeration (CPUID.(EAX=07H,ECX=0):EBX.SGX[2], leaf 12H), IA32_FEATURE_CONTROL
   * bit 18 (SGX global enable) and the common ENCLS checks of SDM Vol. 3D "ENCLS" (#UD, the VM exit under
   * "enable ENCLS exiting", #GP(0) when SGX is not opted in, for an undefined leaf or with CR0.PG = 0). No
   * enclave page cache is enumerated (CPUID.(EAX=12H,ECX=2) reports no EPC section) and no leaf function is
   * executed: an ENCLS that passes those checks with a defined leaf stops the run as an unsupported
   * instruction, never a silent no-op.
   */
  sgx: boolean;
  /** XSAVES/XRSTORS, XGETBV with ECX = 1 and IA32_XSS (CPUID.(EAX=0DH,ECX=1):EAX[3:2]; Vol. 1 13.11, 13.12). */
  xsaves: boolean;
  /**
   * Intel Processor Trace, reduced: CPUID.(EAX=07H,ECX=0):EBX[25] = 1 with every bit of leaf 14H 0, so no
   * output scheme exists and IA32_RTIT_CTL.TraceEn cannot be set (a WRMSR setting it is #GP: Vol. 3C
   * "IA32_RTIT_CTL MSR", ToPA bit); IA32_RTIT_CTL and IA32_RTIT_STATUS exist with their architectural write
   * rules, the other IA32_RTIT_* MSRs do not (their enumerations are 0), and PT state is supervisor state
   * component 8 of XSAVES/XRSTORS (Vol. 1 13.5.6). No trace is ever generated because none can be enabled.
   */
  intelPt: boolean;
}

export interface Profile {
  name: string;
  description: string;
  /** MAXPHYADDR (CPUID.80000008H:EAX[7:0]). */
  physicalAddressWidth: number;
  /** CPUID.01H:EAX (family/model/stepping signature). */
  cpuidSignature: number;
  /** CPUID.00H:EBX/EDX/ECX vendor and the brand string. */
  brand: string;
  /** VMX capability MSRs present on this part, by address. Absent: RDMSR raises #GP(0). */
  vmxMsrs: ReadonlyMap<number, bigint>;
  /** IA32_FEATURE_CONTROL as firmware leaves it at reset. */
  featureControlAtReset: number;
  /** Features outside VMX proper (SMX, SGX, XSAVES, Intel PT). */
  features: ProcessorFeatures;
  /** CR4 bits this processor implements: a MOV to CR4 setting any other bit raises #GP(0) (SDM Vol. 3A 2.5). */
  cr4Supported: number;
  /** Nominal TSC frequency in Hz, used for CPUID leaf 15H (documentation only). */
  tscHz: number;
}

const allowed = (allowed0: number, allowed1: number): bigint => ALLOWED_SETTINGS.encode(allowed0, allowed1 | allowed0);
const or = (...bits: number[]): number => bits.reduce((a, b) => (a | b) >>> 0, 0);

/** SDM Appendix A.3.1/A.3.2/A.4/A.5: the default1 classes (bits a non-TRUE MSR reports as must-be-1). */
const PIN_DEFAULT1 = 0x00000016;
const PROC_DEFAULT1 = 0x0401e172;
const EXIT_DEFAULT1 = 0x00036dff;
const ENTRY_DEFAULT1 = 0x000011ff;

/**
 * "xeon-sapphire-rapids": modelled on a 4th-generation Intel Xeon Scalable processor (Sapphire Rapids,
 * e.g. Xeon Platinum 8480+, CPUID signature 0x000806F8). MAXPHYADDR 46. Values follow what Linux's vmxcap
 * reports on Ice Lake / Sapphire Rapids class servers, reduced to what this emulator implements:
 *  - IA32_VMX_BASIC: revision identifier 0x4 (our choice; real parts' identifiers are not documented),
 *    VMCS region size 4096, WB memory type, INS/OUTS instruction information, TRUE controls (bit 55),
 *    error-code-optional injection (bit 56). No dual-monitor treatment (bit 49 = 0): not modelled.
 *  - pin-based: external-interrupt exiting, NMI exiting, virtual NMIs, VMX-preemption timer. Not offered:
 *    process posted interrupts (APIC virtualization is not modelled).
 *  - primary processor-based: every control except "activate tertiary controls" (no tertiary feature is
 *    modelled, so IA32_VMX_PROCBASED_CTLS3 is absent).
 *  - secondary processor-based: enable EPT, descriptor-table exiting, enable RDTSCP, enable VPID, WBINVD
 *    exiting, unrestricted guest, PAUSE-loop exiting, RDRAND exiting, enable INVPCID, VMCS shadowing,
 *    ENCLS exiting, RDSEED exiting, enable XSAVES/XRSTORS, use TSC scaling. Not offered (not modelled):
 *    APIC virtualization (bits 0, 4, 8, 9), VM functions, PML, EPT-violation #VE, PT-related controls,
 *    mode-based execute control, SPP, user wait and pause, PCONFIG, ENCLV, bus-lock detection,
 *    instruction timeout.
 *  - VM-exit: save debug controls, host address-space size, load IA32_PERF_GLOBAL_CTRL, acknowledge
 *    interrupt on exit, save/load IA32_PAT, save/load IA32_EFER, save VMX-preemption timer value.
 *    (Sapphire Rapids has no MPX, so no BNDCFGS controls; CET, PKRS, LBR and PT controls not modelled.)
 *  - VM-entry: load debug controls, IA-32e mode guest, entry to SMM and deactivate dual-monitor treatment
 *    (allowed-1 as on real parts; VM entry requires them 0 outside SMM), load IA32_PERF_GLOBAL_CTRL,
 *    load IA32_PAT, load IA32_EFER.
 *  - IA32_VMX_MISC: preemption-timer rate 5 (one tick per 32 TSC cycles), stores EFER.LMA into
 *    "IA-32e mode guest", activity states HLT/shutdown/wait-for-SIPI, 4 CR3-target values, 512-MSR lists,
 *    Intel PT usable in VMX operation (bit 14, as on the real part; see "Intel PT" below), VMWRITE to any
 *    supported field (bit 29), zero-length software-event injection (bit 30).
 *  - CR0 fixed: PE, NE, PG fixed to 1; CR4 fixed: VMXE fixed to 1; CR4 bits this machine implements
 *    (SMXE included; no LA57, KL, CET, PKS) may be 1.
 *  - IA32_VMX_EPT_VPID_CAP: execute-only, 4-level walks, UC and WB, 2-MiB and 1-GiB pages, INVEPT
 *    single/all-context, INVVPID with all four types. Not offered: 5-level walks, EPT A/D flags, advanced
 *    exit information, supervisor shadow stacks.
 *
 * Features outside VMX (ProcessorFeatures above), as the real part has them, reduced to what is modelled:
 *  - SMX: Sapphire Rapids Xeons support Intel TXT, so CPUID.01H:ECX.SMX = 1 and CR4.SMXE may be set (also in
 *    VMX operation: IA32_VMX_CR4_FIXED1[14] = 1). GETSEC[CAPABILITIES] reports no TXT-capable chipset and
 *    no other leaf: measured launch (SENTER, ENTERACCS …) is not modelled, and firmware leaves the SENTER
 *    enables and "VMX inside SMX" of IA32_FEATURE_CONTROL clear.
 *  - SGX: Sapphire Rapids Xeons support SGX1 and SGX2 (CPUID.(EAX=12H,ECX=0):EAX = 3, maximum enclave sizes
 *    2^31 and 2^56, EDX = 381FH) and firmware that enables SGX sets IA32_FEATURE_CONTROL bit 18 with the lock;
 *    modelled up to the ENCLS common checks and the ENCLS-exiting bitmap. No EPC section is enumerated
 *    (a real part reports its processor reserved memory there), and SGX launch control (bit 17,
 *    CPUID.(EAX=07H,ECX=0):ECX[30]) is not offered.
 *  - XSAVE: the real part enumerates XSAVEOPT/XSAVEC/XGETBV1/XSAVES/XFD and many user and supervisor state
 *    components; here only what the interpreter implements: XCR0 components x87 and SSE, XSAVES/XRSTORS,
 *    XGETBV with ECX = 1, and supervisor state component 8 (PT state) in IA32_XSS.
 *  - Intel PT: the real part has it with ToPA and single-range output and the optional features of leaf
 *    14H; here every leaf-14H capability is 0, so IA32_RTIT_CTL.TraceEn can never be set and no packet is
 *    ever generated, while the MSRs that then exist (IA32_RTIT_CTL, IA32_RTIT_STATUS) and PT state under
 *    XSAVES/XRSTORS behave as the SDM says. The VM-entry/VM-exit controls for IA32_RTIT_CTL and "conceal
 *    VMX from PT" are not offered.
 */
function sapphireRapids(): Profile {
  const pin1 = or(PIN.EXTERNAL_INTERRUPT_EXITING, PIN.NMI_EXITING, PIN.VIRTUAL_NMIS, PIN.ACTIVATE_VMX_PREEMPTION_TIMER);
  const proc1 = (0xffffffff & ~(1 << 0) & ~PROC.ACTIVATE_TERTIARY_CONTROLS & ~(1 << 18)) >>> 0;
  const proc2 = or(
    PROC2.ENABLE_EPT, PROC2.DESCRIPTOR_TABLE_EXITING, PROC2.ENABLE_RDTSCP, PROC2.ENABLE_VPID, PROC2.WBINVD_EXITING,
    PROC2.UNRESTRICTED_GUEST, PROC2.PAUSE_LOOP_EXITING, PROC2.RDRAND_EXITING, PROC2.ENABLE_INVPCID,
    PROC2.VMCS_SHADOWING, PROC2.ENABLE_ENCLS_EXITING, PROC2.RDSEED_EXITING, PROC2.ENABLE_XSAVES_XRSTORS,
    PROC2.USE_TSC_SCALING,
  );
  const exit1 = or(
    EXIT_DEFAULT1, EXIT_CTL.HOST_ADDRESS_SPACE_SIZE, EXIT_CTL.LOAD_IA32_PERF_GLOBAL_CTRL,
    EXIT_CTL.ACKNOWLEDGE_INTERRUPT_ON_EXIT, EXIT_CTL.SAVE_IA32_PAT, EXIT_CTL.LOAD_IA32_PAT, EXIT_CTL.SAVE_IA32_EFER,
    EXIT_CTL.LOAD_IA32_EFER, EXIT_CTL.SAVE_VMX_PREEMPTION_TIMER_VALUE,
  );
  const entry1 = or(
    ENTRY_DEFAULT1, ENTRY_CTL.IA32E_MODE_GUEST, ENTRY_CTL.ENTRY_TO_SMM, ENTRY_CTL.DEACTIVATE_DUAL_MONITOR_TREATMENT,
    ENTRY_CTL.LOAD_IA32_PERF_GLOBAL_CTRL, ENTRY_CTL.LOAD_IA32_PAT, ENTRY_CTL.LOAD_IA32_EFER,
  );
  const ept =
    EPT_VPID_CAP.EXECUTE_ONLY | EPT_VPID_CAP.PAGE_WALK_LENGTH_4 | EPT_VPID_CAP.MEMORY_TYPE_UC |
    EPT_VPID_CAP.MEMORY_TYPE_WB | EPT_VPID_CAP.PDE_2MB_PAGES | EPT_VPID_CAP.PDPTE_1GB_PAGES | EPT_VPID_CAP.INVEPT |
    EPT_VPID_CAP.INVEPT_SINGLE_CONTEXT | EPT_VPID_CAP.INVEPT_ALL_CONTEXT | EPT_VPID_CAP.INVVPID |
    EPT_VPID_CAP.INVVPID_INDIVIDUAL_ADDRESS | EPT_VPID_CAP.INVVPID_SINGLE_CONTEXT | EPT_VPID_CAP.INVVPID_ALL_CONTEXT |
    EPT_VPID_CAP.INVVPID_SINGLE_CONTEXT_RETAINING_GLOBALS;
  const cr4 = (SUPPORTED_CR4 | CR4.SMXE) >>> 0;
  const m = new Map<number, bigint>([
    [MSR.IA32_VMX_BASIC, encodeVmxBasic({
      revisionId: 0x4, regionSize: 4096, memoryType: 6, insOutsInfo: true, trueControls: true,
      noErrorCodeRequirement: true,
    })],
    [MSR.IA32_VMX_PINBASED_CTLS, allowed(PIN_DEFAULT1, pin1)],
    [MSR.IA32_VMX_PROCBASED_CTLS, allowed(PROC_DEFAULT1, proc1)],
    [MSR.IA32_VMX_EXIT_CTLS, allowed(EXIT_DEFAULT1, exit1)],
    [MSR.IA32_VMX_ENTRY_CTLS, allowed(ENTRY_DEFAULT1, entry1)],
    [MSR.IA32_VMX_MISC, encodeVmxMisc({
      preemptionTimerRate: 5, storeEferLma: true, activityHlt: true, activityShutdown: true,
      activityWaitForSipi: true, intelPt: true, cr3TargetCount: 4, maxMsrListCode: 0, vmwriteAnyField: true,
      zeroLengthInjection: true,
    })],
    [MSR.IA32_VMX_CR0_FIXED0, BigInt(or(CR0.PE, CR0.NE, CR0.PG))],
    [MSR.IA32_VMX_CR0_FIXED1, 0xffffffffn],
    [MSR.IA32_VMX_CR4_FIXED0, BigInt(CR4.VMXE)],
    [MSR.IA32_VMX_CR4_FIXED1, BigInt(cr4)],
    [MSR.IA32_VMX_PROCBASED_CTLS2, allowed(0, proc2)],
    [MSR.IA32_VMX_EPT_VPID_CAP, ept],
    [MSR.IA32_VMX_TRUE_PINBASED_CTLS, allowed(PIN_DEFAULT1, pin1)],
    [MSR.IA32_VMX_TRUE_PROCBASED_CTLS, allowed(PROC_DEFAULT1 & ~(PROC.CR3_LOAD_EXITING | PROC.CR3_STORE_EXITING), proc1)],
    [MSR.IA32_VMX_TRUE_EXIT_CTLS, allowed(EXIT_DEFAULT1 & ~EXIT_CTL.SAVE_DEBUG_CONTROLS, exit1)],
    [MSR.IA32_VMX_TRUE_ENTRY_CTLS, allowed(ENTRY_DEFAULT1 & ~ENTRY_CTL.LOAD_DEBUG_CONTROLS, entry1)],
  ]);
  return {
    name: 'xeon-sapphire-rapids',
    description: '4th-generation Intel Xeon Scalable (Sapphire Rapids), features this emulator models',
    physicalAddressWidth: 46,
    cpuidSignature: 0x000806f8,
    brand: 'Intel(R) Xeon(R) Platinum 8480+ (vmx-conformance reference model)',
    vmxMsrs: m,
    featureControlAtReset: FEATURE_CONTROL.LOCK | FEATURE_CONTROL.VMX_OUTSIDE_SMX | FEATURE_CONTROL_EXT.SGX_ENABLE,
    features: { smx: true, sgx: true, xsaves: true, intelPt: true },
    cr4Supported: cr4,
    tscHz: 2_000_000_000,
  };
}

/**
 * "minimal": a small first-generation-style VMX processor, so that capability-driven skipping is exercised.
 * No TRUE controls (IA32_VMX_BASIC[55] = 0), no VMX-preemption timer, no EPT, no VPID, no VMCS shadowing,
 * no unrestricted guest (so no IA32_VMX_EPT_VPID_CAP), no save/load of IA32_PAT/IA32_EFER, only the HLT
 * activity state, and VMWRITE to VM-exit information fields fails (IA32_VMX_MISC[29] = 0).
 * Secondary controls: descriptor-table exiting, enable RDTSCP, WBINVD exiting. MAXPHYADDR 36.
 * None of the features outside VMX (no SMX, so CR4.SMXE is reserved; no SGX; no XSAVES or IA32_XSS; no
 * Intel PT).
 */
function minimal(): Profile {
  const pin1 = or(PIN.EXTERNAL_INTERRUPT_EXITING, PIN.NMI_EXITING, PIN.VIRTUAL_NMIS);
  const proc1 = (0xffffffff & ~(1 << 0) & ~PROC.ACTIVATE_TERTIARY_CONTROLS & ~(1 << 18)) >>> 0;
  const proc2 = or(PROC2.DESCRIPTOR_TABLE_EXITING, PROC2.ENABLE_RDTSCP, PROC2.WBINVD_EXITING);
  const exit1 = or(EXIT_DEFAULT1, EXIT_CTL.HOST_ADDRESS_SPACE_SIZE, EXIT_CTL.ACKNOWLEDGE_INTERRUPT_ON_EXIT);
  const entry1 = or(ENTRY_DEFAULT1, ENTRY_CTL.IA32E_MODE_GUEST, ENTRY_CTL.ENTRY_TO_SMM, ENTRY_CTL.DEACTIVATE_DUAL_MONITOR_TREATMENT);
  const m = new Map<number, bigint>([
    [MSR.IA32_VMX_BASIC, encodeVmxBasic({ revisionId: 0x1d, regionSize: 4096, memoryType: 6, insOutsInfo: true })],
    [MSR.IA32_VMX_PINBASED_CTLS, allowed(PIN_DEFAULT1, pin1)],
    [MSR.IA32_VMX_PROCBASED_CTLS, allowed(PROC_DEFAULT1, proc1)],
    [MSR.IA32_VMX_EXIT_CTLS, allowed(EXIT_DEFAULT1, exit1)],
    [MSR.IA32_VMX_ENTRY_CTLS, allowed(ENTRY_DEFAULT1, entry1)],
    [MSR.IA32_VMX_MISC, encodeVmxMisc({ preemptionTimerRate: 0, activityHlt: true, cr3TargetCount: 4 })],
    [MSR.IA32_VMX_CR0_FIXED0, BigInt(or(CR0.PE, CR0.NE, CR0.PG))],
    [MSR.IA32_VMX_CR0_FIXED1, 0xffffffffn],
    [MSR.IA32_VMX_CR4_FIXED0, BigInt(CR4.VMXE)],
    [MSR.IA32_VMX_CR4_FIXED1, BigInt(SUPPORTED_CR4)],
    [MSR.IA32_VMX_PROCBASED_CTLS2, allowed(0, proc2)],
  ]);
  return {
    name: 'minimal',
    description: 'a minimal VMX processor: no TRUE controls, EPT, VPID, VMCS shadowing or preemption timer',
    physicalAddressWidth: 36,
    cpuidSignature: 0x0001067a,
    brand: 'vmx-conformance minimal VMX processor',
    vmxMsrs: m,
    featureControlAtReset: FEATURE_CONTROL.LOCK | FEATURE_CONTROL.VMX_OUTSIDE_SMX,
    features: { smx: false, sgx: false, xsaves: false, intelPt: false },
    cr4Supported: SUPPORTED_CR4,
    tscHz: 2_000_000_000,
  };
}

/**
 * CR4 bits every profile here implements (a write setting any other bit raises #GP(0)): VME … OSXMMEXCPT,
 * UMIP, VMXE, FSGSBASE, PCIDE, OSXSAVE, SMEP, SMAP, PKE. SMXE exists only with SMX (Profile.cr4Supported).
 * Not implemented: LA57 (paging is 4-level), KL, CET, PKS.
 */
export const SUPPORTED_CR4 = or(
  CR4.VME, CR4.PVI, CR4.TSD, CR4.DE, CR4.PSE, CR4.PAE, CR4.MCE, CR4.PGE, CR4.PCE, CR4.OSFXSR, CR4.OSXMMEXCPT,
  CR4.UMIP, CR4.VMXE, CR4.FSGSBASE, CR4.PCIDE, CR4.OSXSAVE, CR4.SMEP, CR4.SMAP, CR4.PKE,
);

/** CR0 bits that exist (SDM Vol. 3A 2.5); setting any other bit (63:32, 28:19 except 18 AM, 17, 15:6) is #GP. */
export const SUPPORTED_CR0 = or(CR0.PE, CR0.MP, CR0.EM, CR0.TS, CR0.ET, CR0.NE, CR0.WP, CR0.AM, CR0.NW, CR0.CD, CR0.PG);

const BUILDERS: Record<string, () => Profile> = {
  'xeon-sapphire-rapids': sapphireRapids,
  minimal,
};

/** Profile names; the first is the default. */
export const REFERENCE_PROFILES: readonly string[] = Object.freeze(Object.keys(BUILDERS));

const CACHE = new Map<string, Profile>();
/** The named profile, or undefined if there is none of that name. */
export function profileByName(name: string): Profile | undefined {
  const build = BUILDERS[name];
  if (build === undefined) return undefined;
  let p = CACHE.get(name);
  if (p === undefined) {
    p = build();
    CACHE.set(name, p);
  }
  return p;
}
