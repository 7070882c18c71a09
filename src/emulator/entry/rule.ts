/**
 * VM-entry checks as small named rules (the KVM nested.c idea: every predicate has a name, so a report says
 * which rule refused an entry). A rule's `ok` returns true when the check passes. Rules are grouped per SDM
 * section in the checks-*.ts modules; the SDM allows the checks within a group to be made in any order
 * (27.2: "these checks may be performed in any order"; 27.3.1 likewise), so the order of a module's array is
 * this implementation's choice.
 */
import type { EntryContext } from './context';

export interface EntryRule {
  /** Stable rule name, e.g. "guest.cr0.fixed-bits". */
  readonly name: string;
  /** SDM section number and title, e.g. '27.3.1.1 "Checks on Guest Control Registers, Debug Registers, and MSRs"'. */
  readonly section: string;
  readonly ok: (x: EntryContext) => boolean;
  /** Exit qualification for a guest-state failure (SDM 27.8): 0 unless stated. */
  readonly qualification?: number;
}

export function rule(name: string, section: string, ok: (x: EntryContext) => boolean, qualification?: number): EntryRule {
  return { name, section, ok, qualification };
}

/** The first rule of the list that fails, or null. */
export function firstFailure(rules: readonly EntryRule[], x: EntryContext): EntryRule | null {
  for (let i = 0; i < rules.length; i++) if (!rules[i].ok(x)) return rules[i];
  return null;
}

/** The diagnostic note for a failed rule (never asserted by scenarios). */
export function describeFailure(r: EntryRule): string {
  return `VM entry refused by rule ${r.name} (SDM ${r.section})`;
}
