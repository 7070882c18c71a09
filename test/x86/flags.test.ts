/**
 * Status flags of ADD/ADC/SUB/SBB/CMP/INC/DEC/NEG/AND/OR/XOR, shifts and IMUL at operand-size boundaries,
 * checked against a reference model written from SDM Vol. 1 3.4.3.1 and the SDM Vol. 2 instruction pages.
 */
import { describe, it } from 'node:test';
import { expect } from 'chai';
import { makeMachine, type Machine } from './machine';

const CF = 1n, PF = 4n, AF = 0x10n, ZF = 0x40n, SF = 0x80n, OF = 0x800n;
const REGS: Record<number, [string, string]> = { 8: ['al', 'bl'], 16: ['ax', 'bx'], 32: ['eax', 'ebx'], 64: ['rax', 'rbx'] };

function parity(v: bigint): boolean {
  let c = 0;
  for (let k = 0n; k < 8n; k++) if ((v >> k) & 1n) c++;
  return c % 2 === 0;
}
function resultFlags(res: bigint, n: bigint): bigint {
  return (res === 0n ? ZF : 0n) | ((res >> (n - 1n)) & 1n ? SF : 0n) | (parity(res & 0xffn) ? PF : 0n);
}

/** Reference result and flags; `mask` is the set of flags the SDM defines for the case. */
function reference(op: string, n: bigint, a: bigint, b: bigint, cin: bigint): { res: bigint; flags: bigint; mask: bigint } {
  const M = (1n << n) - 1n;
  const sign = (v: bigint): bigint => (v >> (n - 1n)) & 1n;
  const sx = (v: bigint): bigint => (sign(v) ? v - (1n << n) : v);
  switch (op) {
    case 'add': case 'adc': case 'inc': {
      const bb = op === 'inc' ? 1n : b;
      const c = op === 'adc' ? cin : 0n;
      const full = a + bb + c;
      const res = full & M;
      let f = resultFlags(res, n) | ((a ^ bb ^ res) & 0x10n ? AF : 0n);
      if (sign(a) === sign(bb) && sign(res) !== sign(a)) f |= OF;
      if (op === 'inc') f |= cin ? CF : 0n;
      else if (full > M) f |= CF;
      return { res, flags: f, mask: CF | PF | AF | ZF | SF | OF };
    }
    case 'sub': case 'sbb': case 'cmp': case 'dec': case 'neg': {
      const aa = op === 'neg' ? 0n : a;
      const bb = op === 'dec' ? 1n : op === 'neg' ? a : b;
      const c = op === 'sbb' ? cin : 0n;
      const full = aa - bb - c;
      const res = full & M;
      let f = resultFlags(res, n) | ((aa ^ bb ^ res) & 0x10n ? AF : 0n);
      if (sign(aa) !== sign(bb) && sign(res) !== sign(aa)) f |= OF;
      if (op === 'dec') f |= cin ? CF : 0n;
      else if (full < 0n) f |= CF;
      return { res: op === 'cmp' ? a : res, flags: f, mask: CF | PF | AF | ZF | SF | OF };
    }
    case 'and': case 'or': case 'xor': {
      const res = op === 'and' ? a & b : op === 'or' ? a | b : a ^ b;
      return { res, flags: resultFlags(res, n), mask: CF | PF | ZF | SF | OF };
    }
    case 'shl': case 'shr': case 'sar': {
      const c = b;
      let res: bigint;
      let cf: bigint;
      let of = 0n;
      if (op === 'shl') { res = (a << c) & M; cf = (a >> (n - c)) & 1n; of = sign(res) ^ cf; }
      else if (op === 'shr') { res = a >> c; cf = (a >> (c - 1n)) & 1n; of = sign(a); }
      else { res = BigInt.asUintN(Number(n), sx(a) >> c); cf = (sx(a) >> (c - 1n)) & 1n; }
      return { res, flags: resultFlags(res, n) | (cf ? CF : 0n) | (of ? OF : 0n), mask: CF | PF | ZF | SF | (c === 1n ? OF : 0n) };
    }
    default: { // imul two-operand
      const p = sx(a) * sx(b);
      const res = p & M;
      const over = sx(res) !== p;
      return { res, flags: over ? CF | OF : 0n, mask: CF | OF };
    }
  }
}

