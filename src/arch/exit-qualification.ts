// Exit-qualification formats (SDM Vol. 3C 28.2.1 "Basic VM-Exit Information",
// tables "Exit Qualification for ..."). Pure encoders/decoders; all the
// formats below fit in bits 31:0 of the natural-width field.
// The VM-exit instruction-information formats (28.2.5) live in
// instruction-info.ts and are re-exported here.
export * from './instruction-info';

const flag = (v: number, bit: number): boolean => ((v >>> bit) & 1) === 1;
const b = (on: boolean | undefined, bit: number): number => (on ? 1 << bit : 0);

// ---------------------------------------------------------------------------
// Table "Exit Qualification for Control-Register Accesses"

export const CR_ACCESS_TYPE = { MOV_TO_CR: 0, MOV_FROM_CR: 1, CLTS: 2, LMSW: 3 } as const;

export interface CrAccessQualification {
  /** Bits 3:0: control register number (0 for CLTS and LMSW). */
  cr: number;
  /** Bits 5:4: CR_ACCESS_TYPE. */
  accessType: number;
  /** Bit 6: LMSW operand type (false = register, true = memory). */
  lmswMemoryOperand: boolean;
  /** Bits 11:8: general-purpose register for MOV CR (GPR numbering). */
  gpr: number;
  /** Bits 31:16: LMSW source data. */
  lmswSourceData: number;
}

export function encodeCrAccess(q: Partial<CrAccessQualification> & { cr: number; accessType: number }): number {
  return (
    ((q.cr & 0xf) |
      ((q.accessType & 3) << 4) |
      b(q.lmswMemoryOperand, 6) |
      (((q.gpr ?? 0) & 0xf) << 8) |
      (((q.lmswSourceData ?? 0) & 0xffff) << 16)) >>>
    0
  );
}

export function decodeCrAccess(v: number): CrAccessQualification {
  return {
    cr: v & 0xf,
    accessType: (v >>> 4) & 3,
    lmswMemoryOperand: flag(v, 6),
    gpr: (v >>> 8) & 0xf,
    lmswSourceData: (v >>> 16) & 0xffff,
  };
}

// ---------------------------------------------------------------------------
// Table "Exit Qualification for MOV DR"

export const DR_ACCESS_DIRECTION = { MOV_TO_DR: 0, MOV_FROM_DR: 1 } as const;

export interface DrAccessQualification {
  /** Bits 2:0: debug register number. */
  dr: number;
  /** Bit 4: DR_ACCESS_DIRECTION. */
  direction: number;
  /** Bits 11:8: general-purpose register. */
  gpr: number;
}

export function encodeDrAccess(q: DrAccessQualification): number {
  return (q.dr & 7) | ((q.direction & 1) << 4) | ((q.gpr & 0xf) << 8);
}

export function decodeDrAccess(v: number): DrAccessQualification {
  return { dr: v & 7, direction: (v >>> 4) & 1, gpr: (v >>> 8) & 0xf };
}

// ---------------------------------------------------------------------------
// Table "Exit Qualification for I/O Instructions"

export const IO_DIRECTION = { OUT: 0, IN: 1 } as const;
export const IO_OPERAND_ENCODING = { DX: 0, IMMEDIATE: 1 } as const;

export interface IoQualification {
  /** Access size in bytes; bits 2:0 hold size - 1. */
  size: 1 | 2 | 4;
  /** Bit 3: IO_DIRECTION (1 = IN). */
  direction: number;
  /** Bit 4: string instruction (INS/OUTS). */
  string: boolean;
  /** Bit 5: REP prefixed. */
  rep: boolean;
  /** Bit 6: IO_OPERAND_ENCODING (0 = DX, 1 = immediate). */
  operandEncoding: number;
  /** Bits 31:16: port number. */
  port: number;
}

export function encodeIo(q: Partial<IoQualification> & { size: 1 | 2 | 4; direction: number; port: number }): number {
  return (
    (((q.size - 1) & 7) |
      ((q.direction & 1) << 3) |
      b(q.string, 4) |
      b(q.rep, 5) |
      (((q.operandEncoding ?? 0) & 1) << 6) |
      ((q.port & 0xffff) << 16)) >>>
    0
  );
}

export function decodeIo(v: number): IoQualification {
  return {
    size: ((v & 7) + 1) as 1 | 2 | 4,
    direction: (v >>> 3) & 1,
    string: flag(v, 4),
    rep: flag(v, 5),
    operandEncoding: (v >>> 6) & 1,
    port: (v >>> 16) & 0xffff,
  };
}

// ---------------------------------------------------------------------------
// Table "Exit Qualification for Task Switches"

export const TASK_SWITCH_SOURCE = { CALL: 0, IRET: 1, JMP: 2, TASK_GATE_IN_IDT: 3 } as const;

export interface TaskSwitchQualification {
  /** Bits 15:0: selector of the new task's TSS. */
  selector: number;
  /** Bits 31:30: TASK_SWITCH_SOURCE. */
  source: number;
}

export function encodeTaskSwitch(q: TaskSwitchQualification): number {
  return ((q.selector & 0xffff) | ((q.source & 3) << 30)) >>> 0;
}

export function decodeTaskSwitch(v: number): TaskSwitchQualification {
  return { selector: v & 0xffff, source: (v >>> 30) & 3 };
}

