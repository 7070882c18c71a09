/**
 * RDMSR/WRMSR of the reference machine (SDM Vol. 4 "Model-Specific Registers", Table 2-2; Vol. 2B "RDMSR",
 * "WRMSR"). An MSR not listed here does not exist: RDMSR and WRMSR of it raise #GP(0). The VMX capability MSRs
 * are read-only (SDM Vol. 3C Appendix A: "an attempt to write them (with WRMSR) produces #GP(0)"), and exist
 * only as the profile says. IA32_FEATURE_CONTROL cannot be written once its lock bit is set (24.7).
 *
 * Values are bigints: MSR access is not on the guest hot path.
 */
import * as ns_arch from '../arch';
import { FEATURE_CONTROL_EXT, RTIT_MSR, XSTATE } from '../arch/processor-features';
import { rtitCtlWritable, rtitStatusAfterWrite } from './intel-pt';
import type { LogicalProcessor } from './processor';
import type { Profile } from './profiles';
import * as ns_state from './state';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { CR0, FEATURE_CONTROL, IA32_EFER, MSR } = ns_arch;
const { SEG, isCanonical, fromU64, toU64 } = ns_state;

/**
 * IA32_FEATURE_CONTROL bits that exist on the profile's processor (SDM Vol. 4 Table 2-2, each bit's CPUID
 * condition): lock and "VMX outside SMX" always (every profile has VMX); "VMX inside SMX" and the SENTER
 * enables with SMX; "SGX global enable" with SGX. SGX launch control (bit 17) and LMCE (bit 20) are not
 * offered by any profile.
 */
export function featureControlBits(p: Profile): number {
  let bits = FEATURE_CONTROL.LOCK | FEATURE_CONTROL.VMX_OUTSIDE_SMX;
  if (p.features.smx) {
    bits |= FEATURE_CONTROL.VMX_INSIDE_SMX | FEATURE_CONTROL_EXT.SENTER_LOCAL_FUNCTION_ENABLES | FEATURE_CONTROL_EXT.SENTER_GLOBAL_ENABLE;
  }
  if (p.features.sgx) bits |= FEATURE_CONTROL_EXT.SGX_ENABLE;
  return bits >>> 0;
}

/**
 * IA32_XSS bits that may be 1: the supervisor state components CPUID.(EAX=0DH,ECX=1):EDX:ECX enumerates
 * (SDM Vol. 1 13.3): PT state (component 8) with Intel PT, nothing else.
 */
export function xssSupported(p: Profile): bigint {
  return p.features.xsaves && p.features.intelPt ? 1n << BigInt(XSTATE.PT) : 0n;
}

/**
 * IA32_DEBUGCTL bits this machine implements (SDM Vol. 3B 18.4.1 "IA32_DEBUGCTL MSR"): LBR (0), BTF (1),
 * TR (6), BTS (7), BTINT (8), BTS_OFF_OS (9), BTS_OFF_USR (10), FREEZE_LBRS_ON_PMI (11),
 * FREEZE_PERFMON_ON_PMI (12), ENABLE_UNCORE_PMI (13), FREEZE_WHILE_SMM (14), RTM_DEBUG (15).
 * The rest are reserved (also for the VM-entry check of SDM 27.3.1.1).
 */
export const DEBUGCTL_VALID = 0xffc3n;
/** IA32_PERF_GLOBAL_CTRL: 8 general-purpose counters (bits 7:0) and 4 fixed counters (bits 35:32). */
export const PERF_GLOBAL_CTRL_VALID = 0xf000000ffn;
/** IA32_EFER bits that exist: SCE, LME, LMA, NXE. */
export const EFER_VALID = BigInt(IA32_EFER.SCE | IA32_EFER.LME | IA32_EFER.LMA | IA32_EFER.NXE);

/** Each byte of IA32_PAT must be a valid memory type: 0, 1, 4, 5, 6 or 7 (SDM Vol. 3A 12.12.2 "IA32_PAT MSR"). */
export function patValid(v: bigint): boolean {
  for (let i = 0n; i < 64n; i += 8n) {
    const t = Number((v >> i) & 0xffn);
    if (t === 2 || t === 3 || t > 7) return false;
  }
  return true;
}

