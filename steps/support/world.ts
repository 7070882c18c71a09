/**
 * The per-scenario World: the implementation under test, the operation trace, the last outcome, and
 * the coverage this scenario has asserted. Every contract operation goes through here so the trace that
 * reports attach to a failing scenario is complete.
 */
import { setWorldConstructor, World, type IWorldOptions } from '@cucumber/cucumber';
import { fieldByEncoding } from '../../src/arch/vmcs-fields';
import type {
  Capabilities, Diagnosed, ExecuteOptions, Implementation, ImplementationInfo, Instruction, Outcome, PlatformEvent,
  StateValues,
} from '../../src/contract/types';
import { hexOf } from './format';

export type TracedOutcome = Outcome & Diagnosed;

export interface Coverage {
  exitReasons: Set<number>;
  vmInstructionErrors: Set<number>;
  controls: Set<string>;
}

export class VmxWorld extends World {
  impl!: Implementation;
  info!: ImplementationInfo;
  caps!: Capabilities;
  /** The logical processor the steps act on. */
  cpu = 0;
  readonly trace: string[] = [];
  /** The outcome of the last instruction the VMM executed (or of the last guest run). */
  last?: { what: string; outcome: TracedOutcome };
  /** Controls this scenario has set or cleared; credited to coverage when an outcome assertion passes. */
  readonly controlsTouched = new Set<string>();
  readonly coverage: Coverage = { exitReasons: new Set(), vmInstructionErrors: new Set(), controls: new Set() };
  /** Named physical addresses the scenario refers to ("VMCS A", "the VMXON region", ...). */
  readonly regions = new Map<string, bigint>();
  /** Set when the implementation broke (crash, hang, protocol error): the scenario's result is "error". */
  implementationBroke?: string;
  /** Free-form state the area-specific step files keep (guest code origin, saved values ...). */
  readonly memo = new Map<string, unknown>();

  constructor(options: IWorldOptions) {
    super(options);
  }

  private record(line: string): void {
    this.trace.push(`${String(this.trace.length + 1).padStart(3)}  ${line}`);
  }

  private async traced<T>(what: string, op: () => Promise<T>, show: (r: T) => string): Promise<T> {
    try {
      const r = await op();
      this.record(`${what} → ${show(r)}`);
      return r;
    } catch (e) {
      this.record(`${what} → ERROR ${(e as Error).message}`);
      const code = (e as { code?: string }).code;
      if (code === 'crashed' || code === 'timeout' || code === 'protocol' || code === 'internal') {
        this.implementationBroke = `${code}: ${(e as Error).message}`;
      }
      throw e;
    }
  }

  async execute(instruction: Instruction, options?: ExecuteOptions, cpu = this.cpu): Promise<TracedOutcome> {
    const what = `cpu${cpu} ${describeInstruction(instruction)}`;
    const outcome = await this.traced(what, () => this.impl.execute(cpu, instruction, options), describeOutcome);
    this.last = { what: describeInstruction(instruction), outcome };
    return outcome;
  }

  async run(options?: ExecuteOptions, cpu = this.cpu): Promise<TracedOutcome> {
    const outcome = await this.traced(`cpu${cpu} run guest`, () => this.impl.run(cpu, options), describeOutcome);
    this.last = { what: 'guest run', outcome };
    return outcome;
  }

  async setState(values: StateValues, cpu = this.cpu): Promise<void> {
    const shown = Object.entries(values).map(([k, v]) => `${k}=${hexOf(v)}`).join(' ');
    await this.traced(`cpu${cpu} setState ${shown}`, () => this.impl.setState(cpu, values), () => 'ok');
  }

  async getState(names: string[], cpu = this.cpu): Promise<StateValues> {
    return this.traced(`cpu${cpu} getState ${names.join(' ')}`, () => this.impl.getState(cpu, names), (r) =>
      Object.entries(r).map(([k, v]) => `${k}=${hexOf(v)}`).join(' '));
  }

  async writeMemory(address: bigint, data: Uint8Array, label?: string): Promise<void> {
    const what = `writeMemory ${hexOf(address)} (${data.length} bytes${label ? `, ${label}` : ''})`;
    await this.traced(what, () => this.impl.writeMemory(address, data), () => 'ok');
  }

  async readMemory(address: bigint, length: number): Promise<Uint8Array> {
    return this.traced(`readMemory ${hexOf(address)} ${length}`, () => this.impl.readMemory(address, length), (b) =>
      Buffer.from(b).toString('hex').slice(0, 64) + (b.length > 32 ? '…' : ''));
  }

  async deliverEvent(event: PlatformEvent, cpu = this.cpu): Promise<void> {
    await this.traced(`cpu${cpu} deliverEvent ${JSON.stringify(event)}`, () => this.impl.deliverEvent(cpu, event), () => 'pending');
  }

  /** Note a step that is not a contract operation (for the trace only). */
  note(line: string): void {
    this.record(`-- ${line}`);
  }
}

export function describeInstruction(i: Instruction): string {
  switch (i.mnemonic) {
    case 'VMXON': case 'VMPTRLD': case 'VMCLEAR':
      return `${i.mnemonic} [${hexOf(i.address)}]`;
    case 'VMREAD':
      return `VMREAD ${fieldLabel(i.encoding)}`;
    case 'VMWRITE':
      return `VMWRITE ${fieldLabel(i.encoding)} ← ${hexOf(i.value)}`;
    case 'INVEPT': case 'INVVPID':
      return `${i.mnemonic} type=${i.type} descriptor=[${hexOf(i.descriptor[0])}, ${hexOf(i.descriptor[1])}]`;
    case 'CPUID':
      return `CPUID leaf=${hexOf(i.leaf)}${i.subleaf !== undefined ? ` subleaf=${hexOf(i.subleaf)}` : ''}`;
    case 'RDMSR':
      return `RDMSR ${hexOf(i.msr)}`;
    case 'WRMSR':
      return `WRMSR ${hexOf(i.msr)} ← ${hexOf(i.value)}`;
    case 'MOV-TO-CR':
      return `MOV CR${i.cr} ← ${hexOf(i.value)}`;
    default:
      return i.mnemonic;
  }
}

function fieldLabel(encoding: bigint): string {
  const f = encoding <= 0xffffffffn ? fieldByEncoding(Number(encoding)) : undefined;
  return f ? `"${f.name}" (${hexOf(encoding)})` : hexOf(encoding);
}

export function describeOutcome(o: TracedOutcome): string {
  let s: string;
  switch (o.kind) {
    case 'VMsucceed': s = o.value !== undefined ? `VMsucceed value=${hexOf(o.value)}` : 'VMsucceed'; break;
    case 'VMfailValid': s = `VMfailValid error=${o.error}`; break;
    case 'fault': s = `fault vector=${o.vector}${o.errorCode !== undefined ? ` errorCode=${hexOf(o.errorCode)}` : ''}`; break;
    case 'vm-exit': s = `VM exit reason=${hexOf(o.exitReason)} (basic ${o.exitReason & 0xffff}${o.exitReason & 0x80000000 ? ', VM-entry failure' : ''})`; break;
    case 'still-running': s = `still running after ${o.steps} steps`; break;
    case 'completed':
      s = o.values ? `completed ${Object.entries(o.values).map(([k, v]) => `${k}=${hexOf(v)}`).join(' ')}` : 'completed';
      break;
    default: s = o.kind;
  }
  return o.notes?.length ? `${s}  [${o.notes.join('; ')}]` : s;
}

setWorldConstructor(VmxWorld);
