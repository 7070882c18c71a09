/**
 * Arithmetic and logic on operand values, recording flags (SDM Vol. 2: ADD, ADC, SUB, SBB, AND, OR, XOR,
 * CMP, TEST, INC, DEC, NEG, SAL/SAR/SHL/SHR, ROL/ROR/RCL/RCR, MUL, IMUL, DIV, IDIV).
 *
 * Sizes 1, 2 and 4 use plain numbers (no bigint); 64-bit add/sub/logic use 32-bit halves (result bits
 * 63:32 in x.tHi); 64-bit shifts, multiplies and divides use bigint (rare in test guests).
 */
import * as ns_exec from './exec';
import type { Exec } from './exec';
import * as ns_flags from './flags';
import { fault } from './exec';
// Imported bindings rebound to module constants: under tsx/esbuild's CommonJS output each use of an
// imported name is a getter call, which costs on the hot path.
const { DE } = ns_exec;
const { F_ADC, F_ADD, F_DEC, F_INC, F_LOGIC, F_SBB, F_SUB, ARITH, CF, OF, PARITY, ZF, SF, PF, getCF, setStatus } = ns_flags;

/** ALU operations in the order of the ModRM reg field of opcodes 80–83 (SDM Vol. 2 Appendix A.4). */
export const OP_ADD = 0;
export const OP_OR = 1;
export const OP_ADC = 2;
export const OP_SBB = 3;
export const OP_AND = 4;
export const OP_SUB = 5;
export const OP_XOR = 6;
export const OP_CMP = 7;
export const OP_TEST = 8;

export function sizeMask(size: number): number {
  return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
}
export function signShift(size: number): number {
  return size * 8 - 1;
}

/** `a op b` for sizes 1, 2, 4; operands already masked. Returns the masked result. */
export function alu(x: Exec, op: number, a: number, b: number, size: number): number {
  const m = sizeMask(size);
  let r: number;
  let fop: number;
  switch (op) {
    case OP_ADD: r = (a + b) & m; fop = F_ADD; break;
    case OP_ADC: { const c = getCF(x); x.fCin = c; r = (a + b + c) & m; fop = F_ADC; break; }
    case OP_SBB: { const c = getCF(x); x.fCin = c; r = (a - b - c) & m; fop = F_SBB; break; }
    case OP_SUB: case OP_CMP: r = (a - b) & m; fop = F_SUB; break;
    case OP_AND: case OP_TEST: r = a & b; fop = F_LOGIC; break;
    case OP_OR: r = a | b; fop = F_LOGIC; break;
    default: r = a ^ b; fop = F_LOGIC; break;
  }
  r >>>= 0;
  x.fOp = fop;
  x.fSh = size * 8 - 1;
  x.fA = a;
  x.fB = b;
  x.fR = r;
  x.fRh = 0;
  return r;
}

/** 64-bit `a op b` from halves; returns bits 31:0, bits 63:32 in x.tHi. */
export function alu64(x: Exec, op: number, al: number, ah: number, bl: number, bh: number): number {
  let rl: number;
  let rh: number;
  let fop: number;
  switch (op) {
    case OP_ADD: case OP_ADC: {
      const c = op === OP_ADC ? getCF(x) : 0;
      x.fCin = c;
      const s = al + bl + c;
      rl = s >>> 0;
      rh = (ah + bh + (s > 0xffffffff ? 1 : 0)) >>> 0;
      fop = op === OP_ADC ? F_ADC : F_ADD;
      break;
    }
    case OP_SUB: case OP_CMP: case OP_SBB: {
      const c = op === OP_SBB ? getCF(x) : 0;
      x.fCin = c;
      const s = al - bl - c;
      rl = s >>> 0;
      rh = (ah - bh - (s < 0 ? 1 : 0)) >>> 0;
      fop = op === OP_SBB ? F_SBB : F_SUB;
      break;
    }
    case OP_AND: case OP_TEST: rl = (al & bl) >>> 0; rh = (ah & bh) >>> 0; fop = F_LOGIC; break;
    case OP_OR: rl = (al | bl) >>> 0; rh = (ah | bh) >>> 0; fop = F_LOGIC; break;
    default: rl = (al ^ bl) >>> 0; rh = (ah ^ bh) >>> 0; fop = F_LOGIC; break;
  }
  x.fOp = fop;
  x.fSh = 63;
  x.fA = al;
  x.fAh = ah;
  x.fB = bl;
  x.fBh = bh;
  x.fR = rl;
  x.fRh = rh;
  x.tHi = rh;
  return rl;
}

/** INC/DEC (CF unchanged). */
export function incdec(x: Exec, dec: boolean, a: number, size: number): number {
  const cf = getCF(x);
  const m = sizeMask(size);
  const r = ((dec ? a - 1 : a + 1) & m) >>> 0;
  x.fCin = cf;
  x.fOp = dec ? F_DEC : F_INC;
  x.fSh = size * 8 - 1;
  x.fA = a;
  x.fB = 1;
  x.fR = r;
  x.fRh = 0;
  return r;
}

