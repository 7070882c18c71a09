/**
 * Choosing the iced-x86 `Code` for a mnemonic and its operands, creating the `Instruction` and encoding it.
 * Among the forms that accept the operands, the shortest encoding wins (the usual assembler choice:
 * sign-extended imm8, AL/AX/EAX short forms, rel8 branches); `wide` picks the longest instead, which gives
 * a length that no longer depends on label values (used when label layout does not settle otherwise).
 */
import { Encoder, Instruction, MemoryOperand, Register, RepPrefixKind, OpCodeOperandKind as K } from 'iced-x86';
import { OperandError } from './errors';
import type { RegClass, RegInfo } from './registers';
import type { Form } from './table';

export type Bitness = 16 | 32 | 64;

/** An operand with its expressions evaluated for one layout pass. */
export type Resolved =
  | { readonly kind: 'reg'; readonly text: string; readonly info: RegInfo }
  | { readonly kind: 'imm'; readonly text: string; readonly value: bigint; readonly labelDependent: boolean }
  | {
      readonly kind: 'mem';
      readonly text: string;
      readonly size: number;
      readonly segment: Register;
      readonly base: Register;
      readonly index: Register;
      readonly scale: number;
      readonly disp: bigint;
      readonly addressSize: number;
      readonly labelDependent: boolean;
      /** `[rip + n]` with a plain number: n is relative to the next instruction. */
      readonly ripOffset: boolean;
    };

export type Prefix = 'rep' | 'repe' | 'repne' | 'lock' | undefined;

const B8 = 1n << 8n;
function fitSigned(v: bigint, bits: number): bigint | undefined {
  const full = 1n << BigInt(bits);
  const half = full >> 1n;
  if (v >= half && v < full) v -= full;
  return v >= -half && v < half ? v : undefined;
}

/** The value to hand iced for an immediate of the given kind, or undefined when it does not fit. */
function immediateFor(kind: K, v: bigint): number | bigint | undefined {
  switch (kind) {
    case K.imm8: return v >= -128n && v < B8 ? Number(v) : undefined;
    case K.imm8_const_1: return v === 1n ? 1 : undefined;
    case K.imm8sex16: { const s = fitSigned(v, 16); return s !== undefined && s >= -128n && s < 128n ? Number(s) : undefined; }
    case K.imm8sex32: { const s = fitSigned(v, 32); return s !== undefined && s >= -128n && s < 128n ? Number(s) : undefined; }
    case K.imm8sex64: { const s = fitSigned(v, 64); return s !== undefined && s >= -128n && s < 128n ? Number(s) : undefined; }
    case K.imm16: return v >= -32768n && v < 65536n ? Number(v) : undefined;
    case K.imm32: { const s = fitSigned(v, 32); return s !== undefined ? Number(s) : undefined; }
    case K.imm32sex64: { const s = fitSigned(v, 64); return s !== undefined && s >= -(1n << 31n) && s < 1n << 31n ? Number(s) : undefined; }
    case K.imm64: return v >= -(1n << 63n) && v < 1n << 64n ? BigInt.asUintN(64, v) : undefined;
    default: return undefined;
  }
}

const BRANCH_BITS: Partial<Record<K, number>> = {
  [K.br16_1]: 16, [K.br16_2]: 16, [K.br32_1]: 32, [K.br32_4]: 32, [K.br64_1]: 64, [K.br64_4]: 64,
};
const NARROW = new Set<K>([K.br16_1, K.br32_1, K.br64_1, K.imm8sex16, K.imm8sex32, K.imm8sex64]);

const FIXED_REGISTER: Partial<Record<K, Register>> = {
  [K.al]: Register.AL, [K.cl]: Register.CL, [K.ax]: Register.AX, [K.dx]: Register.DX, [K.eax]: Register.EAX,
  [K.rax]: Register.RAX, [K.es]: Register.ES, [K.cs]: Register.CS, [K.ss]: Register.SS, [K.ds]: Register.DS,
  [K.fs]: Register.FS, [K.gs]: Register.GS,
};

function regClassOf(kind: K): RegClass | undefined {
  switch (kind) {
    case K.r8_reg: case K.r8_opcode: return 'gpr8';
    case K.r16_reg: case K.r16_rm: case K.r16_opcode: return 'gpr16';
    case K.r32_reg: case K.r32_rm: case K.r32_opcode: return 'gpr32';
    case K.r64_reg: case K.r64_rm: case K.r64_opcode: return 'gpr64';
    case K.seg_reg: return 'seg';
    case K.cr_reg: return 'cr';
    case K.dr_reg: return 'dr';
    default: return undefined;
  }
}
const RM_CLASS: Partial<Record<K, RegClass>> = {
  [K.r8_or_mem]: 'gpr8', [K.r16_or_mem]: 'gpr16', [K.r32_or_mem]: 'gpr32', [K.r64_or_mem]: 'gpr64',
};

function memFits(op: Resolved, form: Form): boolean {
  return op.kind === 'mem' && (op.size === 0 || form.memSize === 0 || op.size === form.memSize);
}

