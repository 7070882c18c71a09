/**
 * Validation of contract requests before they reach the processor: every malformed input becomes
 * ContractError('bad-request') with a message naming the bad value (never a TypeError from deeper down).
 */
import { ROOT_MNEMONICS, ContractError, type Instruction } from '../contract/types';

const U64_MAX = 0xffffffffffffffffn;

function bad(message: string): never {
  throw new ContractError('bad-request', message);
}

function u64(what: string, v: unknown): bigint {
  if (typeof v !== 'bigint') bad(`${what} must be a bigint, not ${v === null ? 'null' : typeof v}`);
  if (v < 0n || v > U64_MAX) bad(`${what} ${v.toString()} is outside 0…2^64-1`);
  return v;
}

function u32(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    bad(`${what} must be an integer in 0…0xffffffff, not ${String(v)}`);
  }
  return v;
}

/** Check the shape of an Instruction; returns it typed. */
export function validateInstruction(instr: unknown): Instruction {
  if (instr === null || typeof instr !== 'object' || Array.isArray(instr)) bad(`instruction must be an object, not ${String(instr)}`);
  const o = instr as Record<string, unknown>;
  const m = o.mnemonic;
  if (typeof m !== 'string' || !(ROOT_MNEMONICS as readonly string[]).includes(m)) {
    bad(`unknown instruction mnemonic ${JSON.stringify(m)}; expected one of ${ROOT_MNEMONICS.join(', ')}`);
  }
  switch (m) {
    case 'VMXON':
    case 'VMPTRLD':
    case 'VMCLEAR':
      u64(`${m} address`, o.address);
      break;
    case 'VMREAD':
      u64('VMREAD encoding', o.encoding);
      break;
    case 'VMWRITE':
      u64('VMWRITE encoding', o.encoding);
      u64('VMWRITE value', o.value);
      break;
    case 'INVEPT':
    case 'INVVPID':
      u64(`${m} type`, o.type);
      if (!Array.isArray(o.descriptor) || o.descriptor.length !== 2) bad(`${m} descriptor must be [bits 63:0, bits 127:64]`);
      u64(`${m} descriptor[0]`, o.descriptor[0]);
      u64(`${m} descriptor[1]`, o.descriptor[1]);
      break;
    case 'CPUID':
      u32('CPUID leaf', o.leaf);
      if (o.subleaf !== undefined) u32('CPUID subleaf', o.subleaf);
      break;
    case 'RDMSR':
      u32('RDMSR msr', o.msr);
      break;
    case 'WRMSR':
      u32('WRMSR msr', o.msr);
      u64('WRMSR value', o.value);
      break;
    case 'MOV-TO-CR':
      if (o.cr !== 0 && o.cr !== 3 && o.cr !== 4) bad(`MOV-TO-CR cr must be 0, 3 or 4, not ${String(o.cr)}`);
      u64('MOV-TO-CR value', o.value);
      break;
  }
  return instr as Instruction;
}

/** maxSteps: a non-negative safe integer; default given by the caller. */
export function validateMaxSteps(options: unknown, fallback: number): number {
  if (options === undefined || options === null) return fallback;
  if (typeof options !== 'object') bad(`execute options must be an object, not ${typeof options}`);
  const v = (options as { maxSteps?: unknown }).maxSteps;
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) bad(`maxSteps must be a non-negative integer, not ${String(v)}`);
  return v;
}

/** afterMovSs: a boolean, meaningful for VMLAUNCH/VMRESUME only. */
export function validateAfterMovSs(options: unknown, mnemonic: string): boolean {
  if (options === undefined || options === null || typeof options !== 'object') return false;
  const v = (options as { afterMovSs?: unknown }).afterMovSs;
  if (v === undefined || v === false) return false;
  if (v !== true) bad(`afterMovSs must be a boolean, not ${String(v)}`);
  if (mnemonic !== 'VMLAUNCH' && mnemonic !== 'VMRESUME') bad(`afterMovSs applies to VMLAUNCH and VMRESUME, not ${mnemonic}`);
  return true;
}

export function lo32(v: bigint): number {
  return Number(v & 0xffffffffn);
}
export function hi32(v: bigint): number {
  return Number((v >> 32n) & 0xffffffffn);
}
