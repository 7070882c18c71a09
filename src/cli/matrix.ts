/**
 * `vmx-conform matrix`: the suite on each implementation in turn (each into reports/matrix/<label>/),
 * then one table of all results (reports/matrix.html, reports/matrix.json).
 */
import * as path from 'node:path';
import { implLabel, parseImplSpec } from '../adapters/index';
import { writeMatrix } from '../report/matrix';
import { runSuite } from './run';

export interface MatrixOptions {
  impl: string[];
  expectations?: string[];
  profile?: string;
  tags?: string;
  reports: string;
  paths: string[];
}

export async function runMatrix(o: MatrixOptions): Promise<number> {
  const expectations = new Map<string, string>();
  for (const e of o.expectations ?? []) {
    const eq = e.indexOf('=');
    if (eq <= 0) throw new Error(`--expectations takes <impl>=<file>, not "${e}"`);
    expectations.set(e.slice(0, eq), e.slice(eq + 1));
  }
  const columns = [];
  let worst = 0;
  for (const spec of o.impl) {
    const label = implLabel(parseImplSpec(spec));
    const dir = path.join(o.reports, 'matrix', label.replace(/[^A-Za-z0-9._-]+/g, '_'));
    process.stdout.write(`\n== ${label}\n`);
    const status = await runSuite({
      impl: spec, profile: o.profile, tags: o.tags, reports: dir, paths: o.paths, allure: false, quiet: true,
      expectations: expectations.get(spec) ?? expectations.get(label),
    });
    worst = Math.max(worst, status);
    columns.push({ label, reports: dir });
  }
  const m = writeMatrix(columns, path.resolve(o.reports));
  process.stdout.write(`\nmatrix: ${m.areas.reduce((a, x) => a + x.rows.length, 0)} scenarios × ${columns.length} implementations → ${path.join(o.reports, 'matrix.html')}\n`);
  return worst;
}
