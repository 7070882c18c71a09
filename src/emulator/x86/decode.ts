/**
 * Decoding guest machine code, once, into a plain-JS form (`Insn`) with a pre-bound handler.
 *
 * iced-x86 decodes from the bytes in guest memory; the result is converted to plain fields (operand kinds,
 * register numbers, sizes, displacement, immediate, length, prefixes) and cached per physical address, in
 * one array of 4096 slots per physical page and code size. iced costs about 200 ns per decode across the
 * WASM boundary (FACTS.md), so nothing is decoded per executed instruction.
 *
 * Invalidation (SDM Vol. 3A 11.6 "Self-Modifying Code"): PhysicalMemory notifies a write to a page whose
 * `codePages` flag is set; the page's generation is bumped. A cached instruction of an older generation is revalidated on its next fetch by
 * comparing its bytes with memory, and decoded again when they differ. Instructions that cross a page
 * boundary are not cached (their second page may map elsewhere); they are decoded at each execution.
 */
import { Decoder, DecoderOptions, Instruction, MemorySizeExt, OpKind, Register, Code } from 'iced-x86';
import { newIntelFormatter } from '../../asm/iced-format';
import type { PhysicalMemory } from '../memory';
import type { Exec } from './exec';

export type Handler = (x: Exec, i: Insn) => number;

/** Operand kinds of Insn.k0/k1/k2. */
export const K_NONE = 0;
export const K_REG = 1;
export const K_MEM = 2;
export const K_IMM = 3;
export const K_SREG = 4;
export const K_CR = 5;
export const K_DR = 6;
export const K_BRANCH = 7;
/** Implicit string operand ([rSI] / [rDI]). */
export const K_STR = 8;

/** Memory base/index: RIP-relative base. */
export const BASE_RIP = 16;

export class Insn {
  exec: Handler;
  /** Encoded length (VM-exit instruction length, SDM 28.2.5). */
  len = 0;
  code = 0;
  mnemonic = 0;
  bitness: 16 | 32 | 64 = 64;
  bytes: Uint8Array;
  opCount = 0;
  k0 = K_NONE;
  k1 = K_NONE;
  k2 = K_NONE;
  /** Register numbers: GPR 0–15 (ModRM numbering), segment 0–5 (ES…GS), CR/DR number. */
  r0 = 0;
  r1 = 0;
  r2 = 0;
  /** 8 for AH/CH/DH/BH (bits 15:8 of registers 0–3), else 0. */
  h0 = 0;
  h1 = 0;
  h2 = 0;
  /** Operand sizes in bytes. */
  s0 = 0;
  s1 = 0;
  s2 = 0;
  /** Operation size in bytes (the destination's, or the memory operand's). */
  size = 0;
  /** Immediate (sign-extended to the operand size by the encoding): bits 31:0 and 63:32. */
  imm = 0;
  immHi = 0;
  /** Second immediate (ENTER). */
  imm2 = 0;
  /** Near branch: target minus the address of the next instruction. */
  rel = 0;
  /** Memory operand. */
  base = -1;
  index = -1;
  scale = 1;
  disp = 0;
  seg = 3;
  /** Address size in bytes (2, 4, 8). */
  addr = 8;
  memSize = 0;
  /** Explicit segment-override prefix (0–5) or -1. */
  segOverride = -1;
  /** 1: REP/REPE, 2: REPNE. */
  rep = 0;
  lock = false;
  /** Condition code 0–15 for Jcc/SETcc/CMOVcc (tttn). */
  cc = 0;
  /** Generation of the page when decoded or last revalidated. */
  gen = 0;

  constructor(exec: Handler, bytes: Uint8Array) {
    this.exec = exec;
    this.bytes = bytes;
  }
}

