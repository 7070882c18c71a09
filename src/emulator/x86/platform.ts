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

  // ---- Added by the x86 interpreter (src/emulator/x86) ----
  /**
   * INVEPT/INVVPID/INVPCID: bits 127:64 of the 128-bit descriptor (operand2 holds bits 63:0). Read from memory
   * only after the instruction did not exit (or in root operation, before interceptInstruction), since in
   * non-root operation these instructions exit before accessing memory (SDM 26.1.1).
   */
  operand3: bigint;
  /**
   * When a hook returns FAULTED: the exception to raise (vector, and error code or -1 for none). If the hook
   * leaves faultVector at -1 the interpreter raises #GP(0). Reset to -1 by the interpreter before each hook.
   */
  faultVector: number;
  faultErrorCode: number;
  /**
   * Set while the interpreter delivers an event through the IDT, so that a VM exit caused by a nested event
   * (interceptEvent for the nested exception, an EPT violation in translateGuestPhysical, tripleFault) can
   * record the IDT-vectoring information (SDM 28.2.4). idtVectoringErrorCode is -1 when there is none.
   */
  idtVectoringValid: boolean;
  idtVectoringVector: number;
  idtVectoringType: number;
  idtVectoringErrorCode: number;
  /** Address size of the instruction in bytes (2, 4 or 8): INS/OUTS and memory-operand instructions. */
  addressSize: number;
  /** Segment register (SEG numbering) of the memory operand (INS/OUTS: the string segment). */
  segment: number;
}

