// Plain x86 architectural facts that VMX scenarios and exit information refer to.
//
// Sources: SDM Vol. 3A 2.5 "Control Registers" (CR0, CR4), Vol. 1 3.4.3
// "EFLAGS Register", Vol. 3A "Interrupt and Exception Handling", table
// "Protected-Mode Exceptions and Interrupts" (vector numbers, error codes),
// Vol. 3C 25.4.1 "Guest Register State" (segment access-rights format in the
// VMCS), Vol. 3C 28.2.5 (segment and GPR numbering in instruction information).
import { NameTable, UnknownNameError } from './names';

/** SDM Vol. 3A 2.5, Figure "Control Registers": CR0 bits. */
export const CR0 = {
  PE: 1 << 0,
  MP: 1 << 1,
  EM: 1 << 2,
  TS: 1 << 3,
  ET: 1 << 4,
  NE: 1 << 5,
  WP: 1 << 16,
  AM: 1 << 18,
  NW: 1 << 29,
  CD: 1 << 30,
  PG: (1 << 31) >>> 0,
} as const;

/** SDM Vol. 3A 2.5: CR4 bits. */
export const CR4 = {
  VME: 1 << 0,
  PVI: 1 << 1,
  TSD: 1 << 2,
  DE: 1 << 3,
  PSE: 1 << 4,
  PAE: 1 << 5,
  MCE: 1 << 6,
  PGE: 1 << 7,
  PCE: 1 << 8,
  OSFXSR: 1 << 9,
  OSXMMEXCPT: 1 << 10,
  UMIP: 1 << 11,
  LA57: 1 << 12,
  VMXE: 1 << 13,
  SMXE: 1 << 14,
  FSGSBASE: 1 << 16,
  PCIDE: 1 << 17,
  OSXSAVE: 1 << 18,
  KL: 1 << 19,
  SMEP: 1 << 20,
  SMAP: 1 << 21,
  PKE: 1 << 22,
  CET: 1 << 23,
  PKS: 1 << 24,
} as const;

/** SDM Vol. 1 3.4.3, Figure "EFLAGS Register". */
export const RFLAGS = {
  CF: 1 << 0,
  /** Bit 1 is reserved and always 1. */
  FIXED1: 1 << 1,
  PF: 1 << 2,
  AF: 1 << 4,
  ZF: 1 << 6,
  SF: 1 << 7,
  TF: 1 << 8,
  IF: 1 << 9,
  DF: 1 << 10,
  OF: 1 << 11,
  IOPL_MASK: 3 << 12,
  IOPL_SHIFT: 12,
  NT: 1 << 14,
  RF: 1 << 16,
  VM: 1 << 17,
  AC: 1 << 18,
  VIF: 1 << 19,
  VIP: 1 << 20,
  ID: 1 << 21,
} as const;

/** SDM Vol. 3A table "Protected-Mode Exceptions and Interrupts": exception and NMI vectors by mnemonic. */
export const VECTOR = {
  DE: 0,
  DB: 1,
  NMI: 2,
  BP: 3,
  OF: 4,
  BR: 5,
  UD: 6,
  NM: 7,
  DF: 8,
  TS: 10,
  NP: 11,
  SS: 12,
  GP: 13,
  PF: 14,
  MF: 16,
  AC: 17,
  MC: 18,
  XM: 19,
  VE: 20,
  CP: 21,
} as const;

export type ExceptionMnemonic = keyof typeof VECTOR;

export interface ExceptionInfo {
  vector: number;
  mnemonic: ExceptionMnemonic;
  /** As the SDM exception table describes it. */
  name: string;
  /** Delivery pushes an error code (in protected/IA-32e mode). */
  errorCode: boolean;
}

/** That table's "Description" column; the second element marks exceptions that push an error code. */
const EXCEPTION_FACTS: Record<ExceptionMnemonic, readonly [name: string, errorCode: boolean, ...aliases: string[]]> = {
  DE: ['Divide Error', false, 'divide-by-zero'],
  DB: ['Debug Exception', false, 'debug'],
  NMI: ['NMI Interrupt', false, 'non-maskable interrupt'],
  BP: ['Breakpoint', false],
  OF: ['Overflow', false],
  BR: ['BOUND Range Exceeded', false],
  UD: ['Invalid Opcode (Undefined Opcode)', false, 'invalid opcode', 'undefined opcode'],
  NM: ['Device Not Available (No Math Coprocessor)', false, 'device not available'],
  DF: ['Double Fault', true],
  TS: ['Invalid TSS', true],
  NP: ['Segment Not Present', true],
  SS: ['Stack-Segment Fault', true],
  GP: ['General Protection', true, 'general-protection fault'],
  PF: ['Page Fault', true, 'page-fault exception'],
  MF: ['x87 FPU Floating-Point Error (Math Fault)', false, 'math fault', 'x87 floating-point error'],
  AC: ['Alignment Check', true],
  MC: ['Machine Check', false],
  XM: ['SIMD Floating-Point Exception', false, 'XF'],
  VE: ['Virtualization Exception', false],
  CP: ['Control Protection Exception', true, 'control-protection'],
};

