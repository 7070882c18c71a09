/**
 * The results matrix: scenarios as rows grouped by SDM area, implementations as columns, each cell a result
 * from the suite's vocabulary linking to that implementation's evidence, with per-implementation totals
 * (in the manner of wpt.fyi). Built from the conformance.json of each implementation's run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RESULT_STATUSES, type ConformanceReport, type ResultStatus } from './conformance';
import { scenarioKey } from './expectations';

export interface MatrixColumn {
  label: string;
  /** Folder holding that implementation's conformance.json and cucumber.html. */
  reports: string;
}

export interface Matrix {
  suiteVersion: string;
  implementations: { label: string; name: string; version: string; profile: string; totals: Record<string, number>; evidence: string }[];
  areas: { area: string; rows: { scenario: string; feature: string; name: string; sdm: string[]; results: { status: ResultStatus | 'not-run'; reason: string }[] }[] }[];
}

export function buildMatrix(columns: MatrixColumn[], outDir: string): Matrix {
  const reports = columns.map((c) => JSON.parse(fs.readFileSync(path.join(c.reports, 'conformance.json'), 'utf8')) as ConformanceReport);
  const rows = new Map<string, { feature: string; name: string; sdm: string[]; area: string; results: Matrix['areas'][number]['rows'][number]['results'] }>();
  reports.forEach((r, i) => {
    for (const s of r.scenarios) {
      const key = scenarioKey(s);
      let row = rows.get(key);
      if (!row) {
        const area = s.tags.find((t) => t.startsWith('@area:'))?.slice(6) ?? '(no area)';
        row = { feature: s.feature, name: s.name, sdm: s.sdm, area, results: columns.map(() => ({ status: 'not-run' as const, reason: '' })) };
        rows.set(key, row);
      }
      row.results[i] = { status: s.status, reason: s.reason };
    }
  });
  const areas = new Map<string, Matrix['areas'][number]['rows']>();
  for (const [scenario, row] of [...rows.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    if (!areas.has(row.area)) areas.set(row.area, []);
    areas.get(row.area)!.push({ scenario, feature: row.feature, name: row.name, sdm: row.sdm, results: row.results });
  }
  return {
    suiteVersion: reports[0]?.suite.version ?? 'unknown',
    implementations: reports.map((r, i) => ({
      label: columns[i].label,
      name: r.implementation?.name ?? columns[i].label,
      version: r.implementation?.version ?? '',
      profile: r.profile ?? '',
      totals: r.totals,
      evidence: path.relative(outDir, path.join(columns[i].reports, 'cucumber.html')),
    })),
    areas: [...areas.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([area, r]) => ({ area, rows: r })),
  };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const COLOURS: Record<string, string> = {
  passed: '#2e7d32', failed: '#c62828', error: '#6a1b9a', 'skipped-unsupported': '#757575',
  'expected-fail': '#ef6c00', 'unexpected-pass': '#0277bd', 'not-run': '#bdbdbd',
};

export function matrixHtml(m: Matrix): string {
  const head = m.implementations.map((i) => `<th><a href="${esc(i.evidence)}">${esc(i.label)}</a><br><small>${esc(i.name)} ${esc(i.version)}<br>profile ${esc(i.profile)}</small></th>`).join('');
  const totals = m.implementations.map((i) => `<td>${RESULT_STATUSES.filter((s) => i.totals[s]).map((s) => `<span class="s" style="background:${COLOURS[s]}">${s} ${i.totals[s]}</span>`).join(' ')}</td>`).join('');
  const body = m.areas.map((a) => {
    const rows = a.rows.map((r) => {
      const cells = r.results.map((x, i) => `<td><a class="s" style="background:${COLOURS[x.status]}" href="${esc(m.implementations[i].evidence)}" title="${esc(x.reason)}">${x.status}</a></td>`).join('');
      return `<tr><td><span class="f">${esc(r.feature)}</span><br>${esc(r.name)}${r.sdm.length ? ` <small>SDM ${esc(r.sdm.join(', '))}</small>` : ''}</td>${cells}</tr>`;
    }).join('\n');
    return `<tr class="area"><th colspan="${m.implementations.length + 1}">${esc(a.area)} (${a.rows.length})</th></tr>\n${rows}`;
  }).join('\n');
  const differing = m.areas.flatMap((a) => a.rows.filter((r) => new Set(r.results.map((x) => x.status)).size > 1));
  const diffRows = differing.map((r) => `<tr><td><span class="f">${esc(r.feature)}</span><br>${esc(r.name)}</td>${r.results.map((x, i) =>
    `<td><a class="s" style="background:${COLOURS[x.status]}" href="${esc(m.implementations[i].evidence)}">${x.status}</a>${x.reason ? `<div class="r">${esc(x.reason.split('\n')[0].slice(0, 240))}</div>` : ''}</td>`).join('')}</tr>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vmx-conformance results matrix</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 8px;vertical-align:top;text-align:left}
.area th{background:#eceff1;font-size:15px}.s{color:#fff;padding:1px 6px;border-radius:3px;text-decoration:none;white-space:nowrap;display:inline-block;margin:1px}.f{color:#555;font-size:12px}.r{color:#444;font-size:12px;max-width:36em}
</style></head><body>
<h1>vmx-conformance ${esc(m.suiteVersion)}: results matrix</h1>
<p>Rows are scenarios grouped by SDM area; columns are implementations. Hover a cell for the reason; click it for that implementation's evidence (Cucumber report with operation traces and VMCS dumps).</p>
<h2>Where the implementations differ (${differing.length})</h2>
<table><thead><tr><th>scenario</th>${head}</tr></thead><tbody>
${diffRows || `<tr><td colspan="${m.implementations.length + 1}">no differences</td></tr>`}
</tbody></table>
<h2>All scenarios</h2>
<table><thead><tr><th>scenario</th>${head}</tr><tr><th>totals</th>${totals}</tr></thead>
<tbody>
${body}
</tbody></table></body></html>
`;
}

export function writeMatrix(columns: MatrixColumn[], outDir: string): Matrix {
  const m = buildMatrix(columns, outDir);
  fs.writeFileSync(path.join(outDir, 'matrix.json'), JSON.stringify(m, null, 2) + '\n');
  fs.writeFileSync(path.join(outDir, 'matrix.html'), matrixHtml(m));
  return m;
}
