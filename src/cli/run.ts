/**
 * `vmx-conform run`: the whole suite (or a selection) on one implementation, through cucumber's public
 * API, writing reports/cucumber.html, reports/allure-results + reports/allure-report, and
 * reports/conformance.json.
 */
import { loadConfiguration, runCucumber, type ISupportCodeLibrary } from '@cucumber/cucumber/api';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createImplementation, implLabel, parseImplSpec } from '../adapters/index';
import { hex } from '../contract/wire';
import { buildReport, type RunMetadata } from '../report/conformance';
import { findFeatureFiles, parseFeatures } from './features';
import { loadExpectations } from '../report/expectations';

export interface RunOptions {
  impl: string;
  profile?: string;
  tags?: string;
  name?: string[];
  parallel?: number;
  reports: string;
  failFast?: boolean;
  allure?: boolean;
  paths: string[];
  quiet?: boolean;
  /** A per-implementation expectations file (src/report/expectations.ts). */
  expectations?: string;
}

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * The step definitions and hooks, loaded by the first run in this process. Node caches the step files, so
 * a second run (`matrix`, one per implementation) that loaded them again would find no step registered and
 * report every step undefined; it reuses the first run's library instead (cucumber's API allows that).
 */
let loadedSupport: ISupportCodeLibrary | undefined;

export function suiteVersion(): string {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
}

/** Ask the implementation who it is and what it offers, once, for the report header. */
async function metadata(spec: string, profile: string | undefined): Promise<RunMetadata> {
  const parsed = parseImplSpec(spec);
  const impl = await createImplementation(parsed);
  try {
    const info = await impl.hello();
    const caps = await impl.reset({ profile });
    return {
      implementation: { spec: implLabel(parsed), name: info.name, version: info.version, protocol: info.protocol, extensions: info.extensions },
      profile: caps.profile,
      capabilities: Object.fromEntries(Object.entries(caps.msrs).map(([k, v]) => [k, hex(v)])),
      physicalAddressWidth: caps.physicalAddressWidth,
      suiteVersion: suiteVersion(),
    };
  } finally {
    await impl.close();
  }
}

