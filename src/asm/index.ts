/**
 * A small Intel-syntax assembler for test guests: parses the subset scenarios need and encodes it with
 * iced-x86 (`Instruction.create*` + `Encoder`). iced has no assembly parser (see /work/shared/FACTS.md).
 *
 * Syntax: one instruction per line; `;` or `#` start a comment; `name:` defines a label (also before an
 * instruction on the same line); `db`/`dw`/`dd`/`dq` data (numbers, labels, strings for db); `times N <line>`;
 * `align N`; `name equ <number>`; prefixes `rep`/`repe`/`repz`/`repne`/`repnz`/`lock`.
 * Operands: registers, immediates (decimal, 0x…, 0b…, …h, 'c', label ± n, `$`), memory
 * `[size ptr] [seg:][base + index*scale ± disp]`. In 64-bit code a memory operand that names a label and
 * no register is RIP-relative (as NASM's `default rel`); `[rip + label]` says so explicitly.
 *
 * Layout: iced's BlockEncoder returns only bytes, and callers need each instruction's offset and each
 * label's address, so layout is done here: encode every line at its address, recompute label addresses,
 * repeat until they settle; a line whose length changed between passes is thereafter encoded in its
 * widest form (rel32 branches, imm32), whose length does not depend on label values, so passes converge.
 */
import { Decoder, DecoderOptions, Encoder, Register } from 'iced-x86';
import { AsmError, OperandError } from './errors';
import { newIntelFormatter } from './iced-format';
import { isLabelName, parseExpr, parseNumber, parseOperand, splitOperands, type Expr, type Operand } from './operands';
import { selectAndEncode, type Bitness, type Prefix, type Resolved } from './select';
import { allMnemonics, canonicalMnemonic, formsOf, type Form } from './table';

export { AsmError } from './errors';

export interface AssembledInstruction {
  /** Offset from the origin. */
  offset: number;
  length: number;
  /** iced's Intel-syntax text of the encoded bytes. */
  text: string;
  /** 1-based source line. */
  line: number;
}

export interface AssembleResult {
  bytes: Uint8Array;
  instructions: AssembledInstruction[];
  labels: Record<string, bigint>;
}

export interface AssembleOptions {
  bitness?: Bitness;
}

interface Src {
  readonly line: number;
  readonly text: string;
}
type Item =
  | (Src & { kind: 'label'; name: string })
  | (Src & {
      kind: 'ins';
      mnemonic: string;
      forms: readonly Form[];
      operands: Operand[];
      prefix: Prefix;
      stringSegment: Register;
      wide: boolean;
      bytes: Uint8Array;
    })
  | (Src & { kind: 'data'; unit: 1 | 2 | 4 | 8; values: (Expr | Uint8Array)[]; bytes: Uint8Array })
  | (Src & { kind: 'align'; boundary: number; fill: number });

/** Generic string mnemonics written with explicit operands: the size comes from the memory operand. */
const GENERIC_STRING = new Set(['movs', 'cmps', 'lods', 'stos', 'scas', 'ins', 'outs']);
const SIZE_SUFFIX: Record<number, string> = { 1: 'b', 2: 'w', 4: 'd', 8: 'q' };
const PREFIXES: Record<string, Exclude<Prefix, undefined>> = {
  rep: 'rep', repe: 'repe', repz: 'repe', repne: 'repne', repnz: 'repne', lock: 'lock',
};

function stripComment(line: string): string {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === '\'') {
      quote = ch;
    } else if (ch === ';' || ch === '#') {
      return line.slice(0, i);
    }
  }
  return line;
}

function editDistance(a: string, b: string): number {
  const d: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length];
}

function suggestions(m: string): string[] {
  const known = [...allMnemonics(), ...Object.keys(PREFIXES), 'db', 'dw', 'dd', 'dq', 'times', 'align', 'pushf', 'popf', 'iret', 'sal', 'jz', 'jnz'];
  return [...new Set(known)]
    .map((k) => ({ k, d: editDistance(m, k) }))
    .filter((x) => x.d <= Math.max(1, Math.min(2, m.length - 2)))
    .sort((a, b) => a.d - b.d || a.k.localeCompare(b.k))
    .slice(0, 5)
    .map((x) => x.k);
}

