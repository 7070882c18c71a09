/**
 * npm run bench: prints a table and writes reports/bench.json as { "<metric>": { "value": n, "unit": "..." } }.
 * Figures are single-core, best of several runs, on whatever machine runs this.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { benchExitRoundtrips, benchVmreadVmwrite } from './vmx';
import { benchGuestInstructions } from './guest';

interface Metric {
  value: number;
  unit: string;
  target?: number;
}

const metrics: Record<string, Metric> = {};
function measure(name: string, target: number, f: () => { value: number; unit: string }): void {
  process.stdout.write(`measuring ${name} …\n`);
  metrics[name] = { ...f(), target };
}

measure('vmread_vmwrite_ops_per_s', 20_000_000, benchVmreadVmwrite);
measure('exit_roundtrips_per_s', 2_500_000, () => benchExitRoundtrips(true));
measure('exit_roundtrips_no_vpid_per_s', 2_500_000, () => benchExitRoundtrips(false));
// guest_instructions_per_s: the interpreter's figure (bench/guest.ts, owned by the x86 interpreter).
measure('guest_instructions_per_s', 50_000_000, benchGuestInstructions);

const rows = Object.entries(metrics).map(([k, m]) => [
  k, m.value.toLocaleString('en-US'), m.unit, m.target === undefined ? '' : m.target.toLocaleString('en-US'),
  m.target === undefined ? '' : m.value >= m.target ? 'met' : 'below target',
]);
const head = ['metric', 'value', 'unit', 'target', ''];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) => r.map((c, i) => (i === 1 || i === 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
console.log(line(head));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));

const out = path.resolve(__dirname, '..', 'reports', 'bench.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify(Object.fromEntries(Object.entries(metrics).map(([k, m]) => [k, { value: m.value, unit: m.unit }])), null, 2) + '\n');
console.log(`wrote ${path.relative(process.cwd(), out)}`);
