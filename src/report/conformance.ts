/**
 * The machine-readable conformance summary (reports/conformance.json): results per scenario and the SDM
 * coverage asserted by passing scenarios, measured against the SDM tables in src/arch.
 */
import { CONTROLS } from '../arch/controls';
import { EXIT_REASONS } from '../arch/exit-reasons';
import { VM_INSTRUCTION_ERRORS } from '../arch/vm-instruction-errors';

export type ResultStatus =
  | 'passed' | 'failed' | 'error' | 'skipped-unsupported' | 'expected-fail' | 'unexpected-pass';

export const RESULT_STATUSES: readonly ResultStatus[] = [
  'passed', 'failed', 'error', 'skipped-unsupported', 'expected-fail', 'unexpected-pass',
];

export interface ScenarioResult {
  feature: string;
  uri: string;
  name: string;
  tags: string[];
  status: ResultStatus;
  reason: string;
  coverage?: { exitReasons: number[]; vmInstructionErrors: number[]; controls: string[] };
}

export interface RunMetadata {
  implementation: { spec: string; name: string; version: string; protocol: number; extensions: string[] };
  profile: string;
  capabilities: Record<string, string>;
  physicalAddressWidth: number;
  suiteVersion: string;
  expectations?: string;
}

export interface ConformanceReport {
  suite: { name: 'vmx-conformance'; version: string };
  implementation: RunMetadata['implementation'] | null;
  profile: string | null;
  capabilities: Record<string, string>;
  totals: Record<ResultStatus, number> & { scenarios: number };
  scenarios: (Omit<ScenarioResult, 'coverage'> & { sdm: string[] })[];
  coverage: {
    exitReasons: number[];
    vmInstructionErrors: number[];
    controls: string[];
    of: { exitReasons: number; vmInstructionErrors: number; controls: number };
    missing: { exitReasons: number[]; vmInstructionErrors: number[] };
  };
}

export function buildReport(results: ScenarioResult[], meta?: RunMetadata): ConformanceReport {
  const exitReasons = new Set<number>();
  const errors = new Set<number>();
  const controls = new Set<string>();
  for (const r of results) {
    if (r.status !== 'passed' || !r.coverage) continue;
    r.coverage.exitReasons.forEach((n) => exitReasons.add(n));
    r.coverage.vmInstructionErrors.forEach((n) => errors.add(n));
    r.coverage.controls.forEach((c) => controls.add(c));
  }
  const totals = Object.fromEntries(RESULT_STATUSES.map((s) => [s, 0])) as Record<ResultStatus, number>;
  for (const r of results) totals[r.status]++;
  const sorted = [...results].sort((a, b) => a.uri.localeCompare(b.uri) || a.name.localeCompare(b.name));
  return {
    suite: { name: 'vmx-conformance', version: meta?.suiteVersion ?? 'unknown' },
    implementation: meta?.implementation ?? null,
    profile: meta?.profile ?? null,
    capabilities: meta?.capabilities ?? {},
    totals: { scenarios: results.length, ...totals },
    scenarios: sorted.map(({ coverage: _c, ...r }) => ({
      ...r,
      sdm: r.tags.filter((t) => t.startsWith('@sdm:')).map((t) => t.slice(5)),
    })),
    coverage: {
      exitReasons: [...exitReasons].sort((a, b) => a - b),
      vmInstructionErrors: [...errors].sort((a, b) => a - b),
      controls: [...controls].sort(),
      of: { exitReasons: EXIT_REASONS.length, vmInstructionErrors: VM_INSTRUCTION_ERRORS.length, controls: CONTROLS.length },
      missing: {
        exitReasons: EXIT_REASONS.map((e) => e.number).filter((n) => !exitReasons.has(n)),
        vmInstructionErrors: VM_INSTRUCTION_ERRORS.map((e) => e.number).filter((n) => !errors.has(n)),
      },
    },
  };
}
