/**
 * Data movement and integer arithmetic (SDM Vol. 2 instruction pages of the same names): MOV, MOVZX, MOVSX,
 * MOVSXD, LEA, XCHG, XADD, CMPXCHG, BSWAP, ADD/ADC/SUB/SBB/AND/OR/XOR/CMP/TEST, INC, DEC, NEG, NOT, shifts
 * and rotates, MUL/IMUL/DIV/IDIV, CBW/CWDE/CDQE/CWD/CDQ/CQO, BT/BTS/BTR/BTC, CMOVcc, SETcc.
 *
 * The common register/immediate forms of 32- and 64-bit ADD/SUB/AND/OR/XOR/CMP/TEST/MOV/INC/DEC have
 * their own handlers (no operand-kind dispatch, lazy flags written inline); every other form goes through
 * the generic handlers below.
 */
import * as ns_alu from './alu';
import * as ns_access from './access';
import * as ns_decode from './decode';
import type { Handler, Insn } from './decode';
import type { Exec } from './exec';
import * as ns_flags from './flags';

// Lazy-flag operation codes (flags.ts F_*), repeated as literals in the hot handlers below.
const F_ADD = 1;
const F_SUB = 3;
const F_LOGIC = 5;
const F_INC = 6;
const F_DEC = 7;
import { divideError } from './alu';
// Imported bindings rebound to module constants: under tsx/esbuild's CommonJS output each use of an
// imported name is a getter call, which costs on the hot path.
const { OP_ADC, OP_ADD, OP_AND, OP_CMP, OP_OR, OP_SBB, OP_SUB, OP_TEST, OP_XOR, alu, alu64, incdec, incdec64, neg, neg64, shift, shift64, mulu32, muls32, mulFlags, divu64by32, sizeMask } = ns_alu;
const { getReg, memLa, offsetOf, readOp, regBig, setReg, setRegBig, writeOp, rdSize, wrSize, ea, bigFromHalves, probeWrite } = ns_access;
const { K_IMM, K_MEM, K_REG } = ns_decode;
const { CF, condition, setStatus } = ns_flags;
const { getCF } = ns_flags;
// Module-local aliases: imported bindings compile to getter calls under tsx/esbuild's CommonJS output.
const getCFslow = getCF;

// ---- hot 32-bit register forms ----

