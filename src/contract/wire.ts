/**
 * The wire form of the contract: JSON lines, one request or response per line, validated on both sides
 * against protocol.schema.json. 64-bit values travel as "0x…" strings, byte strings as plain hex.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import schema from './protocol.schema.json';
import {
  ContractError,
  type Capabilities,
  type ExecuteOptions,
  type ImplementationInfo,
  type Instruction,
  type Outcome,
  type PlatformEvent,
  type ResetOptions,
  type StateValues,
  type Diagnosed,
} from './types';

export type OpName =
  | 'hello' | 'reset' | 'writeMemory' | 'readMemory' | 'setState' | 'getState' | 'execute' | 'run'
  | 'deliverEvent' | 'evidence';

/** Which result schema each operation's answer must satisfy. */
export const RESULT_SCHEMA: Record<OpName, keyof typeof schema.results> = {
  hello: 'hello',
  reset: 'reset',
  writeMemory: 'empty',
  readMemory: 'readMemory',
  setState: 'empty',
  getState: 'getState',
  execute: 'outcome',
  run: 'outcome',
  deliverEvent: 'empty',
  evidence: 'evidence',
};

const ajv = new Ajv({ allErrors: false, strict: false });
ajv.addSchema(schema, 'protocol');
const requestValidator = ajv.compile({ $ref: 'protocol#/request' });
const responseValidator = ajv.compile({ $ref: 'protocol#/response' });
const resultValidators = new Map<string, ValidateFunction>();
for (const name of Object.keys(schema.results)) {
  resultValidators.set(name, ajv.compile({ $ref: `protocol#/results/${name}` }));
}

function describe(v: ValidateFunction): string {
  const e = v.errors?.[0];
  if (!e) return 'does not match the schema';
  const where = e.instancePath || '(top level)';
  const extra = e.params && 'additionalProperty' in e.params ? ` "${String(e.params.additionalProperty)}"` : '';
  return `${where} ${e.message ?? 'is invalid'}${extra}`;
}

export function validateRequest(msg: unknown): string | undefined {
  return requestValidator(msg) ? undefined : describe(requestValidator);
}
export function validateResponse(msg: unknown): string | undefined {
  return responseValidator(msg) ? undefined : describe(responseValidator);
}
export function validateResult(op: OpName, result: unknown): string | undefined {
  const v = resultValidators.get(RESULT_SCHEMA[op])!;
  return v(result) ? undefined : describe(v);
}

// ---- scalar codecs -------------------------------------------------------------------------------

export function hex(v: bigint | number): string {
  const b = typeof v === 'bigint' ? v : BigInt(v);
  if (b < 0n || b > 0xffffffffffffffffn) throw new ContractError('bad-request', `value ${v} does not fit in 64 bits unsigned`);
  return '0x' + b.toString(16);
}
export function unhex(s: string): bigint {
  return BigInt(s);
}
export function bytesToHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}
export function hexToBytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'));
}
function mapValues<A, B>(o: Record<string, A>, f: (a: A) => B): Record<string, B> {
  const out: Record<string, B> = {};
  for (const [k, v] of Object.entries(o)) out[k] = f(v);
  return out;
}
export const encodeState = (v: StateValues) => mapValues(v, hex);
export const decodeState = (v: Record<string, string>): StateValues => mapValues(v, unhex);

// ---- structured codecs ---------------------------------------------------------------------------

type WireInstruction = Record<string, unknown> & { mnemonic: string };

