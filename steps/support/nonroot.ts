/**
 * VMM helpers for the non-root, events, exit-information and baseline steps: guest state a VMM adjusts in
 * the VMCS before VM entry, the bitmaps it points the VMCS at, reading what the guest left in its registers
 * and memory after a VM exit, and skipping a scenario whose processor lacks an instruction.
 *
 * Everything here is what a hypervisor does through the contract (VMREAD/VMWRITE, memory, getState,
 * CPUID/RDMSR/WRMSR in root operation). Layouts written here (I/O and MSR bitmaps, page-table entries,
 * IDT gates) are the VMM's side of SDM facts; the feature files state the rules under test by hand.
 */
import { defineParameterType } from '@cucumber/cucumber';
import { CR0, CR4, RFLAGS } from '../../src/arch/x86';
import { VMX_BASIC } from '../../src/arch/msrs';
import { NameTable } from '../../src/arch/names';
import { STATUS_MEDIA_TYPE } from '../../src/report/media-types';
import { hexOf } from './format';
import { GUEST_GDT, LAYOUT, replacer, vmread, vmwrite } from './vmm';
import type { VmxWorld } from './world';

// ---------------------------------------------------------------------------------------------------------
// Skipping a scenario the processor cannot run (reported as skipped-unsupported, like a @requires tag).

/**
 * Report the scenario as skipped-unsupported and return cucumber's 'skipped'. For facts the @requires
 * vocabulary cannot express (CPUID feature flags, IA32_VMX_BASIC[54], CR4 bits allowed in VMX operation).
 */
export function skipUnsupported(world: VmxWorld, lacks: string): 'skipped' {
  const reason = `unsupported: the implementation lacks ${lacks}`;
  world.note(reason);
  world.attach(JSON.stringify({ status: 'skipped-unsupported', reason }), STATUS_MEDIA_TYPE);
  return 'skipped';
}

/** CPUID feature flags (SDM Vol. 2A CPUID, "Feature Information" tables), as the VMM reads them in root operation. */
interface CpuidFeature {
  name: string;
  leaf: number;
  subleaf: number;
  register: 'eax' | 'ebx' | 'ecx' | 'edx';
  bit: number;
}

const CPUID_FEATURES: CpuidFeature[] = [
  { name: 'MONITOR/MWAIT', leaf: 1, subleaf: 0, register: 'ecx', bit: 3 },
  { name: 'SMX', leaf: 1, subleaf: 0, register: 'ecx', bit: 6 },
  { name: 'XSAVE', leaf: 1, subleaf: 0, register: 'ecx', bit: 26 },
  { name: 'RDRAND', leaf: 1, subleaf: 0, register: 'ecx', bit: 30 },
  { name: 'SGX', leaf: 7, subleaf: 0, register: 'ebx', bit: 2 },
  { name: 'INVPCID', leaf: 7, subleaf: 0, register: 'ebx', bit: 10 },
  { name: 'RDSEED', leaf: 7, subleaf: 0, register: 'ebx', bit: 18 },
  { name: 'WAITPKG', leaf: 7, subleaf: 0, register: 'ecx', bit: 5 },
  { name: 'KEYLOCKER', leaf: 7, subleaf: 0, register: 'ecx', bit: 23 },
  { name: 'PCONFIG', leaf: 7, subleaf: 0, register: 'edx', bit: 18 },
  { name: 'SGX1', leaf: 0x12, subleaf: 0, register: 'eax', bit: 0 },
  { name: 'XSAVES', leaf: 0xd, subleaf: 1, register: 'eax', bit: 3 },
  { name: 'WBNOINVD', leaf: 0x80000008, subleaf: 0, register: 'ebx', bit: 9 },
  { name: 'RDTSCP', leaf: 0x80000001, subleaf: 0, register: 'edx', bit: 27 },
];

const FEATURES = new NameTable<CpuidFeature>('CPUID feature');
for (const f of CPUID_FEATURES) FEATURES.add(f.name, f);

defineParameterType({
  name: 'cpuid-feature',
  regexp: /([A-Z][A-Z0-9/]*)/,
  transformer: (token: string): CpuidFeature => FEATURES.get(token),
});

/** The VMM executes CPUID in root operation and reports whether the feature flag is 1. */
export async function cpuidHas(world: VmxWorld, f: CpuidFeature): Promise<boolean> {
  if (f.leaf >= 0x80000000 || f.leaf >= 7) {
    const base = f.leaf >= 0x80000000 ? 0x80000000 : 0;
    const max = await world.execute({ mnemonic: 'CPUID', leaf: base, subleaf: 0 });
    if (max.kind !== 'completed' || (max.values?.eax ?? 0n) < BigInt(f.leaf)) return false;
  }
  const o = await world.execute({ mnemonic: 'CPUID', leaf: f.leaf, subleaf: f.subleaf });
  if (o.kind !== 'completed') throw new Error(`CPUID leaf ${hexOf(f.leaf)} in root operation did not complete: ${JSON.stringify(o, replacer)}`);
  const v = o.values?.[f.register];
  if (v === undefined) throw new Error(`CPUID leaf ${hexOf(f.leaf)} returned no ${f.register.toUpperCase()}`);
  return ((v >> BigInt(f.bit)) & 1n) === 1n;
}