export const addRR32: Handler = (x, i) => {
  const lo = x.lo;
  const a = lo[i.r0];
  const b = lo[i.r1];
  const r = (a + b) >>> 0;
  lo[i.r0] = r;
  x.hi[i.r0] = 0;
  x.fOp = F_ADD; x.fSh = 31; x.fA = a; x.fB = b; x.fR = r; x.fRh = 0;
  return 0;
};
export const addRI32: Handler = (x, i) => {
  const lo = x.lo;
  const a = lo[i.r0];
  const b = i.imm;
  const r = (a + b) >>> 0;
  lo[i.r0] = r;
  x.hi[i.r0] = 0;
  x.fOp = F_ADD; x.fSh = 31; x.fA = a; x.fB = b; x.fR = r; x.fRh = 0;
  return 0;
};
export const subRR32: Handler = (x, i) => {
  const lo = x.lo;
  const a = lo[i.r0];
  const b = lo[i.r1];
  const r = (a - b) >>> 0;
  lo[i.r0] = r;
  x.hi[i.r0] = 0;
  x.fOp = F_SUB; x.fSh = 31; x.fA = a; x.fB = b; x.fR = r; x.fRh = 0;
  return 0;
};
export const subRI32: Handler = (x, i) => {
  const lo = x.lo;
  const a = lo[i.r0];
  const b = i.imm;
  const r = (a - b) >>> 0;
  lo[i.r0] = r;
  x.hi[i.r0] = 0;
  x.fOp = F_SUB; x.fSh = 31; x.fA = a; x.fB = b; x.fR = r; x.fRh = 0;
  return 0;
};
export const cmpRR32: Handler = (x, i) => {
  const lo = x.lo;
  const a = lo[i.r0];
  const b = lo[i.r1];
  x.fOp = F_SUB; x.fSh = 31; x.fA = a; x.fB = b; x.fR = (a - b) >>> 0; x.fRh = 0;
  return 0;
};
export const cmpRI32: Handler = (x, i) => {
  const a = x.lo[i.r0];
  const b = i.imm;
  x.fOp = F_SUB; x.fSh = 31; x.fA = a; x.fB = b; x.fR = (a - b) >>> 0; x.fRh = 0;
  return 0;
};
// AND/OR/XOR/TEST register forms (register or immediate source).
export const andRR32: Handler = (x, i) => {
  const r = (x.lo[i.r0] & x.lo[i.r1]) >>> 0;
  x.lo[i.r0] = r; x.hi[i.r0] = 0;
  x.fOp = F_LOGIC; x.fSh = 31; x.fR = r; x.fRh = 0;
  return 0;
};
export const andRI32: Handler = (x, i) => {
  const r = (x.lo[i.r0] & i.imm) >>> 0;
  x.lo[i.r0] = r; x.hi[i.r0] = 0;
  x.fOp = F_LOGIC; x.fSh = 31; x.fR = r; x.fRh = 0;
  return 0;
};
export const orRR32: Handler = (x, i) => {
  const r = (x.lo[i.r0] | x.lo[i.r1]) >>> 0;
  x.lo[i.r0] = r; x.hi[i.r0] = 0;
  x.fOp = F_LOGIC; x.fSh = 31; x.fR = r; x.fRh = 0;
  return 0;
};
export const orRI32: Handler = (x, i) => {
  const r = (x.lo[i.r0] | i.imm) >>> 0;
  x.lo[i.r0] = r; x.hi[i.r0] = 0;
  x.fOp = F_LOGIC; x.fSh = 31; x.fR = r; x.fRh = 0;
  return 0;
};
export const xorRR32: Handler = (x, i) => {
  const r = (x.lo[i.r0] ^ x.lo[i.r1]) >>> 0;
  x.lo[i.r0] = r; x.hi[i.r0] = 0;
  x.fOp = F_LOGIC; x.fSh = 31; x.fR = r; x.fRh = 0;
  return 0;
};
export const xorRI32: Handler = (x, i) => {
  const r = (x.lo[i.r0] ^ i.imm) >>> 0;
  x.lo[i.r0] = r; x.hi[i.r0] = 0;
  x.fOp = F_LOGIC; x.fSh = 31; x.fR = r; x.fRh = 0;
  return 0;
};
export const testRR32: Handler = (x, i) => {
  x.fOp = F_LOGIC; x.fSh = 31; x.fR = (x.lo[i.r0] & x.lo[i.r1]) >>> 0; x.fRh = 0;
  return 0;
};
export const testRI32: Handler = (x, i) => {
  x.fOp = F_LOGIC; x.fSh = 31; x.fR = (x.lo[i.r0] & i.imm) >>> 0; x.fRh = 0;
  return 0;
};

/** CF of the lazy state, inlined for INC/DEC (which keep CF): see flags.getCF. */
function carry(x: Exec): number {
  const op = x.fOp;
  if (op === 0) return x.regs.rflags & 1;
  if (op === F_LOGIC) return 0;
  if (op === F_SUB && x.fSh !== 63) return x.fA < x.fB ? 1 : 0;
  if (op === F_ADD && x.fSh !== 63) return x.fR < x.fA ? 1 : 0;
  if (op === F_INC || op === F_DEC) return x.fCin;
  return getCFslow(x);
}

export const incR32: Handler = (x, i) => {
  const cf = carry(x);
  const a = x.lo[i.r0];
  const r = (a + 1) >>> 0;
  x.lo[i.r0] = r; x.hi[i.r0] = 0;
  x.fCin = cf; x.fOp = F_INC; x.fSh = 31; x.fA = a; x.fB = 1; x.fR = r; x.fRh = 0;
  return 0;
};
export const decR32: Handler = (x, i) => {
  const cf = carry(x);
  const a = x.lo[i.r0];
  const r = (a - 1) >>> 0;
  x.lo[i.r0] = r; x.hi[i.r0] = 0;
  x.fCin = cf; x.fOp = F_DEC; x.fSh = 31; x.fA = a; x.fB = 1; x.fR = r; x.fRh = 0;
  return 0;
};

