/**
 * The Bochs implementation: Bochs's own VMX (cpu/vmx.cc), driven by the agent kernel (agent/) that runs
 * each contract operation natively inside the emulated machine. See docs/bochs.md.
 */
import {
  ContractError,
  PROTOCOL_VERSION,
  type Capabilities,
  type Diagnosed,
  type ExecuteOptions,
  type ExtensionName,
  type Implementation,
  type ImplementationInfo,
  type Instruction,
  type Outcome,
  type PlatformEvent,
  type ResetOptions,
  type StateName,
  type StateValues,
} from '../../contract/types';
import { BochsMachine, BochsTimeout } from './machine';
import {
  CAPABILITY_MSR_NAMES,
  EventCode,
  MnemonicCode,
  Op,
  OutcomeCode,
  STATE_MSR,
  Status,
  Writer,
  encodeWrite,
  stateItem,
  type ReplyFrame,
} from './protocol';

export { BOCHS_INSTALL_HINT, findBochs, buildAgent } from './machine';

/** Bochs 2.7 CPU models with VMX (cpu/cpudb). The first is the default profile. */
export const BOCHS_VMX_MODELS = [
  'corei7_skylake_x',
  'corei3_cnl',
  'broadwell_ult',
  'corei7_haswell_4770',
  'corei7_ivy_bridge_3770k',
  'corei7_sandy_bridge_2600k',
  'corei5_arrandale_m520',
  'corei5_lynnfield_750',
  'core2_penryn_t9600',
];

/** Extensions that work on this implementation (see docs/bochs.md "Events"). */
const EXTENSIONS: ExtensionName[] = ['cpl', 'root-state', 'events'];

const MIB32 = 32 * 1024 * 1024;
/** Largest payload per request; the agent's buffer is 512 KiB. */
const CHUNK = 64 * 1024;

export interface BochsOptions {
  /** Bochs `cpu: model=` (default corei7_skylake_x). */
  cpuModel?: string;
  /** Per-operation timeout in ms (default 10 s); a guest that never exits fails the operation then. */
  timeoutMs?: number;
}

export async function createBochsImplementation(options: BochsOptions = {}): Promise<BochsImplementation> {
  return new BochsImplementation(options.cpuModel ?? 'corei7_skylake_x', options.timeoutMs ?? 10000);
}

/** The agent's window of physical memory for scenarios, learned from its hello reply. */
interface AgentInfo {
  name: string;
  windowStart: bigint;
  windowEnd: bigint;
  ramEnd: bigint;
  repliesOnE9: boolean;
}

export class BochsImplementation implements Implementation {
  private machine?: BochsMachine;
  private agent?: AgentInfo;
  private model: string;
  /** The last machine's evidence, kept after it died so that the failing scenario can still show it. */
  private lastEvidence?: { log: string; other: string };

  constructor(
    private readonly defaultModel: string,
    private readonly timeoutMs: number,
  ) {
    this.model = defaultModel;
  }

  private profiles(): string[] {
    return [this.defaultModel, ...BOCHS_VMX_MODELS.filter((m) => m !== this.defaultModel)];
  }

  /** The running machine, or a fresh one when there is none or the last one died. */
  private async ensureMachine(): Promise<BochsMachine> {
    if (this.machine?.alive) return this.machine;
    await this.dropMachine();
    const m = await BochsMachine.start({ cpuModel: this.model, timeoutMs: this.timeoutMs });
    this.machine = m;
    const hello = await m.request(Op.HELLO, new Uint8Array(0), 'hello');
    const p = ok(hello, 'hello');
    this.agent = {
      repliesOnE9: p[4] === 1,
      windowStart: p.readBigUInt64LE(5),
      windowEnd: p.readBigUInt64LE(13),
      ramEnd: p.readBigUInt64LE(21),
      name: p.subarray(29).toString('latin1'),
    };
    return m;
  }

  private async dropMachine(): Promise<void> {
    const m = this.machine;
    this.machine = undefined;
    if (!m) return;
    this.lastEvidence = { log: m.logTail(300), other: m.otherOutput() };
    await m.stop();
  }

  /** The current machine for an operation other than reset: a dead one is reported, not replaced. */
  private live(): BochsMachine {
    const m = this.machine;
    if (!m) throw new ContractError('crashed', 'Bochs is not running; reset() starts it');
    return m;
  }

  async hello(): Promise<ImplementationInfo> {
    const m = await this.ensureMachine();
    return {
      name: 'bochs',
      version: `Bochs ${m.bochsVersion}, ${this.agent?.name ?? 'vmx-agent'}`,
      protocol: PROTOCOL_VERSION,
      profiles: this.profiles(),
      extensions: [...EXTENSIONS],
    };
  }

