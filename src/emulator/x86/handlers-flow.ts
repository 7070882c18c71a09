/**
 * Control flow, stack and flag instructions (SDM Vol. 2): JMP, Jcc, CALL, RET, LOOP/LOOPcc, JrCXZ,
 * PUSH, POP, PUSHF, POPF, LEAVE, ENTER, INT n, INT3, INTO, INT1, IRET, UD2, CLC/STC/CMC/CLD/STD, CLI/STI,
 * LAHF/SAHF, NOP.
 *
 * The run loop has already set RIP to the next instruction; a taken branch adds `rel` to it.
 */
import * as ns_access from './access';
import * as ns_decode from './decode';
import type { Handler, Insn } from './decode';
import * as ns_exceptions from './exceptions';
import * as ns_exec from './exec';
import type { Exec } from './exec';
import * as ns_flags from './flags';
import { fault, UnsupportedInstructionError } from './exec';
// Imported bindings rebound to module constants: under tsx/esbuild's CommonJS output each use of an
// imported name is a getter call, which costs on the hot path.
const { getReg, getSp, memLa, pop, push, readOp, reg64, setReg, setSp, stackSize, writeOp, ea } = ns_access;
const { K_IMM, K_MEM, K_REG, K_SREG } = ns_decode;
const { deliverEvent, iret, T_PRIV_SOFTWARE, T_SOFTWARE_EXC, T_SOFTWARE_INT } = ns_exceptions;
const { GP, UD } = ns_exec;
const { AC, CF, DF, ID, IF, NT, OF, RF, TF, VM, condition, materialize, getOF } = ns_flags;

const TWO32 = 4294967296;
const MIN_CANONICAL = -0x800000000000;
const MAX_CANONICAL = 0x800000000000;

/** Set RIP to a branch target: truncated to 32/16 bits outside 64-bit mode; #GP(0) if non-canonical. */
export function jumpTo(x: Exec, target: number, size: number): void {
  if (x.mode64 && size === 8) {
    if (target < MIN_CANONICAL || target >= MAX_CANONICAL) fault(x, GP, 0);
    x.regs.rip = target;
  } else {
    x.regs.rip = size === 2 ? target & 0xffff : target >>> 0;
  }
}

function branchSize(x: Exec, i: Insn): number {
  return x.mode64 ? (i.size === 2 ? 2 : 8) : i.size === 2 || (x.bitness === 16 && i.size !== 4) ? 2 : 4;
}

export const jmpRel: Handler = (x, i) => {
  const t = x.regs.rip + i.rel;
  if (x.mode64) x.regs.rip = t; else jumpTo(x, t, branchSize(x, i));
  return 0;
};

// Jcc: ZF-based conditions read the lazy state inline (the hottest branches); the rest use condition().
export const jz: Handler = (x, i) => {
  if (x.fOp === 0 ? (x.regs.rflags & 0x40) !== 0 : (x.fR | x.fRh) === 0) x.regs.rip += i.rel;
  return 0;
};
export const jnz: Handler = (x, i) => {
  if (x.fOp === 0 ? (x.regs.rflags & 0x40) === 0 : (x.fR | x.fRh) !== 0) x.regs.rip += i.rel;
  return 0;
};
export const jcc: Handler = (x, i) => {
  if (condition(x, i.cc)) x.regs.rip += i.rel;
  return 0;
};
/** Outside 64-bit mode the target wraps at 32 (or 16) bits. */
export const jccLegacy: Handler = (x, i) => {
  if (condition(x, i.cc)) jumpTo(x, x.regs.rip + i.rel, branchSize(x, i));
  return 0;
};

function targetOf(x: Exec, i: Insn, size: number): number {
  const la = memLa(x, i);
  const lo = readOp(x, i, 0, size, la);
  return size === 8 ? (x.tHi | 0) * TWO32 + lo : lo;
}

export const jmpIndirect: Handler = (x, i) => {
  const size = branchSize(x, i);
  jumpTo(x, targetOf(x, i, size), size);
  return 0;
};

function pushRip(x: Exec, size: number): void {
  const r = x.regs.rip;
  push(x, size, r >>> 0, Math.floor(r / TWO32) >>> 0);
}

export const callRel: Handler = (x, i) => {
  const size = branchSize(x, i);
  const t = x.regs.rip + i.rel;
  if (x.mode64 && (t < MIN_CANONICAL || t >= MAX_CANONICAL)) fault(x, GP, 0);
  pushRip(x, size);
  jumpTo(x, t, size);
  return 0;
};