// ---- 64-bit register forms ----

function rr64(op: number): Handler {
  return (x, i) => {
    const lo = x.lo;
    const hi = x.hi;
    const d = i.r0;
    const bl = i.k1 === K_IMM ? i.imm : lo[i.r1];
    const bh = i.k1 === K_IMM ? i.immHi : hi[i.r1];
    const r = alu64(x, op, lo[d], hi[d], bl, bh);
    if (op !== OP_CMP && op !== OP_TEST) {
      lo[d] = r;
      hi[d] = x.tHi;
    }
    return 0;
  };
}

const incdecR64 = (dec: boolean): Handler => (x, i) => {
  const r = incdec64(x, dec, x.lo[i.r0], x.hi[i.r0]);
  x.lo[i.r0] = r;
  x.hi[i.r0] = x.tHi;
  return 0;
};

// ---- MOV ----

export const movRR32: Handler = (x, i) => {
  x.lo[i.r0] = x.lo[i.r1];
  x.hi[i.r0] = 0;
  return 0;
};
export const movRI32: Handler = (x, i) => {
  x.lo[i.r0] = i.imm;
  x.hi[i.r0] = 0;
  return 0;
};
export const movRR64: Handler = (x, i) => {
  x.lo[i.r0] = x.lo[i.r1];
  x.hi[i.r0] = x.hi[i.r1];
  return 0;
};
export const movRI64: Handler = (x, i) => {
  x.lo[i.r0] = i.imm;
  x.hi[i.r0] = i.immHi;
  return 0;
};
/** MOV r, [m] / MOV [m], r / MOV [m], imm / 8- and 16-bit forms. */
export const movGeneric: Handler = (x, i) => {
  const size = i.size;
  const la = memLa(x, i);
  const v = readOp(x, i, 1, size, la);
  writeOp(x, i, 0, size, la, v, x.tHi);
  return 0;
};
export const movLoad32: Handler = (x, i) => {
  const v = rdSize(x, ea(x, i), 4);
  x.lo[i.r0] = v;
  x.hi[i.r0] = 0;
  return 0;
};
export const movLoad64: Handler = (x, i) => {
  const v = rdSize(x, ea(x, i), 8);
  x.lo[i.r0] = v;
  x.hi[i.r0] = x.tHi;
  return 0;
};
export const movStore: Handler = (x, i) => {
  const size = i.size;
  const la = ea(x, i);
  const v = getReg(x, i.r1, size, i.h1);
  wrSize(x, la, size, v, x.tHi);
  return 0;
};

/** MOVZX / MOVSX / MOVSXD (SDM Vol. 2): source size s1, destination size s0. */
export function movExtend(signed: boolean): Handler {
  return (x, i) => {
    const la = memLa(x, i);
    const src = i.k1 === K_MEM ? i.memSize : i.s1;
    let v = readOp(x, i, 1, src, la);
    let vh = 0;
    if (signed) {
      const sh = 32 - src * 8;
      v = sh > 0 ? (v << sh) >> sh : v | 0;
      vh = v < 0 ? 0xffffffff : 0;
      v >>>= 0;
    }
    setReg(x, i.r0, i.s0, i.h0, i.s0 === 2 ? v & 0xffff : v, vh);
    return 0;
  };
}

/** LEA: the offset, truncated to the operand size (SDM Vol. 2 LEA, Table "Non-64-bit Mode LEA Operation"). */
export const lea: Handler = (x, i) => {
  const a = offsetOf(x, i);
  if (i.s0 === 8) {
    if (a > -9007199254740992 && a < 9007199254740992) {
      x.lo[i.r0] = a >>> 0;
      x.hi[i.r0] = Math.floor(a / 4294967296) >>> 0;
    } else {
      // Beyond 2^53 the double is inexact: recompute in bigint (rare).
      let v = BigInt(i.disp);
      if (i.base >= 0 && i.base < 16) v += regBig(x, i.base);
      if (i.index >= 0) v += regBig(x, i.index) * BigInt(i.scale);
      setRegBig(x, i.r0, v);
    }
  } else {
    setReg(x, i.r0, i.s0, 0, i.s0 === 2 ? a & 0xffff : a >>> 0, 0);
  }
  return 0;
};