/** Register numbering helpers (iced Register enum ranges). */
export function gprNumber(reg: Register): { n: number; size: number; high: number } | undefined {
  if (reg >= Register.AL && reg <= Register.BL) return { n: reg - Register.AL, size: 1, high: 0 };
  if (reg >= Register.AH && reg <= Register.BH) return { n: reg - Register.AH, size: 1, high: 8 };
  if (reg >= Register.SPL && reg <= Register.R15L) return { n: reg - Register.SPL + 4, size: 1, high: 0 };
  if (reg >= Register.AX && reg <= Register.R15W) return { n: reg - Register.AX, size: 2, high: 0 };
  if (reg >= Register.EAX && reg <= Register.R15D) return { n: reg - Register.EAX, size: 4, high: 0 };
  if (reg >= Register.RAX && reg <= Register.R15) return { n: reg - Register.RAX, size: 8, high: 0 };
  return undefined;
}

function segNumber(reg: Register): number {
  return reg >= Register.ES && reg <= Register.GS ? reg - Register.ES : -1;
}

/** Fill one operand slot from iced's view of operand `k`. */
function convertOperand(ins: Insn, instr: Instruction, k: number): void {
  const kind = instr.opKind(k);
  let K = K_NONE;
  let r = 0;
  let h = 0;
  let s = 0;
  switch (kind) {
    case OpKind.Register: {
      const reg = instr.opRegister(k);
      const g = gprNumber(reg);
      if (g !== undefined) {
        K = K_REG; r = g.n; h = g.high; s = g.size;
      } else if (reg >= Register.ES && reg <= Register.GS) {
        K = K_SREG; r = segNumber(reg); s = 2;
      } else if (reg >= Register.CR0 && reg <= Register.CR15) {
        K = K_CR; r = reg - Register.CR0; s = 8;
      } else if (reg >= Register.DR0 && reg <= Register.DR15) {
        K = K_DR; r = reg - Register.DR0; s = 8;
      } else {
        K = K_NONE - 1; // a register class the interpreter does not model (x87, XMM, …)
      }
      break;
    }
    case OpKind.NearBranch16: case OpKind.NearBranch32: case OpKind.NearBranch64:
      K = K_BRANCH;
      // Decoded at ip 0: the target is next-ip + rel, next-ip = length.
      ins.rel = Number(BigInt.asIntN(64, instr.nearBranchTarget)) - instr.length;
      if (kind === OpKind.NearBranch32) ins.rel = (ins.rel | 0);
      if (kind === OpKind.NearBranch16) ins.rel = (ins.rel << 16) >> 16;
      break;
    case OpKind.Immediate8: case OpKind.Immediate16: case OpKind.Immediate32: case OpKind.Immediate64:
    case OpKind.Immediate8to16: case OpKind.Immediate8to32: case OpKind.Immediate8to64: case OpKind.Immediate32to64: {
      K = K_IMM;
      const v = instr.immediate(k);
      ins.imm = Number(v & 0xffffffffn);
      ins.immHi = Number((v >> 32n) & 0xffffffffn);
      break;
    }
    case OpKind.Immediate8_2nd:
      K = K_IMM;
      ins.imm2 = Number(instr.immediate(k) & 0xffn);
      break;
    case OpKind.Memory:
      K = K_MEM;
      s = MemorySizeExt.size(instr.memorySize);
      break;
    case OpKind.MemorySegSI: case OpKind.MemorySegESI: case OpKind.MemorySegRSI:
    case OpKind.MemorySegDI: case OpKind.MemorySegEDI: case OpKind.MemorySegRDI:
    case OpKind.MemoryESDI: case OpKind.MemoryESEDI: case OpKind.MemoryESRDI:
      K = K_STR;
      s = MemorySizeExt.size(instr.memorySize);
      break;
    default:
      K = K_NONE - 1;
  }
  if (k === 0) { ins.k0 = K; ins.r0 = r; ins.h0 = h; ins.s0 = s; }
  else if (k === 1) { ins.k1 = K; ins.r1 = r; ins.h1 = h; ins.s1 = s; }
  else if (k === 2) { ins.k2 = K; ins.r2 = r; ins.h2 = h; ins.s2 = s; }
}

