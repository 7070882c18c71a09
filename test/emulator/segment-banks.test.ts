/**
 * The segment banks (state.ts RegisterFile.bank, processor.ts guestBankVmcs, rootBankVmcs): VM entry skips loading
 * the guest segment fields when the guest bank is known equal to them, VM exit skips saving them when the
 * bank was not written, and skips loading the host segment state when the root bank still holds it. Each
 * test changes one thing the cache depends on and checks that the transition behaves as if nothing were
 * cached; the last compares a machine whose caches are dropped before every transition with one that keeps them.
 */
import { describe, it } from 'node:test';
import { expect } from 'chai';
import { F, MSR, PROC } from '../../src/arch';
import type { Machine } from '../../src/emulator/machine';
import type { LogicalProcessor } from '../../src/emulator/processor';
import { SEG } from '../../src/emulator/state';
import { REGION_FIELDS, V } from '../../src/emulator/vmcs/layout';
import { vmLaunchOrResume } from '../../src/emulator/entry/vm-entry';
import { runNonRoot } from '../../src/emulator/nonroot/run';
import { R_SHUTDOWN, R_STILL_RUNNING, R_SUCCEED, R_VM_EXIT } from '../../src/emulator/vmx/conventions';
import { vmclear, vmptrld } from '../../src/emulator/vmx/vmcs-pointer';
import { vmread } from '../../src/emulator/vmx/vmread-vmwrite';
import { writeMsr } from '../../src/emulator/msrs';
import { GUEST_CODE, VMCS_REGION, VMCS_REGION_2, guestAsm, r, readyMachine, validVmcs, w, writeRevision } from './fixture';

type C = { m: Machine; cpu: LogicalProcessor };

/** Launch (first time) or resume, expecting a VM exit. */
function enter(c: C, launch: boolean, steps = 100): void {
  const res = vmLaunchOrResume(c.m, c.cpu, launch, steps);
  expect(res, c.cpu.failedRule).to.equal(R_VM_EXIT);
}

/** Resume at GUEST_CODE after an exit. */
function resumeAtStart(c: C, steps = 100): number {
  w(c.cpu, 'GUEST_RIP', GUEST_CODE);
  return vmLaunchOrResume(c.m, c.cpu, false, steps);
}

/** A guest "cpuid; jmp back" that has exited once. */
function looping(): C {
  const c = readyMachine();
  guestAsm(c.m, 'l: cpuid\njmp l');
  enter(c, true);
  return c;
}