function parseDataValues(src: Src, unit: 1 | 2 | 4 | 8, rest: string): (Expr | Uint8Array)[] {
  const values: (Expr | Uint8Array)[] = [];
  for (const v of splitOperands(rest)) {
    const str = /^(["'])(.*)\1$/.exec(v);
    if (str && (unit === 1 || str[2].length !== 1)) {
      if (unit !== 1) throw new AsmError(src.line, src.text, v, 'strings are allowed in db only');
      values.push(new Uint8Array(Buffer.from(str[2], 'latin1')));
    } else {
      values.push(parseExpr(v));
    }
  }
  if (values.length === 0) throw new AsmError(src.line, src.text, rest, 'data directive without values');
  return values;
}

function dataLength(values: readonly (Expr | Uint8Array)[], unit: number): number {
  let n = 0;
  for (const v of values) n += v instanceof Uint8Array ? v.length : unit;
  return n;
}

class Parser {
  readonly items: Item[] = [];
  readonly constants = new Map<string, bigint>();
  readonly labelLines = new Map<string, number>();

  constructor(private readonly bitness: Bitness) {}

  parse(source: string): void {
    const lines = source.split(/\r?\n/);
    lines.forEach((text, i) => this.parseLine({ line: i + 1, text }, stripComment(text).trim()));
  }

  private defineLabel(src: Src, name: string): void {
    if (this.labelLines.has(name) || this.constants.has(name)) {
      throw new AsmError(src.line, src.text, name, `label already defined on line ${this.labelLines.get(name) ?? '?'}`);
    }
    this.labelLines.set(name, src.line);
  }

  private parseLine(src: Src, body: string): void {
    for (;;) {
      const m = /^([A-Za-z_.@][\w.@$]*)\s*:(?!\s*\[)(.*)$/.exec(body);
      if (!m || !isLabelName(m[1])) break;
      this.defineLabel(src, m[1]);
      this.items.push({ ...src, kind: 'label', name: m[1] });
      body = m[2].trim();
    }
    if (body === '') return;

    const equ = /^([A-Za-z_.@][\w.@$]*)\s+equ\s+(.+)$/i.exec(body);
    if (equ) {
      const v = parseNumber(equ[2].trim()) ?? this.constantExpr(src, equ[2].trim());
      this.defineLabel(src, equ[1]);
      this.constants.set(equ[1], v);
      return;
    }

    const sp = /^(\S+)\s*(.*)$/.exec(body)!;
    let word = sp[1].toLowerCase();
    let rest = sp[2].trim();

    if (word === 'times') {
      const t = /^(\S+)\s+(.+)$/.exec(rest);
      if (!t) throw new AsmError(src.line, src.text, rest, 'times needs a count and a line');
      const n = this.constantExpr(src, t[1]);
      if (n < 0n || n > 1_000_000n) throw new AsmError(src.line, src.text, t[1], 'bad repeat count');
      for (let i = 0n; i < n; i++) this.parseLine(src, t[2]);
      return;
    }
    if (word === 'align') {
      const [b, f] = splitOperands(rest);
      const boundary = Number(this.constantExpr(src, b ?? ''));
      if (!(boundary > 0) || (boundary & (boundary - 1)) !== 0) throw new AsmError(src.line, src.text, rest, 'align needs a power of two');
      this.items.push({ ...src, kind: 'align', boundary, fill: f === undefined ? 0 : Number(this.constantExpr(src, f)) & 0xff });
      return;
    }
    const dataUnit = ({ db: 1, dw: 2, dd: 4, dq: 8 } as const)[word as 'db'];
    if (dataUnit !== undefined) {
      const values = wrap(src, () => parseDataValues(src, dataUnit, rest));
      this.items.push({ ...src, kind: 'data', unit: dataUnit, values, bytes: new Uint8Array(dataLength(values, dataUnit)) });
      return;
    }

    let prefix: Prefix;
    if (PREFIXES[word] !== undefined) {
      prefix = PREFIXES[word];
      const sp2 = /^(\S+)\s*(.*)$/.exec(rest);
      if (!sp2) throw new AsmError(src.line, src.text, word, 'prefix without an instruction');
      word = sp2[1].toLowerCase();
      rest = sp2[2].trim();
    }

    const operands = wrap(src, () => splitOperands(rest).map(parseOperand));
    let stringSegment = Register.None;
    if (GENERIC_STRING.has(word)) {
      // MOVS m8, m8 etc. (SDM Vol. 2): the operands only give the size and the source segment.
      const mem = operands.filter((o): o is Operand & { kind: 'mem' } => o.kind === 'mem');
      const size = mem.find((o) => o.size !== 0)?.size ?? 0;
      if (mem.length === 0 || SIZE_SUFFIX[size] === undefined) {
        throw new AsmError(src.line, src.text, rest || word, 'string instruction needs a sized memory operand (or use the b/w/d/q form)');
      }
      const source = word === 'outs' || word === 'lods' || word === 'movs' || word === 'cmps'
        ? mem.find((o) => o.base === Register.RSI || o.base === Register.ESI || o.base === Register.SI) : undefined;
      stringSegment = source?.segment ?? Register.None;
      word += SIZE_SUFFIX[size];
      operands.length = 0;
    }
    const mnemonic = canonicalMnemonic(word, this.bitness);
    const forms = formsOf(mnemonic);
    if (forms === undefined) {
      throw new AsmError(src.line, src.text, sp[1], 'unknown mnemonic', suggestions(word));
    }
    // `imul r, imm` is the two-operand shorthand for `imul r, r, imm` (SDM Vol. 2 IMUL).
    if (mnemonic === 'imul' && operands.length === 2 && operands[0].kind === 'reg' && operands[1].kind === 'imm') {
      operands.splice(1, 0, operands[0]);
    }
    // XCHG and TEST are commutative; iced encodes only the r/m-first form (SDM Vol. 2 XCHG, TEST).
    if ((mnemonic === 'xchg' || mnemonic === 'test') && operands.length === 2 && operands[0].kind === 'reg' && operands[1].kind === 'mem') {
      operands.reverse();
    }
    for (const o of operands) {
      const exprs = o.kind === 'imm' ? [o.expr] : o.kind === 'mem' ? [o.disp] : [];
      for (const e of exprs) for (const l of e.labels) this.references.push({ src, name: l.name });
    }
    this.items.push({ ...src, kind: 'ins', mnemonic, forms, operands, prefix, stringSegment, wide: false, bytes: new Uint8Array(0) });
  }

  readonly references: { src: Src; name: string }[] = [];

  private constantExpr(src: Src, text: string): bigint {
    const e = wrap(src, () => parseExpr(text));
    let v = e.constant;
    for (const l of e.labels) {
      const c = this.constants.get(l.name);
      if (c === undefined) throw new AsmError(src.line, src.text, l.name, 'not a constant defined earlier');
      v += l.sign * c;
    }
    return v;
  }
}

function wrap<T>(src: Src, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof OperandError) throw new AsmError(src.line, src.text, e.token, e.reason, e.suggestions);
    throw e;
  }
}

function evaluate(e: Expr, labels: ReadonlyMap<string, bigint>, here: bigint): { value: bigint; labelDependent: boolean } {
  let value = e.constant;
  let labelDependent = false;
  for (const l of e.labels) {
    if (l.name === '$') {
      value += l.sign * here;
      labelDependent = true;
    } else {
      const v = labels.get(l.name);
      if (v === undefined) throw new OperandError(l.name, 'undefined label');
      value += l.sign * v;
      labelDependent = true;
    }
  }
  return { value, labelDependent };
}

function resolve(op: Operand, labels: ReadonlyMap<string, bigint>, here: bigint, bitness: Bitness): Resolved {
  if (op.kind === 'reg') return op;
  if (op.kind === 'imm') return { kind: 'imm', text: op.text, ...evaluate(op.expr, labels, here) };
  const { value, labelDependent } = evaluate(op.disp, labels, here);
  const noRegisters = op.base === Register.None && op.index === Register.None;
  const labelOnly = noRegisters && op.disp.labels.some((l) => l.name !== '$');
  const isRip = op.base === Register.RIP || op.base === Register.EIP;
  return {
    kind: 'mem', text: op.text, size: op.size, segment: op.segment,
    base: labelOnly && bitness === 64 ? Register.RIP : op.base,
    index: op.index, scale: op.scale, disp: value, addressSize: op.addressSize, labelDependent,
    ripOffset: isRip && op.disp.labels.length === 0,
  };
}

function layout(items: Item[], origin: bigint, bitness: Bitness, constants: ReadonlyMap<string, bigint>): Map<string, bigint> {
  const encoder = new Encoder(bitness);
  try {
    let labels = new Map<string, bigint>(constants);
    const previous = new Map<Item, number>();
    for (let pass = 0; pass < 32; pass++) {
      const current = new Map<string, bigint>(constants);
      let addr = origin;
      for (const item of items) {
        switch (item.kind) {
          case 'label':
            current.set(item.name, addr);
            break;
          case 'align': {
            const pad = Number((BigInt(item.boundary) - (addr % BigInt(item.boundary))) % BigInt(item.boundary));
            addr += BigInt(pad);
            break;
          }
          case 'data':
            addr += BigInt(item.bytes.length);
            break;
          case 'ins': {
            // Backward labels are exact in this pass; forward ones come from the previous pass
            // (first pass: assume the label is right here, i.e. near).
            const view: ReadonlyMap<string, bigint> = {
              get: (k: string) => current.get(k) ?? labels.get(k) ?? (pass === 0 ? addr : undefined),
            } as ReadonlyMap<string, bigint>;
            const encodeAt = (): Uint8Array => wrap(item, () => {
              const ops = item.operands.map((o) => resolve(o, view, addr, bitness));
              return selectAndEncode(item.mnemonic, item.forms, ops, item.prefix, item.stringSegment, bitness, addr, item.wide, encoder);
            });
            let bytes = encodeAt();
            const before = previous.get(item);
            if (before !== undefined && before !== bytes.length && !item.wide) {
              item.wide = true;
              bytes = encodeAt();
            }
            previous.set(item, bytes.length);
            item.bytes = bytes;
            addr += BigInt(bytes.length);
            break;
          }
        }
      }
      let settled = pass > 0 && current.size === labels.size;
      if (settled) for (const [k, v] of current) if (labels.get(k) !== v) settled = false;
      labels = current;
      if (settled) return labels;
    }
    throw new AsmError(0, '', 'layout', 'label addresses did not settle');
  } finally {
    encoder.free();
  }
}

function encodeData(item: Item & { kind: 'data' }, labels: ReadonlyMap<string, bigint>, here: bigint): void {
  let off = 0;
  const bits = item.unit * 8;
  for (const v of item.values) {
    if (v instanceof Uint8Array) {
      item.bytes.set(v, off);
      off += v.length;
      continue;
    }
    const { value } = wrap(item, () => evaluate(v, labels, here + BigInt(off)));
    const min = -(1n << BigInt(bits - 1));
    const max = (1n << BigInt(bits)) - 1n;
    if (value < min || value > max) throw new AsmError(item.line, item.text, String(value), `does not fit in ${bits} bits`);
    let u = BigInt.asUintN(bits, value);
    for (let i = 0; i < item.unit; i++) {
      item.bytes[off++] = Number(u & 0xffn);
      u >>= 8n;
    }
  }
}

/** Assemble Intel-syntax source placed at `origin`. Throws AsmError on bad input. */
export function assemble(source: string, origin: bigint | number, options: AssembleOptions = {}): AssembleResult {
  const bitness: Bitness = options.bitness ?? 64;
  const base = BigInt(origin);
  const parser = new Parser(bitness);
  parser.parse(source);
  for (const r of parser.references) {
    if (r.name !== '$' && !parser.labelLines.has(r.name)) throw new AsmError(r.src.line, r.src.text, r.name, 'undefined label');
  }
  const labels = layout(parser.items, base, bitness, parser.constants);

  const chunks: Uint8Array[] = [];
  const placed: { item: Item & { kind: 'ins' }; offset: number }[] = [];
  let offset = 0;
  for (const item of parser.items) {
    if (item.kind === 'label') continue;
    if (item.kind === 'align') {
      const pad = Number((BigInt(item.boundary) - ((base + BigInt(offset)) % BigInt(item.boundary))) % BigInt(item.boundary));
      chunks.push(new Uint8Array(pad).fill(item.fill));
      offset += pad;
      continue;
    }
    if (item.kind === 'data') encodeData(item, labels, base + BigInt(offset));
    else placed.push({ item, offset });
    chunks.push(item.bytes);
    offset += item.bytes.length;
  }
  const bytes = new Uint8Array(offset);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }

  const instructions: AssembledInstruction[] = [];
  const formatter = newIntelFormatter();
  const decoder = new Decoder(bitness, bytes, DecoderOptions.None);
  try {
    for (const { item, offset: off } of placed) {
      decoder.position = off;
      decoder.ip = BigInt.asUintN(64, base + BigInt(off));
      const instr = decoder.decode();
      try {
        if (instr.length !== item.bytes.length) {
          throw new AsmError(item.line, item.text, item.mnemonic, `internal error: encoded ${item.bytes.length} bytes but they decode as ${instr.length}`);
        }
        instructions.push({ offset: off, length: item.bytes.length, text: formatter.format(instr), line: item.line });
      } finally {
        instr.free();
      }
    }
  } finally {
    decoder.free();
    formatter.free();
  }

  const out: Record<string, bigint> = {};
  for (const [k, v] of labels) if (parser.labelLines.has(k) && !parser.constants.has(k)) out[k] = v;
  return { bytes, instructions, labels: out };
}