function convertMemory(ins: Insn, instr: Instruction): void {
  const base = instr.memoryBase;
  const index = instr.memoryIndex;
  ins.memSize = MemorySizeExt.size(instr.memorySize);
  ins.seg = segNumber(instr.memorySegment);
  if (ins.seg < 0) ins.seg = 3;
  ins.segOverride = instr.hasSegmentPrefix ? segNumber(instr.segmentPrefix) : -1;
  const b = gprNumber(base);
  const ix = gprNumber(index);
  ins.scale = instr.memoryIndexScale;
  const disp = instr.memoryDisplacement;
  if (base === Register.RIP || base === Register.EIP) {
    ins.base = BASE_RIP;
    ins.addr = base === Register.RIP ? 8 : 4;
    ins.disp = Number(BigInt.asIntN(64, disp)) - instr.length;
  } else {
    ins.base = b === undefined ? -1 : b.n;
    ins.index = ix === undefined ? -1 : ix.n;
    // Absolute [disp]: the address size comes from the mode and the 67h prefix, not from a register.
    ins.addr = b?.size ?? ix?.size ?? addressSizeOf(instr, ins.bitness);
    ins.disp = Number(BigInt.asIntN(ins.addr * 8, disp));
  }
}

function addressSizeOf(instr: Instruction, bitness: number): number {
  // iced: memoryDisplSize is 8 for 64-bit addressing, 4 for 32-bit, 2 for 16-bit (when a displacement exists).
  const ds = instr.memoryDisplSize;
  if (ds === 8 || ds === 4 || ds === 2) return ds;
  return bitness === 64 ? 8 : bitness === 32 ? 4 : 2;
}

function unbound(): number {
  throw new Error('instruction handler not bound');
}

/** Convert one decoded iced instruction. `bind` picks the handler (dispatch.ts). */
export function convert(instr: Instruction, bytes: Uint8Array, bitness: 16 | 32 | 64, bind: (ins: Insn) => Handler): Insn {
  const ins = new Insn(unbound, bytes); // replaced below
  ins.bitness = bitness;
  ins.len = instr.length;
  ins.code = instr.code;
  ins.mnemonic = instr.mnemonic;
  ins.opCount = instr.opCount;
  ins.rep = instr.hasRepePrefix || instr.hasRepPrefix ? 1 : instr.hasRepnePrefix ? 2 : 0;
  ins.lock = instr.hasLockPrefix;
  ins.addr = bitness === 64 ? 8 : bitness === 32 ? 4 : 2;
  let hasMem = false;
  for (let k = 0; k < ins.opCount && k < 3; k++) {
    convertOperand(ins, instr, k);
    const kind = instr.opKind(k);
    if (kind === OpKind.Memory) hasMem = true;
    if (kind >= OpKind.MemorySegSI && kind <= OpKind.MemoryESRDI) {
      // String operands: address size from the operand form, segment of the [rSI] operand (overridable).
      ins.addr = kind === OpKind.MemorySegSI || kind === OpKind.MemorySegDI || kind === OpKind.MemoryESDI ? 2
        : kind === OpKind.MemorySegESI || kind === OpKind.MemorySegEDI || kind === OpKind.MemoryESEDI ? 4 : 8;
      if (kind <= OpKind.MemorySegRSI) ins.seg = segNumber(instr.memorySegment);
      ins.memSize = MemorySizeExt.size(instr.memorySize);
    }
  }
  if (hasMem) convertMemory(ins, instr);
  ins.segOverride = instr.hasSegmentPrefix ? segNumber(instr.segmentPrefix) : -1;
  if (ins.k2 === K_NONE && ins.opCount > 2) ins.k2 = K_NONE - 1;
  // Operation size: the first sized operand.
  ins.size = ins.k0 === K_MEM ? ins.s0 || ins.memSize : ins.s0 || ins.s1 || ins.memSize;
  const cc = instr.conditionCode; // iced ConditionCode: none=0, o=1, no, b, ae, e, ne, be, a, s, ns, p, np, l, ge, le, g
  ins.cc = cc > 0 ? cc - 1 : 0;
  ins.exec = bind(ins);
  return ins;
}