describe('segment banks: VM entry loads what changed', () => {
  it('a VMWRITE of a guest segment field after an exit is loaded at the next entry', () => {
    const c = looping();
    w(c.cpu, 'GUEST_FS_SELECTOR', 0x10);
    w(c.cpu, 'GUEST_FS_BASE', 0x123456789000n);
    w(c.cpu, 'GUEST_FS_LIMIT', 0xfffff);
    w(c.cpu, 'GUEST_FS_AR_BYTES', 0xc093);
    guestAsm(c.m, 'nop\nnop\ncpuid');
    expect(resumeAtStart(c, 1)).to.equal(R_STILL_RUNNING);
    const regs = c.cpu.regs;
    expect(regs.segSelectorView[SEG.FS]).to.equal(0x10);
    expect(regs.segBaseView[SEG.FS]).to.equal(0x123456789000);
    expect(regs.segLimitView[SEG.FS]).to.equal(0xfffff);
    expect(regs.segAccessView[SEG.FS]).to.equal(0xc093);
    expect(runNonRoot(c.m, c.cpu, 100)).to.equal(R_VM_EXIT);
    expect(r(c.cpu, 'GUEST_FS_BASE')).to.equal(0x123456789000n);
  });

  it('another current VMCS (VMPTRLD) brings its own guest segments; switching back brings the first ones again', () => {
    const c = looping();
    writeRevision(c.m, VMCS_REGION_2);
    expect(vmclear(c.cpu, VMCS_REGION_2, 0)).to.equal(R_SUCCEED);
    expect(vmptrld(c.cpu, VMCS_REGION_2, 0)).to.equal(R_SUCCEED);
    validVmcs(c.m, c.cpu);
    w(c.cpu, 'GUEST_GS_BASE', 0x5000);
    guestAsm(c.m, 'nop\ncpuid');
    expect(vmLaunchOrResume(c.m, c.cpu, true, 1)).to.equal(R_STILL_RUNNING);
    expect(c.cpu.regs.segBaseView[SEG.GS]).to.equal(0x5000);
    expect(runNonRoot(c.m, c.cpu, 100)).to.equal(R_VM_EXIT);
    expect(vmptrld(c.cpu, VMCS_REGION, 0)).to.equal(R_SUCCEED);
    expect(resumeAtStart(c, 1)).to.equal(R_STILL_RUNNING);
    expect(c.cpu.regs.segBaseView[SEG.GS]).to.equal(0);
  });

  it('another VMCS is never taken for the one the bank matches, even with an equal change count', () => {
    const c = looping();
    const first = c.cpu.current!;
    writeRevision(c.m, VMCS_REGION_2);
    expect(vmclear(c.cpu, VMCS_REGION_2, 0)).to.equal(R_SUCCEED);
    expect(vmptrld(c.cpu, VMCS_REGION_2, 0)).to.equal(R_SUCCEED);
    validVmcs(c.m, c.cpu);
    w(c.cpu, 'GUEST_GS_BASE', 0x5000);
    c.cpu.current!.segGen = first.segGen;
    guestAsm(c.m, 'nop\ncpuid');
    expect(vmLaunchOrResume(c.m, c.cpu, true, 1)).to.equal(R_STILL_RUNNING);
    expect(c.cpu.regs.segBaseView[SEG.GS]).to.equal(0x5000);
  });

  it('after a VMX abort the guest bank stays current; a write to it then is not mistaken for the VMCS fields', () => {
    const c = looping();
    // A VM-exit MSR-store area naming IA32_SMBASE, which no MSR-store area may store (28.4): VMX abort.
    c.m.memory.write32(0x50000, MSR.IA32_SMBASE);
    w(c.cpu, 'VM_EXIT_MSR_STORE_ADDR', 0x50000);
    w(c.cpu, 'VM_EXIT_MSR_STORE_COUNT', 1);
    w(c.cpu, 'GUEST_RIP', GUEST_CODE);
    expect(vmLaunchOrResume(c.m, c.cpu, false, 100)).to.equal(R_SHUTDOWN);
    expect(c.cpu.activityState).to.equal(2);
    c.cpu.regs.segSelector[SEG.FS] = 0x77;
    c.cpu.activityState = 0;
    w(c.cpu, 'VM_EXIT_MSR_STORE_COUNT', 0);
    guestAsm(c.m, 'nop\ncpuid');
    w(c.cpu, 'GUEST_RIP', GUEST_CODE);
    expect(vmLaunchOrResume(c.m, c.cpu, false, 1)).to.equal(R_STILL_RUNNING);
    expect(c.cpu.regs.segSelectorView[SEG.FS]).to.equal(0);
  });

  it('VMCLEAR, a change to the VMCS region in memory, and VMPTRLD: the entry loads the region\'s data', () => {
    const c = looping();
    expect(vmclear(c.cpu, VMCS_REGION, 0)).to.equal(R_SUCCEED);
    c.m.memory.write32(VMCS_REGION + REGION_FIELDS + 8 * V.GUEST_GS_BASE, 0x7000);
    expect(vmptrld(c.cpu, VMCS_REGION, 0)).to.equal(R_SUCCEED);
    guestAsm(c.m, 'nop\ncpuid');
    w(c.cpu, 'GUEST_RIP', GUEST_CODE);
    expect(vmLaunchOrResume(c.m, c.cpu, true, 1)).to.equal(R_STILL_RUNNING);
    expect(c.cpu.regs.segBaseView[SEG.GS]).to.equal(0x7000);
  });

  it('a field VMPTRLD read with bits the field cannot hold is rewritten by the exit, as without the bank', () => {
    const c = looping();
    expect(vmclear(c.cpu, VMCS_REGION, 0)).to.equal(R_SUCCEED);
    // Bits 63:32 of the 32-bit GUEST_FS_LIMIT field, and bits 31:16 of the 16-bit GUEST_FS_SELECTOR field.
    c.m.memory.write32(VMCS_REGION + REGION_FIELDS + 8 * V.GUEST_FS_LIMIT + 4, 0xabcd);
    c.m.memory.write32(VMCS_REGION + REGION_FIELDS + 8 * V.GUEST_FS_SELECTOR, 0x50000);
    expect(vmptrld(c.cpu, VMCS_REGION, 0)).to.equal(R_SUCCEED);
    w(c.cpu, 'GUEST_RIP', GUEST_CODE);
    enter(c, true);
    expect(vmread(c.cpu, F.GUEST_FS_LIMIT, 0)).to.equal(R_SUCCEED);
    expect(c.cpu.readHi).to.equal(0);
    expect(r(c.cpu, 'GUEST_FS_SELECTOR')).to.equal(0n);
  });
});

