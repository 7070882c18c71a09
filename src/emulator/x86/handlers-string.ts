/**
 * Port I/O and string instructions (SDM Vol. 2 IN, OUT, INS/INSB/INSW/INSD, OUTS/OUTSB/OUTSW/OUTSD,
 * MOVS, STOS, LODS, CMPS, SCAS, REP/REPE/REPNE). I/O permission (SDM Vol. 1 19.5 "I/O Permission Bit Map",
 * Vol. 3A: CPL > IOPL consults the TSS bitmap) is checked before the VM-exit decision, since faults based on
 * I/O permission have priority over VM exits (SDM 26.1.1).
 *
 * A REP instruction runs at most REP_CHUNK iterations per step and then re-executes (RIP stays), so long
 * repeats stay interruptible like on hardware; counters and indexes reflect completed iterations at a fault.
 */
import * as ns_access from './access';
import * as ns_alu from './alu';
import * as ns_decode from './decode';
import type { Handler, Insn } from './decode';
import * as ns_exec from './exec';
import type { Exec } from './exec';
import * as ns_flags from './flags';
import * as ns_hooks from './hooks';
import * as ns_paging from './paging';
import { fault } from './exec';
// Imported bindings rebound to module constants: under tsx/esbuild's CommonJS output each use of an
// imported name is a getter call, which costs on the hot path.
const { getReg, rdSize, rdSys32, setReg, wrSize } = ns_access;
const { alu, alu64 } = ns_alu;
const { K_IMM } = ns_decode;
const { GP, STOPPED } = ns_exec;
const { DF, getZF } = ns_flags;
const { interceptExited, ioStringInfo, resetFacts } = ns_hooks;
const { checkCanonical } = ns_paging;

const TWO32 = 4294967296;
export const REP_CHUNK = 1024;

/** #GP(0) unless the TSS I/O bitmap allows every byte of the access (when CPL > IOPL in protected mode). */
export function checkIoPermission(x: Exec, port: number, size: number): void {
  const r = x.regs;
  if ((r.cr0 & 1) === 0) return;
  if (r.cpl <= ((r.rflags >>> 12) & 3) && (r.rflags & 0x20000) === 0) return;
  const trType = r.segAccessView[7] & 0xf;
  const limit = r.segLimitView[7];
  if ((trType !== 0x9 && trType !== 0xb) || limit < 103 || (r.segAccessView[7] & 0x10000) !== 0) fault(x, GP, 0);
  const mapBase = rdSys32(x, r.segBaseView[7] + 100) >>> 16;
  const first = mapBase + (port >>> 3);
  if (first + 1 > limit) fault(x, GP, 0);
  const bits = rdSys32(x, r.segBaseView[7] + first) & 0xffff;
  const mask = ((1 << size) - 1) << (port & 7);
  if ((bits & mask) !== 0) fault(x, GP, 0);
}

function ioFacts(x: Exec, i: Insn, port: number, size: number, isIn: boolean, isString: boolean): void {
  const f = x.cpu.facts;
  f.port = port;
  f.size = size;
  f.isIn = isIn;
  f.isString = isString;
  f.isRep = i.rep !== 0;
  f.immediatePort = i.k0 === K_IMM || i.k1 === K_IMM;
}

/** IN AL/AX/EAX, imm8 | DX. */
export const inH: Handler = (x, i) => {
  const size = i.s0;
  const port = i.k1 === K_IMM ? i.imm & 0xff : x.lo[2] & 0xffff;
  checkIoPermission(x, port, size);
  if (x.cpu.nonRoot) {
    resetFacts(x, i, 'IN');
    ioFacts(x, i, port, size, true, false);
    if (interceptExited(x, i)) return STOPPED;
  }
  x.cpu.runSteps = x.steps;
  const v = x.platform.portIn(x.cpu, port, size);
  setReg(x, 0, size, 0, v >>> 0, 0);
  return 0;
};

/** OUT imm8 | DX, AL/AX/EAX. */
export const outH: Handler = (x, i) => {
  const size = i.s1;
  const port = i.k0 === K_IMM ? i.imm & 0xff : x.lo[2] & 0xffff;
  checkIoPermission(x, port, size);
  if (x.cpu.nonRoot) {
    resetFacts(x, i, 'OUT');
    ioFacts(x, i, port, size, false, false);
    if (interceptExited(x, i)) return STOPPED;
  }
  x.cpu.runSteps = x.steps;
  x.platform.portOut(x.cpu, port, size, getReg(x, 0, size, 0));
  return 0;
};

// ---- string helpers ----

function index(x: Exec, r: number, addr: number): number {
  return addr === 8 ? (x.hi[r] | 0) * TWO32 + x.lo[r] : addr === 4 ? x.lo[r] : x.lo[r] & 0xffff;
}
function advance(x: Exec, r: number, addr: number, delta: number): void {
  if (addr === 8) {
    const v = (x.hi[r] | 0) * TWO32 + x.lo[r] + delta;
    x.lo[r] = v >>> 0;
    x.hi[r] = Math.floor(v / TWO32) >>> 0;
  } else if (addr === 4) {
    x.lo[r] = (x.lo[r] + delta) >>> 0;
    x.hi[r] = 0;
  } else {
    x.lo[r] = (x.lo[r] & 0xffff0000) | ((x.lo[r] + delta) & 0xffff);
  }
}
function count(x: Exec, addr: number): number {
  return addr === 8 ? x.hi[1] * TWO32 + x.lo[1] : addr === 4 ? x.lo[1] : x.lo[1] & 0xffff;
}
function decCount(x: Exec, addr: number): void {
  advance(x, 1, addr, -1);
}
/** Linear address of seg:[index] (segment base only for FS/GS in 64-bit mode). */
function strLa(x: Exec, seg: number, off: number): number {
  if (x.mode64) {
    const a = seg >= 4 ? off + x.regs.segBaseView[seg] : off;
    checkCanonical(x, a, seg === 2);
    return a;
  }
  return (off + x.regs.segBaseView[seg]) >>> 0;
}
function step(x: Exec, size: number): number {
  return (x.regs.rflags & DF) !== 0 ? -size : size;
}