const EDGE: Record<number, bigint[]> = {};
for (const n of [8, 16, 32, 64]) {
  const N = BigInt(n);
  const M = (1n << N) - 1n;
  const h = 1n << (N - 1n);
  EDGE[n] = [0n, 1n, 2n, 0xfn, 0x10n, h - 1n, h, h + 1n, M - 1n, M, 0x5an & M, (0x123456789abcdef0n & M) | 1n];
}

function program(op: string, n: number): string {
  const [a, b] = REGS[n];
  const body = op === 'inc' || op === 'dec' || op === 'neg' ? `${op} ${a}`
    : op === 'shl' || op === 'shr' || op === 'sar' ? `${op} ${a}, cl`
    : op === 'imul' ? (n === 8 ? 'imul bl' : `imul ${a}, ${b}`)
    : `${op} ${a}, ${b}`;
  return `${body}\npushfq\npop rdx\nhlt`;
}

function runCase(m: Machine, code: number, a: bigint, b: bigint, cin: bigint, shiftCount?: bigint): { rax: bigint; flags: bigint } {
  const r = m.cpu.regs;
  r.setGpr(0, a);
  r.setGpr(3, b);
  r.setGpr(1, shiftCount ?? 0n);
  r.setGpr(4, 0x7ff00n);
  r.rflags = 2 | Number(cin);
  r.rip = code;
  m.cpu.activityState = 0;
  m.run(100);
  return { rax: r.getGpr(0), flags: r.getGpr(2) };
}

describe('flags: arithmetic and logic at operand-size boundaries', () => {
  for (const op of ['add', 'adc', 'sub', 'sbb', 'cmp', 'inc', 'dec', 'neg', 'and', 'or', 'xor']) {
    for (const n of [8, 16, 32, 64]) {
      it(`${op} ${n}-bit`, () => {
        const m = makeMachine();
        m.load(program(op, n));
        const code = 0x100000;
        const N = BigInt(n);
        for (const a of EDGE[n]) {
          for (const b of EDGE[n]) {
            for (const cin of [0n, 1n]) {
              const ref = reference(op, N, a, b, cin);
              const got = runCase(m, code, a, b, cin);
              const label = `${op}${n} a=${a.toString(16)} b=${b.toString(16)} cf=${cin}`;
              expect(got.rax & ((1n << N) - 1n), label).to.equal(ref.res);
              expect(got.flags & ref.mask, label).to.equal(ref.flags & ref.mask);
            }
          }
        }
      });
    }
  }
});

describe('flags: shifts', () => {
  for (const op of ['shl', 'shr', 'sar']) {
    for (const n of [8, 16, 32, 64]) {
      it(`${op} ${n}-bit by 1 … size-1`, () => {
        const m = makeMachine();
        m.load(program(op, n));
        const N = BigInt(n);
        for (const a of EDGE[n]) {
          for (const c of [1n, 2n, N / 2n, N - 1n]) {
            const ref = reference(op, N, a, c, 0n);
            const got = runCase(m, 0x100000, a, 0n, 0n, c);
            const label = `${op}${n} a=${a.toString(16)} c=${c}`;
            expect(got.rax & ((1n << N) - 1n), label).to.equal(ref.res);
            expect(got.flags & ref.mask, label).to.equal(ref.flags & ref.mask);
          }
        }
      });
    }
  }

  it('a masked count of 0 changes no flags', () => {
    const m = makeMachine();
    m.load(program('shl', 32));
    const got = runCase(m, 0x100000, 0x80000000n, 0n, 1n, 32n); // 32 & 0x1f = 0
    expect(got.rax).to.equal(0x80000000n);
    expect(got.flags & 0x8d5n).to.equal(CF);
  });
});

describe('flags: IMUL overflow', () => {
  for (const n of [16, 32, 64]) {
    it(`imul ${n}-bit: CF = OF = 1 exactly when the product does not fit`, () => {
      const m = makeMachine();
      m.load(program('imul', n));
      const N = BigInt(n);
      for (const a of EDGE[n]) {
        for (const b of EDGE[n]) {
          const ref = reference('imul', N, a, b, 0n);
          const got = runCase(m, 0x100000, a, b, 0n);
          const label = `imul${n} ${a.toString(16)}*${b.toString(16)}`;
          expect(got.rax & ((1n << N) - 1n), label).to.equal(ref.res);
          expect(got.flags & ref.mask, label).to.equal(ref.flags);
        }
      }
    });
  }
});
