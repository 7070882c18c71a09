/**
 * What the VMX layer needs from the x86 interpreter (src/emulator/x86) to run a guest: execute instructions,
 * deliver an injected event through the guest IDT, and invalidate cached translations. The machine attaches
 * one executor per logical processor (machine.ts); without one, running a guest fails with
 * ContractError('unsupported').
 */
import type { LogicalProcessor, TranslationCache } from '../processor';

export interface GuestExecutor extends TranslationCache {
  /**
   * Execute up to `maxSteps` instructions on `cpu` (in non-root operation: the guest). Returns the number of
   * instructions retired; stops early when a platform hook performed a VM exit or the processor left the
   * active state.
   */
  run(cpu: LogicalProcessor, maxSteps: number): number;
  /**
   * Whether `run` sets CpuContext.runSteps (instructions retired so far in the run) before every platform
   * call. Without it the TSC advances per slice of instructions (nonroot/run.ts).
   */
  readonly tracksRunSteps: boolean;
  /**
   * VM-entry event injection (SDM Vol. 3C 27.6.1): deliver `vector` of interruption `type` with `errorCode`
   * (-1: none) through the guest IDT, with `instrLen` for software events (the return address is RIP + length).
   * Returns false if delivery ended in a VM exit (a nested exception intercepted, IDT-vectoring information
   * recorded) or in shutdown.
   */
  inject(cpu: LogicalProcessor, vector: number, type: number, errorCode: number, instrLen: number): boolean;
  /** XCR0 as XSETBV left it (for the XSS-exiting bitmap, SDM Vol. 3C 26.1.3 "XSAVES"). */
  xcr0(cpu: LogicalProcessor): bigint;
}
