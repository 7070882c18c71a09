/**
 * Operand syntax (Intel): registers, immediates/expressions, memory references
 * `[size ptr] [seg:][base + index*scale + disp]`.
 */
import { Register } from 'iced-x86';
import { OperandError } from './errors';
import { lookupRegister, type RegInfo } from './registers';

/** `constant + Σ sign·label`; the label `$` is the address of the current instruction. */
export interface Expr {
  readonly constant: bigint;
  readonly labels: readonly { readonly name: string; readonly sign: 1n | -1n }[];
}

export type Operand =
  | { readonly kind: 'reg'; readonly text: string; readonly info: RegInfo }
  | { readonly kind: 'imm'; readonly text: string; readonly expr: Expr }
  | {
      readonly kind: 'mem';
      readonly text: string;
      /** Bytes from `byte/word/dword/qword/fword/tbyte/xmmword ptr`; 0 when not given. */
      readonly size: number;
      readonly segment: Register;
      readonly base: Register;
      readonly index: Register;
      readonly scale: number;
      readonly disp: Expr;
      /** Size of the address registers (2, 4 or 8 bytes), 0 when there are none. */
      readonly addressSize: number;
    };

const SIZE_KEYWORDS: Record<string, number> = {
  byte: 1, word: 2, dword: 4, fword: 6, qword: 8, tbyte: 10, tword: 10, oword: 16, xmmword: 16,
};

const LABEL_RE = /^[A-Za-z_.@][\w.@$]*$/;

export function isLabelName(s: string): boolean {
  return LABEL_RE.test(s) && lookupRegister(s) === undefined && !(s.toLowerCase() in SIZE_KEYWORDS);
}

/** A numeric literal: decimal, 0x hex, 0b binary, NASM-style trailing h, or a character 'c'. */
export function parseNumber(s: string): bigint | undefined {
  const t = s.replace(/_/g, '');
  if (/^0x[0-9a-f]+$/i.test(t)) return BigInt(t);
  if (/^0b[01]+$/i.test(t)) return BigInt(t);
  if (/^[0-9]+$/.test(t)) return BigInt(t);
  if (/^[0-9][0-9a-f]*h$/i.test(t)) return BigInt('0x' + t.slice(0, -1));
  if (/^'.'$/.test(s) || /^".{1}"$/.test(s)) return BigInt(s.charCodeAt(1));
  return undefined;
}

/** Split `a + b - c` into signed terms (a leading sign is allowed). */
function splitTerms(s: string): { sign: 1n | -1n; text: string }[] {
  const out: { sign: 1n | -1n; text: string }[] = [];
  let sign: 1n | -1n = 1n;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '\'' || ch === '"') {
      const end = s.indexOf(ch, i + 1);
      if (end < 0) throw new OperandError(s, 'unterminated character literal');
      cur += s.slice(i, end + 1);
      i = end;
    } else if (ch === '+' || ch === '-') {
      const neg: 1n | -1n = ch === '-' ? -1n : 1n;
      if (cur.trim() !== '') {
        out.push({ sign, text: cur.trim() });
        sign = neg;
      } else {
        sign = (sign * neg) as 1n | -1n; // unary sign: "-5", "a + -b"
      }
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (cur.trim() === '') throw new OperandError(s, 'missing term in expression');
  out.push({ sign, text: cur.trim() });
  return out;
}

function termValue(text: string, whole: string): { value?: bigint; label?: string } {
  const n = parseNumber(text);
  if (n !== undefined) return { value: n };
  if (text === '$' || isLabelName(text)) return { label: text };
  throw new OperandError(text, `bad term in '${whole}'`);
}

export function parseExpr(s: string): Expr {
  let constant = 0n;
  const labels: { name: string; sign: 1n | -1n }[] = [];
  for (const t of splitTerms(s)) {
    const v = termValue(t.text, s);
    if (v.value !== undefined) constant += t.sign * v.value;
    else labels.push({ name: v.label!, sign: t.sign });
  }
  return { constant, labels };
}

