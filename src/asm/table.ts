/**
 * The instruction forms the assembler can choose from, read once from iced-x86's opcode tables
 * (every legacy-encoded `Code`: mnemonic, operand kinds, modes, memory operand size).
 */
import { Code, CodeExt, EncodingKind, MemorySize, MemorySizeExt, Mnemonic, OpCodeOperandKind as K } from 'iced-x86';

export interface Form {
  readonly code: Code;
  readonly kinds: readonly K[];
  /** Size in bytes of the memory operand (0 when none or not fixed, e.g. LEA, XSAVES). */
  readonly memSize: number;
  readonly mode16: boolean;
  readonly mode32: boolean;
  readonly mode64: boolean;
  /** True for string instructions (operands are implicit [rSI]/[rDI]). */
  readonly isString: boolean;
}

let forms: Map<string, Form[]> | undefined;

const FAR_MEMORY = new Set<MemorySize>([MemorySize.SegPtr16, MemorySize.SegPtr32, MemorySize.SegPtr64]);

function build(): Map<string, Form[]> {
  const map = new Map<string, Form[]>();
  const count = Object.keys(Code).filter((k) => Number.isNaN(Number(k))).length;
  for (let code = 1; code < count; code++) {
    const info = CodeExt.opCode(code);
    try {
      if (info.encoding !== EncodingKind.Legacy || !info.isInstruction) continue;
      // Far JMP/CALL through memory (m16:16/32/64) are outside the subset; leaving them out keeps
      // `jmp [rax]` unambiguous.
      if (FAR_MEMORY.has(info.memorySize)) continue;
      const kinds: K[] = [];
      for (let i = 0; i < info.opCount; i++) kinds.push(info.opKind(i));
      const name = Mnemonic[info.mnemonic].toLowerCase();
      const form: Form = {
        code,
        kinds,
        memSize: MemorySizeExt.size(info.memorySize),
        mode16: info.mode16,
        mode32: info.mode32,
        mode64: info.mode64,
        isString: kinds.includes(K.es_rDI) || kinds.includes(K.seg_rSI),
      };
      const list = map.get(name);
      if (list) list.push(form);
      else map.set(name, [form]);
    } finally {
      info.free();
    }
  }
  return map;
}

export function formsOf(mnemonic: string): readonly Form[] | undefined {
  forms ??= build();
  return forms.get(mnemonic);
}

export function allMnemonics(): string[] {
  forms ??= build();
  return [...forms.keys()];
}

/** Condition-code spellings that iced does not use as mnemonic names (SDM Vol. 2 Jcc/SETcc/CMOVcc). */
const CC_ALIASES: Record<string, string> = {
  z: 'e', nz: 'ne', c: 'b', nae: 'b', nc: 'ae', nb: 'ae', na: 'be', nbe: 'a',
  pe: 'p', po: 'np', nge: 'l', nl: 'ge', ng: 'le', nle: 'g',
};

/** The iced mnemonic name for a source mnemonic (aliases and mode-dependent defaults resolved). */
export function canonicalMnemonic(m: string, bitness: 16 | 32 | 64): string {
  for (const prefix of ['j', 'set', 'cmov']) {
    if (m.startsWith(prefix)) {
      const cc = CC_ALIASES[m.slice(prefix.length)];
      if (cc !== undefined) return prefix + cc;
    }
  }
  switch (m) {
    case 'sal': return 'shl';
    case 'loopz': return 'loope';
    case 'loopnz': return 'loopne';
    case 'retn': case 'retq': return 'ret';
    // PUSHF/POPF/IRET take the mode's default operand size (iced's plain names are the 16-bit forms).
    case 'pushf': return bitness === 64 ? 'pushfq' : bitness === 32 ? 'pushfd' : 'pushf';
    case 'popf': return bitness === 64 ? 'popfq' : bitness === 32 ? 'popfd' : 'popf';
    case 'iret': return bitness === 64 ? 'iretq' : bitness === 32 ? 'iretd' : 'iret';
    default: return m;
  }
}
