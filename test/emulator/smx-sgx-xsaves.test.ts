/**
 * SMX (GETSEC), SGX (ENCLS), XSAVES/XRSTORS with IA32_XSS and Intel PT state, as the profiles enumerate and
 * the reference machine implements them (profiles.ts ProcessorFeatures): CPUID, the MSRs, CR4.SMXE, and the
 * instructions in VMX non-root operation, exiting and not (SDM Vol. 3C 26.1.2, 26.1.3, 26.3; Vol. 3D ENCLS;
 * Vol. 1 13.5.6, 13.11, 13.12; Vol. 2D 7.3 GETSEC[CAPABILITIES]).
 */
import { describe, it } from 'node:test';
import { expect } from 'chai';
import { CR4, EXIT, MSR, PROC, PROC2 } from '../../src/arch';
import { RTIT_MSR } from '../../src/arch/processor-features';
import { writeCr4 } from '../../src/emulator/control-registers';
import { cpuidLeaf } from '../../src/emulator/cpuid';
import { vmLaunchOrResume } from '../../src/emulator/entry/vm-entry';
import { featureControlBits, readMsr, writeMsr } from '../../src/emulator/msrs';
import { profileByName } from '../../src/emulator/profiles';
import type { LogicalProcessor } from '../../src/emulator/processor';
import { R_VM_EXIT } from '../../src/emulator/vmx/conventions';
import { GUEST_CODE, guestAsm, newMachine, r, readyMachine, w } from './fixture';
import { makeMachine } from '../x86/machine';

