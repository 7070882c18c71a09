/**
 * The reference emulator's translation caching (src/emulator/x86/tlb.ts) against SDM Vol. 3C 29.4 "Caching
 * Translation Information" and Vol. 3A 4.10.4 "Invalidation of TLBs and Paging-Structure Caches": for each
 * operation that must invalidate cached mappings, a VMM (or guest) changes a translation and
 *  - without the operation the guest goes on using the old translation: what this emulator does, as a real
 *    processor may (the SDM does not require a stale translation to be used, so this is documented here and
 *    never asserted by a feature);
 *  - with it the guest uses the new translation, as the SDM requires (29.4.3.1, 4.10.4.1).
 * And the operations that need not invalidate (29.4.3.2) leave the old translation in use.
 *
 * The guest's page tables map the first GiB with 2-MByte pages (identity); the tests change the entry for
 * linear 800000H from physical 800000H (which holds 1111H) to A00000H (2222H). With EPT the VMM's EPT
 * identity-maps the first GiB with 2-MByte pages, and the EPT tests change the entry for guest-physical 800000H.
 */
import { describe, it } from 'node:test';
import { expect } from 'chai';
import { CR4, EXIT, PROC, PROC2 } from '../../src/arch';
import { vmLaunchOrResume } from '../../src/emulator/entry/vm-entry';
import type { Machine } from '../../src/emulator/machine';
import type { LogicalProcessor } from '../../src/emulator/processor';
import { R_SUCCEED, R_VM_EXIT } from '../../src/emulator/vmx/conventions';
import { invept, invvpid } from '../../src/emulator/vmx/invalidation';
import { vmxoff, vmxon } from '../../src/emulator/vmx/operation';
import { vmclear, vmptrld } from '../../src/emulator/vmx/vmcs-pointer';
import { VMCS_REGION, VMXON_REGION, guestAsm, r, readyMachine, w } from './fixture';

const PML4 = 0x100000;
const PDPT = 0x101000;
const PD = 0x102000;
/** The guest's page-directory entry for linear 800000H. */
const PDE_800000 = PD + 4 * 8;
const OLD = 0x800000;
const NEW = 0xa00000;
/** Two EPTs (identity maps), at 110000H and 120000H. */
const EPT_A = 0x110000;
const EPT_B = 0x120000;
const eptp = (pml4: number) => pml4 | 6 | (3 << 3);
/** The EPT PDE for guest-physical 800000H in the EPT at `pml4`. */
const eptPde = (pml4: number) => pml4 + 0x2000 + 4 * 8;
const EPT_LEAF = 7 | (6 << 3) | 0x80; // RWX, WB, 2-MByte page

interface Guest {
  m: Machine;
  cpu: LogicalProcessor;
}

/**
 * A guest that reads the qword at 800000H into RAX, exits with VMCALL, and reads it again into RBX (then exits
 * again). `global`: CR4.PGE = 1 and every page global. `vpid`: "enable VPID" with that VPID (0: disabled).
 * `ept`: the EPTP (0: no EPT). `code`: other guest code.
 */
