/**
 * npm run bench: prints a table and writes reports/bench.json as { "<metric>": { "value": n, "unit": "..." } }.
 * Figures are single-core, best of several runs after a warm-up, per second of CPU time of this process (the
 * speed on one core, whatever else competes for the machine); the table shows the wall-clock figure beside
 * it, so a busy machine shows as a gap between the two.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { benchExitRoundtrips, benchVmreadVmwrite, type BenchResult } from './vmx';
import { benchGuestInstructions } from './guest';
import { spawnSync } from 'node:child_process';
import { benchBochs } from '../src/adapters/bochs/bench';

interface Metric {
  value: number;
  unit: string;
  wall?: number;
  target?: number;
}

/** What each figure measures (printed under the table). */
const MEANING: Record<string, string> = {
  vmread_vmwrite_ops_per_s: 'VMWRITE then VMREAD of Guest RIP in VMX root operation, each a full instruction of the emulator core',
  exit_roundtrips_per_s: 'guest "cpuid; jmp" with VPIDs on: VM exit (reason 10) + the VMM\'s 3 VMREADs and 1 VMWRITE + VMRESUME ' +
    '(entry checks, guest-state load, 2 guest instructions, exit with guest-state save and host-state load); emulator core, no contract layer',
  exit_roundtrips_no_vpid_per_s: 'the same without VPIDs: every VM entry and exit also flushes the TLB, so each round trip walks the guest page tables',
  guest_instructions_per_s: 'interpreter on a 5-instruction ALU loop, 64-bit guest with 4-level paging, no VMX hooks on the path',
  bochs_exit_roundtrips_per_s: 'Bochs 2.7 (corei7_skylake_x): a guest "cpuid; jmp" resumed by the agent kernel itself, timed host-side (wall clock)',
  bochs_guest_instructions_per_s: 'Bochs 2.7: a straight-line ALU loop of known length in a VMX guest, ending in an exit (wall clock)',
  bochs_contract_ops_per_s: 'Bochs 2.7: contract operations (execute VMREAD) per second, transport included (wall clock)',
  'ratio_exit_roundtrips_reference/bochs': 'exit_roundtrips_per_s ÷ bochs_exit_roundtrips_per_s',
  'ratio_guest_instructions_reference/bochs': 'guest_instructions_per_s ÷ bochs_guest_instructions_per_s',
};

const metrics: Record<string, Metric> = {};
function measure(name: string, target: number, f: () => BenchResult): void {
  process.stdout.write(`measuring ${name} …\n`);
  metrics[name] = { ...f(), target };
}

measure('vmread_vmwrite_ops_per_s', 20_000_000, benchVmreadVmwrite);
measure('exit_roundtrips_per_s', 2_500_000, () => benchExitRoundtrips(true));
measure('exit_roundtrips_no_vpid_per_s', 2_500_000, () => benchExitRoundtrips(false));
// guest_instructions_per_s: the interpreter's figure (bench/guest.ts, owned by the x86 interpreter).
measure('guest_instructions_per_s', 50_000_000, benchGuestInstructions);

/** The same guest loops on Bochs, side by side (issue 5): only where Bochs is installed. */
async function bochsLegs(): Promise<void> {
  if (spawnSync('sh', ['-c', 'command -v bochs'], { encoding: 'utf8' }).status !== 0) {
    console.log('Bochs figures skipped: Bochs is not installed (apt-get install -y bochs bochsbios bochs-term)');
    return;
  }
  process.stdout.write('measuring bochs_exit_roundtrips_per_s, bochs_guest_instructions_per_s …\n');
  const b = await benchBochs();
  metrics.bochs_exit_roundtrips_per_s = { value: Math.round(b.exit_roundtrips_per_s), unit: 'roundtrips/s' };
  metrics.bochs_guest_instructions_per_s = { value: Math.round(b.guest_instructions_per_s), unit: 'instructions/s' };
  metrics.bochs_contract_ops_per_s = { value: Math.round(b.contract_ops_per_s), unit: 'ops/s' };
  const ratio = (a: string, c: string) => Math.round((metrics[a].value / metrics[c].value) * 100) / 100;
  metrics['ratio_exit_roundtrips_reference/bochs'] = { value: ratio('exit_roundtrips_per_s', 'bochs_exit_roundtrips_per_s'), unit: '×' };
  metrics['ratio_guest_instructions_reference/bochs'] = { value: ratio('guest_instructions_per_s', 'bochs_guest_instructions_per_s'), unit: '×' };
}

const n = (v: number | undefined): string => (v === undefined ? '' : v.toLocaleString('en-US'));
function report(): void {
const rows = Object.entries(metrics).map(([k, m]) => [
  k, n(m.value), m.unit, n(m.wall), n(m.target),
  m.target === undefined ? '' : m.value >= m.target ? 'met' : 'below target',
]);
const head = ['metric', 'value (CPU time)', 'unit', 'wall clock', 'target', ''];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const right = new Set([1, 3, 4]);
const line = (r: string[]) => r.map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
console.log(line(head));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
console.log('');
for (const k of Object.keys(metrics)) if (MEANING[k] !== undefined) console.log(`${k}: ${MEANING[k]}`);

const out = path.resolve(__dirname, '..', 'reports', 'bench.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify(Object.fromEntries(Object.entries(metrics).map(([k, m]) => [k, { value: m.value, unit: m.unit }])), null, 2) + '\n');
console.log(`wrote ${path.relative(process.cwd(), out)}`);
}

bochsLegs().then(report, (e) => {
  console.error(`Bochs figures failed: ${(e as Error).message}`);
  report();
  process.exitCode = 1;
});
