/** The reference implementation through the contract: hello, reset, state, memory, bad input as ContractError. */
import { describe, it } from 'node:test';
import { expect } from 'chai';
import { ContractError, EXTENSIONS, PROTOCOL_VERSION, type Implementation } from '../../src/contract/types';
import { REFERENCE_PROFILES, createReferenceImplementation } from '../../src/emulator';
import pkg from '../../package.json';

async function expectBad(p: Promise<unknown>, fragment: string): Promise<void> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(ContractError);
    expect((e as ContractError).code).to.equal('bad-request');
    expect((e as Error).message).to.contain(fragment);
    return;
  }
  throw new Error(`expected a bad-request naming ${fragment}`);
}

async function fresh(profile?: string): Promise<Implementation> {
  const impl = createReferenceImplementation();
  await impl.reset(profile === undefined ? {} : { profile });
  return impl;
}

describe('reference implementation: hello and reset', () => {
  it('hello names the emulator, the package version, the protocol, the profiles and every extension', async () => {
    const info = await createReferenceImplementation().hello();
    expect(info.name).to.equal('vmx-conformance reference emulator');
    expect(info.version).to.equal(pkg.version);
    expect(info.protocol).to.equal(PROTOCOL_VERSION);
    expect(info.profiles).to.deep.equal([...REFERENCE_PROFILES]);
    expect(info.profiles[0]).to.equal('xeon-sapphire-rapids');
    expect(info.extensions.sort()).to.deep.equal(Object.keys(EXTENSIONS).sort());
  });
  it('reset reports capabilities by SDM MSR name; minimal lacks the TRUE MSRs and EPT/VPID capabilities', async () => {
    const impl = createReferenceImplementation();
    const spr = await impl.reset({});
    expect(spr.physicalAddressWidth).to.equal(46);
    // Lock, VMX outside SMX, and SGX global enable (bit 18): firmware that enables SGX on a Sapphire Rapids part.
    expect(spr.msrs.IA32_FEATURE_CONTROL).to.equal(0x40005n);
    expect(spr.msrs.IA32_VMX_TRUE_PROCBASED_CTLS).to.be.a('bigint');
    expect(spr.msrs.IA32_VMX_EPT_VPID_CAP).to.be.a('bigint');
    const min = await impl.reset({ profile: 'minimal', processors: 2 });
    expect(min.processors).to.equal(2);
    expect(min.msrs.IA32_FEATURE_CONTROL).to.equal(5n);
    expect(min.msrs.IA32_VMX_TRUE_PROCBASED_CTLS).to.equal(undefined);
    expect(min.msrs.IA32_VMX_EPT_VPID_CAP).to.equal(undefined);
  });
  it('every processor starts like a 64-bit kernel before VMXON', async () => {
    const impl = await fresh();
    const s = await impl.getState(0, ['cr0', 'cr4', 'msr:0xc0000080', 'cs.selector', 'ss.selector', 'tr.selector', 'tr.limit', 'cpl', 'vmx.mode', 'msr:0x3a']);
    expect(s.cr0).to.equal(0x80010033n);
    expect(s.cr4 & 0x2000n).to.equal(0n);
    expect(s['msr:0xc0000080']).to.equal(0xd01n);
    expect([s['cs.selector'], s['ss.selector'], s['tr.selector'], s['tr.limit']]).to.deep.equal([8n, 0x10n, 0x18n, 0x67n]);
    expect([s.cpl, s['vmx.mode'], s['msr:0x3a']]).to.deep.equal([0n, 0n, 0x40005n]);
  });
});

describe('reference implementation: bad input is a ContractError naming the value', () => {
  it('unknown profile, processor counts, memory sizes', async () => {
    const impl = createReferenceImplementation();
    await expectBad(impl.reset({ profile: 'skylake' }), 'skylake');
    await expectBad(impl.reset({ processors: 0 }), 'processors');
    await expectBad(impl.reset({ memoryBytes: 1000 }), 'memoryBytes');
    await expectBad(impl.getState(0, ['rax']), 'reset first');
  });
  it('processor index, state names and values, memory ranges', async () => {
    const impl = await fresh();
    await expectBad(impl.getState(1, ['rax']), 'processor index 1');
    await expectBad(impl.getState(0, ['rxx']), 'rxx');
    await expectBad(impl.getState(0, ['msr:0x12345']), 'msr:0x12345');
    await expectBad(impl.setState(0, { rip: 0x0000800000000000n }), 'not canonical');
    await expectBad(impl.setState(0, { rflags: 0n }), 'bit 1');
    await expectBad(impl.setState(0, { rax: -1n }), 'rax');
    await expectBad(impl.setState(0, { rax: 1 as unknown as bigint }), 'bigint');
    await expectBad(impl.setState(0, { 'vmx.mode': 1n }), 'read-only');
    await expectBad(impl.setState(0, { 'msr:0x480': 0n }), 'read-only VMX capability MSR');
    await expectBad(impl.setState(0, { cr4: 1n << 12n }), 'cr4');
    await expectBad(impl.readMemory(0x2000000n, 1), 'outside');
    await expectBad(impl.writeMemory(-1n, new Uint8Array(1)), 'outside');
  });
  it('malformed instructions', async () => {
    const impl = await fresh();
    const bad = async (i: unknown, fragment: string) => expectBad(impl.execute(0, i as never), fragment);
    await bad(null, 'instruction must be an object');
    await bad({ mnemonic: 'VMFOO' }, 'VMFOO');
    await bad({ mnemonic: 'VMXON' }, 'VMXON address');
    await bad({ mnemonic: 'VMWRITE', encoding: 0x681en, value: 1n << 64n }, 'VMWRITE value');
    await bad({ mnemonic: 'INVEPT', type: 1n, descriptor: [0n] }, 'descriptor');
    await bad({ mnemonic: 'MOV-TO-CR', cr: 2, value: 0n }, 'cr must be 0, 3 or 4');
    await bad({ mnemonic: 'CPUID', leaf: 1.5 }, 'CPUID leaf');
    await expectBad(impl.execute(0, { mnemonic: 'VMXOFF' }, { maxSteps: -1 }), 'maxSteps');
    await expectBad(impl.run(0), 'not in VMX non-root operation');
    await expectBad(impl.deliverEvent(0, { type: 'external-interrupt', vector: 3 }), 'vector');
  });
});