let formatter: ReturnType<typeof newIntelFormatter> | undefined;

/** iced's Intel-syntax text of an instruction's bytes at `rip` (for messages; not on the hot path). */
export function insnText(bytes: Uint8Array, bitness: 16 | 32 | 64, rip: number): string {
  formatter ??= newIntelFormatter();
  const d = new Decoder(bitness, bytes, DecoderOptions.None);
  try {
    d.ip = BigInt.asUintN(64, BigInt(Math.trunc(rip)));
    const instr = d.decode();
    try {
      return instr.code === Code.INVALID ? `(bad) ${hex(bytes)}` : formatter.format(instr);
    } finally {
      instr.free();
    }
  } finally {
    d.free();
  }
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** Decode one instruction from up to 15 bytes. */
export function decodeBytes(bytes: Uint8Array, bitness: 16 | 32 | 64, bind: (ins: Insn) => Handler): Insn {
  const d = new Decoder(bitness, bytes, DecoderOptions.None);
  const instr = new Instruction();
  try {
    d.ip = 0n;
    d.decodeOut(instr);
    const len = instr.code === Code.INVALID ? Math.max(1, Math.min(instr.length, bytes.length)) : instr.length;
    return convert(instr, bytes.slice(0, len), bitness, bind);
  } finally {
    instr.free();
    d.free();
  }
}

export const PAGE_SLOTS = 4096;

/** Decoded instructions of one physical page for one code size. */
export class CodePage {
  readonly insns: (Insn | undefined)[] = new Array<Insn | undefined>(PAGE_SLOTS);
  gen = 1;
}

/**
 * The decode cache of one PhysicalMemory, shared by every interpreter and logical processor using it
 * (decoded instructions depend only on bytes and code size).
 */
export class DecodeCache {
  private readonly maps: Map<number, CodePage>[] = [new Map(), new Map(), new Map()];

  constructor(readonly memory: PhysicalMemory) {
    const previous = memory.onCodeWrite;
    memory.onCodeWrite = (page: number): void => {
      this.invalidate(page);
      previous(page);
    };
  }

  private static slot(bitness: number): number {
    return bitness === 64 ? 0 : bitness === 32 ? 1 : 2;
  }

  /** The last page looked up (a page's CodePage never changes until clear()): most fetches repeat it. */
  private lastPage = -1;
  private lastBitness = 0;
  private last: CodePage | undefined = undefined;

  page(physPage: number, bitness: number): CodePage {
    if (physPage === this.lastPage && bitness === this.lastBitness) return this.last!;
    const m = this.maps[DecodeCache.slot(bitness)];
    let p = m.get(physPage);
    if (p === undefined) {
      p = new CodePage();
      m.set(physPage, p);
    }
    this.lastPage = physPage;
    this.lastBitness = bitness;
    this.last = p;
    return p;
  }

  /** A write hit a page holding cached code: its instructions must be revalidated. */
  invalidate(physPage: number): void {
    for (const m of this.maps) {
      const p = m.get(physPage);
      if (p !== undefined) p.gen++;
    }
  }

  /** Drop everything (tests, memory reset). */
  clear(): void {
    for (const m of this.maps) m.clear();
    this.lastPage = -1;
    this.last = undefined;
  }
}

const caches = new WeakMap<PhysicalMemory, DecodeCache>();

export function decodeCacheFor(memory: PhysicalMemory): DecodeCache {
  let c = caches.get(memory);
  if (c === undefined) {
    c = new DecodeCache(memory);
    caches.set(memory, c);
  }
  return c;
}
