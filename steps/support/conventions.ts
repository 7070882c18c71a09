/**
 * The VMX instruction conventions as reusable checks (SDM Vol. 3C 31.2 "Conventions"): VMsucceed clears CF,
 * PF, AF, ZF, SF and OF; VMfailInvalid sets CF and clears the others; VMfailValid sets ZF, clears the others
 * and writes the error number into the VM-instruction error field of the current VMCS.
 *
 * steps/outcomes.steps.ts states the same checks as steps; these are for steps that choose between outcomes
 * from the processor's capabilities, and they credit coverage the same way.
 */
import { expect } from 'chai';
import { hexOf } from './format';
import { replacer, vmread } from './vmm';
import type { VmxWorld } from './world';
import { creditControls, lastOutcome } from '../outcomes.steps';

const FLAGS: [string, bigint][] = [['CF', 0n], ['PF', 2n], ['AF', 4n], ['ZF', 6n], ['SF', 7n], ['OF', 11n]];

/** Check the six arithmetic flags of an RFLAGS value against the outcome the conventions define. */
export function expectConventionFlags(rflags: bigint, outcome: 'VMsucceed' | 'VMfailInvalid' | 'VMfailValid', what: string): void {
  const set = outcome === 'VMfailInvalid' ? 'CF' : outcome === 'VMfailValid' ? 'ZF' : '';
  for (const [name, bit] of FLAGS) {
    expect((rflags >> bit) & 1n, `RFLAGS.${name} ${what} (RFLAGS = ${hexOf(rflags)}; ${outcome})`).to.equal(name === set ? 1n : 0n);
  }
}

export async function expectSucceeded(world: VmxWorld): Promise<void> {
  const o = lastOutcome(world);
  expect(o.kind, `${world.last!.what} should VMsucceed: ${JSON.stringify(o, replacer)}`).to.equal('VMsucceed');
  expectConventionFlags((await world.getState(['rflags'])).rflags, 'VMsucceed', `after ${world.last!.what}`);
  creditControls(world);
}

export async function expectFailedValid(world: VmxWorld, error: number): Promise<void> {
  const o = lastOutcome(world);
  const what = world.last!.what;
  expect(o.kind, `${what} should VMfailValid(${error}): ${JSON.stringify(o, replacer)}`).to.equal('VMfailValid');
  expect((o as { error: number }).error, `VM-instruction error reported for ${what}`).to.equal(error);
  expectConventionFlags((await world.getState(['rflags'])).rflags, 'VMfailValid', `after ${what}`);
  expect(Number(await vmread(world, 'VM_INSTRUCTION_ERROR')), 'the VM-instruction error field read back with VMREAD').to.equal(error);
  world.coverage.vmInstructionErrors.add(error);
  creditControls(world);
}
