/**
 * The reference VMM's hypercall ABI (docs/hypercalls.md): RAX = call number, RBX/RCX = arguments, result
 * in RAX; the VMM refuses callers at CPL > 0. Serving a call is what a VMM does after a VMCALL exit: read the
 * guest's registers (not switched by VM exits), write the result, advance Guest RIP past VMCALL, resume.
 */
import { vmread, vmwrite } from './vmm';
import type { VmxWorld } from './world';

export const HYPERCALL = { ECHO: 0n, ADD: 1n } as const;
export const HYPERCALL_ERROR = {
  NO_SUCH_CALL: 0xffff_ffff_ffff_ffffn,
  NOT_CPL0: 0xffff_ffff_ffff_fffen,
} as const;

/** CPL of the guest at the VM exit: the DPL of SS (bits 6:5 of "Guest SS access rights", SDM 25.4.1). */
async function guestCpl(world: VmxWorld): Promise<bigint> {
  return (await vmread(world, 'GUEST_SS_AR_BYTES') >> 5n) & 3n;
}

export function hypercallResult(call: bigint, rbx: bigint, rcx: bigint): bigint {
  switch (call) {
    case HYPERCALL.ECHO: return rbx;
    case HYPERCALL.ADD: return BigInt.asUintN(64, rbx + rcx);
    default: return HYPERCALL_ERROR.NO_SUCH_CALL;
  }
}

/** Serve the VMCALL the guest just exited with; the caller resumes the guest. */
export async function serveHypercall(world: VmxWorld): Promise<{ call: bigint; result: bigint }> {
  const { rax, rbx, rcx } = await world.getState(['rax', 'rbx', 'rcx']);
  const result = (await guestCpl(world)) !== 0n ? HYPERCALL_ERROR.NOT_CPL0 : hypercallResult(rax, rbx, rcx);
  await world.setState({ rax: result });
  const rip = await vmread(world, 'GUEST_RIP');
  const length = await vmread(world, 'VM_EXIT_INSTRUCTION_LEN');
  await vmwrite(world, 'GUEST_RIP', rip + length);
  return { call: rax, result };
}
