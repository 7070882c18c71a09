/**
 * One logical processor of the reference machine: its register file, MSRs, VMX operation state (SDM Vol. 3C
 * 24.1–24.7), the VMCSs it has cached, pending platform events, and reusable scratch fields through which the
 * instruction routines report their result without allocating.
 */
import type { PhysicalMemory } from './memory';
import * as ns_state from './state';
import { RegisterFile } from './state';
import * as ns_x86_platform from './x86/platform';
import { type CpuContext, type InstructionFacts } from './x86/platform';
import type { MachineCapabilities } from './capabilities';
import type { Vmcs } from './vmcs/vmcs';
import { ExitRecord } from './exit/record';
import { TSC_PER_INSTRUCTION } from './timing';
import type { GuestExecutor } from './entry/executor';
import * as ns_arch from '../arch';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { SEG } = ns_state;
const { newInstructionFacts } = ns_x86_platform;
const { CR0, CR4, IA32_EFER } = ns_arch;

/** vmx.mode values of the contract (src/contract/types.ts). */
export const MODE_OUTSIDE = 0;
export const MODE_ROOT = 1;
export const MODE_NON_ROOT = 2;

/** The current-VMCS pointer value meaning "no current VMCS" (SDM 25.1 "Overview"). */
export const NO_VMCS = 0xffffffffffffffffn;

/**
 * Invalidation of cached translations (SDM Vol. 3C 29.4.3 "Invalidating Cached Translation Information"), by
 * kind of mapping (29.4.1: linear mappings, tagged by VPID; combined mappings, tagged by VPID and EP4TA;
 * guest-physical mappings, tagged by EP4TA). Each operation invalidates what the SDM says it must; the
 * interpreter's TLB (src/emulator/x86/tlb.ts) invalidates nothing else.
 */
export interface TranslationCache {
  /** Every cached mapping (power-up, reset). */
  invalidateAll(): void;
  /** Linear and combined mappings of `vpid`, for all EP4TAs; global ones too unless `retainGlobals`. */
  invalidateVpid(vpid: number, retainGlobals: boolean): void;
  /** Linear and combined mappings of every VPID except 0000H, for all EP4TAs (INVVPID all-context). */
  invalidateAllVpidsExceptZero(): void;
  /** Linear and combined mappings of `vpid` (all EP4TAs) used to translate `linear` (signed-number form). */
  invalidateAddress(vpid: number, linear: number): void;
  /** Guest-physical and combined mappings of one EP4TA (EPTP bits 51:12, as a page number), for all VPIDs. */
  invalidateEp4ta(ep4ta: number): void;
  /** Guest-physical and combined mappings of every EP4TA, for all VPIDs. */
  invalidateAllEp4tas(): void;
}
const NO_TRANSLATION_CACHE: TranslationCache = {
  invalidateAll() {},
  invalidateVpid() {},
  invalidateAllVpidsExceptZero() {},
  invalidateAddress() {},
  invalidateEp4ta() {},
  invalidateAllEp4tas() {},
};

export class LogicalProcessor implements CpuContext {
  readonly index: number;
  readonly regs = new RegisterFile();
  readonly memory: PhysicalMemory;
  readonly facts: InstructionFacts = newInstructionFacts();
  readonly caps: MachineCapabilities;
  /**
   * The interpreter's translation cache for this processor (its TLB, tagged by Platform.translationTag).
   * The VMX layer only ever invalidates through it; until an interpreter is attached it holds nothing.
   */
  translations: TranslationCache = NO_TRANSLATION_CACHE;
  /** What executes code on this processor (the interpreter); set by Machine.attachExecutor. */
  executor: GuestExecutor | null = null;

  // --- VMX operation (SDM 24.7 "Enabling and Entering VMX Operation") ---
  /** In VMX operation (root or non-root). */
  inVmx = false;
  /** In VMX non-root operation (CpuContext.nonRoot). */
  nonRoot = false;
  /** VMXON pointer (physical address of the VMXON region); meaningful while inVmx. */
  vmxonPointer = 0;
  /** The current VMCS, or null when the current-VMCS pointer is FFFFFFFF_FFFFFFFFH. */
  current: Vmcs | null = null;
  /** VMCSs whose data this processor holds (active VMCSs, SDM 25.1), by physical address. */
  readonly active = new Map<number, Vmcs>();
  /** While in non-root operation: the shadow VMCS referenced by the VMCS link pointer, if VMCS shadowing is on. */
  shadowVmcs: Vmcs | null = null;
  /**
   * The segment banks (RegisterFile.bank) as VMX transitions last left them, non-architectural:
   * the guest bank equals the guest segment fields of `guestBankVmcs` (decoded as VM entry loads them, and
   * encoding back to exactly those fields) while that VMCS's segGen is `guestBankGen` and the bank is not
   * written; the root bank holds the host segment state that a VM exit loads from `rootBankVmcs` while its
   * ctlGen is `rootBankGen` and the bank is not written (entry/guest-state.ts, exit/host-state.ts).
   */
  guestBankVmcs: Vmcs | null = null;
  guestBankGen = 0;
  rootBankVmcs: Vmcs | null = null;
  rootBankGen = 0;

