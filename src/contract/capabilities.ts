/**
 * The controlled vocabulary of `@requires:<capability>` tags, and how each is decided from what an
 * implementation reports: its VMX capability MSRs (SDM Appendix A "VMX Capability Reporting Facility")
 * and its declared extensions. A tag outside this vocabulary is an error (test/contract/vocabulary.test.ts
 * checks every feature file).
 */
import { CONTROLS, CONTROL_FIELDS, PROC, type ControlBit } from '../arch/controls';
import { normalizeName } from '../arch/names';
import { EPT_VPID_CAP, VMX_BASIC, VMX_MISC } from '../arch/msrs';
import { EXTENSIONS, type Capabilities, type ImplementationInfo } from './types';

export interface CapabilityContext {
  caps: Capabilities;
  info: ImplementationInfo;
}

type Decider = (c: CapabilityContext) => boolean;

function msr(c: CapabilityContext, name: string): bigint | undefined {
  return c.caps.msrs[name];
}

/** Which MSR reports a control field's allowed settings (TRUE_* when IA32_VMX_BASIC[55] says so; SDM A.2–A.5). */
function controlMsr(c: CapabilityContext, control: Pick<ControlBit, 'field'>): bigint | undefined {
  const info = CONTROL_FIELDS[control.field];
  const basic = msr(c, 'IA32_VMX_BASIC');
  const useTrue = info.trueCapabilityMsr !== undefined && basic !== undefined && VMX_BASIC.trueControls(basic);
  const addr = useTrue ? info.trueCapabilityMsr! : info.capabilityMsr;
  const name = MSR_NAME_BY_ADDRESS.get(addr);
  return name ? msr(c, name) : undefined;
}

const MSR_NAME_BY_ADDRESS = new Map<number, string>([
  [0x481, 'IA32_VMX_PINBASED_CTLS'], [0x482, 'IA32_VMX_PROCBASED_CTLS'], [0x483, 'IA32_VMX_EXIT_CTLS'],
  [0x484, 'IA32_VMX_ENTRY_CTLS'], [0x48b, 'IA32_VMX_PROCBASED_CTLS2'], [0x48d, 'IA32_VMX_TRUE_PINBASED_CTLS'],
  [0x48e, 'IA32_VMX_TRUE_PROCBASED_CTLS'], [0x48f, 'IA32_VMX_TRUE_EXIT_CTLS'], [0x490, 'IA32_VMX_TRUE_ENTRY_CTLS'],
  [0x492, 'IA32_VMX_PROCBASED_CTLS3'],
]);

/**
 * The allowed settings of a 32-bit control field as (allowed-0, allowed-1) masks (SDM A.3–A.5): a bit set in
 * allowed0 must be 1; a bit clear in allowed1 must be 0. Reserved default1 bits with no named control are
 * included, which is why callers building a control value start from this rather than from CONTROLS.
 */
export function controlFieldAllowed(c: CapabilityContext, field: ControlBit['field']): { allowed0: number; allowed1: number } {
  const v = controlMsr(c, { field });
  if (v === undefined) return { allowed0: 0, allowed1: 0 };
  return { allowed0: Number(v & 0xffffffffn), allowed1: Number(v >> 32n) };
}

/** Allowed settings of one control bit: can it be 0, can it be 1. */
export function controlAllowed(c: CapabilityContext, control: ControlBit): { zero: boolean; one: boolean } {
  const v = controlMsr(c, control);
  if (v === undefined) return { zero: true, one: false };
  if (control.field === 'tertiary processor-based') {
    // IA32_VMX_PROCBASED_CTLS3 reports only allowed-1 settings (SDM A.3.4).
    return { zero: true, one: ((v >> BigInt(control.bit)) & 1n) === 1n && outerAllows(c, control) };
  }
  const allowed0 = Number(v & 0xffffffffn);
  const allowed1 = Number(v >> 32n);
  const bit = (1 << control.bit) >>> 0;
  return { zero: (allowed0 & bit) === 0, one: (allowed1 & bit) !== 0 && outerAllows(c, control) };
}

