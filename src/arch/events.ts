// Event-related VMCS formats: interruption information, activity state,
// interruptibility state and pending debug exceptions.
//
// Sources: SDM Vol. 3C 25.4.2 "Guest Non-Register State" (activity state,
// interruptibility state, pending debug exceptions), 25.8.3 "VM-Entry
// Controls for Event Injection" (VM-entry interruption-information field),
// 28.2.2 "Information for VM Exits Due to Vectored Events" (VM-exit
// interruption information), 28.2.4 "Information for VM Exits During Event
// Delivery" (IDT-vectoring information). Cross-checked against Linux asm/vmx.h.

/** Interruption-information layout, common to the VM-entry, VM-exit and IDT-vectoring fields. */
export const INTR_INFO = {
  VECTOR_MASK: 0xff,
  TYPE_SHIFT: 8,
  TYPE_MASK: 0x7 << 8,
  ERROR_CODE_VALID: 1 << 11,
  /** VM-exit interruption information only: NMI unblocking due to IRET. */
  NMI_UNBLOCKING_DUE_TO_IRET: 1 << 12,
  VALID: 0x80000000,
  /** VM-entry interruption-information field: bits 30:12 are reserved. */
  ENTRY_RESERVED_MASK: 0x7ffff000,
} as const;

/** Interruption type (bits 10:8). Type 1 is reserved. */
export const INTR_TYPE = {
  EXTERNAL_INTERRUPT: 0,
  NMI: 2,
  HARDWARE_EXCEPTION: 3,
  SOFTWARE_INTERRUPT: 4,
  PRIVILEGED_SOFTWARE_EXCEPTION: 5,
  SOFTWARE_EXCEPTION: 6,
  OTHER_EVENT: 7,
} as const;

export type IntrType = (typeof INTR_TYPE)[keyof typeof INTR_TYPE];

export interface InterruptionInfo {
  vector: number;
  type: number;
  errorCodeValid: boolean;
  nmiUnblocking: boolean;
  valid: boolean;
}

/** Build an interruption-information value; `valid` defaults to true. */
export function encodeInterruptionInfo(i: Partial<InterruptionInfo> & { vector: number; type: number }): number {
  return (
    ((i.vector & INTR_INFO.VECTOR_MASK) |
      ((i.type & 7) << INTR_INFO.TYPE_SHIFT) |
      (i.errorCodeValid ? INTR_INFO.ERROR_CODE_VALID : 0) |
      (i.nmiUnblocking ? INTR_INFO.NMI_UNBLOCKING_DUE_TO_IRET : 0) |
      (i.valid === false ? 0 : INTR_INFO.VALID)) >>>
    0
  );
}

export function decodeInterruptionInfo(v: number): InterruptionInfo {
  return {
    vector: v & INTR_INFO.VECTOR_MASK,
    type: (v & INTR_INFO.TYPE_MASK) >>> INTR_INFO.TYPE_SHIFT,
    errorCodeValid: (v & INTR_INFO.ERROR_CODE_VALID) !== 0,
    nmiUnblocking: (v & INTR_INFO.NMI_UNBLOCKING_DUE_TO_IRET) !== 0,
    valid: (v & INTR_INFO.VALID) !== 0,
  };
}

/** SDM 25.4.2, Table "Format of Activity State". */
export const ACTIVITY_STATE = {
  ACTIVE: 0,
  HLT: 1,
  SHUTDOWN: 2,
  WAIT_FOR_SIPI: 3,
} as const;

/** SDM 25.4.2, Table "Format of Interruptibility State". */
export const INTERRUPTIBILITY = {
  BLOCKING_BY_STI: 1 << 0,
  BLOCKING_BY_MOV_SS: 1 << 1,
  BLOCKING_BY_SMI: 1 << 2,
  BLOCKING_BY_NMI: 1 << 3,
  ENCLAVE_INTERRUPTION: 1 << 4,
  /** Bits 31:5 are reserved. */
  RESERVED_MASK: 0xffffffe0,
} as const;

/** SDM 25.4.2, Table "Format of Pending-Debug-Exceptions". */
export const PENDING_DEBUG = {
  B0: 1 << 0,
  B1: 1 << 1,
  B2: 1 << 2,
  B3: 1 << 3,
  B_MASK: 0xf,
  ENABLED_BREAKPOINT: 1 << 12,
  BS: 1 << 14,
  RTM: 1 << 16,
  /** Bits 11:4, 13, 15 and 63:17 are reserved. */
  RESERVED_MASK: 0xfffeaff0n | (0xffffffffn << 32n),
} as const;