export const EXCEPTIONS: readonly ExceptionInfo[] = Object.freeze(
  (Object.keys(VECTOR) as ExceptionMnemonic[]).map((m) =>
    Object.freeze({ vector: VECTOR[m], mnemonic: m, name: EXCEPTION_FACTS[m][0], errorCode: EXCEPTION_FACTS[m][1] }),
  ),
);

/** Bit n set = vector n pushes an error code (#DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP). */
export const ERROR_CODE_VECTORS_MASK: number = EXCEPTIONS.reduce((m, e) => (e.errorCode ? m | (1 << e.vector) : m), 0);

export function exceptionHasErrorCode(vector: number): boolean {
  return vector < 32 && ((ERROR_CODE_VECTORS_MASK >>> vector) & 1) === 1;
}

const BY_VECTOR = new Map<number, ExceptionInfo>(EXCEPTIONS.map((e) => [e.vector, e]));

export function exceptionInfo(vector: number): ExceptionInfo | undefined {
  return BY_VECTOR.get(vector);
}

const TABLE = new NameTable<ExceptionInfo>('exception');
for (const e of EXCEPTIONS) {
  TABLE.add(`#${e.mnemonic}`, e);
  TABLE.add(e.name, e);
  for (const alias of EXCEPTION_FACTS[e.mnemonic].slice(2) as string[]) TABLE.add(alias, e);
}

/** Resolve "#GP", "GP", "General Protection", "general-protection fault" or "13". */
export function lookupException(token: string): ExceptionInfo {
  const t = token.trim();
  if (/^\d+$/.test(t)) {
    const e = exceptionInfo(Number(t));
    if (e === undefined) throw new UnknownNameError('exception', token, []);
    return e;
  }
  return TABLE.get(t);
}

/** SDM 25.4.1, Table "Format of Access Rights": segment access rights as stored in the VMCS. */
export const SEG_AR = {
  TYPE_MASK: 0xf,
  S: 1 << 4,
  DPL_SHIFT: 5,
  DPL_MASK: 3 << 5,
  P: 1 << 7,
  AVL: 1 << 12,
  L: 1 << 13,
  DB: 1 << 14,
  G: 1 << 15,
  UNUSABLE: 1 << 16,
  /** Bits 11:8 and 31:17 are reserved. */
  RESERVED_MASK: 0xfffe0f00,
} as const;

export interface SegmentAccessRights {
  type: number;
  /** Descriptor type: false = system, true = code or data. */
  s: boolean;
  dpl: number;
  p: boolean;
  avl: boolean;
  l: boolean;
  db: boolean;
  g: boolean;
  unusable: boolean;
}

export function decodeAccessRights(ar: number): SegmentAccessRights {
  return {
    type: ar & SEG_AR.TYPE_MASK,
    s: (ar & SEG_AR.S) !== 0,
    dpl: (ar & SEG_AR.DPL_MASK) >>> SEG_AR.DPL_SHIFT,
    p: (ar & SEG_AR.P) !== 0,
    avl: (ar & SEG_AR.AVL) !== 0,
    l: (ar & SEG_AR.L) !== 0,
    db: (ar & SEG_AR.DB) !== 0,
    g: (ar & SEG_AR.G) !== 0,
    unusable: (ar & SEG_AR.UNUSABLE) !== 0,
  };
}

export function encodeAccessRights(a: Partial<SegmentAccessRights>): number {
  return (
    ((a.type ?? 0) & SEG_AR.TYPE_MASK) |
    (a.s ? SEG_AR.S : 0) |
    (((a.dpl ?? 0) & 3) << SEG_AR.DPL_SHIFT) |
    (a.p ? SEG_AR.P : 0) |
    (a.avl ? SEG_AR.AVL : 0) |
    (a.l ? SEG_AR.L : 0) |
    (a.db ? SEG_AR.DB : 0) |
    (a.g ? SEG_AR.G : 0) |
    (a.unusable ? SEG_AR.UNUSABLE : 0)
  );
}

/** Segment register numbering used by exit qualifications and instruction information (SDM 28.2.5). */
export const SEG = { ES: 0, CS: 1, SS: 2, DS: 3, FS: 4, GS: 5, LDTR: 6, TR: 7 } as const;
export const SEG_NAMES = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS', 'LDTR', 'TR'] as const;

/** General-purpose register numbering used by exit qualifications and instruction information (SDM 28.2.1, 28.2.5). */
export const GPR = {
  RAX: 0, RCX: 1, RDX: 2, RBX: 3, RSP: 4, RBP: 5, RSI: 6, RDI: 7,
  R8: 8, R9: 9, R10: 10, R11: 11, R12: 12, R13: 13, R14: 14, R15: 15,
} as const;
export const GPR_NAMES = [
  'RAX', 'RCX', 'RDX', 'RBX', 'RSP', 'RBP', 'RSI', 'RDI',
  'R8', 'R9', 'R10', 'R11', 'R12', 'R13', 'R14', 'R15',
] as const;

/** SDM Vol. 3A "Memory Type Range Registers (MTRRs)": memory-type encodings (also used by EPT, PAT, IA32_VMX_BASIC). */
export const MEMORY_TYPE = { UC: 0, WC: 1, WT: 4, WP: 5, WB: 6 } as const;
