/**
 * Moving guest state between the VMCS guest-state area and the logical processor:
 * loading at VM entry (SDM Vol. 3C 27.3.2 "Loading Guest State") and saving at VM exit (28.3 "Saving Guest
 * State"). Kept side by side so that every field that is loaded is also saved.
 *
 * Not modelled: pending debug exceptions (the field is neither acted on at VM entry nor rewritten at VM exit),
 * SMBASE (no SMM), and the PDPTE registers of PAE paging (the interpreter reads PDPTEs at each walk).
 */
import * as ns_arch from '../../arch';
import type { LogicalProcessor } from '../processor';
import * as ns_vmcs_layout from '../vmcs/layout';
import type { Vmcs } from '../vmcs/vmcs';
import * as ns_profiles from '../profiles';
import * as ns_checks_guest_segments from './checks-guest-segments';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { CR0, ENTRY_CTL, EXIT_CTL, IA32_EFER, INTERRUPTIBILITY, SEG_AR } = ns_arch;
const { V } = ns_vmcs_layout;
const { SUPPORTED_CR0 } = ns_profiles;
const { AR, BASE, LIMIT, SEL } = ns_checks_guest_segments;

/**
 * CR0 bits a VM entry or exit does not modify: the reserved bits (28:19, 17, 15:6) and ET (SDM 27.3.2.1,
 * 28.5.1). ET is always 1 on this processor.
 */
const CR0_KEPT = (~SUPPORTED_CR0 | CR0.ET) >>> 0;

export function loadCr0(cpu: LogicalProcessor, value: number): void {
  cpu.regs.cr0 = ((value & ~CR0_KEPT) | (cpu.regs.cr0 & CR0_KEPT)) >>> 0;
}

/** SDM 27.3.2: load the guest-state area (after the checks of 27.3.1 passed). */
export function loadGuestState(cpu: LogicalProcessor, vmcs: Vmcs, entryCtl: number): void {
  const r = cpu.regs;
  const lo = vmcs.lo;
  // 27.3.2.1 Control and debug registers, MSRs.
  loadCr0(cpu, lo[V.GUEST_CR0]);
  r.cr3 = vmcs.getUnsigned(V.GUEST_CR3);
  r.cr4 = lo[V.GUEST_CR4];
  if ((entryCtl & ENTRY_CTL.LOAD_DEBUG_CONTROLS) !== 0) {
    r.dr[7] = BigInt(lo[V.GUEST_DR7]);
    cpu.debugctl = vmcs.get64(V.GUEST_IA32_DEBUGCTL);
  }
  cpu.sysenterCs = lo[V.GUEST_SYSENTER_CS];
  cpu.sysenterEsp = vmcs.getNum(V.GUEST_SYSENTER_ESP);
  cpu.sysenterEip = vmcs.getNum(V.GUEST_SYSENTER_EIP);
  if ((entryCtl & ENTRY_CTL.LOAD_IA32_PERF_GLOBAL_CTRL) !== 0) cpu.perfGlobalCtrl = vmcs.get64(V.GUEST_IA32_PERF_GLOBAL_CTRL);
  if ((entryCtl & ENTRY_CTL.LOAD_IA32_PAT) !== 0) cpu.pat = vmcs.get64(V.GUEST_IA32_PAT);
  const ia32e = (entryCtl & ENTRY_CTL.IA32E_MODE_GUEST) !== 0;
  if ((entryCtl & ENTRY_CTL.LOAD_IA32_EFER) !== 0) {
    r.efer = lo[V.GUEST_IA32_EFER];
  } else {
    // "IA32_EFER.LMA and IA32_EFER.LME are loaded with the setting of the 'IA-32e mode guest' control".
    const both = IA32_EFER.LMA | IA32_EFER.LME;
    r.efer = ia32e ? r.efer | both : r.efer & ~both;
  }
  // 27.3.2.2 Segment and descriptor-table registers.
  for (let s = 0; s < 8; s++) {
    r.segSelector[s] = lo[SEL[s]];
    r.segBase[s] = vmcs.getNum(BASE[s]);
    r.segLimit[s] = lo[LIMIT[s]];
    r.segAccess[s] = lo[AR[s]];
  }
  r.cpl = (lo[V.GUEST_SS_AR_BYTES] & SEG_AR.DPL_MASK) >>> SEG_AR.DPL_SHIFT;
  r.gdtrBase = vmcs.getNum(V.GUEST_GDTR_BASE);
  r.gdtrLimit = lo[V.GUEST_GDTR_LIMIT];
  r.idtrBase = vmcs.getNum(V.GUEST_IDTR_BASE);
  r.idtrLimit = lo[V.GUEST_IDTR_LIMIT];
  // 27.3.2.3 RIP, RSP, RFLAGS.
  r.rip = vmcs.getNum(V.GUEST_RIP);
  r.lo[4] = lo[V.GUEST_RSP];
  r.hi[4] = vmcs.hi[V.GUEST_RSP];
  r.rflags = lo[V.GUEST_RFLAGS];
  // 27.3.2.5 Non-register state: activity and interruptibility (blocking by NMI means virtual-NMI blocking
  // when "virtual NMIs" is 1; the processor keeps it in the same bit).
  cpu.activityState = lo[V.GUEST_ACTIVITY_STATE];
  cpu.interruptibility = lo[V.GUEST_INTERRUPTIBILITY_INFO] & (INTERRUPTIBILITY.BLOCKING_BY_STI |
    INTERRUPTIBILITY.BLOCKING_BY_MOV_SS | INTERRUPTIBILITY.BLOCKING_BY_NMI);
}

