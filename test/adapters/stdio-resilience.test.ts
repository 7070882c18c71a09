/**
 * A stdio implementation that crashes, hangs or talks nonsense in the middle of a run fails only the
 * scenario it broke (status "error" with the reason); the scenarios before and after still run and pass.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { expect } from 'chai';

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const FEATURE = path.join(ROOT, 'features', 'vmx-operation', 'vmxon-preconditions.feature');

function runWith(mode: string): { status: number | null; report: any; output: string } {
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), `vmx-flaky-${mode}-`));
  const impl = `stdio:${TSX} ${path.join(ROOT, 'test', 'fixtures', 'flaky-impl.ts')} ${mode} 2 ${path.join(reports, 'misbehaved')}`;
  const r = spawnSync(TSX, [path.join(ROOT, 'src', 'cli', 'main.ts'), 'run', '--impl', impl, '--reports', reports, '--no-allure', '--quiet', FEATURE], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, VMX_STDIO_TIMEOUT_MS: '2000' },
  });
  const file = path.join(reports, 'conformance.json');
  if (!fs.existsSync(file)) throw new Error(`no conformance.json; the run printed:\n${r.stdout}\n${r.stderr}`);
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.rmSync(reports, { recursive: true, force: true });
  return { status: r.status, report, output: r.stdout + r.stderr };
}

for (const [mode, what, reason] of [
  ['crash', 'crashes', /exited \(status 3\)/],
  ['hang', 'hangs', /no answer to execute within 2000 ms/],
  ['malformed', 'sends a line that is not JSON', /not JSON/],
  ['badresult', 'sends a result of the wrong shape', /malformed execute result/],
] as const) {
  describe(`a stdio implementation that ${what} mid-run`, () => {
    it('fails only the scenario it broke, with the reason, and the run goes on', () => {
      const { status, report, output } = runWith(mode);
      expect(status, output).to.equal(1);
      const statuses = report.scenarios.map((s: any) => s.status);
      expect(statuses.filter((s: string) => s === 'error'), output).to.have.length(1);
      const broken = report.scenarios.find((s: any) => s.status === 'error');
      expect(broken.reason).to.match(reason);
      expect(report.totals.passed + report.totals['skipped-unsupported'], output).to.equal(report.scenarios.length - 1);
    });
  });
}

describe('a stdio implementation that does not start at all', () => {
  it('still gets a report: every scenario is an error with the reason, and the run exits non-zero', () => {
    const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'vmx-nostart-'));
    const r = spawnSync(TSX, [path.join(ROOT, 'src', 'cli', 'main.ts'), 'run', '--impl', 'stdio:/bin/false', '--reports', reports, '--no-allure', '--quiet', FEATURE], {
      cwd: ROOT, encoding: 'utf8',
    });
    const report = JSON.parse(fs.readFileSync(path.join(reports, 'conformance.json'), 'utf8'));
    fs.rmSync(reports, { recursive: true, force: true });
    expect(r.status).to.equal(1);
    expect(report.totals.error).to.equal(report.scenarios.length);
    expect(report.scenarios[0].reason).to.match(/implementation process exited \(status 1\)/);
  });
});
