/**
 * SDM Vol. 3C 27.3.1.2 "Checks on Guest Segment Registers" and 27.3.1.3 "Checks on Guest Descriptor-Table
 * Registers": failures are VM-entry failures with basic exit reason 33 (27.8).
 *
 * Access rights are in the VMCS format (25.4.1 Table "Format of Access Rights"); bit 16 "segment unusable".
 */
import * as ns_arch from '../../arch';
import * as ns_vmcs_layout from '../vmcs/layout';
import * as ns_util_bits from '../util/bits';
import type { EntryContext } from './context';
import * as ns_rule from './rule';
import { type EntryRule } from './rule';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { RFLAGS, SEG_AR } = ns_arch;
const { V } = ns_vmcs_layout;
const { canonical48 } = ns_util_bits;
const { rule } = ns_rule;

const S = '27.3.1.2 "Checks on Guest Segment Registers"';
const S_DT = '27.3.1.3 "Checks on Guest Descriptor-Table Registers"';

const NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'ldtr', 'tr'] as const;
const SEL = [V.GUEST_ES_SELECTOR, V.GUEST_CS_SELECTOR, V.GUEST_SS_SELECTOR, V.GUEST_DS_SELECTOR, V.GUEST_FS_SELECTOR, V.GUEST_GS_SELECTOR, V.GUEST_LDTR_SELECTOR, V.GUEST_TR_SELECTOR];
const BASE = [V.GUEST_ES_BASE, V.GUEST_CS_BASE, V.GUEST_SS_BASE, V.GUEST_DS_BASE, V.GUEST_FS_BASE, V.GUEST_GS_BASE, V.GUEST_LDTR_BASE, V.GUEST_TR_BASE];
const LIMIT = [V.GUEST_ES_LIMIT, V.GUEST_CS_LIMIT, V.GUEST_SS_LIMIT, V.GUEST_DS_LIMIT, V.GUEST_FS_LIMIT, V.GUEST_GS_LIMIT, V.GUEST_LDTR_LIMIT, V.GUEST_TR_LIMIT];
const AR = [V.GUEST_ES_AR_BYTES, V.GUEST_CS_AR_BYTES, V.GUEST_SS_AR_BYTES, V.GUEST_DS_AR_BYTES, V.GUEST_FS_AR_BYTES, V.GUEST_GS_AR_BYTES, V.GUEST_LDTR_AR_BYTES, V.GUEST_TR_AR_BYTES];
const ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5, LDTR = 6, TR = 7;

function v86(x: EntryContext): boolean {
  return (x.lo(V.GUEST_RFLAGS) & RFLAGS.VM) !== 0;
}
function ar(x: EntryContext, s: number): number {
  return x.lo(AR[s]);
}
function usable(x: EntryContext, s: number): boolean {
  return (ar(x, s) & SEG_AR.UNUSABLE) === 0;
}
function type(x: EntryContext, s: number): number {
  return ar(x, s) & SEG_AR.TYPE_MASK;
}
function dpl(x: EntryContext, s: number): number {
  return (ar(x, s) & SEG_AR.DPL_MASK) >>> SEG_AR.DPL_SHIFT;
}
function rpl(x: EntryContext, s: number): number {
  return x.lo(SEL[s]) & 3;
}
/** Granularity: limit bits 11:0 not all ones → G = 0; any of limit bits 31:20 set → G = 1. */
function granularityOk(x: EntryContext, s: number): boolean {
  const limit = x.lo(LIMIT[s]);
  const g = (ar(x, s) & SEG_AR.G) !== 0;
  if ((limit & 0xfff) !== 0xfff && g) return false;
  if ((limit & 0xfff00000) !== 0 && !g) return false;
  return true;
}
/** The checks that apply to CS always and to SS/DS/ES/FS/GS when usable, outside virtual-8086 mode. */
function applies(x: EntryContext, s: number): boolean {
  return !v86(x) && (s === CS || usable(x, s));
}