// ---------------------------------------------------------------------------
// Table "Exit Qualification for EPT Violations"

export const EPT_VIOLATION = {
  READ: 1 << 0,
  WRITE: 1 << 1,
  FETCH: 1 << 2,
  READABLE: 1 << 3,
  WRITABLE: 1 << 4,
  EXECUTABLE: 1 << 5,
  USER_MODE_EXECUTABLE: 1 << 6,
  GUEST_LINEAR_ADDRESS_VALID: 1 << 7,
  TRANSLATED_ACCESS: 1 << 8,
  USER_MODE_LINEAR_ADDRESS: 1 << 9,
  READ_WRITE_PAGE: 1 << 10,
  EXECUTE_DISABLE_PAGE: 1 << 11,
  NMI_UNBLOCKING_DUE_TO_IRET: 1 << 12,
  SHADOW_STACK_ACCESS: 1 << 13,
} as const;

export interface EptViolationQualification {
  read: boolean;
  write: boolean;
  fetch: boolean;
  readable: boolean;
  writable: boolean;
  /** Executable (for supervisor-mode linear addresses if mode-based execute control is 1). */
  executable: boolean;
  userModeExecutable: boolean;
  guestLinearAddressValid: boolean;
  /** Bit 8 (meaningful if bit 7 is 1): access to the translated linear address, not to a paging structure. */
  translatedAccess: boolean;
  /** Bits 9-11: advanced VM-exit information for EPT violations (if supported). */
  userModeLinearAddress: boolean;
  readWritePage: boolean;
  executeDisablePage: boolean;
  nmiUnblocking: boolean;
  shadowStackAccess: boolean;
}

const EPT_KEYS: readonly [keyof EptViolationQualification, number][] = [
  ['read', 0], ['write', 1], ['fetch', 2], ['readable', 3], ['writable', 4], ['executable', 5],
  ['userModeExecutable', 6], ['guestLinearAddressValid', 7], ['translatedAccess', 8],
  ['userModeLinearAddress', 9], ['readWritePage', 10], ['executeDisablePage', 11],
  ['nmiUnblocking', 12], ['shadowStackAccess', 13],
];

export function encodeEptViolation(q: Partial<EptViolationQualification>): number {
  let v = 0;
  for (const [k, bit] of EPT_KEYS) v |= b(q[k], bit);
  return v >>> 0;
}

export function decodeEptViolation(v: number): EptViolationQualification {
  const out = {} as EptViolationQualification;
  for (const [k, bit] of EPT_KEYS) out[k] = flag(v, bit);
  return out;
}

// ---------------------------------------------------------------------------
// Table "Exit Qualification for Debug Exceptions"

export const DEBUG_QUALIFICATION = {
  B_MASK: 0xf,
  BD: 1 << 13,
  BS: 1 << 14,
  RTM: 1 << 16,
} as const;

export interface DebugQualification {
  /** Bits 3:0: B3-B0, the breakpoint conditions met. */
  breakpoints: number;
  /** Bit 13: debug-register access detected. */
  bd: boolean;
  /** Bit 14: single step. */
  bs: boolean;
  /** Bit 16: the #DB occurred in an RTM region. */
  rtm: boolean;
}

export function encodeDebug(q: Partial<DebugQualification>): number {
  return ((q.breakpoints ?? 0) & 0xf) | b(q.bd, 13) | b(q.bs, 14) | b(q.rtm, 16);
}

export function decodeDebug(v: number): DebugQualification {
  return { breakpoints: v & 0xf, bd: flag(v, 13), bs: flag(v, 14), rtm: flag(v, 16) };
}

// ---------------------------------------------------------------------------
// Table "Exit Qualification for APIC-Access VM Exits ..."

export const APIC_ACCESS_TYPE = {
  LINEAR_READ: 0,
  LINEAR_WRITE: 1,
  LINEAR_FETCH: 2,
  LINEAR_DURING_EVENT_DELIVERY: 3,
  PHYSICAL_DURING_EVENT_DELIVERY: 10,
  PHYSICAL_INSTRUCTION_FETCH_OR_EXECUTION: 15,
} as const;

export interface ApicAccessQualification {
  /** Bits 11:0: offset within the APIC-access page (linear accesses). */
  offset: number;
  /** Bits 15:12: APIC_ACCESS_TYPE. */
  accessType: number;
  /** Bit 16: asynchronous to instruction execution (event delivery). */
  asynchronous: boolean;
}

export function encodeApicAccess(q: Partial<ApicAccessQualification> & { accessType: number }): number {
  return ((q.offset ?? 0) & 0xfff) | ((q.accessType & 0xf) << 12) | b(q.asynchronous, 16);
}

export function decodeApicAccess(v: number): ApicAccessQualification {
  return { offset: v & 0xfff, accessType: (v >>> 12) & 0xf, asynchronous: flag(v, 16) };
}

// ---------------------------------------------------------------------------
// SDM 27.8 "VM-Entry Failures During or After Loading Guest State": exit
// qualification for basic exit reason 33 (VM-entry failure due to invalid
// guest state).

export const ENTRY_FAILURE_QUALIFICATION = {
  DEFAULT: 0,
  PDPTE_LOADING: 2,
  NMI_INJECTION_BLOCKED: 3,
  INVALID_VMCS_LINK_POINTER: 4,
} as const;