/** Secondary/tertiary controls are usable only when the primary "activate" control can be 1. */
function outerAllows(c: CapabilityContext, control: ControlBit): boolean {
  if (control.field !== 'secondary processor-based' && control.field !== 'tertiary processor-based') return true;
  const activate = CONTROLS.find((x) =>
    x.field === 'primary processor-based' &&
    x.bit === (control.field === 'secondary processor-based' ? bitOf(PROC.ACTIVATE_SECONDARY_CONTROLS) : bitOf(PROC.ACTIVATE_TERTIARY_CONTROLS)));
  return activate !== undefined && controlAllowed(c, activate).one;
}

function bitOf(mask: number): number {
  return 31 - Math.clz32(mask >>> 0);
}

function eptVpidCap(bit: bigint): Decider {
  return (c) => {
    const v = msr(c, 'IA32_VMX_EPT_VPID_CAP');
    return v !== undefined && (v & bit) !== 0n;
  };
}

const kebab = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
const SHORT_FIELD: Record<ControlBit['field'], string> = {
  'pin-based': 'pin', 'primary processor-based': 'primary', 'secondary processor-based': 'secondary',
  'tertiary processor-based': 'tertiary', 'VM-exit': 'exit', 'VM-entry': 'entry',
};
const NAME_COUNT = new Map<string, number>();
for (const c of CONTROLS) NAME_COUNT.set(kebab(c.name), (NAME_COUNT.get(kebab(c.name)) ?? 0) + 1);

/**
 * Kebab-case tag form of a control's SDM name: "HLT exiting" → "hlt-exiting". A name that more than one
 * control field uses gets its field in front: "exit-load-ia32-efer", "entry-load-ia32-efer".
 */
export function controlTag(control: ControlBit): string {
  const k = kebab(control.name);
  return NAME_COUNT.get(k)! > 1 ? `${SHORT_FIELD[control.field]}-${k}` : k;
}

const VOCABULARY = new Map<string, { description: string; decide: Decider }>();

