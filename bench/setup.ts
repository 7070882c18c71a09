/**
 * The benchmarks' machine: a reference machine in VMX root operation with a current VMCS that passes every
 * VM-entry check (the guest a flat 64-bit ring-0 copy of the host), built on the synchronous core
 * (src/emulator) as a VMM would build it, with VMXON, VMCLEAR, VMPTRLD and VMWRITE.
 * Kept here (not shared with test/) so the benchmarks depend on nothing but production code.
 */
import { CR4, ENTRY_CTL, EXIT_CTL, F, type VmcsFieldId } from '../src/arch';
import { Machine } from '../src/emulator/machine';
import { profileByName } from '../src/emulator/profiles';
import type { LogicalProcessor } from '../src/emulator/processor';
import { RESET_LAYOUT } from '../src/emulator/reset';
import { SEG } from '../src/emulator/state';
import { R_SUCCEED } from '../src/emulator/vmx/conventions';
import { vmxon } from '../src/emulator/vmx/operation';
import { vmclear, vmptrld } from '../src/emulator/vmx/vmcs-pointer';
import { vmwrite } from '../src/emulator/vmx/vmread-vmwrite';

export const VMXON_REGION = 0x10000;
export const VMCS_REGION = 0x11000;
export const GUEST_CODE = 0x20000;
export const GUEST_STACK = 0x30000;
export const HOST_RIP = 0x40000;
export const HOST_STACK = 0x48000;

function ok(r: number, what: string): void {
  if (r !== R_SUCCEED) throw new Error(`${what} did not succeed (result ${r})`);
}

/** VMWRITE of a named field (setup only: not on a measured path). */
export function w(cpu: LogicalProcessor, id: VmcsFieldId, value: number | bigint): void {
  const v = BigInt.asUintN(64, BigInt(value));
  ok(vmwrite(cpu, F[id], 0, Number(v & 0xffffffffn), Number(v >> 32n)), `VMWRITE ${id}`);
}

/** Put guest code bytes at GUEST_CODE. */
export function guestCode(m: Machine, bytes: number[]): void {
  m.memory.writeBytes(GUEST_CODE, new Uint8Array(bytes));
}

