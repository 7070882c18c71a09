/**
 * INVEPT and INVVPID in VMX root operation, case by case against the SDM 31.3 pseudo-code: every way to get
 * VM-instruction error 28 ("invalid operand to INVEPT/INVVPID") and the checks that come before it.
 */
import { describe, it } from 'node:test';
import { expect } from 'chai';
import { EPT_VPID_CAP, MSR, VMERR } from '../../src/arch';
import { Machine } from '../../src/emulator/machine';
import { profileByName } from '../../src/emulator/profiles';
import type { LogicalProcessor } from '../../src/emulator/processor';
import { R_FAIL_INVALID, R_FAIL_VALID, R_FAULT, R_SUCCEED } from '../../src/emulator/vmx/conventions';
import { invept, invvpid } from '../../src/emulator/vmx/invalidation';
import { vmclear } from '../../src/emulator/vmx/vmcs-pointer';
import { VMCS_REGION, enterRoot, readyMachine, validVmcs } from './fixture';

/** A valid EPTP: WB (6), 4-level walk (3 << 3), PML4 at 0x1000. */
const EPTP = 0x1000 | 6 | (3 << 3);

function error28(cpu: LogicalProcessor, what: string, r: number): void {
  expect(r, what).to.equal(R_FAIL_VALID);
  expect(cpu.lastError, what).to.equal(VMERR.INVALID_OPERAND_INVEPT_INVVPID);
}

/** The default profile with some IA32_VMX_EPT_VPID_CAP bits cleared. */
function withoutCaps(bits: bigint): LogicalProcessor {
  const base = profileByName('xeon-sapphire-rapids')!;
  const msrs = new Map(base.vmxMsrs);
  msrs.set(MSR.IA32_VMX_EPT_VPID_CAP, msrs.get(MSR.IA32_VMX_EPT_VPID_CAP)! & ~bits);
  // Capabilities are cached by profile name (machine.ts): one name per variant.
  const m = new Machine({ ...base, name: `fewer-invalidation-types-${bits.toString(16)}`, vmxMsrs: msrs }, 1, 32 * 1024 * 1024);
  enterRoot(m, m.cpus[0]);
  validVmcs(m, m.cpus[0]);
  return m.cpus[0];
}

describe('INVEPT: VM-instruction error 28 (SDM 31.3 "INVEPT")', () => {
  it('a type IA32_VMX_EPT_VPID_CAP does not report: 0, 3 and up, any bits 63:32 in 64-bit mode', () => {
    const { cpu } = readyMachine();
    for (const [lo, hi] of [[0, 0], [3, 0], [4, 0], [0xffffffff, 0], [1, 1], [2, 0x80000000]]) {
      error28(cpu, `type ${hi}:${lo}`, invept(cpu, lo, hi, EPTP, 0));
    }
  });
  it('single-context or all-context when the processor does not support that type (bits 25, 26)', () => {
    const a = withoutCaps(EPT_VPID_CAP.INVEPT_SINGLE_CONTEXT);
    error28(a, 'single-context unsupported', invept(a, 1, 0, EPTP, 0));
    expect(invept(a, 2, 0, 0, 0)).to.equal(R_SUCCEED);
    const b = withoutCaps(EPT_VPID_CAP.INVEPT_ALL_CONTEXT);
    error28(b, 'all-context unsupported', invept(b, 2, 0, 0, 0));
    expect(invept(b, 1, 0, EPTP, 0)).to.equal(R_SUCCEED);
  });
  it('single-context with an EPTP that VM entry would refuse (25.6.11, 27.2.1.1)', () => {
    const { cpu } = readyMachine();
    const bad: [string, number, number][] = [
      ['memory type 1 (WC, not reported)', (EPTP & ~7) | 1, 0],
      ['memory type 7', EPTP | 7, 0],
      ['page-walk length 5 (not supported)', (EPTP & ~0x38) | (4 << 3), 0],
      ['page-walk length 1', (EPTP & ~0x38) | (0 << 3), 0],
      ['A/D flags without support', EPTP | (1 << 6), 0],
      ['supervisor shadow-stack control without support', EPTP | (1 << 7), 0],
      ['reserved bit 8', EPTP | (1 << 8), 0],
      ['reserved bit 11', EPTP | (1 << 11), 0],
      ['bit 46 (beyond MAXPHYADDR 46)', EPTP, 1 << 14],
      ['bit 63', EPTP, 0x80000000],
    ];
    for (const [what, lo, hi] of bad) error28(cpu, what, invept(cpu, 1, 0, lo >>> 0, hi >>> 0));
    expect(invept(cpu, 1, 0, (EPTP & ~7) >>> 0, 0), 'UC EPTP is valid').to.equal(R_SUCCEED);
  });
  it('all-context does not look at the descriptor', () => {
    const { cpu } = readyMachine();
    expect(invept(cpu, 2, 0, 0xffffffff, 0xffffffff)).to.equal(R_SUCCEED);
  });
});

