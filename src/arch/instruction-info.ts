// VM-exit instruction-information field formats: SDM Vol. 3C 28.2.5
// "Information for VM Exits Due to Instruction Execution", tables "Format of
// the VM-Exit Instruction-Information Field as Used for ..." (INS and OUTS;
// INVEPT, INVPCID and INVVPID; LIDT, LGDT, SIDT, or SGDT; LLDT, LTR, SLDT, and
// STR; RDRAND, RDSEED, TPAUSE, and UMWAIT; VMCLEAR, VMPTRLD, VMPTRST, VMXON,
// XRSTORS, and XSAVES; VMREAD and VMWRITE).
//
// Register numbers use GPR numbering (RAX 0 ... R15 15) and segment numbers
// SEG numbering (ES 0 ... GS 5), both from x86.ts. Bits the SDM calls
// "undefined" are written as 0 and ignored when decoding.

export type AddressSize = 16 | 32 | 64;
export type Scale = 1 | 2 | 4 | 8;

/** A memory operand: segment + base + index * scale (+ displacement, which the exit qualification carries). */
export interface MemoryOperand {
  segment: number;
  /** Absent when the base register is invalid (no base). */
  base?: number;
  /** Absent when the index register is invalid (no index). */
  index?: number;
  scale: Scale;
}

/** Decoded operand description shared by the memory-operand layouts. */
export interface InstructionOperands {
  addressSize: AddressSize;
  /** Present for a memory operand; absent for the register form (Mem/Reg = 1) where the layout has one. */
  memory?: MemoryOperand;
  /** Bits 6:3: register operand of the register form (LLDT/LTR/SLDT/STR, VMREAD/VMWRITE). */
  reg1?: number;
  /** Bits 31:28: the second (register) operand (INVEPT/INVPCID/INVVPID, VMREAD/VMWRITE). */
  reg2?: number;
  /** Bits 29:28: which instruction of a group (DT_IDENTITY, LDTR_TR_IDENTITY). */
  identity?: number;
  /** Bit 11 (LIDT/LGDT/SIDT/SGDT): operand size. */
  operandSize?: 16 | 32;
  /** Raw scaling field (bits 1:0), as decoded; the encoders use memory.scale instead. */
  scaling?: number;
}

/** Instruction identity (bits 29:28) for LIDT, LGDT, SIDT, SGDT. */
export const DT_IDENTITY = { SGDT: 0, SIDT: 1, LGDT: 2, LIDT: 3 } as const;
/** Instruction identity (bits 29:28) for LLDT, LTR, SLDT, STR. */
export const LDTR_TR_IDENTITY = { SLDT: 0, STR: 1, LLDT: 2, LTR: 3 } as const;

/** Field positions shared by the memory-operand layouts. */
export const INSTR_INFO = {
  SCALING_SHIFT: 0,
  REG1_SHIFT: 3,
  ADDRESS_SIZE_SHIFT: 7,
  MEM_REG: 1 << 10,
  OPERAND_SIZE: 1 << 11,
  SEGMENT_SHIFT: 15,
  INDEX_SHIFT: 18,
  INDEX_INVALID: 1 << 22,
  BASE_SHIFT: 23,
  BASE_INVALID: 1 << 27,
  REG2_SHIFT: 28,
  IDENTITY_SHIFT: 28,
} as const;

const ADDRESS_SIZES: readonly AddressSize[] = [16, 32, 64];
const SCALES: readonly Scale[] = [1, 2, 4, 8];

function addrCode(size: AddressSize): number {
  const code = ADDRESS_SIZES.indexOf(size);
  if (code < 0) throw new RangeError(`invalid address size ${size}`);
  return code;
}
function addrSize(code: number): AddressSize {
  return ADDRESS_SIZES[code] ?? 64;
}
function scaleCode(scale: Scale): number {
  const code = SCALES.indexOf(scale);
  if (code < 0) throw new RangeError(`invalid scale ${scale}`);
  return code;
}

/** Scaling, address size, segment, index and base: bits 1:0, 9:7, 17:15, 22:18, 27:23. */
function encodeMemory(addressSize: AddressSize, m: MemoryOperand): number {
  return (
    scaleCode(m.scale) |
    (addrCode(addressSize) << INSTR_INFO.ADDRESS_SIZE_SHIFT) |
    ((m.segment & 7) << INSTR_INFO.SEGMENT_SHIFT) |
    (m.index === undefined ? INSTR_INFO.INDEX_INVALID : (m.index & 0xf) << INSTR_INFO.INDEX_SHIFT) |
    (m.base === undefined ? INSTR_INFO.BASE_INVALID : (m.base & 0xf) << INSTR_INFO.BASE_SHIFT)
  );
}

function decodeMemory(v: number): MemoryOperand {
  const m: MemoryOperand = { segment: (v >>> INSTR_INFO.SEGMENT_SHIFT) & 7, scale: SCALES[v & 3] };
  if ((v & INSTR_INFO.INDEX_INVALID) === 0) m.index = (v >>> INSTR_INFO.INDEX_SHIFT) & 0xf;
  if ((v & INSTR_INFO.BASE_INVALID) === 0) m.base = (v >>> INSTR_INFO.BASE_SHIFT) & 0xf;
  return m;
}

function requireMemory(op: { memory?: MemoryOperand }, what: string): MemoryOperand {
  if (op.memory === undefined) throw new RangeError(`${what} has a memory operand only`);
  return op.memory;
}

// --- INS and OUTS: address size 9:7, segment 17:15 (undefined for INS) ---

export interface InsOutsInfo {
  addressSize: AddressSize;
  segment: number;
}

