/**
 * The small VMM the steps play: the memory layout it uses, and the routine set-up a hypervisor performs
 * (enter VMX operation, prepare VMCS regions, program a valid 64-bit guest). Everything goes through the
 * contract, so the same set-up works on every implementation.
 *
 * All regions live in the physical window 0x200000–0x0fffffff, which every implementation must leave to
 * the scenarios (docs/contract.md "Memory available to scenarios").
 */
import { expect } from 'chai';
import { CONTROL_FIELDS, CONTROLS, ENTRY_CTL, EXIT_CTL, type ControlBit, type ControlField } from '../../src/arch/controls';
import { F, lookupField, type VmcsField } from '../../src/arch/vmcs-fields';
import { VMX_BASIC } from '../../src/arch/msrs';
import { controlAllowed, controlFieldAllowed, controlTag } from '../../src/contract/capabilities';
import type { VmxWorld } from './world';
import { hexOf } from './format';

export const LAYOUT = {
  vmxonRegion: 0x200000n,
  /** VMCS A, B, C … at consecutive pages. */
  vmcsBase: 0x201000n,
  shadowVmcs: 0x20f000n,
  ioBitmapA: 0x210000n,
  ioBitmapB: 0x211000n,
  msrBitmap: 0x212000n,
  vmreadBitmap: 0x213000n,
  vmwriteBitmap: 0x214000n,
  entryMsrLoad: 0x215000n,
  exitMsrStore: 0x216000n,
  exitMsrLoad: 0x217000n,
  virtualApic: 0x218000n,
  guestPml4: 0x300000n,
  guestPdpt: 0x301000n,
  guestPd: 0x302000n,
  guestGdt: 0x310000n,
  guestIdt: 0x311000n,
  guestTss: 0x312000n,
  /** Exception handlers the guest IDT points to: handler for vector v at guestHandlers + 16*v. */
  guestHandlers: 0x313000n,
  guestStackTop: 0x3f0000n,
  guestCode: 0x400000n,
  guestData: 0x500000n,
  eptPml4: 0x600000n,
} as const;

export function vmcsAddress(name: string): bigint {
  const letter = name.trim().toUpperCase();
  if (!/^[A-H]$/.test(letter)) throw new Error(`VMCS names are the letters A to H, not "${name}"`);
  return LAYOUT.vmcsBase + BigInt(letter.charCodeAt(0) - 65) * 0x1000n;
}

export function revisionId(world: VmxWorld): number {
  const basic = world.caps.msrs.IA32_VMX_BASIC;
  if (basic === undefined) throw new Error('the implementation reports no IA32_VMX_BASIC: it does not support VMX');
  return VMX_BASIC.revisionId(basic);
}

/** A 4-KiB region whose first dword is the given revision identifier and whose other bytes are zero. */
export async function prepareRegion(world: VmxWorld, address: bigint, revision = revisionId(world), label?: string): Promise<void> {
  const page = new Uint8Array(4096);
  new DataView(page.buffer).setUint32(0, revision >>> 0, true);
  await world.writeMemory(address, page, label ?? `region with revision identifier ${hexOf(revision)}`);
}

const CR4_VMXE = 1n << 13n;

export async function setCr4Vmxe(world: VmxWorld, on: boolean): Promise<void> {
  const { cr4 } = await world.getState(['cr4']);
  const value = on ? cr4 | CR4_VMXE : cr4 & ~CR4_VMXE;
  const o = await world.execute({ mnemonic: 'MOV-TO-CR', cr: 4, value });
  expect(o.kind, `MOV to CR4 (VMXE ${on ? 'set' : 'clear'}) during set-up`).to.equal('completed');
}

/** CR4.VMXE, a VMXON region (each logical processor needs its own), VMXON. */
export async function enterVmxOperation(world: VmxWorld, region: bigint = LAYOUT.vmxonRegion): Promise<void> {
  await setCr4Vmxe(world, true);
  await prepareRegion(world, region, undefined, 'VMXON region');
  const o = await world.execute({ mnemonic: 'VMXON', address: region });
  expect(o.kind, 'VMXON during set-up').to.equal('VMsucceed');
  world.memo.set('inVmx', true);
}

