/**
 * The x86 interpreter of the reference machine: executes real guest machine code on a CpuContext, asking the
 * Platform (the VMX layer) wherever VMX non-root operation can change what happens (platform.ts).
 *
 * Execution: fetch through the decode cache (decode.ts; per physical page, revalidated after writes), run
 * the instruction's pre-bound handler with RIP already advanced; faults unwind as a sentinel to `run`,
 * which delivers them through the IDT (exceptions.ts). Status flags are lazy (flags.ts) and written back
 * before any hook and at the end of `run`.
 */
import type { CpuContext, HookResult, Platform } from './platform';
import * as ns_platform from './platform';
import * as ns_exec from './exec';
import * as ns_decode from './decode';
import type { DecodeCache, Insn } from './decode';
import * as ns_dispatch from './dispatch';
import * as ns_flags from './flags';
import * as ns_paging from './paging';
import * as ns_exceptions from './exceptions';
import * as ns_segments from './segments';
import { Exec, PerCpu } from './exec';
import { CodePage } from './decode';
import { Tlb } from './paging';
// Imported bindings rebound to module constants: under tsx/esbuild's CommonJS output each use of an
// imported name is a getter call, which costs on the hot path.
const { CONTINUE, EXITED } = ns_platform;
const { FAULT, STOP, STOPPED, GP } = ns_exec;
const { decodeBytes, decodeCacheFor } = ns_decode;
const { bind } = ns_dispatch;
const { materialize } = ns_flags;
const { ACC_FETCH, retag, translate } = ns_paging;
const { deliverEvent, T_HARDWARE } = ns_exceptions;
const { updateMode } = ns_segments;

export { UnsupportedInstructionError } from './exec';
export { T_EXTERNAL, T_NMI, T_HARDWARE, T_SOFTWARE_INT, T_PRIV_SOFTWARE, T_SOFTWARE_EXC } from './exceptions';

const perCpu = new WeakMap<CpuContext, PerCpu>();
function stateOf(cpu: CpuContext): PerCpu {
  let s = perCpu.get(cpu);
  if (s === undefined) {
    s = new PerCpu(new Tlb());
    perCpu.set(cpu, s);
  }
  return s;
}

/**
 * The processor's TLB (the same object for the processor's lifetime): the VMX layer invalidates through it
 * (tlb.ts: INVEPT, INVVPID, VM entries and exits without VPIDs, MOV to CR in non-root operation).
 */
export function tlbOf(cpu: CpuContext): Tlb {
  return stateOf(cpu).tlb;
}
/** XCR0 of a processor (XSETBV). */
export function xcr0(cpu: CpuContext): bigint {
  return stateOf(cpu).xcr0;
}

const NO_PAGE = new CodePage();
const MIN_CANONICAL = -0x800000000000;
const MAX_CANONICAL = 0x800000000000;

export class Interpreter {
  private readonly x: Exec;
  private cache: DecodeCache | undefined;

  constructor(readonly platform: Platform) {
    this.x = new Exec(platform);
  }

  /** The processor's TLB (tlb.ts), for invalidations by the platform. */
  tlbOf(cpu: CpuContext): Tlb {
    return tlbOf(cpu);
  }

  private running = false;
  /** platform.translateGuestPhysical bound to the platform, made again only when the method is replaced. */
  private eptMethod: Platform['translateGuestPhysical'] = undefined;
  private eptBound: Exec['ept'] = undefined;
  /** The processor of the last run and its state (a processor's PerCpu never changes once made). */
  private lastCpu: CpuContext | undefined = undefined;
  private lastState: PerCpu | undefined = undefined;

