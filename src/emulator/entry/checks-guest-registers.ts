/**
 * SDM Vol. 3C 27.3.1.1 "Checks on Guest Control Registers, Debug Registers, and MSRs": a failure is a VM-entry
 * failure with basic exit reason 33 (27.8).
 */
import * as ns_arch from '../../arch';
import * as ns_vmcs_layout from '../vmcs/layout';
import * as ns_util_bits from '../util/bits';
import * as ns_msrs from '../msrs';
import * as ns_rule from './rule';
import { type EntryRule } from './rule';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { CR0, CR4, ENTRY_CTL, IA32_EFER } = ns_arch;
const { V } = ns_vmcs_layout;
const { beyondWidth, canonical48 } = ns_util_bits;
const { DEBUGCTL_VALID, EFER_VALID, PERF_GLOBAL_CTRL_VALID, patValid } = ns_msrs;
const { rule } = ns_rule;

const S = '27.3.1.1 "Checks on Guest Control Registers, Debug Registers, and MSRs"';

export const GUEST_REGISTER_RULES: readonly EntryRule[] = [
  // CR0: the fixed bits, except that with "unrestricted guest" PE and PG need not be 1.
  rule('guest.cr0.fixed-bits', S, (x) => {
    const v = x.lo(V.GUEST_CR0);
    let fixed0 = x.caps.cr0Fixed0;
    if (x.unrestricted) fixed0 = (fixed0 & ~(CR0.PE | CR0.PG)) >>> 0;
    return x.hi(V.GUEST_CR0) === 0 && ((v & fixed0) >>> 0) === fixed0 && (v & ~x.caps.cr0Fixed1) === 0;
  }),
  rule('guest.cr0.pg-needs-pe', S, (x) => {
    const v = x.lo(V.GUEST_CR0);
    return (v & CR0.PG) === 0 || (v & CR0.PE) !== 0;
  }),
  rule('guest.cr4.fixed-bits', S, (x) => {
    const v = x.lo(V.GUEST_CR4);
    return x.hi(V.GUEST_CR4) === 0 && ((v & x.caps.cr4Fixed0) >>> 0) === x.caps.cr4Fixed0 && (v & ~x.caps.cr4Fixed1) === 0;
  }),
  rule('guest.debugctl.reserved-bits', S,
    (x) => !x.entrySet(ENTRY_CTL.LOAD_DEBUG_CONTROLS) || (x.get64(V.GUEST_IA32_DEBUGCTL) & ~DEBUGCTL_VALID) === 0n),
  rule('guest.ia32e-mode.needs-pg-and-pae', S, (x) => !x.ia32eGuest ||
    ((x.lo(V.GUEST_CR0) & CR0.PG) !== 0 && (x.lo(V.GUEST_CR4) & CR4.PAE) !== 0)),
  rule('guest.cr4.pcide-needs-ia32e-mode', S, (x) => x.ia32eGuest || (x.lo(V.GUEST_CR4) & CR4.PCIDE) === 0),
  rule('guest.cr3.physical-address-width', S,
    (x) => !beyondWidth(x.lo(V.GUEST_CR3), x.hi(V.GUEST_CR3), x.caps.physicalAddressWidth)),
  rule('guest.dr7.bits-63-32', S, (x) => !x.entrySet(ENTRY_CTL.LOAD_DEBUG_CONTROLS) || x.hi(V.GUEST_DR7) === 0),
  rule('guest.sysenter-esp.canonical', S, (x) => canonical48(x.lo(V.GUEST_SYSENTER_ESP), x.hi(V.GUEST_SYSENTER_ESP))),
  rule('guest.sysenter-eip.canonical', S, (x) => canonical48(x.lo(V.GUEST_SYSENTER_EIP), x.hi(V.GUEST_SYSENTER_EIP))),
  rule('guest.perf-global-ctrl.reserved-bits', S, (x) => !x.entrySet(ENTRY_CTL.LOAD_IA32_PERF_GLOBAL_CTRL) ||
    (x.get64(V.GUEST_IA32_PERF_GLOBAL_CTRL) & ~PERF_GLOBAL_CTRL_VALID) === 0n),
  rule('guest.pat.memory-types', S, (x) => !x.entrySet(ENTRY_CTL.LOAD_IA32_PAT) || patValid(x.get64(V.GUEST_IA32_PAT))),
  rule('guest.efer.reserved-bits', S,
    (x) => !x.entrySet(ENTRY_CTL.LOAD_IA32_EFER) || (x.get64(V.GUEST_IA32_EFER) & ~EFER_VALID) === 0n),
  rule('guest.efer.lma-matches-ia32e-mode-guest', S,
    (x) => !x.entrySet(ENTRY_CTL.LOAD_IA32_EFER) || ((x.lo(V.GUEST_IA32_EFER) & IA32_EFER.LMA) !== 0) === x.ia32eGuest),
  rule('guest.efer.lme-matches-ia32e-mode-guest', S, (x) => !x.entrySet(ENTRY_CTL.LOAD_IA32_EFER) ||
    (x.lo(V.GUEST_CR0) & CR0.PG) === 0 || ((x.lo(V.GUEST_IA32_EFER) & IA32_EFER.LME) !== 0) === x.ia32eGuest),
];