/** MSRs that only hold a value, with the bits that may be 1. */
const STORAGE: ReadonlyMap<number, bigint> = new Map([
  [MSR.IA32_TSC_ADJUST, 0xffffffffffffffffn],
  [MSR.IA32_SPEC_CTRL, 0x7n],
  [MSR.IA32_BIOS_SIGN_ID, 0xffffffff00000000n],
  [MSR.IA32_MISC_ENABLE, 0x400801n],
  [MSR.IA32_STAR, 0xffffffffffffffffn],
  [MSR.IA32_FMASK, 0xffffffffn],
]);
/** MSRs holding a linear address: must be canonical. */
const CANONICAL_STORAGE: ReadonlySet<number> = new Set([MSR.IA32_LSTAR, MSR.IA32_CSTAR, MSR.IA32_KERNEL_GS_BASE]);

export function resetMsrs(cpu: LogicalProcessor): void {
  cpu.msrStore.clear();
  cpu.msrStore.set(MSR.IA32_MISC_ENABLE, 0x1n);
  cpu.msrStore.set(MSR.IA32_APIC_BASE, 0xfee00000n | (1n << 11n) | (cpu.index === 0 ? 1n << 8n : 0n));
  cpu.featureControl = cpu.caps.profile.featureControlAtReset;
  cpu.pat = 0x0007040600070406n;
  cpu.debugctl = 0n;
  cpu.perfGlobalCtrl = 0n;
  cpu.sysenterCs = 0;
  cpu.sysenterEsp = 0;
  cpu.sysenterEip = 0;
}

/** RDMSR: the value, or undefined for #GP(0). */
export function readMsr(cpu: LogicalProcessor, msr: number): bigint | undefined {
  msr >>>= 0;
  const vmx = cpu.caps.msr(msr);
  if (vmx !== undefined) return vmx;
  switch (msr) {
    case MSR.IA32_TIME_STAMP_COUNTER: return BigInt(cpu.tsc);
    case MSR.IA32_FEATURE_CONTROL: return BigInt(cpu.featureControl);
    case MSR.IA32_EFER: return BigInt(cpu.regs.efer);
    case MSR.IA32_PAT: return cpu.pat;
    case MSR.IA32_DEBUGCTL: return cpu.debugctl;
    case MSR.IA32_PERF_GLOBAL_CTRL: return cpu.perfGlobalCtrl;
    case MSR.IA32_SYSENTER_CS: return BigInt(cpu.sysenterCs);
    case MSR.IA32_SYSENTER_ESP: return toU64(cpu.sysenterEsp);
    case MSR.IA32_SYSENTER_EIP: return toU64(cpu.sysenterEip);
    case MSR.IA32_FS_BASE: return toU64(cpu.regs.segBaseView[SEG.FS]);
    case MSR.IA32_GS_BASE: return toU64(cpu.regs.segBaseView[SEG.GS]);
    case MSR.IA32_TSC_AUX: return cpu.msrStore.get(msr) ?? 0n;
    case MSR.IA32_APIC_BASE: return cpu.msrStore.get(msr) ?? 0n;
    case MSR.IA32_SMM_MONITOR_CTL: return cpu.msrStore.get(msr) ?? 0n;
    // IA32_XSS exists if CPUID.(EAX=0DH,ECX=1):EAX[3] = 1 (Vol. 4 Table 2-2).
    case MSR.IA32_XSS: return cpu.caps.profile.features.xsaves ? cpu.msrStore.get(msr) ?? 0n : undefined;
    // Intel PT (intel-pt.ts): only IA32_RTIT_CTL and IA32_RTIT_STATUS exist with this machine's leaf 14H.
    case RTIT_MSR.IA32_RTIT_CTL:
    case RTIT_MSR.IA32_RTIT_STATUS:
      return cpu.caps.profile.features.intelPt ? cpu.msrStore.get(msr) ?? 0n : undefined;
  }
  if (STORAGE.has(msr) || CANONICAL_STORAGE.has(msr)) return cpu.msrStore.get(msr) ?? 0n;
  return undefined;
}

