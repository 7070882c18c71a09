/**
 * vmx-conform: the command line.
 *   run     the suite on an implementation, with reports
 *   serve   the reference emulator over the JSON-lines protocol on stdin/stdout
 *   list    features and scenarios with their tags and SDM references
 */
import { Command, InvalidArgumentError } from 'commander';
import * as path from 'node:path';
import { IMPL_SPEC_HELP, ImplSpecError, parseImplSpec } from '../adapters/index';
import { findFeatureFiles, parseFeatures } from './features';
import { runSuite, suiteVersion } from './run';

function implOption(value: string): string {
  try {
    parseImplSpec(value);
  } catch (e) {
    if (e instanceof ImplSpecError) throw new InvalidArgumentError(e.message);
    throw e;
  }
  return value;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number, not "${value}"`);
  return n;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function buildProgram(): Command {
  const program = new Command('vmx-conform')
    .description('An executable conformance suite for Intel VMX (VT-x)')
    .version(suiteVersion())
    .showHelpAfterError();

  program
    .command('run')
    .description('run the conformance suite on an implementation and write the reports')
    .argument('[paths...]', 'feature files or folders (default: features/)')
    .option('--impl <spec>', `the implementation to test:\n${IMPL_SPEC_HELP}`, implOption, 'reference')
    .option('--profile <name>', 'capability profile to reset the implementation with (default: its first)')
    .option('--bochs-cpu <model>', 'with --impl bochs: the Bochs CPU model (default corei7_skylake_x; docs/bochs.md)')
    .option('--tags <expression>', 'cucumber tag expression selecting scenarios, e.g. "@area:vm-entry and not @slow"')
    .option('--name <regexp>', 'only scenarios whose name matches (repeatable)', collect)
    .option('--parallel <n>', 'worker processes', positiveInt, 0)
    .option('--reports <dir>', 'where to write the reports', 'reports')
    .option('--fail-fast', 'stop at the first failing scenario')
    .option('--no-allure', 'skip the Allure results and HTML report')
    .option('--quiet', 'print only the summary')
    .option('--expectations <file>', 'known deviations of this implementation (JSON; see docs/expectations.md)')
    .action(async (paths: string[], opts) => {
      const impl = opts.bochsCpu && opts.impl === 'bochs' ? `bochs:${opts.bochsCpu}` : opts.impl;
      process.exitCode = await runSuite({ ...opts, impl, paths });
    });

  program
    .command('matrix')
    .description('run the suite on several implementations and write reports/matrix.html and matrix.json')
    .argument('[paths...]', 'feature files or folders (default: features/)')
    .requiredOption('--impl <spec>', 'an implementation (repeat for each column)', (v: string, prev: string[] = []) => [...prev, implOption(v)])
    .option('--expectations <spec=file>', 'expectations file for one implementation, e.g. bochs=expectations/bochs.json (repeatable)', collect)
    .option('--profile <name>', 'capability profile for every implementation')
    .option('--tags <expression>', 'cucumber tag expression')
    .option('--reports <dir>', 'where to write the reports', 'reports')
    .action(async (paths: string[], opts) => {
      const { runMatrix } = require('./matrix') as typeof import('./matrix');
      process.exitCode = await runMatrix({ ...opts, paths });
    });

  program
    .command('serve')
    .description('serve the reference emulator over the JSON-lines protocol on stdin/stdout (docs/protocol.md)')
    .action(async () => {
      const { createReferenceImplementation } = require('../emulator/index') as typeof import('../emulator/index');
      const { serve } = require('../adapters/stdio-server') as typeof import('../adapters/stdio-server');
      await serve(createReferenceImplementation(), process.stdin, process.stdout);
    });

  program
    .command('list')
    .description('list features and scenarios with their tags and SDM references')
    .argument('[paths...]', 'feature files or folders (default: features/)')
    .option('--json', 'print JSON')
    .action((paths: string[], opts: { json?: boolean }) => {
      const files = findFeatureFiles(paths.length ? paths : [path.resolve(__dirname, '..', '..', 'features')]);
      const { features, errors } = parseFeatures(files);
      if (opts.json) {
        process.stdout.write(JSON.stringify({ features, errors }, null, 2) + '\n');
      } else {
        for (const f of features) {
          process.stdout.write(`${path.relative(process.cwd(), f.uri)}: ${f.name}  ${f.tags.join(' ')}\n`);
          for (const s of f.scenarios) {
            const sdm = s.tags.filter((t) => t.startsWith('@sdm:')).map((t) => `SDM ${t.slice(5)}`).join(', ');
            const rest = s.tags.filter((t) => !t.startsWith('@sdm:') && !f.tags.includes(t)).join(' ');
            process.stdout.write(`  ${String(s.line).padStart(4)}  ${s.name}${sdm ? `  [${sdm}]` : ''}${rest ? `  ${rest}` : ''}\n`);
          }
        }
        for (const e of errors) process.stdout.write(`Gherkin syntax error:\n${e.message}\n`);
      }
      if (errors.length) process.exitCode = 1;
    });

  return program;
}

export function main(argv: string[]): void {
  buildProgram().parseAsync(argv).catch((e) => {
    process.stderr.write(`vmx-conform: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 2;
  });
}

if (require.main === module) main(process.argv);