/** Run `body` once, or under REP until rCX = 0 (and, for CMPS/SCAS, the REPE/REPNE condition fails). */
function repeat(x: Exec, i: Insn, cmp: boolean, body: (x: Exec, i: Insn) => void): number {
  if (i.rep === 0) {
    body(x, i);
    return 0;
  }
  const addr = i.addr;
  for (let n = 0; count(x, addr) !== 0; n++) {
    if (n === REP_CHUNK) {
      x.regs.rip = x.ripCur; // continue in the next step
      return 0;
    }
    body(x, i);
    decCount(x, addr);
    if (cmp) {
      const zf = getZF(x);
      if ((i.rep === 1 && zf === 0) || (i.rep === 2 && zf === 1)) break;
    }
  }
  return 0;
}

const movsBody = (x: Exec, i: Insn): void => {
  const size = i.memSize;
  const v = rdSize(x, strLa(x, i.seg, index(x, 6, i.addr)), size);
  const vh = x.tHi;
  wrSize(x, strLa(x, 0, index(x, 7, i.addr)), size, v, vh);
  const d = step(x, size);
  advance(x, 6, i.addr, d);
  advance(x, 7, i.addr, d);
};
const stosBody = (x: Exec, i: Insn): void => {
  const size = i.memSize;
  const v = getReg(x, 0, size, 0);
  wrSize(x, strLa(x, 0, index(x, 7, i.addr)), size, v, x.tHi);
  advance(x, 7, i.addr, step(x, size));
};
const lodsBody = (x: Exec, i: Insn): void => {
  const size = i.memSize;
  const v = rdSize(x, strLa(x, i.seg, index(x, 6, i.addr)), size);
  setReg(x, 0, size, 0, v, x.tHi);
  advance(x, 6, i.addr, step(x, size));
};
function compare(x: Exec, size: number, a: number, ah: number, b: number, bh: number): void {
  if (size === 8) alu64(x, 7, a, ah, b, bh);
  else alu(x, 7, a, b, size);
}
const cmpsBody = (x: Exec, i: Insn): void => {
  const size = i.memSize;
  const a = rdSize(x, strLa(x, i.seg, index(x, 6, i.addr)), size);
  const ah = x.tHi;
  const b = rdSize(x, strLa(x, 0, index(x, 7, i.addr)), size);
  compare(x, size, a, ah, b, x.tHi);
  const d = step(x, size);
  advance(x, 6, i.addr, d);
  advance(x, 7, i.addr, d);
};
const scasBody = (x: Exec, i: Insn): void => {
  const size = i.memSize;
  const a = getReg(x, 0, size, 0);
  const ah = x.tHi;
  const b = rdSize(x, strLa(x, 0, index(x, 7, i.addr)), size);
  compare(x, size, a, ah, b, x.tHi);
  advance(x, 7, i.addr, step(x, size));
};

export const movs: Handler = (x, i) => repeat(x, i, false, movsBody);
export const stos: Handler = (x, i) => repeat(x, i, false, stosBody);
export const lods: Handler = (x, i) => repeat(x, i, false, lodsBody);
export const cmps: Handler = (x, i) => repeat(x, i, true, cmpsBody);
export const scas: Handler = (x, i) => repeat(x, i, true, scasBody);

/** INS/OUTS: permission check and VM-exit decision once per execution, before the first iteration. */
function ioString(isIn: boolean): Handler {
  const body = isIn
    ? (x: Exec, i: Insn): void => {
      const size = i.memSize;
      const la = strLa(x, 0, index(x, 7, i.addr));
      x.cpu.runSteps = x.steps;
      const v = x.platform.portIn(x.cpu, x.lo[2] & 0xffff, size);
      wrSize(x, la, size, v >>> 0, 0);
      advance(x, 7, i.addr, step(x, size));
    }
    : (x: Exec, i: Insn): void => {
      const size = i.memSize;
      const v = rdSize(x, strLa(x, i.seg, index(x, 6, i.addr)), size);
      x.cpu.runSteps = x.steps;
      x.platform.portOut(x.cpu, x.lo[2] & 0xffff, size, v >>> 0);
      advance(x, 6, i.addr, step(x, size));
    };
  return (x, i) => {
    if (i.rep !== 0 && count(x, i.addr) === 0) return 0;
    const size = i.memSize;
    const port = x.lo[2] & 0xffff;
    checkIoPermission(x, port, size);
    if (x.cpu.nonRoot) {
      resetFacts(x, i, isIn ? 'INS' : 'OUTS');
      ioFacts(x, i, port, size, isIn, true);
      const f = x.cpu.facts;
      f.linearAddress = BigInt.asUintN(64, BigInt(isIn ? strLa(x, 0, index(x, 7, i.addr)) : strLa(x, i.seg, index(x, 6, i.addr))));
      f.segment = isIn ? 0 : i.seg;
      f.instructionInfo = ioStringInfo(i, !isIn);
      if (interceptExited(x, i)) return STOPPED;
    }
    return repeat(x, i, false, body);
  };
}
export const ins = ioString(true);
export const outs = ioString(false);
