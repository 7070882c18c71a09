/**
 * Assertions on architectural outcomes: the VMX instruction conventions (SDM 31.2 "Conventions"),
 * faults, VM exits and VM-entry failures, and VMCS contents read back with VMREAD.
 * Every passing assertion credits what it checked to the scenario's coverage.
 */
import { Then } from '@cucumber/cucumber';
import { expect } from 'chai';
import type { ExitReasonInfo } from '../src/arch/exit-reasons';
import type { VmcsField } from '../src/arch/vmcs-fields';
import { hexOf } from './support/format';
import type { ExceptionRef, VmErrorRef } from './support/params';
import { replacer, vmread } from './support/vmm';
import type { TracedOutcome, VmxWorld } from './support/world';

// RFLAGS bits the VMX conventions define (SDM 31.2): CF 0, PF 2, AF 4, ZF 6, SF 7, OF 11.
const ARITH_FLAGS: [string, bigint][] = [['CF', 0n], ['PF', 2n], ['AF', 4n], ['ZF', 6n], ['SF', 7n], ['OF', 11n]];

export function lastOutcome(world: VmxWorld): TracedOutcome {
  if (!world.last) throw new Error('no instruction has been executed in this scenario yet');
  return world.last.outcome;
}

function show(o: TracedOutcome): string {
  return JSON.stringify(o, replacer);
}

/** Credit the controls this scenario set or cleared: an outcome that depends on them was just asserted. */
export function creditControls(world: VmxWorld): void {
  for (const c of world.controlsTouched) world.coverage.controls.add(c);
}

async function expectArithmeticFlags(world: VmxWorld, set: string[]): Promise<void> {
  const { rflags } = await world.getState(['rflags']);
  for (const [name, bit] of ARITH_FLAGS) {
    const expected = set.includes(name) ? 1n : 0n;
    expect((rflags >> bit) & 1n, `RFLAGS.${name} after ${world.last!.what} (RFLAGS = ${hexOf(rflags)})`).to.equal(expected);
  }
}

Then('the instruction succeeds', async function (this: VmxWorld) {
  const o = lastOutcome(this);
  expect(o.kind, `${this.last!.what} should VMsucceed: ${show(o)}`).to.equal('VMsucceed');
  await expectArithmeticFlags(this, []);
  creditControls(this);
});

Then('the instruction fails with VMfailInvalid', async function (this: VmxWorld) {
  const o = lastOutcome(this);
  expect(o.kind, `${this.last!.what} should VMfailInvalid: ${show(o)}`).to.equal('VMfailInvalid');
  await expectArithmeticFlags(this, ['CF']);
  creditControls(this);
});

Then('the instruction fails with VMfailValid and VM-instruction error {vm-error}', async function (this: VmxWorld, err: VmErrorRef) {
  const o = lastOutcome(this);
  expect(o.kind, `${this.last!.what} should VMfailValid(${err.number}): ${show(o)}`).to.equal('VMfailValid');
  expect((o as { error: number }).error, `VM-instruction error reported for ${this.last!.what}`).to.equal(err.number);
  await expectArithmeticFlags(this, ['ZF']);
  // VMfailValid writes the error into the VM-instruction error field of the current VMCS (SDM 31.2).
  const field = await vmread(this, 'VM_INSTRUCTION_ERROR');
  expect(Number(field), 'the VM-instruction error field read back with VMREAD').to.equal(err.number);
  this.coverage.vmInstructionErrors.add(err.number);
  creditControls(this);
});

Then('the instruction raises {exception}', function (this: VmxWorld, ex: ExceptionRef) {
  const o = lastOutcome(this);
  expect(o.kind, `${this.last!.what} should raise ${ex.mnemonic}: ${show(o)}`).to.equal('fault');
  const f = o as { vector: number; errorCode?: number };
  expect(f.vector, `exception vector raised by ${this.last!.what}`).to.equal(ex.vector);
  if (ex.errorCode !== undefined) expect(f.errorCode, `error code of ${ex.mnemonic}`).to.equal(ex.errorCode);
  creditControls(this);
});

Then('the instruction completes', function (this: VmxWorld) {
  const o = lastOutcome(this);
  expect(o.kind, `${this.last!.what} should complete without a fault: ${show(o)}`).to.equal('completed');
  creditControls(this);
});

Then('VMREAD returns {value}', function (this: VmxWorld, value: bigint) {
  const o = lastOutcome(this);
  expect(o.kind, `${this.last!.what} should VMsucceed: ${show(o)}`).to.equal('VMsucceed');
  expect(hexOf((o as { value?: bigint }).value ?? -1n), `value read by ${this.last!.what}`).to.equal(hexOf(value));
  creditControls(this);
});

Then('{field} reads {value}', async function (this: VmxWorld, field: VmcsField, value: bigint) {
  const v = await vmread(this, field);
  expect(hexOf(v), `"${field.name}" read with VMREAD`).to.equal(hexOf(value));
  creditControls(this);
});

function expectExit(world: VmxWorld, reason: ExitReasonInfo, entryFailure: boolean): number {
  const o = lastOutcome(world);
  const want = `${entryFailure ? 'VM-entry failure' : 'VM exit'} with basic exit reason ${reason.number} ("${reason.name}")`;
  expect(o.kind, `${world.last!.what} should end in a ${want}: ${show(o)}`).to.equal('vm-exit');
  const full = (o as { exitReason: number }).exitReason;
  expect(full & 0xffff, `basic exit reason (bits 15:0) after ${world.last!.what}`).to.equal(reason.number);
  expect((full & 0x80000000) !== 0, `bit 31 of the exit reason ("VM-entry failure") after ${world.last!.what}`).to.equal(entryFailure);
  return full;
}

Then('the guest exits with basic exit reason {exit-reason}', async function (this: VmxWorld, reason: ExitReasonInfo) {
  const full = expectExit(this, reason, false);
  const field = await vmread(this, 'VM_EXIT_REASON');
  expect(hexOf(field), 'the exit-reason field read back with VMREAD').to.equal(hexOf(full));
  this.coverage.exitReasons.add(reason.number);
  creditControls(this);
});

Then('VM entry fails with basic exit reason {exit-reason}', async function (this: VmxWorld, reason: ExitReasonInfo) {
  const full = expectExit(this, reason, true);
  const field = await vmread(this, 'VM_EXIT_REASON');
  expect(hexOf(field), 'the exit-reason field read back with VMREAD').to.equal(hexOf(full));
  this.coverage.exitReasons.add(reason.number);
  creditControls(this);
});

Then('the guest has not exited', function (this: VmxWorld) {
  const o = lastOutcome(this);
  expect(o.kind, `the guest should still be running in VMX non-root operation: ${show(o)}`).to.equal('still-running');
  creditControls(this);
});

Then('the logical processor is in the {word} activity state', async function (this: VmxWorld, state: string) {
  const states: Record<string, bigint> = { active: 0n, HLT: 1n, shutdown: 2n, 'wait-for-SIPI': 3n };
  if (!(state in states)) throw new Error(`unknown activity state "${state}"; use one of ${Object.keys(states).join(', ')}`);
  const { activity } = await this.getState(['activity']);
  expect(activity, 'activity state of the logical processor').to.equal(states[state]);
  creditControls(this);
});
