/**
 * SDM Vol. 3C 27.3.1.4 "Checks on Guest RIP, RFLAGS, and SSP", 27.3.1.5 "Checks on Guest Non-Register
 * State", 27.3.1.6 "Checks on Guest Page-Directory-Pointer-Table Entries": failures are VM-entry failures
 * with basic exit reason 33 (27.8); the exit qualification is 4 for the VMCS link pointer and 2 for PDPTEs.
 */
import * as ns_arch from '../../arch';
import * as ns_vmcs_layout from '../vmcs/layout';
import * as ns_util_bits from '../util/bits';
import type { EntryContext } from './context';
import * as ns_rule from './rule';
import { type EntryRule } from './rule';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { ACTIVITY_STATE, CR0, CR4, ENTRY_FAILURE_QUALIFICATION, INTERRUPTIBILITY, INTR_TYPE, PENDING_DEBUG, PIN, PROC2, RFLAGS, SEG_AR } = ns_arch;
const { V } = ns_vmcs_layout;
const { beyondWidth, canonical48 } = ns_util_bits;
const { rule } = ns_rule;

const S_RIP = '27.3.1.4 "Checks on Guest RIP, RFLAGS, and SSP"';
const S_NR = '27.3.1.5 "Checks on Guest Non-Register State"';
const S_PDPTE = '27.3.1.6 "Checks on Guest Page-Directory-Pointer-Table Entries"';

/** RFLAGS bits that exist: 21:0 except reserved 1 (always 1), 3, 5, 15. */
const RFLAGS_RESERVED_LOW = (1 << 3) | (1 << 5) | (1 << 15) | 0xffc00000;

function activity(x: EntryContext): number {
  return x.lo(V.GUEST_ACTIVITY_STATE);
}
function interruptibility(x: EntryContext): number {
  return x.lo(V.GUEST_INTERRUPTIBILITY_INFO);
}
function csL(x: EntryContext): boolean {
  return (x.lo(V.GUEST_CS_AR_BYTES) & SEG_AR.L) !== 0;
}

/** PAE paging (CR0.PG = 1, CR4.PAE = 1, not IA-32e mode): the four PDPTEs are loaded and checked (27.3.1.6). */
export function paePaging(x: EntryContext): boolean {
  return (x.lo(V.GUEST_CR0) & CR0.PG) !== 0 && (x.lo(V.GUEST_CR4) & CR4.PAE) !== 0 && !x.ia32eGuest;
}

/** A present PDPTE with reserved bits set (bits 2:1, 8:5, and bits beyond MAXPHYADDR; SDM Vol. 3A 4.4.1). */
function pdpteBad(lo: number, hi: number, width: number): boolean {
  if ((lo & 1) === 0) return false;
  return (lo & 0x1e6) !== 0 || beyondWidth(lo & ~0xfff, hi, width);
}

