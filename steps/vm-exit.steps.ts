/**
 * Steps for what a VM exit saves and loads (SDM Vol. 3C 28.3 "Saving Guest State", 28.5 "Loading Host
 * State"): long runs of exits recorded and then checked exit by exit, the processor's state against the
 * host-state area, values the guest leaves in its registers for the VMM (general-purpose registers other
 * than RSP are neither saved nor loaded by VM exits, so the VMM reads them directly), and guest set-up that
 * lets the guest use MSRs without VM exits.
 */
import { Given, Then, When, type DataTable } from '@cucumber/cucumber';
import { expect } from 'chai';
import type { ExitReasonInfo } from '../src/arch/exit-reasons';
import { lookupControl } from '../src/arch/controls';
import { lookupField, type VmcsField } from '../src/arch/vmcs-fields';
import { expectConventionFlags } from './support/conventions';
import {
  CAPTURED_STATE, GPRS, describeSnapshot, guestInstructionAddress, snapshotExit, type ExitSnapshot,
} from './support/exit-snapshots';
import { hexOf, parseNumber } from './support/format';
import { runOptions } from './guest.steps';
import { LAYOUT, setControl, vmread, vmwrite } from './support/vmm';
import { msrIndex } from './support/vmx-facts';
import { creditControls } from './outcomes.steps';
import type { VmxWorld } from './support/world';

/** A two-column table without a header row (every row is data). */
function pairs(table: DataTable): [string, string][] {
  return table.raw().map((row, i) => {
    if (row.length !== 2) throw new Error(`row ${i + 1} of the table has ${row.length} cells; this step takes two columns`);
    return [row[0].trim(), row[1].trim()] as [string, string];
  });
}

function snapshots(world: VmxWorld): ExitSnapshot[] {
  const s = world.memo.get('exitSnapshots') as ExitSnapshot[] | undefined;
  if (!s) throw new Error('no guest run has been recorded ("When the VMM launches the guest and handles … VM exits")');
  return s;
}

/** Exits after which skipping the instruction makes no sense: events, triple fault, VM-entry failures. */
function isInstructionExit(s: ExitSnapshot): boolean {
  if (s.outcome.kind !== 'vm-exit') return false;
  const r = s.outcome.exitReason;
  return (r & 0x80000000) === 0 && ![0, 1, 2, 3, 4, 5, 6, 7, 8].includes(r & 0xffff);
}

/**
 * VMLAUNCH, then for each VM exit: record it (exit information, guest-state and host-state areas, the
 * processor's registers), advance Guest RIP by the VM-exit instruction length, and VMRESUME. The run stops
 * early at an exit that is not caused by an instruction (for example an exception the guest raised).
 */
When('the VMM launches the guest and handles {int} VM exits, each time skipping the exiting instruction and resuming the guest', async function (
  this: VmxWorld, count: number,
) {
  const recorded: ExitSnapshot[] = [];
  this.memo.set('exitSnapshots', recorded);
  let outcome = await this.execute({ mnemonic: 'VMLAUNCH' }, runOptions(this));
  for (let n = 1; ; n++) {
    const s = await snapshotExit(this, n, outcome);
    recorded.push(s);
    if (n >= count || !isInstructionExit(s)) break;
    const rip = s.fields.get(lookupField('GUEST_RIP').encoding)!;
    const length = s.fields.get(lookupField('VM_EXIT_INSTRUCTION_LEN').encoding)!;
    await vmwrite(this, 'GUEST_RIP', rip + length);
    outcome = await this.execute({ mnemonic: 'VMRESUME' }, runOptions(this));
  }
  this.note(`recorded ${recorded.length} exits`);
});

