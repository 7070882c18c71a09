/**
 * A standard machine set-up on the synchronous core, as a minimal VMM would do it with VMXON, VMCLEAR,
 * VMPTRLD and VMWRITE: a current VMCS that passes every VM-entry check, whose guest is a flat 64-bit ring-0
 * copy of the host (the state reset leaves, src/emulator/reset.ts). Used by the benchmarks and the unit
 * tests, so that both start from the same known-good VMCS and each test breaks exactly one thing.
 */
import { CR4, ENTRY_CTL, EXIT_CTL, F, type VmcsFieldId } from '../arch';
import type { Machine } from './machine';
import type { LogicalProcessor } from './processor';
import { RESET_LAYOUT } from './reset';
import { SEG } from './state';
import { R_SUCCEED } from './vmx/conventions';
import { vmxon } from './vmx/operation';
import { vmclear, vmptrld } from './vmx/vmcs-pointer';
import { vmwrite } from './vmx/vmread-vmwrite';

/** Physical addresses of the standard set-up (all above RESET_LAYOUT.free). */
export const STANDARD = {
  VMXON_REGION: 0x10000,
  VMCS_REGION: 0x11000,
  GUEST_CODE: 0x20000,
  GUEST_STACK: 0x30000,
  HOST_RIP: 0x40000,
  HOST_STACK: 0x48000,
} as const;
const { VMXON_REGION, VMCS_REGION, GUEST_CODE, GUEST_STACK, HOST_RIP, HOST_STACK } = STANDARD;

function expectOk(r: number, what: string): void {
  if (r !== R_SUCCEED) throw new Error(`${what} did not succeed (result ${r})`);
}

/** VMWRITE of a named field, which must succeed (set-up only: not a measured path). */
export function w(cpu: LogicalProcessor, id: VmcsFieldId, value: number | bigint): void {
  const v = BigInt.asUintN(64, BigInt(value));
  expectOk(vmwrite(cpu, F[id], 0, Number(v & 0xffffffffn), Number(v >> 32n)), `VMWRITE ${id}`);
}

export function writeRevision(m: Machine, addr: number, shadow = false): void {
  m.memory.write32(addr, (m.caps.revisionId | (shadow ? 0x80000000 : 0)) >>> 0);
}

/** CR4.VMXE, VMXON, VMCLEAR + VMPTRLD of the standard VMCS region. */
export function enterRoot(m: Machine, cpu: LogicalProcessor = m.cpus[0]): void {
  cpu.regs.cr4 |= CR4.VMXE;
  writeRevision(m, VMXON_REGION);
  writeRevision(m, VMCS_REGION);
  expectOk(vmxon(cpu, VMXON_REGION, 0), 'VMXON');
  expectOk(vmclear(cpu, VMCS_REGION, 0), 'VMCLEAR');
  expectOk(vmptrld(cpu, VMCS_REGION, 0), 'VMPTRLD');
}

/** Fill the current VMCS with a valid configuration; the guest starts at GUEST_CODE. */
export function validVmcs(m: Machine, cpu: LogicalProcessor = m.cpus[0]): void {
  const c = m.caps;
  const reg = cpu.regs;
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
  // Guest state: 64-bit flat ring 0.
  w(cpu, 'GUEST_CR0', reg.cr0);
  w(cpu, 'GUEST_CR3', reg.cr3);
  w(cpu, 'GUEST_CR4', reg.cr4);
  w(cpu, 'GUEST_DR7', 0x400);
  w(cpu, 'GUEST_RFLAGS', 0x2);
  w(cpu, 'GUEST_RIP', GUEST_CODE);
  w(cpu, 'GUEST_RSP', GUEST_STACK);
  const segs: [VmcsFieldId, VmcsFieldId, VmcsFieldId, VmcsFieldId, number, number][] = [
    ['GUEST_ES_SELECTOR', 'GUEST_ES_BASE', 'GUEST_ES_LIMIT', 'GUEST_ES_AR_BYTES', 0x10, 0xc093],
    ['GUEST_CS_SELECTOR', 'GUEST_CS_BASE', 'GUEST_CS_LIMIT', 'GUEST_CS_AR_BYTES', 0x08, 0xa09b],
    ['GUEST_SS_SELECTOR', 'GUEST_SS_BASE', 'GUEST_SS_LIMIT', 'GUEST_SS_AR_BYTES', 0x10, 0xc093],
    ['GUEST_DS_SELECTOR', 'GUEST_DS_BASE', 'GUEST_DS_LIMIT', 'GUEST_DS_AR_BYTES', 0x10, 0xc093],
    ['GUEST_FS_SELECTOR', 'GUEST_FS_BASE', 'GUEST_FS_LIMIT', 'GUEST_FS_AR_BYTES', 0, 0x10000],
    ['GUEST_GS_SELECTOR', 'GUEST_GS_BASE', 'GUEST_GS_LIMIT', 'GUEST_GS_AR_BYTES', 0, 0x10000],
    ['GUEST_LDTR_SELECTOR', 'GUEST_LDTR_BASE', 'GUEST_LDTR_LIMIT', 'GUEST_LDTR_AR_BYTES', 0, 0x10000],
    ['GUEST_TR_SELECTOR', 'GUEST_TR_BASE', 'GUEST_TR_LIMIT', 'GUEST_TR_AR_BYTES', 0x18, 0x8b],
  ];
  for (const [sel, base, limit, ar, s, a] of segs) {
    w(cpu, sel, s);
    w(cpu, base, sel === 'GUEST_TR_SELECTOR' ? RESET_LAYOUT.tss : 0);
    w(cpu, limit, sel === 'GUEST_TR_SELECTOR' ? 0x67 : a === 0x10000 ? 0 : 0xffffffff);
    w(cpu, ar, a);
  }
  w(cpu, 'GUEST_GDTR_BASE', RESET_LAYOUT.gdt);
  w(cpu, 'GUEST_GDTR_LIMIT', RESET_LAYOUT.gdtLimit);
  w(cpu, 'GUEST_IDTR_BASE', RESET_LAYOUT.idt);
  w(cpu, 'GUEST_IDTR_LIMIT', RESET_LAYOUT.idtLimit);
}

