/**
 * The suite's metadata stays honest: every @requires tag is in the controlled vocabulary, every scenario
 * cites the SDM, every feature names its SDM area, and docs/capabilities.md matches the vocabulary.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { expect } from 'chai';
import { findFeatureFiles, parseFeatures } from '../../src/cli/features';
import { capabilityNames, hasCapability, UnknownCapabilityError } from '../../src/contract/capabilities';
import { capabilitiesDoc, stepsDoc } from '../../scripts/docs';

const ROOT = path.resolve(__dirname, '..', '..');
const { features, errors } = parseFeatures(findFeatureFiles([path.join(ROOT, 'features')]));
const AREAS = ['vmx-operation', 'vmcs', 'vm-entry', 'vm-exit', 'non-root', 'events', 'ept-vpid', 'scheduling', 'baseline'];

describe('feature metadata', () => {
  it('every feature file parses', () => {
    expect(errors.map((e) => e.message)).to.deep.equal([]);
  });
  it('every @requires tag is in the capability vocabulary', () => {
    const known = new Set(capabilityNames());
    const bad = features.flatMap((f) => f.scenarios.flatMap((s) => s.tags
      .filter((t) => t.startsWith('@requires:') && !known.has(t.slice(10)))
      .map((t) => `${f.uri}:${s.line} ${t}`)));
    expect(bad).to.deep.equal([]);
  });
  it('every scenario cites at least one SDM section with @sdm:<section>', () => {
    const bad = features.flatMap((f) => f.scenarios.filter((s) => !s.tags.some((t) => /^@sdm:[0-9A-C]/.test(t))).map((s) => `${f.uri}:${s.line} ${s.name}`));
    expect(bad).to.deep.equal([]);
  });
  it('scenario names are unique within a feature (results, expectations and the matrix are keyed by name)', () => {
    const bad = features.flatMap((f) => {
      const seen = new Set<string>();
      return f.scenarios.filter((s) => (seen.has(s.name) ? true : (seen.add(s.name), false))).map((s) => `${f.uri}:${s.line} ${s.name}`);
    });
    expect(bad).to.deep.equal([]);
  });
  it('every feature is tagged with exactly one known @area', () => {
    const bad = features.filter((f) => f.tags.filter((t) => t.startsWith('@area:') && AREAS.includes(t.slice(6))).length !== 1).map((f) => f.uri);
    expect(bad).to.deep.equal([]);
  });
});

describe('capability vocabulary', () => {
  it('rejects an unknown capability with a clear message', () => {
    const ctx = { caps: { profile: 'x', processors: 1, memoryBytes: 0, physicalAddressWidth: 46, msrs: {} }, info: { name: 'x', version: '0', protocol: 1, profiles: [], extensions: [] } };
    expect(() => hasCapability(ctx, 'enable-vpdi')).to.throw(UnknownCapabilityError, /unknown capability "@requires:enable-vpdi"/);
  });
  it('docs/capabilities.md and docs/steps.md are up to date (npm run docs)', () => {
    expect(fs.readFileSync(path.join(ROOT, 'docs', 'capabilities.md'), 'utf8')).to.equal(capabilitiesDoc());
    expect(fs.readFileSync(path.join(ROOT, 'docs', 'steps.md'), 'utf8')).to.equal(stepsDoc());
  });
});