/** SDM 28.3 "Saving Guest State" (28.3.1–28.3.4). */
export function saveGuestState(cpu: LogicalProcessor, vmcs: Vmcs, exitCtl: number): void {
  const r = cpu.regs;
  vmcs.write32(V.GUEST_CR0, r.cr0);
  vmcs.writeNum(V.GUEST_CR3, r.cr3);
  vmcs.write32(V.GUEST_CR4, r.cr4);
  if ((exitCtl & EXIT_CTL.SAVE_DEBUG_CONTROLS) !== 0) {
    vmcs.write64(V.GUEST_DR7, r.dr[7]);
    vmcs.write64(V.GUEST_IA32_DEBUGCTL, cpu.debugctl);
  }
  vmcs.write32(V.GUEST_SYSENTER_CS, cpu.sysenterCs);
  vmcs.writeNum(V.GUEST_SYSENTER_ESP, cpu.sysenterEsp);
  vmcs.writeNum(V.GUEST_SYSENTER_EIP, cpu.sysenterEip);
  if ((exitCtl & EXIT_CTL.SAVE_IA32_PAT) !== 0) vmcs.write64(V.GUEST_IA32_PAT, cpu.pat);
  if ((exitCtl & EXIT_CTL.SAVE_IA32_EFER) !== 0) vmcs.write32(V.GUEST_IA32_EFER, r.efer);
  if ((exitCtl & EXIT_CTL.SAVE_IA32_PERF_GLOBAL_CTL) !== 0) vmcs.write64(V.GUEST_IA32_PERF_GLOBAL_CTRL, cpu.perfGlobalCtrl);
  for (let s = 0; s < 8; s++) {
    vmcs.write32(SEL[s], r.segSelector[s]);
    vmcs.writeNum(BASE[s], r.segBase[s]);
    vmcs.write32(LIMIT[s], r.segLimit[s]);
    vmcs.write32(AR[s], r.segAccess[s]);
  }
  vmcs.writeNum(V.GUEST_GDTR_BASE, r.gdtrBase);
  vmcs.write32(V.GUEST_GDTR_LIMIT, r.gdtrLimit);
  vmcs.writeNum(V.GUEST_IDTR_BASE, r.idtrBase);
  vmcs.write32(V.GUEST_IDTR_LIMIT, r.idtrLimit);
  vmcs.writeNum(V.GUEST_RIP, r.rip);
  vmcs.write(V.GUEST_RSP, r.lo[4], r.hi[4]);
  vmcs.write32(V.GUEST_RFLAGS, r.rflags);
  vmcs.write32(V.GUEST_ACTIVITY_STATE, cpu.activityState);
  vmcs.write32(V.GUEST_INTERRUPTIBILITY_INFO, cpu.interruptibility);
}