/** XCHG (with memory: implicitly locked, SDM Vol. 2 XCHG). */
export const xchg: Handler = (x, i) => {
  const size = i.size;
  const la = memLa(x, i);
  const a = readOp(x, i, 0, size, la);
  const ah = x.tHi;
  const b = readOp(x, i, 1, size, la);
  const bh = x.tHi;
  writeOp(x, i, 0, size, la, b, bh);
  writeOp(x, i, 1, size, la, a, ah);
  return 0;
};

// ---- generic ALU ----

function aluGeneric(op: number): Handler {
  return (x, i) => {
    const size = i.size;
    const la = memLa(x, i);
    if (i.k0 === K_MEM && op !== OP_CMP && op !== OP_TEST) probeWrite(x, la, size);
    const a = readOp(x, i, 0, size, la);
    const ah = x.tHi;
    const b = readOp(x, i, 1, size, la);
    const bh = x.tHi;
    let r: number;
    let rh = 0;
    if (size === 8) {
      r = alu64(x, op, a, ah, b, bh);
      rh = x.tHi;
    } else {
      r = alu(x, op, a, b, size);
    }
    if (op !== OP_CMP && op !== OP_TEST) writeOp(x, i, 0, size, la, r, rh);
    return 0;
  };
}

function unaryGeneric(kind: 'inc' | 'dec' | 'neg' | 'not'): Handler {
  return (x, i) => {
    const size = i.size;
    const la = memLa(x, i);
    if (i.k0 === K_MEM) probeWrite(x, la, size);
    const a = readOp(x, i, 0, size, la);
    const ah = x.tHi;
    let r: number;
    let rh = 0;
    if (kind === 'not') {
      r = (~a & sizeMask(size === 8 ? 4 : size)) >>> 0;
      rh = size === 8 ? ~ah >>> 0 : 0;
    } else if (size === 8) {
      r = kind === 'neg' ? neg64(x, a, ah) : incdec64(x, kind === 'dec', a, ah);
      rh = x.tHi;
    } else {
      r = kind === 'neg' ? neg(x, a, size) : incdec(x, kind === 'dec', a, size);
    }
    writeOp(x, i, 0, size, la, r, rh);
    return 0;
  };
}

/** Shifts/rotates: count from CL, an immediate, or 1 (opcode D0/D1). */
function shiftGeneric(op: number): Handler {
  return (x, i) => {
    const size = i.size;
    const la = memLa(x, i);
    const count = i.k1 === K_IMM ? i.imm & 0xff : i.k1 === K_REG ? x.lo[1] & 0xff : 1;
    if (i.k0 === K_MEM) probeWrite(x, la, size);
    const a = readOp(x, i, 0, size, la);
    if (size === 8) {
      const r = shift64(x, op, bigFromHalves(a, x.tHi), count);
      writeOp(x, i, 0, 8, la, Number(r & 0xffffffffn), Number(r >> 32n));
    } else {
      writeOp(x, i, 0, size, la, shift(x, op, a, count, size), 0);
    }
    return 0;
  };
}

/** Two- and three-operand IMUL (SDM Vol. 2 IMUL forms 2 and 3): truncated product, CF = OF = overflow. */
const imulTruncating: Handler = (x, i) => {
  const size = i.s0;
  const la = memLa(x, i);
  const a = i.opCount === 3 ? readOp(x, i, 1, size, la) : getReg(x, i.r0, size, 0);
  const ah = x.tHi;
  const b = i.opCount === 3 ? readOp(x, i, 2, size, la) : readOp(x, i, 1, size, la);
  const bh = x.tHi;
  if (size === 8) {
    const p = BigInt.asIntN(64, bigFromHalves(a, ah)) * BigInt.asIntN(64, bigFromHalves(b, bh));
    const t = BigInt.asIntN(64, p);
    setRegBig(x, i.r0, t);
    mulFlags(x, t !== p, Number(BigInt.asUintN(64, t) & 0xffn), t < 0n ? 1 : 0);
    return 0;
  }
  let lo: number;
  let overflow: boolean;
  if (size === 4) {
    lo = muls32(x, a, b);
    overflow = x.tHi !== (lo >> 31 >>> 0);
  } else {
    const sh = 32 - size * 8;
    const p = ((a << sh) >> sh) * ((b << sh) >> sh);
    lo = p & sizeMask(size);
    overflow = ((lo << sh) >> sh) !== p;
  }
  setReg(x, i.r0, size, 0, lo >>> 0, 0);
  mulFlags(x, overflow, lo, (lo >>> (size * 8 - 1)) & 1);
  return 0;
};