export { type CpuidFeature };

/** IA32_VMX_BASIC[54]: VM exits due to INS/OUTS report VM-exit instruction information (SDM A.1). */
export function reportsInsOutsInformation(world: VmxWorld): boolean {
  const basic = world.caps.msrs.IA32_VMX_BASIC;
  return basic !== undefined && VMX_BASIC.insOutsInfo(basic);
}

// ---------------------------------------------------------------------------------------------------------
// Guest state in the VMCS.

const CR_BITS = { CR0: CR0 as Record<string, number>, CR4: CR4 as Record<string, number> };
const RFLAGS_BITS = RFLAGS as Record<string, number>;

/** The bit mask of a named CR0/CR4/RFLAGS flag, by its SDM name ("TS", "OSXSAVE", "IF"). */
export function flagMask(register: 'CR0' | 'CR4' | 'RFLAGS', name: string): bigint {
  const table = register === 'RFLAGS' ? RFLAGS_BITS : CR_BITS[register];
  const key = name.toUpperCase();
  const m = table[key];
  if (m === undefined || key.endsWith('_MASK') || key.endsWith('_SHIFT') || key === 'FIXED1') {
    const names = Object.keys(table).filter((k) => !k.endsWith('_MASK') && !k.endsWith('_SHIFT') && k !== 'FIXED1');
    throw new Error(`unknown ${register} flag "${name}"; ${register} flags are ${names.join(', ')}`);
  }
  return BigInt(m >>> 0);
}

/** Set or clear bits of a guest-state field (read-modify-write with VMREAD/VMWRITE). */
export async function updateField(world: VmxWorld, field: string, mask: bigint, on: boolean): Promise<void> {
  const v = await vmread(world, field);
  await vmwrite(world, field, on ? v | mask : v & ~mask);
}

/**
 * Put the guest at CPL 3 at VM entry: CS and SS (and the data segments) are the ring-3 descriptors of the
 * guest GDT, so CPL = SS.DPL = 3 (SDM 25.4.1 "Guest Register State": the CPL is SS.DPL), on its own stack
 * below the kernel stack that the TSS names as RSP0. The GDT limit is raised to cover those descriptors.
 */
export async function startGuestAtCpl3(world: VmxWorld): Promise<void> {
  await vmwrite(world, 'GUEST_GDTR_LIMIT', GUEST_GDT.fullLimit);
  // Access rights (SDM 25.4.1, Table "Format of Access Rights"): type, S, DPL, P, L, D/B, G.
  await vmwrite(world, 'GUEST_CS_SELECTOR', GUEST_GDT.userCode);
  await vmwrite(world, 'GUEST_CS_AR_BYTES', 0xa0fbn); // execute/read accessed, DPL 3, present, L = 1, G = 1
  for (const s of ['SS', 'DS', 'ES', 'FS', 'GS']) {
    await vmwrite(world, `GUEST_${s}_SELECTOR`, GUEST_GDT.userData);
    await vmwrite(world, `GUEST_${s}_AR_BYTES`, 0xc0f3n); // read/write accessed, DPL 3, present, D/B = 1, G = 1
  }
  await vmwrite(world, 'GUEST_RSP', USER_STACK_TOP);
  world.memo.set('guestCpl', 3);
}

/** The ring-3 stack of a guest started at CPL 3 (the kernel stack, RSP0, is LAYOUT.guestStackTop). */
export const USER_STACK_TOP = LAYOUT.guestStackTop - 0x10000n;

// ---------------------------------------------------------------------------------------------------------
// I/O bitmaps (SDM 25.6.4) and MSR bitmaps (SDM 25.6.9).

const PAGE = 4096;

export async function provideIoBitmaps(world: VmxWorld): Promise<void> {
  await world.writeMemory(LAYOUT.ioBitmapA, new Uint8Array(PAGE), 'I/O bitmap A (all clear)');
  await world.writeMemory(LAYOUT.ioBitmapB, new Uint8Array(PAGE), 'I/O bitmap B (all clear)');
  await vmwrite(world, 'IO_BITMAP_A', LAYOUT.ioBitmapA);
  await vmwrite(world, 'IO_BITMAP_B', LAYOUT.ioBitmapB);
}

export async function setBitInPage(world: VmxWorld, page: bigint, bit: bigint, label: string): Promise<void> {
  if (bit < 0n || bit >= BigInt(PAGE * 8)) throw new Error(`bit ${hexOf(bit)} is outside a 4-KByte bitmap (bits 0 to 0x7fff)`);
  const addr = page + bit / 8n;
  const [byte] = await world.readMemory(addr, 1);
  await world.writeMemory(addr, Uint8Array.of(byte | (1 << Number(bit % 8n))), label);
}