  async reset(options: ResetOptions): Promise<Capabilities> {
    if ((options.processors ?? 1) !== 1) {
      throw new ContractError('unsupported', 'the Bochs agent drives one logical processor');
    }
    if ((options.memoryBytes ?? MIB32) !== MIB32) {
      throw new ContractError('unsupported', 'the Bochs machine has 32 MiB of memory');
    }
    const profile = options.profile ?? this.defaultModel;
    if (!this.profiles().includes(profile)) {
      throw new ContractError('bad-request', `unknown profile ${profile}; Bochs offers ${this.profiles().join(', ')}`);
    }
    if (profile !== this.model) {
      this.model = profile;
      await this.dropMachine();
    }
    for (let attempt = 0; ; attempt++) {
      const m = await this.ensureMachine();
      const f = await m.request(Op.RESET, new Writer().u8(1).done(), 'reset');
      if (f.status === Status.REBOOT && attempt === 0) {
        await this.dropMachine();
        continue;
      }
      const p = ok(f, 'reset');
      const msrs: Record<string, bigint> = {};
      const count = p.readUInt16LE(9);
      for (let i = 0; i < count; i++) {
        const msr = p.readUInt32LE(11 + i * 12);
        const name = CAPABILITY_MSR_NAMES[msr] ?? `msr:0x${msr.toString(16)}`;
        msrs[name] = p.readBigUInt64LE(15 + i * 12);
      }
      return {
        profile,
        processors: 1,
        memoryBytes: Number(p.readBigUInt64LE(1)),
        physicalAddressWidth: p[0],
        msrs,
      };
    }
  }

  async writeMemory(address: bigint, data: Uint8Array): Promise<void> {
    const m = this.live();
    for (let off = 0; off < data.length; off += CHUNK) {
      const part = data.subarray(off, off + CHUNK);
      ok(await m.request(Op.WRITE, encodeWrite(address + BigInt(off), part), 'writeMemory'), 'writeMemory');
    }
  }

  async readMemory(address: bigint, length: number): Promise<Uint8Array> {
    const m = this.live();
    const out = new Uint8Array(length);
    for (let off = 0; off < length; off += CHUNK) {
      const n = Math.min(CHUNK, length - off);
      const p = ok(
        await m.request(Op.READ, new Writer().u64(address + BigInt(off)).u32(n).done(), 'readMemory'),
        'readMemory',
      );
      out.set(p, off);
    }
    return out;
  }

  async setState(cpu: number, values: StateValues): Promise<void> {
    checkCpu(cpu);
    const w = new Writer();
    const entries = Object.entries(values);
    w.u16(entries.length);
    for (const [name, value] of entries) {
      const item = stateItem(name);
      if (!item) throw new ContractError('bad-request', `unknown state name ${name}`);
      w.u16(item.id);
      if (item.id === STATE_MSR) w.u32(item.msr!);
      w.u64(value);
    }
    ok(await this.live().request(Op.SET_STATE, w.done(), 'setState'), 'setState');
  }

  async getState(cpu: number, names: StateName[]): Promise<StateValues> {
    checkCpu(cpu);
    const w = new Writer().u16(names.length);
    for (const name of names) {
      const item = stateItem(name);
      if (!item) throw new ContractError('bad-request', `unknown state name ${name}`);
      w.u16(item.id);
      if (item.id === STATE_MSR) w.u32(item.msr!);
    }
    const p = ok(await this.live().request(Op.GET_STATE, w.done(), 'getState'), 'getState');
    const out: StateValues = {};
    names.forEach((n, i) => (out[n] = p.readBigUInt64LE(i * 8)));
    return out;
  }