function parseMemory(text: string, inner: string, size: number, segment: Register): Operand {
  let seg = segment;
  const colon = inner.indexOf(':');
  if (colon >= 0) {
    const sreg = lookupRegister(inner.slice(0, colon).trim());
    if (sreg === undefined || sreg.cls !== 'seg') throw new OperandError(inner.slice(0, colon).trim(), 'bad segment override');
    seg = sreg.reg;
    inner = inner.slice(colon + 1);
  }
  let base = Register.None;
  let index = Register.None;
  let scale = 1;
  let addressSize = 0;
  let constant = 0n;
  const labels: { name: string; sign: 1n | -1n }[] = [];
  const useReg = (r: RegInfo, tok: string): void => {
    if (r.cls !== 'gpr16' && r.cls !== 'gpr32' && r.cls !== 'gpr64' && r.cls !== 'ip') {
      throw new OperandError(tok, 'not an address register');
    }
    if (addressSize !== 0 && addressSize !== r.size) throw new OperandError(tok, 'mixed address sizes');
    addressSize = r.size;
  };
  for (const t of splitTerms(inner)) {
    const star = t.text.indexOf('*');
    if (star >= 0) {
      const a = t.text.slice(0, star).trim();
      const b = t.text.slice(star + 1).trim();
      const ra = lookupRegister(a);
      const rb = lookupRegister(b);
      const reg = ra ?? rb;
      const num = parseNumber(ra ? b : a);
      if (reg === undefined || num === undefined) {
        // constant * constant
        const x = parseNumber(a);
        const y = parseNumber(b);
        if (x === undefined || y === undefined) throw new OperandError(t.text, 'bad scaled index');
        constant += t.sign * x * y;
        continue;
      }
      if (t.sign < 0n) throw new OperandError(t.text, 'an index register cannot be subtracted');
      if (![1n, 2n, 4n, 8n].includes(num)) throw new OperandError(t.text, 'scale must be 1, 2, 4 or 8');
      if (index !== Register.None) throw new OperandError(t.text, 'two index registers');
      useReg(reg, t.text);
      index = reg.reg;
      scale = Number(num);
      continue;
    }
    const r = lookupRegister(t.text);
    if (r !== undefined) {
      if (t.sign < 0n) throw new OperandError(t.text, 'a register cannot be subtracted');
      useReg(r, t.text);
      if (base === Register.None && r.cls === 'ip') base = r.reg;
      else if (base === Register.None && index === Register.None) base = r.reg;
      else if (index === Register.None && r.cls !== 'ip') index = r.reg;
      else throw new OperandError(t.text, 'too many registers in memory operand');
      continue;
    }
    const v = termValue(t.text, inner);
    if (v.value !== undefined) constant += t.sign * v.value;
    else labels.push({ name: v.label!, sign: t.sign });
  }
  if (index === Register.RSP || index === Register.ESP) throw new OperandError(text, 'rsp cannot be an index register');
  return { kind: 'mem', text, size, segment: seg, base, index, scale, disp: { constant, labels }, addressSize };
}

/** Parse one operand. */
export function parseOperand(raw: string): Operand {
  const text = raw.trim();
  if (text === '') throw new OperandError(raw, 'empty operand');
  let rest = text;
  let size = 0;
  const m = /^(\w+)\s+ptr\b\s*(.*)$/i.exec(rest) ?? /^(byte|word|dword|qword|fword|tbyte|tword|oword|xmmword)\s+(\[.*|\w+:\s*\[.*)$/i.exec(rest);
  if (m) {
    const s = SIZE_KEYWORDS[m[1].toLowerCase()];
    if (s === undefined) throw new OperandError(m[1], 'unknown operand size');
    size = s;
    rest = m[2].trim();
  }
  let segment = Register.None;
  const segm = /^(\w+)\s*:\s*(\[.*)$/.exec(rest);
  if (segm) {
    const sreg = lookupRegister(segm[1]);
    if (sreg === undefined || sreg.cls !== 'seg') throw new OperandError(segm[1], 'bad segment override');
    segment = sreg.reg;
    rest = segm[2];
  }
  if (rest.startsWith('[')) {
    if (!rest.endsWith(']')) throw new OperandError(text, 'missing ]');
    return parseMemory(text, rest.slice(1, -1), size, segment);
  }
  if (size !== 0) throw new OperandError(text, 'a size keyword needs a memory operand');
  const r = lookupRegister(rest);
  if (r !== undefined) return { kind: 'reg', text, info: r };
  return { kind: 'imm', text, expr: parseExpr(rest) };
}

/** Split an operand list at top-level commas (not inside brackets or quotes). */
export function splitOperands(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '\'' || ch === '"') {
      const end = s.indexOf(ch, i + 1);
      if (end < 0) throw new OperandError(s.slice(i), 'unterminated string');
      cur += s.slice(i, end + 1);
      i = end;
      continue;
    }
    if (ch === '[') depth++;
    if (ch === ']') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (cur.trim() !== '' || out.length > 0) out.push(cur.trim());
  return out;
}