type Ctx = ReturnType<typeof readyMachine>;
const launch = (c: Ctx, steps = 10_000) => vmLaunchOrResume(c.m, c.cpu, true, steps);
const reason = (c: Ctx) => Number(r(c.cpu, 'VM_EXIT_REASON'));
const exceptionVector = (c: Ctx) => Number(r(c.cpu, 'VM_EXIT_INTR_INFO')) & 0xff;
const secondary = (c: Ctx, bits: number, primary = 0) => {
  w(c.cpu, 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL', (c.m.caps.proc.must1 | PROC.ACTIVATE_SECONDARY_CONTROLS | primary) >>> 0);
  w(c.cpu, 'SECONDARY_VM_EXEC_CONTROL', bits);
};
const guestCr4 = (c: Ctx, bits: number) => w(c.cpu, 'GUEST_CR4', (Number(r(c.cpu, 'GUEST_CR4')) | bits) >>> 0);

function cpuid(cpu: LogicalProcessor, leaf: number, sub = 0): number[] {
  const out = new Uint32Array(4);
  cpuidLeaf(cpu, leaf, sub, out);
  return [...out];
}

describe('CPUID enumeration of SMX, SGX, XSAVES and Intel PT', () => {
  it('Sapphire Rapids enumerates SMX, SGX1/SGX2, XSAVES with PT state in IA32_XSS, and Intel PT', () => {
    const cpu = newMachine().cpus[0];
    expect((cpuid(cpu, 1)[2] >>> 6) & 1, 'CPUID.1:ECX.SMX').to.equal(1);
    const [, ebx7] = cpuid(cpu, 7);
    expect((ebx7 >>> 2) & 1, 'CPUID.7:EBX.SGX').to.equal(1);
    expect((ebx7 >>> 25) & 1, 'CPUID.7:EBX.Intel PT').to.equal(1);
    expect(cpuid(cpu, 0xd, 0).slice(0, 3), 'XCR0 x87|SSE, 576-byte areas').to.deep.equal([3, 576, 576]);
    const d1 = cpuid(cpu, 0xd, 1);
    expect(d1[0], 'XGETBV ECX=1 and XSAVES').to.equal(0xc);
    expect(d1[1], 'compacted size with IA32_XSS = 0').to.equal(576);
    expect([d1[2], d1[3]], 'IA32_XSS may enable component 8 only').to.deep.equal([0x100, 0]);
    expect(cpuid(cpu, 0xd, 8), 'PT state: 128 bytes, supervisor').to.deep.equal([128, 0, 1, 0]);
    expect(cpuid(cpu, 0x12, 0)[0], 'SGX1 and SGX2').to.equal(3);
    expect(cpuid(cpu, 0x12, 2)[0] & 0xf, 'no EPC section').to.equal(0);
    expect(cpuid(cpu, 0x14, 0), 'leaf 14H: no PT capability').to.deep.equal([0, 0, 0, 0]);
    expect(writeMsr(cpu, MSR.IA32_XSS, 0x100n)).to.equal(true);
    expect(cpuid(cpu, 0xd, 1)[1], 'compacted size with PT state enabled').to.equal(576 + 128);
  });
  it('minimal enumerates none of them', () => {
    const cpu = newMachine('minimal').cpus[0];
    expect((cpuid(cpu, 1)[2] >>> 6) & 1).to.equal(0);
    expect(cpuid(cpu, 7)[1] & ((1 << 2) | (1 << 25))).to.equal(0);
    expect(cpuid(cpu, 0xd, 1)).to.deep.equal([0, 0, 0, 0]);
    expect(cpuid(cpu, 0xd, 8)).to.deep.equal([0, 0, 0, 0]);
    expect(cpuid(cpu, 0x12, 0)).to.deep.equal([0, 0, 0, 0]);
  });
});

describe('CR4.SMXE, IA32_FEATURE_CONTROL, IA32_XSS and the IA32_RTIT_* MSRs', () => {
  it('CR4.SMXE can be set with SMX (also in VMX operation: IA32_VMX_CR4_FIXED1[14]); it is reserved without', () => {
    const spr = newMachine();
    expect((spr.caps.cr4Fixed1 >>> 14) & 1).to.equal(1);
    const a = spr.cpus[0];
    expect(writeCr4(a, (a.regs.cr4 | CR4.SMXE) >>> 0, 0)).to.equal(true);
    const min = newMachine('minimal');
    expect((min.caps.cr4Fixed1 >>> 14) & 1).to.equal(0);
    const b = min.cpus[0];
    expect(writeCr4(b, (b.regs.cr4 | CR4.SMXE) >>> 0, 0)).to.equal(false);
  });
  it('IA32_FEATURE_CONTROL: firmware leaves SGX enabled and locked; unlocked, only the profile\'s bits are writable', () => {
    const spr = newMachine().cpus[0];
    expect(readMsr(spr, MSR.IA32_FEATURE_CONTROL)).to.equal(0x40005n);
    expect(writeMsr(spr, MSR.IA32_FEATURE_CONTROL, 0x40005n), 'locked').to.equal(false);
    spr.featureControl = 0;
    expect(writeMsr(spr, MSR.IA32_FEATURE_CONTROL, 0x1n << 20n), 'LMCE is not offered').to.equal(false);
    expect(writeMsr(spr, MSR.IA32_FEATURE_CONTROL, 0x4ff07n), 'SENTER enables, VMX in/outside SMX, SGX').to.equal(true);
    expect(featureControlBits(profileByName('xeon-sapphire-rapids')!)).to.equal(0x4ff07);
    expect(featureControlBits(profileByName('minimal')!)).to.equal(0x5);
    const min = newMachine('minimal').cpus[0];
    min.featureControl = 0;
    expect(writeMsr(min, MSR.IA32_FEATURE_CONTROL, 0x40005n)).to.equal(false);
  });
  it('IA32_XSS accepts only supervisor components the processor enumerates (PT state, bit 8); absent without XSAVES', () => {
    const cpu = newMachine().cpus[0];
    expect(readMsr(cpu, MSR.IA32_XSS)).to.equal(0n);
    for (const bad of [1n, 2n, 0x200n, 0x800n, 1n << 63n]) expect(writeMsr(cpu, MSR.IA32_XSS, bad), bad.toString(16)).to.equal(false);
    expect(writeMsr(cpu, MSR.IA32_XSS, 0x100n)).to.equal(true);
    expect(readMsr(cpu, MSR.IA32_XSS)).to.equal(0x100n);
    const min = newMachine('minimal').cpus[0];
    expect(readMsr(min, MSR.IA32_XSS)).to.equal(undefined);
    expect(writeMsr(min, MSR.IA32_XSS, 0n)).to.equal(false);
  });
  it('IA32_RTIT_CTL: TraceEn can never be set (no output scheme), nor any bit leaf 14H does not enumerate', () => {
    const cpu = newMachine().cpus[0];
    const ctl = RTIT_MSR.IA32_RTIT_CTL;
    expect(readMsr(cpu, ctl)).to.equal(0n);
    expect(writeMsr(cpu, ctl, 0x2c0cn), 'OS, User, TSCEn, DisRETC, BranchEn').to.equal(true);
    expect(readMsr(cpu, ctl)).to.equal(0x2c0cn);
    // TraceEn, CYCEn, PwrEvtEn, FUPonPTW, FabricEn, CR3Filter, ToPA, MTCEn, PTWEn, MTCFreq, PSBFreq, ADDR0_CFG.
    for (const bit of [0, 1, 4, 5, 6, 7, 8, 9, 12, 14, 24, 32]) {
      expect(writeMsr(cpu, ctl, 1n << BigInt(bit)), `bit ${bit}`).to.equal(false);
    }
    expect(writeMsr(cpu, ctl, 0x2c0dn), 'TraceEn with the rest valid').to.equal(false);
  });
  it('IA32_RTIT_STATUS: Error and Stopped are writable, FilterEn/ContextEn/TriggerEn writes ignored, the rest #GP', () => {
    const cpu = newMachine().cpus[0];
    const st = RTIT_MSR.IA32_RTIT_STATUS;
    expect(writeMsr(cpu, st, 0x37n)).to.equal(true);
    expect(readMsr(cpu, st)).to.equal(0x30n);
    for (const v of [0x8n, 0x40n, 0x80n, 1n << 32n, 1n << 63n]) expect(writeMsr(cpu, st, v), v.toString(16)).to.equal(false);
  });
  it('the PT MSRs that leaf 14H does not enumerate do not exist; on minimal none does', () => {
    const cpu = newMachine().cpus[0];
    for (const m of [RTIT_MSR.IA32_RTIT_OUTPUT_BASE, RTIT_MSR.IA32_RTIT_OUTPUT_MASK_PTRS, RTIT_MSR.IA32_RTIT_CR3_MATCH,
      RTIT_MSR.IA32_RTIT_ADDR0_A, RTIT_MSR.IA32_RTIT_ADDR1_B]) {
      expect(readMsr(cpu, m), m.toString(16)).to.equal(undefined);
      expect(writeMsr(cpu, m, 0n), m.toString(16)).to.equal(false);
    }
    const min = newMachine('minimal').cpus[0];
    expect(readMsr(min, RTIT_MSR.IA32_RTIT_CTL)).to.equal(undefined);
    expect(readMsr(min, RTIT_MSR.IA32_RTIT_STATUS)).to.equal(undefined);
  });
});

describe('GETSEC (SDM 26.1.2; Vol. 2D 7.3)', () => {
  it('with CR4.SMXE = 1 a guest GETSEC exits (11) whatever EAX; with CR4.SMXE = 0 it is #UD', () => {
    for (const eax of [0, 0xff]) {
      const c = readyMachine();
      guestCr4(c, CR4.SMXE);
      guestAsm(c.m, `mov eax, ${eax}\ngetsec`);
      expect(launch(c)).to.equal(R_VM_EXIT);
      expect(reason(c)).to.equal(EXIT.GETSEC);
      expect(Number(r(c.cpu, 'VM_EXIT_INSTRUCTION_LEN'))).to.equal(2);
      expect(Number(r(c.cpu, 'GUEST_RIP'))).to.equal(GUEST_CODE + 5);
    }
    const d = readyMachine();
    guestAsm(d.m, 'getsec');
    w(d.cpu, 'EXCEPTION_BITMAP', 1 << 6);
    expect(launch(d)).to.equal(R_VM_EXIT);
    expect(reason(d)).to.equal(EXIT.EXCEPTION_NMI);
    expect(exceptionVector(d)).to.equal(6);
  });
  it('outside non-root operation GETSEC[CAPABILITIES] reports nothing available, and every other leaf is #UD', () => {
    const x = makeMachine();
    x.cpu.regs.cr4 |= CR4.SMXE;
    x.load('mov rax, -1\nxor ebx, ebx\ngetsec\nmov rcx, rax\nmov eax, 4\ngetsec\nhlt');
    x.run(100);
    expect(x.gpr('rcx')).to.equal(0n);
    expect(x.lastVector()).to.equal(6);
    const y = makeMachine();
    y.load('xor eax, eax\ngetsec\nhlt');
    y.run(100);
    expect(y.lastVector(), 'CR4.SMXE = 0').to.equal(6);
  });
});

describe('ENCLS (SDM 26.1.3; Vol. 3D ENCLS)', () => {
  const setup = (leaf: number, bitmap: bigint) => {
    const c = readyMachine();
    secondary(c, PROC2.ENABLE_ENCLS_EXITING);
    w(c.cpu, 'ENCLS_EXITING_BITMAP', bitmap);
    w(c.cpu, 'EXCEPTION_BITMAP', (1 << 6) | (1 << 13));
    guestAsm(c.m, `mov eax, ${leaf}\nencls`);
    return c;
  };
  it('exits (60) when the bitmap bit for EAX (bit 63 for EAX ≥ 63) is set, before the SGX opt-in #GP', () => {
    for (const [leaf, bitmap] of [[0, 1n], [12, 1n << 12n], [70, 1n << 63n]] as const) {
      const c = setup(leaf, bitmap);
      c.cpu.featureControl = 5; // SGX not opted in: still the VM exit wins
      expect(launch(c)).to.equal(R_VM_EXIT);
      expect(reason(c), `leaf ${leaf}`).to.equal(EXIT.ENCLS);
      expect(Number(r(c.cpu, 'VM_EXIT_INSTRUCTION_LEN'))).to.equal(3);
    }
  });
  it('not exiting: #GP(0) without SGX opt-in, for an undefined leaf; a defined leaf is an unsupported instruction', () => {
    const a = setup(0, 2n);
    a.cpu.featureControl = 5;
    expect(launch(a)).to.equal(R_VM_EXIT);
    expect([reason(a), exceptionVector(a)]).to.deep.equal([EXIT.EXCEPTION_NMI, 13]);
    const b = setup(0x10, 1n);
    expect(launch(b)).to.equal(R_VM_EXIT);
    expect([reason(b), exceptionVector(b)], 'leaf 10H needs CPUID.(EAX=12H,ECX=0):EAX[5]').to.deep.equal([EXIT.EXCEPTION_NMI, 13]);
    const c = setup(0x0f, 0n);
    expect(() => launch(c)).to.throw(/encls leaf 15 \(EMODT\)/);
  });
  it('without "enable ENCLS exiting" ENCLS never exits', () => {
    const c = setup(0x20, 0xffffffffffffffffn);
    secondary(c, 0);
    expect(launch(c)).to.equal(R_VM_EXIT);
    expect([reason(c), exceptionVector(c)]).to.deep.equal([EXIT.EXCEPTION_NMI, 13]);
  });
  it('on a processor without SGX1 ENCLS is #UD', () => {
    const c = readyMachine('minimal');
    guestAsm(c.m, 'xor eax, eax\nencls');
    w(c.cpu, 'EXCEPTION_BITMAP', 1 << 6);
    expect(launch(c)).to.equal(R_VM_EXIT);
    expect([reason(c), exceptionVector(c)]).to.deep.equal([EXIT.EXCEPTION_NMI, 6]);
  });
});

describe('XSAVES/XRSTORS with IA32_XSS and PT state (SDM 26.1.3, 26.3; Vol. 1 13.5.6, 13.11, 13.12)', () => {
  const AREA = 0x502000;
  const code = (body: string) => `mov ebx, ${AREA}\nmov eax, 0xffffffff\nmov edx, eax\n${body}`;
  const setup = (xss: bigint, bitmap: bigint, body: string) => {
    const c = readyMachine();
    guestCr4(c, CR4.OSXSAVE);
    secondary(c, PROC2.ENABLE_XSAVES_XRSTORS);
    w(c.cpu, 'XSS_EXIT_BITMAP', bitmap);
    w(c.cpu, 'EXCEPTION_BITMAP', (1 << 6) | (1 << 13));
    expect(writeMsr(c.cpu, MSR.IA32_XSS, xss)).to.equal(true);
    guestAsm(c.m, code(body));
    return c;
  };
  const q = (c: Ctx, at: number) => c.m.memory.read64(at);
  it('exit 63/64 when EDX:EAX, IA32_XSS and the bitmap share bit 8; no exit when IA32_XSS = 0', () => {
    for (const [insn, want] of [['xsaves', EXIT.XSAVES], ['xrstors', EXIT.XRSTORS]] as const) {
      const c = setup(0x100n, 0x100n, `${insn} [rbx]`);
      expect(launch(c)).to.equal(R_VM_EXIT);
      expect(reason(c), insn).to.equal(want);
      expect(Number(r(c.cpu, 'VM_EXIT_INSTRUCTION_LEN'))).to.equal(3);
      const d = setup(0n, 0xffffffffffffffffn, `${insn === 'xsaves' ? 'xsaves [rbx]' : 'xsaves [rbx]\nxrstors [rbx]'}\nvmcall`);
      expect(launch(d)).to.equal(R_VM_EXIT);
      expect(reason(d), `${insn} with IA32_XSS = 0`).to.equal(EXIT.VMCALL);
    }
  });
  it('XSAVES saves PT state at byte 576 when it is not in its initial configuration, and XRSTORS loads it back', () => {
    const c = setup(0x100n, 0n, 'xsaves [rbx]\nvmcall');
    expect(writeMsr(c.cpu, RTIT_MSR.IA32_RTIT_CTL, 0x2004n)).to.equal(true);
    expect(writeMsr(c.cpu, RTIT_MSR.IA32_RTIT_STATUS, 0x10n)).to.equal(true);
    expect(launch(c)).to.equal(R_VM_EXIT);
    expect(reason(c)).to.equal(EXIT.VMCALL);
    expect(q(c, AREA + 512), 'XSTATE_BV').to.equal(0x100n);
    expect(q(c, AREA + 520), 'XCOMP_BV').to.equal(0x8000000000000101n);
    expect(q(c, AREA + 576), 'IA32_RTIT_CTL').to.equal(0x2004n);
    expect(q(c, AREA + 576 + 24), 'IA32_RTIT_STATUS').to.equal(0x10n);
    expect(q(c, AREA + 576 + 120), 'reserved').to.equal(0n);
    // Clear the MSRs, then restore them from the area.
    writeMsr(c.cpu, RTIT_MSR.IA32_RTIT_CTL, 0n);
    writeMsr(c.cpu, RTIT_MSR.IA32_RTIT_STATUS, 0n);
    const d = setup(0x100n, 0n, 'xrstors [rbx]\nvmcall');
    d.m.memory.writeBytes(AREA, c.m.memory.readBytes(AREA, 1024));
    expect(launch(d)).to.equal(R_VM_EXIT);
    expect(reason(d)).to.equal(EXIT.VMCALL);
    expect(readMsr(d.cpu, RTIT_MSR.IA32_RTIT_CTL)).to.equal(0x2004n);
    expect(readMsr(d.cpu, RTIT_MSR.IA32_RTIT_STATUS)).to.equal(0x10n);
  });
  it('XSAVES of PT state in its initial configuration writes XSTATE_BV[8] = 0; XRSTORS with XSTATE_BV[8] = 0 initializes it', () => {
    const c = setup(0x100n, 0n, 'xsaves [rbx]\nvmcall');
    expect(launch(c)).to.equal(R_VM_EXIT);
    expect(q(c, AREA + 512)).to.equal(0n);
    expect(q(c, AREA + 520)).to.equal(0x8000000000000101n);
    const d = setup(0x100n, 0n, 'xrstors [rbx]\nvmcall');
    d.m.memory.writeBytes(AREA, c.m.memory.readBytes(AREA, 1024));
    writeMsr(d.cpu, RTIT_MSR.IA32_RTIT_CTL, 0x4n);
    expect(launch(d)).to.equal(R_VM_EXIT);
    expect(reason(d)).to.equal(EXIT.VMCALL);
    expect(readMsr(d.cpu, RTIT_MSR.IA32_RTIT_CTL)).to.equal(0n);
  });
  it('XRSTORS #GP(0): an invalid IA32_RTIT_CTL value, a value for an MSR the processor lacks, non-zero header bytes', () => {
    const cases: [string, number, bigint][] = [
      ['TraceEn in the saved IA32_RTIT_CTL', AREA + 576, 1n],
      ['a saved IA32_RTIT_OUTPUT_BASE', AREA + 576 + 8, 0x1000n],
      ['header bytes 63:16', AREA + 528, 1n],
    ];
    for (const [what, at, v] of cases) {
      const c = setup(0x100n, 0n, 'xrstors [rbx]\nvmcall');
      c.m.memory.write64(AREA + 512, 0x100n);
      c.m.memory.write64(AREA + 520, 0x8000000000000101n);
      c.m.memory.write64(at, v);
      expect(launch(c)).to.equal(R_VM_EXIT);
      expect([reason(c), exceptionVector(c)], what).to.deep.equal([EXIT.EXCEPTION_NMI, 13]);
    }
  });
  it('on minimal (no XSAVES) XSAVES is #UD and XGETBV with ECX = 1 is #GP(0)', () => {
    const c = readyMachine('minimal');
    guestCr4(c, CR4.OSXSAVE);
    w(c.cpu, 'EXCEPTION_BITMAP', (1 << 6) | (1 << 13));
    guestAsm(c.m, 'mov ecx, 1\nxgetbv');
    expect(launch(c)).to.equal(R_VM_EXIT);
    expect([reason(c), exceptionVector(c)]).to.deep.equal([EXIT.EXCEPTION_NMI, 13]);
    const u = readyMachine('minimal');
    guestCr4(u, CR4.OSXSAVE);
    w(u.cpu, 'EXCEPTION_BITMAP', 1 << 6);
    guestAsm(u.m, code('xsaves [rbx]'));
    expect(launch(u)).to.equal(R_VM_EXIT);
    expect([reason(u), exceptionVector(u)]).to.deep.equal([EXIT.EXCEPTION_NMI, 6]);
    const s = readyMachine();
    guestCr4(s, CR4.OSXSAVE);
    guestAsm(s.m, 'mov ecx, 1\nxgetbv\nvmcall');
    expect(launch(s)).to.equal(R_VM_EXIT);
    expect(reason(s), 'XGETBV ECX=1 with CPUID.(EAX=0DH,ECX=1):EAX[2]').to.equal(EXIT.VMCALL);
  });
});
