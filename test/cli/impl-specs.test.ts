/** The --impl forms: parsing, and an in-process module implementation running scenarios. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { expect } from 'chai';
import { ImplSpecError, implLabel, parseImplSpec } from '../../src/adapters/index';

const ROOT = path.resolve(__dirname, '..', '..');

describe('--impl specs', () => {
  it('parses every documented form', () => {
    expect(parseImplSpec('reference')).to.deep.equal({ kind: 'reference' });
    expect(parseImplSpec('bochs')).to.deep.equal({ kind: 'bochs' });
    expect(parseImplSpec('bochs:corei7_sandy_bridge_2600k')).to.deep.equal({ kind: 'bochs', cpuModel: 'corei7_sandy_bridge_2600k' });
    expect(parseImplSpec('stdio:./emu --serve')).to.deep.equal({ kind: 'stdio', command: './emu --serve' });
    expect(parseImplSpec('module:./impl.ts')).to.deep.equal({ kind: 'module', path: './impl.ts' });
    expect(implLabel(parseImplSpec('stdio:./emu --serve'))).to.equal('stdio:./emu --serve');
  });
  it('rejects anything else, listing the valid forms', () => {
    for (const bad of ['', 'qemu', 'stdio:', 'module:']) {
      expect(() => parseImplSpec(bad)).to.throw(ImplSpecError, /expected one of:[\s\S]*stdio:<command>/);
    }
  });
  it('module:<path> runs scenarios on an in-process implementation module', () => {
    const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'vmx-module-'));
    const r = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [
      path.join(ROOT, 'src', 'cli', 'main.ts'), 'run', '--impl', `module:${path.join(ROOT, 'test', 'fixtures', 'module-impl.ts')}`,
      '--no-allure', '--quiet', '--reports', reports, path.join(ROOT, 'features', 'non-root', 'cpuid-and-hlt.feature'),
    ], { cwd: ROOT, encoding: 'utf8' });
    const report = JSON.parse(fs.readFileSync(path.join(reports, 'conformance.json'), 'utf8'));
    fs.rmSync(reports, { recursive: true, force: true });
    expect(r.status, r.stdout + r.stderr).to.equal(0);
    expect(report.implementation.spec).to.match(/^module:/);
    expect(report.totals.passed).to.equal(3);
  });
});
