/**
 * Per-implementation expectations: the known deviations of one implementation from the suite, kept
 * outside the suite's features (as test262 engines and WPT keep theirs), pinned to a suite version.
 *
 * A listed scenario that fails is reported as expected-fail; one that passes is reported as
 * unexpected-pass, so that a fixed deviation is surfaced rather than hidden. Format (JSON):
 *
 *   {
 *     "implementation": "bochs",
 *     "suiteVersion": "0.1.0",
 *     "entries": [
 *       { "scenario": "features/vmcs/vmread-vmwrite.feature: VMWRITE to a read-only field fails",
 *         "sdm": "31.3 VMWRITE", "kind": "bug" | "sdm-permitted", "reason": "…", "link": "…" }
 *     ]
 *   }
 */
import * as fs from 'node:fs';
import type { ResultStatus, ScenarioResult } from './conformance';

export interface ExpectationEntry {
  /** "<feature file path relative to the suite root>: <scenario name>" */
  scenario: string;
  /** The SDM rule the implementation deviates from (section number and title or name). */
  sdm: string;
  kind: 'bug' | 'sdm-permitted';
  reason: string;
  link?: string;
}

export interface Expectations {
  implementation: string;
  suiteVersion: string;
  entries: ExpectationEntry[];
}

export class ExpectationsError extends Error {}

export function loadExpectations(file: string, suiteVersion: string): Expectations {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ExpectationsError(`cannot read expectations file ${file}: ${(e as Error).message}`);
  }
  const x = data as Partial<Expectations>;
  if (typeof x.implementation !== 'string' || typeof x.suiteVersion !== 'string' || !Array.isArray(x.entries)) {
    throw new ExpectationsError(`${file}: expected {"implementation", "suiteVersion", "entries": [...]}`);
  }
  if (x.suiteVersion !== suiteVersion) {
    throw new ExpectationsError(
      `${file} is pinned to suite version ${x.suiteVersion}, but this suite is ${suiteVersion}: ` +
        're-run without --expectations, review each entry against the new suite, and update "suiteVersion"',
    );
  }
  x.entries.forEach((e, i) => {
    for (const k of ['scenario', 'sdm', 'reason'] as const) {
      if (typeof e?.[k] !== 'string' || e[k].trim() === '') throw new ExpectationsError(`${file}: entry ${i + 1} needs a non-empty "${k}"`);
    }
    if (e.kind !== 'bug' && e.kind !== 'sdm-permitted') throw new ExpectationsError(`${file}: entry ${i + 1}: "kind" must be "bug" or "sdm-permitted"`);
  });
  return x as Expectations;
}

export function scenarioKey(r: { uri: string; name: string }): string {
  return `${r.uri.replace(/\\/g, '/')}: ${r.name}`;
}

/** Apply expectations to results: failed → expected-fail, passed → unexpected-pass. Unmatched entries are returned. */
export function applyExpectations(results: ScenarioResult[], x: Expectations): { unmatched: ExpectationEntry[] } {
  const byKey = new Map(x.entries.map((e) => [e.scenario, e]));
  const seen = new Set<string>();
  for (const r of results) {
    const e = byKey.get(scenarioKey(r));
    if (!e) continue;
    seen.add(e.scenario);
    const next: Partial<Record<ResultStatus, ResultStatus>> = { failed: 'expected-fail', passed: 'unexpected-pass' };
    const status = next[r.status];
    if (status) {
      r.reason = status === 'expected-fail'
        ? `listed deviation (${e.kind}, SDM ${e.sdm}): ${e.reason}${e.link ? ` ${e.link}` : ''}\n${r.reason}`
        : `listed as a deviation (${e.kind}, SDM ${e.sdm}: ${e.reason}) but passed: update the expectations file`;
      r.status = status;
    }
  }
  return { unmatched: x.entries.filter((e) => !seen.has(e.scenario)) };
}
