/**
 * Steps for running a guest: set-up of a valid 64-bit guest, guest code written as Intel-syntax assembly
 * (assembled to real machine code and placed in guest memory), VM-execution controls, VMLAUNCH/VMRESUME.
 */
import { Given, When } from '@cucumber/cucumber';
import type { ControlBit } from '../src/arch/controls';
import { assemble } from '../src/asm/index';
import type { ExecuteOptions } from '../src/contract/types';
import {
  DEFAULT_MAX_STEPS, LAYOUT, enterVmxOperation, makeCurrentVmcs, programStandardGuest, setControl, vmread, vmwrite,
} from './support/vmm';
import type { VmxWorld } from './support/world';

export function runOptions(world: VmxWorld, steps = DEFAULT_MAX_STEPS): ExecuteOptions {
  return world.info.extensions.includes('step-budget') ? { maxSteps: steps } : {};
}

Given('a VMCS set up for a 64-bit guest', async function (this: VmxWorld) {
  if (!this.memo.get('inVmx')) await enterVmxOperation(this);
  await makeCurrentVmcs(this, 'A');
  await programStandardGuest(this);
});

/** Assemble the guest's code at the guest's entry point (identity-mapped, so linear = physical). */
Given('the guest code is:', async function (this: VmxWorld, source: string) {
  const { bytes, instructions } = assemble(source, LAYOUT.guestCode);
  await this.writeMemory(LAYOUT.guestCode, bytes, 'guest code');
  this.note('guest code:\n' + instructions.map((i) => `       ${(LAYOUT.guestCode + BigInt(i.offset)).toString(16)}: ${i.text}`).join('\n'));
  this.memo.set('guestInstructions', instructions);
});

Given('the {control} control is {set-or-clear}', async function (this: VmxWorld, control: ControlBit, on: boolean) {
  await setControl(this, control, on);
});

When('the VMM launches the guest', async function (this: VmxWorld) {
  await this.execute({ mnemonic: 'VMLAUNCH' }, runOptions(this));
});

When('the VMM launches the guest for at most {int} instructions', async function (this: VmxWorld, steps: number) {
  await this.execute({ mnemonic: 'VMLAUNCH' }, runOptions(this, steps));
});

When('the VMM resumes the guest', async function (this: VmxWorld) {
  await this.execute({ mnemonic: 'VMRESUME' }, runOptions(this));
});

/** What a VMM does after emulating an instruction that exited: skip it, then resume the guest. */
When('the VMM skips the exiting instruction and resumes the guest', async function (this: VmxWorld) {
  const rip = await vmread(this, 'GUEST_RIP');
  const length = await vmread(this, 'VM_EXIT_INSTRUCTION_LEN');
  await vmwrite(this, 'GUEST_RIP', rip + length);
  await this.execute({ mnemonic: 'VMRESUME' }, runOptions(this));
});

When('the guest runs for at most {int} more instructions', async function (this: VmxWorld, steps: number) {
  await this.run(runOptions(this, steps));
});