export function incdec64(x: Exec, dec: boolean, al: number, ah: number): number {
  const cf = getCF(x);
  const s = dec ? al - 1 : al + 1;
  const rl = s >>> 0;
  const rh = (dec ? ah - (s < 0 ? 1 : 0) : ah + (s > 0xffffffff ? 1 : 0)) >>> 0;
  x.fCin = cf;
  x.fOp = dec ? F_DEC : F_INC;
  x.fSh = 63;
  x.fA = al;
  x.fAh = ah;
  x.fB = 1;
  x.fBh = 0;
  x.fR = rl;
  x.fRh = rh;
  x.tHi = rh;
  return rl;
}

/** NEG = 0 - a (CF = a != 0). */
export function neg(x: Exec, a: number, size: number): number {
  return alu(x, OP_SUB, 0, a, size);
}
export function neg64(x: Exec, al: number, ah: number): number {
  return alu64(x, OP_SUB, 0, 0, al, ah);
}

// ---- shifts and rotates (eager flags) ----

export const SH_ROL = 0;
export const SH_ROR = 1;
export const SH_RCL = 2;
export const SH_RCR = 3;
export const SH_SHL = 4;
export const SH_SHR = 5;
export const SH_SAL = 6;
export const SH_SAR = 7;

function resultFlags(r: number, signBit: number): number {
  return (PARITY[r & 0xff] ? PF : 0) | (r === 0 ? ZF : 0) | (signBit ? SF : 0);
}

/**
 * Shift/rotate for sizes 1, 2, 4. The count is masked to 5 bits (SDM Vol. 2 SAL/SAR/SHL/SHR: "The count
 * is masked to 5 bits"); a masked count of 0 changes no flags. OF is defined for 1-bit shifts; for larger
 * counts the reference machine uses the same formula.
 */
export function shift(x: Exec, op: number, a: number, count: number, size: number): number {
  const c = count & 0x1f;
  if (c === 0) return a;
  const bits = size * 8;
  const m = sizeMask(size);
  const top = bits - 1;
  let r: number;
  let cf: number;
  let of: number;
  switch (op) {
    case SH_SHL: case SH_SAL:
      r = c < 32 ? ((a << c) & m) >>> 0 : 0;
      cf = c <= bits ? (a >>> (bits - c)) & 1 : 0;
      of = ((r >>> top) & 1) ^ cf;
      break;
    case SH_SHR:
      r = c < 32 ? a >>> c : 0;
      cf = c <= bits ? (a >>> (c - 1)) & 1 : 0;
      of = (a >>> top) & 1;
      break;
    case SH_SAR: {
      const sa = (a << (32 - bits)) >> (32 - bits);
      r = ((sa >> Math.min(c, 31)) & m) >>> 0;
      cf = (sa >> Math.min(c - 1, 31)) & 1;
      of = 0;
      break;
    }
    case SH_ROL: case SH_ROR: {
      const n = c % bits;
      r = op === SH_ROL ? (((a << n) | (a >>> (bits - n))) & m) >>> 0 : (((a >>> n) | (a << (bits - n))) & m) >>> 0;
      if (n === 0) r = a;
      if (op === SH_ROL) {
        cf = r & 1;
        of = ((r >>> top) & 1) ^ cf;
      } else {
        cf = (r >>> top) & 1;
        of = cf ^ ((r >>> (top - 1)) & 1);
      }
      setStatus(x, CF | OF, (cf ? CF : 0) | (of ? OF : 0));
      return r;
    }
    default: { // RCL, RCR: rotate through CF, (bits + 1)-bit rotation
      const n = c % (bits + 1);
      let v = a;
      let carry = getCF(x);
      for (let i = 0; i < n; i++) {
        if (op === SH_RCL) {
          const out = (v >>> top) & 1;
          v = (((v << 1) | carry) & m) >>> 0;
          carry = out;
        } else {
          const out = v & 1;
          v = ((v >>> 1) | (carry << top)) >>> 0;
          carry = out;
        }
      }
      r = v;
      cf = carry;
      of = op === SH_RCL ? ((r >>> top) & 1) ^ cf : ((r >>> top) & 1) ^ ((r >>> (top - 1)) & 1);
      setStatus(x, CF | OF, (cf ? CF : 0) | (of ? OF : 0));
      return r;
    }
  }
  setStatus(x, ARITH, (cf ? CF : 0) | (of ? OF : 0) | resultFlags(r, (r >>> top) & 1));
  return r;
}

const M64 = (1n << 64n) - 1n;