/** WRMSR: false for #GP(0). */
export function writeMsr(cpu: LogicalProcessor, msr: number, value: bigint): boolean {
  msr >>>= 0;
  const v = BigInt.asUintN(64, value);
  if (cpu.caps.msr(msr) !== undefined) return false; // VMX capability MSRs are read-only
  switch (msr) {
    case MSR.IA32_TIME_STAMP_COUNTER:
      cpu.tsc = Number(v & 0x1fffffffffffffn);
      return true;
    case MSR.IA32_FEATURE_CONTROL:
      // Locked: any write is #GP. Unlocked: only the bits this processor has (featureControlBits).
      if ((cpu.featureControl & FEATURE_CONTROL.LOCK) !== 0) return false;
      if ((v & ~BigInt(featureControlBits(cpu.caps.profile))) !== 0n) return false;
      cpu.featureControl = Number(v);
      return true;
    case MSR.IA32_XSS:
      // Setting a bit for a state component the processor does not support as supervisor state is #GP.
      if (!cpu.caps.profile.features.xsaves || (v & ~xssSupported(cpu.caps.profile)) !== 0n) return false;
      cpu.msrStore.set(msr, v);
      return true;
    case RTIT_MSR.IA32_RTIT_CTL:
      if (!cpu.caps.profile.features.intelPt || !rtitCtlWritable(v)) return false;
      cpu.msrStore.set(msr, v);
      return true;
    case RTIT_MSR.IA32_RTIT_STATUS: {
      const after = cpu.caps.profile.features.intelPt ? rtitStatusAfterWrite(v) : undefined;
      if (after === undefined) return false;
      cpu.msrStore.set(msr, after);
      return true;
    }
    case MSR.IA32_EFER: {
      if ((v & ~EFER_VALID) !== 0n) return false;
      const n = Number(v);
      const r = cpu.regs;
      // Changing LME while paging is enabled is #GP (SDM Vol. 3A 10.8.5); LMA is read-only (writes ignored).
      if ((r.cr0 & CR0.PG) !== 0 && ((n ^ r.efer) & IA32_EFER.LME) !== 0) return false;
      r.efer = (n & ~IA32_EFER.LMA) | (r.efer & IA32_EFER.LMA);
      return true;
    }
    case MSR.IA32_PAT:
      if (!patValid(v)) return false;
      cpu.pat = v;
      return true;
    case MSR.IA32_DEBUGCTL:
      if ((v & ~DEBUGCTL_VALID) !== 0n) return false;
      cpu.debugctl = v;
      return true;
    case MSR.IA32_PERF_GLOBAL_CTRL:
      if ((v & ~PERF_GLOBAL_CTRL_VALID) !== 0n) return false;
      cpu.perfGlobalCtrl = v;
      return true;
    case MSR.IA32_SYSENTER_CS:
      cpu.sysenterCs = Number(v & 0xffffffffn);
      return true;
    case MSR.IA32_SYSENTER_ESP:
    case MSR.IA32_SYSENTER_EIP:
      if (!isCanonical(v)) return false;
      if (msr === MSR.IA32_SYSENTER_ESP) cpu.sysenterEsp = fromU64(v);
      else cpu.sysenterEip = fromU64(v);
      return true;
    case MSR.IA32_FS_BASE:
    case MSR.IA32_GS_BASE:
      if (!isCanonical(v)) return false;
      cpu.regs.segBase[msr === MSR.IA32_FS_BASE ? SEG.FS : SEG.GS] = fromU64(v);
      return true;
    case MSR.IA32_TSC_AUX:
      if (v >> 32n !== 0n) return false;
      cpu.msrStore.set(msr, v);
      return true;
    case MSR.IA32_APIC_BASE:
      // Only the enable bit may change here; the base stays at FEE00000H (the APIC is not relocatable here).
      if ((v & ~(0xfee00000n | (1n << 11n) | (1n << 8n))) !== 0n) return false;
      cpu.msrStore.set(msr, (v & (1n << 11n)) | 0xfee00000n | (cpu.index === 0 ? 1n << 8n : 0n));
      return true;
    case MSR.IA32_SMM_MONITOR_CTL:
      // Writable storage (valid bit 0, bit 2, MSEG base 31:12); the dual-monitor treatment is not modelled.
      if ((v & ~0xfffff005n) !== 0n) return false;
      cpu.msrStore.set(msr, v);
      return true;
  }
  const mask = STORAGE.get(msr);
  if (mask !== undefined) {
    if ((v & ~mask) !== 0n) return false;
    cpu.msrStore.set(msr, v);
    return true;
  }
  if (CANONICAL_STORAGE.has(msr)) {
    if (!isCanonical(v)) return false;
    cpu.msrStore.set(msr, v);
    return true;
  }
  return false;
}
