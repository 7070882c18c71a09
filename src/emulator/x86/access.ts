/**
 * Register and memory operand access: GPR views by size, effective addresses (SDM Vol. 1 3.7.5 "Specifying
 * an Offset"; 64-bit mode: SDM Vol. 1 3.7.5.1, RIP-relative 3.7.5.1, segment bases only for FS/GS, 3.4.2.1),
 * linear reads/writes through paging, and the stack.
 *
 * Values of 8, 16 and 32 bits are numbers; 64-bit values are returned as bits 31:0 with bits 63:32 in x.tHi.
 */
import * as ns_decode from './decode';
import type { Insn } from './decode';
import * as ns_paging from './paging';
import type { Exec } from './exec';
// Imported bindings rebound to module constants: under tsx/esbuild's CommonJS output each use of an
// imported name is a getter call, which costs on the hot path.
const { BASE_RIP, K_IMM, K_MEM, K_REG } = ns_decode;
const { ACC_IMPLICIT, ACC_WRITE, checkCanonical, translate } = ns_paging;

const TWO32 = 4294967296;

// ---- registers ----

export function getReg(x: Exec, r: number, size: number, h: number): number {
  switch (size) {
    case 1: return (x.lo[r] >>> h) & 0xff;
    case 2: return x.lo[r] & 0xffff;
    case 4: return x.lo[r];
    default: x.tHi = x.hi[r]; return x.lo[r];
  }
}

/** Write a GPR; 32-bit writes zero bits 63:32 (SDM Vol. 1 3.4.1.1), 8/16-bit writes keep the rest. */
export function setReg(x: Exec, r: number, size: number, h: number, v: number, vh: number): void {
  switch (size) {
    case 1: x.lo[r] = (x.lo[r] & ~(0xff << h)) | ((v & 0xff) << h); break;
    case 2: x.lo[r] = (x.lo[r] & 0xffff0000) | (v & 0xffff); break;
    case 4: x.lo[r] = v; x.hi[r] = 0; break;
    default: x.lo[r] = v; x.hi[r] = vh; break;
  }
}

/** A GPR as a signed number (exact for canonical addresses). */
export function reg64(x: Exec, r: number): number {
  return (x.hi[r] | 0) * TWO32 + x.lo[r];
}
export function setReg64(x: Exec, r: number, v: number): void {
  x.lo[r] = v >>> 0;
  x.hi[r] = Math.floor(v / TWO32) >>> 0;
}
export function regBig(x: Exec, r: number): bigint {
  return (BigInt(x.hi[r]) << 32n) | BigInt(x.lo[r]);
}
export function setRegBig(x: Exec, r: number, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  x.lo[r] = Number(u & 0xffffffffn);
  x.hi[r] = Number(u >> 32n);
}

// ---- effective address ----

/** Linear address of the instruction's memory operand: its offset plus the segment base (canonical check in 64-bit mode). */
export function ea(x: Exec, i: Insn): number {
  const a = offsetOf(x, i);
  const seg = i.seg;
  if (x.mode64) {
    // In 64-bit mode only FS and GS bases apply (SDM Vol. 1 3.4.2.1).
    const la = seg >= 4 ? a + x.regs.segBaseView[seg] : a;
    checkCanonical(x, la, seg === 2);
    return la;
  }
  return (a + x.regs.segBaseView[seg]) >>> 0;
}

/** Effective address without the segment base (LEA), truncated to the address size. */
export function offsetOf(x: Exec, i: Insn): number {
  const lo = x.lo;
  const hi = x.hi;
  const b = i.base;
  const ix = i.index;
  let a = i.disp;
  if (i.addr === 8) {
    if (b >= 0) a += b === BASE_RIP ? x.regs.rip : (hi[b] | 0) * TWO32 + lo[b];
    if (ix >= 0) a += ((hi[ix] | 0) * TWO32 + lo[ix]) * i.scale;
    return a;
  }
  if (i.addr === 4) {
    if (b >= 0) a += b === BASE_RIP ? x.regs.rip : lo[b];
    if (ix >= 0) a += lo[ix] * i.scale;
    return a >>> 0;
  }
  if (b >= 0) a += lo[b] & 0xffff;
  if (ix >= 0) a += (lo[ix] & 0xffff) * i.scale;
  return a & 0xffff;
}

// ---- linear memory ----

function crosses(la: number, size: number): boolean {
  return (la & 0xfff) > 4096 - size;
}

function readSplit(x: Exec, la: number, size: number, acc: number): number {
  let v = 0;
  for (let k = size - 1; k >= 0; k--) v = v * 256 + x.mem.read8(translate(x, la + k, acc));
  return v;
}