export function newInstructionFacts(): InstructionFacts {
  return {
    instruction: 'CPUID', length: 0, rip: 0, port: 0, size: 0, isIn: false, isString: false, isRep: false,
    immediatePort: false, msr: 0, crOrDr: 0, gpr: 0, value: 0n, toRegister: false, memoryOperand: false,
    linearAddress: 0n, displacement: 0n, instructionInfo: 0, operand1: 0n, operand2: 0n, destinationGpr: -1,
    operand3: 0n, faultVector: -1, faultErrorCode: -1,
    idtVectoringValid: false, idtVectoringVector: 0, idtVectoringType: 0, idtVectoringErrorCode: -1,
    addressSize: 8, segment: 3,
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

  // ---- Added by the x86 interpreter (optional so that existing implementations keep compiling) ----
  /**
   * Activity state as the VMCS encodes it (SDM 25.4.2 Table "Format of Activity State": 0 active, 1 HLT,
   * 2 shutdown, 3 wait-for-SIPI). The interpreter sets 1 when HLT executes without a VM exit and 2 on a
   * triple fault outside non-root operation; `run` executes nothing unless it is 0 (or undefined). The VMX
   * layer clears it when an event wakes the processor.
   */
  activityState?: number;
  /**
   * When true, the interpreter calls platform.instructionBoundary(cpu) before each instruction
   * (pending events, interrupt/NMI windows, MTF, preemption timer).
   */
  pendingEvents?: boolean;
  /**
   * Interruptibility state in the VMCS format (SDM 25.4.2 Table "Format of Interruptibility State"): the
   * interpreter sets bit 0 (blocking by STI) after an STI that set IF, and bit 1 (blocking by MOV SS) after
   * MOV SS / POP SS, and clears both after the next instruction. Bit 3 (blocking by NMI) is set when an NMI is
   * delivered through deliverEvent and cleared by IRET (SDM Vol. 3A 6.7.1).
   */
  interruptibility?: number;

  // ---- Added by the VMX layer (src/emulator/*.ts; optional, so other implementations keep compiling) ----
  /**
   * Instructions retired so far in the current Interpreter.run call: the interpreter sets it to 0 when a run
   * starts and increments it per retired instruction. The VMX layer derives the TSC from it (timing.ts), so
   * RDTSC and the VMX-preemption timer see time advance within a run.
   * (x86 interpreter: the count is written before every call into the platform — hooks and instruction
   * semantics alike — rather than per instruction; every observer sees the same value.)
   */
  runSteps?: number;
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
   *
   * Conventions of the interpreter (added with it): cpu.regs.rip holds the address of the instruction and
   * RFLAGS is up to date whenever a hook is called. VMX instructions (VMXON … VMFUNC, INVEPT, INVVPID) are
   * also passed here in root operation, because only the VMX layer can execute them: there the interpreter
   * has already read the memory operand (VMXON/VMCLEAR/VMPTRLD: operand1 = the 64-bit pointer;
   * INVEPT/INVVPID: operand1 = type, operand2/operand3 = descriptor), and the platform performs the
   * instruction (RFLAGS per the VMX conventions) and returns CONTINUE (the interpreter advances RIP),
   * EXITED (processor context changed, e.g. VMLAUNCH entered the guest: `run` stops) or FAULTED.
   * After CONTINUE the interpreter completes VMREAD/VMWRITE through vmreadShadow/vmwriteShadow (in root
   * operation: the current VMCS) and VMPTRST by storing facts.operand1.
   */
  interceptInstruction(cpu: CpuContext): HookResult;
  /**
   * An exception or interrupt is about to be delivered through the IDT. In non-root operation the VMX layer
   * may turn it into a VM exit (exception bitmap, #PF error-code mask/match, SDM 26.2). Returns EXITED if so.
   *
   * Called by the interpreter in non-root operation only, for every event it is about to deliver (types as
   * in the interruption-information field: 0 external interrupt, 2 NMI, 3 hardware exception, 4 software
   * interrupt INT n, 5 privileged software exception INT1, 6 software exception INT3/INTO) except events
   * injected through Interpreter.deliverEvent (VM-entry injection), whose nested faults are passed here.
   * cpu.regs.rip is the address of the faulting/trapping instruction (the RIP a VM exit saves);
   * facts.length is the instruction length for types 4–6; for #PF facts.linearAddress is the faulting
   * address (exit qualification; CR2 is written only when the #PF is delivered); facts.idtVectoring* describe
   * the event whose delivery caused this one, if any.
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
  /**
   * Called at each instruction boundary in non-root operation when `pendingEvents` is set: events, windows, MTF, preemption timer. Returns EXITED if a VM exit happened.
   * (Interpreter: called whenever cpu.pendingEvents is true, root or non-root, with RFLAGS up to date and
   * cpu.regs.rip at the next instruction. To deliver an event into the guest from here, call
   * Interpreter.deliverEvent and return CONTINUE.)
   */
  instructionBoundary(cpu: CpuContext): HookResult;

  // ---- Added by the x86 interpreter (optional) ----
  /**
   * Guest-physical → host-physical translation (EPT, SDM 29.3). When present the interpreter calls it for
   * every guest-physical access, paging-structure reads and A/D-bit writes included — except, when
   * translationTag names an EP4TA, for accesses that a cached guest-physical mapping of that EP4TA allows — and
   * caches the combined linear → host-physical result in its TLB (invalidated through Interpreter.tlbOf, tlb.ts).
   * `access` is a combination of the GPA_* bits below; `linear` is the guest-linear address (signed-number
   * form) when GPA_LINEAR_VALID is set. Returns the host-physical address, or -1 after performing a VM exit
   * (EPT violation / misconfiguration): the interpreter then stops like on EXITED.
   */
  translateGuestPhysical?(cpu: CpuContext, gpa: number, access: number, linear: number): number;
  /**
   * Translation context for the interpreter's TLB entries: the VPID in bits 15:0 and, when guest-physical
   * addresses are translated by EPT, EP4TA + 1 above them (EPTP bits 51:12; 0 without EPT). Entries made under
   * one context are not used under another, and VM entries and exits invalidate nothing by themselves: the
   * platform invalidates through Interpreter.tlbOf where the SDM says (29.4.3). Read when `run` starts. Default 0.
   */
  translationTag?(cpu: CpuContext): number;
  /** MAXPHYADDR for reserved-bit checks in paging structures (SDM 4.1.4). Default 46. */
  readonly physicalAddressWidth?: number;
}

/** `access` bits for Platform.translateGuestPhysical (they map onto the EPT-violation qualification, SDM 28.2.1). */
export const GPA_READ = 1;
export const GPA_WRITE = 2;
export const GPA_FETCH = 4;
/** The access is to a paging structure during a page walk (or an A/D-bit update). */
export const GPA_PAGING_STRUCTURE = 8;
/** `linear` holds the guest-linear address that led to this access. */
export const GPA_LINEAR_VALID = 16;
/** The access is an A/D-bit update of a paging-structure entry. */
export const GPA_AD_UPDATE = 32;