/** One-operand MUL/IMUL: rDX:rAX ← rAX × src (AX ← AL × src for bytes). */
function mulWide(signed: boolean): Handler {
  return (x, i) => {
    const size = i.size;
    const la = memLa(x, i);
    const b = readOp(x, i, 0, size, la);
    const bh = x.tHi;
    const lo = x.lo;
    if (size === 8) {
      const av = signed ? BigInt.asIntN(64, regBig(x, 0)) : regBig(x, 0);
      const bv = signed ? BigInt.asIntN(64, bigFromHalves(b, bh)) : bigFromHalves(b, bh);
      const p = av * bv;
      setRegBig(x, 0, p);
      setRegBig(x, 2, p >> 64n);
      const overflow = signed ? BigInt.asIntN(64, p) !== p : p >> 64n !== 0n;
      mulFlags(x, overflow, Number(p & 0xffn), Number((BigInt.asUintN(64, p) >> 63n) & 1n));
      return 0;
    }
    if (size === 4) {
      const r = signed ? muls32(x, lo[0], b) : mulu32(x, lo[0], b);
      const h = x.tHi;
      lo[0] = r; x.hi[0] = 0;
      lo[2] = h; x.hi[2] = 0;
      mulFlags(x, signed ? h !== (r >> 31 >>> 0) : h !== 0, r, r >>> 31);
      return 0;
    }
    const bits = size * 8;
    const sh = 32 - bits;
    const a = size === 1 ? lo[0] & 0xff : lo[0] & 0xffff;
    const p = signed ? ((a << sh) >> sh) * ((b << sh) >> sh) : a * b;
    const low = p & sizeMask(size);
    const high = (p >> bits) & sizeMask(size);
    if (size === 1) {
      lo[0] = (lo[0] & 0xffff0000) | (p & 0xffff);
    } else {
      lo[0] = (lo[0] & 0xffff0000) | low;
      lo[2] = (lo[2] & 0xffff0000) | high;
    }
    const overflow = signed ? ((low << sh) >> sh) !== p : high !== 0;
    mulFlags(x, overflow, low, (low >>> (bits - 1)) & 1);
    return 0;
  };
}