describe('segment banks: VM exit saves what the guest (or anyone) wrote', () => {
  it('a guest MOV to a segment register is saved', () => {
    const c = looping();
    guestAsm(c.m, 'mov ax, 0x10\nmov fs, ax\ncpuid');
    expect(resumeAtStart(c)).to.equal(R_VM_EXIT);
    expect(r(c.cpu, 'GUEST_FS_SELECTOR')).to.equal(0x10n);
    expect(r(c.cpu, 'GUEST_FS_AR_BYTES') & 0x10000n).to.equal(0n);
  });

  it('a guest WRMSR of IA32_GS_BASE is saved', () => {
    const c = looping();
    // MSR bitmaps all zero: WRMSR does not exit.
    w(c.cpu, 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL', r(c.cpu, 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL') | BigInt(PROC.USE_MSR_BITMAPS));
    w(c.cpu, 'MSR_BITMAP', 0x60000);
    guestAsm(c.m, 'mov ecx, 0xc0000101\nmov eax, 0x9000\nxor edx, edx\nwrmsr\ncpuid');
    expect(resumeAtStart(c)).to.equal(R_VM_EXIT);
    expect(r(c.cpu, 'VM_EXIT_REASON')).to.equal(10n);
    expect(r(c.cpu, 'GUEST_GS_BASE')).to.equal(0x9000n);
  });

  it('a write to the segment registers while the guest is stopped in non-root operation is saved', () => {
    const c = looping();
    guestAsm(c.m, 'nop\ncpuid');
    expect(resumeAtStart(c, 1)).to.equal(R_STILL_RUNNING);
    c.cpu.regs.segBase[SEG.FS] = 0x4000;
    expect(writeMsr(c.cpu, MSR.IA32_GS_BASE, 0x6000n)).to.equal(true);
    expect(runNonRoot(c.m, c.cpu, 100)).to.equal(R_VM_EXIT);
    expect(r(c.cpu, 'GUEST_FS_BASE')).to.equal(0x4000n);
    expect(r(c.cpu, 'GUEST_GS_BASE')).to.equal(0x6000n);
  });

  it('a guest segment change survives several round trips through the bank', () => {
    const c = looping();
    guestAsm(c.m, 'mov ax, 0x10\nmov gs, ax\nl: cpuid\njmp l');
    expect(resumeAtStart(c)).to.equal(R_VM_EXIT);
    for (let i = 0; i < 3; i++) {
      w(c.cpu, 'GUEST_RIP', r(c.cpu, 'GUEST_RIP') + r(c.cpu, 'VM_EXIT_INSTRUCTION_LEN'));
      enter(c, false);
      expect(r(c.cpu, 'GUEST_GS_SELECTOR')).to.equal(0x10n);
    }
    // And the VMM's overwrite of the field is what the guest then has.
    w(c.cpu, 'GUEST_GS_SELECTOR', 0);
    w(c.cpu, 'GUEST_GS_AR_BYTES', 0x10000);
    w(c.cpu, 'GUEST_RIP', r(c.cpu, 'GUEST_RIP') + r(c.cpu, 'VM_EXIT_INSTRUCTION_LEN'));
    enter(c, false);
    expect(r(c.cpu, 'GUEST_GS_SELECTOR')).to.equal(0n);
    expect(r(c.cpu, 'GUEST_GS_AR_BYTES')).to.equal(0x10000n);
  });
});