/** A machine (default profile) in VMX root operation with a valid current VMCS; the guest starts at GUEST_CODE. */
export function readyMachine(profile = 'xeon-sapphire-rapids'): { m: Machine; cpu: LogicalProcessor } {
  const p = profileByName(profile);
  if (p === undefined) throw new Error(`no profile ${profile}`);
  const m = new Machine(p, 1, 32 * 1024 * 1024);
  const cpu = m.cpus[0];
  const c = m.caps;
  const reg = cpu.regs;
  // CR4.VMXE, VMXON, VMCLEAR + VMPTRLD.
  reg.cr4 |= CR4.VMXE;
  m.memory.write32(VMXON_REGION, c.revisionId);
  m.memory.write32(VMCS_REGION, c.revisionId);
  ok(vmxon(cpu, VMXON_REGION, 0), 'VMXON');
  ok(vmclear(cpu, VMCS_REGION, 0), 'VMCLEAR');
  ok(vmptrld(cpu, VMCS_REGION, 0), 'VMPTRLD');
  // Controls: the settings every profile requires, a 64-bit host and guest.
  w(cpu, 'PIN_BASED_VM_EXEC_CONTROL', c.pin.must1);
  w(cpu, 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL', c.proc.must1);
  w(cpu, 'VM_EXIT_CONTROLS', c.exit.must1 | EXIT_CTL.HOST_ADDRESS_SPACE_SIZE);
  w(cpu, 'VM_ENTRY_CONTROLS', c.entry.must1 | ENTRY_CTL.IA32E_MODE_GUEST);
  w(cpu, 'VMCS_LINK_POINTER', 0xffffffffffffffffn);
  // Host state: the processor as reset left it.
  w(cpu, 'HOST_CR0', reg.cr0);
  w(cpu, 'HOST_CR3', reg.cr3);
  w(cpu, 'HOST_CR4', reg.cr4);
  w(cpu, 'HOST_CS_SELECTOR', reg.segSelector[SEG.CS]);
  w(cpu, 'HOST_SS_SELECTOR', reg.segSelector[SEG.SS]);
  w(cpu, 'HOST_DS_SELECTOR', reg.segSelector[SEG.DS]);
  w(cpu, 'HOST_ES_SELECTOR', reg.segSelector[SEG.ES]);
  w(cpu, 'HOST_TR_SELECTOR', reg.segSelector[SEG.TR]);
  w(cpu, 'HOST_TR_BASE', RESET_LAYOUT.tss);
  w(cpu, 'HOST_GDTR_BASE', RESET_LAYOUT.gdt);
  w(cpu, 'HOST_IDTR_BASE', RESET_LAYOUT.idt);
  w(cpu, 'HOST_RIP', HOST_RIP);
  w(cpu, 'HOST_RSP', HOST_STACK);
  // Guest state: 64-bit flat ring 0 on the host's page tables.
  w(cpu, 'GUEST_CR0', reg.cr0);
  w(cpu, 'GUEST_CR3', reg.cr3);
  w(cpu, 'GUEST_CR4', reg.cr4);
  w(cpu, 'GUEST_DR7', 0x400);
  w(cpu, 'GUEST_RFLAGS', 0x2);
  w(cpu, 'GUEST_RIP', GUEST_CODE);
  w(cpu, 'GUEST_RSP', GUEST_STACK);
  const segs: [VmcsFieldId, VmcsFieldId, VmcsFieldId, VmcsFieldId, number, number, number, number][] = [
    // selector, base, limit, access-rights fields; selector, base, limit, access rights
    ['GUEST_ES_SELECTOR', 'GUEST_ES_BASE', 'GUEST_ES_LIMIT', 'GUEST_ES_AR_BYTES', 0x10, 0, 0xffffffff, 0xc093],
    ['GUEST_CS_SELECTOR', 'GUEST_CS_BASE', 'GUEST_CS_LIMIT', 'GUEST_CS_AR_BYTES', 0x08, 0, 0xffffffff, 0xa09b],
    ['GUEST_SS_SELECTOR', 'GUEST_SS_BASE', 'GUEST_SS_LIMIT', 'GUEST_SS_AR_BYTES', 0x10, 0, 0xffffffff, 0xc093],
    ['GUEST_DS_SELECTOR', 'GUEST_DS_BASE', 'GUEST_DS_LIMIT', 'GUEST_DS_AR_BYTES', 0x10, 0, 0xffffffff, 0xc093],
    ['GUEST_FS_SELECTOR', 'GUEST_FS_BASE', 'GUEST_FS_LIMIT', 'GUEST_FS_AR_BYTES', 0, 0, 0, 0x10000],
    ['GUEST_GS_SELECTOR', 'GUEST_GS_BASE', 'GUEST_GS_LIMIT', 'GUEST_GS_AR_BYTES', 0, 0, 0, 0x10000],
    ['GUEST_LDTR_SELECTOR', 'GUEST_LDTR_BASE', 'GUEST_LDTR_LIMIT', 'GUEST_LDTR_AR_BYTES', 0, 0, 0, 0x10000],
    ['GUEST_TR_SELECTOR', 'GUEST_TR_BASE', 'GUEST_TR_LIMIT', 'GUEST_TR_AR_BYTES', 0x18, RESET_LAYOUT.tss, 0x67, 0x8b],
  ];
  for (const [sel, base, limit, ar, s, b, l, a] of segs) {
    w(cpu, sel, s);
    w(cpu, base, b);
    w(cpu, limit, l);
    w(cpu, ar, a);
  }
  w(cpu, 'GUEST_GDTR_BASE', RESET_LAYOUT.gdt);
  w(cpu, 'GUEST_GDTR_LIMIT', RESET_LAYOUT.gdtLimit);
  w(cpu, 'GUEST_IDTR_BASE', RESET_LAYOUT.idt);
  w(cpu, 'GUEST_IDTR_LIMIT', RESET_LAYOUT.idtLimit);
  return { m, cpu };
}
