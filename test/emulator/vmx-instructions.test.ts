/** The VMX instructions in root operation: SDM Ch. 31 order of checks and the RFLAGS conventions (31.2). */
import { describe, it } from 'node:test';
import { expect } from 'chai';
import { CR0, CR4, F, FEATURE_CONTROL, IA32_EFER, INTERRUPTIBILITY, VMERR } from '../../src/arch';
import {
  R_FAIL_INVALID, R_FAIL_VALID, R_FAULT, R_SUCCEED, VMX_STATUS_FLAGS, vmFailInvalidFlags, vmFailValidFlags,
  vmSucceedFlags,
} from '../../src/emulator/vmx/conventions';
import { vmcallRoot, vmxoff, vmxon } from '../../src/emulator/vmx/operation';
import { vmclear, vmptrld, vmptrst } from '../../src/emulator/vmx/vmcs-pointer';
import { vmread, vmwrite } from '../../src/emulator/vmx/vmread-vmwrite';
import { invept, invvpid } from '../../src/emulator/vmx/invalidation';
import { vmLaunchOrResume } from '../../src/emulator/entry/vm-entry';
import { SEG } from '../../src/emulator/state';
import { V } from '../../src/emulator/vmcs/layout';
import {
  VMCS_REGION, VMCS_REGION_2, VMXON_REGION, enterRoot, newMachine, readyMachine, writeRevision,
} from './fixture';

const ALL_STATUS = VMX_STATUS_FLAGS | 0x2;

describe('RFLAGS conventions (SDM 31.2)', () => {
  it('VMsucceed clears CF, PF, AF, ZF, SF, OF and keeps other bits', () => {
    expect(vmSucceedFlags(ALL_STATUS | 0x200)).to.equal(0x202);
  });
  it('VMfailInvalid sets CF only', () => {
    expect(vmFailInvalidFlags(ALL_STATUS | 0x200)).to.equal(0x203);
  });
  it('VMfailValid sets ZF only', () => {
    expect(vmFailValidFlags(ALL_STATUS)).to.equal(0x42);
  });
  it('VMfailValid writes the VM-instruction error field of the current VMCS', () => {
    const { cpu } = readyMachine();
    expect(vmxon(cpu, VMXON_REGION, 0)).to.equal(R_FAIL_VALID);
    expect(cpu.regs.rflags & VMX_STATUS_FLAGS).to.equal(0x40);
    expect(cpu.current!.lo[V.VM_INSTRUCTION_ERROR]).to.equal(VMERR.VMXON_IN_VMX_ROOT);
  });
});

