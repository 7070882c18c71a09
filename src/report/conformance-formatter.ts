/**
 * A cucumber formatter that writes reports/conformance.json: which implementation ran, its capability
 * profile, one entry per scenario with a status from the suite's vocabulary, and the SDM coverage that
 * passing scenarios asserted (recorded by the steps as attachments when their assertions pass).
 *
 * Status vocabulary: passed, failed, error (the harness or the implementation broke, not the rule),
 * skipped-unsupported (a @requires capability is missing), and, when an expectations file is given,
 * expected-fail (a listed deviation that still fails) and unexpected-pass (a listed deviation that now passes).
 */
import { Formatter, type IFormatterOptions } from '@cucumber/cucumber';
import type * as messages from '@cucumber/messages';
import { buildReport, type ScenarioResult, type RunMetadata } from './conformance';
import { applyExpectations, loadExpectations } from './expectations';
import { COVERAGE_MEDIA_TYPE, STATUS_MEDIA_TYPE } from './media-types';

interface CaseState {
  pickleId: string;
  worst: messages.TestStepResultStatus | 'PASSED';
  message?: string;
  coverage?: { exitReasons: number[]; vmInstructionErrors: number[]; controls: string[] };
  status?: { status: string; reason: string };
}

const RANK: Record<string, number> = {
  UNKNOWN: 0, PASSED: 1, SKIPPED: 2, PENDING: 3, UNDEFINED: 4, AMBIGUOUS: 5, FAILED: 6,
};

export default class ConformanceFormatter extends Formatter {
  static override readonly documentation = 'Writes the vmx-conformance summary (conformance.json)';
  private readonly features = new Map<string, string>();
  private readonly pickles = new Map<string, messages.Pickle>();
  private readonly testCases = new Map<string, string>();
  private readonly started = new Map<string, CaseState>();
  private readonly results: ScenarioResult[] = [];
  private readonly parseErrors: { uri: string; message: string }[] = [];

  private readonly meta?: RunMetadata;

  constructor(options: IFormatterOptions) {
    super(options);
    this.meta = (options.parsedArgvOptions as { conformance?: RunMetadata }).conformance;
    options.eventBroadcaster.on('envelope', (e: messages.Envelope) => this.onEnvelope(e));
  }

  private onEnvelope(e: messages.Envelope): void {
    if (e.gherkinDocument?.uri && e.gherkinDocument.feature) {
      this.features.set(e.gherkinDocument.uri, e.gherkinDocument.feature.name);
    } else if (e.pickle) {
      this.pickles.set(e.pickle.id, e.pickle);
    } else if (e.testCase) {
      this.testCases.set(e.testCase.id, e.testCase.pickleId);
    } else if (e.testCaseStarted) {
      this.started.set(e.testCaseStarted.id, { pickleId: this.testCases.get(e.testCaseStarted.testCaseId)!, worst: 'PASSED' });
    } else if (e.attachment?.testCaseStartedId) {
      const c = this.started.get(e.attachment.testCaseStartedId);
      if (!c) return;
      if (e.attachment.mediaType === COVERAGE_MEDIA_TYPE) c.coverage = JSON.parse(e.attachment.body);
      if (e.attachment.mediaType === STATUS_MEDIA_TYPE) c.status = JSON.parse(e.attachment.body);
    } else if (e.testStepFinished) {
      const c = this.started.get(e.testStepFinished.testCaseStartedId);
      const r = e.testStepFinished.testStepResult;
      if (c && RANK[r.status] > RANK[c.worst]) {
        c.worst = r.status;
        c.message = r.message ?? r.exception?.message;
      }
    } else if (e.testCaseFinished && !e.testCaseFinished.willBeRetried) {
      this.finish(e.testCaseFinished.testCaseStartedId);
    } else if (e.parseError) {
      this.parseErrors.push({ uri: e.parseError.source.uri ?? '?', message: e.parseError.message });
    }
  }

  private finish(startedId: string): void {
    const c = this.started.get(startedId);
    if (!c) return;
    this.started.delete(startedId);
    const pickle = this.pickles.get(c.pickleId)!;
    const tags = pickle.tags.map((t) => t.name);
    let status: ScenarioResult['status'];
    let reason = '';
    switch (c.worst) {
      case 'PASSED':
        status = 'passed';
        break;
      case 'SKIPPED':
        status = c.status?.status === 'skipped-unsupported' ? 'skipped-unsupported' : 'error';
        reason = c.status?.reason ?? 'skipped without a stated reason';
        break;
      case 'FAILED':
        status = c.status?.status === 'error' ? 'error' : 'failed';
        reason = c.status?.status === 'error' ? c.status.reason : firstLines(c.message);
        break;
      case 'UNDEFINED':
        status = 'error';
        reason = 'a step has no definition (see the cucumber report for a snippet)';
        break;
      case 'AMBIGUOUS':
        status = 'error';
        reason = 'a step matches more than one definition: ' + firstLines(c.message);
        break;
      default:
        status = 'error';
        reason = `step status ${c.worst}`;
    }
    this.results.push({
      feature: this.features.get(pickle.uri) ?? pickle.uri,
      uri: pickle.uri,
      name: pickle.name,
      tags,
      status,
      reason,
      coverage: status === 'passed' ? c.coverage : undefined,
    });
  }

  override async finished(): Promise<void> {
    for (const p of this.parseErrors) {
      this.results.push({ feature: p.uri, uri: p.uri, name: '(feature file does not parse)', tags: [], status: 'error', reason: p.message });
    }
    let unmatched: { scenario: string }[] = [];
    if (this.meta?.expectations) {
      unmatched = applyExpectations(this.results, loadExpectations(this.meta.expectations, this.meta.suiteVersion)).unmatched;
    }
    const report = { ...buildReport(this.results, this.meta), unmatchedExpectations: unmatched.map((e) => e.scenario) };
    this.log(JSON.stringify(report, null, 2) + '\n');
    await super.finished();
  }
}

function firstLines(text: string | undefined): string {
  if (!text) return '';
  return text.split('\n').slice(0, 6).join('\n');
}
