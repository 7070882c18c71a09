/**
 * Generated reference docs, so that each fact has one source:
 *   docs/capabilities.md  from the vocabulary in src/contract/capabilities.ts
 *   docs/steps.md         from the step definitions in steps/*.steps.ts (pattern + the comment above it)
 * `npm run docs` rewrites both; test/contract/vocabulary.test.ts fails when either is stale.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { capabilityNames, describeCapability } from '../src/contract/capabilities';

const ROOT = path.resolve(__dirname, '..');

export function capabilitiesDoc(): string {
  const rows = capabilityNames().map((n) => `| \`@requires:${n}\` | ${describeCapability(n)} |`);
  return [
    '# Capability vocabulary',
    '',
    'Scenarios declare what they need with `@requires:<name>` tags. A scenario whose requirement the',
    'implementation does not meet (by its VMX capability MSRs, SDM Vol. 3C Appendix A, or its declared',
    'extensions) is reported as skipped-unsupported. Any other `@requires:` tag is an error.',
    '',
    'A control whose SDM name more than one control field uses carries its field in front',
    '(`exit-load-ia32-efer`, `entry-load-ia32-efer`). `no-<control>` asks for the 0-setting.',
    '',
    'This file is generated from `src/contract/capabilities.ts` by `npm run docs`; do not edit it by hand.',
    '',
    '| tag | meaning |',
    '|---|---|',
    ...rows,
    '',
  ].join('\n');
}

const PARAMETERS: [string, string][] = [
  ['{field}', 'a VMCS field in quotes, by SDM name or Linux-style id: `"Guest RIP"`, `"GUEST_RIP"`, `"0x681e"`'],
  ['{control}', 'a VMX control in quotes, by SDM name: `"HLT exiting"`; qualify names used by two fields: `"VM-entry: Load IA32_EFER"`'],
  ['{exit-reason}', 'a basic exit reason as number and SDM Appendix C name: `10 ("CPUID")` (both are checked)'],
  ['{vm-error}', 'a VM-instruction error as number and SDM text: `15 ("VMXON executed in VMX root operation")`'],
  ['{exception}', 'an exception mnemonic with optional error code: `#UD`, `#GP(0)`'],
  ['{value}', 'a number, decimal or 0x-hex, `_` allowed as separator'],
  ['{vmm-instruction}', 'an instruction the VMM executes: VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMLAUNCH, VMRESUME, VMCALL, INVEPT, INVVPID, CPUID, RDMSR, WRMSR, MOV-TO-CR'],
  ['{set-or-clear}', '`set` or `clear`'],
  ['{gpr}', 'a 64-bit general-purpose register of the guest: `RAX` … `R15`'],
  ['{width}', '`byte`, `word`, `dword` or `qword`'],
  ['{io-bitmap}', '`I/O bitmap A` (ports 0000H–7FFFH) or `I/O bitmap B` (ports 8000H–FFFFH)'],
  ['{msr-bitmap}', 'one of the four MSR bitmaps: `read bitmap for low MSRs`, `read bitmap for high MSRs`, `write bitmap for low MSRs`, `write bitmap for high MSRs`'],
  ['{vmcs-bitmap}', '`VMREAD bitmap` or `VMWRITE bitmap`'],
  ['{cpuid-feature}', 'a CPUID feature by name, e.g. `MONITOR/MWAIT`, `XSAVE`, `RDRAND` (list in steps/support/nonroot.ts)'],
  ['{guest-flag}', 'a bit of the guest\'s CR0, CR4 or RFLAGS: `CR4.OSXSAVE`, `RFLAGS.IF`'],
  ['{ept-page-size}', 'the page size of the VMM\'s EPT identity map: `4-KByte`, `2-MByte` or `1-GByte`'],
  ['{ept-permissions}', 'bits 2:0 of an EPT entry as the letters R, W, X in that order, `-` for 0: `R-X`, `RW-`, `---`'],
];

/** Every parameter type the step files define must be documented above. */
function undocumentedParameters(files: string[]): string[] {
  const documented = new Set(PARAMETERS.map(([p]) => p.slice(1, -1)));
  const defined = files.flatMap((f) => [...fs.readFileSync(f, 'utf8').matchAll(/defineParameterType\(\{\s*name:\s*'([^']+)'/g)].map((m) => m[1]));
  return defined.filter((n) => !documented.has(n));
}

function stepSources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? stepSources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []);
}

export function stepsDoc(): string {
  const dir = path.join(ROOT, 'steps');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.steps.ts')).sort();
  const missing = undocumentedParameters(stepSources(dir));
  if (missing.length) throw new Error(`parameter types without documentation in scripts/docs.ts PARAMETERS: ${missing.join(', ')}`);
  const out = [
    '# Step vocabulary',
    '',
    'Every step a feature file may use, by file. Generated from `steps/*.steps.ts` by `npm run docs`; do not',
    'edit by hand. An unknown name in a step (field, control, exit reason, instruction) fails that step with',
    'a message naming the token and the closest valid names.',
    '',
    '## Parameters',
    '',
    '| parameter | what it accepts |',
    '|---|---|',
    ...PARAMETERS.map(([p, d]) => `| \`${p}\` | ${d} |`),
    '',
  ];
  const re = /(?:\/\*\*\s*((?:(?!\*\/)[\s\S])*)\*\/\s*)?\b(Given|When|Then)\(\s*'((?:[^'\\]|\\.)*)'/g;
  for (const f of files) {
    const src = fs.readFileSync(path.join(dir, f), 'utf8');
    const header = src.match(/^\/\*\*([\s\S]*?)\*\//)?.[1].replace(/^\s*\* ?/gm, '').trim().replace(/\s+/g, ' ');
    out.push(`## ${f.replace('.steps.ts', '')}`, '', header ? `${header}\n` : '');
    for (const m of src.matchAll(re)) {
      const doc = m[1]?.replace(/^\s*\* ?/gm, '').trim().replace(/\s+/g, ' ');
      out.push(`- **${m[2]}** \`${m[3].replace(/\\'/g, "'")}\`${doc ? ` — ${doc}` : ''}`);
    }
    out.push('');
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n');
}

if (require.main === module) {
  for (const [name, body] of [['capabilities.md', capabilitiesDoc()], ['steps.md', stepsDoc()]] as const) {
    fs.writeFileSync(path.join(ROOT, 'docs', name), body);
    process.stdout.write(`wrote docs/${name}\n`);
  }
}
