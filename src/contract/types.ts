/**
 * The implementation contract: what a VMM can do to, and observe of, a VMX-capable machine.
 *
 * It is deliberately pitched at the level of a hypervisor, not of emulator internals, so that the bundled
 * reference emulator, a program speaking the JSON-lines protocol in another language, and an agent kernel
 * running natively inside another emulator (Bochs) can all implement it. Observations are architectural
 * only: instruction outcomes, register and memory contents, VMREAD results. docs/contract.md describes
 * the same thing for implementers; src/contract/schema.ts is the wire form.
 */

/** Bumped on any incompatible change to operations or messages. */
export const PROTOCOL_VERSION = 1;

/** What an implementation says about itself in answer to `hello`. */
export interface ImplementationInfo {
  name: string;
  version: string;
  protocol: number;
  /** Capability profiles `reset` accepts; the first is the default. A real processor lists one ("native"). */
  profiles: string[];
  /** Optional, non-architectural abilities the implementation offers; see EXTENSIONS. */
  extensions: string[];
}

/**
 * Optional abilities. Scenarios that use one declare it with `@requires:<name>` and are reported as
 * skipped-unsupported where the implementation does not list it.
 */
export const EXTENSIONS = {
  /** `deliverEvent` works (external interrupt, NMI, INIT, SIPI pending at the processor). */
  events: 'Platform events can be made pending at a logical processor (deliverEvent).',
  /** `setState({cpl})` can place a logical processor at CPL 1–3 for the next `execute`. */
  cpl: 'A logical processor can execute at CPL > 0.',
  /** The guest can be stopped after a given number of instructions (`maxSteps`) and continued with `run`. */
  'step-budget': 'Guest execution stops after maxSteps instructions and reports still-running.',
  /** More than one logical processor (`reset({processors: n})` with n > 1). */
  multiprocessor: 'More than one logical processor.',
  /** Direct host set-up of processor state outside VMX operation: CR0/CR4/RFLAGS/MSRs by setState. */
  'root-state': 'Root-mode control registers, RFLAGS and MSRs can be set by setState.',
} as const;
export type ExtensionName = keyof typeof EXTENSIONS;

export interface ResetOptions {
  /** A profile name from ImplementationInfo.profiles; default: the first. */
  profile?: string;
  /** Number of logical processors; default 1. */
  processors?: number;
  /** Physical memory size in bytes; default 32 MiB. */
  memoryBytes?: number;
}

/** What the machine offers after reset: its VMX capability MSRs and a few facts derived from CPUID. */
export interface Capabilities {
  profile: string;
  processors: number;
  memoryBytes: number;
  /** MAXPHYADDR (CPUID.80000008H:EAX[7:0]). */
  physicalAddressWidth: number;
  /**
   * VMX capability MSRs by SDM name (IA32_FEATURE_CONTROL, IA32_VMX_BASIC … IA32_VMX_PROCBASED_CTLS3).
   * An MSR the processor does not implement is absent (RDMSR of it would raise #GP).
   */
  msrs: Record<string, bigint>;
}

/**
 * Names of processor state items for setState/getState:
 *  - general-purpose registers: rax … r15, rip, rflags
 *  - control and debug registers: cr0, cr2, cr3, cr4, cr8, dr0 … dr3, dr6, dr7
 *  - segment registers: es|cs|ss|ds|fs|gs|ldtr|tr with .selector, .base, .limit, .access (the VMCS access-rights format)
 *  - descriptor tables: gdtr.base, gdtr.limit, idtr.base, idtr.limit
 *  - MSRs: msr:0x<address in hex>, e.g. msr:0xc0000080
 *  - cpl: the current privilege level (setting it needs the `cpl` extension)
 *  - vmx.mode (read-only): 0 outside VMX operation, 1 VMX root operation, 2 VMX non-root operation
 *  - activity (read-only): the SDM activity state of the logical processor (0 active, 1 HLT, 2 shutdown, 3 wait-for-SIPI)
 */
export type StateName = string;
export type StateValues = Record<StateName, bigint>;

/** The instructions a VMM executes on a logical processor in root operation (or outside VMX operation). */
export type Instruction =
  | { mnemonic: 'VMXON' | 'VMPTRLD' | 'VMCLEAR'; /** The 64-bit physical address in the memory operand. */ address: bigint }
  | { mnemonic: 'VMPTRST' }
  | { mnemonic: 'VMREAD'; encoding: bigint }
  | { mnemonic: 'VMWRITE'; encoding: bigint; value: bigint }
  | { mnemonic: 'VMLAUNCH' | 'VMRESUME' | 'VMXOFF' | 'VMCALL' }
  | { mnemonic: 'INVEPT' | 'INVVPID'; type: bigint; /** The 128-bit descriptor as [bits 63:0, bits 127:64]. */ descriptor: [bigint, bigint] }
  | { mnemonic: 'CPUID'; leaf: number; subleaf?: number }
  | { mnemonic: 'RDMSR'; msr: number }
  | { mnemonic: 'WRMSR'; msr: number; value: bigint }
  | { mnemonic: 'MOV-TO-CR'; cr: 0 | 3 | 4; value: bigint };

