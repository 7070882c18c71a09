/**
 * The wire protocol: the codec round-trips, the schema rejects malformed messages with a message naming
 * what is wrong, and the server answers bad requests with errors and keeps serving.
 */
import { PassThrough } from 'node:stream';
import * as readline from 'node:readline';
import { describe, it } from 'node:test';
import { expect } from 'chai';
import { serve } from '../../src/adapters/stdio-server';
import { splitCommand } from '../../src/adapters/stdio';
import { createReferenceImplementation } from '../../src/emulator/index';
import type { Instruction } from '../../src/contract/types';
import { decodeInstruction, decodeOutcome, encodeInstruction, encodeOutcome, validateRequest, validateResponse, validateResult } from '../../src/contract/wire';

describe('wire codec', () => {
  const instructions: Instruction[] = [
    { mnemonic: 'VMXON', address: 0x200000n },
    { mnemonic: 'VMREAD', encoding: 0x681en },
    { mnemonic: 'VMWRITE', encoding: 0x681en, value: 0xffffffffffffffffn },
    { mnemonic: 'INVEPT', type: 1n, descriptor: [0x600000n, 0n] },
    { mnemonic: 'CPUID', leaf: 1, subleaf: 0 },
    { mnemonic: 'WRMSR', msr: 0x3a, value: 5n },
    { mnemonic: 'MOV-TO-CR', cr: 4, value: 0x2020n },
    { mnemonic: 'VMLAUNCH' },
  ];
  for (const i of instructions) {
    it(`round-trips ${i.mnemonic} and the result validates`, () => {
      const wire = encodeInstruction(i);
      expect(validateRequest({ id: 1, op: 'execute', cpu: 0, instruction: wire })).to.equal(undefined);
      expect(decodeInstruction(wire)).to.deep.equal(i);
    });
  }
  it('round-trips outcomes with 64-bit values', () => {
    const o = { kind: 'VMsucceed' as const, value: 0xfedcba9876543210n };
    expect(decodeOutcome(encodeOutcome(o))).to.deep.equal(o);
    expect(validateResult('execute', { outcome: encodeOutcome(o) })).to.equal(undefined);
  });
  it('rejects a VMfailValid outcome without its error number', () => {
    expect(validateResult('execute', { outcome: { kind: 'VMfailValid' } })).to.match(/error/);
  });
  it('rejects requests with unknown fields, missing operands or values wider than 64 bits', () => {
    expect(validateRequest({ id: 1, op: 'hello', extra: 1 })).to.be.a('string');
    expect(validateRequest({ id: 1, op: 'execute', cpu: 0, instruction: { mnemonic: 'VMREAD' } })).to.be.a('string');
    expect(validateRequest({ id: 1, op: 'writeMemory', address: '0x12345678901234567', data: '' })).to.be.a('string');
    expect(validateRequest({ id: 1, op: 'frobnicate' })).to.be.a('string');
  });
  it('rejects a response that is neither a result nor an error', () => {
    expect(validateResponse({ id: 1, ok: true })).to.be.a('string');
    expect(validateResponse({ id: 1, ok: false, error: { code: 'nope', message: 'x' } })).to.be.a('string');
  });
});

describe('splitCommand', () => {
  it('splits words, honours quotes and escapes, and never involves a shell', () => {
    expect(splitCommand(`./emu --serve "a b" 'c d' e\\ f`)).to.deep.equal(['./emu', '--serve', 'a b', 'c d', 'e f']);
    expect(() => splitCommand('emu "unterminated')).to.throw(/unterminated/);
    expect(() => splitCommand('   ')).to.throw(/empty command/);
  });
});

describe('vmx-conform serve', () => {
  it('answers bad requests with errors that say what is wrong, and keeps serving', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const done = serve(createReferenceImplementation(), input, output);
    const lines = readline.createInterface({ input: output });
    const replies: any[] = [];
    lines.on('line', (l) => replies.push(JSON.parse(l)));
    for (const req of [
      'not json at all',
      JSON.stringify({ id: 2, op: 'frobnicate' }),
      JSON.stringify({ id: 3, op: 'reset' }),
      JSON.stringify({ id: 4, op: 'getState', cpu: 0, names: ['rxa'] }),
      JSON.stringify({ id: 5, op: 'getState', cpu: 7, names: ['rax'] }),
      JSON.stringify({ id: 6, op: 'execute', cpu: 0, instruction: { mnemonic: 'VMXON', address: '0x200000' } }),
    ]) input.write(req + '\n');
    input.end();
    await done;
    await new Promise((r) => setImmediate(r));
    expect(replies.map((r) => r.ok)).to.deep.equal([false, false, true, false, false, true]);
    expect(replies[0].error.message).to.match(/not JSON/);
    expect(replies[1].error.code).to.equal('bad-request');
    expect(replies[3].error.message).to.match(/rxa/);
    expect(replies[4].error.message).to.match(/7/);
    expect(replies[5].result.outcome).to.deep.equal({ kind: 'fault', vector: 6 });
  });
});