Then('the run had {int} VM exits, each with basic exit reason {exit-reason} or {exit-reason} at the guest\'s instruction of that name', function (
  this: VmxWorld, count: number, a: ExitReasonInfo, b: ExitReasonInfo,
) {
  const all = snapshots(this);
  for (const s of all) {
    const what = describeSnapshot(s);
    expect(s.outcome.kind, what).to.equal('vm-exit');
    const reason = (s.outcome as { exitReason: number }).exitReason;
    expect([a.number, b.number], `basic exit reason of ${what}`).to.include(reason & 0xffff);
    expect(reason & 0x80000000, `bit 31 ("VM-entry failure") of ${what}`).to.equal(0);
    expect(hexOf(s.fields.get(0x4402) ?? -1n), `"Exit reason" read with VMREAD at ${what}`).to.equal(hexOf(reason));
    const info = (reason & 0xffff) === a.number ? a : b;
    const rip = guestInstructionAddress(this, info.id.toLowerCase());
    expect(hexOf(s.fields.get(0x681e) ?? -1n), `"Guest RIP" at ${what}: the guest's ${info.id.toLowerCase()}`).to.equal(hexOf(rip));
  }
  expect(all.length, 'number of VM exits recorded').to.equal(count);
  this.coverage.exitReasons.add(a.number);
  this.coverage.exitReasons.add(b.number);
  creditControls(this);
});

/** Values are numbers, or "the exit's number" (1 for the first exit of the run, 2 for the second …). */
Then('at each of those exits the general-purpose registers held:', function (this: VmxWorld, table: DataTable) {
  for (const s of snapshots(this)) {
    for (const [register, expected] of pairs(table)) {
      if (!(GPRS as readonly string[]).includes(register)) throw new Error(`"${register}" is not a general-purpose register (${GPRS.join(', ')})`);
      const want = expected.trim() === 'the exit\'s number' ? BigInt(s.number) : parseNumber(expected);
      expect(hexOf(s.state[register]), `${register} after ${describeSnapshot(s)}`).to.equal(hexOf(want));
    }
  }
  creditControls(this);
});

Then('at each of those exits the guest-state area held:', function (this: VmxWorld, table: DataTable) {
  for (const s of snapshots(this)) {
    for (const [name, expected] of pairs(table)) {
      const field = lookupField(name);
      const v = s.fields.get(field.encoding);
      if (v === undefined) throw new Error(`"${field.name}" could not be read with VMREAD at ${describeSnapshot(s)}`);
      expect(hexOf(v), `"${field.name}" at ${describeSnapshot(s)}`).to.equal(hexOf(parseNumber(expected)));
    }
  }
  creditControls(this);
});

function compareWithHostArea(state: Record<string, bigint>, fields: (f: VmcsField) => bigint | undefined, table: DataTable, when: string): void {
  for (const [name, fieldName] of pairs(table)) {
    if (!(name in state)) throw new Error(`"${name}" is not among the captured processor state (${CAPTURED_STATE.join(', ')})`);
    const field = lookupField(fieldName);
    if (field.type !== 'host-state') throw new Error(`"${field.name}" is not a host-state field`);
    const v = fields(field);
    if (v === undefined) throw new Error(`"${field.name}" could not be read with VMREAD ${when}`);
    expect(hexOf(state[name]), `${name} of the logical processor ${when}, against "${field.name}"`).to.equal(hexOf(v));
  }
}

/** Columns: processor state (getState name), host-state field. */
Then('at each of those exits the logical processor\'s state equalled the host-state area:', function (this: VmxWorld, table: DataTable) {
  for (const s of snapshots(this)) compareWithHostArea(s.state, (f) => s.fields.get(f.encoding), table, `after ${describeSnapshot(s)}`);
  creditControls(this);
});

Then('the logical processor\'s state equals the host-state area:', async function (this: VmxWorld, table: DataTable) {
  const when = `after ${this.last?.what ?? 'the VM exit'}`;
  const names = pairs(table).map(([n]) => n);
  const state = await this.getState(names);
  const values = new Map<number, bigint>();
  for (const [, fieldName] of pairs(table)) {
    const f = lookupField(fieldName);
    values.set(f.encoding, await vmread(this, f));
  }
  const all = Object.fromEntries(names.map((n) => [n, state[n]]));
  compareWithHostArea(all, (f) => values.get(f.encoding), table, when);
  creditControls(this);
});

/** Columns: processor state (getState name), value. */
Then('the logical processor\'s state is:', async function (this: VmxWorld, table: DataTable) {
  const rows = pairs(table);
  const state = await this.getState(rows.map(([n]) => n));
  for (const [name, expected] of rows) {
    expect(hexOf(state[name]), `${name} of the logical processor`).to.equal(hexOf(parseNumber(expected)));
  }
  creditControls(this);
});