/** DIV/IDIV (SDM Vol. 2): #DE on a zero divisor or a quotient that does not fit. Flags are undefined (unchanged). */
function divide(signed: boolean): Handler {
  return (x, i) => {
    const size = i.size;
    const la = memLa(x, i);
    const d = readOp(x, i, 0, size, la);
    const dh = x.tHi;
    const lo = x.lo;
    if (size === 4 && signed) {
      // EDX:EAX / r/m32 signed, without bigint: divide magnitudes (|EDX:EAX| by |divisor|), then apply signs.
      if (d === 0) divideError(x);
      let nh = lo[2];
      let nl = lo[0];
      const negN = (nh | 0) < 0;
      if (negN) {
        nl = (~nl + 1) >>> 0;
        nh = (~nh + (nl === 0 ? 1 : 0)) >>> 0;
      }
      const negD = (d | 0) < 0;
      const dm = negD ? (-(d | 0)) >>> 0 : d;
      if (nh >= dm) divideError(x); // the magnitude of the quotient is at least 2^32
      const q = divu64by32(x, nh, nl, dm);
      const r = x.t2;
      const neg = negN !== negD;
      if (neg ? q > 0x80000000 : q > 0x7fffffff) divideError(x);
      lo[0] = (neg ? -q : q) >>> 0; x.hi[0] = 0;
      lo[2] = (negN ? -r : r) >>> 0; x.hi[2] = 0;
      return 0;
    }
    if (size === 8) {
      const bits = BigInt(size * 8);
      const dv0 = size === 8 ? bigFromHalves(d, dh) : BigInt(d);
      const hiPart = size === 8 ? regBig(x, 2) : BigInt(lo[2]);
      const loPart = size === 8 ? regBig(x, 0) : BigInt(lo[0]);
      let n = (hiPart << bits) | loPart;
      let dv = dv0;
      if (dv === 0n) divideError(x);
      if (signed) {
        n = BigInt.asIntN(Number(bits) * 2, n);
        dv = BigInt.asIntN(Number(bits), dv);
      }
      const q = n / dv;
      const r = n % dv;
      const fits = signed ? BigInt.asIntN(Number(bits), q) === q : q >> bits === 0n;
      if (!fits) divideError(x);
      if (size === 8) {
        setRegBig(x, 0, q);
        setRegBig(x, 2, r);
      } else {
        lo[0] = Number(BigInt.asUintN(32, q)); x.hi[0] = 0;
        lo[2] = Number(BigInt.asUintN(32, r)); x.hi[2] = 0;
      }
      return 0;
    }
    if (d === 0) divideError(x);
    if (size === 4) {
      const h = lo[2];
      if (h >= d) divideError(x);
      const q = divu64by32(x, h, lo[0], d);
      lo[0] = q; x.hi[0] = 0;
      lo[2] = x.t2; x.hi[2] = 0;
      return 0;
    }
    const bits = size * 8;
    let n = size === 1 ? lo[0] & 0xffff : ((lo[2] & 0xffff) << 16 | (lo[0] & 0xffff)) >>> 0;
    let dv = d;
    if (signed) {
      n = size === 1 ? (n << 16) >> 16 : n | 0;
      dv = (d << (32 - bits)) >> (32 - bits);
    }
    const q = Math.trunc(n / dv);
    const r = n - q * dv;
    const limit = 2 ** bits;
    if (signed ? q < -(limit / 2) || q >= limit / 2 : q >= limit) divideError(x);
    const m = sizeMask(size);
    if (size === 1) lo[0] = (lo[0] & 0xffff0000) | ((r & m) << 8) | (q & m);
    else {
      lo[0] = (lo[0] & 0xffff0000) | (q & m);
      lo[2] = (lo[2] & 0xffff0000) | (r & m);
    }
    return 0;
  };
}

/** CBW/CWDE/CDQE (sign-extend within rAX) and CWD/CDQ/CQO (into rDX). */
function convert(kind: 'cbw' | 'cwde' | 'cdqe' | 'cwd' | 'cdq' | 'cqo'): Handler {
  return (x) => {
    const lo = x.lo;
    const hi = x.hi;
    switch (kind) {
      case 'cbw': lo[0] = (lo[0] & 0xffff0000) | (((lo[0] << 24) >> 24) & 0xffff); break;
      case 'cwde': lo[0] = ((lo[0] << 16) >> 16) >>> 0; hi[0] = 0; break;
      case 'cdqe': hi[0] = (lo[0] | 0) < 0 ? 0xffffffff : 0; break;
      case 'cwd': lo[2] = (lo[2] & 0xffff0000) | ((lo[0] & 0x8000) !== 0 ? 0xffff : 0); break;
      case 'cdq': lo[2] = (lo[0] | 0) < 0 ? 0xffffffff : 0; hi[2] = 0; break;
      default: lo[2] = hi[2] = (hi[0] | 0) < 0 ? 0xffffffff : 0; break;
    }
    return 0;
  };
}