describe('reference implementation: instructions through the contract', () => {
  it('VMXON #UD without CR4.VMXE, #GP(0) at CPL 3, VMfailValid(15) in root with a current VMCS', async () => {
    const impl = await fresh();
    expect(await impl.execute(0, { mnemonic: 'VMXON', address: 0x10000n })).to.deep.equal({ kind: 'fault', vector: 6 });
    const { cr4 } = await impl.getState(0, ['cr4']);
    expect((await impl.execute(0, { mnemonic: 'MOV-TO-CR', cr: 4, value: cr4 | 0x2000n })).kind).to.equal('completed');
    await impl.writeMemory(0x10000n, new Uint8Array([4, 0, 0, 0]));
    await impl.writeMemory(0x11000n, new Uint8Array([4, 0, 0, 0]));
    await impl.setState(0, { cpl: 3n });
    expect(await impl.execute(0, { mnemonic: 'VMXON', address: 0x10000n })).to.deep.equal({ kind: 'fault', vector: 13, errorCode: 0 });
    await impl.setState(0, { cpl: 0n });
    expect(await impl.execute(0, { mnemonic: 'VMXON', address: 0x10000n })).to.deep.equal({ kind: 'VMsucceed' });
    expect(await impl.execute(0, { mnemonic: 'VMPTRLD', address: 0x11000n })).to.deep.equal({ kind: 'VMsucceed' });
    expect(await impl.execute(0, { mnemonic: 'VMXON', address: 0x10000n })).to.deep.equal({ kind: 'VMfailValid', error: 15 });
    expect((await impl.execute(0, { mnemonic: 'VMREAD', encoding: 0x4400n }))).to.deep.equal({ kind: 'VMsucceed', value: 15n });
    expect((await impl.getState(0, ['vmx.mode']))['vmx.mode']).to.equal(1n);
    await expectBad(impl.setState(0, { cr4 }), 'VMX fixed bits');
    expect(await impl.execute(0, { mnemonic: 'MOV-TO-CR', cr: 4, value: cr4 })).to.deep.equal({ kind: 'fault', vector: 13, errorCode: 0 });
  });
  it('a refused VM entry carries the rule in its notes', async () => {
    const impl = await fresh();
    const { cr4 } = await impl.getState(0, ['cr4']);
    await impl.execute(0, { mnemonic: 'MOV-TO-CR', cr: 4, value: cr4 | 0x2000n });
    await impl.writeMemory(0x10000n, new Uint8Array([4, 0, 0, 0]));
    await impl.writeMemory(0x11000n, new Uint8Array([4, 0, 0, 0]));
    await impl.execute(0, { mnemonic: 'VMXON', address: 0x10000n });
    await impl.execute(0, { mnemonic: 'VMCLEAR', address: 0x11000n });
    await impl.execute(0, { mnemonic: 'VMPTRLD', address: 0x11000n });
    const out = await impl.execute(0, { mnemonic: 'VMLAUNCH' });
    expect(out.kind).to.equal('VMfailValid');
    expect(out.notes?.[0]).to.match(/^VM entry refused by rule controls\.pin-based\.allowed-settings \(SDM 27\.2\.1\.1/);
  });
  it('CPUID reports VMX and MAXPHYADDR; RDMSR of a capability MSR, WRMSR of it is #GP', async () => {
    const impl = await fresh('minimal');
    const one = await impl.execute(0, { mnemonic: 'CPUID', leaf: 1 });
    expect(one.kind === 'completed' && ((one.values!.ecx >> 5n) & 1n)).to.equal(1n);
    const ext = await impl.execute(0, { mnemonic: 'CPUID', leaf: 0x80000008 });
    expect(ext.kind === 'completed' && (ext.values!.eax & 0xffn)).to.equal(36n);
    expect((await impl.execute(0, { mnemonic: 'RDMSR', msr: 0x480 })).kind).to.equal('completed');
    expect(await impl.execute(0, { mnemonic: 'WRMSR', msr: 0x480, value: 0n })).to.deep.equal({ kind: 'fault', vector: 13, errorCode: 0 });
    expect(await impl.execute(0, { mnemonic: 'RDMSR', msr: 0x48c })).to.deep.equal({ kind: 'fault', vector: 13, errorCode: 0 });
    expect(await impl.execute(0, { mnemonic: 'WRMSR', msr: 0x3a, value: 5n })).to.deep.equal({ kind: 'fault', vector: 13, errorCode: 0 });
  });
});
