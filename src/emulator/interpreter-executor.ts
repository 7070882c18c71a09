/**
 * The GuestExecutor (entry/executor.ts) backed by the x86 interpreter of src/emulator/x86: one Interpreter
 * per machine, bound to a logical processor for each run.
 */
import { CONTINUE } from './x86/platform';
import { invalidatePage, tlbOf, xcr0, Interpreter } from './x86';
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

  /** The processor's TLB, looked up once (VM entries and exits without VPIDs flush it every time). */
  private tlb: Tlb | undefined = undefined;

  flushAll(): void {
    (this.tlb ??= tlbOf(this.cpu)).flushAll();
  }

  flushPage(linear: number): void {
    invalidatePage(this.cpu, linear);
  }
}
