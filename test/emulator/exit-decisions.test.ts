/** Exit decisions in VMX non-root operation (SDM 26.1, 26.2): the exit table and the special rules, unit by unit. */
import { describe, it } from 'node:test';
import { expect } from 'chai';
import { CR0, EXIT, F, PROC, PROC2 } from '../../src/arch';
import { EXIT_TABLE } from '../../src/emulator/nonroot/exit-table';
import { NO_EXIT, UD_INSTEAD, decideExit } from '../../src/emulator/nonroot/decide';
import { ioExits, msrExits, shadowBitmapExits } from '../../src/emulator/nonroot/bitmaps';
import { cltsExits, lmswExits, maskedCrWrite, movToCr0or4Exits, movToCr3Exits, shadowedCr } from '../../src/emulator/nonroot/cr-access';
import { exceptionExits } from '../../src/emulator/nonroot/events';
import type { ExitingInstruction } from '../../src/emulator/x86/platform';
import { permissiveMachine, readyMachine, w } from './fixture';

const IO_A = 0x60000;
const IO_B = 0x61000;
const MSRBM = 0x62000;

function withIoBitmaps() {
  const c = readyMachine();
  w(c.cpu, 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL', c.m.caps.proc.must1 | PROC.USE_IO_BITMAPS);
  w(c.cpu, 'IO_BITMAP_A', IO_A);
  w(c.cpu, 'IO_BITMAP_B', IO_B);
  return c;
}
function setBit(c: ReturnType<typeof readyMachine>, base: number, n: number): void {
  c.m.memory.write8(base + (n >>> 3), c.m.memory.read8(base + (n >>> 3)) | (1 << (n & 7)));
}

describe('the exit table (SDM 26.1.2, 26.1.3)', () => {
  it('the unconditional instructions exit with their own basic reason whatever the controls', () => {
    const c = readyMachine();
    const always: ExitingInstruction[] = ['CPUID', 'GETSEC', 'INVD', 'XSETBV', 'INVEPT', 'INVVPID', 'VMCALL', 'VMCLEAR',
      'VMLAUNCH', 'VMPTRLD', 'VMPTRST', 'VMRESUME', 'VMXOFF', 'VMXON'];
    for (const i of always) {
      expect(EXIT_TABLE[i].control, i).to.equal('always');
      c.cpu.facts.instruction = i;
      expect(decideExit(c.cpu, c.cpu.current!, c.cpu.facts), i).to.equal(EXIT[i as keyof typeof EXIT]);
    }
  });
  it('a control-bit row exits exactly when its bit is set (secondary bits only with "activate secondary controls")', () => {
    const c = readyMachine();
    const f = c.cpu.facts;
    for (const [name, e] of Object.entries(EXIT_TABLE)) {
      if (typeof e.control !== 'object') continue;
      f.instruction = name as ExitingInstruction;
      const primary = e.control.field === 'primary';
      w(c.cpu, 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL', c.m.caps.proc.must1 | (primary ? 0 : PROC.ACTIVATE_SECONDARY_CONTROLS));
      w(c.cpu, 'SECONDARY_VM_EXEC_CONTROL', 0);
      expect(decideExit(c.cpu, c.cpu.current!, f), `${name} with control clear`).to.equal(NO_EXIT);
      if (primary) w(c.cpu, 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL', (c.m.caps.proc.must1 | e.control.bit) >>> 0);
      else w(c.cpu, 'SECONDARY_VM_EXEC_CONTROL', e.control.bit);
      expect(decideExit(c.cpu, c.cpu.current!, f), `${name} with ${e.control.name}`).to.equal(e.exitReason);
      if (!primary) {
        w(c.cpu, 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL', c.m.caps.proc.must1);
        expect(decideExit(c.cpu, c.cpu.current!, f), `${name}: secondary ignored when not activated`).to.equal(NO_EXIT);
      }
    }
  });
  it('RDTSCP, INVPCID, XSAVES/XRSTORS raise #UD without their enable control; RSM is #UD', () => {
    const c = readyMachine();
    const f = c.cpu.facts;
    for (const i of ['RDTSCP', 'INVPCID', 'XSAVES', 'XRSTORS', 'RSM', 'VMFUNC', 'TPAUSE', 'UMWAIT'] as ExitingInstruction[]) {
      f.instruction = i;
      expect(decideExit(c.cpu, c.cpu.current!, f), i).to.equal(UD_INSTEAD);
    }
  });
  it('RDTSCP with "enable RDTSCP" exits (51) only with RDTSC exiting; INVPCID (58) only with INVLPG exiting', () => {
    const c = readyMachine();
    const f = c.cpu.facts;
    w(c.cpu, 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL', c.m.caps.proc.must1 | PROC.ACTIVATE_SECONDARY_CONTROLS);
    w(c.cpu, 'SECONDARY_VM_EXEC_CONTROL', PROC2.ENABLE_RDTSCP | PROC2.ENABLE_INVPCID);
    f.instruction = 'RDTSCP';
    expect(decideExit(c.cpu, c.cpu.current!, f)).to.equal(NO_EXIT);
    f.instruction = 'INVPCID';
    expect(decideExit(c.cpu, c.cpu.current!, f)).to.equal(NO_EXIT);
    w(c.cpu, 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL', c.m.caps.proc.must1 | PROC.ACTIVATE_SECONDARY_CONTROLS | PROC.RDTSC_EXITING | PROC.INVLPG_EXITING);
    expect(decideExit(c.cpu, c.cpu.current!, f)).to.equal(EXIT.INVPCID);
    f.instruction = 'RDTSCP';
    expect(decideExit(c.cpu, c.cpu.current!, f)).to.equal(EXIT.RDTSCP);
  });
  it('XSAVES/XRSTORS exit iff EDX:EAX, IA32_XSS and the XSS-exiting bitmap share a set bit (XCR0 plays no part)', () => {
    const c = readyMachine();
    const f = c.cpu.facts;
    w(c.cpu, 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL', c.m.caps.proc.must1 | PROC.ACTIVATE_SECONDARY_CONTROLS);
    w(c.cpu, 'SECONDARY_VM_EXEC_CONTROL', PROC2.ENABLE_XSAVES_XRSTORS);
    for (const i of ['XSAVES', 'XRSTORS'] as ExitingInstruction[]) {
      f.instruction = i;
      const reason = i === 'XSAVES' ? EXIT.XSAVES : EXIT.XRSTORS;
      c.cpu.msrStore.set(0xda0, 0n);
      f.value = 0xffffffffffffffffn;
      w(c.cpu, 'XSS_EXIT_BITMAP', 0xffffffffffffffffn);
      expect(decideExit(c.cpu, c.cpu.current!, f), `${i}: IA32_XSS = 0`).to.equal(NO_EXIT); // XCR0 bit 0 is set, yet no exit
      c.cpu.msrStore.set(0xda0, 0x100n);
      expect(decideExit(c.cpu, c.cpu.current!, f), `${i}: all three share bit 8`).to.equal(reason);
      f.value = 0xffn;
      expect(decideExit(c.cpu, c.cpu.current!, f), `${i}: EDX:EAX lacks bit 8`).to.equal(NO_EXIT);
      f.value = 0x100n;
      w(c.cpu, 'XSS_EXIT_BITMAP', 0xfeffn);
      expect(decideExit(c.cpu, c.cpu.current!, f), `${i}: the bitmap lacks bit 8`).to.equal(NO_EXIT);
    }
  });
  it('ENCLS exits by the ENCLS-exiting bitmap (bit EAX, or bit 63 for EAX ≥ 63) under "enable ENCLS exiting"', () => {
    const c = readyMachine();
    const f = c.cpu.facts;
    f.instruction = 'ENCLS';
    w(c.cpu, 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL', c.m.caps.proc.must1 | PROC.ACTIVATE_SECONDARY_CONTROLS);
    w(c.cpu, 'SECONDARY_VM_EXEC_CONTROL', 0);
    w(c.cpu, 'ENCLS_EXITING_BITMAP', 0xffffffffffffffffn);
    f.operand1 = 0n;
    expect(decideExit(c.cpu, c.cpu.current!, f), 'control clear').to.equal(NO_EXIT);
    w(c.cpu, 'SECONDARY_VM_EXEC_CONTROL', PROC2.ENABLE_ENCLS_EXITING);
    const cases: [bigint, bigint, number][] = [
      [0n, 1n, EXIT.ENCLS], [0n, 2n, NO_EXIT], [5n, 1n << 5n, EXIT.ENCLS], [62n, 1n << 62n, EXIT.ENCLS],
      [63n, 1n << 63n, EXIT.ENCLS], [0xffffffffn, 1n << 63n, EXIT.ENCLS], [70n, 1n << 62n, NO_EXIT], [3n, 1n << 63n, NO_EXIT],
    ];
    for (const [eax, bitmap, want] of cases) {
      f.operand1 = eax;
      w(c.cpu, 'ENCLS_EXITING_BITMAP', bitmap);
      expect(decideExit(c.cpu, c.cpu.current!, f), `EAX ${eax}, bitmap ${bitmap.toString(16)}`).to.equal(want);
    }
  });
  it('ENCLS is #UD on a processor without SGX even when the ENCLS-exiting bitmap asks for an exit (the #UD has priority)', () => {
    const c = permissiveMachine({ features: { smx: false, sgx: false, xsaves: false, intelPt: false } });
    const f = c.cpu.facts;
    f.instruction = 'ENCLS';
    w(c.cpu, 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL', c.m.caps.proc.must1 | PROC.ACTIVATE_SECONDARY_CONTROLS);
    w(c.cpu, 'SECONDARY_VM_EXEC_CONTROL', PROC2.ENABLE_ENCLS_EXITING);
    w(c.cpu, 'ENCLS_EXITING_BITMAP', 0xffffffffffffffffn);
    f.operand1 = 0n;
    expect(decideExit(c.cpu, c.cpu.current!, f)).to.equal(UD_INSTEAD);
  });
  it('PAUSE-loop exiting: a PAUSE more than PLE_Window after the first of its loop exits; a gap starts a new loop', () => {
    const c = readyMachine();
    const f = c.cpu.facts;
    f.instruction = 'PAUSE';
    w(c.cpu, 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL', c.m.caps.proc.must1 | PROC.ACTIVATE_SECONDARY_CONTROLS);
    w(c.cpu, 'SECONDARY_VM_EXEC_CONTROL', PROC2.PAUSE_LOOP_EXITING);
    w(c.cpu, 'PLE_GAP', 10);
    w(c.cpu, 'PLE_WINDOW', 50);
    c.cpu.pleLast = -1;
    const at = (t: number) => { c.cpu.tsc = t; return decideExit(c.cpu, c.cpu.current!, f); };
    expect(at(1000)).to.equal(NO_EXIT);
    expect(at(1008)).to.equal(NO_EXIT);
    expect(at(1050)).to.equal(NO_EXIT); // gap 42 > 10: a new loop
    for (let t = 1055; t <= 1100; t += 5) expect(at(t), `t=${t}`).to.equal(NO_EXIT);
    expect(at(1105)).to.equal(EXIT.PAUSE); // 55 > 50 after the loop's first PAUSE
    c.cpu.regs.cpl = 3;
    expect(at(1110)).to.equal(NO_EXIT); // PAUSE-loop exiting applies at CPL 0 only
  });
});

describe('I/O bitmaps (SDM 26.1.3)', () => {
  it('without I/O bitmaps: unconditional I/O exiting decides', () => {
    const c = readyMachine();
    expect(ioExits(c.m.memory, c.cpu.current!, 0x80, 1)).to.equal(false);
    w(c.cpu, 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL', c.m.caps.proc.must1 | PROC.UNCONDITIONAL_IO_EXITING);
    expect(ioExits(c.m.memory, c.cpu.current!, 0x80, 1)).to.equal(true);
  });
  it('with I/O bitmaps, unconditional I/O exiting is ignored', () => {
    const c = withIoBitmaps();
    w(c.cpu, 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL', c.m.caps.proc.must1 | PROC.USE_IO_BITMAPS | PROC.UNCONDITIONAL_IO_EXITING);
    expect(ioExits(c.m.memory, c.cpu.current!, 0x80, 1)).to.equal(false);
  });
  it('bitmap A covers 0000H–7FFFH, B 8000H–FFFFH; an access spanning ports exits if any of them is set', () => {
    const c = withIoBitmaps();
    setBit(c, IO_A, 0x81);
    setBit(c, IO_B, 0x8000 & 0x7fff);
    const v = c.cpu.current!;
    expect(ioExits(c.m.memory, v, 0x80, 1)).to.equal(false);
    expect(ioExits(c.m.memory, v, 0x80, 2)).to.equal(true);
    expect(ioExits(c.m.memory, v, 0x7f, 2)).to.equal(false);
    expect(ioExits(c.m.memory, v, 0x7ffe, 4)).to.equal(true); // 7FFE..8001 reaches port 8000H in bitmap B
    expect(ioExits(c.m.memory, v, 0x8001, 4)).to.equal(false);
  });
  it('an access that wraps past FFFFH always exits', () => {
    const c = withIoBitmaps();
    expect(ioExits(c.m.memory, c.cpu.current!, 0xffff, 2)).to.equal(true);
    expect(ioExits(c.m.memory, c.cpu.current!, 0xfffe, 2)).to.equal(false);
  });
});

describe('MSR bitmaps (SDM 26.1.3)', () => {
  it('without MSR bitmaps every RDMSR/WRMSR exits', () => {
    const c = readyMachine();
    expect(msrExits(c.m.memory, c.cpu.current!, 0x10, false)).to.equal(true);
  });
  it('read/write, low/high bitmaps; MSRs outside both ranges always exit', () => {
    const c = readyMachine();
    w(c.cpu, 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL', c.m.caps.proc.must1 | PROC.USE_MSR_BITMAPS);
    w(c.cpu, 'MSR_BITMAP', MSRBM);
    const v = c.cpu.current!;
    setBit(c, MSRBM, 0x174); // read low
    setBit(c, MSRBM + 1024, 0x80); // read high: C0000080H
    setBit(c, MSRBM + 2048, 0x1ff); // write low
    setBit(c, MSRBM + 3072, 0x1fff); // write high: C0001FFFH
    expect(msrExits(c.m.memory, v, 0x174, false)).to.equal(true);
    expect(msrExits(c.m.memory, v, 0x174, true)).to.equal(false);
    expect(msrExits(c.m.memory, v, 0xc0000080, false)).to.equal(true);
    expect(msrExits(c.m.memory, v, 0xc0000080, true)).to.equal(false);
    expect(msrExits(c.m.memory, v, 0x80, false)).to.equal(false); // same bit number in the low range is clear
    expect(msrExits(c.m.memory, v, 0x1ff, true)).to.equal(true);
    expect(msrExits(c.m.memory, v, 0xc0001fff, true)).to.equal(true);
    expect(msrExits(c.m.memory, v, 0x2000, false)).to.equal(true);
    expect(msrExits(c.m.memory, v, 0xc0002000, true)).to.equal(true);
    expect(msrExits(c.m.memory, v, 0x40000000, false)).to.equal(true);
  });
});

describe('control-register accesses (SDM 26.1.3, 26.3)', () => {
  it('MOV to CR0 exits iff a host-owned bit would differ from the read shadow', () => {
    const c = readyMachine();
    w(c.cpu, 'CR0_GUEST_HOST_MASK', CR0.TS | CR0.CD);
    w(c.cpu, 'CR0_READ_SHADOW', CR0.TS);
    const v = c.cpu.current!;
    expect(movToCr0or4Exits(v, 0, CR0.TS | CR0.PE, 0)).to.equal(false);
    expect(movToCr0or4Exits(v, 0, CR0.PE, 0)).to.equal(true);
    expect(movToCr0or4Exits(v, 0, CR0.TS | CR0.CD, 0)).to.equal(true);
    expect(movToCr0or4Exits(v, 0, CR0.TS | CR0.MP, 0)).to.equal(false);
  });
  it('MOV from CR0 reads host-owned bits from the shadow; a non-exiting write keeps them', () => {
    const c = readyMachine();
    w(c.cpu, 'CR0_GUEST_HOST_MASK', CR0.TS);
    w(c.cpu, 'CR0_READ_SHADOW', CR0.TS);
    c.cpu.regs.cr0 = (c.cpu.regs.cr0 & ~CR0.TS) >>> 0;
    expect(shadowedCr(c.cpu, c.cpu.current!, 0) & CR0.TS).to.equal(CR0.TS);
    expect(maskedCrWrite(c.cpu, c.cpu.current!, 0, CR0.TS | CR0.PE) & CR0.TS).to.equal(0);
  });
  it('CLTS exits iff TS is host-owned and set in the shadow', () => {
    const c = readyMachine();
    const v = c.cpu.current!;
    expect(cltsExits(v)).to.equal(false);
    w(c.cpu, 'CR0_GUEST_HOST_MASK', CR0.TS);
    expect(cltsExits(v)).to.equal(false);
    w(c.cpu, 'CR0_READ_SHADOW', CR0.TS);
    expect(cltsExits(v)).to.equal(true);
  });
  it('LMSW: setting a host-owned PE that the shadow has clear exits; clearing it does not; MP/EM/TS must match the shadow', () => {
    const c = readyMachine();
    const v = c.cpu.current!;
    w(c.cpu, 'CR0_GUEST_HOST_MASK', CR0.PE | CR0.MP);
    w(c.cpu, 'CR0_READ_SHADOW', 0);
    expect(lmswExits(v, CR0.PE)).to.equal(true);
    expect(lmswExits(v, 0)).to.equal(false);
    expect(lmswExits(v, CR0.MP)).to.equal(true);
    expect(lmswExits(v, CR0.EM | CR0.TS)).to.equal(false);
    w(c.cpu, 'CR0_READ_SHADOW', CR0.PE);
    expect(lmswExits(v, 0)).to.equal(false); // LMSW cannot clear PE
  });
  it('MOV to CR3 with CR3-load exiting: no exit for one of the first CR3-target-count target values', () => {
    const c = readyMachine();
    const v = c.cpu.current!;
    expect(movToCr3Exits(v, 0x5000, 0)).to.equal(false);
    w(c.cpu, 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL', c.m.caps.proc.must1 | PROC.CR3_LOAD_EXITING);
    w(c.cpu, 'CR3_TARGET_VALUE1', 0x5000);
    expect(movToCr3Exits(v, 0x5000, 0)).to.equal(true); // count 0: every load exits
    w(c.cpu, 'CR3_TARGET_COUNT', 1);
    expect(movToCr3Exits(v, 0x5000, 0)).to.equal(true); // value 1 is beyond the count
    w(c.cpu, 'CR3_TARGET_COUNT', 2);
    expect(movToCr3Exits(v, 0x5000, 0)).to.equal(false);
    expect(movToCr3Exits(v, 0x5000, 1)).to.equal(true);
  });
});

describe('exceptions and the exception bitmap (SDM 26.2)', () => {
  it('a set bit makes the exception exit; #PF uses the error-code mask/match rule both ways', () => {
    const c = readyMachine();
    const v = c.cpu.current!;
    w(c.cpu, 'EXCEPTION_BITMAP', 1 << 6);
    expect(exceptionExits(v, 6, 0)).to.equal(true);
    expect(exceptionExits(v, 13, 0)).to.equal(false);
    // Bit 14 clear: exit iff (PFEC & MASK) != MATCH.
    w(c.cpu, 'PAGE_FAULT_ERROR_CODE_MASK', 2);
    w(c.cpu, 'PAGE_FAULT_ERROR_CODE_MATCH', 2);
    expect(exceptionExits(v, 14, 2)).to.equal(false);
    expect(exceptionExits(v, 14, 0)).to.equal(true);
    // Bit 14 set: exit iff (PFEC & MASK) == MATCH.
    w(c.cpu, 'EXCEPTION_BITMAP', 1 << 14);
    expect(exceptionExits(v, 14, 2)).to.equal(true);
    expect(exceptionExits(v, 14, 3)).to.equal(true);
    expect(exceptionExits(v, 14, 1)).to.equal(false);
    // Mask 0, match 0: every #PF matches, so bit 14 alone decides.
    w(c.cpu, 'PAGE_FAULT_ERROR_CODE_MASK', 0);
    w(c.cpu, 'PAGE_FAULT_ERROR_CODE_MATCH', 0);
    expect(exceptionExits(v, 14, 7)).to.equal(true);
  });
});

describe('VMREAD/VMWRITE bitmaps (SDM 26.1.3)', () => {
  it('an encoding with bits 63:15 set always exits; otherwise the bit for bits 14:0 decides', () => {
    const c = readyMachine();
    w(c.cpu, 'VMREAD_BITMAP', 0x63000);
    w(c.cpu, 'VMWRITE_BITMAP', 0x64000);
    const v = c.cpu.current!;
    setBit(c, 0x63000, F.GUEST_RIP);
    expect(shadowBitmapExits(c.m.memory, v, BigInt(F.GUEST_RIP), false)).to.equal(true);
    expect(shadowBitmapExits(c.m.memory, v, BigInt(F.GUEST_RIP), true)).to.equal(false);
    expect(shadowBitmapExits(c.m.memory, v, BigInt(F.GUEST_RSP), false)).to.equal(false);
    expect(shadowBitmapExits(c.m.memory, v, 0x8000n | BigInt(F.GUEST_RSP), false)).to.equal(true);
    expect(shadowBitmapExits(c.m.memory, v, 1n << 32n, true)).to.equal(true);
  });
});
