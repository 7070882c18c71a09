/**
 * Incremental guest-state checks (SDM Vol. 3C 27.3.1), non-architectural and exact.
 *
 * Every rule is a deterministic function of what it reads: VMCS fields (through the EntryContext accessors,
 * which record them), the capability MSRs (fixed per machine), values derived from control fields, and
 * possibly memory. Evaluated again on the same field values it takes the same path and gives the same answer.
 * So after all rules passed, only rules that read a field whose value has changed since, and rules that read
 * memory, need evaluating at the next VM entry. The fields that may have changed are Vmcs.dirtyList (VMWRITEs
 * and VM-exit saves since the last check); one whose value is again the value it had when the rules last
 * passed (a VM exit saves RIP, the VMM writes it back advanced to where the guest resumes) counts as
 * unchanged. A change to any control or host-state field (Vmcs.ctlGen) or a VMPTRLD from memory drops the
 * cache and all rules run.
 * Rules are evaluated in their global order, so the rule reported for a failure is the one a full check
 * would report.
 */
import type { EntryContext } from './context';
import type { EntryRule } from './rule';
import type { Vmcs } from '../vmcs/vmcs';
import { FIELD_COUNT } from '../vmcs/layout';

class GuestCheckCache {
  valid = false;
  ctlGen = -1;
  rules: readonly EntryRule[] = [];
  /** Per rule: the fields its last evaluation read. */
  deps: Int32Array[] = [];
  /** Per rule: its last evaluation read memory (evaluate at every entry). */
  always: Uint8Array = new Uint8Array(0);
  /** The rules with `always` set, in order. */
  alwaysList: number[] = [];
  /** Per field: the rules whose last evaluation read it. */
  dependents: (number[] | undefined)[] = [];
  /** Scratch: rules to evaluate this time, and a per-rule mark. */
  affected = new Int32Array(0);
  mark = new Uint32Array(0);
  stamp = 0;
  /** Every field's value when the rules last all passed. */
  readonly passedLo = new Uint32Array(FIELD_COUNT);
  readonly passedHi = new Uint32Array(FIELD_COUNT);
}

const OK = 1;
const CHANGED = 2;

/** Evaluate rule i, recording what it read: OK if it passed, CHANGED if its read set differs from last time. */
function evaluate(x: EntryContext, c: GuestCheckCache, i: number): number {
  x.recording = true;
  x.nreads = 0;
  x.usedMemory = false;
  const ok = c.rules[i].ok(x);
  x.recording = false;
  const old = c.deps[i];
  let changed = old === undefined || old.length !== x.nreads || c.always[i] !== (x.usedMemory ? 1 : 0);
  if (!changed) {
    for (let k = 0; k < x.nreads; k++) if (old[k] !== x.reads[k]) { changed = true; break; }
  }
  if (changed) {
    c.deps[i] = x.reads.slice(0, x.nreads);
    c.always[i] = x.usedMemory ? 1 : 0;
  }
  return (ok ? OK : 0) | (changed ? CHANGED : 0);
}

function rebuildDependents(c: GuestCheckCache): void {
  c.alwaysList = [];
  for (let i = 0; i < c.always.length; i++) if (c.always[i] !== 0) c.alwaysList.push(i);
  const dependents: (number[] | undefined)[] = new Array(FIELD_COUNT);
  c.deps.forEach((fields, i) => {
    for (const d of fields) {
      const list = dependents[d] ?? (dependents[d] = []);
      if (list[list.length - 1] !== i) list.push(i);
    }
  });
  c.dependents = dependents;
}

function full(x: EntryContext, vmcs: Vmcs, rules: readonly EntryRule[]): EntryRule | null {
  const c = new GuestCheckCache();
  c.rules = rules;
  c.always = new Uint8Array(rules.length);
  c.affected = new Int32Array(rules.length);
  c.mark = new Uint32Array(rules.length);
  vmcs.guestChecks = c;
  for (let i = 0; i < rules.length; i++) {
    if ((evaluate(x, c, i) & OK) === 0) return rules[i];
  }
  rebuildDependents(c);
  c.valid = true;
  c.ctlGen = vmcs.ctlGen;
  c.passedLo.set(vmcs.lo);
  c.passedHi.set(vmcs.hi);
  return null;
}

/** The first failing guest-state rule, or null; updates the VMCS's cache and clears its dirty list. */
export function checkGuestState(x: EntryContext, vmcs: Vmcs, rules: readonly EntryRule[]): EntryRule | null {
  const c = vmcs.guestChecks as GuestCheckCache | null;
  let failed: EntryRule | null;
  if (c === null || !c.valid || c.ctlGen !== vmcs.ctlGen || c.rules !== rules) {
    failed = full(x, vmcs, rules);
  } else {
    failed = incremental(x, vmcs, c);
  }
  vmcs.clearDirty();
  return failed;
}

function incremental(x: EntryContext, vmcs: Vmcs, c: GuestCheckCache): EntryRule | null {
  const stamp = ++c.stamp;
  let n = 0;
  const always = c.alwaysList;
  for (let k = 0; k < always.length; k++) {
    c.mark[always[k]] = stamp;
    c.affected[n++] = always[k];
  }
  const lo = vmcs.lo;
  const hi = vmcs.hi;
  const dirty = vmcs.dirtyList;
  for (let k = 0; k < vmcs.dirtyCount; k++) {
    const d = dirty[k];
    const list = c.dependents[d];
    if (list === undefined || (lo[d] === c.passedLo[d] && hi[d] === c.passedHi[d])) continue;
    for (let j = 0; j < list.length; j++) {
      const i = list[j];
      if (c.mark[i] !== stamp) {
        c.mark[i] = stamp;
        c.affected[n++] = i;
      }
    }
  }
  // Global rule order (insertion sort: the list is short).
  for (let a = 1; a < n; a++) {
    const v = c.affected[a];
    let b = a - 1;
    while (b >= 0 && c.affected[b] > v) {
      c.affected[b + 1] = c.affected[b];
      b--;
    }
    c.affected[b + 1] = v;
  }
  let rebuild = false;
  for (let k = 0; k < n; k++) {
    const i = c.affected[k];
    const r = evaluate(x, c, i);
    if ((r & CHANGED) !== 0) rebuild = true;
    if ((r & OK) === 0) {
      c.valid = false;
      return c.rules[i];
    }
  }
  if (rebuild) rebuildDependents(c);
  for (let k = 0; k < vmcs.dirtyCount; k++) {
    const d = dirty[k];
    c.passedLo[d] = lo[d];
    c.passedHi[d] = hi[d];
  }
  return null;
}
