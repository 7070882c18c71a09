/**
 * Test fixture: the standard set-up of src/emulator/standard-vmcs.ts (a reference machine in VMX root
 * operation with a current VMCS that passes every VM-entry check), plus helpers the tests share.
 * Uses the synchronous core directly.
 */
import { F, type VmcsFieldId } from '../../src/arch';
import { Machine } from '../../src/emulator/machine';
import { profileByName, type Profile } from '../../src/emulator/profiles';
import type { LogicalProcessor } from '../../src/emulator/processor';
import { vmread } from '../../src/emulator/vmx/vmread-vmwrite';
import { R_SUCCEED } from '../../src/emulator/vmx/conventions';
import { STANDARD, enterRoot, validVmcs, w, writeRevision } from '../../src/emulator/standard-vmcs';

export const { VMXON_REGION, VMCS_REGION, GUEST_CODE, GUEST_STACK, HOST_RIP, HOST_STACK } = STANDARD;
export const VMCS_REGION_2 = 0x12000;
export { enterRoot, validVmcs, w, writeRevision };

export function newMachine(profile = 'xeon-sapphire-rapids', processors = 1): Machine {
  const p = profileByName(profile);
  if (p === undefined) throw new Error(`no profile ${profile}`);
  return new Machine(p, processors, 32 * 1024 * 1024);
}

function expectOk(r: number, what: string): void {
  if (r !== R_SUCCEED) throw new Error(`${what} did not succeed (result ${r})`);
}

export function r(cpu: LogicalProcessor, id: VmcsFieldId): bigint {
  expectOk(vmread(cpu, F[id], 0), `VMREAD ${id}`);
  return (BigInt(cpu.readHi >>> 0) << 32n) | BigInt(cpu.readLo >>> 0);
}

/** Put guest code bytes at GUEST_CODE. */
export function guestCode(m: Machine, bytes: number[]): void {
  m.memory.writeBytes(GUEST_CODE, new Uint8Array(bytes));
}

/** A machine in root operation with a valid current VMCS. */
export function readyMachine(profile = 'xeon-sapphire-rapids'): { m: Machine; cpu: LogicalProcessor } {
  const m = newMachine(profile);
  const cpu = m.cpus[0];
  enterRoot(m, cpu);
  validVmcs(m, cpu);
  return { m, cpu };
}

/**
 * A test-only profile on which every control may be 1 (allowed-1 all ones), so rules about features no
 * shipped profile offers (APIC virtualization, posted interrupts, PML, #VE …) can be exercised. `overrides`
 * replaces other profile facts (e.g. the processor features outside VMX).
 */
let variants = 0;
export function permissiveMachine(overrides: Partial<Profile> = {}): { m: Machine; cpu: LogicalProcessor } {
  const base = profileByName('xeon-sapphire-rapids')!;
  const msrs = new Map(base.vmxMsrs);
  const all1 = (addr: number) => msrs.set(addr, (0xffffffffn << 32n) | (msrs.get(addr)! & 0xffffffffn));
  for (const a of [0x481, 0x482, 0x483, 0x484, 0x48b, 0x48d, 0x48e, 0x48f, 0x490]) all1(a);
  // Keep the reserved bits that must be 0 (primary bit 0 and 18 excepted: every bit allowed here).
  // Capabilities are cached by profile name (machine.ts), so a variant needs a name of its own.
  const name = Object.keys(overrides).length === 0 ? 'permissive-test' : `permissive-test-${++variants}`;
  const m = new Machine({ ...base, vmxMsrs: msrs, ...overrides, name }, 1, 32 * 1024 * 1024);
  const cpu = m.cpus[0];
  enterRoot(m, cpu);
  validVmcs(m, cpu);
  return { m, cpu };
}

/** Assemble Intel-syntax guest code at GUEST_CODE. */
export function guestAsm(m: Machine, source: string): void {
  // Imported lazily so that tests not running guests do not load the assembler.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { assemble } = require('../../src/asm') as typeof import('../../src/asm');
  m.memory.writeBytes(GUEST_CODE, assemble(source, GUEST_CODE).bytes);
}
