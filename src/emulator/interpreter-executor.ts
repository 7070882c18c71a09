/**
 * The GuestExecutor (entry/executor.ts) backed by the x86 interpreter of src/emulator/x86: one Interpreter
 * per machine, bound to a logical processor for each run.
 */
import { CONTINUE } from './x86/platform';
import { tlbOf, xcr0, Interpreter } from './x86';
import type { Tlb } from './x86/paging';
import type { GuestExecutor } from './entry/executor';
import type { LogicalProcessor } from './processor';

export class InterpreterExecutor implements GuestExecutor {
  /** The interpreter sets CpuContext.runSteps before every platform call (x86/exec.ts). */
  readonly tracksRunSteps = true;
  constructor(private readonly interpreter: Interpreter, private readonly cpu: LogicalProcessor) {}

  run(cpu: LogicalProcessor, maxSteps: number): number {
    return this.interpreter.run(cpu, maxSteps);
  }

  inject(cpu: LogicalProcessor, vector: number, type: number, errorCode: number, instrLen: number): boolean {
    return this.interpreter.deliverEvent(cpu, vector, type, errorCode < 0 ? undefined : errorCode, instrLen) === CONTINUE;
  }

  xcr0(cpu: LogicalProcessor): bigint {
    return xcr0(cpu);
  }

  /** The processor's TLB (the same object for the processor's lifetime), looked up once. */
  private tlbCache: Tlb | undefined = undefined;
  private get tlb(): Tlb {
    return (this.tlbCache ??= tlbOf(this.cpu));
  }

  invalidateAll(): void {
    this.tlb.invalidateAll();
  }
  invalidateVpid(vpid: number, retainGlobals: boolean): void {
    this.tlb.invalidateVpid(vpid, retainGlobals);
  }
  invalidateAllVpidsExceptZero(): void {
    this.tlb.invalidateAllVpidsExceptZero();
  }
  invalidateAddress(vpid: number, linear: number): void {
    this.tlb.invalidateAddress(vpid, linear);
  }
  invalidateEp4ta(ep4ta: number): void {
    this.tlb.invalidateEp4ta(ep4ta);
  }
  invalidateAllEp4tas(): void {
    this.tlb.invalidateAllEp4tas();
  }
}