  async execute(cpu: number, instruction: Instruction, options?: ExecuteOptions): Promise<Outcome & Diagnosed> {
    checkCpu(cpu);
    const m = this.live();
    let a = 0n, b = 0n, c = 0n, d = 0n;
    let code: number;
    if (options?.afterMovSs && instruction.mnemonic !== 'VMLAUNCH' && instruction.mnemonic !== 'VMRESUME') {
      throw new ContractError('unsupported', `the Bochs agent executes only VMLAUNCH and VMRESUME right after MOV SS, not ${instruction.mnemonic}`);
    }
    switch (instruction.mnemonic) {
      case 'VMXON':
      case 'VMPTRLD':
      case 'VMCLEAR':
        a = instruction.address;
        code = MnemonicCode[instruction.mnemonic];
        break;
      case 'VMREAD':
        a = instruction.encoding;
        code = MnemonicCode.VMREAD;
        break;
      case 'VMWRITE':
        a = instruction.encoding;
        b = instruction.value;
        code = MnemonicCode.VMWRITE;
        break;
      case 'INVEPT':
      case 'INVVPID':
        a = instruction.type;
        c = instruction.descriptor[0];
        d = instruction.descriptor[1];
        code = MnemonicCode[instruction.mnemonic];
        break;
      case 'CPUID':
        a = BigInt(instruction.leaf);
        b = BigInt(instruction.subleaf ?? 0);
        code = MnemonicCode.CPUID;
        break;
      case 'RDMSR':
        a = BigInt(instruction.msr);
        code = MnemonicCode.RDMSR;
        break;
      case 'WRMSR':
        a = BigInt(instruction.msr);
        b = instruction.value;
        code = MnemonicCode.WRMSR;
        break;
      case 'MOV-TO-CR':
        a = instruction.value;
        code = MnemonicCode[`MOV-TO-CR${instruction.cr}`];
        break;
      case 'VMLAUNCH':
      case 'VMRESUME':
        a = options?.afterMovSs ? 1n : 0n; // the agent executes MOV SS right before the instruction
        code = MnemonicCode[instruction.mnemonic];
        break;
      default:
        code = MnemonicCode[instruction.mnemonic];
    }
    const logAt = m.logSize();
    let f: ReplyFrame;
    try {
      f = await m.request(
        Op.EXECUTE,
        new Writer().u8(code).u64(a).u64(b).u64(c).u64(d).done(),
        `execute ${instruction.mnemonic}`,
      );
    } catch (e) {
      // A guest that has not exited when the time budget runs out is still running: the contract's
      // still-running (the reference emulator reports it when its step budget runs out). Only when Bochs
      // itself said, as it stopped, that its CPU was in VMX non-root operation; any other timeout stays an
      // error. Bochs has been stopped, so the next reset() boots a fresh machine. Bochs does not count
      // guest instructions: steps is 0.
      if (e instanceof BochsTimeout && e.inVmxGuest && (instruction.mnemonic === 'VMLAUNCH' || instruction.mnemonic === 'VMRESUME')) {
        return {
          kind: 'still-running',
          steps: 0,
          notes: [
            `the guest had not exited after ${this.timeoutMs} ms; Bochs, stopped then, said: ${e.cpuAtStop}`,
            'Bochs does not count guest instructions (steps: 0); the machine was stopped and the next reset boots a new one',
            ...vmxLogLines(m.logSince(logAt)),
          ].slice(0, 10),
        };
      }
      throw e;
    }
    const p = ok(f, `execute ${instruction.mnemonic}`);
    const outcome = decodeOutcome(p, instruction);
    // Bochs logs why a VM entry or a VMX instruction failed ("VMFAIL: ...", "VMENTER FAIL: ..."):
    // attach those lines as notes, never asserted. A CPU panic (">>PANIC<< ...", reported rather than
    // fatal, see bochsrc in machine.ts) is attached whatever the outcome: the instruction then completed
    // the way Bochs completes it after the panic, which is not what the SDM says.
    const log = m.logSince(logAt);
    const panics = log.split('\n').filter((l) => />>PANIC<</.test(l)).map((l) => l.trim());
    const notes = outcome.kind !== 'VMsucceed' && outcome.kind !== 'completed' ? vmxLogLines(log) : [];
    const all = [...panics, ...notes.filter((n) => !panics.includes(n))];
    if (all.length) outcome.notes = all;
    return outcome;
  }

  async run(cpu: number, _options?: ExecuteOptions): Promise<Outcome & Diagnosed> {
    checkCpu(cpu);
    throw new ContractError(
      'unsupported',
      'the Bochs agent runs a guest to its VM exit within one VMLAUNCH/VMRESUME; it never reports still-running',
    );
  }

  async deliverEvent(cpu: number, event: PlatformEvent): Promise<void> {
    checkCpu(cpu);
    if (event.type !== 'external-interrupt') {
      // The agent can make an NMI or an INIT pending the architectural way (agent/vmx.c, vmx_event), but
      // Bochs 2.7 never shows either to the guest, so the guest would run until the timeout:
      //  - NMI: VM entry keeps the host's NMI blocking instead of taking "blocking by NMI" from the guest
      //    interruptibility-state field (SDM 27.3.2 "Loading Guest State"); Bochs bug SF #1456, fixed in
      //    Bochs commit bd51ec5f8 (2023), after 2.7.
      //  - INIT: Bochs drops an INIT that arrives in VMX root operation (cpu/event.cc deliver_INIT ignores
      //    a masked INIT) where the SDM holds it pending (24.8 "Restrictions on VMX Operation").
      // SIPI and SMI cannot be made pending from inside the machine at all. docs/bochs.md, "Events".
      throw new ContractError('unsupported', `deliverEvent ${event.type}: Bochs 2.7 cannot deliver it to a guest (docs/bochs.md, Events); only external interrupts work`);
    }
    const w = new Writer().u8(EventCode[event.type]).u32(event.vector);
    ok(await this.live().request(Op.EVENT, w.done(), 'deliverEvent external-interrupt'), 'deliverEvent external-interrupt');
  }

