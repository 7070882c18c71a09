/**
 * Parameter types: the vocabulary of names a feature file may use. Each resolves the token against the
 * SDM facts in src/arch, so a misspelt field, control, exit reason or instruction fails the step with a
 * message naming the token and the closest valid names.
 *
 * Where a feature states both a number and a name (`10 ("CPUID")`, `15 ("VMXON executed in VMX root
 * operation")`), both are checked: the number is what the step asserts, the name must agree with it.
 */
import { defineParameterType } from '@cucumber/cucumber';
import { lookupControl, type ControlBit } from '../../src/arch/controls';
import { exitReasonInfo, lookupExitReason, type ExitReasonInfo } from '../../src/arch/exit-reasons';
import { normalizeName } from '../../src/arch/names';
import { lookupField, type VmcsField } from '../../src/arch/vmcs-fields';
import { VM_INSTRUCTION_ERRORS } from '../../src/arch/vm-instruction-errors';
import { lookupException } from '../../src/arch/x86';
import { ROOT_MNEMONICS, type Mnemonic } from '../../src/contract/types';
import { NameTable } from '../../src/arch/names';
import { parseNumber } from './format';

defineParameterType({
  name: 'field',
  regexp: /"([^"]+)"/,
  transformer: (token: string): VmcsField => lookupField(token),
});

defineParameterType({
  name: 'control',
  regexp: /"([^"]+)"/,
  transformer: (token: string): ControlBit => lookupControl(token),
});

defineParameterType({
  name: 'value',
  regexp: /(0x[0-9a-fA-F_]+|\d[\d_]*)/,
  transformer: (token: string): bigint => parseNumber(token),
});

defineParameterType({
  name: 'exit-reason',
  regexp: /(\d+) \("([^"]+)"\)/,
  transformer: (num: string, name: string): ExitReasonInfo => {
    const n = Number(num);
    const info = exitReasonInfo(n);
    const named = lookupExitReason(name); // throws with suggestions for an unknown name
    if (!info || named.number !== n) {
      throw new Error(
        `exit reason ${n} ("${name}"): "${name}" is basic exit reason ${named.number} ("${named.name}") in SDM Appendix C` +
          (info ? `, and ${n} is "${info.name}"` : `, and ${n} is not a defined basic exit reason`),
      );
    }
    return info;
  },
});

export interface VmErrorRef {
  number: number;
  description: string;
}

defineParameterType({
  name: 'vm-error',
  regexp: /(\d+) \("([^"]+)"\)/,
  transformer: (num: string, text: string): VmErrorRef => {
    const n = Number(num);
    const e = VM_INSTRUCTION_ERRORS.find((x) => x.number === n);
    if (!e) {
      const known = VM_INSTRUCTION_ERRORS.map((x) => x.number).join(', ');
      throw new Error(`VM-instruction error ${n} is not defined (SDM 31.4 "VM Instruction Error Numbers" defines ${known})`);
    }
    if (!sameWords(text, e.description)) {
      throw new Error(`VM-instruction error ${n} is "${e.description}" (SDM 31.4), but the step says "${text}"`);
    }
    return { number: n, description: e.description };
  },
});

/** A short description matches when it is the SDM text, ignoring case and punctuation. */
function sameWords(a: string, b: string): boolean {
  return normalizeName(a) === normalizeName(b);
}

export interface ExceptionRef {
  vector: number;
  mnemonic: string;
  errorCode?: number;
}

defineParameterType({
  name: 'exception',
  regexp: /(#[A-Z]{2})(?:\((0x[0-9a-fA-F]+|\d+)\))?/,
  transformer: (mnemonic: string, code?: string): ExceptionRef => {
    const ex = lookupException(mnemonic);
    return { vector: ex.vector, mnemonic, errorCode: code === undefined ? undefined : Number(parseNumber(code)) };
  },
});

const MNEMONICS = new NameTable<Mnemonic>('VMM instruction');
for (const m of ROOT_MNEMONICS) MNEMONICS.add(m, m);

defineParameterType({
  name: 'vmm-instruction',
  regexp: /([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*)/,
  transformer: (token: string): Mnemonic => MNEMONICS.get(token),
});

defineParameterType({
  name: 'set-or-clear',
  regexp: /(set|clear)/,
  transformer: (s: string): boolean => s === 'set',
});