describe('VMXON order of checks (SDM 31.3)', () => {
  it('#UD without CR4.VMXE comes before #GP at CPL 3', () => {
    const m = newMachine();
    const cpu = m.cpus[0];
    cpu.regs.cpl = 3;
    writeRevision(m, VMXON_REGION);
    expect(vmxon(cpu, VMXON_REGION, 0)).to.equal(R_FAULT);
    expect(cpu.faultVector).to.equal(6);
  });
  it('#UD in compatibility mode and with RFLAGS.VM', () => {
    const m = newMachine();
    const cpu = m.cpus[0];
    cpu.regs.cr4 |= CR4.VMXE;
    cpu.regs.segAccess[SEG.CS] &= ~(1 << 13);
    expect(vmxon(cpu, VMXON_REGION, 0)).to.equal(R_FAULT);
    expect(cpu.faultVector).to.equal(6);
    cpu.regs.segAccess[SEG.CS] |= 1 << 13;
    cpu.regs.rflags |= 1 << 17;
    expect(vmxon(cpu, VMXON_REGION, 0)).to.equal(R_FAULT);
    expect(cpu.faultVector).to.equal(6);
  });
  it('#GP(0) at CPL > 0, with IA32_FEATURE_CONTROL unlocked or VMX disabled, or CR0 outside the fixed bits', () => {
    for (const setup of [
      (c: ReturnType<typeof newMachine>['cpus'][0]) => { c.regs.cpl = 1; },
      (c: ReturnType<typeof newMachine>['cpus'][0]) => { c.featureControl = FEATURE_CONTROL.VMX_OUTSIDE_SMX; },
      (c: ReturnType<typeof newMachine>['cpus'][0]) => { c.featureControl = FEATURE_CONTROL.LOCK; },
      (c: ReturnType<typeof newMachine>['cpus'][0]) => { c.regs.cr0 &= ~CR0.NE; },
    ]) {
      const m = newMachine();
      const cpu = m.cpus[0];
      cpu.regs.cr4 |= CR4.VMXE;
      writeRevision(m, VMXON_REGION);
      setup(cpu);
      expect(vmxon(cpu, VMXON_REGION, 0)).to.equal(R_FAULT);
      expect([cpu.faultVector, cpu.faultCode]).to.deep.equal([13, 0]);
      expect(cpu.inVmx).to.equal(false);
    }
  });
  it('VMfailInvalid for an unaligned pointer, one beyond MAXPHYADDR, a wrong revision or the shadow bit', () => {
    const m = newMachine();
    const cpu = m.cpus[0];
    cpu.regs.cr4 |= CR4.VMXE;
    writeRevision(m, VMXON_REGION);
    expect(vmxon(cpu, VMXON_REGION + 8, 0)).to.equal(R_FAIL_INVALID);
    expect(vmxon(cpu, 0, 1 << (46 - 32))).to.equal(R_FAIL_INVALID);
    m.memory.write32(VMXON_REGION, m.caps.revisionId + 1);
    expect(vmxon(cpu, VMXON_REGION, 0)).to.equal(R_FAIL_INVALID);
    writeRevision(m, VMXON_REGION, true);
    expect(vmxon(cpu, VMXON_REGION, 0)).to.equal(R_FAIL_INVALID);
    expect(cpu.regs.rflags & VMX_STATUS_FLAGS).to.equal(1);
    expect(cpu.inVmx).to.equal(false);
  });
  it('in VMX root operation: #GP at CPL > 0 first, then VMfailInvalid without a current VMCS, else VMfailValid(15)', () => {
    const m = newMachine();
    const cpu = m.cpus[0];
    cpu.regs.cr4 |= CR4.VMXE;
    writeRevision(m, VMXON_REGION);
    expect(vmxon(cpu, VMXON_REGION, 0)).to.equal(R_SUCCEED);
    cpu.regs.cpl = 3;
    expect(vmxon(cpu, VMXON_REGION, 0)).to.equal(R_FAULT);
    cpu.regs.cpl = 0;
    expect(vmxon(cpu, VMXON_REGION, 0)).to.equal(R_FAIL_INVALID);
    writeRevision(m, VMCS_REGION);
    expect(vmptrld(cpu, VMCS_REGION, 0)).to.equal(R_SUCCEED);
    expect(vmxon(cpu, VMXON_REGION, 0)).to.equal(R_FAIL_VALID);
    expect(cpu.lastError).to.equal(15);
  });
  it('a 32-bit MAXPHYADDR-limited minimal profile refuses a pointer at 2^36', () => {
    const m = newMachine('minimal');
    const cpu = m.cpus[0];
    cpu.regs.cr4 |= CR4.VMXE;
    expect(vmxon(cpu, 0, 1 << 4)).to.equal(R_FAIL_INVALID);
  });
});

describe('VMXOFF, VMCALL', () => {
  it('VMXOFF: #UD outside VMX operation, #GP at CPL > 0, then leaves VMX operation', () => {
    const m = newMachine();
    const cpu = m.cpus[0];
    expect(vmxoff(cpu)).to.equal(R_FAULT);
    expect(cpu.faultVector).to.equal(6);
    enterRoot(m, cpu);
    cpu.regs.cpl = 3;
    expect(vmxoff(cpu)).to.equal(R_FAULT);
    expect(cpu.faultVector).to.equal(13);
    cpu.regs.cpl = 0;
    expect(vmxoff(cpu)).to.equal(R_SUCCEED);
    expect(cpu.inVmx).to.equal(false);
  });
  it('VMCALL in root: #UD outside VMX, VMfailValid(1) with a current VMCS, VMfailInvalid without', () => {
    const m = newMachine();
    const cpu = m.cpus[0];
    expect(vmcallRoot(cpu)).to.equal(R_FAULT);
    enterRoot(m, cpu);
    expect(vmcallRoot(cpu)).to.equal(R_FAIL_VALID);
    expect(cpu.lastError).to.equal(VMERR.VMCALL_IN_VMX_ROOT);
    expect(vmclear(cpu, VMCS_REGION, 0)).to.equal(R_SUCCEED);
    expect(vmcallRoot(cpu)).to.equal(R_FAIL_INVALID);
  });
});

