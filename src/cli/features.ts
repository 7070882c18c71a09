/**
 * Reading the feature files outside cucumber's run: finding them, separating the ones that do not parse
 * (cucumber-js 12 aborts a whole run on one Gherkin syntax error; we report the file and line and run the
 * rest), and listing scenarios with their tags for `vmx-conform list`.
 */
import { AstBuilder, GherkinClassicTokenMatcher, Parser, compile } from '@cucumber/gherkin';
import { IdGenerator } from '@cucumber/messages';
import * as fs from 'node:fs';
import * as path from 'node:path';

export function findFeatureFiles(roots: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = fs.statSync(p, { throwIfNoEntry: false });
    if (!st) throw new Error(`no such feature file or folder: ${p}`);
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(p).sort()) walk(path.join(p, e));
    } else if (p.endsWith('.feature')) {
      out.push(p);
    }
  };
  for (const r of roots) walk(r.replace(/[:]\d+$/, ''));
  return out;
}

export interface ParsedFeature {
  uri: string;
  name: string;
  tags: string[];
  scenarios: { name: string; line: number; tags: string[] }[];
}

export interface FeatureParseError {
  uri: string;
  message: string;
}

export function parseFeatures(files: string[]): { features: ParsedFeature[]; errors: FeatureParseError[] } {
  const features: ParsedFeature[] = [];
  const errors: FeatureParseError[] = [];
  const newId = IdGenerator.incrementing();
  for (const uri of files) {
    const data = fs.readFileSync(uri, 'utf8');
    try {
      const parser = new Parser(new AstBuilder(newId), new GherkinClassicTokenMatcher());
      const doc = parser.parse(data);
      const feature = doc.feature;
      if (!feature) continue;
      const pickles = compile({ ...doc, uri }, uri, newId);
      features.push({
        uri,
        name: feature.name,
        tags: feature.tags.map((t) => t.name),
        scenarios: pickles.map((p) => ({
          name: p.name,
          line: lineOf(doc, p.astNodeIds),
          tags: p.tags.map((t) => t.name),
        })),
      });
    } catch (e) {
      // Gherkin's errors carry "(line:column): message"; keep them with the file name.
      const msg = (e as Error).message.split('\n').map((l) => `${uri}:${l.replace(/^\((\d+):(\d+)\):\s*/, '$1:$2: ')}`).join('\n');
      errors.push({ uri, message: msg });
    }
  }
  return { features, errors };
}

function lineOf(doc: ReturnType<Parser<unknown>['parse']>, astNodeIds: readonly string[]): number {
  const lines = new Map<string, number>();
  const visit = (children: readonly any[]) => {
    for (const c of children) {
      if (c.scenario) {
        lines.set(c.scenario.id, c.scenario.location.line);
        for (const ex of c.scenario.examples ?? []) for (const row of ex.tableBody ?? []) lines.set(row.id, row.location.line);
      }
      if (c.rule) visit(c.rule.children);
    }
  };
  visit(doc.feature?.children ?? []);
  for (let i = astNodeIds.length - 1; i >= 0; i--) {
    const l = lines.get(astNodeIds[i]);
    if (l !== undefined) return l;
  }
  return 0;
}