function accepts(op: Resolved, kind: K, form: Form, bitness: Bitness): boolean {
  const fixed = FIXED_REGISTER[kind];
  if (fixed !== undefined) return op.kind === 'reg' && op.info.reg === fixed;
  const rm = RM_CLASS[kind];
  if (rm !== undefined) return (op.kind === 'reg' && op.info.cls === rm) || memFits(op, form);
  if (kind === K.mem) return memFits(op, form);
  const rc = regClassOf(kind);
  if (rc !== undefined) return op.kind === 'reg' && op.info.cls === rc;
  const br = BRANCH_BITS[kind];
  if (br !== undefined) return op.kind === 'imm' && br === bitness;
  if (op.kind !== 'imm') return false;
  return immediateFor(kind, op.value) !== undefined;
}

function isModeOk(form: Form, bitness: Bitness): boolean {
  return bitness === 64 ? form.mode64 : bitness === 32 ? form.mode32 : form.mode16;
}

function memoryOperand(op: Resolved & { kind: 'mem' }, bitness: Bitness, wide: boolean, ripTarget?: bigint): MemoryOperand {
  const ripRelative = op.base === Register.RIP || op.base === Register.EIP;
  if (ripRelative) {
    const target = ripTarget ?? op.disp;
    return new MemoryOperand(op.base, Register.None, 1, BigInt.asUintN(op.base === Register.RIP ? 64 : 32, target),
      op.base === Register.RIP ? 8 : 4, false, op.segment);
  }
  const addrBits = op.addressSize !== 0 ? op.addressSize * 8 : bitness;
  const disp = BigInt.asUintN(addrBits, op.disp);
  let displSize = op.disp === 0n && !op.labelDependent ? 0 : 1;
  if (wide && op.labelDependent) displSize = addrBits === 16 ? 2 : 4;
  return new MemoryOperand(op.base, op.index, op.scale, disp, displSize, false, op.segment);
}

/** Create the iced instruction for one form, or undefined when iced has no constructor for the shape. */
function create(form: Form, ops: readonly Resolved[], bitness: Bitness, wide: boolean, ripTarget?: bigint): Instruction | undefined {
  const k = form.kinds;
  const br = k.length === 1 ? BRANCH_BITS[k[0]] : undefined;
  if (br !== undefined) {
    const op = ops[0];
    if (op.kind !== 'imm') return undefined;
    return Instruction.createBranch(form.code, BigInt.asUintN(bitness, op.value));
  }
  const parts: string[] = [];
  const args: unknown[] = [form.code];
  const mems: MemoryOperand[] = [];
  try {
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      if (op.kind === 'reg') {
        parts.push('Reg');
        args.push(op.info.reg);
      } else if (op.kind === 'mem') {
        const m = memoryOperand(op, bitness, wide, ripTarget);
        mems.push(m);
        parts.push('Mem');
        args.push(m);
      } else {
        const v = immediateFor(k[i], op.value);
        if (v === undefined) return undefined;
        if (typeof v === 'bigint') {
          parts.push('U64');
        } else {
          parts.push('I32');
        }
        args.push(v);
      }
    }
    const name = 'create' + parts.join('');
    const fn = (Instruction as unknown as Record<string, (...a: unknown[]) => Instruction>)[name];
    if (typeof fn !== 'function') return undefined;
    // wasm-bindgen moves a MemoryOperand passed by value into the callee (it frees it): not ours to free now.
    const consumed = mems.splice(0);
    void consumed;
    return fn.apply(Instruction, args);
  } finally {
    for (const m of mems) m.free();
  }
}

const REP_KIND: Record<string, RepPrefixKind> = { rep: RepPrefixKind.Repe, repe: RepPrefixKind.Repe, repne: RepPrefixKind.Repne };

/** String instructions: iced has one constructor per instruction, taking address size, segment and REP. */
function createString(mnemonic: string, bitness: Bitness, prefix: Prefix, segment: Register): Instruction | undefined {
  const fn = (Instruction as unknown as Record<string, (...a: unknown[]) => Instruction>)[
    'create' + mnemonic[0].toUpperCase() + mnemonic.slice(1)
  ];
  if (typeof fn !== 'function') return undefined;
  const rep = prefix === undefined || prefix === 'lock' ? RepPrefixKind.None : REP_KIND[prefix];
  // SDM Vol. 2 "MOVS/LODS/OUTS/CMPS": the source [rSI] segment can be overridden; STOS/SCAS/INS use ES:[rDI] only.
  return fn.length === 3 ? fn.call(Instruction, bitness, segment, rep) : fn.call(Instruction, bitness, rep);
}

export interface Encoded {
  readonly bytes: Uint8Array;
}

function tryEncode(encoder: Encoder, instr: Instruction, rip: bigint): Uint8Array | string {
  try {
    encoder.encode(instr, rip);
    return encoder.takeBuffer();
  } catch (e) {
    encoder.takeBuffer(); // a failed encode can leave bytes behind
    return e instanceof Error ? e.message : String(e);
  }
}