export function encodeInsOutsInfo(i: InsOutsInfo): number {
  return (addrCode(i.addressSize) << INSTR_INFO.ADDRESS_SIZE_SHIFT) | ((i.segment & 7) << INSTR_INFO.SEGMENT_SHIFT);
}

export function decodeInsOutsInfo(v: number): InsOutsInfo {
  return { addressSize: addrSize((v >>> 7) & 7), segment: (v >>> 15) & 7 };
}

// --- INVEPT, INVPCID, INVVPID: memory operand + Reg2 (31:28); bit 10 is 0 ---

export function encodeInvalidationInfo(op: InstructionOperands & { reg2: number }): number {
  return (encodeMemory(op.addressSize, requireMemory(op, 'INVEPT/INVPCID/INVVPID')) | ((op.reg2 & 0xf) << 28)) >>> 0;
}

export function decodeInvalidationInfo(v: number): InstructionOperands & { memory: MemoryOperand; reg2: number } {
  return { addressSize: addrSize((v >>> 7) & 7), memory: decodeMemory(v), reg2: (v >>> 28) & 0xf, scaling: v & 3 };
}

// --- LIDT, LGDT, SIDT, SGDT: memory operand + operand size (11) + identity (29:28) ---

export function encodeDescriptorTableInfo(
  op: InstructionOperands & { identity: number; operandSize?: 16 | 32 },
): number {
  return (
    (encodeMemory(op.addressSize, requireMemory(op, 'LIDT/LGDT/SIDT/SGDT')) |
      (op.operandSize === 32 ? INSTR_INFO.OPERAND_SIZE : 0) |
      ((op.identity & 3) << 28)) >>>
    0
  );
}

export function decodeDescriptorTableInfo(
  v: number,
): InstructionOperands & { memory: MemoryOperand; identity: number; operandSize: 16 | 32 } {
  return {
    addressSize: addrSize((v >>> 7) & 7),
    memory: decodeMemory(v),
    operandSize: (v & INSTR_INFO.OPERAND_SIZE) !== 0 ? 32 : 16,
    identity: (v >>> 28) & 3,
    scaling: v & 3,
  };
}

// --- LLDT, LTR, SLDT, STR: memory operand or Reg1 (6:3) with Mem/Reg (10), identity (29:28) ---

export function encodeLdtrTrInfo(op: InstructionOperands & { identity: number }): number {
  let v = (op.identity & 3) << 28;
  if (op.memory !== undefined) v |= encodeMemory(op.addressSize, op.memory);
  else v |= INSTR_INFO.MEM_REG | (((op.reg1 ?? 0) & 0xf) << 3) | (addrCode(op.addressSize) << 7);
  return v >>> 0;
}

export function decodeLdtrTrInfo(v: number): InstructionOperands & { identity: number } {
  const out: InstructionOperands & { identity: number } = {
    addressSize: addrSize((v >>> 7) & 7),
    identity: (v >>> 28) & 3,
  };
  if ((v & INSTR_INFO.MEM_REG) !== 0) out.reg1 = (v >>> 3) & 0xf;
  else {
    out.memory = decodeMemory(v);
    out.scaling = v & 3;
  }
  return out;
}

// --- RDRAND, RDSEED, TPAUSE, UMWAIT: destination register (6:3), operand size (12:11) ---

export interface RandInfo {
  /** Destination (RDRAND/RDSEED) or source (TPAUSE/UMWAIT) register. */
  register: number;
  operandSize: 16 | 32 | 64;
}

export function encodeRdrandRdseedInfo(i: RandInfo): number {
  const size = i.operandSize === 16 ? 0 : i.operandSize === 32 ? 1 : 2;
  return ((i.register & 0xf) << 3) | (size << 11);
}

export function decodeRdrandRdseedInfo(v: number): RandInfo {
  const size = (v >>> 11) & 3;
  return { register: (v >>> 3) & 0xf, operandSize: size === 0 ? 16 : size === 1 ? 32 : 64 };
}

// --- VMCLEAR, VMPTRLD, VMPTRST, VMXON, XRSTORS, XSAVES: memory operand only; bit 10 is 0 ---

export function encodeVmxMemoryInfo(op: InstructionOperands): number {
  return encodeMemory(op.addressSize, requireMemory(op, 'VMCLEAR/VMPTRLD/VMPTRST/VMXON/XRSTORS/XSAVES')) >>> 0;
}

export function decodeVmxMemoryInfo(v: number): InstructionOperands & { memory: MemoryOperand } {
  return { addressSize: addrSize((v >>> 7) & 7), memory: decodeMemory(v), scaling: v & 3 };
}

// --- VMREAD, VMWRITE: memory operand or Reg1 (6:3) with Mem/Reg (10); Reg2 (31:28) ---

export function encodeVmreadVmwriteInfo(op: InstructionOperands & { reg2: number }): number {
  let v = (op.reg2 & 0xf) << 28;
  if (op.memory !== undefined) v |= encodeMemory(op.addressSize, op.memory);
  else v |= INSTR_INFO.MEM_REG | (((op.reg1 ?? 0) & 0xf) << 3) | (addrCode(op.addressSize) << 7);
  return v >>> 0;
}

export function decodeVmreadVmwriteInfo(v: number): InstructionOperands & { reg2: number } {
  const out: InstructionOperands & { reg2: number } = { addressSize: addrSize((v >>> 7) & 7), reg2: (v >>> 28) & 0xf };
  if ((v & INSTR_INFO.MEM_REG) !== 0) out.reg1 = (v >>> 3) & 0xf;
  else {
    out.memory = decodeMemory(v);
    out.scaling = v & 3;
  }
  return out;
}
