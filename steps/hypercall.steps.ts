/**
 * Steps for a paravirtual guest that calls its VMM with VMCALL, using the reference VMM's hypercall ABI
 * (docs/hypercalls.md): RAX = call number, RBX and RCX = arguments, result in RAX.
 */
import { Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { runOptions } from './guest.steps';
import { creditControls } from './outcomes.steps';
import { lastBasicExitReason } from './support/nonroot';
import { serveHypercall } from './support/hypercalls';
import type { VmxWorld } from './support/world';

const VMCALL = 18;

/**
 * While the guest exits with basic exit reason 18 ("VMCALL"): serve the call (docs/hypercalls.md), advance
 * Guest RIP past VMCALL and VMRESUME. Stops at the first exit for another reason.
 */
When('the VMM serves the guest\'s hypercalls until the guest exits for another reason', async function (this: VmxWorld) {
  const served: bigint[] = [];
  while ((await lastBasicExitReason(this)) === VMCALL && served.length < 1000) {
    const { call } = await serveHypercall(this);
    served.push(call);
    await this.execute({ mnemonic: 'VMRESUME' }, runOptions(this));
  }
  this.note(`hypercalls served: ${served.map((c) => c.toString()).join(', ') || 'none'}`);
  this.memo.set('hypercallsServed', served.length);
});

Then('the VMM served {int} hypercall(s)', function (this: VmxWorld, n: number) {
  expect(this.memo.get('hypercallsServed'), 'VMCALL exits (basic exit reason 18) the VMM served').to.equal(n);
  if (n > 0) this.coverage.exitReasons.add(VMCALL);
  creditControls(this);
});