describe('INVVPID: VM-instruction error 28 (SDM 31.3 "INVVPID")', () => {
  it('a type IA32_VMX_EPT_VPID_CAP does not report: 4 and up, bits 63:32 in 64-bit mode', () => {
    const { cpu } = readyMachine();
    for (const [lo, hi] of [[4, 0], [0x7fffffff, 0], [2, 1], [0, 0x80000000]]) {
      error28(cpu, `type ${hi}:${lo}`, invvpid(cpu, lo, hi, 1, 0, 0, 0));
    }
  });
  it('each of the four types when its bit (40 + type) is 0', () => {
    const caps = [EPT_VPID_CAP.INVVPID_INDIVIDUAL_ADDRESS, EPT_VPID_CAP.INVVPID_SINGLE_CONTEXT,
      EPT_VPID_CAP.INVVPID_ALL_CONTEXT, EPT_VPID_CAP.INVVPID_SINGLE_CONTEXT_RETAINING_GLOBALS];
    caps.forEach((bit, type) => {
      const cpu = withoutCaps(bit);
      error28(cpu, `type ${type} unsupported`, invvpid(cpu, type, 0, 1, 0, 0, 0));
    });
  });
  it('reserved descriptor bits 63:16 set, for every type (checked before the VPID)', () => {
    const { cpu } = readyMachine();
    for (let type = 0; type < 4; type++) {
      for (const [lo, hi] of [[0x10001, 0], [0x80000001, 0], [1, 1], [1, 0x80000000], [0x10000, 0]]) {
        error28(cpu, `type ${type}, descriptor ${hi}:${lo}`, invvpid(cpu, type, 0, lo >>> 0, hi >>> 0, 0, 0));
      }
    }
  });
  it('VPID 0 for individual-address, single-context and single-context-retaining-globals, but not all-context', () => {
    const { cpu } = readyMachine();
    for (const type of [0, 1, 3]) error28(cpu, `type ${type} with VPID 0`, invvpid(cpu, type, 0, 0, 0, 0, 0));
    expect(invvpid(cpu, 2, 0, 0, 0, 0, 0), 'all-context with VPID 0').to.equal(R_SUCCEED);
  });
  it('individual-address with a non-canonical linear address (bits 63:47 not all equal); canonical ones succeed', () => {
    const { cpu } = readyMachine();
    for (const [lo, hi] of [[0, 0x8000], [0, 0xffff7fff], [0, 0x80000000], [0, 0x00010000]]) {
      error28(cpu, `address ${hi.toString(16)}:${lo.toString(16)}`, invvpid(cpu, 0, 0, 1, 0, lo >>> 0, hi >>> 0));
    }
    for (const [lo, hi] of [[0xfffff000, 0x7fff], [0, 0xffff8000], [0x1000, 0]]) {
      expect(invvpid(cpu, 0, 0, 1, 0, lo >>> 0, hi >>> 0), `address ${hi.toString(16)}:${lo.toString(16)}`).to.equal(R_SUCCEED);
    }
    // The linear address matters only to individual-address invalidation.
    expect(invvpid(cpu, 1, 0, 1, 0, 0, 0x8000)).to.equal(R_SUCCEED);
  });
});

describe('INVEPT/INVVPID: what comes before error 28', () => {
  it('CPL > 0 is #GP(0) before the type is looked at', () => {
    const { cpu } = readyMachine();
    cpu.regs.cpl = 3;
    expect(invept(cpu, 0, 0, 0, 0)).to.equal(R_FAULT);
    expect(cpu.faultVector).to.equal(13);
    expect(invvpid(cpu, 7, 0, 0, 0, 0, 0)).to.equal(R_FAULT);
    expect(cpu.faultVector).to.equal(13);
  });
  it('without a current VMCS the failure is VMfailInvalid (VMfail with no valid VMCS pointer, 31.2)', () => {
    const { m, cpu } = readyMachine();
    expect(vmclear(cpu, VMCS_REGION, 0)).to.equal(R_SUCCEED);
    expect(cpu.current).to.equal(null);
    expect(invept(cpu, 0, 0, 0, 0)).to.equal(R_FAIL_INVALID);
    expect(invvpid(cpu, 1, 0, 0, 0, 0, 0)).to.equal(R_FAIL_INVALID);
    expect(m.cpus[0]).to.equal(cpu);
  });
});