/** BT/BTS/BTR/BTC (SDM Vol. 2 BT): with a register bit offset and a memory operand the offset selects the byte. */
function bitTest(kind: 0 | 1 | 2 | 3): Handler {
  return (x, i) => {
    const size = i.size;
    let la = memLa(x, i);
    let bit = i.k1 === K_IMM ? i.imm & (size * 8 - 1) : getReg(x, i.r1, size, 0);
    if (i.k0 === K_MEM && i.k1 === K_REG) {
      const signed = size === 8 ? (x.tHi | 0) * 4294967296 + bit : size === 4 ? bit | 0 : (bit << 16) >> 16;
      const unit = Math.floor(signed / (size * 8));
      la += unit * size;
      bit = signed - unit * size * 8;
    } else {
      bit &= size * 8 - 1;
    }
    if (kind !== 0 && i.k0 === K_MEM) probeWrite(x, la, size);
    let v = readOp(x, i, 0, size, la);
    let vh = x.tHi;
    const inHigh = bit >= 32;
    const mask = 1 << (bit & 31);
    const word = inHigh ? vh : v;
    const cf = (word & mask) !== 0 ? 1 : 0;
    if (kind !== 0) {
      const nw = (kind === 1 ? word | mask : kind === 2 ? word & ~mask : word ^ mask) >>> 0;
      if (inHigh) vh = nw; else v = nw;
      writeOp(x, i, 0, size, la, v, vh);
    }
    setStatus(x, CF, cf ? CF : 0);
    return 0;
  };
}