for (const [name, description] of Object.entries(EXTENSIONS)) {
  VOCABULARY.set(name, { description: `extension: ${description}`, decide: (c) => c.info.extensions.includes(name) });
}
for (const control of CONTROLS) {
  const tag = controlTag(control);
  const where = `${control.field} control "${control.name}"`;
  VOCABULARY.set(tag, { description: `the 1-setting of the ${where}`, decide: (c) => controlAllowed(c, control).one });
  VOCABULARY.set(`no-${tag}`, { description: `the 0-setting of the ${where}`, decide: (c) => controlAllowed(c, control).zero });
}
const extra: Record<string, { description: string; decide: Decider }> = {
  'true-controls': {
    description: 'IA32_VMX_BASIC[55]: the TRUE capability MSRs exist (default1 controls may be 0)',
    decide: (c) => { const b = msr(c, 'IA32_VMX_BASIC'); return b !== undefined && VMX_BASIC.trueControls(b); },
  },
  'vmwrite-any-field': {
    description: 'IA32_VMX_MISC[29]: VMWRITE may write VM-exit information fields',
    decide: (c) => { const m = msr(c, 'IA32_VMX_MISC'); return m !== undefined && VMX_MISC.vmwriteAnyField(m); },
  },
  'activity-hlt': {
    description: 'IA32_VMX_MISC[6]: the HLT activity state is supported',
    decide: (c) => { const m = msr(c, 'IA32_VMX_MISC'); return m !== undefined && VMX_MISC.activityHlt(m); },
  },
  'activity-shutdown': {
    description: 'IA32_VMX_MISC[7]: the shutdown activity state is supported',
    decide: (c) => { const m = msr(c, 'IA32_VMX_MISC'); return m !== undefined && VMX_MISC.activityShutdown(m); },
  },
  'activity-wait-for-sipi': {
    description: 'IA32_VMX_MISC[8]: the wait-for-SIPI activity state is supported',
    decide: (c) => { const m = msr(c, 'IA32_VMX_MISC'); return m !== undefined && VMX_MISC.activityWaitForSipi(m); },
  },
  'ept-2mb-pages': { description: 'IA32_VMX_EPT_VPID_CAP[16]: 2-MByte EPT pages', decide: eptVpidCap(EPT_VPID_CAP.PDE_2MB_PAGES) },
  'ept-1gb-pages': { description: 'IA32_VMX_EPT_VPID_CAP[17]: 1-GByte EPT pages', decide: eptVpidCap(EPT_VPID_CAP.PDPTE_1GB_PAGES) },
  'ept-accessed-dirty': { description: 'IA32_VMX_EPT_VPID_CAP[21]: EPT accessed and dirty flags', decide: eptVpidCap(EPT_VPID_CAP.ACCESSED_DIRTY_FLAGS) },
  invept: { description: 'IA32_VMX_EPT_VPID_CAP[20]: INVEPT is supported', decide: eptVpidCap(EPT_VPID_CAP.INVEPT) },
  'invept-single-context': { description: 'IA32_VMX_EPT_VPID_CAP[25]', decide: eptVpidCap(EPT_VPID_CAP.INVEPT_SINGLE_CONTEXT) },
  'invept-all-context': { description: 'IA32_VMX_EPT_VPID_CAP[26]', decide: eptVpidCap(EPT_VPID_CAP.INVEPT_ALL_CONTEXT) },
  invvpid: { description: 'IA32_VMX_EPT_VPID_CAP[32]: INVVPID is supported', decide: eptVpidCap(EPT_VPID_CAP.INVVPID) },
  'invvpid-individual-address': { description: 'IA32_VMX_EPT_VPID_CAP[40]', decide: eptVpidCap(EPT_VPID_CAP.INVVPID_INDIVIDUAL_ADDRESS) },
  'invvpid-single-context': { description: 'IA32_VMX_EPT_VPID_CAP[41]', decide: eptVpidCap(EPT_VPID_CAP.INVVPID_SINGLE_CONTEXT) },
  'invvpid-all-context': { description: 'IA32_VMX_EPT_VPID_CAP[42]', decide: eptVpidCap(EPT_VPID_CAP.INVVPID_ALL_CONTEXT) },
  'invvpid-single-context-retaining-globals': { description: 'IA32_VMX_EPT_VPID_CAP[43]', decide: eptVpidCap(EPT_VPID_CAP.INVVPID_SINGLE_CONTEXT_RETAINING_GLOBALS) },
};
for (const [k, v] of Object.entries(extra)) VOCABULARY.set(k, v);

export function capabilityNames(): string[] {
  return [...VOCABULARY.keys()].sort();
}

export function describeCapability(name: string): string | undefined {
  return VOCABULARY.get(name)?.description;
}

export class UnknownCapabilityError extends Error {}

export function hasCapability(c: CapabilityContext, name: string): boolean {
  const entry = VOCABULARY.get(name);
  if (!entry) {
    const key = normalizeName(name);
    const close = capabilityNames().filter((n) => normalizeName(n).includes(key) || key.includes(normalizeName(n))).slice(0, 3);
    throw new UnknownCapabilityError(
      `unknown capability "@requires:${name}"${close.length ? `; did you mean: ${close.map((n) => `"${n}"`).join(', ')}?` : ''} (see docs/capabilities.md)`,
    );
  }
  return entry.decide(c);
}

/** The capabilities a scenario's tags require (tags of the form @requires:<name>). */
export function requiredCapabilities(tags: readonly string[]): string[] {
  return tags.filter((t) => t.startsWith('@requires:')).map((t) => t.slice('@requires:'.length));
}