Then('{field} reads the address of the guest\'s {string} instruction', async function (this: VmxWorld, field: VmcsField, mnemonic: string) {
  const want = guestInstructionAddress(this, mnemonic);
  expect(hexOf(await vmread(this, field)), `"${field.name}": the address of the guest's ${mnemonic}`).to.equal(hexOf(want));
  creditControls(this);
});

Then('{field} has bit {int} {set-or-clear}', async function (this: VmxWorld, field: VmcsField, bit: number, set: boolean) {
  const v = await vmread(this, field);
  expect((v >> BigInt(bit)) & 1n, `bit ${bit} of "${field.name}" (${hexOf(v)})`).to.equal(set ? 1n : 0n);
  creditControls(this);
});

async function guestRegister(world: VmxWorld, register: string): Promise<bigint> {
  if (!(GPRS as readonly string[]).includes(register) || register === 'rsp') {
    throw new Error(`"${register}": the guest leaves values in general-purpose registers other than rsp (VM exits load RSP from "Host RSP")`);
  }
  return (await world.getState([register]))[register];
}

/** After a VM exit the VMM reads the guest's general-purpose registers directly (SDM 28.3, 28.5: not saved or loaded). */
Then('the guest left {value} in {word}', async function (this: VmxWorld, value: bigint, register: string) {
  expect(hexOf(await guestRegister(this, register)), `${register} as the guest left it`).to.equal(hexOf(value));
  creditControls(this);
});

Then('bit {int} of the value the guest left in {word} is {set-or-clear}', async function (this: VmxWorld, bit: number, register: string, set: boolean) {
  const v = await guestRegister(this, register);
  expect((v >> BigInt(bit)) & 1n, `bit ${bit} of ${register} (${hexOf(v)}) as the guest left it`).to.equal(set ? 1n : 0n);
  creditControls(this);
});

Then('{field} reads the value the guest left in {word}', async function (this: VmxWorld, field: VmcsField, register: string) {
  const want = await guestRegister(this, register);
  expect(hexOf(await vmread(this, field)), `"${field.name}", against ${register} as the guest left it`).to.equal(hexOf(want));
  creditControls(this);
});

/** The guest saved its RFLAGS after a VMX instruction (pushfq; pop reg): check them against SDM 31.2. */
Then('the flags the guest saved in {word} show {word}', async function (this: VmxWorld, register: string, outcome: string) {
  if (outcome !== 'VMsucceed' && outcome !== 'VMfailInvalid' && outcome !== 'VMfailValid') {
    throw new Error(`"${outcome}": the VMX conventions are VMsucceed, VMfailInvalid and VMfailValid (SDM 31.2)`);
  }
  expectConventionFlags(await guestRegister(this, register), outcome, `that the guest saved in ${register}`);
  creditControls(this);
});

/**
 * "Use MSR bitmaps" = 1 with an all-zero MSR bitmap: RDMSR and WRMSR of MSRs in the bitmap ranges do not
 * exit (SDM 25.6.9 "MSR-Bitmap Address", 26.1.3). Needs @requires:use-msr-bitmaps.
 */
Given('the guest may execute RDMSR and WRMSR without VM exits', async function (this: VmxWorld) {
  await setControl(this, lookupControl('Use MSR bitmaps'), true);
  await this.writeMemory(LAYOUT.msrBitmap, new Uint8Array(4096), 'MSR bitmap (all zero)');
  await vmwrite(this, 'MSR_BITMAP', LAYOUT.msrBitmap);
});

/** The VMM copies an MSR of its own (read with getState) into a host-state field. */
Given('the VMM has written its own {word} to {field}', async function (this: VmxWorld, msr: string, field: VmcsField) {
  const name = `msr:0x${msrIndex(msr).toString(16)}`;
  const value = (await this.getState([name]))[name];
  await vmwrite(this, field, value);
});

/** Needs @requires:events. */
Given('the platform has made external interrupt {int} pending before the VM entry', async function (this: VmxWorld, vector: number) {
  await this.deliverEvent({ type: 'external-interrupt', vector });
});