function segmentRules(): EntryRule[] {
  const out: EntryRule[] = [];
  // Selectors.
  out.push(rule('guest.tr.selector.ti', S, (x) => (x.lo(SEL[TR]) & 4) === 0));
  out.push(rule('guest.ldtr.selector.ti', S, (x) => !usable(x, LDTR) || (x.lo(SEL[LDTR]) & 4) === 0));
  out.push(rule('guest.ss.selector.rpl-equals-cs-rpl', S, (x) => v86(x) || x.unrestricted || rpl(x, SS) === rpl(x, CS)));
  // Bases.
  for (const s of [CS, SS, DS, ES, FS, GS]) {
    out.push(rule(`guest.${NAMES[s]}.base.virtual-8086`, S,
      (x) => !v86(x) || (x.hi(BASE[s]) === 0 && x.lo(BASE[s]) === x.lo(SEL[s]) << 4)));
  }
  for (const s of [TR, FS, GS]) {
    out.push(rule(`guest.${NAMES[s]}.base.canonical`, S, (x) => canonical48(x.lo(BASE[s]), x.hi(BASE[s]))));
  }
  out.push(rule('guest.ldtr.base.canonical', S, (x) => !usable(x, LDTR) || canonical48(x.lo(BASE[LDTR]), x.hi(BASE[LDTR]))));
  out.push(rule('guest.cs.base.bits-63-32', S, (x) => x.hi(BASE[CS]) === 0));
  for (const s of [SS, DS, ES]) {
    out.push(rule(`guest.${NAMES[s]}.base.bits-63-32`, S, (x) => !usable(x, s) || x.hi(BASE[s]) === 0));
  }
  // Limits and access rights in virtual-8086 mode.
  for (const s of [CS, SS, DS, ES, FS, GS]) {
    out.push(rule(`guest.${NAMES[s]}.limit.virtual-8086`, S, (x) => !v86(x) || x.lo(LIMIT[s]) === 0xffff));
    out.push(rule(`guest.${NAMES[s]}.access-rights.virtual-8086`, S, (x) => !v86(x) || ar(x, s) === 0xf3));
  }
  // Access rights outside virtual-8086 mode.
  out.push(rule('guest.cs.access-rights.type', S, (x) => {
    if (v86(x)) return true;
    const t = type(x, CS);
    return t === 9 || t === 11 || t === 13 || t === 15 || (x.unrestricted && t === 3);
  }));
  out.push(rule('guest.ss.access-rights.type', S, (x) => !applies(x, SS) || type(x, SS) === 3 || type(x, SS) === 7));
  for (const s of [DS, ES, FS, GS]) {
    out.push(rule(`guest.${NAMES[s]}.access-rights.type`, S, (x) => {
      if (!applies(x, s)) return true;
      const t = type(x, s);
      return (t & 1) !== 0 && ((t & 8) === 0 || (t & 2) !== 0);
    }));
  }
  for (const s of [CS, SS, DS, ES, FS, GS]) {
    out.push(rule(`guest.${NAMES[s]}.access-rights.s`, S, (x) => !applies(x, s) || (ar(x, s) & SEG_AR.S) !== 0));
  }
  out.push(rule('guest.cs.access-rights.dpl', S, (x) => {
    if (v86(x)) return true;
    const t = type(x, CS);
    if (t === 3) return dpl(x, CS) === 0;
    if (t === 9 || t === 11) return dpl(x, CS) === dpl(x, SS);
    if (t === 13 || t === 15) return dpl(x, CS) <= dpl(x, SS);
    return true;
  }));
  out.push(rule('guest.ss.access-rights.dpl', S, (x) => {
    if (v86(x)) return true;
    if (!x.unrestricted && dpl(x, SS) !== rpl(x, SS)) return false;
    if ((type(x, CS) === 3 || (x.lo(V.GUEST_CR0) & 1) === 0) && dpl(x, SS) !== 0) return false;
    return true;
  }));
  for (const s of [DS, ES, FS, GS]) {
    out.push(rule(`guest.${NAMES[s]}.access-rights.dpl`, S,
      (x) => !applies(x, s) || x.unrestricted || type(x, s) > 11 || dpl(x, s) >= rpl(x, s)));
  }
  for (const s of [CS, SS, DS, ES, FS, GS]) {
    out.push(rule(`guest.${NAMES[s]}.access-rights.present`, S, (x) => !applies(x, s) || (ar(x, s) & SEG_AR.P) !== 0));
    out.push(rule(`guest.${NAMES[s]}.access-rights.reserved-bits`, S,
      (x) => !applies(x, s) || (ar(x, s) & SEG_AR.RESERVED_MASK) === 0));
    out.push(rule(`guest.${NAMES[s]}.access-rights.granularity`, S, (x) => !applies(x, s) || granularityOk(x, s)));
  }
  out.push(rule('guest.cs.access-rights.db-with-l', S,
    (x) => v86(x) || !x.ia32eGuest || (ar(x, CS) & SEG_AR.L) === 0 || (ar(x, CS) & SEG_AR.DB) === 0));
  // TR.
  out.push(rule('guest.tr.access-rights.type', S, (x) => {
    const t = type(x, TR);
    return x.ia32eGuest ? t === 11 : t === 3 || t === 11;
  }));
  out.push(rule('guest.tr.access-rights.s', S, (x) => (ar(x, TR) & SEG_AR.S) === 0));
  out.push(rule('guest.tr.access-rights.present', S, (x) => (ar(x, TR) & SEG_AR.P) !== 0));
  out.push(rule('guest.tr.access-rights.reserved-bits', S, (x) => (ar(x, TR) & SEG_AR.RESERVED_MASK) === 0));
  out.push(rule('guest.tr.access-rights.granularity', S, (x) => granularityOk(x, TR)));
  out.push(rule('guest.tr.access-rights.usable', S, (x) => usable(x, TR)));
  // LDTR, if usable.
  out.push(rule('guest.ldtr.access-rights.type', S, (x) => !usable(x, LDTR) || type(x, LDTR) === 2));
  out.push(rule('guest.ldtr.access-rights.s', S, (x) => !usable(x, LDTR) || (ar(x, LDTR) & SEG_AR.S) === 0));
  out.push(rule('guest.ldtr.access-rights.present', S, (x) => !usable(x, LDTR) || (ar(x, LDTR) & SEG_AR.P) !== 0));
  out.push(rule('guest.ldtr.access-rights.reserved-bits', S,
    (x) => !usable(x, LDTR) || (ar(x, LDTR) & SEG_AR.RESERVED_MASK) === 0));
  out.push(rule('guest.ldtr.access-rights.granularity', S, (x) => !usable(x, LDTR) || granularityOk(x, LDTR)));
  return out;
}

export const GUEST_SEGMENT_RULES: readonly EntryRule[] = [
  ...segmentRules(),
  rule('guest.gdtr.base.canonical', S_DT, (x) => canonical48(x.lo(V.GUEST_GDTR_BASE), x.hi(V.GUEST_GDTR_BASE))),
  rule('guest.idtr.base.canonical', S_DT, (x) => canonical48(x.lo(V.GUEST_IDTR_BASE), x.hi(V.GUEST_IDTR_BASE))),
  rule('guest.gdtr.limit.bits-31-16', S_DT, (x) => x.lo(V.GUEST_GDTR_LIMIT) >>> 16 === 0),
  rule('guest.idtr.limit.bits-31-16', S_DT, (x) => x.lo(V.GUEST_IDTR_LIMIT) >>> 16 === 0),
];

export { ES, CS, SS, DS, FS, GS, LDTR, TR, SEL, BASE, LIMIT, AR };