export async function makeCurrentVmcs(world: VmxWorld, name = 'A'): Promise<bigint> {
  const address = vmcsAddress(name);
  await prepareRegion(world, address, undefined, `VMCS ${name}`);
  for (const mnemonic of ['VMCLEAR', 'VMPTRLD'] as const) {
    const o = await world.execute({ mnemonic, address });
    expect(o.kind, `${mnemonic} of VMCS ${name} during set-up`).to.equal('VMsucceed');
  }
  world.memo.set('currentVmcs', name);
  return address;
}

export async function vmwrite(world: VmxWorld, field: VmcsField | string, value: bigint): Promise<void> {
  const f = typeof field === 'string' ? lookupField(field) : field;
  const o = await world.execute({ mnemonic: 'VMWRITE', encoding: BigInt(f.encoding), value });
  if (o.kind !== 'VMsucceed') {
    throw new Error(`VMWRITE of ${hexOf(value)} to "${f.name}" (${hexOf(f.encoding)}) failed during set-up: ${JSON.stringify(o, replacer)}`);
  }
}

export async function vmread(world: VmxWorld, field: VmcsField | string): Promise<bigint> {
  const f = typeof field === 'string' ? lookupField(field) : field;
  const o = await world.execute({ mnemonic: 'VMREAD', encoding: BigInt(f.encoding) });
  if (o.kind !== 'VMsucceed' || o.value === undefined) {
    throw new Error(`VMREAD of "${f.name}" (${hexOf(f.encoding)}) did not succeed: ${JSON.stringify(o, replacer)}`);
  }
  return o.value;
}

export function replacer(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? hexOf(v) : v;
}

/**
 * The value to write into a 32-bit control field: the requested bits plus every bit the capability MSR
 * requires to be 1 (allowed-0 settings, SDM A.3–A.5, including reserved default1 bits). A requested bit
 * the MSR does not allow is an error that names the missing @requires tag.
 */
export function controlFieldValue(world: VmxWorld, field: ControlField, requested: number): number {
  const { allowed0, allowed1 } = controlFieldAllowed({ caps: world.caps, info: world.info }, field);
  const refused = (requested & ~allowed1) >>> 0;
  if (refused !== 0) {
    const names = CONTROLS.filter((c) => c.field === field && (refused & ((1 << c.bit) >>> 0)) !== 0);
    throw new Error(`the implementation does not allow ${names.map((c) => `"${c.name}" = 1 (tag the scenario @requires:${controlTag(c)})`).join(', ') || `bits ${hexOf(refused)} of the ${field} controls`}`);
  }
  return (requested | allowed0) >>> 0;
}

const CONTROL_FIELD_ORDER: ControlField[] = [
  'pin-based', 'primary processor-based', 'secondary processor-based', 'VM-exit', 'VM-entry',
];

/** Set or clear one control in the current VMCS, keeping the field's other bits (and the tertiary field). */
export async function setControl(world: VmxWorld, control: ControlBit, on: boolean): Promise<void> {
  const allowed = controlAllowed({ caps: world.caps, info: world.info }, control);
  if (on && !allowed.one) {
    throw new Error(`the implementation does not allow "${control.name}" = 1; tag the scenario @requires:${controlTag(control)}`);
  }
  if (!on && !allowed.zero) {
    throw new Error(`the implementation does not allow "${control.name}" = 0; tag the scenario @requires:no-${controlTag(control)}`);
  }
  const info = CONTROL_FIELDS[control.field];
  const field = lookupField(hexOf(info.encoding));
  if (control.field === 'secondary processor-based' || control.field === 'tertiary processor-based') {
    // The secondary (tertiary) controls take effect only with "activate secondary (tertiary) controls" (SDM 25.6.2).
    const activate = CONTROLS.find((c) => c.field === 'primary processor-based' &&
      c.name.toLowerCase() === (control.field === 'secondary processor-based' ? 'activate secondary controls' : 'activate tertiary controls'))!;
    if (on) await setControl(world, activate, true);
  }
  const current = await vmread(world, field);
  const bit = control.field === 'tertiary processor-based' ? 1n << BigInt(control.bit) : BigInt((1 << control.bit) >>> 0);
  await vmwrite(world, field, on ? current | bit : current & ~bit);
  world.controlsTouched.add(control.name);
}

