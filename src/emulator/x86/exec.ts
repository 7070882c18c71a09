/**
 * The interpreter's working state for one `run` on one logical processor: register views, lazy flags,
 * the current instruction's address, scratch slots (so handlers return extra values without allocating),
 * and the cached mode and translation settings.
 *
 * Faults travel as a thrown preallocated sentinel (FAULT): handlers call `fault(x, vector, code)` deep inside
 * an access and the run loop catches it once, outside the hot loop. A VM exit caused by an instruction ends
 * the run by the handler's result (STOPPED); STOP ends it the same way by a throw from places that cannot
 * return a status (an EPT exit during a page walk).
 */
import type { PhysicalMemory } from '../memory';
import type { RegisterFile } from '../state';
import type { CpuContext, Platform } from './platform';
import type { Tlb } from './paging';
import type { CodePage } from './decode';

/** Sentinels: thrown, never constructed per instruction. */
export const FAULT: { readonly kind: 'fault' } = Object.freeze({ kind: 'fault' });
export const STOP: { readonly kind: 'stop' } = Object.freeze({ kind: 'stop' });

/** Handler results. */
export const NEXT = 0;
/** Stop the run loop after this instruction (HLT, context changed); the interrupt shadow still counts it. */
export const HALT_RUN = 1;
/**
 * Stop the run loop now: the instruction caused a VM exit (or VMLAUNCH/VMRESUME entered a guest), so the
 * processor left the context it ran in. Same as a thrown STOP: the instruction counts as a step, nothing
 * else happens in this run (no interrupt-shadow bookkeeping).
 */
export const STOPPED = 2;

/** State of one logical processor that the interpreter keeps between runs (not in RegisterFile). */
export class PerCpu {
  /** XCR0 (SDM Vol. 1 13.3): x87 state always enabled. */
  xcr0 = 1n;
  /** MONITOR armed (MWAIT exit qualification bit 0). */
  monitorArmed = false;
  constructor(readonly tlb: Tlb) {}
}

export class Exec {
  cpu!: CpuContext;
  regs!: RegisterFile;
  lo!: Uint32Array;
  hi!: Uint32Array;
  mem!: PhysicalMemory;
  tlb!: Tlb;

  // Lazy arithmetic flags (see flags.ts). fOp = 0: RFLAGS in regs.rflags is up to date.
  fOp = 0;
  /** Index of the sign bit: 7, 15, 31, or 63 for 64-bit operations (then the *h words hold bits 63:32). */
  fSh = 31;
  fA = 0.5;
  fB = 0.5;
  fR = 0.5;
  fAh = 0.5;
  fBh = 0.5;
  fRh = 0.5;
  /** Carry in (ADC/SBB) or the CF that INC/DEC preserve. */
  fCin = 0;

  /** Instructions executed in the current run (kept here so a fault or exit unwinding the loop keeps the count). */
  steps = 0;
  /** Address of the instruction being executed (signed-number form); regs.rip already holds the next one. */
  ripCur = 0;
  /** Scratch: bits 63:32 of a 64-bit value returned in a number. */
  tHi = 0;
  /** Scratch: linear address of the current memory operand. */
  la = 0;
  /** Scratch: extra return value. */
  t2 = 0;

  /** Mode of the current code segment (SDM Vol. 3A 2.2 / 9.8.5): 64, 32 or 16. */
  bitness: 64 | 32 | 16 = 64;
  mode64 = true;
  /** CR0.PG. */
  paging = false;
  /** Platform.translateGuestPhysical, if any. */
  ept: ((cpu: CpuContext, gpa: number, access: number, linear: number) => number) | undefined = undefined;
  /**
   * Translation context of the run (Platform.translationTag: VPID in bits 15:0, EP4TA + 1 above them) and the
   * TLB ids taken from it (tlb.ts, paging.ts retag): `tag` for non-global linear or combined mappings, `gtag` for
   * global ones, `gpaTag` for guest-physical mappings (NO_ID without EPT).
   */
  contextTag = 0;
  /** The TLB and its serial when the ids were taken (retag): unchanged context, TLB and serial → same ids. */
  tagTlb: Tlb | undefined = undefined;
  tagSerial = -1;
  vpid = 0;
  gpaTag = -1;
  tag = -1;
  gtag = -1;
  maxPhys = 46;

  /** The pending exception (set by fault()). */
  excVector = -1;
  excCode = -1;
  /** #PF: the faulting linear address (becomes CR2 at delivery). */
  excAddress = 0;

  /** Interrupt shadow countdown: >0 while STI/MOV SS blocking must be cleared after the next instruction. */
  shadow = 0;

  /** ACC_USER when CPL = 3 (paging access kind of explicit data accesses), else 0. */
  uacc = 0;
  /** Linear address of the current code page (NaN: none cached) and its decoded instructions. */
  codeBase = NaN;
  codeEpoch = -1;
  codePage: CodePage | undefined = undefined;

  /** Per-processor state that outlives a run. */
  pcs!: PerCpu;

  constructor(readonly platform: Platform) {}
}

/** Before calling into the platform: it sees the instructions retired so far in this run (CpuContext.runSteps). */
export function syncSteps(x: Exec): void {
  x.cpu.runSteps = x.steps;
}

/** Raise an exception from inside an instruction: record it and unwind to the run loop. */
export function fault(x: Exec, vector: number, errorCode: number): never {
  x.excVector = vector;
  x.excCode = errorCode;
  throw FAULT;
}

/** Vectors (SDM Vol. 3A 6.3.1, Table "Protected-Mode Exceptions and Interrupts"). */
export const DE = 0;
export const DB = 1;
export const NMI = 2;
export const BP = 3;
export const OF_VEC = 4;
export const UD = 6;
export const NM = 7;
export const DF = 8;
export const TS = 10;
export const NP = 11;
export const SS_VEC = 12;
export const GP = 13;
export const PF_VEC = 14;
export const AC = 17;

/** An instruction the interpreter does not implement: never executed as a silent no-op. */
export class UnsupportedInstructionError extends Error {
  constructor(readonly text: string) {
    super(`unsupported instruction: ${text}`);
    this.name = 'UnsupportedInstructionError';
  }
}
