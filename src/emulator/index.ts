/**
 * The bundled reference implementation of the contract (src/contract/types.ts): asynchronous wrappers over
 * the synchronous reference machine. Every operation validates its input and fails with
 * ContractError('bad-request', …) naming the bad value; nothing else escapes from bad input.
 */
import {
  ContractError, EXTENSIONS, PROTOCOL_VERSION,
  type Capabilities, type Diagnosed, type ExecuteOptions, type Implementation, type ImplementationInfo,
  type Instruction, type Outcome, type PlatformEvent, type ResetOptions, type StateName, type StateValues,
} from '../contract/types';
import { msrName } from '../arch';
import pkg from '../../package.json';
import { Machine } from './machine';
import { REFERENCE_PROFILES, profileByName } from './profiles';
import type { LogicalProcessor } from './processor';
import { getState, setState } from './contract-state';
import { validateAfterMovSs, validateInstruction, validateMaxSteps } from './requests';
import { executeRoot } from './root';
import { deliverPlatformEvent, validateEvent } from './events';
import { runGuest } from './entry/run';
import { vmcsDump } from './vmcs/dump';

export { REFERENCE_PROFILES } from './profiles';
export { Machine } from './machine';

/** Default physical memory: 32 MiB. Limits: 64 KiB (the reset structures need the first 32 KiB) to 2 GiB. */
const DEFAULT_MEMORY = 32 * 1024 * 1024;
const MIN_MEMORY = 64 * 1024;
const MAX_MEMORY = 2 * 1024 * 1024 * 1024;
const MAX_PROCESSORS = 64;
/** Guest instructions VMLAUNCH/VMRESUME/run execute before reporting still-running, unless maxSteps says otherwise. */
export const DEFAULT_MAX_STEPS = 1_000_000;

function bad(message: string): never {
  throw new ContractError('bad-request', message);
}

export class ReferenceImplementation implements Implementation {
  private machine: Machine | null = null;

  async hello(): Promise<ImplementationInfo> {
    return {
      name: 'vmx-conformance reference emulator',
      version: pkg.version,
      protocol: PROTOCOL_VERSION,
      profiles: [...REFERENCE_PROFILES],
      extensions: Object.keys(EXTENSIONS),
    };
  }

  async reset(options: ResetOptions = {}): Promise<Capabilities> {
    if (options === null || typeof options !== 'object') bad('reset options must be an object');
    const name = options.profile ?? REFERENCE_PROFILES[0];
    const profile = typeof name === 'string' ? profileByName(name) : undefined;
    if (profile === undefined) bad(`unknown profile ${JSON.stringify(name)}; this implementation offers ${REFERENCE_PROFILES.join(', ')}`);
    const processors = options.processors ?? 1;
    if (typeof processors !== 'number' || !Number.isInteger(processors) || processors < 1 || processors > MAX_PROCESSORS) {
      bad(`processors must be an integer in 1…${MAX_PROCESSORS}, not ${String(processors)}`);
    }
    const bytes = options.memoryBytes ?? DEFAULT_MEMORY;
    if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < MIN_MEMORY || bytes > MAX_MEMORY || bytes % 4096 !== 0) {
      bad(`memoryBytes must be a multiple of 4096 in ${MIN_MEMORY}…${MAX_MEMORY}, not ${String(bytes)}`);
    }
    this.machine = new Machine(profile, processors, bytes);
    return this.capabilities(this.machine);
  }

  private capabilities(m: Machine): Capabilities {
    const msrs: Record<string, bigint> = { IA32_FEATURE_CONTROL: BigInt(m.caps.profile.featureControlAtReset) };
    for (const [addr, v] of [...m.caps.msrs].sort((a, b) => a[0] - b[0])) msrs[msrName(addr) ?? `0x${addr.toString(16)}`] = v;
    return {
      profile: m.caps.profile.name,
      processors: m.cpus.length,
      memoryBytes: m.memory.size,
      physicalAddressWidth: m.caps.physicalAddressWidth,
      msrs,
    };
  }

  private need(): Machine {
    if (this.machine === null) bad('no machine: call reset first');
    return this.machine;
  }

  private cpu(index: unknown): LogicalProcessor {
    const m = this.need();
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= m.cpus.length) {
      bad(`processor index ${String(index)} is out of range (this machine has ${m.cpus.length})`);
    }
    return m.cpus[index];
  }

  private range(address: unknown, length: number): number {
    const m = this.need();
    if (typeof address !== 'bigint') bad(`memory address must be a bigint, not ${typeof address}`);
    if (address < 0n || address + BigInt(length) > BigInt(m.memory.size)) {
      bad(`memory range 0x${address.toString(16)}+${length} is outside the machine's ${m.memory.size} bytes`);
    }
    return Number(address);
  }

  async writeMemory(address: bigint, data: Uint8Array): Promise<void> {
    if (!(data instanceof Uint8Array)) bad('writeMemory data must be a Uint8Array');
    const a = this.range(address, data.length);
    this.need().memory.writeBytes(a, data);
  }

  async readMemory(address: bigint, length: number): Promise<Uint8Array> {
    if (typeof length !== 'number' || !Number.isInteger(length) || length < 0 || length > 0x10000000) {
      bad(`readMemory length must be an integer in 0…2^28, not ${String(length)}`);
    }
    const a = this.range(address, length);
    return this.need().memory.readBytes(a, length);
  }

  async setState(cpu: number, values: StateValues): Promise<void> {
    setState(this.cpu(cpu), values);
  }

  async getState(cpu: number, names: StateName[]): Promise<StateValues> {
    return getState(this.cpu(cpu), names);
  }

  async execute(cpu: number, instruction: Instruction, options?: ExecuteOptions): Promise<Outcome & Diagnosed> {
    const p = this.cpu(cpu);
    const instr = validateInstruction(instruction);
    const maxSteps = validateMaxSteps(options, DEFAULT_MAX_STEPS);
    const afterMovSs = validateAfterMovSs(options, instr.mnemonic);
    return executeRoot(this.need(), p, instr, maxSteps, afterMovSs);
  }

  async run(cpu: number, options?: ExecuteOptions): Promise<Outcome & Diagnosed> {
    const p = this.cpu(cpu);
    const maxSteps = validateMaxSteps(options, DEFAULT_MAX_STEPS);
    return runGuest(this.need(), p, maxSteps);
  }

  async deliverEvent(cpu: number, event: PlatformEvent): Promise<void> {
    const p = this.cpu(cpu);
    deliverPlatformEvent(this.need(), p, validateEvent(event));
  }

  async evidence(): Promise<{ name: string; mediaType: string; body: string }[]> {
    const m = this.machine;
    if (m === null) return [];
    const out = m.cpus
      .filter((c) => c.current !== null)
      .map((c) => ({ name: `VMCS of processor ${c.index}`, mediaType: 'text/plain', body: vmcsDump(c.current!, c.caps) }));
    const text = m.consoleText();
    if (text.length > 0) out.push({ name: 'guest output on port E9H', mediaType: 'text/plain', body: text });
    return out;
  }

  async close(): Promise<void> {
    this.machine = null;
  }
}

export function createReferenceImplementation(): Implementation {
  return new ReferenceImplementation();
}
