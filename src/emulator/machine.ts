/**
 * The reference machine: physical memory, logical processors and the capability profile they share.
 * Everything here is synchronous; index.ts wraps it in the asynchronous contract.
 */
import { PhysicalMemory } from './memory';
import { LogicalProcessor } from './processor';
import { MachineCapabilities } from './capabilities';
import type { Profile } from './profiles';
import { resetProcessor, writeResetTables } from './reset';
import { VmxPlatform } from './nonroot/platform';
import type { GuestExecutor } from './entry/executor';
import { Interpreter } from './x86';
import { InterpreterExecutor } from './interpreter-executor';

/** Capability objects are immutable per profile; share them between resets. */
const CAPS = new Map<string, MachineCapabilities>();
export function capabilitiesOf(profile: Profile): MachineCapabilities {
  let c = CAPS.get(profile.name);
  if (c === undefined) {
    c = new MachineCapabilities(profile);
    CAPS.set(profile.name, c);
  }
  return c;
}

/** Bytes kept of what guests write to the debug port E9H (evidence for reports). */
const CONSOLE_LIMIT = 64 * 1024;

export class Machine {
  readonly caps: MachineCapabilities;
  readonly memory: PhysicalMemory;
  readonly cpus: readonly LogicalProcessor[];
  /** The interpreter seam's platform side, shared by every processor of this machine. */
  readonly platform: VmxPlatform;
  /** CPUID output scratch (EAX, EBX, ECX, EDX). */
  readonly cpuidScratch = new Uint32Array(4);
  private readonly consoleBytes = new Uint8Array(CONSOLE_LIMIT);
  private consoleLength = 0;

  constructor(profile: Profile, processors: number, memoryBytes: number) {
    this.caps = capabilitiesOf(profile);
    this.memory = new PhysicalMemory(memoryBytes);
    writeResetTables(this.memory);
    const cpus: LogicalProcessor[] = [];
    for (let i = 0; i < processors; i++) {
      const cpu = new LogicalProcessor(i, this.memory, this.caps);
      resetProcessor(cpu);
      cpus.push(cpu);
    }
    this.cpus = cpus;
    this.platform = new VmxPlatform(this);
    const interpreter = new Interpreter(this.platform);
    for (const cpu of cpus) this.attachExecutor(cpu, new InterpreterExecutor(interpreter, cpu));
  }

  /** Attach what runs code on a logical processor (also its translation cache); tests may attach their own. */
  attachExecutor(cpu: LogicalProcessor, exec: GuestExecutor | null): void {
    cpu.executor = exec;
    if (exec !== null) cpu.translations = exec;
  }

  executor(cpu: LogicalProcessor): GuestExecutor | null {
    return cpu.executor;
  }

  console(byte: number): void {
    if (this.consoleLength < CONSOLE_LIMIT) this.consoleBytes[this.consoleLength++] = byte;
  }

  /** What guests wrote to port E9H, as text. */
  consoleText(): string {
    return Buffer.from(this.consoleBytes.subarray(0, this.consoleLength)).toString('latin1');
  }
}