export async function runSuite(o: RunOptions): Promise<number> {
  const reports = path.resolve(o.reports);
  fs.mkdirSync(reports, { recursive: true });
  const allureResults = path.join(reports, 'allure-results');
  fs.rmSync(allureResults, { recursive: true, force: true });

  process.env.VMX_IMPL = o.impl;
  if (o.profile) process.env.VMX_PROFILE = o.profile;
  else delete process.env.VMX_PROFILE;

  // Expand folders to files, so that a file with a syntax error can be left out of the run on its own.
  const selected = o.paths.length
    ? o.paths.flatMap((p) => (fs.statSync(p.replace(/:\d+$/, ''), { throwIfNoEntry: false })?.isDirectory() ? findFeatureFiles([p]) : [p]))
    : findFeatureFiles([path.join(ROOT, 'features')]);
  const { errors } = parseFeatures([...new Set(selected.map((p) => p.replace(/:\d+$/, '')))]);
  for (const e of errors) process.stderr.write(`Gherkin syntax error (this feature is not run):\n${e.message}\n`);
  const broken = new Set(errors.map((e) => e.uri));
  const runnable = selected.filter((p) => !broken.has(p.replace(/:\d+$/, '')));

  // An implementation that cannot even start still gets a report: every scenario then fails with its reason.
  const meta = await metadata(o.impl, o.profile).catch((e: Error): RunMetadata => {
    process.stderr.write(`the implementation did not answer hello/reset: ${e.message}\n`);
    return {
      implementation: { spec: o.impl, name: '(did not start)', version: '', protocol: 0, extensions: [] },
      profile: o.profile ?? '(unknown)', capabilities: {}, physicalAddressWidth: 0, suiteVersion: suiteVersion(),
    };
  });
  if (o.expectations) {
    meta.expectations = path.resolve(o.expectations);
    loadExpectations(meta.expectations, meta.suiteVersion); // fail now, clearly, on a bad file
  }
  if (!o.quiet) {
    process.stdout.write(`vmx-conformance ${meta.suiteVersion}: ${meta.implementation.name} ${meta.implementation.version} (${meta.implementation.spec}), profile ${meta.profile}\n`);
  }
  const { allureOptions } = require(path.join(ROOT, 'cucumber.cjs'));
  const formats = [
    o.quiet ? 'summary' : 'progress',
    `html:${path.join(reports, 'cucumber.html')}`,
    `message:${path.join(reports, 'messages.ndjson')}`,
    `${path.join(ROOT, 'src', 'report', 'conformance-formatter.cjs')}:${path.join(reports, 'conformance.json')}`,
  ];
  if (o.allure !== false) formats.push('allure-cucumberjs/reporter');
  const { runConfiguration } = await loadConfiguration({
    // Not the config file: cucumber concatenates array options across profiles, so its default paths would
    // be added to ours. Everything is given here instead (cucumber.cjs mirrors it for plain cucumber-js).
    file: false,
    provided: {
      paths: runnable,
      require: [path.join(ROOT, 'steps', '**', '*.ts')],
      requireModule: ['tsx/cjs'],
      tags: o.tags ?? '',
      name: o.name ?? [],
      parallel: o.parallel ?? 0,
      failFast: o.failFast ?? false,
      format: formats,
      // Attachments (traces, VMCS dumps) go to the HTML reports; the terminal shows the failure messages.
      formatOptions: { ...allureOptions(allureResults), snippetInterface: 'async-await', printAttachments: false, conformance: meta },
    },
  }, { cwd: ROOT });
  // With no runnable feature left, cucumber would fall back to its default paths: write an empty run instead.
  let success: boolean;
  if (runnable.length === 0) {
    success = writeEmptyReport(reports, meta);
  } else {
    const result = await runCucumber(loadedSupport ? { ...runConfiguration, support: loadedSupport } : runConfiguration, { cwd: ROOT });
    loadedSupport ??= result.support;
    success = result.success;
  }

  if (o.allure !== false) generateAllure(allureResults, path.join(reports, 'allure-report'));
  const summary = JSON.parse(fs.readFileSync(path.join(reports, 'conformance.json'), 'utf8'));
  for (const e of errors) summary.scenarios.push({ feature: e.uri, uri: e.uri, name: '(feature file does not parse)', tags: [], status: 'error', reason: e.message, sdm: [] });
  summary.totals.error += errors.length;
  summary.totals.scenarios += errors.length;
  fs.writeFileSync(path.join(reports, 'conformance.json'), JSON.stringify(summary, null, 2) + '\n');
  const t = summary.totals;
  const listed = meta.expectations ? `, ${t['expected-fail']} expected-fail, ${t['unexpected-pass']} unexpected-pass` : '';
  process.stdout.write(
    `\nconformance: ${t.passed} passed, ${t.failed} failed, ${t.error} error, ${t['skipped-unsupported']} skipped-unsupported${listed}` +
      ` (reports in ${path.relative(process.cwd(), reports) || '.'})\n`,
  );
  for (const u of summary.unmatchedExpectations ?? []) process.stderr.write(`expectations entry matches no scenario: ${u}\n`);
  // Cucumber counts an expected failure as a failure; the verdict comes from the suite's own vocabulary.
  const bad = t.failed + t.error + t['unexpected-pass'];
  return bad === 0 && (success || meta.expectations !== undefined) ? 0 : 1;
}

function writeEmptyReport(reports: string, meta: RunMetadata): boolean {
  fs.writeFileSync(path.join(reports, 'conformance.json'), JSON.stringify(buildReport([], meta), null, 2) + '\n');
  return true;
}

let javaWarned = false;

/** allure-commandline ships the Allure distribution; it needs Java 11 or later on the machine. */
export function generateAllure(results: string, report: string): boolean {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error || java.status !== 0) {
    if (!javaWarned) {
      process.stderr.write('Allure report not generated: Java 11 or later is needed (Debian: apt-get install -y default-jre-headless). The other reports were written.\n');
      javaWarned = true;
    }
    return false;
  }
  const allure = require.resolve('allure-commandline/dist/bin/allure');
  const r = spawnSync(allure, ['generate', results, '-o', report, '--clean'], { encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(`Allure report generation failed: ${r.stderr || r.stdout}\n`);
    return false;
  }
  return true;
}
