/**
 * Steps for breaking one VM-entry rule at a time (SDM Vol. 3C 27.2 "Checks on VMX Controls and Host-State
 * Area", 27.3 "Checking and Loading Guest State", 27.4 "Loading MSRs"): reserved control bits chosen from the
 * capability MSRs, register bits in VMCS fields, addresses beyond the physical-address width, and the MSR
 * areas a VMM hands to VM entries and VM exits.
 */
import { Given, Then, type DataTable } from '@cucumber/cucumber';
import { expect } from 'chai';
import { CONTROLS, CONTROL_FIELDS } from '../src/arch/controls';
import { lookupField, type VmcsField } from '../src/arch/vmcs-fields';
import { hexOf } from './support/format';
import { msrEntriesFromTable, readMsrAreaValue, writeMsrArea } from './support/msr-areas';
import { setControl, vmcsAddress, vmread, vmwrite } from './support/vmm';
import {
  bitBeyondPhysicalWidth, bitThatMustBeOne, bitThatMustBeZero, controlFieldNamed, cr3TargetValues, registerBit,
} from './support/vmx-facts';
import { creditControls } from './outcomes.steps';
import type { VmxWorld } from './support/world';

/** Remember what the VMM last wrote to a field, for "still holds the value the VMM wrote to it". */
async function writeRemembered(world: VmxWorld, field: VmcsField, value: bigint): Promise<void> {
  await vmwrite(world, field, value);
  world.memo.set(`written:${field.encoding}`, value);
}

async function editControlBit(world: VmxWorld, fieldName: string, mustBe: 0 | 1): Promise<void> {
  const field = controlFieldNamed(fieldName);
  const choice = mustBe === 1 ? bitThatMustBeOne(world, field) : bitThatMustBeZero(world, field);
  if (field === 'secondary processor-based') {
    // The secondary controls are used only with "activate secondary controls" = 1 (SDM 25.6.2).
    const activate = CONTROLS.find((c) => c.field === 'primary processor-based' && c.id === 'ACTIVATE_SECONDARY_CONTROLS')!;
    await setControl(world, activate, true);
  }
  const vmcsField = lookupField(hexOf(CONTROL_FIELDS[field].encoding));
  const current = await vmread(world, vmcsField);
  const mask = 1n << BigInt(choice.bit);
  world.note(`${choice.msr} requires ${choice.describe} of the ${field} controls to be ${mustBe}; the VMM writes it as ${1 - mustBe}`);
  await writeRemembered(world, vmcsField, mustBe === 1 ? current & ~mask : current | mask);
}

/** SDM A.3–A.5: the bit is chosen from the allowed-0 setting of the capability MSR VM entry consults. */
Given('the VMM clears, in the {string} controls, a bit that the capability MSR requires to be 1', async function (this: VmxWorld, field: string) {
  await editControlBit(this, field, 1);
});

/** SDM A.3–A.5: the bit is chosen from the allowed-1 setting: a reserved bit if there is one, else an unsupported control. */
Given('the VMM sets, in the {string} controls, a bit that the capability MSR requires to be 0', async function (this: VmxWorld, field: string) {
  await editControlBit(this, field, 0);
});

/** A register bit named as the SDM writes it (CR0.NE, CR4.PAE, RFLAGS.IF) in a VMCS field holding that register. */
Given('the VMM clears {word} in {field}', async function (this: VmxWorld, token: string, field: VmcsField) {
  const bit = registerBit(token);
  await writeRemembered(this, field, (await vmread(this, field)) & ~bit.mask);
});

/** Bit MAXPHYADDR of the field set, its other bits kept (CR3, bitmap and area addresses). */
Given('the VMM sets, in {field}, the lowest bit beyond the physical-address width', async function (this: VmxWorld, field: VmcsField) {
  await writeRemembered(this, field, (await vmread(this, field)) | bitBeyondPhysicalWidth(this));
});

Given('the VMM has written the address of VMCS {word} to {field}', async function (this: VmxWorld, name: string, field: VmcsField) {
  await writeRemembered(this, field, vmcsAddress(name));
});

/** SDM 27.2.1.1: the CR3-target count must not exceed the number IA32_VMX_MISC bits 24:16 report. */
Given('the VMM has written to "CR3-target count" one more than the number of CR3-target values IA32_VMX_MISC reports', async function (this: VmxWorld) {
  const n = cr3TargetValues(this);
  this.note(`IA32_VMX_MISC reports ${n} CR3-target values`);
  await writeRemembered(this, lookupField('CR3_TARGET_COUNT'), BigInt(n + 1));
});

Then('{field} still holds the value the VMM wrote to it', async function (this: VmxWorld, field: VmcsField) {
  const written = this.memo.get(`written:${field.encoding}`) as bigint | undefined;
  if (written === undefined) throw new Error(`the scenario wrote nothing to "${field.name}" through a step that remembers it`);
  expect(hexOf(await vmread(this, field)), `"${field.name}" after the VM-entry failure`).to.equal(hexOf(written));
  creditControls(this);
});

/**
 * The VM-entry MSR-load area (SDM 25.8.2, 27.4): columns `MSR` (SDM name or hex index), optional
 * `bits 63:32`, and `value`; the VMM writes its address and count into the VMCS.
 */
Given('the VM-entry MSR-load area holds:', async function (this: VmxWorld, table: DataTable) {
  await writeMsrArea(this, 'VM-entry MSR-load', msrEntriesFromTable(table));
});

/** The VM-exit MSR-store area (SDM 25.7.2, 28.4): `value` is what the VMM leaves in bits 127:64 beforehand. */
Given('the VM-exit MSR-store area lists:', async function (this: VmxWorld, table: DataTable) {
  await writeMsrArea(this, 'VM-exit MSR-store', msrEntriesFromTable(table));
});

/** The VM-exit MSR-load area (SDM 25.7.2, 28.6). */
Given('the VM-exit MSR-load area holds:', async function (this: VmxWorld, table: DataTable) {
  await writeMsrArea(this, 'VM-exit MSR-load', msrEntriesFromTable(table));
});

/** Bits 127:64 of an entry (1-based) of the VM-exit MSR-store area, read from memory. */
Then('entry {int} of the VM-exit MSR-store area holds {value}', async function (this: VmxWorld, n: number, value: bigint) {
  const v = await readMsrAreaValue(this, 'VM-exit MSR-store', n);
  expect(hexOf(v), `bits 127:64 of entry ${n} of the VM-exit MSR-store area`).to.equal(hexOf(value));
  creditControls(this);
});
