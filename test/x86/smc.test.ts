/** Decode cache: decoded once, revalidated after writes (SDM Vol. 3A 11.6 "Self-Modifying Code"). */
import { describe, it } from 'node:test';
import { expect } from 'chai';
import { assemble } from '../../src/asm';
import { CODE, makeMachine } from './machine';
import { UnsupportedInstructionError } from '../../src/emulator/x86';

describe('decode cache', () => {
  it('guest code that rewrites an instruction it executes later sees the new instruction', () => {
    const m = makeMachine();
    m.load(`
      mov ecx, 3
      xor ebx, ebx
    l:
      mov eax, 1
      add ebx, eax
      mov dword ptr [l + 1], 7
      dec ecx
      jnz l
      hlt`);
    m.run();
    expect(m.gpr('rbx')).to.equal(1n + 7n + 7n);
  });

  it('a write by the platform between runs is seen at the next fetch', () => {
    const m = makeMachine();
    m.load('mov eax, 1\nhlt');
    m.run();
    expect(m.gpr('rax')).to.equal(1n);
    m.mem.writeBytes(CODE, assemble('mov eax, 2\nhlt', CODE).bytes);
    m.cpu.regs.rip = CODE;
    m.cpu.activityState = 0;
    m.run();
    expect(m.gpr('rax')).to.equal(2n);
  });

  it('data writes to a code page do not change what runs when the bytes stay the same', () => {
    const m = makeMachine();
    m.load(`
      mov ecx, 1000
    l:
      mov [buf], ecx
      dec ecx
      jnz l
      hlt
    buf: dd 0`);
    expect(m.run(10_000)).to.equal(1 + 3000 + 1);
  });

  it('an instruction that crosses a page boundary runs (and is re-read each time)', () => {
    const m = makeMachine();
    const at = 0x101000 - 3;
    m.load('mov rax, 0x1122334455667788\nhlt', at);
    m.run();
    expect(m.gpr('rax')).to.equal(0x1122334455667788n);
  });
});

describe('unsupported instructions', () => {
  it('throw UnsupportedInstructionError with the instruction text and leave RIP at it', () => {
    const m = makeMachine();
    const labels = m.load('nop\nx87: db 0xd9, 0xc1\nhlt');
    expect(() => m.run()).to.throw(UnsupportedInstructionError, /^unsupported instruction: fld st, st\(1\)$/);
    expect(m.cpu.regs.rip).to.equal(Number(labels.x87));
  });

  it('undefined opcodes and UD0/UD1/UD2 are #UD, not unsupported instructions', () => {
    for (const bytes of ['0x0f, 0x04', '0x0f, 0xff, 0xc0', '0x0f, 0x0b']) {
      const m = makeMachine();
      m.load(`db ${bytes}\nhlt`);
      m.run();
      expect(m.lastVector(), bytes).to.equal(6);
    }
  });
});
