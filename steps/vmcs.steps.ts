/**
 * Steps for VMCS regions and their contents: regions that break a VMPTRLD rule, VMPTRST results, outcomes
 * that the SDM makes depend on a capability, and the shadow VMCS with its VMREAD and VMWRITE bitmaps
 * (SDM Vol. 3C 25.10 "VMCS Types: Ordinary and Shadow", 25.6.15 "VMCS Shadowing Bitmap Addresses").
 */
import { Given, Then } from '@cucumber/cucumber';
import { expect } from 'chai';
import type { ControlBit } from '../src/arch/controls';
import type { VmcsField } from '../src/arch/vmcs-fields';
import { controlAllowed } from '../src/contract/capabilities';
import { expectFailedValid, expectSucceeded } from './support/conventions';
import { hexOf } from './support/format';
import type { VmErrorRef } from './support/params';
import { LAYOUT, prepareRegion, replacer, revisionId, vmcsAddress, vmread, vmwrite } from './support/vmm';
import { vmwriteAnyField } from './support/vmx-facts';
import { creditControls, lastOutcome } from './outcomes.steps';
import type { VmxWorld } from './support/world';

Given('a VMCS region {word} with a revision identifier other than the processor\'s', async function (this: VmxWorld, name: string) {
  await prepareRegion(this, vmcsAddress(name), (revisionId(this) ^ 1) & 0x7fffffff, `VMCS ${name} (wrong revision identifier)`);
});

/** Bit 31 of the region's first dword is the shadow-VMCS indicator (SDM 25.2 "Format of the VMCS Region"). */
Given('a VMCS region {word} with the shadow-VMCS indicator set', async function (this: VmxWorld, name: string) {
  await prepareRegion(this, vmcsAddress(name), (revisionId(this) | 0x80000000) >>> 0, `VMCS ${name} (shadow VMCS)`);
});

async function expectVmptrst(world: VmxWorld, value: bigint): Promise<void> {
  const o = lastOutcome(world);
  expect(world.last!.what, 'the last instruction').to.equal('VMPTRST');
  await expectSucceeded(world);
  expect(hexOf((o as { value?: bigint }).value ?? -1n), 'the current-VMCS pointer VMPTRST stored').to.equal(hexOf(value));
}

Then('VMPTRST stores {value}', async function (this: VmxWorld, value: bigint) {
  await expectVmptrst(this, value);
});

Then('VMPTRST stores the address of VMCS {word}', async function (this: VmxWorld, name: string) {
  await expectVmptrst(this, vmcsAddress(name));
});

/**
 * For rules the SDM states per capability: with the 1-setting of the control supported the instruction
 * succeeds; without it, it fails with the given error.
 */
Then('the instruction succeeds if the processor supports the 1-setting of {control}, and otherwise fails with VMfailValid and VM-instruction error {vm-error}', async function (
  this: VmxWorld, control: ControlBit, err: VmErrorRef,
) {
  const supported = controlAllowed({ caps: this.caps, info: this.info }, control).one;
  this.note(`the processor ${supported ? 'supports' : 'does not support'} the 1-setting of "${control.name}"`);
  if (supported) await expectSucceeded(this);
  else await expectFailedValid(this, err.number);
});

Then('the instruction succeeds if IA32_VMX_MISC[29] allows VMWRITE to VM-exit information fields, and otherwise fails with VMfailValid and VM-instruction error {vm-error}', async function (
  this: VmxWorld, err: VmErrorRef,
) {
  const any = vmwriteAnyField(this);
  this.note(`IA32_VMX_MISC[29] = ${any ? 1 : 0}`);
  if (any) await expectSucceeded(this);
  else await expectFailedValid(this, err.number);
});

// ---- The shadow VMCS (LAYOUT.shadowVmcs) -------------------------------------------------------------

async function currentPointer(world: VmxWorld): Promise<bigint> {
  const o = await world.execute({ mnemonic: 'VMPTRST' });
  if (o.kind !== 'VMsucceed' || o.value === undefined) throw new Error(`VMPTRST during set-up: ${JSON.stringify(o, replacer)}`);
  return o.value;
}