  private bindCpu(cpu: CpuContext, x: Exec = this.x): Exec {
    const p = this.platform;
    x.cpu = cpu;
    x.regs = cpu.regs;
    x.lo = cpu.regs.lo;
    x.hi = cpu.regs.hi;
    x.mem = cpu.memory;
    if (cpu !== this.lastCpu) {
      this.lastCpu = cpu;
      this.lastState = stateOf(cpu);
    }
    x.pcs = this.lastState!;
    x.tlb = x.pcs.tlb;
    const ept = p.translateGuestPhysical;
    if (ept !== this.eptMethod) {
      this.eptMethod = ept;
      this.eptBound = ept === undefined ? undefined : ept.bind(p);
    }
    x.ept = this.eptBound;
    const tag = p.translationTag?.(cpu) ?? 0;
    if (tag !== x.contextTag || x.tlb !== x.tagTlb || x.tlb.serial !== x.tagSerial) {
      x.contextTag = tag;
      retag(x);
    }
    x.maxPhys = p.physicalAddressWidth ?? 46;
    x.fOp = 0;
    // Blocking by STI / MOV SS present at the start (e.g. loaded by VM entry) covers the next instruction.
    x.shadow = ((cpu.interruptibility ?? 0) & 3) !== 0 ? 1 : 0;
    x.codePage = NO_PAGE;
    x.codeEpoch = -1;
    if (this.cache === undefined || this.cache.memory !== cpu.memory) this.cache = decodeCacheFor(cpu.memory);
    updateMode(x);
    return x;
  }

  /**
   * Execute up to `maxSteps` instructions. Returns the number executed (an instruction that faulted, exited
   * or halted counts). Stops early on a VM exit, HLT, shutdown, or an UnsupportedInstructionError (thrown).
   */
  run(cpu: CpuContext, maxSteps: number): number {
    const x = this.bindCpu(cpu);
    if ((cpu.activityState ?? 0) !== 0) {
      if (cpu.pendingEvents === true && this.platform.instructionBoundary(cpu) === EXITED) return 0;
      if ((cpu.activityState ?? 0) !== 0) return 0;
      updateMode(x);
    }
    x.steps = 0;
    cpu.runSteps = 0;
    this.running = true;
    try {
      for (;;) {
        try {
          this.loop(x, maxSteps);
          break;
        } catch (e) {
          if (e === FAULT) {
            x.steps++; // the faulting instruction counts as a step
            x.regs.rip = x.ripCur;
            if (!deliverEvent(x, x.excVector, T_HARDWARE, x.excCode, x.ripCur, true)) break;
            if (x.steps >= maxSteps) break;
            continue;
          }
          if (e === STOP) {
            x.steps++; // so does an instruction that caused a VM exit
            break;
          }
          // Unsupported instruction or an internal error: leave RIP at the instruction.
          x.regs.rip = x.ripCur;
          throw e;
        }
      }
    } finally {
      this.running = false;
      materialize(x);
    }
    return x.steps;
  }

  /** The hot loop: returns when the budget is used or a handler asks to stop. */
  private loop(x: Exec, maxSteps: number): void {
    const regs = x.regs;
    const cpu = x.cpu;
    const tlb = x.tlb;
    while (x.steps < maxSteps) {
      if (cpu.pendingEvents === true) {
        if (this.boundary(x)) return;
      }
      const rip = regs.rip;
      const off = rip - x.codeBase;
      const page = x.codePage!;
      let ins: Insn | undefined;
      if (off >= 0 && off < 4096 && x.codeEpoch === tlb.epoch) ins = page.insns[off];
      if (ins === undefined || ins.gen !== page.gen) {
        ins = this.fetch(x, rip);
      }
      x.ripCur = rip;
      regs.rip = rip + ins.len;
      const stop = ins.exec(x, ins);
      x.steps++;
      if (stop !== 0) {
        // STOPPED (a VM exit): the run ends as the instruction left it; HALT_RUN: after the shadow tick.
        if (stop !== STOPPED && x.shadow !== 0) this.shadowTick(x);
        return;
      }
      if (x.shadow !== 0) this.shadowTick(x);
    }
  }

  /**
   * After each instruction: STI / MOV SS set shadow = 2; the next instruction is the one they block; after
   * it completes the blocking ends (SDM Vol. 2 STI, MOV; 25.4.2 interruptibility state).
   */
  private shadowTick(x: Exec): void {
    if (--x.shadow === 0 && x.cpu.interruptibility !== undefined) x.cpu.interruptibility &= ~3;
  }