export const callIndirect: Handler = (x, i) => {
  const size = branchSize(x, i);
  const t = targetOf(x, i, size);
  if (x.mode64 && (t < MIN_CANONICAL || t >= MAX_CANONICAL)) fault(x, GP, 0);
  pushRip(x, size);
  jumpTo(x, t, size);
  return 0;
};

export const ret: Handler = (x, i) => {
  const size = branchSize(x, i);
  const sp = getSp(x);
  const lo = pop(x, size);
  const t = size === 8 ? (x.tHi | 0) * TWO32 + lo : lo;
  if (x.mode64 && (t < MIN_CANONICAL || t >= MAX_CANONICAL)) {
    setSp(x, sp);
    fault(x, GP, 0);
  }
  x.regs.rip = size === 8 ? t : size === 2 ? t & 0xffff : t >>> 0;
  if (i.k0 === K_IMM) setSp(x, getSp(x) + (i.imm & 0xffff));
  return 0;
};

/** LOOP/LOOPE/LOOPNE/JrCXZ: the counter is CX, ECX or RCX by address size (SDM Vol. 2 LOOP/LOOPcc). */
export function loopHandler(kind: 'loop' | 'loope' | 'loopne' | 'jcxz', counterSize: number): Handler {
  return (x, i) => {
    const lo = x.lo;
    let zero: boolean;
    if (kind === 'jcxz') {
      zero = counterSize === 8 ? (lo[1] | x.hi[1]) === 0 : counterSize === 4 ? lo[1] === 0 : (lo[1] & 0xffff) === 0;
      if (zero) jumpTo(x, x.regs.rip + i.rel, branchSize(x, i));
      return 0;
    }
    if (counterSize === 8) {
      const v = reg64Dec(x);
      zero = v;
    } else if (counterSize === 4) {
      lo[1] = (lo[1] - 1) >>> 0;
      x.hi[1] = 0; // a 32-bit count register write zero-extends, as every 32-bit GPR write
      zero = lo[1] === 0;
    } else {
      lo[1] = (lo[1] & 0xffff0000) | ((lo[1] - 1) & 0xffff);
      zero = (lo[1] & 0xffff) === 0;
    }
    let take = !zero;
    if (kind === 'loope') take = take && condition(x, 4);
    if (kind === 'loopne') take = take && condition(x, 5);
    if (take) jumpTo(x, x.regs.rip + i.rel, branchSize(x, i));
    return 0;
  };
}

/** RCX ← RCX - 1; returns true when RCX is now 0. */
function reg64Dec(x: Exec): boolean {
  const lo = x.lo;
  const hi = x.hi;
  if (lo[1] === 0) hi[1] = (hi[1] - 1) >>> 0;
  lo[1] = (lo[1] - 1) >>> 0;
  return (lo[1] | hi[1]) === 0;
}

// ---- stack ----

export const pushH: Handler = (x, i) => {
  const size = stackSize(x, i);
  if (i.k0 === K_REG) {
    const v = getReg(x, i.r0, size, 0);
    push(x, size, v, x.tHi);
  } else if (i.k0 === K_IMM) {
    push(x, size, size === 2 ? i.imm & 0xffff : i.imm, i.immHi);
  } else if (i.k0 === K_SREG) {
    // A segment register push writes its selector zero-extended (a 16-bit write with 32-bit operands on
    // some processors; the reference machine writes the full slot).
    push(x, size, x.regs.segSelectorView[i.r0], 0);
  } else {
    const la = memLa(x, i);
    const v = readOp(x, i, 0, size, la);
    push(x, size, v, x.tHi);
  }
  return 0;
};

export const popH: Handler = (x, i) => {
  const size = stackSize(x, i);
  const sp0 = getSp(x);
  const v = pop(x, size);
  const vh = x.tHi;
  try {
    if (i.k0 === K_REG) setReg(x, i.r0, size, 0, v, vh);
    else if (i.k0 === K_MEM) writeOp(x, i, 0, size, ea(x, i), v, vh); // address computed after the increment
    else throw new UnsupportedInstructionError('pop of this operand');
  } catch (e) {
    setSp(x, sp0);
    throw e;
  }
  return 0;
};

export const pushf: Handler = (x, i) => {
  materialize(x);
  const size = stackSize(x, i);
  // VM and RF are cleared in the pushed image (SDM Vol. 2 PUSHF).
  push(x, size, (x.regs.rflags & ~(VM | RF)) & (size === 2 ? 0xffff : 0xffffffff), 0);
  return 0;
};