/** Encode with every accepted form and keep the shortest (or the longest when `wide`). */
export function selectAndEncode(
  mnemonic: string,
  forms: readonly Form[],
  ops: readonly Resolved[],
  prefix: Prefix,
  stringSegment: Register,
  bitness: Bitness,
  rip: bigint,
  wide: boolean,
  encoder: Encoder,
): Uint8Array {
  const modeForms = forms.filter((f) => isModeOk(f, bitness));
  if (modeForms.length === 0) throw new OperandError(mnemonic, `not available in ${bitness}-bit mode`);

  if (ops.length === 0 && modeForms.some((f) => f.isString)) {
    const instr = createString(mnemonic, bitness, prefix, stringSegment);
    if (instr === undefined) throw new OperandError(mnemonic, 'unsupported string instruction');
    try {
      const r = tryEncode(encoder, instr, rip);
      if (typeof r === 'string') throw new OperandError(mnemonic, r);
      return r;
    } finally {
      instr.free();
    }
  }

  const candidates = modeForms.filter(
    (f) => !f.isString && f.kinds.length === ops.length && f.kinds.every((k, i) => accepts(ops[i], k, f, bitness)),
  );
  if (candidates.length === 0) throw explainMismatch(mnemonic, modeForms, ops, bitness);

  const unsized = ops.find((o) => o.kind === 'mem' && o.size === 0);
  if (unsized !== undefined) {
    const sizes = new Set(candidates.map((f) => f.memSize).filter((s) => s !== 0));
    if (sizes.size > 1) {
      throw new OperandError(unsized.text, 'operand size not specified (add byte/word/dword/qword ptr)');
    }
  }

  let best: Uint8Array | undefined;
  let firstError = '';
  for (const form of candidates) {
    if (wide && form.kinds.some((k) => NARROW.has(k)) && ops.some((o) => o.kind === 'imm' && o.labelDependent)) continue;
    let instr = create(form, ops, bitness, wide);
    if (instr === undefined) continue;
    let bytes: Uint8Array | string;
    try {
      bytes = tryEncode(encoder, instr, rip);
      const ripOp = ops.find((o) => o.kind === 'mem' && o.ripOffset);
      if (typeof bytes !== 'string' && ripOp !== undefined && ripOp.kind === 'mem') {
        // [rip + n]: n counts from the end of this instruction, whose length is now known.
        instr.free();
        instr = create(form, ops, bitness, wide, rip + BigInt(bytes.length) + ripOp.disp);
        bytes = instr === undefined ? 'cannot encode' : tryEncode(encoder, instr, rip);
      }
    } finally {
      instr?.free();
    }
    if (typeof bytes === 'string') {
      firstError ||= bytes;
      continue;
    }
    if (best === undefined || (wide ? bytes.length > best.length : bytes.length < best.length)) best = bytes;
  }
  if (best === undefined) throw new OperandError(ops.map((o) => o.text).join(', '), firstError || 'cannot encode');
  if (prefix !== undefined) best = withPrefix(best, prefix);
  return best;
}

/** REP/REPNE/LOCK on a non-string instruction: the prefix byte goes first (SDM Vol. 2 2.1.1). */
function withPrefix(bytes: Uint8Array, prefix: Exclude<Prefix, undefined>): Uint8Array {
  const byte = prefix === 'lock' ? 0xf0 : prefix === 'repne' ? 0xf2 : 0xf3;
  const out = new Uint8Array(bytes.length + 1);
  out[0] = byte;
  out.set(bytes, 1);
  return out;
}

function explainMismatch(mnemonic: string, forms: readonly Form[], ops: readonly Resolved[], bitness: Bitness): OperandError {
  const sameCount = forms.filter((f) => f.kinds.length === ops.length && !f.isString);
  if (sameCount.length === 0) {
    const counts = [...new Set(forms.map((f) => (f.isString ? 0 : f.kinds.length)))].sort().join(' or ');
    return new OperandError(mnemonic, `wrong number of operands (${ops.length}; expected ${counts})`);
  }
  const order = ops.map((_, i) => i).sort((a, b) => Number(ops[b].kind === 'imm') - Number(ops[a].kind === 'imm'));
  for (const i of order) {
    // Blame operand i (immediates first) when no form that takes all the other operands takes it.
    const others = sameCount.filter((f) => f.kinds.every((k, j) => j === i || accepts(ops[j], k, f, bitness)));
    if (others.length > 0 && !others.some((f) => accepts(ops[i], f.kinds[i], f, bitness))) {
      const why = ops[i].kind === 'imm' ? 'immediate out of range or not allowed here' : 'invalid operand';
      return new OperandError(ops[i].text, why);
    }
  }
  for (let i = 0; i < ops.length; i++) {
    if (!sameCount.some((f) => accepts(ops[i], f.kinds[i], f, bitness))) {
      const why = ops[i].kind === 'imm' ? 'invalid operand (type or immediate range)' : 'invalid operand';
      return new OperandError(ops[i].text, why);
    }
  }
  return new OperandError(ops.map((o) => o.text).join(', '), 'invalid combination of operands');
}
