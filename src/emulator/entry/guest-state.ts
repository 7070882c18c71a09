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
import { HalvesMemo } from '../util/bits';
import type { SegmentBank } from '../state';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { CR0, ENTRY_CTL, EXIT_CTL, IA32_EFER, INTERRUPTIBILITY, SEG_AR } = ns_arch;
const { V } = ns_vmcs_layout;
const { SUPPORTED_CR0 } = ns_profiles;
const { AR, BASE, LIMIT, SEL } = ns_checks_guest_segments;

/** Conversions of the registers held as bigints, memoized (their values rarely change between transitions). */
const DR7 = new HalvesMemo();
const PAT = new HalvesMemo();
const PERF_GLOBAL_CTRL = new HalvesMemo();
const TWO32 = 4294967296;

/**
 * The guest segment fields of ES … TR have consecutive dense indices (their encodings are consecutive, SDM
 * Appendix B, and layout.ts keeps encoding order): the loops below index from the first. Checked once here.
 */
const SEL0 = SEL[0];
const BASE0 = BASE[0];
const LIMIT0 = LIMIT[0];
const AR0 = AR[0];
for (let s = 0; s < 8; s++) {
  if (SEL[s] !== SEL0 + s || BASE[s] !== BASE0 + s || LIMIT[s] !== LIMIT0 + s || AR[s] !== AR0 + s) {
    throw new Error('VMCS layout: the guest segment fields are not consecutive');
  }
}

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
  const hi = vmcs.hi;
  // 27.3.2.1 Control and debug registers, MSRs.
  loadCr0(cpu, lo[V.GUEST_CR0]);
  r.cr3 = hi[V.GUEST_CR3] * TWO32 + lo[V.GUEST_CR3];
  r.cr4 = lo[V.GUEST_CR4];
  if ((entryCtl & ENTRY_CTL.LOAD_DEBUG_CONTROLS) !== 0) {
    r.dr[7] = DR7.join(lo[V.GUEST_DR7], 0);
    cpu.debugctlLo = lo[V.GUEST_IA32_DEBUGCTL];
    cpu.debugctlHi = hi[V.GUEST_IA32_DEBUGCTL];
  }
  cpu.sysenterCs = lo[V.GUEST_SYSENTER_CS];
  cpu.sysenterEsp = (hi[V.GUEST_SYSENTER_ESP] | 0) * TWO32 + lo[V.GUEST_SYSENTER_ESP];
  cpu.sysenterEip = (hi[V.GUEST_SYSENTER_EIP] | 0) * TWO32 + lo[V.GUEST_SYSENTER_EIP];
  if ((entryCtl & (ENTRY_CTL.LOAD_IA32_PERF_GLOBAL_CTRL | ENTRY_CTL.LOAD_IA32_PAT | ENTRY_CTL.LOAD_IA32_EFER)) !== 0) {
    if ((entryCtl & ENTRY_CTL.LOAD_IA32_PERF_GLOBAL_CTRL) !== 0) {
      cpu.perfGlobalCtrl = PERF_GLOBAL_CTRL.join(lo[V.GUEST_IA32_PERF_GLOBAL_CTRL], hi[V.GUEST_IA32_PERF_GLOBAL_CTRL]);
    }
    if ((entryCtl & ENTRY_CTL.LOAD_IA32_PAT) !== 0) cpu.pat = PAT.join(lo[V.GUEST_IA32_PAT], hi[V.GUEST_IA32_PAT]);
  }
  if ((entryCtl & ENTRY_CTL.LOAD_IA32_EFER) !== 0) {
    r.efer = lo[V.GUEST_IA32_EFER];
  } else {
    // "IA32_EFER.LMA and IA32_EFER.LME are loaded with the setting of the 'IA-32e mode guest' control".
    const both = IA32_EFER.LMA | IA32_EFER.LME;
    r.efer = (entryCtl & ENTRY_CTL.IA32E_MODE_GUEST) !== 0 ? r.efer | both : r.efer & ~both;
  }
  // 27.3.2.2 Segment and descriptor-table registers. The segment registers are the guest bank's; it already
  // holds what loading would give when nothing changed it or the fields since the last exit (processor.ts).
  const gb = r.guestBank;
  r.bank = gb;
  if (gb.written || cpu.guestBankVmcs !== vmcs || cpu.guestBankGen !== vmcs.segGen) loadSegments(cpu, vmcs, gb);
  r.cpl = (lo[V.GUEST_SS_AR_BYTES] & SEG_AR.DPL_MASK) >>> SEG_AR.DPL_SHIFT;
  r.gdtrBase = (hi[V.GUEST_GDTR_BASE] | 0) * TWO32 + lo[V.GUEST_GDTR_BASE];
  r.gdtrLimit = lo[V.GUEST_GDTR_LIMIT];
  r.idtrBase = (hi[V.GUEST_IDTR_BASE] | 0) * TWO32 + lo[V.GUEST_IDTR_BASE];
  r.idtrLimit = lo[V.GUEST_IDTR_LIMIT];
  // 27.3.2.3 RIP, RSP, RFLAGS.
  r.rip = (hi[V.GUEST_RIP] | 0) * TWO32 + lo[V.GUEST_RIP];
  r.lo[4] = lo[V.GUEST_RSP];
  r.hi[4] = hi[V.GUEST_RSP];
  r.rflags = lo[V.GUEST_RFLAGS];
  // 27.3.2.5 Non-register state: activity and interruptibility (blocking by NMI means virtual-NMI blocking
  // when "virtual NMIs" is 1; the processor keeps it in the same bit).
  cpu.activityState = lo[V.GUEST_ACTIVITY_STATE];
  cpu.interruptibility = lo[V.GUEST_INTERRUPTIBILITY_INFO] & (INTERRUPTIBILITY.BLOCKING_BY_STI |
    INTERRUPTIBILITY.BLOCKING_BY_MOV_SS | INTERRUPTIBILITY.BLOCKING_BY_NMI);
}

