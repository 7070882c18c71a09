import { describe, it } from 'node:test';
import { expect } from 'chai';
import { Decoder, DecoderOptions } from 'iced-x86';
import { assemble, AsmError } from '../../src/asm';
import { newIntelFormatter } from '../../src/asm/iced-format';
import { FORMS } from './forms';

/** Decode with iced and format: the independent view of the assembled bytes. */
function disassemble(bytes: Uint8Array, ip: bigint, bitness = 64): string[] {
  const d = new Decoder(bitness, bytes, DecoderOptions.None);
  const f = newIntelFormatter();
  d.ip = ip;
  const out: string[] = [];
  try {
    while (d.position < bytes.length) {
      const i = d.decode();
      out.push(f.format(i));
      i.free();
    }
  } finally {
    d.free();
    f.free();
  }
  return out;
}

describe('assembler: round trip against iced-x86 decoding and formatting', () => {
  for (const [source, formatted] of FORMS) {
    it(source, () => {
      const r = assemble(source, 0x1000n);
      expect(r.instructions).to.have.length(1);
      expect(r.instructions[0].length).to.equal(r.bytes.length);
      expect(disassemble(r.bytes, 0x1000n)).to.deep.equal([formatted ?? source]);
    });
  }
});

describe('assembler: labels, branches and layout', () => {
  it('resolves backward and forward labels, picking rel8 when it fits and rel32 otherwise', () => {
    const r = assemble(`
      start:
        jmp near_target
        jnz far_target
      near_target:
        dec ecx
        jnz start
        times 200 nop
      far_target:
        call start
    `, 0x4000);
    expect(r.labels.start).to.equal(0x4000n);
    const [jmp, jnz] = r.instructions;
    expect(jmp.length).to.equal(2);
    expect(jnz.length).to.equal(6);
    expect(r.labels.near_target).to.equal(0x4000n + 8n);
    expect(r.labels.far_target).to.equal(0x4000n + 8n + 2n + 2n + 200n);
    expect(r.instructions.at(-1)!.text).to.equal('call 0x4000');
  });

  it('makes label-only memory operands RIP-relative in 64-bit code and takes [rip + n] from the next instruction', () => {
    const r = assemble('lea rax, [value]\nmov ebx, [rip + 2]\nvalue: dq 0x1122334455667788', 0x2000);
    expect(r.instructions[0].text).to.equal(`lea rax, [0x${(0x2000 + 13).toString(16)}]`);
    expect(r.bytes.subarray(0, 3)).to.deep.equal(new Uint8Array([0x48, 0x8d, 0x05]));
    expect(r.instructions[1].text).to.equal(`mov ebx, [0x${(0x2000 + 13 + 2).toString(16)}]`);
  });

  it('assembles data: db strings, dw, dd, dq with labels, times and align', () => {
    const r = assemble('a: db "AB", 0\nalign 8\ndw 0x1234\ndd -1\ndq a\ntimes 3 db 7', 0x100);
    expect(Array.from(r.bytes)).to.deep.equal([
      0x41, 0x42, 0, 0, 0, 0, 0, 0, 0x34, 0x12, 0xff, 0xff, 0xff, 0xff, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 7, 7, 7,
    ]);
    expect(r.instructions).to.have.length(0);
  });

  it('accepts comments (; and #), several labels, equ constants, hex/binary/char immediates and instructions after labels', () => {
    const r = assemble(`
      PORT equ 0x3f8   ; a constant
      a: b: mov dx, PORT  # two labels
      mov al, 'x'
      mov cl, 0b101
      mov ebx, 0FFh
    `, 0);
    expect(r.labels).to.deep.equal({ a: 0n, b: 0n });
    expect(r.instructions.map((i) => i.text)).to.deep.equal(['mov dx, 0x3f8', 'mov al, 0x78', 'mov cl, 5', 'mov ebx, 0xff']);
    expect(r.instructions.map((i) => i.line)).to.deep.equal([3, 4, 5, 6]);
  });

  it('assembles 32-bit and 16-bit code', () => {
    expect(assemble('mov eax, cr0\npush eax\npushf\niret', 0, { bitness: 32 }).instructions.map((i) => i.text))
      .to.deep.equal(['mov eax, cr0', 'push eax', 'pushfd', 'iretd']);
    expect(assemble('mov ax, 1\nint 0x10', 0, { bitness: 16 }).instructions.map((i) => i.text)).to.deep.equal(['mov ax, 1', 'int 0x10']);
  });

  it('reports offsets and lengths of every instruction', () => {
    const r = assemble('cpuid\nhlt\nmov rax, 1', 0x10);
    expect(r.instructions.map((i) => [i.offset, i.length])).to.deep.equal([[0, 2], [2, 1], [3, 7]]);
  });
});

describe('assembler: bad input', () => {
  function error(src: string): AsmError {
    try {
      assemble(src, 0);
    } catch (e) {
      if (e instanceof AsmError) return e;
      throw e;
    }
    throw new Error(`no error for ${src}`);
  }

  it('names the line, its text and the unknown mnemonic, with close valid mnemonics', () => {
    const e = error('nop\n  vmcal   ; typo');
    expect(e.line).to.equal(2);
    expect(e.lineText).to.equal('  vmcal   ; typo');
    expect(e.token).to.equal('vmcal');
    expect(e.suggestions).to.include('vmcall');
    expect(e.message).to.match(/line 2: unknown mnemonic: 'vmcal' \(did you mean .*vmcall/);
  });

  it('rejects bad operands with the offending token', () => {
    expect(error('mov al, 0x1ff').token).to.equal('0x1ff');
    expect(error('push eax').token).to.equal('eax');
    expect(error('mov eax, 1, 2').reason).to.match(/wrong number of operands/);
    expect(error('add eax, [rbx+rsp*2]').token).to.equal('[rbx+rsp*2]');
    expect(error('mov eax, [rax+').reason).to.equal('missing ]');
    expect(error('mov eax, [rax*3]').reason).to.match(/scale/);
  });

  it('requires a size for ambiguous memory operands', () => {
    const e = error('inc [rax]');
    expect(e.token).to.equal('[rax]');
    expect(e.reason).to.match(/operand size not specified/);
  });

  it('rejects undefined and duplicate labels', () => {
    expect(error('jmp nowhere').token).to.equal('nowhere');
    const dup = error('x: nop\nx: nop');
    expect(dup.line).to.equal(2);
    expect(dup.token).to.equal('x');
  });

  it('rejects instructions not available in the mode', () => {
    expect(error('into').reason).to.match(/not available in 64-bit mode/);
  });
});