describe('segment banks: VM exit loads the host segment state', () => {
  it('after the VMM wrote a segment register in root operation', () => {
    const c = looping();
    const ds = c.cpu.regs.segSelectorView[SEG.DS];
    c.cpu.regs.segSelector[SEG.DS] = 0x99;
    c.cpu.regs.segBase[SEG.FS] = 0x1000;
    w(c.cpu, 'GUEST_RIP', GUEST_CODE);
    enter(c, false);
    expect(c.cpu.regs.segSelectorView[SEG.DS]).to.equal(ds);
    expect(c.cpu.regs.segBaseView[SEG.FS]).to.equal(0);
  });

  it('after a VMWRITE of a host-state field or of the "host address-space size" control', () => {
    const c = looping();
    w(c.cpu, 'HOST_FS_BASE', 0x2000);
    w(c.cpu, 'HOST_FS_SELECTOR', 0x10);
    w(c.cpu, 'GUEST_RIP', GUEST_CODE);
    enter(c, false);
    expect(c.cpu.regs.segBaseView[SEG.FS]).to.equal(0x2000);
    expect(c.cpu.regs.segAccessView[SEG.FS] & 0x10000).to.equal(0);
    expect(c.cpu.regs.segAccessView[SEG.CS] & (1 << 13)).to.not.equal(0); // CS.L with a 64-bit host
  });

  it('after a VM-entry failure in MSR loading, the next successful entry and exit still move the right state', () => {
    const c = looping();
    // An MSR-load area whose one entry loads IA32_FS_BASE, which no MSR-load area may load (27.4).
    c.m.memory.write32(0x50000, MSR.IA32_FS_BASE);
    w(c.cpu, 'VM_ENTRY_MSR_LOAD_ADDR', 0x50000);
    w(c.cpu, 'VM_ENTRY_MSR_LOAD_COUNT', 1);
    w(c.cpu, 'GUEST_FS_BASE', 0x3000);
    c.cpu.regs.segBase[SEG.GS] = 0x8000;
    w(c.cpu, 'GUEST_RIP', GUEST_CODE);
    expect(vmLaunchOrResume(c.m, c.cpu, false, 100)).to.equal(R_VM_EXIT);
    expect(r(c.cpu, 'VM_EXIT_REASON')).to.equal(BigInt((34 | 0x80000000) >>> 0));
    expect(c.cpu.regs.segBaseView[SEG.FS]).to.equal(0);
    expect(c.cpu.regs.segBaseView[SEG.GS]).to.equal(0);
    w(c.cpu, 'VM_ENTRY_MSR_LOAD_COUNT', 0);
    guestAsm(c.m, 'nop\ncpuid');
    expect(vmLaunchOrResume(c.m, c.cpu, false, 1)).to.equal(R_STILL_RUNNING);
    expect(c.cpu.regs.segBaseView[SEG.FS]).to.equal(0x3000);
  });
});

describe('segment banks: equivalence with a processor that keeps no bank', () => {
  it('the same VMM and guest give the same registers and VMCS fields after every transition', () => {
    const a = readyMachine();
    const b = readyMachine();
    // Guest: alternately loads FS with 0x10 and 0, writes GS.base, and exits with CPUID between.
    const code = 'l: mov ax, 0x10\nmov fs, ax\ncpuid\nxor eax, eax\nmov fs, ax\ncpuid\n' +
      'mov ecx, 0xc0000101\nmov eax, 0x1000\nxor edx, edx\nwrmsr\ncpuid\njmp l';
    guestAsm(a.m, code);
    guestAsm(b.m, code);
    const drop = (c: C) => {
      c.cpu.guestBankVmcs = null;
      c.cpu.rootBankVmcs = null;
    };
    const snapshot = (c: C) => {
      const rr = c.cpu.regs;
      const out: number[] = [];
      for (let s = 0; s < 8; s++) out.push(rr.segSelectorView[s], rr.segBaseView[s], rr.segLimitView[s], rr.segAccessView[s]);
      return { regs: out, lo: Array.from(c.cpu.current!.lo), hi: Array.from(c.cpu.current!.hi) };
    };
    for (let i = 0; i < 12; i++) {
      for (const c of [a, b]) {
        if (i === 5) w(c.cpu, 'GUEST_SS_SELECTOR', 0x10); // a VMM write in the middle
        if (i === 7) c.cpu.regs.segSelector[SEG.ES] = 0x33; // a root-mode write in the middle
        if (i > 0) w(c.cpu, 'GUEST_RIP', r(c.cpu, 'GUEST_RIP') + r(c.cpu, 'VM_EXIT_INSTRUCTION_LEN'));
        if (c === a) {
          enter(c, i === 0);
        } else {
          // Enter without a usable bank, stop before the first instruction, and exit without one either.
          drop(c);
          expect(vmLaunchOrResume(c.m, c.cpu, i === 0, 0)).to.equal(R_STILL_RUNNING);
          drop(c);
          expect(runNonRoot(c.m, c.cpu, 100)).to.equal(R_VM_EXIT);
        }
      }
      expect(snapshot(a), `after round trip ${i}`).to.deep.equal(snapshot(b));
    }
  });
});