/**
 * Load the guest segment fields into the guest bank. The bank is then recorded as equal to the fields when
 * saving it back would store exactly the fields' values (a selector field holding more than 16 bits, a 32-bit
 * field with bits 63:32 set, or a base that is no exact number would be rewritten by the next exit's save).
 */
function loadSegments(cpu: LogicalProcessor, vmcs: Vmcs, b: SegmentBank): void {
  const lo = vmcs.lo;
  const hi = vmcs.hi;
  const sel = b.sel;
  const base = b.base;
  const limit = b.limit;
  const access = b.access;
  let exact = true;
  for (let s = 0; s < 8; s++) {
    const sl = lo[SEL0 + s];
    sel[s] = sl;
    const bl = lo[BASE0 + s];
    const bh = hi[BASE0 + s];
    const v = (bh | 0) * TWO32 + bl;
    base[s] = v;
    limit[s] = lo[LIMIT0 + s];
    access[s] = lo[AR0 + s];
    if (sl > 0xffff || (hi[SEL0 + s] | hi[LIMIT0 + s] | hi[AR0 + s]) !== 0 || v >>> 0 !== bl || Math.floor(v / TWO32) >>> 0 !== bh) {
      exact = false;
    }
  }
  b.written = false;
  if (exact) {
    cpu.guestBankVmcs = vmcs;
    cpu.guestBankGen = vmcs.segGen;
  } else {
    cpu.guestBankVmcs = null;
  }
}

/**
 * Save the current segment bank into the guest segment fields (compare before store). Afterwards the fields
 * encode the bank exactly; when the bank is the guest bank and decoding the fields gives the bank back (bases
 * are exact integers, as every writer stores them), it is recorded as equal to the fields.
 */
function saveSegments(cpu: LogicalProcessor, vmcs: Vmcs, b: SegmentBank): void {
  const lo = vmcs.lo;
  const hi = vmcs.hi;
  const sel = b.sel;
  const base = b.base;
  const limit = b.limit;
  const access = b.access;
  let v: number;
  for (let s = 0; s < 8; s++) {
    if (lo[SEL0 + s] !== (v = sel[s]) || hi[SEL0 + s] !== 0) vmcs.write32(SEL0 + s, v);
    if (lo[BASE0 + s] !== (v = base[s]) || hi[BASE0 + s] !== 0) vmcs.writeNum(BASE0 + s, v);
    if (lo[LIMIT0 + s] !== (v = limit[s]) || hi[LIMIT0 + s] !== 0) vmcs.write32(LIMIT0 + s, v);
    if (lo[AR0 + s] !== (v = access[s]) || hi[AR0 + s] !== 0) vmcs.write32(AR0 + s, v);
  }
  let exact = b === cpu.regs.guestBank;
  for (let s = 0; s < 8 && exact; s++) {
    if ((hi[BASE0 + s] | 0) * TWO32 + lo[BASE0 + s] !== base[s]) exact = false;
  }
  if (exact) {
    b.written = false;
    cpu.guestBankVmcs = vmcs;
    cpu.guestBankGen = vmcs.segGen;
  } else {
    cpu.guestBankVmcs = null;
  }
}

/**
 * SDM 28.3 "Saving Guest State" (28.3.1–28.3.4).
 *
 * Each field is compared before it is stored (Vmcs.write*, which records changes, runs only for a field
 * whose value changed): a VM exit usually finds nearly every field as the VM entry loaded it. A compare is
 * conservative (a value the field does not hold bit for bit goes to the exact store).
 */
