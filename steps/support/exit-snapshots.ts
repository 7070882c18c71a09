/**
 * What a VMM sees at each VM exit of a long guest run: the exit information, the guest-state and host-state
 * areas read with VMREAD, and the logical processor's own registers (which after a VM exit are the host's,
 * except the general-purpose registers other than RSP, which no VM exit touches: SDM Vol. 3C 28.3 "Saving
 * Guest State" and 28.5 "Loading Host State" list everything a VM exit saves and loads, and RAX–R15 other
 * than RSP are not among them).
 *
 * A run is recorded first and asserted afterwards, so that one scenario can state several independent
 * expectations (registers, guest-state area, host state) about every exit.
 */
import { VMCS_FIELDS, type VmcsField } from '../../src/arch/vmcs-fields';
import type { AssembledInstruction } from '../../src/asm/index';
import { hexOf } from './format';
import { LAYOUT } from './vmm';
import type { TracedOutcome, VmxWorld } from './world';

export const GPRS = [
  'rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15',
] as const;

/** Processor state captured at every exit: GPRs, and every register the host-state area loads. */
export const CAPTURED_STATE = [
  ...GPRS, 'rip', 'rflags', 'cr0', 'cr3', 'cr4',
  'es.selector', 'cs.selector', 'ss.selector', 'ds.selector', 'fs.selector', 'gs.selector', 'tr.selector',
  'fs.base', 'gs.base', 'tr.base', 'gdtr.base', 'idtr.base', 'msr:0x174', 'msr:0x175', 'msr:0x176',
];

export interface ExitSnapshot {
  /** 1-based number of the exit in the run. */
  number: number;
  outcome: TracedOutcome;
  /** VMREAD values by field encoding (fields the implementation does not support are absent). */
  fields: Map<number, bigint>;
  state: Record<string, bigint>;
}

/** Fields read at every exit: exit information, the whole guest-state and host-state areas. */
function snapshotFields(): VmcsField[] {
  return VMCS_FIELDS.filter((f) => f.access === 'full' &&
    (f.type === 'guest-state' || f.type === 'host-state' || f.type === 'VM-exit information'));
}

export async function snapshotExit(world: VmxWorld, number: number, outcome: TracedOutcome): Promise<ExitSnapshot> {
  const fields = new Map<number, bigint>();
  if (outcome.kind === 'vm-exit') {
    for (const f of snapshotFields()) {
      // Straight from the implementation: a field it does not support is simply not recorded.
      const o = await world.impl.execute(world.cpu, { mnemonic: 'VMREAD', encoding: BigInt(f.encoding) });
      if (o.kind === 'VMsucceed' && o.value !== undefined) fields.set(f.encoding, o.value);
    }
  }
  const state = await world.getState(CAPTURED_STATE);
  return { number, outcome, fields, state };
}

export function describeSnapshot(s: ExitSnapshot): string {
  if (s.outcome.kind !== 'vm-exit') return `run ${s.number} ended in ${JSON.stringify(s.outcome, (_k, v) => (typeof v === 'bigint' ? hexOf(v) : v))}`;
  const reason = s.outcome.exitReason;
  const rip = s.fields.get(0x681e);
  const info = s.fields.get(0x4404);
  return `exit ${s.number}: exit reason ${hexOf(reason)} (basic ${reason & 0xffff})` +
    (rip !== undefined ? ` at Guest RIP ${hexOf(rip)}` : '') +
    ((reason & 0xffff) === 0 && info !== undefined ? `, VM-exit interruption information ${hexOf(info)}` : '');
}

/** The address of the guest's unique instruction with this mnemonic ("vmcall"), from the assembled listing. */
export function guestInstructionAddress(world: VmxWorld, mnemonic: string): bigint {
  const listing = world.memo.get('guestInstructions') as AssembledInstruction[] | undefined;
  if (!listing) throw new Error('no guest code has been given in this scenario ("Given the guest code is:")');
  const m = mnemonic.trim().toLowerCase();
  const hits = listing.filter((i) => i.text.split(/\s+/)[0] === m);
  if (hits.length !== 1) {
    throw new Error(`the guest code has ${hits.length} "${m}" instructions; the step needs exactly one to name an address`);
  }
  return LAYOUT.guestCode + BigInt(hits[0].offset);
}