export const bswap: Handler = (x, i) => {
  const sw = (v: number): number => (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
  if (i.s0 === 8) {
    const l = x.lo[i.r0];
    x.lo[i.r0] = sw(x.hi[i.r0]);
    x.hi[i.r0] = sw(l);
  } else {
    x.lo[i.r0] = sw(x.lo[i.r0]);
    x.hi[i.r0] = 0;
  }
  return 0;
};

/** XADD: TEMP ← SRC + DEST; SRC ← DEST; DEST ← TEMP. */
export const xadd: Handler = (x, i) => {
  const size = i.size;
  const la = memLa(x, i);
  if (i.k0 === K_MEM) probeWrite(x, la, size);
  const a = readOp(x, i, 0, size, la);
  const ah = x.tHi;
  const b = getReg(x, i.r1, size, i.h1);
  const bh = x.tHi;
  let r: number;
  let rh = 0;
  if (size === 8) { r = alu64(x, OP_ADD, a, ah, b, bh); rh = x.tHi; } else r = alu(x, OP_ADD, a, b, size);
  writeOp(x, i, 0, size, la, r, rh);
  setReg(x, i.r1, size, i.h1, a, ah);
  return 0;
};

/** CMPXCHG: compare rAX with DEST; equal → DEST ← SRC, else rAX ← DEST (the destination is always written). */
export const cmpxchg: Handler = (x, i) => {
  const size = i.size;
  const la = memLa(x, i);
  if (i.k0 === K_MEM) probeWrite(x, la, size);
  const d = readOp(x, i, 0, size, la);
  const dh = x.tHi;
  const a = getReg(x, 0, size, 0);
  const ah = x.tHi;
  if (size === 8) alu64(x, OP_CMP, a, ah, d, dh); else alu(x, OP_CMP, a, d, size);
  const equal = a === d && (size !== 8 || ah === dh);
  if (equal) {
    const s = getReg(x, i.r1, size, i.h1);
    writeOp(x, i, 0, size, la, s, x.tHi);
  } else {
    writeOp(x, i, 0, size, la, d, dh);
    setReg(x, 0, size, 0, d, dh);
  }
  return 0;
};

/** CMOVcc: the source is read even when the condition is false; a 32-bit destination is zero-extended either way. */
export const cmov: Handler = (x, i) => {
  const size = i.s0;
  const la = memLa(x, i);
  const v = readOp(x, i, 1, size, la);
  const vh = x.tHi;
  if (condition(x, i.cc)) setReg(x, i.r0, size, 0, v, vh);
  else if (size === 4) x.hi[i.r0] = 0;
  return 0;
};

export const setcc: Handler = (x, i) => {
  const la = memLa(x, i);
  writeOp(x, i, 0, 1, la, condition(x, i.cc) ? 1 : 0, 0);
  return 0;
};

/** CLFLUSH/CLFLUSHOPT: the address must translate (read access); there is no cache to flush. */
export const clflush: Handler = (x, i) => {
  rdSize(x, ea(x, i), 1);
  return 0;
};

/**
 * BSF/BSR (SDM Vol. 2): ZF = 1 and the destination unchanged when the source is 0 (the reference machine's
 * choice for the "undefined" destination); other status flags undefined (left as they were).
 */
export function bitScan(reverse: boolean): Handler {
  return (x, i) => {
    const size = i.s0;
    const la = memLa(x, i);
    const v = readOp(x, i, 1, size, la);
    const vh = size === 8 ? x.tHi : 0;
    if (v === 0 && vh === 0) {
      setStatus(x, ns_flags.ZF, ns_flags.ZF);
      return 0;
    }
    let bit: number;
    if (reverse) bit = vh !== 0 ? 63 - Math.clz32(vh) : 31 - Math.clz32(v);
    else bit = v !== 0 ? 31 - Math.clz32(v & -v) : 32 + 31 - Math.clz32(vh & -vh);
    setReg(x, i.r0, size, 0, bit, 0);
    setStatus(x, ns_flags.ZF, 0);
    return 0;
  };
}

// ---- selection ----

const HOT32: Record<number, Handler> = {
  [OP_ADD]: addRR32, [OP_SUB]: subRR32, [OP_CMP]: cmpRR32, [OP_AND]: andRR32, [OP_OR]: orRR32, [OP_XOR]: xorRR32, [OP_TEST]: testRR32,
};
const HOT32I: Record<number, Handler> = {
  [OP_ADD]: addRI32, [OP_SUB]: subRI32, [OP_CMP]: cmpRI32, [OP_AND]: andRI32, [OP_OR]: orRI32, [OP_XOR]: xorRI32, [OP_TEST]: testRI32,
};
const GENERIC_ALU = [0, 1, 2, 3, 4, 5, 6, 7, 8].map(aluGeneric);
const RR64 = [0, 1, 2, 3, 4, 5, 6, 7, 8].map(rr64);

/** Handler for an ALU operation on the decoded operands. */
export function aluHandler(op: number, i: Insn): Handler {
  const regDst = i.k0 === K_REG;
  if (regDst && i.s0 === 4 && (i.k1 === K_REG || i.k1 === K_IMM) && op !== OP_ADC && op !== OP_SBB) {
    return i.k1 === K_REG ? HOT32[op] : HOT32I[op];
  }
  if (regDst && i.s0 === 8 && (i.k1 === K_REG || i.k1 === K_IMM)) return RR64[op];
  return GENERIC_ALU[op];
}

export function incDecHandler(dec: boolean, i: Insn): Handler {
  if (i.k0 === K_REG && i.s0 === 4) return dec ? decR32 : incR32;
  if (i.k0 === K_REG && i.s0 === 8) return incdecR64(dec);
  return unaryGeneric(dec ? 'dec' : 'inc');
}

export function movHandler(i: Insn): Handler {
  if (i.k0 === K_REG && i.k1 === K_REG && i.h0 === 0 && i.h1 === 0) {
    if (i.s0 === 4) return movRR32;
    if (i.s0 === 8) return movRR64;
  }
  if (i.k0 === K_REG && i.k1 === K_IMM) {
    if (i.s0 === 4) return movRI32;
    if (i.s0 === 8) return movRI64;
  }
  if (i.k0 === K_REG && i.k1 === K_MEM && i.h0 === 0) {
    if (i.s0 === 4) return movLoad32;
    if (i.s0 === 8) return movLoad64;
  }
  if (i.k0 === K_MEM && i.k1 === K_REG) return movStore;
  return movGeneric;
}

export const negH = unaryGeneric('neg');
export const notH = unaryGeneric('not');
export const SHIFTS = [0, 1, 2, 3, 4, 5, 6, 7].map(shiftGeneric);
export const imulN = imulTruncating;
export const mulH = mulWide(false);
export const imul1 = mulWide(true);
export const divH = divide(false);
export const idivH = divide(true);
export const CONVERT = { cbw: convert('cbw'), cwde: convert('cwde'), cdqe: convert('cdqe'), cwd: convert('cwd'), cdq: convert('cdq'), cqo: convert('cqo') };
export const BT = [bitTest(0), bitTest(1), bitTest(2), bitTest(3)];
export const movzx = movExtend(false);
export const movsx = movExtend(true);