export function saveGuestState(cpu: LogicalProcessor, vmcs: Vmcs, exitCtl: number): void {
  const r = cpu.regs;
  const lo = vmcs.lo;
  const hi = vmcs.hi;
  let v: number;
  if (lo[V.GUEST_CR0] !== (v = r.cr0) || hi[V.GUEST_CR0] !== 0) vmcs.write32(V.GUEST_CR0, v);
  if (lo[V.GUEST_CR3] !== (v = r.cr3) || hi[V.GUEST_CR3] !== 0) vmcs.writeNum(V.GUEST_CR3, v);
  if (lo[V.GUEST_CR4] !== (v = r.cr4) || hi[V.GUEST_CR4] !== 0) vmcs.write32(V.GUEST_CR4, v);
  if ((exitCtl & EXIT_CTL.SAVE_DEBUG_CONTROLS) !== 0) {
    DR7.split(r.dr[7]);
    if (lo[V.GUEST_DR7] !== DR7.lo || hi[V.GUEST_DR7] !== DR7.hi) vmcs.write(V.GUEST_DR7, DR7.lo, DR7.hi);
    if (lo[V.GUEST_IA32_DEBUGCTL] !== (v = cpu.debugctlLo) || hi[V.GUEST_IA32_DEBUGCTL] !== cpu.debugctlHi) {
      vmcs.write(V.GUEST_IA32_DEBUGCTL, v, cpu.debugctlHi);
    }
  }
  if (lo[V.GUEST_SYSENTER_CS] !== (v = cpu.sysenterCs) || hi[V.GUEST_SYSENTER_CS] !== 0) vmcs.write32(V.GUEST_SYSENTER_CS, v);
  if (lo[V.GUEST_SYSENTER_ESP] !== (v = cpu.sysenterEsp) || hi[V.GUEST_SYSENTER_ESP] !== 0) vmcs.writeNum(V.GUEST_SYSENTER_ESP, v);
  if (lo[V.GUEST_SYSENTER_EIP] !== (v = cpu.sysenterEip) || hi[V.GUEST_SYSENTER_EIP] !== 0) vmcs.writeNum(V.GUEST_SYSENTER_EIP, v);
  if ((exitCtl & (EXIT_CTL.SAVE_IA32_PAT | EXIT_CTL.SAVE_IA32_EFER | EXIT_CTL.SAVE_IA32_PERF_GLOBAL_CTL)) !== 0) {
    if ((exitCtl & EXIT_CTL.SAVE_IA32_PAT) !== 0) {
      PAT.split(cpu.pat);
      vmcs.write(V.GUEST_IA32_PAT, PAT.lo, PAT.hi);
    }
    if ((exitCtl & EXIT_CTL.SAVE_IA32_EFER) !== 0) vmcs.write32(V.GUEST_IA32_EFER, r.efer);
    if ((exitCtl & EXIT_CTL.SAVE_IA32_PERF_GLOBAL_CTL) !== 0) {
      PERF_GLOBAL_CTRL.split(cpu.perfGlobalCtrl);
      vmcs.write(V.GUEST_IA32_PERF_GLOBAL_CTRL, PERF_GLOBAL_CTRL.lo, PERF_GLOBAL_CTRL.hi);
    }
  }
  // Segment registers: nothing to store when the current bank is the guest bank, unwritten since it was
  // recorded equal to these fields, and the fields unchanged since (processor.ts).
  const b = r.bank;
  if (b !== r.guestBank || b.written || cpu.guestBankVmcs !== vmcs || cpu.guestBankGen !== vmcs.segGen) {
    saveSegments(cpu, vmcs, b);
  }
  if (lo[V.GUEST_GDTR_BASE] !== (v = r.gdtrBase) || hi[V.GUEST_GDTR_BASE] !== 0) vmcs.writeNum(V.GUEST_GDTR_BASE, v);
  if (lo[V.GUEST_GDTR_LIMIT] !== (v = r.gdtrLimit) || hi[V.GUEST_GDTR_LIMIT] !== 0) vmcs.write32(V.GUEST_GDTR_LIMIT, v);
  if (lo[V.GUEST_IDTR_BASE] !== (v = r.idtrBase) || hi[V.GUEST_IDTR_BASE] !== 0) vmcs.writeNum(V.GUEST_IDTR_BASE, v);
  if (lo[V.GUEST_IDTR_LIMIT] !== (v = r.idtrLimit) || hi[V.GUEST_IDTR_LIMIT] !== 0) vmcs.write32(V.GUEST_IDTR_LIMIT, v);
  if (lo[V.GUEST_RIP] !== (v = r.rip) || hi[V.GUEST_RIP] !== 0) vmcs.writeNum(V.GUEST_RIP, v);
  if (lo[V.GUEST_RSP] !== r.lo[4] || hi[V.GUEST_RSP] !== r.hi[4]) vmcs.write(V.GUEST_RSP, r.lo[4], r.hi[4]);
  if (lo[V.GUEST_RFLAGS] !== (v = r.rflags) || hi[V.GUEST_RFLAGS] !== 0) vmcs.write32(V.GUEST_RFLAGS, v);
  if (lo[V.GUEST_ACTIVITY_STATE] !== (v = cpu.activityState) || hi[V.GUEST_ACTIVITY_STATE] !== 0) {
    vmcs.write32(V.GUEST_ACTIVITY_STATE, v);
  }
  if (lo[V.GUEST_INTERRUPTIBILITY_INFO] !== (v = cpu.interruptibility) || hi[V.GUEST_INTERRUPTIBILITY_INFO] !== 0) {
    vmcs.write32(V.GUEST_INTERRUPTIBILITY_INFO, v);
  }
}