  /** The platform's boundary hook (pending events). Returns true to stop. */
  private boundary(x: Exec): boolean {
    const cpu = x.cpu;
    if (cpu.pendingEvents === true) {
      materialize(x);
      x.ripCur = x.regs.rip;
      cpu.runSteps = x.steps;
      const r = this.platform.instructionBoundary(cpu);
      if (r === EXITED) return true;
      updateMode(x);
      if ((cpu.activityState ?? 0) !== 0) return true;
    }
    return false;
  }

  /** Fetch through translation and the decode cache (SDM 4.6: instruction fetches are execute accesses). */
  private fetch(x: Exec, rip: number): Insn {
    const regs = x.regs;
    let linear: number;
    if (x.mode64) {
      if (rip < MIN_CANONICAL || rip >= MAX_CANONICAL) {
        x.ripCur = rip;
        x.excVector = GP;
        x.excCode = 0;
        throw FAULT;
      }
      linear = rip;
    } else {
      linear = (rip + regs.segBaseView[1]) >>> 0;
    }
    x.ripCur = rip;
    const phys = translate(x, linear, ACC_FETCH | x.uacc);
    // phys is a non-negative integer (a physical address): its low 12 bits, without a floating-point modulo.
    const offset = (phys >>> 0) & 0xfff;
    const ppage = (phys - offset) / 4096;
    const page = this.cache!.page(ppage, x.bitness);
    x.codeBase = rip - offset;
    x.codePage = page;
    x.codeEpoch = x.tlb.epoch;
    const mem = x.mem;
    let ins = page.insns[offset];
    if (ins !== undefined) {
      if (ins.gen === page.gen) return ins;
      const b = ins.bytes;
      let same = true;
      for (let k = 0; k < b.length; k++) {
        if (mem.read8(phys + k) !== b[k]) {
          same = false;
          break;
        }
      }
      if (same) {
        ins.gen = page.gen;
        mem.codePages[ppage] = 1;
        return ins;
      }
    }
    const avail = 4096 - offset;
    const bytes = new Uint8Array(15);
    for (let k = 0; k < Math.min(15, avail); k++) bytes[k] = mem.read8(phys + k);
    ins = decodeBytes(avail >= 15 ? bytes : bytes.subarray(0, avail), x.bitness, bind);
    if (avail < 15 && ins.code === 0) {
      // Truncated at the page end: the instruction may continue on the next page. Fetch those bytes (which
      // may fault) and decode again; an instruction that crosses the boundary is not cached.
      const next = translate(x, x.mode64 ? linear + avail : (linear + avail) >>> 0, ACC_FETCH | x.uacc);
      for (let k = avail; k < 15; k++) bytes[k] = mem.read8(next + k - avail);
      const whole = decodeBytes(bytes, x.bitness, bind);
      if (whole.len > avail) return whole;
    }
    ins.gen = page.gen;
    page.insns[offset] = ins;
    mem.codePages[ppage] = 1;
    return ins;
  }

  /**
   * Deliver an event through the guest IDT now (VM-entry event injection, or an event the platform accepts
   * at an instruction boundary). Not subject to the exception bitmap; a nested fault during delivery is
   * (and may cause a VM exit, double fault or triple fault). `instructionLength` is added to RIP for the
   * return address of software interrupts and exceptions (VM-entry instruction length, SDM 27.6.1.1).
   * Returns CONTINUE when delivered, EXITED when a VM exit or shutdown happened instead.
   */
  deliverEvent(cpu: CpuContext, vector: number, type: number, errorCode?: number, instructionLength = 0): HookResult {
    // During a run on another processor (an IPI from a hook), work on a separate Exec.
    const x = cpu === this.x.cpu ? this.x : this.running ? this.bindCpu(cpu, new Exec(this.platform)) : this.bindCpu(cpu);
    materialize(x);
    x.ripCur = x.regs.rip;
    const ok = deliverEvent(x, vector, type, errorCode ?? -1, x.regs.rip + instructionLength, false, instructionLength);
    materialize(x);
    return ok ? CONTINUE : EXITED;
  }

  /** Drop all decoded instructions of this memory (tests). */
  clearDecodeCache(cpu: CpuContext): void {
    decodeCacheFor(cpu.memory).clear();
    this.x.codeBase = NaN;
  }
}

export type { Platform, CpuContext } from './platform';
