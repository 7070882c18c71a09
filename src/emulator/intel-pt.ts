/**
 * Intel Processor Trace as the reference machine has it (Profile.features.intelPt): CPUID.(EAX=07H,ECX=0):
 * EBX[25] = 1 with every capability of CPUID leaf 14H equal to 0. What that enumeration means, from SDM
 * Vol. 3C "Intel Processor Trace" (the IA32_RTIT_CTL and IA32_RTIT_STATUS tables, "CPUID Leaf 14H
 * Enumeration of Intel Processor Trace Capabilities") and Vol. 4 Table 2-2:
 *  - no output scheme (ToPA, ECX[0]; single-range, ECX[2]; trace transport, ECX[3]): setting ToPA or FabricEn
 *    is #GP, and a WRMSR that sets TraceEn with ToPA = FabricEn = 0 is #GP because single-range output is
 *    not supported. So TraceEn is never 1 and no packet is ever generated; IA32_RTIT_OUTPUT_BASE and
 *    IA32_RTIT_OUTPUT_MASK_PTRS cannot be accessed (#GP).
 *  - no CR3 filtering (EBX[0]): CR3Filter cannot be set, IA32_RTIT_CR3_MATCH cannot be accessed (#GP).
 *  - no configurable PSB / cycle-accurate mode (EBX[1]): CYCEn, CycThresh, PSBFreq are reserved and
 *    IA32_RTIT_STATUS.PacketByteCnt cannot be written non-zero.
 *  - no IP filtering (EBX[2]) and no address ranges (leaf 14H sub-leaf 1 absent): no ADDRn_CFG fields, no
 *    IA32_RTIT_ADDRn_A/B MSRs. No MTC (EBX[3]), PTWRITE (EBX[4]) or power event trace (EBX[5]): MTCEn, MTCFreq,
 *    PTWEn, FUPonPTW, PwrEvtEn are reserved.
 * What remains writable in IA32_RTIT_CTL: OS, User, TSCEn, DisRETC, BranchEn (the bits with no CPUID
 * condition). IA32_RTIT_STATUS: Error and Stopped are software-writable while TraceEn = 0 (always, here);
 * FilterEn, ContextEn, TriggerEn are written by the processor and software writes to them are ignored; the
 * other bits are reserved (bits 7:6 of later SDM revisions, PendPSB and PendTopaPMI, concern enabling a trace
 * and are treated as reserved here since tracing cannot be enabled). Every MSR is 0 at reset.
 */
import { RTIT_CTL, RTIT_STATUS } from '../arch/processor-features';

/** IA32_RTIT_CTL bits a WRMSR may set on this machine (any other set bit: #GP(0)). */
export const RTIT_CTL_SETTABLE = BigInt(RTIT_CTL.OS | RTIT_CTL.USER | RTIT_CTL.TSC_EN | RTIT_CTL.DIS_RETC | RTIT_CTL.BRANCH_EN);

/** IA32_RTIT_STATUS bits software can write. */
const RTIT_STATUS_WRITABLE = BigInt(RTIT_STATUS.ERROR | RTIT_STATUS.STOPPED);
const RTIT_STATUS_IGNORED = BigInt(RTIT_STATUS.PROCESSOR_WRITTEN);

/** WRMSR IA32_RTIT_CTL: true if the value may be written (TraceEn included in the bits that may not). */
export function rtitCtlWritable(v: bigint): boolean {
  return (v & ~RTIT_CTL_SETTABLE) === 0n;
}

/** WRMSR IA32_RTIT_STATUS: the value the MSR then holds, or undefined for #GP(0). */
export function rtitStatusAfterWrite(v: bigint): bigint | undefined {
  if ((v & ~(RTIT_STATUS_WRITABLE | RTIT_STATUS_IGNORED)) !== 0n) return undefined;
  return v & RTIT_STATUS_WRITABLE;
}
