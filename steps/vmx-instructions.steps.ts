/**
 * Steps for the conditions around VMX operation: CPUID's VMX bit, IA32_FEATURE_CONTROL, the VMX-fixed bits
 * of CR0 and CR4, VMXON regions and pointers that break a rule, INVEPT/INVVPID operands, the VMM's RFLAGS,
 * and assertions on the processor's own state (VMX mode, registers, MSRs).
 */
import { Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import type { Mnemonic } from '../src/contract/types';
import { hexOf } from './support/format';
import { LAYOUT, prepareRegion, revisionId, vmcsAddress } from './support/vmm';
import {
  bitBeyondVmxWidth, msrIndex, registerBit, requireFixedToOne, type RegisterBit,
} from './support/vmx-facts';
import { creditControls, lastOutcome } from './outcomes.steps';
import type { VmxWorld } from './support/world';

const ARITHMETIC_FLAGS = 0x8d5n; // CF, PF, AF, ZF, SF, OF (SDM 31.2 "Conventions")

async function movToCr(world: VmxWorld, bit: RegisterBit, set: boolean) {
  if (bit.register !== 'CR0' && bit.register !== 'CR4') throw new Error(`MOV to CR writes CR0 or CR4 here, not ${bit.register}`);
  const name = bit.register.toLowerCase();
  const current = (await world.getState([name]))[name];
  const value = set ? current | bit.mask : current & ~bit.mask;
  return world.execute({ mnemonic: 'MOV-TO-CR', cr: bit.register === 'CR0' ? 0 : 4, value });
}

/** SDM A.7/A.8: the premise that a CR0/CR4 bit is fixed to 1 in VMX operation on this processor. */
Given('the VMX capability MSRs fix {word} to 1', function (this: VmxWorld, token: string) {
  requireFixedToOne(this, registerBit(token));
});

/** Set-up by MOV to CR0/CR4 (outside VMX operation); the instruction must complete. */
Given('the VMM has cleared {word} with a MOV to its control register', async function (this: VmxWorld, token: string) {
  const o = await movToCr(this, registerBit(token), false);
  expect(o.kind, `MOV to CR clearing ${token} during set-up`).to.equal('completed');
});

When('the VMM executes a MOV to control register clearing {word}', async function (this: VmxWorld, token: string) {
  await movToCr(this, registerBit(token), false);
});

When('the VMM executes CPUID with EAX = {value}', async function (this: VmxWorld, leaf: bigint) {
  await this.execute({ mnemonic: 'CPUID', leaf: Number(leaf), subleaf: 0 });
});

/** Reads the MSR with RDMSR first, then writes the same value back with WRMSR. */
When('the VMM executes WRMSR of the current value of {word}', async function (this: VmxWorld, msr: string) {
  const index = msrIndex(msr);
  const r = await this.execute({ mnemonic: 'RDMSR', msr: index });
  if (r.kind !== 'completed' || r.values?.value === undefined) throw new Error(`RDMSR of ${msr} during set-up did not complete: ${r.kind}`);
  await this.execute({ mnemonic: 'WRMSR', msr: index, value: r.values.value });
});

/** Needs the root-state extension: platform firmware's setting of IA32_FEATURE_CONTROL (SDM 24.7). */
Given('IA32_FEATURE_CONTROL holds {value}', async function (this: VmxWorld, value: bigint) {
  await this.setState({ 'msr:0x3a': value });
});

/** Needs the root-state extension: RFLAGS.CF, PF, AF, ZF, SF and OF set before the VMX instruction. */
Given('the VMM\'s RFLAGS has CF, PF, AF, ZF, SF and OF set', async function (this: VmxWorld) {
  const { rflags } = await this.getState(['rflags']);
  await this.setState({ rflags: rflags | ARITHMETIC_FLAGS | 0x2n });
  const after = (await this.getState(['rflags'])).rflags;
  expect(after & ARITHMETIC_FLAGS, `RFLAGS after setting the arithmetic flags (${hexOf(after)})`).to.equal(ARITHMETIC_FLAGS);
});

Given('a VMXON region with a revision identifier other than the processor\'s', async function (this: VmxWorld) {
  await prepareRegion(this, LAYOUT.vmxonRegion, (revisionId(this) ^ 1) & 0x7fffffff, 'VMXON region (wrong revision identifier)');
});

Given('a VMXON region with the processor\'s VMCS revision identifier and bit 31 set', async function (this: VmxWorld) {
  await prepareRegion(this, LAYOUT.vmxonRegion, (revisionId(this) | 0x80000000) >>> 0, 'VMXON region (bit 31 set)');
});

/**
 * VMXON takes the VMXON region's address, VMCLEAR and VMPTRLD VMCS A's, each with the lowest bit beyond the
 * physical-address width VMX uses set (MAXPHYADDR, or 32 if IA32_VMX_BASIC[48] = 1).
 */
When('the VMM executes {vmm-instruction} with a pointer beyond the physical-address width', async function (this: VmxWorld, m: Mnemonic) {
  if (m !== 'VMXON' && m !== 'VMCLEAR' && m !== 'VMPTRLD') throw new Error(`${m} takes no VMCS pointer`);
  const base = m === 'VMXON' ? LAYOUT.vmxonRegion : vmcsAddress('A');
  await this.execute({ mnemonic: m, address: base | bitBeyondVmxWidth(this) });
});

/** INVEPT/INVVPID with the invalidation type and the 128-bit descriptor (bits 63:0, bits 127:64). */
When('the VMM executes {vmm-instruction} with type {int} and descriptor {value}, {value}', async function (
  this: VmxWorld, m: Mnemonic, type: number, low: bigint, high: bigint,
) {
  if (m !== 'INVEPT' && m !== 'INVVPID') throw new Error(`${m} takes no invalidation type and descriptor`);
  await this.execute({ mnemonic: m, type: BigInt(type), descriptor: [low, high] });
});

Then('the logical processor is outside VMX operation', async function (this: VmxWorld) {
  const mode = (await this.getState(['vmx.mode']))['vmx.mode'];
  expect(Number(mode), 'vmx.mode (0 outside VMX operation, 1 root, 2 non-root)').to.equal(0);
  creditControls(this);
});

Then('the logical processor remains in VMX root operation', async function (this: VmxWorld) {
  const mode = (await this.getState(['vmx.mode']))['vmx.mode'];
  expect(Number(mode), 'vmx.mode (0 outside VMX operation, 1 root, 2 non-root)').to.equal(1);
  creditControls(this);
});

/** A non-VMX instruction's output (CPUID: eax…edx; RDMSR: value). */
Then('the instruction completes with bit {int} of {word} set', function (this: VmxWorld, bit: number, output: string) {
  const o = lastOutcome(this);
  expect(o.kind, `${this.last!.what} should complete`).to.equal('completed');
  const v = (o as { values?: Record<string, bigint> }).values?.[output];
  if (v === undefined) throw new Error(`${this.last!.what} reported no output "${output}"`);
  expect((v >> BigInt(bit)) & 1n, `bit ${bit} of ${output} (${hexOf(v)}) after ${this.last!.what}`).to.equal(1n);
  creditControls(this);
});

Then('bit {int} of the logical processor\'s {word} is {set-or-clear}', async function (this: VmxWorld, bit: number, name: string, set: boolean) {
  const v = (await this.getState([name]))[name];
  expect((v >> BigInt(bit)) & 1n, `bit ${bit} of ${name} (${hexOf(v)})`).to.equal(set ? 1n : 0n);
  creditControls(this);
});

/** A bit range of a register the SDM defines piecewise (segment access rights after a VM exit, for example). */
Then('bits {int}:{int} of the logical processor\'s {word} are {value}', async function (
  this: VmxWorld, high: number, low: number, name: string, value: bigint,
) {
  if (high < low) throw new Error(`bits ${high}:${low}: write the high bit first`);
  const v = (await this.getState([name]))[name];
  const got = (v >> BigInt(low)) & ((1n << BigInt(high - low + 1)) - 1n);
  expect(hexOf(got), `bits ${high}:${low} of ${name} (${hexOf(v)})`).to.equal(hexOf(value));
  creditControls(this);
});

/**
 * The processor's own state as the VMM reads it with getState: a register (rflags, cr0, dr7, gdtr.limit,
 * cs.access …) or an MSR (msr:0x277).
 */
Then('the logical processor\'s {word} is {value}', async function (this: VmxWorld, name: string, value: bigint) {
  const v = (await this.getState([name]))[name];
  expect(hexOf(v), `${name} of the logical processor`).to.equal(hexOf(value));
  creditControls(this);
});
