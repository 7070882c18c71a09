/**
 * The benchmarks' machine: the standard set-up of src/emulator/standard-vmcs.ts (a reference machine in VMX
 * root operation with a current VMCS that passes every VM-entry check), on production code only.
 */
import { Machine } from '../src/emulator/machine';
import { profileByName } from '../src/emulator/profiles';
import type { LogicalProcessor } from '../src/emulator/processor';
import { STANDARD, enterRoot, validVmcs, w } from '../src/emulator/standard-vmcs';

export const { VMXON_REGION, VMCS_REGION, GUEST_CODE, GUEST_STACK, HOST_RIP, HOST_STACK } = STANDARD;
export { w };

/** Put guest code bytes at GUEST_CODE. */
export function guestCode(m: Machine, bytes: number[]): void {
  m.memory.writeBytes(GUEST_CODE, new Uint8Array(bytes));
}

/** A machine in VMX root operation with a valid current VMCS; the guest starts at GUEST_CODE. */
export function readyMachine(profile = 'xeon-sapphire-rapids'): { m: Machine; cpu: LogicalProcessor } {
  const p = profileByName(profile);
  if (p === undefined) throw new Error(`no profile ${profile}`);
  const m = new Machine(p, 1, 32 * 1024 * 1024);
  const cpu = m.cpus[0];
  enterRoot(m, cpu);
  validVmcs(m, cpu);
  return { m, cpu };
}