export function encodeInstruction(i: Instruction): WireInstruction {
  switch (i.mnemonic) {
    case 'VMXON': case 'VMPTRLD': case 'VMCLEAR':
      return { mnemonic: i.mnemonic, address: hex(i.address) };
    case 'VMREAD':
      return { mnemonic: i.mnemonic, encoding: hex(i.encoding) };
    case 'VMWRITE':
      return { mnemonic: i.mnemonic, encoding: hex(i.encoding), value: hex(i.value) };
    case 'INVEPT': case 'INVVPID':
      return { mnemonic: i.mnemonic, type: hex(i.type), descriptor: [hex(i.descriptor[0]), hex(i.descriptor[1])] };
    case 'CPUID':
      return i.subleaf === undefined ? { mnemonic: i.mnemonic, leaf: i.leaf } : { mnemonic: i.mnemonic, leaf: i.leaf, subleaf: i.subleaf };
    case 'RDMSR':
      return { mnemonic: i.mnemonic, msr: i.msr };
    case 'WRMSR':
      return { mnemonic: i.mnemonic, msr: i.msr, value: hex(i.value) };
    case 'MOV-TO-CR':
      return { mnemonic: i.mnemonic, cr: i.cr, value: hex(i.value) };
    default:
      return { mnemonic: i.mnemonic };
  }
}

/** Inverse of encodeInstruction; the message has already passed schema validation. */
export function decodeInstruction(w: WireInstruction): Instruction {
  const big = (k: string) => unhex(w[k] as string);
  switch (w.mnemonic) {
    case 'VMXON': case 'VMPTRLD': case 'VMCLEAR':
      return { mnemonic: w.mnemonic, address: big('address') };
    case 'VMREAD':
      return { mnemonic: 'VMREAD', encoding: big('encoding') };
    case 'VMWRITE':
      return { mnemonic: 'VMWRITE', encoding: big('encoding'), value: big('value') };
    case 'INVEPT': case 'INVVPID': {
      const d = w.descriptor as string[];
      return { mnemonic: w.mnemonic, type: big('type'), descriptor: [unhex(d[0]), unhex(d[1])] };
    }
    case 'CPUID':
      return { mnemonic: 'CPUID', leaf: w.leaf as number, subleaf: w.subleaf as number | undefined };
    case 'RDMSR':
      return { mnemonic: 'RDMSR', msr: w.msr as number };
    case 'WRMSR':
      return { mnemonic: 'WRMSR', msr: w.msr as number, value: big('value') };
    case 'MOV-TO-CR':
      return { mnemonic: 'MOV-TO-CR', cr: w.cr as 0 | 3 | 4, value: big('value') };
    default:
      return { mnemonic: w.mnemonic as 'VMLAUNCH' };
  }
}

export function encodeOutcome(o: Outcome & Diagnosed): Record<string, unknown> {
  const out: Record<string, unknown> = { ...o };
  if ('value' in o && o.value !== undefined) out.value = hex(o.value);
  if ('values' in o && o.values !== undefined) out.values = encodeState(o.values);
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}
export function decodeOutcome(w: Record<string, unknown>): Outcome & Diagnosed {
  const o = { ...w } as Record<string, unknown>;
  if (typeof o.value === 'string') o.value = unhex(o.value);
  if (o.values) o.values = decodeState(o.values as Record<string, string>);
  return o as unknown as Outcome & Diagnosed;
}

export function encodeCapabilities(c: Capabilities): Record<string, unknown> {
  return { ...c, msrs: encodeState(c.msrs) };
}
export function decodeCapabilities(w: Record<string, unknown>): Capabilities {
  return { ...(w as unknown as Capabilities), msrs: decodeState(w.msrs as Record<string, string>) };
}

/** A request as the client builds it, before it is given an id. */
export type Request =
  | { op: 'hello' }
  | ({ op: 'reset' } & ResetOptions)
  | { op: 'writeMemory'; address: string; data: string }
  | { op: 'readMemory'; address: string; length: number }
  | { op: 'setState'; cpu: number; values: Record<string, string> }
  | { op: 'getState'; cpu: number; names: string[] }
  | ({ op: 'execute'; cpu: number; instruction: WireInstruction } & ExecuteOptions)
  | ({ op: 'run'; cpu: number } & ExecuteOptions)
  | { op: 'deliverEvent'; cpu: number; event: PlatformEvent }
  | { op: 'evidence' };

export type { ImplementationInfo };
