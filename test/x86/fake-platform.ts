/**
 * A small stand-in for the VMX layer, for the interpreter's unit tests: records every hook call and lets a
 * test choose the hook results.
 */
import { PhysicalMemory } from '../../src/emulator/memory';
import { RegisterFile } from '../../src/emulator/state';
import {
  CONTINUE, EXITED, newInstructionFacts, type CpuContext, type ExitingInstruction, type HookResult, type InstructionFacts, type Platform,
} from '../../src/emulator/x86/platform';

export class FakeCpu implements CpuContext {
  readonly regs = new RegisterFile();
  readonly facts: InstructionFacts = newInstructionFacts();
  nonRoot = false;
  activityState = 0;
  pendingEvents = false;
  interruptibility = 0;
  constructor(readonly memory: PhysicalMemory) {}
}

export interface InterceptRecord {
  instruction: ExitingInstruction;
  length: number;
  rip: number;
  facts: InstructionFacts;
}

export class FakePlatform implements Platform {
  readonly intercepts: InterceptRecord[] = [];
  readonly events: { vector: number; type: number; errorCode: number | undefined; rip: number; idtVectoring: boolean }[] = [];
  readonly ports: { port: number; size: number; value: number; out: boolean }[] = [];
  tripleFaults = 0;
  /** Result per instruction class (default CONTINUE). */
  readonly exitOn = new Map<ExitingInstruction, HookResult>();
  /** Exception vectors that cause a "VM exit" in interceptEvent. */
  readonly exitOnVector = new Set<number>();
  readonly msrs = new Map<number, bigint>([[0xc0000103, 7n]]);
  tsc = 1000n;
  portValue = 0x5a;
  readonly vmcs = new Map<bigint, bigint>();
  boundaryCalls = 0;
  onBoundary: ((cpu: CpuContext) => HookResult) | undefined;

  interceptInstruction(cpu: CpuContext): HookResult {
    const f = cpu.facts;
    this.intercepts.push({ instruction: f.instruction, length: f.length, rip: cpu.regs.rip, facts: { ...f } });
    const r = this.exitOn.get(f.instruction) ?? CONTINUE;
    return r;
  }
  interceptEvent(cpu: CpuContext, vector: number, type: number, errorCode: number | undefined): HookResult {
    this.events.push({ vector, type, errorCode, rip: cpu.regs.rip, idtVectoring: cpu.facts.idtVectoringValid });
    return this.exitOnVector.has(vector) ? EXITED : CONTINUE;
  }
  tripleFault(_cpu: CpuContext): void {
    this.tripleFaults++;
  }
  cpuid(cpu: CpuContext, leaf: number, subleaf: number): void {
    cpu.regs.lo[0] = 0x11110000 + leaf;
    cpu.regs.lo[3] = 0x22220000 + subleaf;
    cpu.regs.lo[1] = 0x33333333;
    cpu.regs.lo[2] = 0x44444444;
  }
  rdmsr(_cpu: CpuContext, msr: number): bigint | undefined {
    return this.msrs.get(msr);
  }
  wrmsr(cpu: CpuContext, msr: number, value: bigint): boolean {
    if (msr === 0xdead) return false;
    this.msrs.set(msr, value);
    if (msr === 0xc0000100) cpu.regs.segBase[4] = Number(BigInt.asIntN(64, value));
    return true;
  }
  rdtsc(): bigint {
    this.tsc += 10n;
    return this.tsc;
  }
  portIn(_cpu: CpuContext, port: number, size: number): number {
    this.ports.push({ port, size, value: this.portValue, out: false });
    return this.portValue;
  }
  portOut(_cpu: CpuContext, port: number, size: number, value: number): void {
    this.ports.push({ port, size, value, out: true });
  }
  readCr(cpu: CpuContext, cr: number): bigint {
    const r = cpu.regs;
    return cr === 0 ? BigInt(r.cr0) : cr === 3 ? BigInt(r.cr3) : cr === 4 ? BigInt(r.cr4) : cr === 8 ? BigInt(r.cr8) : 0n;
  }
  writeCr(cpu: CpuContext, cr: number, value: bigint): HookResult {
    const r = cpu.regs;
    if (cr === 0) r.cr0 = Number(value);
    else if (cr === 3) r.cr3 = Number(value);
    else if (cr === 4) r.cr4 = Number(value);
    else if (cr === 8) r.cr8 = Number(value);
    return CONTINUE;
  }
  vmreadShadow(_cpu: CpuContext, encoding: bigint): { ok: boolean; value: bigint; error?: number } {
    const v = this.vmcs.get(encoding);
    return v === undefined ? { ok: false, value: 0n, error: 12 } : { ok: true, value: v };
  }
  vmwriteShadow(_cpu: CpuContext, encoding: bigint, value: bigint): { ok: boolean; error?: number } {
    this.vmcs.set(encoding, value);
    return { ok: true };
  }
  instructionBoundary(cpu: CpuContext): HookResult {
    this.boundaryCalls++;
    return this.onBoundary ? this.onBoundary(cpu) : CONTINUE;
  }
}
