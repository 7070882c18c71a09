/**
 * Bad input gets a clear error and loses nothing: misspelt names in steps name the token and the closest
 * valid names; a feature file with a Gherkin syntax error is reported with file and line while the rest
 * runs; an unknown --impl exits with usage help.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { expect } from 'chai';

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const CLI = path.join(ROOT, 'src', 'cli', 'main.ts');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'features');

function cli(args: string[]): { status: number | null; out: string; report?: any } {
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'vmx-badinput-'));
  const r = spawnSync(TSX, [CLI, ...args.map((a) => (a === '$REPORTS' ? reports : a))], { cwd: ROOT, encoding: 'utf8' });
  const file = path.join(reports, 'conformance.json');
  const report = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined;
  fs.rmSync(reports, { recursive: true, force: true });
  return { status: r.status, out: r.stdout + r.stderr, report };
}

describe('bad names in steps', () => {
  const { status, out, report } = cli(['run', '--no-allure', '--reports', '$REPORTS', path.join(FIXTURES, 'bad-names')]);
  const reason = (name: string) => report.scenarios.find((s: any) => s.name === name)?.reason ?? '';

  it('fail their scenarios, and the run exits non-zero', () => {
    expect(status, out).to.equal(1);
    expect(report.totals.passed, out).to.equal(0);
  });
  it('a VMCS field: names the token and suggests the field', () => {
    expect(reason('a misspelt VMCS field')).to.match(/unknown VMCS field "Guest RIPP"; did you mean: .*"Guest RIP"/);
  });
  it('a control: names the token and suggests the control', () => {
    expect(reason('a misspelt control')).to.match(/unknown VMX control "HLT exitting"; did you mean: .*"HLT exiting"/);
  });
  it('an exit reason whose number and name disagree: says both', () => {
    expect(reason('an exit reason whose name and number disagree')).to.match(/"HLT" is basic exit reason 12 .* and 10 is "CPUID"/);
  });
  it('an unknown VMM instruction: names it and suggests', () => {
    expect(reason('an unknown VMM instruction')).to.match(/unknown VMM instruction "VMXONN"; did you mean: "VMXON"/);
  });
  it('an unknown guest mnemonic: names the line and the token', () => {
    expect(reason('an unknown guest mnemonic')).to.match(/cpuidd/).and.to.match(/line 1/);
  });
});

describe('a feature file with a Gherkin syntax error', () => {
  it('is reported with file and line, and the other features still run', () => {
    const { status, out, report } = cli(['run', '--no-allure', '--reports', '$REPORTS', path.join(FIXTURES, 'syntax')]);
    expect(status, out).to.equal(1);
    expect(out).to.match(/broken\.feature:6:\d+/);
    const fine = report.scenarios.find((s: any) => s.name === 'runs although the other file does not parse');
    expect(fine?.status, out).to.equal('passed');
    const broken = report.scenarios.find((s: any) => s.uri.endsWith('broken.feature'));
    expect(broken?.status).to.equal('error');
  });
});

describe('an unknown --impl', () => {
  it('exits non-zero with usage help naming the valid forms', () => {
    const { status, out } = cli(['run', '--impl', 'qemu']);
    expect(status).to.not.equal(0);
    expect(out).to.match(/unknown implementation "qemu"/).and.to.match(/stdio:<command>/).and.to.match(/Usage: vmx-conform run/);
  });
});