function writeSplit(x: Exec, la: number, size: number, v: number, acc: number): void {
  // Translate every byte first so that a fault leaves memory unchanged.
  const p = [translate(x, la, acc | ACC_WRITE), translate(x, la + size - 1, acc | ACC_WRITE)];
  const firstPage = Math.floor(la / 4096);
  for (let k = 0; k < size; k++) {
    const addr = Math.floor((la + k) / 4096) === firstPage ? p[0] + k : p[1] - (size - 1 - k);
    x.mem.write8(addr, v % 256);
    v = Math.floor(v / 256);
  }
}

export function rd8(x: Exec, la: number): number {
  return x.mem.read8(translate(x, la, x.uacc));
}
export function rd16(x: Exec, la: number): number {
  if (crosses(la, 2)) return readSplit(x, la, 2, x.uacc);
  return x.mem.read16(translate(x, la, x.uacc));
}
export function rd32(x: Exec, la: number): number {
  if (crosses(la, 4)) return readSplit(x, la, 4, x.uacc);
  return x.mem.read32(translate(x, la, x.uacc));
}
/** Bits 31:0; bits 63:32 in x.tHi. */
export function rd64(x: Exec, la: number): number {
  return rd64acc(x, la, x.uacc);
}
function rd64acc(x: Exec, la: number, acc: number): number {
  if (crosses(la, 8)) {
    const l = readSplit(x, la, 4, acc);
    x.tHi = readSplit(x, la + 4, 4, acc);
    return l;
  }
  const p = translate(x, la, acc);
  x.tHi = x.mem.read32(p + 4);
  return x.mem.read32(p);
}

export function wr8(x: Exec, la: number, v: number): void {
  x.mem.write8(translate(x, la, x.uacc | ACC_WRITE), v & 0xff);
}
export function wr16(x: Exec, la: number, v: number): void {
  if (crosses(la, 2)) return writeSplit(x, la, 2, v & 0xffff, x.uacc);
  x.mem.write16(translate(x, la, x.uacc | ACC_WRITE), v);
}
export function wr32(x: Exec, la: number, v: number): void {
  if (crosses(la, 4)) return writeSplit(x, la, 4, v >>> 0, x.uacc);
  x.mem.write32(translate(x, la, x.uacc | ACC_WRITE), v);
}
export function wr64(x: Exec, la: number, lo: number, hi: number): void {
  wr64acc(x, la, lo, hi, x.uacc);
}
function wr64acc(x: Exec, la: number, lo: number, hi: number, acc: number): void {
  if (crosses(la, 8)) {
    // Check both pages before writing (a fault must leave memory unchanged).
    translate(x, la, acc | ACC_WRITE);
    translate(x, la + 7, acc | ACC_WRITE);
    writeSplit(x, la, 4, lo >>> 0, acc);
    writeSplit(x, la + 4, 4, hi >>> 0, acc);
    return;
  }
  const p = translate(x, la, acc | ACC_WRITE);
  x.mem.write32(p, lo);
  x.mem.write32(p + 4, hi);
}

/**
 * Check (and set the dirty bits for) a write before a read-modify-write instruction computes its result, so
 * that a fault or an EPT exit on the write cannot leave flags of an instruction that did not complete.
 */
export function probeWrite(x: Exec, la: number, size: number): void {
  translate(x, la, x.uacc | ACC_WRITE);
  if (crosses(la, size)) translate(x, la + size - 1, x.uacc | ACC_WRITE);
}

export function rdSize(x: Exec, la: number, size: number): number {
  switch (size) {
    case 1: return rd8(x, la);
    case 2: return rd16(x, la);
    case 4: return rd32(x, la);
    default: return rd64(x, la);
  }
}
export function wrSize(x: Exec, la: number, size: number, v: number, vh: number): void {
  switch (size) {
    case 1: wr8(x, la, v); break;
    case 2: wr16(x, la, v); break;
    case 4: wr32(x, la, v); break;
    default: wr64(x, la, v, vh); break;
  }
}