/** Make the shadow VMCS current, do `work`, then make the previous current VMCS current again. */
async function withShadowCurrent<T>(world: VmxWorld, work: () => Promise<T>): Promise<T> {
  const previous = await currentPointer(world);
  const load = await world.execute({ mnemonic: 'VMPTRLD', address: LAYOUT.shadowVmcs });
  if (load.kind !== 'VMsucceed') throw new Error(`VMPTRLD of the shadow VMCS during set-up: ${JSON.stringify(load, replacer)}`);
  const result = await work();
  if (previous !== 0xffffffffffffffffn) {
    const back = await world.execute({ mnemonic: 'VMPTRLD', address: previous });
    if (back.kind !== 'VMsucceed') throw new Error(`VMPTRLD of ${hexOf(previous)} during set-up: ${JSON.stringify(back, replacer)}`);
  }
  return result;
}

/**
 * A VMCS region with the shadow-VMCS indicator set, initialized with VMCLEAR, and linked from the current
 * VMCS through the VMCS link pointer (SDM 25.4.2 "Guest Non-Register State", 25.10).
 */
Given('a shadow VMCS, cleared, whose address the VMM has written to the VMCS link pointer', async function (this: VmxWorld) {
  await prepareRegion(this, LAYOUT.shadowVmcs, (revisionId(this) | 0x80000000) >>> 0, 'shadow VMCS');
  const o = await this.execute({ mnemonic: 'VMCLEAR', address: LAYOUT.shadowVmcs });
  if (o.kind !== 'VMsucceed') throw new Error(`VMCLEAR of the shadow VMCS during set-up: ${JSON.stringify(o, replacer)}`);
  await vmwrite(this, 'VMCS_LINK_POINTER', LAYOUT.shadowVmcs);
});

/** The VMM makes the shadow VMCS current, writes the field, and makes its VMCS current again. */
Given('the VMM has written {value} to {field} of the shadow VMCS', async function (this: VmxWorld, value: bigint, field: VmcsField) {
  await withShadowCurrent(this, () => vmwrite(this, field, value));
});

Then('{field} of the shadow VMCS reads {value}', async function (this: VmxWorld, field: VmcsField, value: bigint) {
  const v = await withShadowCurrent(this, () => vmread(this, field));
  expect(hexOf(v), `"${field.name}" of the shadow VMCS, read with VMREAD in VMX root operation`).to.equal(hexOf(value));
  creditControls(this);
});

/** Both 4-KiB bitmaps zero: no VMREAD or VMWRITE of a field with encoding bits 63:15 clear causes a VM exit. */
Given('the VMREAD bitmap and the VMWRITE bitmap are all zeros', async function (this: VmxWorld) {
  await this.writeMemory(LAYOUT.vmreadBitmap, new Uint8Array(4096), 'VMREAD bitmap');
  await this.writeMemory(LAYOUT.vmwriteBitmap, new Uint8Array(4096), 'VMWRITE bitmap');
  await vmwrite(this, 'VMREAD_BITMAP', LAYOUT.vmreadBitmap);
  await vmwrite(this, 'VMWRITE_BITMAP', LAYOUT.vmwriteBitmap);
});

/** Bit n of the bitmap, n = bits 14:0 of the field's encoding (SDM 25.6.15, 26.1.3). */
Given('the {word} bitmap has the bit for {field} set', async function (this: VmxWorld, which: string, field: VmcsField) {
  const base = which === 'VMREAD' ? LAYOUT.vmreadBitmap : which === 'VMWRITE' ? LAYOUT.vmwriteBitmap : undefined;
  if (base === undefined) throw new Error(`"${which} bitmap": there are a VMREAD bitmap and a VMWRITE bitmap`);
  const n = field.encoding & 0x7fff;
  const address = base + BigInt(n >> 3);
  const byte = (await this.readMemory(address, 1))[0] | (1 << (n & 7));
  await this.writeMemory(address, new Uint8Array([byte]), `${which} bitmap bit ${n} ("${field.name}")`);
});