export const GUEST_STATE_RULES: readonly EntryRule[] = [
  // --- 27.3.1.4 ---
  rule('guest.rip.bits-63-32-outside-64-bit-mode', S_RIP, (x) => (x.ia32eGuest && csL(x)) || x.hi(V.GUEST_RIP) === 0),
  rule('guest.rip.canonical-in-64-bit-mode', S_RIP,
    (x) => !(x.ia32eGuest && csL(x)) || canonical48(x.lo(V.GUEST_RIP), x.hi(V.GUEST_RIP))),
  rule('guest.rflags.reserved-bits', S_RIP,
    (x) => x.hi(V.GUEST_RFLAGS) === 0 && (x.lo(V.GUEST_RFLAGS) & RFLAGS_RESERVED_LOW) === 0 && (x.lo(V.GUEST_RFLAGS) & RFLAGS.FIXED1) !== 0),
  rule('guest.rflags.vm-outside-protected-mode-or-ia32e', S_RIP,
    (x) => (!x.ia32eGuest && (x.lo(V.GUEST_CR0) & CR0.PE) !== 0) || (x.lo(V.GUEST_RFLAGS) & RFLAGS.VM) === 0),
  rule('guest.rflags.if-for-external-interrupt-injection', S_RIP,
    (x) => !x.injecting || x.injType !== INTR_TYPE.EXTERNAL_INTERRUPT || (x.lo(V.GUEST_RFLAGS) & RFLAGS.IF) !== 0),

  // --- 27.3.1.5: activity state ---
  rule('guest.activity-state.supported', S_NR, (x) => activity(x) <= 3 && ((x.caps.activityStates >>> activity(x)) & 1) === 1),
  rule('guest.activity-state.hlt-needs-ss-dpl-0', S_NR, (x) => activity(x) !== ACTIVITY_STATE.HLT ||
    (x.lo(V.GUEST_SS_AR_BYTES) & SEG_AR.DPL_MASK) === 0),
  rule('guest.activity-state.active-when-sti-or-mov-ss-blocking', S_NR, (x) => activity(x) === ACTIVITY_STATE.ACTIVE ||
    (interruptibility(x) & (INTERRUPTIBILITY.BLOCKING_BY_STI | INTERRUPTIBILITY.BLOCKING_BY_MOV_SS)) === 0),
  rule('guest.activity-state.event-injection', S_NR, (x) => {
    if (!x.injecting) return true;
    switch (activity(x)) {
      case ACTIVITY_STATE.HLT:
        // Only external interrupts, NMIs, #DB, #MC and pending MTF (other event, vector 0) may be injected.
        return x.injType === INTR_TYPE.EXTERNAL_INTERRUPT || x.injType === INTR_TYPE.NMI ||
          (x.injType === INTR_TYPE.HARDWARE_EXCEPTION && (x.injVector === 1 || x.injVector === 18)) ||
          (x.injType === INTR_TYPE.OTHER_EVENT && x.injVector === 0);
      case ACTIVITY_STATE.SHUTDOWN:
        return x.injType === INTR_TYPE.NMI || (x.injType === INTR_TYPE.HARDWARE_EXCEPTION && x.injVector === 18);
      case ACTIVITY_STATE.WAIT_FOR_SIPI:
        return false;
      default:
        return true;
    }
  }),
  // "Entry to SMM" with wait-for-SIPI is also refused by 27.3.1.5, but this processor is never in SMM, so the
  // control checks refuse "entry to SMM" first and that rule can never decide an entry here.

  // --- 27.3.1.5: interruptibility state ---
  rule('guest.interruptibility.reserved-bits', S_NR, (x) => (interruptibility(x) & INTERRUPTIBILITY.RESERVED_MASK) === 0),
  rule('guest.interruptibility.sti-and-mov-ss', S_NR, (x) =>
    (interruptibility(x) & (INTERRUPTIBILITY.BLOCKING_BY_STI | INTERRUPTIBILITY.BLOCKING_BY_MOV_SS)) !==
      (INTERRUPTIBILITY.BLOCKING_BY_STI | INTERRUPTIBILITY.BLOCKING_BY_MOV_SS)),
  rule('guest.interruptibility.sti-needs-if', S_NR, (x) => (x.lo(V.GUEST_RFLAGS) & RFLAGS.IF) !== 0 ||
    (interruptibility(x) & INTERRUPTIBILITY.BLOCKING_BY_STI) === 0),
  rule('guest.interruptibility.injection-of-interrupt-or-nmi', S_NR, (x) => !x.injecting ||
    (x.injType !== INTR_TYPE.EXTERNAL_INTERRUPT && x.injType !== INTR_TYPE.NMI) ||
    // STI blocking with NMI injection: some processors fail (qualification 3) — implementation-specific; this
    // one does not, so only MOV-SS blocking is checked for NMIs (and both for external interrupts).
    (interruptibility(x) & (x.injType === INTR_TYPE.NMI ? INTERRUPTIBILITY.BLOCKING_BY_MOV_SS
      : INTERRUPTIBILITY.BLOCKING_BY_STI | INTERRUPTIBILITY.BLOCKING_BY_MOV_SS)) === 0),
  // The processor is never in SMM: SMI blocking must be 0 (and "entry to SMM" is refused by the control checks).
  rule('guest.interruptibility.smi-blocking-outside-smm', S_NR, (x) => (interruptibility(x) & INTERRUPTIBILITY.BLOCKING_BY_SMI) === 0),
  // With "virtual NMIs" = 1, bit 3 is virtual-NMI blocking and must be 0 when an NMI is injected.
  rule('guest.interruptibility.virtual-nmi-blocking-with-nmi-injection', S_NR, (x) => !x.injecting ||
    x.injType !== INTR_TYPE.NMI || !x.pinSet(PIN.VIRTUAL_NMIS) || (interruptibility(x) & INTERRUPTIBILITY.BLOCKING_BY_NMI) === 0),
  // Enclave interruption (bit 4) can be 1 only on a processor with SGX; this machine has none.
  rule('guest.interruptibility.enclave-interruption', S_NR, (x) => (interruptibility(x) & INTERRUPTIBILITY.ENCLAVE_INTERRUPTION) === 0),

  // --- 27.3.1.5: pending debug exceptions ---
  rule('guest.pending-debug-exceptions.reserved-bits', S_NR, (x) => {
    const v = x.get64(V.GUEST_PENDING_DBG_EXCEPTIONS);
    // Bit 16 (RTM) is reserved too: this machine does not report RTM in CPUID.
    return (v & (PENDING_DEBUG.RESERVED_MASK | BigInt(PENDING_DEBUG.RTM))) === 0n;
  }),
  rule('guest.pending-debug-exceptions.bs', S_NR, (x) => {
    const blocking = (interruptibility(x) & (INTERRUPTIBILITY.BLOCKING_BY_STI | INTERRUPTIBILITY.BLOCKING_BY_MOV_SS)) !== 0;
    if (!blocking && activity(x) !== ACTIVITY_STATE.HLT) return true;
    const tf = (x.lo(V.GUEST_RFLAGS) & RFLAGS.TF) !== 0;
    const btf = (x.lo(V.GUEST_IA32_DEBUGCTL) & 2) !== 0;
    const bs = (x.lo(V.GUEST_PENDING_DBG_EXCEPTIONS) & PENDING_DEBUG.BS) !== 0;
    return tf && !btf ? bs : !bs;
  }),

  // --- 27.3.1.5: VMCS link pointer (qualification 4) ---
  rule('guest.vmcs-link-pointer', S_NR, (x) => {
    const lo = x.lo(V.VMCS_LINK_POINTER);
    const hi = x.hi(V.VMCS_LINK_POINTER);
    if (lo === 0xffffffff && hi === 0xffffffff) return true;
    if ((lo & 0xfff) !== 0 || beyondWidth(lo, hi, x.caps.vmxAddressWidth)) return false;
    const addr = x.unsigned(V.VMCS_LINK_POINTER);
    if (addr === x.vmcs.address) return false;
    const rev = x.mem32(addr);
    const shadowing = x.proc2Set(PROC2.VMCS_SHADOWING);
    return (rev & 0x7fffffff) === x.caps.revisionId && (rev >>> 31 === 1) === shadowing;
  }, ENTRY_FAILURE_QUALIFICATION.INVALID_VMCS_LINK_POINTER),

  // --- 27.3.1.6 (qualification 2) ---
  rule('guest.pdptes.reserved-bits', S_PDPTE, (x) => {
    if (!paePaging(x)) return true;
    const width = x.caps.physicalAddressWidth;
    if (x.proc2Set(PROC2.ENABLE_EPT)) {
      for (const d of [V.GUEST_PDPTE0, V.GUEST_PDPTE1, V.GUEST_PDPTE2, V.GUEST_PDPTE3]) {
        if (pdpteBad(x.lo(d), x.hi(d), width)) return false;
      }
      return true;
    }
    const base = (x.lo(V.GUEST_CR3) & 0xffffffe0) >>> 0;
    for (let i = 0; i < 4; i++) {
      if (pdpteBad(x.mem32(base + 8 * i), x.mem32(base + 8 * i + 4), width)) return false;
    }
    return true;
  }, ENTRY_FAILURE_QUALIFICATION.PDPTE_LOADING),
];
