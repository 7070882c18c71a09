/**
 * SDM Vol. 3C 27.2.2 "Checks on Host Control Registers, MSRs, and SSP", 27.2.3 "Checks on Host Segment and
 * Descriptor-Table Registers", 27.2.4 "Checks Related to Address-Space Size": a failure makes VM entry fail
 * with VMfailValid(8) "VM entry with invalid host-state field(s)".
 */
import * as ns_arch from '../../arch';
import * as ns_vmcs_layout from '../vmcs/layout';
import * as ns_util_bits from '../util/bits';
import * as ns_msrs from '../msrs';
import type { EntryContext } from './context';
import * as ns_rule from './rule';
import { type EntryRule } from './rule';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { CR4, EXIT_CTL, ENTRY_CTL, IA32_EFER } = ns_arch;
const { V } = ns_vmcs_layout;
const { beyondWidth, canonical48 } = ns_util_bits;
const { EFER_VALID, PERF_GLOBAL_CTRL_VALID, patValid } = ns_msrs;
const { rule } = ns_rule;

const S_CR = '27.2.2 "Checks on Host Control Registers, MSRs, and SSP"';
const S_SEG = '27.2.3 "Checks on Host Segment and Descriptor-Table Registers"';
const S_SIZE = '27.2.4 "Checks Related to Address-Space Size"';

function canon(x: EntryContext, d: number): boolean {
  return canonical48(x.lo(d), x.hi(d));
}
/** A 64-bit field's value against a mask of bits that may be 1. */
function within(x: EntryContext, d: number, valid: bigint): boolean {
  return (x.get64(d) & ~valid) === 0n;
}
/** Selector RPL (bits 1:0) and TI (bit 2) are 0. */
function rplTiZero(x: EntryContext, d: number): boolean {
  return (x.lo(d) & 7) === 0;
}

export const HOST_RULES: readonly EntryRule[] = [
  // --- 27.2.2 ---
  rule('host.cr0.fixed-bits', S_CR, (x) => {
    const v = x.lo(V.HOST_CR0);
    return x.hi(V.HOST_CR0) === 0 && ((v & x.caps.cr0Fixed0) >>> 0) === x.caps.cr0Fixed0 && (v & ~x.caps.cr0Fixed1) === 0;
  }),
  rule('host.cr4.fixed-bits', S_CR, (x) => {
    const v = x.lo(V.HOST_CR4);
    return x.hi(V.HOST_CR4) === 0 && ((v & x.caps.cr4Fixed0) >>> 0) === x.caps.cr4Fixed0 && (v & ~x.caps.cr4Fixed1) === 0;
  }),
  rule('host.cr3.physical-address-width', S_CR,
    (x) => !beyondWidth(x.lo(V.HOST_CR3), x.hi(V.HOST_CR3), x.caps.physicalAddressWidth)),
  rule('host.sysenter-esp.canonical', S_CR, (x) => canon(x, V.HOST_IA32_SYSENTER_ESP)),
  rule('host.sysenter-eip.canonical', S_CR, (x) => canon(x, V.HOST_IA32_SYSENTER_EIP)),
  rule('host.perf-global-ctrl.reserved-bits', S_CR,
    (x) => !x.exitSet(EXIT_CTL.LOAD_IA32_PERF_GLOBAL_CTRL) || within(x, V.HOST_IA32_PERF_GLOBAL_CTRL, PERF_GLOBAL_CTRL_VALID)),
  rule('host.pat.memory-types', S_CR, (x) => !x.exitSet(EXIT_CTL.LOAD_IA32_PAT) || patValid(x.get64(V.HOST_IA32_PAT))),
  rule('host.efer.reserved-bits', S_CR, (x) => !x.exitSet(EXIT_CTL.LOAD_IA32_EFER) || within(x, V.HOST_IA32_EFER, EFER_VALID)),
  rule('host.efer.lma-lme-match-address-space-size', S_CR, (x) => {
    if (!x.exitSet(EXIT_CTL.LOAD_IA32_EFER)) return true;
    const e = x.lo(V.HOST_IA32_EFER);
    return ((e & IA32_EFER.LMA) !== 0) === x.hostAddrSpace64 && ((e & IA32_EFER.LME) !== 0) === x.hostAddrSpace64;
  }),

  // --- 27.2.3 ---
  rule('host.es-selector.rpl-ti', S_SEG, (x) => rplTiZero(x, V.HOST_ES_SELECTOR)),
  rule('host.cs-selector.rpl-ti', S_SEG, (x) => rplTiZero(x, V.HOST_CS_SELECTOR)),
  rule('host.ss-selector.rpl-ti', S_SEG, (x) => rplTiZero(x, V.HOST_SS_SELECTOR)),
  rule('host.ds-selector.rpl-ti', S_SEG, (x) => rplTiZero(x, V.HOST_DS_SELECTOR)),
  rule('host.fs-selector.rpl-ti', S_SEG, (x) => rplTiZero(x, V.HOST_FS_SELECTOR)),
  rule('host.gs-selector.rpl-ti', S_SEG, (x) => rplTiZero(x, V.HOST_GS_SELECTOR)),
  rule('host.tr-selector.rpl-ti', S_SEG, (x) => rplTiZero(x, V.HOST_TR_SELECTOR)),
  rule('host.cs-selector.nonzero', S_SEG, (x) => x.lo(V.HOST_CS_SELECTOR) !== 0),
  rule('host.tr-selector.nonzero', S_SEG, (x) => x.lo(V.HOST_TR_SELECTOR) !== 0),
  rule('host.ss-selector.nonzero-without-64-bit-host', S_SEG, (x) => x.hostAddrSpace64 || x.lo(V.HOST_SS_SELECTOR) !== 0),
  rule('host.fs-base.canonical', S_SEG, (x) => canon(x, V.HOST_FS_BASE)),
  rule('host.gs-base.canonical', S_SEG, (x) => canon(x, V.HOST_GS_BASE)),
  rule('host.gdtr-base.canonical', S_SEG, (x) => canon(x, V.HOST_GDTR_BASE)),
  rule('host.idtr-base.canonical', S_SEG, (x) => canon(x, V.HOST_IDTR_BASE)),
  rule('host.tr-base.canonical', S_SEG, (x) => canon(x, V.HOST_TR_BASE)),

  // --- 27.2.4 --- (checks against the processor's own IA32_EFER.LMA: see the entry cache in vm-entry.ts)
  rule('host.address-space-size.outside-ia32e', S_SIZE,
    (x) => x.lma || (!x.entrySet(ENTRY_CTL.IA32E_MODE_GUEST) && !x.hostAddrSpace64)),
  rule('host.address-space-size.inside-ia32e', S_SIZE, (x) => !x.lma || x.hostAddrSpace64),
  rule('host.address-space-size.32-bit-host', S_SIZE, (x) => x.hostAddrSpace64 || (
    !x.entrySet(ENTRY_CTL.IA32E_MODE_GUEST) && (x.lo(V.HOST_CR4) & CR4.PCIDE) === 0 && x.hi(V.HOST_RIP) === 0)),
  rule('host.address-space-size.64-bit-host', S_SIZE,
    (x) => !x.hostAddrSpace64 || ((x.lo(V.HOST_CR4) & CR4.PAE) !== 0 && canon(x, V.HOST_RIP))),
];