  /** Guest loops run inside the agent, for the bench (bench.ts). Returns [exits done, last exit reason]. */
  async benchCpuidExits(n: number): Promise<[number, number]> {
    const p = ok(await this.live().request(Op.BENCH, new Writer().u32(n).done(), 'bench', 600000), 'bench');
    return [p.readUInt32LE(0), p.readUInt32LE(4)];
  }

  async evidence(): Promise<{ name: string; mediaType: string; body: string }[]> {
    const m = this.machine;
    const log = m ? m.logTail(300) : this.lastEvidence?.log;
    const other = m ? m.otherOutput() : this.lastEvidence?.other;
    const out: { name: string; mediaType: string; body: string }[] = [];
    if (log) out.push({ name: 'bochs.log (tail)', mediaType: 'text/plain', body: log });
    if (other?.trim()) out.push({ name: 'bochs stdout/stderr (tail)', mediaType: 'text/plain', body: other.slice(-8192) });
    return out;
  }

  async close(): Promise<void> {
    await this.dropMachine();
  }

  /** For tests and docs: the agent's scenario window. */
  get window(): { start: bigint; end: bigint } | undefined {
    return this.agent && { start: this.agent.windowStart, end: this.agent.windowEnd };
  }
}

/** Bochs's log lines about VMX failures and faults (notes for an outcome, never asserted). */
function vmxLogLines(log: string): string[] {
  return log
    .split('\n')
    .filter((l) => /VMFAIL|VMENTER|VMEXIT|VMABORT|CPL!=0|#GP|#UD|exception/i.test(l))
    .map((l) => l.trim())
    .slice(-8);
}

function checkCpu(cpu: number): void {
  if (cpu !== 0) throw new ContractError('bad-request', `no logical processor ${cpu}: the Bochs machine has one`);
}

/** The payload of a successful reply, or the ContractError its status stands for. */
function ok(f: ReplyFrame, what: string): Buffer {
  if (f.status === Status.OK) return f.payload;
  const text = `${what}: ${f.payload.toString('latin1')}`;
  switch (f.status) {
    case Status.BAD_REQUEST:
      throw new ContractError('bad-request', text);
    case Status.UNSUPPORTED:
      throw new ContractError('unsupported', text);
    case Status.PROTOCOL:
      throw new ContractError('protocol', text);
    default:
      throw new ContractError('internal', text);
  }
}

function decodeOutcome(p: Buffer, instruction: Instruction): Outcome & Diagnosed {
  const kind = p[0];
  const flags = p[1];
  const nvalues = p.readUInt16LE(2);
  const num = p.readUInt32LE(4);
  const err = p.readUInt32LE(8);
  const v = [0, 1, 2, 3].map((i) => p.readBigUInt64LE(12 + i * 8));
  switch (kind) {
    case OutcomeCode.VMSUCCEED:
      return flags & 1 ? { kind: 'VMsucceed', value: v[0] } : { kind: 'VMsucceed' };
    case OutcomeCode.VMFAIL_INVALID:
      return { kind: 'VMfailInvalid' };
    case OutcomeCode.VMFAIL_VALID:
      return { kind: 'VMfailValid', error: num };
    case OutcomeCode.FAULT:
      return flags & 2 ? { kind: 'fault', vector: num, errorCode: err } : { kind: 'fault', vector: num };
    case OutcomeCode.VMEXIT:
      return { kind: 'vm-exit', exitReason: num };
    case OutcomeCode.COMPLETED:
      if (instruction.mnemonic === 'CPUID' && nvalues === 4) {
        return { kind: 'completed', values: { eax: v[0], ebx: v[1], ecx: v[2], edx: v[3] } };
      }
      if (instruction.mnemonic === 'RDMSR' && nvalues === 1) return { kind: 'completed', values: { value: v[0] } };
      return { kind: 'completed' };
    default:
      throw new ContractError('protocol', `unknown outcome kind ${kind}`);
  }
}