/** Implicit supervisor-mode accesses (descriptor tables, TSS, interrupt frames: SDM 4.6). */
export function rdSys32(x: Exec, la: number): number {
  if (crosses(la, 4)) return readSplit(x, la, 4, ACC_IMPLICIT);
  return x.mem.read32(translate(x, la, ACC_IMPLICIT));
}
export function rdSys64(x: Exec, la: number): number {
  return rd64acc(x, la, ACC_IMPLICIT);
}
export function wrSys32(x: Exec, la: number, v: number): void {
  if (crosses(la, 4)) return writeSplit(x, la, 4, v >>> 0, ACC_IMPLICIT);
  x.mem.write32(translate(x, la, ACC_IMPLICIT | ACC_WRITE), v);
}
export function wrSys64(x: Exec, la: number, lo: number, hi: number): void {
  wr64acc(x, la, lo, hi, ACC_IMPLICIT);
}
export function wrSys8(x: Exec, la: number, v: number): void {
  x.mem.write8(translate(x, la, ACC_IMPLICIT | ACC_WRITE), v);
}

export function bigFromHalves(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

// ---- operands ----

/** Read operand k (0, 1, 2) of `size` bytes; `la` is the memory operand's linear address when it has one. */
export function readOp(x: Exec, i: Insn, k: number, size: number, la: number): number {
  const kind = k === 0 ? i.k0 : k === 1 ? i.k1 : i.k2;
  if (kind === K_REG) {
    const r = k === 0 ? i.r0 : k === 1 ? i.r1 : i.r2;
    const h = k === 0 ? i.h0 : k === 1 ? i.h1 : i.h2;
    return getReg(x, r, size, h);
  }
  if (kind === K_MEM) return rdSize(x, la, size);
  if (kind === K_IMM) {
    x.tHi = i.immHi;
    return size === 4 || size === 8 ? i.imm : size === 2 ? i.imm & 0xffff : i.imm & 0xff;
  }
  throw new Error(`operand ${k} of kind ${kind} is not readable`);
}

export function writeOp(x: Exec, i: Insn, k: number, size: number, la: number, v: number, vh: number): void {
  const kind = k === 0 ? i.k0 : i.k1;
  if (kind === K_REG) {
    setReg(x, k === 0 ? i.r0 : i.r1, size, k === 0 ? i.h0 : i.h1, v, vh);
  } else if (kind === K_MEM) {
    wrSize(x, la, size, v, vh);
  } else {
    throw new Error(`operand ${k} of kind ${kind} is not writable`);
  }
}

/** Linear address for an instruction whose operand list includes memory, else 0. */
export function memLa(x: Exec, i: Insn): number {
  return i.k0 === K_MEM || i.k1 === K_MEM || i.k2 === K_MEM ? ea(x, i) : 0;
}

// ---- stack (SDM Vol. 1 6.2 "Stacks"; 64-bit: 6.2.5 / Vol. 3A 6.14.2) ----

/** Stack pointer as a signed number (RSP in 64-bit mode; ESP or SP by SS.B otherwise). */
export function getSp(x: Exec): number {
  if (x.mode64) return (x.hi[4] | 0) * TWO32 + x.lo[4];
  return (x.regs.segAccessView[2] & 0x4000) !== 0 ? x.lo[4] : x.lo[4] & 0xffff;
}
export function setSp(x: Exec, v: number): void {
  if (x.mode64) {
    x.lo[4] = v >>> 0;
    x.hi[4] = Math.floor(v / TWO32) >>> 0;
  } else if ((x.regs.segAccessView[2] & 0x4000) !== 0) {
    x.lo[4] = v >>> 0;
  } else {
    x.lo[4] = (x.lo[4] & 0xffff0000) | (v & 0xffff);
  }
}

function stackLa(x: Exec, sp: number): number {
  if (x.mode64) {
    checkCanonical(x, sp, true);
    return sp;
  }
  const off = (x.regs.segAccessView[2] & 0x4000) !== 0 ? sp >>> 0 : sp & 0xffff;
  return (off + x.regs.segBaseView[2]) >>> 0;
}

/** Push `size` bytes (2, 4, 8). The write happens before RSP changes, so a fault leaves RSP intact. */
export function push(x: Exec, size: number, v: number, vh: number): void {
  const sp = getSp(x) - size;
  const la = stackLa(x, sp);
  wrSize(x, la, size, v, vh);
  setSp(x, sp);
}

export function pop(x: Exec, size: number): number {
  const sp = getSp(x);
  const la = stackLa(x, sp);
  const v = rdSize(x, la, size);
  setSp(x, sp + size);
  return v;
}

/** Read at RSP + offset without popping. */
export function peek(x: Exec, size: number, offset: number): number {
  return rdSize(x, stackLa(x, getSp(x) + offset), size);
}

/** Default stack operand size (push/pop/call/ret): 8 in 64-bit mode, else 4 or 2 with 66h. */
export function stackSize(x: Exec, i: Insn): number {
  return i.size === 2 ? 2 : x.mode64 ? 8 : i.size === 4 ? 4 : x.bitness === 16 ? 2 : 4;
}