describe('VMCLEAR, VMPTRLD, VMPTRST (SDM 31.3)', () => {
  it('#UD outside VMX operation comes first', () => {
    const m = newMachine();
    expect(vmclear(m.cpus[0], VMCS_REGION, 0)).to.equal(R_FAULT);
    expect(vmptrld(m.cpus[0], VMCS_REGION, 0)).to.equal(R_FAULT);
    expect(vmptrst(m.cpus[0])).to.equal(R_FAULT);
  });
  it('address errors: VMCLEAR 2 and 3, VMPTRLD 9, 10 and 11 (VMfail: Valid with a current VMCS)', () => {
    const { m, cpu } = readyMachine();
    expect(vmclear(cpu, VMCS_REGION + 1, 0)).to.equal(R_FAIL_VALID);
    expect(cpu.lastError).to.equal(VMERR.VMCLEAR_INVALID_ADDRESS);
    expect(vmclear(cpu, VMXON_REGION, 0)).to.equal(R_FAIL_VALID);
    expect(cpu.lastError).to.equal(VMERR.VMCLEAR_VMXON_POINTER);
    expect(vmptrld(cpu, 0, 0x8000)).to.equal(R_FAIL_VALID);
    expect(cpu.lastError).to.equal(VMERR.VMPTRLD_INVALID_ADDRESS);
    expect(vmptrld(cpu, VMXON_REGION, 0)).to.equal(R_FAIL_VALID);
    expect(cpu.lastError).to.equal(VMERR.VMPTRLD_VMXON_POINTER);
    m.memory.write32(VMCS_REGION_2, 0x1234);
    expect(vmptrld(cpu, VMCS_REGION_2, 0)).to.equal(R_FAIL_VALID);
    expect(cpu.lastError).to.equal(VMERR.VMPTRLD_INCORRECT_REVISION);
  });
  it('the same errors are VMfailInvalid without a current VMCS', () => {
    const m = newMachine();
    const cpu = m.cpus[0];
    enterRoot(m, cpu);
    expect(vmclear(cpu, VMCS_REGION, 0)).to.equal(R_SUCCEED);
    expect(cpu.current).to.equal(null);
    expect(vmclear(cpu, VMCS_REGION + 0x800, 0)).to.equal(R_FAIL_INVALID);
    expect(vmptrld(cpu, VMXON_REGION, 0)).to.equal(R_FAIL_INVALID);
  });
  it('a shadow-VMCS indicator is accepted only with VMCS shadowing', () => {
    for (const [profile, ok] of [['xeon-sapphire-rapids', true], ['minimal', false]] as const) {
      const m = newMachine(profile);
      const cpu = m.cpus[0];
      enterRoot(m, cpu);
      writeRevision(m, VMCS_REGION_2, true);
      expect(vmptrld(cpu, VMCS_REGION_2, 0), profile).to.equal(ok ? R_SUCCEED : R_FAIL_VALID);
      if (ok) expect(cpu.current!.shadow).to.equal(true);
    }
  });
  it('VMPTRST stores the current-VMCS pointer, or FFFFFFFF_FFFFFFFFH', () => {
    const m = newMachine();
    const cpu = m.cpus[0];
    enterRoot(m, cpu);
    expect(vmptrst(cpu)).to.equal(R_SUCCEED);
    expect([cpu.readLo, cpu.readHi]).to.deep.equal([VMCS_REGION, 0]);
    vmclear(cpu, VMCS_REGION, 0);
    vmptrst(cpu);
    expect([cpu.readLo >>> 0, cpu.readHi >>> 0]).to.deep.equal([0xffffffff, 0xffffffff]);
  });
});