/** The four 1-KByte parts of the MSR-bitmap page and their offsets (SDM 25.6.9 "MSR-Bitmap Address"). */
export const MSR_BITMAP_PARTS: Record<string, number> = {
  'read bitmap for low MSRs': 0,
  'read bitmap for high MSRs': 1024,
  'write bitmap for low MSRs': 2048,
  'write bitmap for high MSRs': 3072,
};

export async function provideMsrBitmaps(world: VmxWorld): Promise<void> {
  await world.writeMemory(LAYOUT.msrBitmap, new Uint8Array(PAGE), 'MSR bitmaps (all clear)');
  await vmwrite(world, 'MSR_BITMAP', LAYOUT.msrBitmap);
}

defineParameterType({
  name: 'io-bitmap',
  regexp: /I\/O bitmap ([AB])/,
  transformer: (letter: string): 'A' | 'B' => letter as 'A' | 'B',
});

defineParameterType({
  name: 'msr-bitmap',
  regexp: /((?:read|write) bitmap for (?:low|high) MSRs)/,
  transformer: (s: string): string => s,
});

// ---------------------------------------------------------------------------------------------------------
// Observing the guest after a VM exit.

/**
 * The basic exit reason of the guest's last VM exit, or undefined if the last guest run did not end in one.
 * Taken from the run's outcome when the last operation was that run; otherwise (assertion steps have since
 * executed VMREADs) read back from the "Exit reason" field, as a VMM does.
 */
export async function lastBasicExitReason(world: VmxWorld): Promise<number | undefined> {
  const last = world.last;
  if (last && (last.what === 'VMLAUNCH' || last.what === 'VMRESUME' || last.what === 'guest run')) {
    return last.outcome.kind === 'vm-exit' ? last.outcome.exitReason & 0xffff : undefined;
  }
  const { ['vmx.mode']: mode } = await world.getState(['vmx.mode']);
  if (mode !== 1n) return undefined;
  const reason = await vmread(world, 'VM_EXIT_REASON');
  return (reason & 0x80000000n) !== 0n ? undefined : Number(reason & 0xffffn);
}

/**
 * General-purpose registers as the VMM sees them after a VM exit. VM exits do not save or load these
 * (SDM 28.3 "Saving Guest State" lists no GPR other than RSP and RIP, 28.5 loads only RSP and RIP from the
 * host-state area), so in root operation right after the exit they hold the guest's values. RSP, RIP and
 * RFLAGS are the host's after a VM exit: read them with VMREAD ("Guest RSP", "Guest RIP", "Guest RFLAGS").
 */
export const GUEST_GPRS = ['RAX', 'RBX', 'RCX', 'RDX', 'RSI', 'RDI', 'RBP', 'R8', 'R9', 'R10', 'R11', 'R12', 'R13', 'R14', 'R15'];

defineParameterType({
  name: 'gpr',
  regexp: /(R[A-Z0-9]{1,2})/,
  transformer: (token: string): string => {
    const t = token.toUpperCase();
    if (t === 'RSP' || t === 'RIP') {
      throw new Error(`${t} after a VM exit is the host's (SDM 28.5.3); read the guest's with "Guest ${t}" instead`);
    }
    if (!GUEST_GPRS.includes(t)) throw new Error(`"${token}" is not a general-purpose register; use one of ${GUEST_GPRS.join(', ')}`);
    return t.toLowerCase();
  },
});

export async function guestGpr(world: VmxWorld, name: string): Promise<bigint> {
  const values = await world.getState([name]);
  return values[name];
}

export type Width = 'byte' | 'word' | 'dword' | 'qword';
export const WIDTH_BYTES: Record<Width, number> = { byte: 1, word: 2, dword: 4, qword: 8 };

defineParameterType({
  name: 'width',
  regexp: /(byte|word|dword|qword)/,
  transformer: (s: string): Width => s as Width,
});

export async function readGuestPhysical(world: VmxWorld, address: bigint, width: Width): Promise<bigint> {
  const bytes = await world.readMemory(address, WIDTH_BYTES[width]);
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

export async function vectorCount(world: VmxWorld, vector: number): Promise<number> {
  const [count] = await world.readMemory(GUEST_GDT.vectorLog + BigInt(vector), 1);
  return count;
}

/** Parse an inclusive bit range "3:0" or a single bit "31" as written in the SDM's tables. */
export function parseBits(text: string): { high: number; low: number } {
  const m = text.trim().match(/^(\d+)(?::(\d+))?$/);
  if (!m) throw new Error(`bit positions "${text}" should read like the SDM's tables: "31" or "11:8"`);
  const high = Number(m[1]);
  const low = m[2] === undefined ? high : Number(m[2]);
  if (high < low || high > 63) throw new Error(`bit positions "${text}": write the high bit first, at most 63`);
  return { high, low };
}

export function bitsOf(value: bigint, high: number, low: number): bigint {
  return (value >> BigInt(low)) & ((1n << BigInt(high - low + 1)) - 1n);
}