function u64le(values: bigint[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, v), true));
  return out;
}

/**
 * Identity-map the first GiB with 2-MiB pages (4-level paging, SDM Vol. 3A 4.5). Every entry has the U/S bit
 * (Vol. 3A 4.6 "Access Rights"), so guest code placed at CPL 3 can reach code, data and stack; with CR4.SMEP and
 * CR4.SMAP clear (the standard guest) this changes nothing for CPL 0.
 */
async function writeGuestPageTables(world: VmxWorld): Promise<void> {
  const P = 1n, RW = 2n, US = 4n, PS = 0x80n;
  await world.writeMemory(LAYOUT.guestPml4, u64le([LAYOUT.guestPdpt | P | RW | US, ...Array(511).fill(0n)]), 'guest PML4');
  await world.writeMemory(LAYOUT.guestPdpt, u64le([LAYOUT.guestPd | P | RW | US, ...Array(511).fill(0n)]), 'guest PDPT');
  const pd = Array.from({ length: 512 }, (_, i) => (BigInt(i) << 21n) | P | RW | US | PS);
  await world.writeMemory(LAYOUT.guestPd, u64le(pd), 'guest page directory (2-MiB pages, identity, user-accessible)');
}

/**
 * The guest's descriptor tables as writeGuestDescriptors lays them out. GDTR.limit of the standard guest
 * (0x27) covers the first five entries; a scenario that uses the ring-3 segments or the spare TSS raises it to
 * `fullLimit`. `vectorLog` is where each exception/interrupt handler stub counts its deliveries (one byte per
 * vector), so a scenario can see which of the guest's own handlers ran.
 */
export const GUEST_GDT = {
  kernelCode: 0x08n,
  kernelData: 0x10n,
  tss: 0x18n,
  /** Ring-3 data (DPL 3, RPL 3) and 64-bit code (DPL 3, RPL 3) selectors. */
  userData: 0x2bn,
  userCode: 0x33n,
  /** An available (not busy) 64-bit TSS descriptor for LTR. */
  spareTss: 0x38n,
  standardLimit: 0x27n,
  fullLimit: 0x47n,
  vectorLog: 0x314000n,
  /** RSP0 in the TSS: the stack a ring-3 → ring-0 event delivery switches to. */
  rsp0: LAYOUT.guestStackTop,
} as const;

/**
 * Guest GDT: null, 64-bit code (0x08), data (0x10), busy 64-bit TSS (0x18, 16 bytes), ring-3 data (0x28),
 * ring-3 64-bit code (0x30), available 64-bit TSS (0x38, 16 bytes). TSS: RSP0 = the guest stack top, I/O map
 * base beyond the TSS limit (so no I/O permission bitmap: every port is denied when CPL > IOPL).
 * IDT: 64-bit interrupt gates for all 256 vectors, each to a 16-byte stub that counts the delivery in the
 * vector's byte of GUEST_GDT.vectorLog and then halts (`inc byte [log+v]; hlt; jmp $-1`).
 */