/** POPF (SDM Vol. 2 POPF, protected mode): IOPL only at CPL 0; IF only when CPL ≤ IOPL; VM/VIF/VIP kept; RF cleared. */
export const popf: Handler = (x, i) => {
  materialize(x);
  const size = stackSize(x, i);
  const v = pop(x, size);
  const regs = x.regs;
  const cpl = regs.cpl;
  const iopl = (regs.rflags >>> 12) & 3;
  let mask = CF | 0x4 | 0x10 | 0x40 | 0x80 | TF | DF | OF | NT | AC | ID | IF | 0x3000;
  if (cpl > 0) mask &= ~0x3000;
  if (cpl > iopl) mask &= ~IF;
  if (size === 2) mask &= 0xffff;
  const before = regs.rflags;
  regs.rflags = ((((before & ~mask) | (v & mask)) & ~RF) | 2) >>> 0;
  return 0;
};

export const leave: Handler = (x, i) => {
  const size = stackSize(x, i);
  const sp0 = getSp(x);
  if (x.mode64) setSp(x, reg64(x, 5));
  else setSp(x, (x.regs.segAccessView[2] & 0x4000) !== 0 ? x.lo[5] : x.lo[5] & 0xffff);
  try {
    const v = pop(x, size);
    setReg(x, 5, size, 0, v, x.tHi);
  } catch (e) {
    setSp(x, sp0);
    throw e;
  }
  return 0;
};

export const enter: Handler = (x, i) => {
  const level = i.imm2 & 0x1f;
  if (level !== 0) throw new UnsupportedInstructionError('enter with a nesting level');
  const size = stackSize(x, i);
  const bp = getReg(x, 5, size, 0);
  push(x, size, bp, x.tHi);
  const frame = getSp(x);
  setSp(x, frame - (i.imm & 0xffff));
  setReg(x, 5, size, 0, frame >>> 0, Math.floor(frame / TWO32) >>> 0);
  return 0;
};

// ---- software interrupts ----

export function intHandler(kind: 'int' | 'int3' | 'into' | 'int1'): Handler {
  return (x, i) => {
    let vector: number;
    let type: number;
    switch (kind) {
      case 'int3': vector = 3; type = T_SOFTWARE_EXC; break;
      case 'into':
        if (getOF(x) === 0) return 0;
        vector = 4; type = T_SOFTWARE_EXC; break;
      case 'int1': vector = 1; type = T_PRIV_SOFTWARE; break;
      default: vector = i.imm & 0xff; type = T_SOFTWARE_INT; break;
    }
    return deliverEvent(x, vector, type, -1, x.regs.rip, true, i.len) ? 0 : 1;
  };
}

export function iretHandler(size: number): Handler {
  return (x) => {
    iret(x, size);
    return 0;
  };
}

export const ud2: Handler = (x) => fault(x, UD, -1);

// ---- flags ----

function setFlag(bit: number, value: 0 | 1 | 'toggle'): Handler {
  return (x) => {
    materialize(x);
    const r = x.regs;
    r.rflags = (value === 'toggle' ? r.rflags ^ bit : value === 1 ? r.rflags | bit : r.rflags & ~bit) >>> 0;
    return 0;
  };
}
export const clc = setFlag(CF, 0);
export const stc = setFlag(CF, 1);
export const cmc = setFlag(CF, 'toggle');
export const cld = setFlag(DF, 0);
export const std = setFlag(DF, 1);

/** CLI/STI: #GP(0) when CPL > IOPL (protected mode without VME/PVI; SDM Vol. 2 CLI, STI). */
function iflag(set: boolean): Handler {
  return (x) => {
    const r = x.regs;
    if ((r.cr0 & 1) !== 0 && r.cpl > ((r.rflags >>> 12) & 3)) fault(x, GP, 0);
    const wasSet = (r.rflags & IF) !== 0;
    r.rflags = (set ? r.rflags | IF : r.rflags & ~IF) >>> 0;
    if (set && !wasSet) {
      // Blocking by STI for one instruction (SDM Vol. 2 STI; 25.4.2 interruptibility state bit 0).
      x.shadow = 2;
      if (x.cpu.interruptibility !== undefined) x.cpu.interruptibility |= 1;
    }
    return 0;
  };
}
export const cli = iflag(false);
export const sti = iflag(true);

export const lahf: Handler = (x) => {
  materialize(x);
  const f = x.regs.rflags & 0xd5;
  x.lo[0] = (x.lo[0] & 0xffff00ff) | ((f | 2) << 8);
  return 0;
};
export const sahf: Handler = (x) => {
  materialize(x);
  const ah = (x.lo[0] >>> 8) & 0xd5;
  x.regs.rflags = ((x.regs.rflags & ~0xd5) | ah | 2) >>> 0;
  return 0;
};

export const nop: Handler = () => 0;

