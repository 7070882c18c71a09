/**
 * The seam between the x86 interpreter (src/emulator/x86/) and the rest of the reference machine
 * (the VMX layer, MSRs, CPUID, ports: src/emulator/*.ts).
 *
 * The interpreter knows instruction semantics and nothing of the VMCS. Whenever VMX non-root operation can
 * change what an instruction does (SDM Chapter 26 "VMX Non-Root Operation": 26.1 instructions that cause
 * VM exits, 26.2 other causes of VM exits, 26.3 changes to instruction behaviour), it asks the platform.
 * The platform performs VM exits itself (saving guest state, loading host state); when a hook reports
 * that a VM exit happened, the interpreter stops executing immediately and returns to its caller.
 */
import type { PhysicalMemory } from '../memory';
import type { RegisterFile } from '../state';

/**
 * Instruction classes that can cause a VM exit, named as SDM 26.1.2 / 26.1.3 list them. The VMX layer maps
 * each to its exit reason and controlling VM-execution control (its exit table, written once, as data).
 */
export type ExitingInstruction =
  | 'CPUID' | 'GETSEC' | 'INVD' | 'XSETBV'
  | 'INVEPT' | 'INVVPID' | 'VMCALL' | 'VMCLEAR' | 'VMLAUNCH' | 'VMPTRLD' | 'VMPTRST' | 'VMREAD' | 'VMRESUME'
  | 'VMWRITE' | 'VMXOFF' | 'VMXON' | 'ENCLS' | 'VMFUNC'
  | 'CLTS' | 'HLT' | 'IN' | 'INS' | 'OUT' | 'OUTS' | 'INVLPG' | 'INVPCID'
  | 'LGDT' | 'LIDT' | 'LLDT' | 'LTR' | 'SGDT' | 'SIDT' | 'SLDT' | 'STR'
  | 'LMSW' | 'MONITOR' | 'MWAIT' | 'MOV-FROM-CR' | 'MOV-TO-CR' | 'MOV-DR' | 'PAUSE'
  | 'RDMSR' | 'WRMSR' | 'RDPMC' | 'RDRAND' | 'RDSEED' | 'RDTSC' | 'RDTSCP' | 'RSM' | 'WBINVD'
  | 'XSAVES' | 'XRSTORS' | 'TPAUSE' | 'UMWAIT';

/**
 * Operands of the instruction that the exit decision, the exit qualification and the VM-exit instruction
 * information need. The interpreter fills one reusable object per logical processor (no allocation on the
 * hot path) and sets only what applies.
 */
export interface InstructionFacts {
  instruction: ExitingInstruction;
  /** Encoded length in bytes (VM-exit instruction length, SDM 28.2.5). */
  length: number;
  /** Linear address of the instruction (RIP + CS base). */
  rip: number;
  /** I/O: port, access size in bytes, direction, string, REP, immediate-operand form. */
  port: number;
  size: number;
  isIn: boolean;
  isString: boolean;
  isRep: boolean;
  immediatePort: boolean;
  /** RDMSR/WRMSR: ECX. */
  msr: number;
  /** MOV CR / MOV DR: register number; the GPR operand (0–15); for MOV-TO-CR/LMSW the source value. */
  crOrDr: number;
  gpr: number;
  value: bigint;
  /** MOV DR direction: true for MOV to DR. */
  toRegister: boolean;
  /** LMSW with a memory operand, and its linear address. INVLPG: the linear address. */
  memoryOperand: boolean;
  linearAddress: bigint;
  /** Exit qualification for instructions whose qualification is the displacement (SDM 28.2.1). */
  displacement: bigint;
  /** VM-exit instruction-information field where the SDM defines one (SDM 28.2.5), else 0. */
  instructionInfo: number;
  /** INVEPT/INVVPID/INVPCID type register value; VMREAD/VMWRITE encoding; VMWRITE source value. */
  operand1: bigint;
  operand2: bigint;
  /** GPR number of a register destination (VMREAD to register), or -1 for a memory destination. */
  destinationGpr: number;
}

export function newInstructionFacts(): InstructionFacts {
  return {
    instruction: 'CPUID', length: 0, rip: 0, port: 0, size: 0, isIn: false, isString: false, isRep: false,
    immediatePort: false, msr: 0, crOrDr: 0, gpr: 0, value: 0n, toRegister: false, memoryOperand: false,
    linearAddress: 0n, displacement: 0n, instructionInfo: 0, operand1: 0n, operand2: 0n, destinationGpr: -1,
  };
}

/** What the interpreter needs from one logical processor. */
export interface CpuContext {
  readonly regs: RegisterFile;
  readonly memory: PhysicalMemory;
  /** True in VMX non-root operation. */
  readonly nonRoot: boolean;
  /** The reusable facts object for this processor. */
  readonly facts: InstructionFacts;
}

/** Result of a hook that may end the instruction: continue executing it, or it already caused a VM exit. */
export const CONTINUE = 0;
export const EXITED = 1;
/** The hook raised an exception in the guest (e.g. #GP for a bad MSR); the interpreter stops this instruction. */
export const FAULTED = 2;
export type HookResult = typeof CONTINUE | typeof EXITED | typeof FAULTED;

export interface Platform {
  /**
   * In VMX non-root operation, before an instruction of a class in ExitingInstruction takes effect (after
   * any fault that has priority over the VM exit, SDM 26.1.1): decide and, if so, perform the VM exit.
   */
  interceptInstruction(cpu: CpuContext): HookResult;
  /**
   * An exception or interrupt is about to be delivered through the IDT. In non-root operation the VMX layer
   * may turn it into a VM exit (exception bitmap, #PF error-code mask/match, SDM 26.2). Returns EXITED if so.
   */
  interceptEvent(cpu: CpuContext, vector: number, type: number, errorCode: number | undefined): HookResult;
  /** A triple fault: in non-root operation a VM exit (reason 2); otherwise the processor shuts down. */
  tripleFault(cpu: CpuContext): void;

  // Instruction semantics that depend on machine configuration or on VMX (SDM 26.3):
  cpuid(cpu: CpuContext, leaf: number, subleaf: number): void; // writes EAX/EBX/ECX/EDX
  rdmsr(cpu: CpuContext, msr: number): bigint | undefined; // undefined: #GP(0)
  wrmsr(cpu: CpuContext, msr: number, value: bigint): boolean; // false: #GP(0)
  rdtsc(cpu: CpuContext): bigint; // the guest's view: TSC offsetting and scaling applied in non-root
  portIn(cpu: CpuContext, port: number, size: number): number;
  portOut(cpu: CpuContext, port: number, size: number, value: number): void;
  /** MOV from CR0/CR4 in non-root operation returns read-shadow bits for host-owned bits (SDM 26.3). */
  readCr(cpu: CpuContext, cr: number): bigint;
  /** MOV to CR (and CLTS/LMSW) that did not exit: host-owned bits keep their value (SDM 26.3). Returns FAULTED on #GP. */
  writeCr(cpu: CpuContext, cr: number, value: bigint): HookResult;
  /** VMREAD/VMWRITE that did not exit (VMCS shadowing, SDM 26.3 / 25.10). */
  vmreadShadow(cpu: CpuContext, encoding: bigint): { ok: boolean; value: bigint; error?: number };
  vmwriteShadow(cpu: CpuContext, encoding: bigint, value: bigint): { ok: boolean; error?: number };
  /** Called at each instruction boundary in non-root operation when `pendingEvents` is set: events, windows, MTF, preemption timer. Returns EXITED if a VM exit happened. */
  instructionBoundary(cpu: CpuContext): HookResult;
}