function guest(opts: { vpid?: number; ept?: number; global?: boolean; code?: string } = {}): Guest {
  const { m, cpu } = readyMachine();
  const mem = m.memory;
  mem.write64(OLD, 0x1111n);
  mem.write64(NEW, 0x2222n);
  mem.write64(PML4, BigInt(PDPT | 0x23));
  mem.write64(PDPT, BigInt(PD | 0x23));
  for (let i = 0; i < 512; i++) mem.write64(PD + i * 8, BigInt(i * 0x200000 + (0xe3 | (opts.global ? 0x100 : 0))));
  for (const e of [EPT_A, EPT_B]) {
    mem.write64(e, BigInt(e + 0x1000 + 7));
    mem.write64(e + 0x1000, BigInt(e + 0x2000 + 7));
    for (let i = 0; i < 512; i++) mem.write64(e + 0x2000 + i * 8, BigInt(i * 0x200000 + EPT_LEAF));
  }
  w(cpu, 'GUEST_CR3', PML4);
  if (opts.global) w(cpu, 'GUEST_CR4', cpu.regs.cr4 | CR4.PGE);
  const vpid = opts.vpid ?? 0;
  const ept = opts.ept ?? 0;
  let p2 = 0;
  if (vpid !== 0) {
    p2 |= PROC2.ENABLE_VPID;
    w(cpu, 'VIRTUAL_PROCESSOR_ID', vpid);
  }
  if (ept !== 0) {
    p2 |= PROC2.ENABLE_EPT;
    w(cpu, 'EPT_POINTER', ept);
  }
  w(cpu, 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL', (m.caps.proc.must1 | PROC.ACTIVATE_SECONDARY_CONTROLS) >>> 0);
  w(cpu, 'SECONDARY_VM_EXEC_CONTROL', p2);
  guestAsm(m, opts.code ?? 'mov rax, qword ptr [0x800000]\nvmcall\nmov rbx, qword ptr [0x800000]\nvmcall');
  return { m, cpu };
}

function expectVmcall(g: Guest, r0: number): void {
  expect(r0, g.cpu.failedRule ?? '').to.equal(R_VM_EXIT);
  expect(Number(r(g.cpu, 'VM_EXIT_REASON'))).to.equal(EXIT.VMCALL);
}

/** VMLAUNCH: the guest reads 1111H and exits. Returns the address of the VMCALL (to run the second read again). */
function firstRun(g: Guest): bigint {
  expectVmcall(g, vmLaunchOrResume(g.m, g.cpu, true, 1000));
  expect(g.cpu.regs.getGpr(0)).to.equal(0x1111n);
  return r(g.cpu, 'GUEST_RIP');
}

/** The second read once more: resume after the first VMCALL (at `vmcall`). */
function secondReadAgain(g: Guest, vmcall: bigint): bigint {
  w(g.cpu, 'GUEST_RIP', vmcall);
  return secondRead(g);
}

/** Skip the VMCALL and VMRESUME: what the guest's second read returned. */
function secondRead(g: Guest): bigint {
  w(g.cpu, 'GUEST_RIP', r(g.cpu, 'GUEST_RIP') + r(g.cpu, 'VM_EXIT_INSTRUCTION_LEN'));
  expectVmcall(g, vmLaunchOrResume(g.m, g.cpu, false, 1000));
  return g.cpu.regs.getGpr(3);
}

/** The VMM points the guest's PDE for linear 800000H at physical A00000H (a write to memory, nothing more). */
function remapGuestPage(g: Guest): void {
  g.m.memory.write64(PDE_800000, BigInt(NEW | 0xe3) | (g.m.memory.read64(PDE_800000) & 0x100n));
}

/** The VMM points its EPT entry for guest-physical 800000H at host-physical A00000H. */
function remapEpt(g: Guest, pml4 = EPT_A): void {
  g.m.memory.write64(eptPde(pml4), BigInt(NEW + EPT_LEAF));
}

function ok(result: number): void {
  expect(result).to.equal(R_SUCCEED);
}

const INVVPID = (g: Guest, type: number, vpid: number, la = 0) => ok(invvpid(g.cpu, type, 0, vpid, 0, la, 0));
const INVEPT = (g: Guest, type: number, pointer: number) => ok(invept(g.cpu, type, 0, pointer, 0));

describe('translation caching: VM entries and exits (SDM 29.4.3.1, 29.4.3.2)', () => {
  it('with "enable VPID" 0 the VM entry invalidates VPID 0000H\'s mappings: the guest reads the new page', () => {
    const g = guest();
    firstRun(g);
    remapGuestPage(g);
    expect(secondRead(g)).to.equal(0x2222n);
  });
  it('with "enable VPID" 1 entries and exits keep the guest\'s linear mappings: without INVVPID it reads the old page', () => {
    const g = guest({ vpid: 1 });
    firstRun(g);
    remapGuestPage(g);
    expect(secondRead(g)).to.equal(0x1111n);
  });
  it('with VPID and EPT they keep its combined mappings too (stale without an invalidation)', () => {
    const g = guest({ vpid: 1, ept: eptp(EPT_A) });
    firstRun(g);
    remapGuestPage(g);
    expect(secondRead(g)).to.equal(0x1111n);
  });
  it('VMXOFF and VMXON invalidate nothing (29.4.3.2): after them and a new VMLAUNCH the guest reads the old page', () => {
    const g = guest({ vpid: 1 });
    firstRun(g);
    remapGuestPage(g);
    const rip = r(g.cpu, 'GUEST_RIP') + r(g.cpu, 'VM_EXIT_INSTRUCTION_LEN');
    ok(vmclear(g.cpu, VMCS_REGION, 0));
    ok(vmxoff(g.cpu));
    ok(vmxon(g.cpu, VMXON_REGION, 0));
    ok(vmptrld(g.cpu, VMCS_REGION, 0));
    w(g.cpu, 'GUEST_RIP', rip);
    expectVmcall(g, vmLaunchOrResume(g.m, g.cpu, true, 1000));
    expect(g.cpu.regs.getGpr(3)).to.equal(0x1111n);
  });
  it('a guest with another VPID has mappings of its own: it reads the new page while VPID 1 still reads the old one', () => {
    const g = guest({ vpid: 1 });
    const vmcall = firstRun(g);
    remapGuestPage(g);
    w(g.cpu, 'VIRTUAL_PROCESSOR_ID', 2);
    expect(secondRead(g)).to.equal(0x2222n);
    w(g.cpu, 'VIRTUAL_PROCESSOR_ID', 1);
    expect(secondReadAgain(g, vmcall)).to.equal(0x1111n);
  });
});

describe('translation caching: INVVPID (SDM 29.4.3.1, 31.3)', () => {
  it('individual-address (0) for the VPID and the address: new page; for another address or another VPID: old page', () => {
    const a = guest({ vpid: 1 });
    firstRun(a);
    remapGuestPage(a);
    INVVPID(a, 0, 1, 0x800000);
    expect(secondRead(a)).to.equal(0x2222n);
    const b = guest({ vpid: 1 });
    firstRun(b);
    remapGuestPage(b);
    INVVPID(b, 0, 1, 0x600000);
    INVVPID(b, 0, 2, 0x800000);
    expect(secondRead(b)).to.equal(0x1111n);
  });
  it('individual-address invalidates every 4-KByte piece of the 2-MByte translation (Vol. 3A 4.10.4.1)', () => {
    const g = guest({ vpid: 1, code: 'mov rax, qword ptr [0x800000]\nmov rdx, qword ptr [0x9ff000]\nvmcall\nmov rbx, qword ptr [0x800000]\nvmcall' });
    firstRun(g);
    remapGuestPage(g);
    INVVPID(g, 0, 1, 0x9ff000);
    expect(secondRead(g)).to.equal(0x2222n);
  });
  it('single-context (1) for the VPID: new page; for another VPID: old page', () => {
    const a = guest({ vpid: 1 });
    firstRun(a);
    remapGuestPage(a);
    INVVPID(a, 1, 1);
    expect(secondRead(a)).to.equal(0x2222n);
    const b = guest({ vpid: 1 });
    firstRun(b);
    remapGuestPage(b);
    INVVPID(b, 1, 2);
    expect(secondRead(b)).to.equal(0x1111n);
  });
  it('all-context (2): new page', () => {
    const g = guest({ vpid: 1 });
    firstRun(g);
    remapGuestPage(g);
    INVVPID(g, 2, 0);
    expect(secondRead(g)).to.equal(0x2222n);
  });
  it('single-context-retaining-globals (3): new page for a non-global translation, old page for a global one', () => {
    const a = guest({ vpid: 1 });
    firstRun(a);
    remapGuestPage(a);
    INVVPID(a, 3, 1);
    expect(secondRead(a)).to.equal(0x2222n);
    const b = guest({ vpid: 1, global: true });
    const vmcall = firstRun(b);
    remapGuestPage(b);
    INVVPID(b, 3, 1);
    expect(secondRead(b)).to.equal(0x1111n);
    INVVPID(b, 1, 1); // single-context takes global translations too
    expect(secondReadAgain(b, vmcall)).to.equal(0x2222n);
  });
  it('INVVPID invalidates combined mappings but not guest-physical ones (29.4.3.2): an EPT change needs INVEPT', () => {
    const a = guest({ vpid: 1, ept: eptp(EPT_A) });
    firstRun(a);
    remapGuestPage(a);
    INVVPID(a, 1, 1);
    expect(secondRead(a), 'guest page-table change + INVVPID').to.equal(0x2222n);
    const b = guest({ vpid: 1, ept: eptp(EPT_A) });
    firstRun(b);
    remapEpt(b);
    INVVPID(b, 1, 1);
    expect(secondRead(b), 'EPT change + INVVPID').to.equal(0x1111n);
  });
});

describe('translation caching: INVEPT (SDM 29.4.3.1, 31.3)', () => {
  it('without INVEPT an EPT change is not seen, even with "enable VPID" 0 (guest-physical mappings survive entries and exits)', () => {
    const g = guest({ ept: eptp(EPT_A) });
    firstRun(g);
    remapEpt(g);
    expect(secondRead(g)).to.equal(0x1111n);
  });
  it('single-context (1) for the EPTP: new page; for another EPTP: old page', () => {
    const a = guest({ vpid: 1, ept: eptp(EPT_A) });
    firstRun(a);
    remapEpt(a);
    INVEPT(a, 1, eptp(EPT_A));
    expect(secondRead(a)).to.equal(0x2222n);
    const b = guest({ vpid: 1, ept: eptp(EPT_A) });
    firstRun(b);
    remapEpt(b);
    INVEPT(b, 1, eptp(EPT_B));
    expect(secondRead(b)).to.equal(0x1111n);
  });
  it('single-context invalidates the combined mappings of the EP4TA for every VPID: a guest page-table change is seen', () => {
    const g = guest({ vpid: 1, ept: eptp(EPT_A) });
    firstRun(g);
    remapGuestPage(g);
    INVEPT(g, 1, eptp(EPT_A));
    expect(secondRead(g)).to.equal(0x2222n);
  });
  it('all-context (2): new page', () => {
    const g = guest({ ept: eptp(EPT_A) });
    firstRun(g);
    remapEpt(g);
    INVEPT(g, 2, 0);
    expect(secondRead(g)).to.equal(0x2222n);
  });
  it('INVEPT does not invalidate linear mappings (29.4.3.2): without EPT a guest page-table change needs INVVPID', () => {
    const g = guest({ vpid: 1 });
    firstRun(g);
    remapGuestPage(g);
    INVEPT(g, 2, 0);
    expect(secondRead(g)).to.equal(0x1111n);
  });
  it('combined mappings are tagged by EP4TA: another EPTP translates anew, and back on the first one the old mapping is used', () => {
    const g = guest({ vpid: 1, ept: eptp(EPT_A) });
    const vmcall = firstRun(g);
    remapEpt(g, EPT_B);
    w(g.cpu, 'EPT_POINTER', eptp(EPT_B));
    expect(secondRead(g)).to.equal(0x2222n);
    w(g.cpu, 'EPT_POINTER', eptp(EPT_A));
    remapEpt(g, EPT_A); // EPT A changes too, without INVEPT
    expect(secondReadAgain(g, vmcall)).to.equal(0x1111n);
  });
});

describe('translation caching: the guest\'s own invalidations (Vol. 3A 4.10.4.1, SDM 29.4.3.1)', () => {
  /** The guest reads 800000H, rewrites its PDE to A00000H, does `between`, and reads again into RBX. */
  const selfRemap = (between: string, opts: { vpid?: number; ept?: number; global?: boolean } = {}) => guest({
    ...opts,
    code: `mov rax, qword ptr [0x800000]\nmov rcx, qword ptr [${PDE_800000}]\nand ecx, 0x1fffff\nor ecx, ${NEW}\n` +
      `mov qword ptr [${PDE_800000}], rcx\n${between}\nmov rbx, qword ptr [0x800000]\nvmcall`,
  });
  const run = (g: Guest): bigint => {
    expectVmcall(g, vmLaunchOrResume(g.m, g.cpu, true, 1000));
    expect(g.cpu.regs.getGpr(0)).to.equal(0x1111n);
    return g.cpu.regs.getGpr(3);
  };
  it('a write to the page tables is not snooped: without INVLPG the guest reads the old page', () => {
    expect(run(selfRemap('nop', { vpid: 1 }))).to.equal(0x1111n);
    expect(run(selfRemap('nop', { vpid: 1, ept: eptp(EPT_A) }))).to.equal(0x1111n);
  });
  it('INVLPG: new page (linear mappings, and combined mappings with EPT)', () => {
    expect(run(selfRemap('invlpg [0x800000]', { vpid: 1 }))).to.equal(0x2222n);
    expect(run(selfRemap('invlpg [0x800000]', { vpid: 1, ept: eptp(EPT_A) }))).to.equal(0x2222n);
    expect(run(selfRemap('invlpg [0x9ff000]', { vpid: 1 })), 'another address in the same 2-MByte page').to.equal(0x2222n);
    expect(run(selfRemap('invlpg [0x600000]', { vpid: 1 })), 'an address in another page').to.equal(0x1111n);
  });
  it('MOV to CR3: new page for a non-global translation, old page for a global one', () => {
    expect(run(selfRemap('mov rdx, cr3\nmov cr3, rdx', { vpid: 1 }))).to.equal(0x2222n);
    expect(run(selfRemap('mov rdx, cr3\nmov cr3, rdx', { vpid: 1, global: true }))).to.equal(0x1111n);
  });
  it('MOV to CR4 changing PGE: new page, global translations included; one leaving PGE alone: old page', () => {
    const toggle = 'mov rdx, cr4\nxor edx, 0x80\nmov cr4, rdx\nxor edx, 0x80\nmov cr4, rdx';
    expect(run(selfRemap(toggle, { vpid: 1, global: true }))).to.equal(0x2222n);
    expect(run(selfRemap('mov rdx, cr4\nmov cr4, rdx', { vpid: 1 }))).to.equal(0x1111n);
  });
  it('INVLPG in the guest leaves other VPIDs\' translations alone', () => {
    const g = guest({ vpid: 2, code: 'mov rax, qword ptr [0x800000]\nvmcall\ninvlpg [0x800000]\nvmcall\nmov rbx, qword ptr [0x800000]\nvmcall' });
    firstRun(g); // VPID 2 caches the translation
    remapGuestPage(g);
    w(g.cpu, 'VIRTUAL_PROCESSOR_ID', 1);
    w(g.cpu, 'GUEST_RIP', r(g.cpu, 'GUEST_RIP') + 3n);
    expectVmcall(g, vmLaunchOrResume(g.m, g.cpu, false, 1000)); // VPID 1 executes INVLPG
    w(g.cpu, 'VIRTUAL_PROCESSOR_ID', 2);
    expect(secondRead(g)).to.equal(0x1111n);
  });
});
