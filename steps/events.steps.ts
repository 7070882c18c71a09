/**
 * Steps for platform events a scenario makes pending at the logical processor (contract extension
 * `events`, tag @requires:events): external interrupts, NMIs, INIT and SIPI, as an interrupt controller or
 * another processor would deliver them (SDM 26.2 "Other Causes of VM Exits").
 */
import { When } from '@cucumber/cucumber';
import type { VmxWorld } from './support/world';

When('an external interrupt with vector {value} becomes pending', async function (this: VmxWorld, vector: bigint) {
  if (vector < 16n || vector > 255n) throw new Error(`external interrupts use vectors 16–255 (SDM Vol. 3A 6.2), not ${vector}`);
  await this.deliverEvent({ type: 'external-interrupt', vector: Number(vector) });
});

When('an NMI becomes pending', async function (this: VmxWorld) {
  await this.deliverEvent({ type: 'nmi' });
});

When('an INIT signal becomes pending', async function (this: VmxWorld) {
  await this.deliverEvent({ type: 'init' });
});

When('a SIPI with vector {value} becomes pending', async function (this: VmxWorld, vector: bigint) {
  if (vector > 255n) throw new Error(`a SIPI vector is 8 bits, not ${vector}`);
  await this.deliverEvent({ type: 'sipi', vector: Number(vector) });
});