async function writeGuestDescriptors(world: VmxWorld): Promise<void> {
  const tssBase = LAYOUT.guestTss;
  const tssDescriptor = (type: bigint): [bigint, bigint] => [
    0x67n | ((tssBase & 0xffffffn) << 16n) | ((0x80n | type) << 40n) | (((tssBase >> 24n) & 0xffn) << 56n),
    tssBase >> 32n,
  ];
  const [busyLow, busyHigh] = tssDescriptor(0xbn);
  const [availLow, availHigh] = tssDescriptor(0x9n);
  await world.writeMemory(
    LAYOUT.guestGdt,
    u64le([
      0n, 0x00af9b000000ffffn, 0x00cf93000000ffffn, busyLow, busyHigh,
      0x00cff3000000ffffn, 0x00affb000000ffffn, availLow, availHigh,
    ]),
    'guest GDT',
  );
  // IDT: 64-bit interrupt gates (type 0xE, present) for vectors 0–255 → handler stubs of 16 bytes each.
  const idt: bigint[] = [];
  for (let v = 0n; v < 256n; v++) {
    const h = LAYOUT.guestHandlers + v * 16n;
    const low = (h & 0xffffn) | (0x08n << 16n) | (0x8en << 40n) | (((h >> 16n) & 0xffffn) << 48n);
    idt.push(low, h >> 32n);
  }
  await world.writeMemory(LAYOUT.guestIdt, u64le(idt), 'guest IDT');
  // Stub for vector v: FE 04 25 <log+v> (inc byte ptr [log+v]), F4 (hlt), EB FD (jmp back to the hlt), NOPs.
  const stubs = new Uint8Array(256 * 16).fill(0x90);
  for (let v = 0; v < 256; v++) {
    const counter = Number(GUEST_GDT.vectorLog) + v;
    stubs.set([0xfe, 0x04, 0x25, counter & 0xff, (counter >> 8) & 0xff, (counter >> 16) & 0xff, counter >>> 24, 0xf4, 0xeb, 0xfd], v * 16);
  }
  await world.writeMemory(LAYOUT.guestHandlers, stubs, 'guest exception handler stubs');
  await world.writeMemory(GUEST_GDT.vectorLog, new Uint8Array(256), 'guest vector log (one counter byte per vector)');
  const tss = new Uint8Array(0x68);
  const tv = new DataView(tss.buffer);
  tv.setBigUint64(4, GUEST_GDT.rsp0, true); // RSP0
  tv.setUint16(0x66, 0x68, true); // I/O map base address beyond the limit: no I/O permission bitmap
  await world.writeMemory(LAYOUT.guestTss, tss, 'guest TSS');
}

/**
 * The host-state area of the current VMCS: the VMM's own state on the logical processor it runs on, as the
 * processor reports it (selectors with RPL = TI = 0, SDM 27.2.3). A VMM rewrites it when a VMCS moves to
 * another logical processor.
 */
export async function writeHostState(world: VmxWorld): Promise<void> {
  const w = (field: string, v: bigint) => vmwrite(world, field, v);
  const host = await world.getState([
    'cr0', 'cr3', 'cr4', 'rsp', 'rip', 'es.selector', 'cs.selector', 'ss.selector', 'ds.selector', 'fs.selector',
    'gs.selector', 'tr.selector', 'fs.base', 'gs.base', 'tr.base', 'gdtr.base', 'idtr.base',
    'msr:0x174', 'msr:0x175', 'msr:0x176',
  ]);
  await w('HOST_CR0', host.cr0);
  await w('HOST_CR3', host.cr3);
  await w('HOST_CR4', host.cr4);
  for (const seg of ['ES', 'CS', 'SS', 'DS', 'FS', 'GS', 'TR']) {
    await w(`HOST_${seg}_SELECTOR`, host[`${seg.toLowerCase()}.selector`] & 0xfff8n);
  }
  await w('HOST_FS_BASE', host['fs.base']);
  await w('HOST_GS_BASE', host['gs.base']);
  await w('HOST_TR_BASE', host['tr.base']);
  await w('HOST_GDTR_BASE', host['gdtr.base']);
  await w('HOST_IDTR_BASE', host['idtr.base']);
  await w('HOST_IA32_SYSENTER_CS', host['msr:0x174']);
  await w('HOST_IA32_SYSENTER_ESP', host['msr:0x175']);
  await w('HOST_IA32_SYSENTER_EIP', host['msr:0x176']);
  await w('HOST_RSP', host.rsp);
  await w('HOST_RIP', host.rip);

}

/**
 * Program the current VMCS with a valid 64-bit guest (IA-32e mode guest, paging on, flat segments, CPL 0)
 * and with the VMM's own state as host state, as SDM 27.2 "Checks on VMX Controls and Host-State Area" and
 * 27.3 "Checking and Loading Guest State" require. Controls carry only their required (default1) bits plus
 * "host address-space size" and "IA-32e mode guest".
 */
