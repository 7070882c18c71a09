/**
 * npm test: every check the project has, in order, failing if any fails.
 *   1. tsc --noEmit (strict type check)
 *   2. unit tests of the internals (node:test)
 *   3. the conformance suite on the reference emulator, in process (default profile)
 *   4. the same suite through the stdio adapter against `vmx-conform serve` (the protocol end to end)
 *   5. the suite on the reference emulator's "minimal" profile (capability-driven skipping)
 *   6. the suite on Bochs, when Bochs is installed (skipped otherwise, with how to enable it)
 * Ends with one line "total: N passed, N failed, N skipped".
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const CLI = path.join(ROOT, 'src', 'cli', 'main.ts');

interface Leg {
  name: string;
  ok: boolean;
  passed: number;
  failed: number;
  skipped: number;
  note?: string;
}
const legs: Leg[] = [];

function run(cmd: string, args: string[], env: Record<string, string> = {}): { status: number; out: string } {
  process.stdout.write(`\n$ ${[cmd, ...args].map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}\n`);
  const r = spawnSync(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 28 });
  process.stdout.write(r.stdout ?? '');
  return { status: r.status ?? 1, out: r.stdout ?? '' };
}

function conformanceLeg(name: string, reports: string, args: string[]): void {
  const r = run(TSX, [CLI, 'run', '--reports', reports, ...args]);
  const file = path.join(ROOT, reports, 'conformance.json');
  if (!fs.existsSync(file)) {
    legs.push({ name, ok: false, passed: 0, failed: 1, skipped: 0, note: 'no conformance.json written' });
    return;
  }
  const t = JSON.parse(fs.readFileSync(file, 'utf8')).totals;
  legs.push({
    name,
    ok: r.status === 0,
    passed: t.passed + t['expected-fail'],
    failed: t.failed + t.error + t['unexpected-pass'],
    skipped: t['skipped-unsupported'],
    // A listed deviation that still fails counts as passing the leg; say how many there are.
    note: t['expected-fail'] || t['unexpected-pass'] ? `${t['expected-fail']} of the passed are expected-fail, ${t['unexpected-pass']} unexpected-pass` : undefined,
  });
}

const tsc = run(path.join(ROOT, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', 'tsconfig.json']);
legs.push({ name: 'typecheck', ok: tsc.status === 0, passed: tsc.status === 0 ? 1 : 0, failed: tsc.status === 0 ? 0 : 1, skipped: 0 });

/** Node 20's test runner takes no globs: find the test files here. */
function testFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? testFiles(p) : e.name.endsWith('.test.ts') ? [path.relative(ROOT, p)] : [];
  }).sort();
}

const unit = run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...testFiles(path.join(ROOT, 'test'))]);
const count = (label: string) => Number(unit.out.match(new RegExp(`^\\S*\\s*${label} (\\d+)`, 'm'))?.[1] ?? 0);
legs.push({ name: 'unit tests', ok: unit.status === 0, passed: count('pass'), failed: count('fail') + (unit.status !== 0 && count('fail') === 0 ? 1 : 0), skipped: count('skipped') });

const unitOnly = process.argv.includes('--unit-only');
if (!unitOnly) {
conformanceLeg('conformance (reference, in process)', 'reports', ['--impl', 'reference']);
conformanceLeg('conformance (stdio adapter ↔ vmx-conform serve)', 'reports/stdio', [
  '--impl', `stdio:${TSX} ${CLI} serve`, '--no-allure', '--quiet',
]);
conformanceLeg('conformance (reference, minimal profile)', 'reports/minimal', ['--impl', 'reference', '--profile', 'minimal', '--no-allure', '--quiet']);

const bochs = spawnSync('sh', ['-c', 'command -v bochs'], { encoding: 'utf8' });
if (bochs.status === 0 && fs.existsSync(path.join(ROOT, 'src', 'adapters', 'bochs', 'index.ts'))) {
  // Bochs's known deviations from the SDM are listed, with reasons, in its own expectations file.
  const expectations = path.join(ROOT, 'expectations', 'bochs.json');
  conformanceLeg('conformance (Bochs)', 'reports/bochs', [
    '--impl', 'bochs', '--no-allure', '--quiet', ...(fs.existsSync(expectations) ? ['--expectations', expectations] : []),
  ]);
} else {
  process.stdout.write('\nBochs leg skipped: Bochs is not installed. Enable it with: apt-get install -y bochs bochsbios bochs-term\n');
  legs.push({ name: 'conformance (Bochs)', ok: true, passed: 0, failed: 0, skipped: 0, note: 'skipped: Bochs not installed' });
}
}

process.stdout.write('\n');
for (const l of legs) {
  process.stdout.write(`${l.ok ? 'ok  ' : 'FAIL'}  ${l.name}: ${l.passed} passed, ${l.failed} failed, ${l.skipped} skipped${l.note ? ` (${l.note})` : ''}\n`);
}
const sum = (k: 'passed' | 'failed' | 'skipped') => legs.reduce((a, l) => a + l[k], 0);
process.stdout.write(`total: ${sum('passed')} passed, ${sum('failed')} failed, ${sum('skipped')} skipped\n`);
process.exitCode = legs.every((l) => l.ok) ? 0 : 1;