describe('VMREAD and VMWRITE (SDM 31.3)', () => {
  it('VMfailInvalid without a current VMCS', () => {
    const m = newMachine();
    const cpu = m.cpus[0];
    enterRoot(m, cpu);
    vmclear(cpu, VMCS_REGION, 0);
    expect(vmread(cpu, F.GUEST_RIP, 0)).to.equal(R_FAIL_INVALID);
    expect(vmwrite(cpu, F.GUEST_RIP, 0, 1, 0)).to.equal(R_FAIL_INVALID);
  });
  it('#GP at CPL > 0 comes before the current-VMCS check', () => {
    const { cpu } = readyMachine();
    cpu.regs.cpl = 3;
    expect(vmread(cpu, F.GUEST_RIP, 0)).to.equal(R_FAULT);
    expect(cpu.faultVector).to.equal(13);
  });
  it('error 12 for unknown encodings, encodings with bits 63:15 set, and a high access to a non-64-bit field', () => {
    const { cpu } = readyMachine();
    for (const [lo, hi] of [[0x7fff, 0], [F.GUEST_RIP, 1], [F.GUEST_RIP | 0x8000, 0], [F.GUEST_RIP | 1, 0], [F.GUEST_CR0 | 0x1000, 0]]) {
      expect(vmread(cpu, lo, hi), `0x${hi.toString(16)}_${lo.toString(16)}`).to.equal(R_FAIL_VALID);
      expect(cpu.lastError).to.equal(VMERR.UNSUPPORTED_VMCS_COMPONENT);
    }
  });
  it('error 12 for a field of a feature the profile lacks (EPT pointer on "minimal")', () => {
    const { cpu } = readyMachine('minimal');
    expect(vmwrite(cpu, F.EPT_POINTER, 0, 0x1000, 0)).to.equal(R_FAIL_VALID);
    expect(cpu.lastError).to.equal(12);
    expect(vmread(cpu, F.VMX_PREEMPTION_TIMER_VALUE, 0)).to.equal(R_FAIL_VALID);
  });
  it('VMWRITE of a VM-exit information field: error 13 without IA32_VMX_MISC[29], allowed with it', () => {
    const min = readyMachine('minimal');
    expect(vmwrite(min.cpu, F.VM_EXIT_REASON, 0, 5, 0)).to.equal(R_FAIL_VALID);
    expect(min.cpu.lastError).to.equal(VMERR.VMWRITE_READ_ONLY_COMPONENT);
    const spr = readyMachine();
    expect(vmwrite(spr.cpu, F.VM_EXIT_REASON, 0, 5, 0)).to.equal(R_SUCCEED);
    expect(vmread(spr.cpu, F.VM_EXIT_REASON, 0)).to.equal(R_SUCCEED);
    expect(spr.cpu.readLo).to.equal(5);
  });
  it('values are truncated to the field width; high access reads and writes bits 63:32', () => {
    const { cpu } = readyMachine();
    vmwrite(cpu, F.GUEST_ES_SELECTOR, 0, 0x12345, 0xffff);
    vmread(cpu, F.GUEST_ES_SELECTOR, 0);
    expect([cpu.readLo, cpu.readHi]).to.deep.equal([0x2345, 0]);
    vmwrite(cpu, F.GUEST_ACTIVITY_STATE, 0, 0, 7);
    vmread(cpu, F.GUEST_ACTIVITY_STATE, 0);
    expect([cpu.readLo, cpu.readHi]).to.deep.equal([0, 0]);
    vmwrite(cpu, F.TSC_OFFSET, 0, 0x11111111, 0x22222222);
    vmwrite(cpu, F.TSC_OFFSET | 1, 0, 0x33333333, 0x44444444);
    vmread(cpu, F.TSC_OFFSET, 0);
    expect([cpu.readLo, cpu.readHi]).to.deep.equal([0x11111111, 0x33333333]);
    vmread(cpu, F.TSC_OFFSET | 1, 0);
    expect([cpu.readLo, cpu.readHi]).to.deep.equal([0x33333333, 0]);
  });
  it('outside 64-bit mode the operand is 32 bits: a 64-bit field written in full has bits 63:32 cleared', () => {
    const { cpu } = readyMachine();
    cpu.regs.efer &= ~(IA32_EFER.LMA | IA32_EFER.LME);
    cpu.regs.segAccess[SEG.CS] &= ~(1 << 13);
    vmwrite(cpu, F.TSC_OFFSET, 0, 0x11111111, 0x22222222);
    expect([cpu.current!.lo[V.TSC_OFFSET], cpu.current!.hi[V.TSC_OFFSET]]).to.deep.equal([0x11111111, 0]);
  });
});