export async function programStandardGuest(world: VmxWorld): Promise<void> {
  await writeGuestPageTables(world);
  await writeGuestDescriptors(world);
  const w = (field: VmcsField | string, v: bigint) => vmwrite(world, field, v);

  for (const field of CONTROL_FIELD_ORDER) {
    if (field === 'secondary processor-based' && world.caps.msrs.IA32_VMX_PROCBASED_CTLS2 === undefined) continue;
    const requested =
      field === 'VM-exit' ? EXIT_CTL.HOST_ADDRESS_SPACE_SIZE : field === 'VM-entry' ? ENTRY_CTL.IA32E_MODE_GUEST : 0;
    await w(lookupField(hexOf(CONTROL_FIELDS[field].encoding)), BigInt(controlFieldValue(world, field, requested)));
  }
  await w('EXCEPTION_BITMAP', 0n);
  await w('CR3_TARGET_COUNT', 0n);
  await w('VM_EXIT_MSR_STORE_COUNT', 0n);
  await w('VM_EXIT_MSR_LOAD_COUNT', 0n);
  await w('VM_ENTRY_MSR_LOAD_COUNT', 0n);
  await w('VM_ENTRY_INTR_INFO_FIELD', 0n);
  await w('CR0_GUEST_HOST_MASK', 0n);
  await w('CR4_GUEST_HOST_MASK', 0n);

  await writeHostState(world);

  // Guest state: a 64-bit kernel at CPL 0.
  const fixed0 = world.caps.msrs.IA32_VMX_CR0_FIXED0 ?? 0x80000021n;
  const cr4fixed0 = world.caps.msrs.IA32_VMX_CR4_FIXED0 ?? 0x2000n;
  await w('GUEST_CR0', 0x80010031n | fixed0); // PG | WP | NE | ET | PE
  await w('GUEST_CR3', LAYOUT.guestPml4);
  await w('GUEST_CR4', 0x20n | cr4fixed0); // PAE (+ VMXE, required by IA32_VMX_CR4_FIXED0)
  await w('GUEST_DR7', 0x400n);
  await w('GUEST_RSP', LAYOUT.guestStackTop);
  await w('GUEST_RIP', LAYOUT.guestCode);
  await w('GUEST_RFLAGS', 0x2n);
  const segs: [string, bigint, bigint, bigint, bigint][] = [
    // name, selector, base, limit, access rights (SDM 25.4.1 Table 25-2)
    ['ES', 0x10n, 0n, 0xffffffffn, 0xc093n],
    ['CS', 0x08n, 0n, 0xffffffffn, 0xa09bn],
    ['SS', 0x10n, 0n, 0xffffffffn, 0xc093n],
    ['DS', 0x10n, 0n, 0xffffffffn, 0xc093n],
    ['FS', 0x10n, 0n, 0xffffffffn, 0xc093n],
    ['GS', 0x10n, 0n, 0xffffffffn, 0xc093n],
    ['LDTR', 0n, 0n, 0n, 0x10000n],
    ['TR', 0x18n, LAYOUT.guestTss, 0x67n, 0x8bn],
  ];
  for (const [s, sel, base, limit, ar] of segs) {
    await w(`GUEST_${s}_SELECTOR`, sel);
    await w(`GUEST_${s}_BASE`, base);
    await w(`GUEST_${s}_LIMIT`, limit);
    await w(`GUEST_${s}_AR_BYTES`, ar);
  }
  await w('GUEST_GDTR_BASE', LAYOUT.guestGdt);
  await w('GUEST_GDTR_LIMIT', 0x27n);
  await w('GUEST_IDTR_BASE', LAYOUT.guestIdt);
  await w('GUEST_IDTR_LIMIT', 0xfffn);
  await w('GUEST_IA32_DEBUGCTL', 0n);
  await w('GUEST_SYSENTER_CS', 0n);
  await w('GUEST_SYSENTER_ESP', 0n);
  await w('GUEST_SYSENTER_EIP', 0n);
  await w('GUEST_ACTIVITY_STATE', 0n);
  await w('GUEST_INTERRUPTIBILITY_INFO', 0n);
  await w('GUEST_PENDING_DBG_EXCEPTIONS', 0n);
  await w('VMCS_LINK_POINTER', 0xffffffffffffffffn);
  world.memo.set('guestReady', true);
}

/** The default budget for one guest run on implementations with the step-budget extension. */
export const DEFAULT_MAX_STEPS = 100_000;

export { F };
