/**
 * Lazy arithmetic flags (SDM Vol. 1 3.4.3.1 "Status Flags"; per-instruction effects in SDM Vol. 2
 * Appendix A "EFLAGS Cross-Reference"): ALU instructions record the operation, its operands and result;
 * CF/PF/AF/ZF/SF/OF are computed only when something reads them.
 *
 * Operands and results are stored masked to the operation size. For 64-bit operations fA/fB/fR hold bits
 * 31:0 and fAh/fBh/fRh bits 63:32; for narrower ones fRh is 0 (so ZF = (fR | fRh) === 0 for every size).
 */
import type { Exec } from './exec';

export const F_NONE = 0;
export const F_ADD = 1;
export const F_ADC = 2;
export const F_SUB = 3;
export const F_SBB = 4;
export const F_LOGIC = 5;
export const F_INC = 6;
export const F_DEC = 7;

export const CF = 0x1;
export const PF = 0x4;
export const AF = 0x10;
export const ZF = 0x40;
export const SF = 0x80;
export const TF = 0x100;
export const IF = 0x200;
export const DF = 0x400;
export const OF = 0x800;
export const IOPL = 0x3000;
export const NT = 0x4000;
export const RF = 0x10000;
export const VM = 0x20000;
export const AC = 0x40000;
export const ID = 0x200000;
/** The six status flags. */
export const ARITH = CF | PF | AF | ZF | SF | OF;

/** PF is set when the low byte of the result has an even number of 1 bits. */
export const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let b = i;
  b ^= b >> 4;
  b ^= b >> 2;
  b ^= b >> 1;
  PARITY[i] = (b & 1) === 0 ? 1 : 0;
}

/** Unsigned 64-bit a < b from halves. */
function ltu(ah: number, al: number, bh: number, bl: number): number {
  return ah < bh || (ah === bh && al < bl) ? 1 : 0;
}
function leu(ah: number, al: number, bh: number, bl: number): number {
  return ah < bh || (ah === bh && al <= bl) ? 1 : 0;
}

export function getCF(x: Exec): number {
  switch (x.fOp) {
    case F_NONE: return x.regs.rflags & 1;
    case F_ADD: return x.fSh === 63 ? ltu(x.fRh, x.fR, x.fAh, x.fA) : x.fR < x.fA ? 1 : 0;
    case F_ADC:
      if (x.fCin === 0) return x.fSh === 63 ? ltu(x.fRh, x.fR, x.fAh, x.fA) : x.fR < x.fA ? 1 : 0;
      return x.fSh === 63 ? leu(x.fRh, x.fR, x.fAh, x.fA) : x.fR <= x.fA ? 1 : 0;
    case F_SUB: return x.fSh === 63 ? ltu(x.fAh, x.fA, x.fBh, x.fB) : x.fA < x.fB ? 1 : 0;
    case F_SBB:
      if (x.fCin === 0) return x.fSh === 63 ? ltu(x.fAh, x.fA, x.fBh, x.fB) : x.fA < x.fB ? 1 : 0;
      return x.fSh === 63 ? leu(x.fAh, x.fA, x.fBh, x.fB) : x.fA <= x.fB ? 1 : 0;
    case F_LOGIC: return 0;
    default: return x.fCin; // INC, DEC preserve CF
  }
}

export function getZF(x: Exec): number {
  return x.fOp === F_NONE ? (x.regs.rflags >>> 6) & 1 : (x.fR | x.fRh) === 0 ? 1 : 0;
}

export function getSF(x: Exec): number {
  if (x.fOp === F_NONE) return (x.regs.rflags >>> 7) & 1;
  return x.fSh === 63 ? x.fRh >>> 31 : (x.fR >>> x.fSh) & 1;
}

export function getOF(x: Exec): number {
  const op = x.fOp;
  if (op === F_NONE) return (x.regs.rflags >>> 11) & 1;
  if (op === F_LOGIC) return 0;
  const wide = x.fSh === 63;
  const a = wide ? x.fAh : x.fA;
  const b = wide ? x.fBh : x.fB;
  const r = wide ? x.fRh : x.fR;
  const s = wide ? 31 : x.fSh;
  // ADD-like: operands of equal sign and a result of the other sign. SUB-like: operands of different sign
  // and a result whose sign differs from the minuend (SDM Vol. 1 3.4.3.1).
  const v = op === F_ADD || op === F_ADC || op === F_INC ? (a ^ r) & (b ^ r) : (a ^ b) & (a ^ r);
  return (v >>> s) & 1;
}

export function getPF(x: Exec): number {
  return x.fOp === F_NONE ? (x.regs.rflags >>> 2) & 1 : PARITY[x.fR & 0xff];
}

export function getAF(x: Exec): number {
  const op = x.fOp;
  if (op === F_NONE) return (x.regs.rflags >>> 4) & 1;
  if (op === F_LOGIC) return 0; // undefined for AND/OR/XOR/TEST: the reference machine clears it
  return ((x.fA ^ x.fB ^ x.fR) >>> 4) & 1;
}

/** Write the lazy status flags into regs.rflags. */
export function materialize(x: Exec): void {
  if (x.fOp === F_NONE) return;
  const bits = getCF(x) | (getPF(x) << 2) | (getAF(x) << 4) | (getZF(x) << 6) | (getSF(x) << 7) | (getOF(x) << 11);
  x.regs.rflags = ((x.regs.rflags & ~ARITH) | bits) >>> 0;
  x.fOp = F_NONE;
}

/** Full RFLAGS value (materializes). */
export function rflags(x: Exec): number {
  materialize(x);
  return x.regs.rflags;
}

/** Set the status flags eagerly (after materialize): `bits` among ARITH, `mask` the flags written. */
export function setStatus(x: Exec, mask: number, bits: number): void {
  materialize(x);
  x.regs.rflags = ((x.regs.rflags & ~mask) | (bits & mask)) >>> 0;
}

/** Condition codes in the order of the opcode's low nibble (SDM Vol. 2 Appendix B.1.4.7 "Condition Test (tttn) Field"). */
export function condition(x: Exec, cc: number): boolean {
  switch (cc) {
    case 0x0: return getOF(x) === 1; // O
    case 0x1: return getOF(x) === 0; // NO
    case 0x2: return getCF(x) === 1; // B
    case 0x3: return getCF(x) === 0; // AE
    case 0x4: return getZF(x) === 1; // E
    case 0x5: return getZF(x) === 0; // NE
    case 0x6: return (getCF(x) | getZF(x)) === 1; // BE
    case 0x7: return (getCF(x) | getZF(x)) === 0; // A
    case 0x8: return getSF(x) === 1; // S
    case 0x9: return getSF(x) === 0; // NS
    case 0xa: return getPF(x) === 1; // P
    case 0xb: return getPF(x) === 0; // NP
    case 0xc: return getSF(x) !== getOF(x); // L
    case 0xd: return getSF(x) === getOF(x); // GE
    case 0xe: return getZF(x) === 1 || getSF(x) !== getOF(x); // LE
    default: return getZF(x) === 0 && getSF(x) === getOF(x); // G
  }
}
