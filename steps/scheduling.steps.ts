/**
 * Steps for overcommit scheduling: several logical processors in VMX root operation, vCPUs each with its
 * own VMCS, and the reference VMM's scheduler (src/vmm/scheduler.ts) time-sharing them, migrating vCPUs
 * between logical processors with VMCLEAR/VMPTRLD/VMLAUNCH as SDM 25.11.1 requires.
 */
import { Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { assemble } from '../src/asm/index';
import { OvercommitScheduler, type Vcpu } from '../src/vmm/scheduler';
import { runOptions } from './guest.steps';
import { creditControls } from './outcomes.steps';
import { hexOf } from './support/format';
import { enterVmxOperation, prepareRegion, programStandardGuest, vmread, vmwrite, writeHostState } from './support/vmm';
import type { VmxWorld } from './support/world';

const VMXON_REGIONS = 0x230000n; // one page per logical processor
const VCPU_VMCSS = 0x240000n; // one page per vCPU
const VCPU_CODE = 0x480000n;
const VCPU_STACKS = 0x3e0000n; // grows down, one page per vCPU
const SIGNATURE = 0x5151_0000n;

function scheduler(world: VmxWorld): OvercommitScheduler {
  const s = world.memo.get('scheduler') as OvercommitScheduler | undefined;
  if (!s) throw new Error('no vCPUs have been created in this scenario');
  return s;
}

/** Run `body` with the World's steps acting on logical processor `cpu`. */
async function on<T>(world: VmxWorld, cpu: number, body: () => Promise<T>): Promise<T> {
  const saved = world.cpu;
  world.cpu = cpu;
  try {
    return await body();
  } finally {
    world.cpu = saved;
  }
}

Given('{int} logical processors in VMX root operation', async function (this: VmxWorld, n: number) {
  this.caps = await this.impl.reset({ profile: process.env.VMX_PROFILE || undefined, processors: n });
  this.note(`machine reset with ${n} logical processors`);
  expect(this.caps.processors, 'logical processors after reset').to.equal(n);
  for (let cpu = 0; cpu < n; cpu++) await on(this, cpu, () => enterVmxOperation(this, VMXON_REGIONS + BigInt(cpu) * 0x1000n));
  this.memo.set('processors', n);
});

Given('{int} vCPUs, each a guest that counts its time slices in RBX and yields with VMCALL', async function (this: VmxWorld, n: number) {
  const { bytes } = assemble('next:\n  inc rbx\n  vmcall\n  jmp next\n', VCPU_CODE);
  await this.writeMemory(VCPU_CODE, bytes, 'vCPU guest code');
  const vcpus: Vcpu[] = [];
  for (let i = 0; i < n; i++) {
    const vmcs = VCPU_VMCSS + BigInt(i) * 0x1000n;
    await prepareRegion(this, vmcs, undefined, `vCPU ${i} VMCS`);
    for (const mnemonic of ['VMCLEAR', 'VMPTRLD'] as const) {
      const o = await this.execute({ mnemonic, address: vmcs });
      expect(o.kind, `${mnemonic} of vCPU ${i}'s VMCS`).to.equal('VMsucceed');
    }
    await programStandardGuest(this);
    await vmwrite(this, 'GUEST_RIP', VCPU_CODE);
    await vmwrite(this, 'GUEST_RSP', VCPU_STACKS - BigInt(i) * 0x1000n);
    // Not active anywhere until the scheduler places it.
    const o = await this.execute({ mnemonic: 'VMCLEAR', address: vmcs });
    expect(o.kind, `VMCLEAR of vCPU ${i}'s VMCS`).to.equal('VMsucceed');
    // RBX counts slices; R12 carries a per-vCPU signature that must never move to another vCPU.
    vcpus.push({ id: i, vmcs, launched: false, slices: 0, gprs: { rbx: 0n, r12: SIGNATURE + BigInt(i) } });
  }
  const world = this;
  const s = new OvercommitScheduler(
    {
      execute: (instruction, options, cpu) => world.execute(instruction, options, cpu),
      getState: (names, cpu) => world.getState(names, cpu),
      setState: (values, cpu) => world.setState(values, cpu),
    },
    vcpus,
    (this.memo.get('processors') as number | undefined) ?? 1,
    (cpu) => on(world, cpu, () => writeHostState(world)),
    (o) => (o.kind === 'vm-exit' ? o.exitReason : -1),
    (name, cpu) => on(world, cpu, () => vmread(world, name)),
    (name, value, cpu) => on(world, cpu, () => vmwrite(world, name, value)),
    runOptions(this),
  );
  this.memo.set('scheduler', s);
});

When('the VMM runs {int} rounds of round-robin scheduling, rebalancing the vCPUs every {int} rounds', async function (this: VmxWorld, rounds: number, every: number) {
  await scheduler(this).run(rounds, every);
});

Then('every vCPU counted {int} time slices in RBX and kept its own registers', function (this: VmxWorld, n: number) {
  for (const v of scheduler(this).vcpus) {
    expect(hexOf(v.gprs.rbx), `RBX of vCPU ${v.id} (time slices it counted)`).to.equal(hexOf(n));
    expect(hexOf(v.gprs.r12), `R12 of vCPU ${v.id} (its signature)`).to.equal(hexOf(SIGNATURE + BigInt(v.id)));
  }
  this.coverage.exitReasons.add(18);
  creditControls(this);
});

Then('the VMM migrated vCPUs {int} times, entering with VMLAUNCH {int} times and with VMRESUME {int} times', function (this: VmxWorld, migrations: number, launches: number, resumes: number) {
  const st = scheduler(this).stats;
  expect({ migrations: st.migrations, launches: st.launches, resumes: st.resumes }).to.deep.equal({ migrations, launches, resumes });
});

When('the VMM executes {word} of vCPU {int}\'s VMCS on logical processor {int}', async function (this: VmxWorld, mnemonic: string, id: number, cpu: number) {
  if (mnemonic !== 'VMCLEAR' && mnemonic !== 'VMPTRLD') throw new Error(`"${mnemonic} of vCPU ${id}'s VMCS": only VMCLEAR and VMPTRLD take a VMCS`);
  const v = scheduler(this).vcpus[id];
  this.cpu = cpu;
  await this.execute({ mnemonic, address: v.vmcs });
});

When('the VMM rewrites the host state and executes {word} on logical processor {int}', async function (this: VmxWorld, mnemonic: string, cpu: number) {
  if (mnemonic !== 'VMLAUNCH' && mnemonic !== 'VMRESUME') throw new Error(`expected VMLAUNCH or VMRESUME, not "${mnemonic}"`);
  this.cpu = cpu;
  await writeHostState(this);
  await this.execute({ mnemonic }, runOptions(this));
});