describe('VMLAUNCH / VMRESUME basic checks (SDM 27.1)', () => {
  it('MOV-SS blocking (26) is checked before the launch state (4/5)', () => {
    const { m, cpu } = readyMachine();
    cpu.interruptibility = INTERRUPTIBILITY.BLOCKING_BY_MOV_SS;
    expect(vmLaunchOrResume(m, cpu, false, 0)).to.equal(R_FAIL_VALID);
    expect(cpu.lastError).to.equal(VMERR.ENTRY_EVENTS_BLOCKED_BY_MOV_SS);
    cpu.interruptibility = 0;
    expect(vmLaunchOrResume(m, cpu, false, 0)).to.equal(R_FAIL_VALID);
    expect(cpu.lastError).to.equal(VMERR.VMRESUME_NON_LAUNCHED_VMCS);
    cpu.current!.launched = true;
    expect(vmLaunchOrResume(m, cpu, true, 0)).to.equal(R_FAIL_VALID);
    expect(cpu.lastError).to.equal(VMERR.VMLAUNCH_NON_CLEAR_VMCS);
  });
  it('a shadow VMCS as current VMCS: VMfailInvalid', () => {
    const { m, cpu } = readyMachine();
    writeRevision(m, VMCS_REGION_2, true);
    vmptrld(cpu, VMCS_REGION_2, 0);
    expect(vmLaunchOrResume(m, cpu, true, 0)).to.equal(R_FAIL_INVALID);
  });
});

describe('INVEPT and INVVPID (SDM 31.3)', () => {
  it('#UD on a profile without EPT/VPID, even in VMX root operation', () => {
    const { cpu } = readyMachine('minimal');
    expect(invept(cpu, 2, 0, 0, 0)).to.equal(R_FAULT);
    expect(cpu.faultVector).to.equal(6);
    expect(invvpid(cpu, 2, 0, 0, 0, 0, 0)).to.equal(R_FAULT);
  });
  it('unsupported types, bad EPTPs, VPID 0, reserved bits and non-canonical addresses fail with 28', () => {
    const { cpu } = readyMachine();
    const cases: [string, () => number][] = [
      ['INVEPT type 0', () => invept(cpu, 0, 0, 0, 0)],
      ['INVEPT type 2 with bits 63:32', () => invept(cpu, 2, 1, 0, 0)],
      ['INVEPT single-context, memory type 2', () => invept(cpu, 1, 0, 0x1000 | 2 | (3 << 3), 0)],
      ['INVVPID type 4', () => invvpid(cpu, 4, 0, 1, 0, 0, 0)],
      ['INVVPID single-context VPID 0', () => invvpid(cpu, 1, 0, 0, 0, 0, 0)],
      ['INVVPID reserved bits 63:16', () => invvpid(cpu, 2, 0, 0x10000, 0, 0, 0)],
      ['INVVPID individual address non-canonical', () => invvpid(cpu, 0, 0, 1, 0, 0, 0x8000)],
    ];
    for (const [what, f] of cases) {
      expect(f(), what).to.equal(R_FAIL_VALID);
      expect(cpu.lastError, what).to.equal(VMERR.INVALID_OPERAND_INVEPT_INVVPID);
    }
    expect(invept(cpu, 1, 0, 0x1000 | 6 | (3 << 3), 0)).to.equal(R_SUCCEED);
    expect(invvpid(cpu, 3, 0, 1, 0, 0, 0)).to.equal(R_SUCCEED);
  });
});