  // --- Result scratch of the last instruction (no allocation on the hot path) ---
  /** VM-instruction error number of the last VMfailValid. */
  lastError = 0;
  /** VMREAD result, as bits 31:0 and 63:32. */
  readLo = 0;
  readHi = 0;
  faultVector = 0;
  /** Error code of the last fault, or -1 when the fault has none. */
  faultCode = -1;
  /** The VM-entry rules' reusable context (entry/context.ts; typed loosely to keep this module a leaf). */
  entryContext: object | null = null;
  /** The VM exit being recorded (exit/vm-exit.ts), reused for every exit. */
  readonly exit = new ExitRecord();
  /** Guest instructions executed by the last VMLAUNCH/VMRESUME/run (for still-running). */
  lastRunSteps = 0;
  /** Name and SDM section of the VM-entry rule that refused the last entry (diagnostics), or ''. */
  failedRule = '';

  // --- MSRs held outside the register file ---
  featureControl = 0;
  pat = 0x0007040600070406n;
  /**
   * IA32_DEBUGCTL as its 32-bit halves: every VM entry and exit moves it to or from the VMCS (which holds
   * halves), so it is kept in that form; `debugctl` is its 64-bit value (RDMSR/WRMSR).
   */
  debugctlLo = 0;
  debugctlHi = 0;
  sysenterCs = 0;
  sysenterEsp = 0;
  sysenterEip = 0;
  perfGlobalCtrl = 0n;
  /** Other MSRs that only store a value (see msrs.ts). */
  readonly msrStore = new Map<number, bigint>();
  /**
   * The emulated time-stamp counter. Implementation-specific: it advances by TSC_PER_INSTRUCTION for every
   * instruction the logical processor retires (guest or VMM), and by nothing else, so TSC values are
   * deterministic.
   */
  tsc = 0;

  // --- Activity and events ---
  /** SDM activity state: 0 active, 1 HLT, 2 shutdown, 3 wait-for-SIPI (CpuContext.activityState). */
  activityState = 0;
  /** Interruptibility state in the VMCS format (SDM 25.4.2): STI, MOV-SS, SMI and NMI blocking. */
  interruptibility = 0;
  /** Pending external-interrupt requests (a 256-bit IRR), and how many are set. */
  readonly irr = new Uint32Array(8);
  irrCount = 0;
  pendingNmi = false;
  pendingInit = false;
  /** Pending SIPI vector, or -1. */
  pendingSipi = -1;
  pendingSmi = false;
  /**
   * Instructions retired so far in the current interpreter run (CpuContext.runSteps, kept by the interpreter);
   * 0 outside a run. See nonroot/tsc.ts.
   */
  runSteps = 0;
  /** PAUSE-loop exiting: TSC of the first PAUSE of the current loop and of the last PAUSE (-1: none yet). */
  pleFirst = 0;
  pleLast = -1;
  /** A monitor-trap-flag VM exit is pending at the next instruction boundary (SDM 26.5.2). */
  mtfPending = false;
  /** The VMX-preemption timer is active in the current non-root run (SDM 26.5.1). */
  preemptionActive = false;
  /** TSC value at which the active VMX-preemption timer reaches 0. */
  preemptionDeadline = 0;
  /** Something may need attention at the next instruction boundary (CpuContext.pendingEvents). */
  pendingEvents = false;

  constructor(index: number, memory: PhysicalMemory, caps: MachineCapabilities) {
    this.index = index;
    this.memory = memory;
    this.caps = caps;
  }

  get vmxMode(): number {
    return !this.inVmx ? MODE_OUTSIDE : this.nonRoot ? MODE_NON_ROOT : MODE_ROOT;
  }

  /** IA32_EFER.LMA = 1 and CS.L = 1: 64-bit mode. */
  in64BitMode(): boolean {
    return (this.regs.efer & IA32_EFER.LMA) !== 0 && (this.regs.segAccessView[SEG.CS] & (1 << 13)) !== 0;
  }
  /** IA32_EFER.LMA = 1 and CS.L = 0: compatibility mode. */
  inCompatibilityMode(): boolean {
    return (this.regs.efer & IA32_EFER.LMA) !== 0 && (this.regs.segAccessView[SEG.CS] & (1 << 13)) === 0;
  }
  protectedMode(): boolean {
    return (this.regs.cr0 & CR0.PE) !== 0;
  }
  vmxeEnabled(): boolean {
    return (this.regs.cr4 & CR4.VMXE) !== 0;
  }

  get debugctl(): bigint {
    return (BigInt(this.debugctlHi) << 32n) | BigInt(this.debugctlLo);
  }
  set debugctl(v: bigint) {
    const u = BigInt.asUintN(64, v);
    this.debugctlLo = Number(u & 0xffffffffn);
    this.debugctlHi = Number(u >> 32n);
  }

  /**
   * Current VMX-preemption timer value: it counts down by 1 each time bit X of the TSC changes, X =
   * IA32_VMX_MISC[4:0] (SDM 26.5.1 "VMX-Preemption Timer").
   */
  preemptionTimerValue(): number {
    if (!this.preemptionActive) return 0;
    const unit = 2 ** this.caps.preemptionTimerRate;
    const now = this.tsc + this.runSteps * TSC_PER_INSTRUCTION; // as nonroot/tsc.ts tscNow
    return Math.max(0, Math.floor(this.preemptionDeadline / unit) - Math.floor(now / unit));
  }

  /** Record a fault as the instruction's result. */
  fault(vector: number, code = -1): void {
    this.faultVector = vector;
    this.faultCode = code;
  }
}