export type Mnemonic = Instruction['mnemonic'];
export const ROOT_MNEMONICS: readonly Mnemonic[] = [
  'VMXON', 'VMPTRLD', 'VMCLEAR', 'VMPTRST', 'VMREAD', 'VMWRITE', 'VMLAUNCH', 'VMRESUME', 'VMXOFF', 'VMCALL',
  'INVEPT', 'INVVPID', 'CPUID', 'RDMSR', 'WRMSR', 'MOV-TO-CR',
];

/**
 * The architectural outcome of executing an instruction or running a guest.
 * VMX instruction conventions (SDM 31.2 "Conventions"): VMsucceed clears CF, PF, AF, ZF, SF and OF;
 * VMfailInvalid sets CF; VMfailValid sets ZF and writes the VM-instruction error field.
 */
export type Outcome =
  | { kind: 'VMsucceed'; value?: bigint }
  | { kind: 'VMfailInvalid' }
  | { kind: 'VMfailValid'; error: number }
  /** A fault (or trap) raised by the instruction itself in root operation: #UD, #GP(0), #PF ... */
  | { kind: 'fault'; vector: number; errorCode?: number }
  /** A non-VMX instruction retired normally; values holds its outputs (CPUID: eax..edx, RDMSR: value). */
  | { kind: 'completed'; values?: Record<string, bigint> }
  /** VMLAUNCH/VMRESUME/run ended in a VM exit (including a VM-entry failure, bit 31 of the exit reason). */
  | { kind: 'vm-exit'; exitReason: number }
  /** The step budget ran out while the logical processor was still in VMX non-root operation. */
  | { kind: 'still-running'; steps: number }
  /** The logical processor entered the shutdown state outside VMX non-root operation (triple fault). */
  | { kind: 'shutdown' };

export type OutcomeKind = Outcome['kind'];

/** Diagnostic notes an implementation may attach (e.g. the name of the VM-entry check that failed). Never asserted. */
export interface Diagnosed {
  notes?: string[];
}

export type PlatformEvent =
  | { type: 'external-interrupt'; vector: number }
  | { type: 'nmi' }
  | { type: 'init' }
  | { type: 'sipi'; vector: number }
  | { type: 'smi' };

export interface ExecuteOptions {
  /** For VMLAUNCH/VMRESUME: the most guest instructions to execute before reporting still-running. */
  maxSteps?: number;
  /**
   * Execute the instruction immediately after a MOV to SS (loading SS with its current selector), so that
   * events are blocked by MOV SS for it (SDM 6.8.3 "Masking Exceptions and Interrupts When Switching Stacks";
   * for VMLAUNCH/VMRESUME, SDM 27.1 "Basic VM-Entry Checks": VM-instruction error 26).
   */
  afterMovSs?: boolean;
}

/** An error raised by an implementation about the request itself (not an architectural outcome). */
export class ContractError extends Error {
  constructor(
    readonly code: 'bad-request' | 'unsupported' | 'internal' | 'timeout' | 'crashed' | 'protocol',
    message: string,
  ) {
    super(message);
    this.name = 'ContractError';
  }
}

/** The one interface every implementation (and every adapter) offers. All operations are asynchronous. */
export interface Implementation {
  hello(): Promise<ImplementationInfo>;
  reset(options: ResetOptions): Promise<Capabilities>;
  writeMemory(address: bigint, data: Uint8Array): Promise<void>;
  readMemory(address: bigint, length: number): Promise<Uint8Array>;
  setState(cpu: number, values: StateValues): Promise<void>;
  getState(cpu: number, names: StateName[]): Promise<StateValues>;
  execute(cpu: number, instruction: Instruction, options?: ExecuteOptions): Promise<Outcome & Diagnosed>;
  /** Continue a logical processor that reported still-running (or is in VMX non-root operation). */
  run(cpu: number, options?: ExecuteOptions): Promise<Outcome & Diagnosed>;
  deliverEvent(cpu: number, event: PlatformEvent): Promise<void>;
  /** Non-architectural evidence for reports (e.g. an emulator log); may return an empty list. */
  evidence?(): Promise<{ name: string; mediaType: string; body: string }[]>;
  close(): Promise<void>;
}