/** 64-bit shift/rotate (count masked to 6 bits); value as bigint. */
export function shift64(x: Exec, op: number, a: bigint, count: number): bigint {
  const c = count & 0x3f;
  if (c === 0) return a;
  const n = BigInt(c);
  let r: bigint;
  let cf: number;
  let of: number;
  const msb = (v: bigint): number => Number((v >> 63n) & 1n);
  switch (op) {
    case SH_SHL: case SH_SAL:
      r = (a << n) & M64;
      cf = Number((a >> (64n - n)) & 1n);
      of = msb(r) ^ cf;
      break;
    case SH_SHR:
      r = a >> n;
      cf = Number((a >> (n - 1n)) & 1n);
      of = msb(a);
      break;
    case SH_SAR: {
      const s = BigInt.asIntN(64, a);
      r = BigInt.asUintN(64, s >> n);
      cf = Number((s >> (n - 1n)) & 1n);
      of = 0;
      break;
    }
    case SH_ROL: case SH_ROR: {
      r = op === SH_ROL ? ((a << n) | (a >> (64n - n))) & M64 : ((a >> n) | (a << (64n - n))) & M64;
      cf = op === SH_ROL ? Number(r & 1n) : msb(r);
      of = op === SH_ROL ? msb(r) ^ cf : msb(r) ^ Number((r >> 62n) & 1n);
      setStatus(x, CF | OF, (cf ? CF : 0) | (of ? OF : 0));
      return r;
    }
    default: {
      let v = a;
      let carry = BigInt(getCF(x));
      for (let i = 0; i < c; i++) {
        if (op === SH_RCL) {
          const out = v >> 63n;
          v = ((v << 1n) | carry) & M64;
          carry = out;
        } else {
          const out = v & 1n;
          v = (v >> 1n) | (carry << 63n);
          carry = out;
        }
      }
      r = v;
      cf = Number(carry);
      of = op === SH_RCL ? msb(r) ^ cf : msb(r) ^ Number((r >> 62n) & 1n);
      setStatus(x, CF | OF, (cf ? CF : 0) | (of ? OF : 0));
      return r;
    }
  }
  const lo = Number(r & 0xffn);
  setStatus(x, ARITH, (cf ? CF : 0) | (of ? OF : 0) | (PARITY[lo] ? PF : 0) | (r === 0n ? ZF : 0) | (msb(r) ? SF : 0));
  return r;
}

// ---- multiply and divide ----

/** Unsigned 32×32 → 64 without bigint: returns bits 31:0, bits 63:32 in x.tHi. */
export function mulu32(x: Exec, a: number, b: number): number {
  const aL = a & 0xffff;
  const aH = a >>> 16;
  const bL = b & 0xffff;
  const bH = b >>> 16;
  const ll = aL * bL;
  const mid = aH * bL + aL * bH; // < 2^33, exact
  const lo = ll + (mid % 65536) * 65536; // < 2^49
  const hi = aH * bH + Math.floor(mid / 65536) + Math.floor(lo / 4294967296);
  x.tHi = hi >>> 0;
  return lo >>> 0;
}

/** Signed 32×32 → 64: returns bits 31:0, bits 63:32 in x.tHi. */
export function muls32(x: Exec, a: number, b: number): number {
  const lo = mulu32(x, a >>> 0, b >>> 0);
  let hi = x.tHi;
  if ((a | 0) < 0) hi -= b >>> 0;
  if ((b | 0) < 0) hi -= a >>> 0;
  x.tHi = hi >>> 0;
  return lo;
}

/**
 * CF and OF after MUL/IMUL (SDM Vol. 2 MUL, IMUL): set when the upper half of the product is significant.
 * SF, ZF, AF and PF are undefined; the reference machine sets SF/ZF/PF from the low half and clears AF.
 */
export function mulFlags(x: Exec, overflow: boolean, low: number, signBit: number): void {
  const flags = (overflow ? CF | OF : 0) | resultFlags(low, signBit);
  setStatus(x, ARITH, flags);
}

/**
 * Unsigned divide of the 64-bit value hi:lo by a 32-bit divisor where hi < divisor (so the quotient fits in
 * 32 bits), by two 16-bit long-division steps in exact doubles. Returns the quotient; remainder in x.t2.
 */
export function divu64by32(x: Exec, hi: number, lo: number, d: number): number {
  let rem = hi;
  let cur = rem * 65536 + (lo >>> 16);
  const q1 = Math.floor(cur / d);
  rem = cur - q1 * d;
  cur = rem * 65536 + (lo & 0xffff);
  const q2 = Math.floor(cur / d);
  rem = cur - q2 * d;
  x.t2 = rem;
  return (q1 * 65536 + q2) >>> 0;
}

/** #DE (SDM Vol. 2 DIV/IDIV: divisor 0 or a quotient too large for the destination). */
export function divideError(x: Exec): never {
  return fault(x, DE, -1);
}

export const U64 = M64;
