/**
 * The seam with the VMX layer: which instructions ask Platform.interceptInstruction, in which order relative
 * to faults (SDM 26.1.1), and the facts they report (SDM 28.2: qualification inputs, instruction length,
 * instruction information).
 */
import { describe, it } from 'node:test';
import { expect } from 'chai';
import { DATA, makeMachine } from './machine';
import { EXITED, FAULTED, GPA_PAGING_STRUCTURE, GPA_WRITE } from '../../src/emulator/x86/platform';
import { T_EXTERNAL } from '../../src/emulator/x86';

function nonRoot(src: string): ReturnType<typeof makeMachine> & { labels: Record<string, bigint> } {
  const m = makeMachine();
  m.cpu.nonRoot = true;
  m.cpu.regs.cr4 |= 1 << 13; // VMXE
  const labels = m.load(src);
  return Object.assign(m, { labels });
}

const toUser = `
  push 0x23
  push 0x60000
  push 0x2
  push 0x2b
  lea rax, [user]
  push rax
  iretq
user:`;

describe('VM-exit decisions', () => {
  it('CPUID: EXITED stops the run with RIP at CPUID and the exact length; CONTINUE executes it', () => {
    const m = nonRoot('nop\nc: cpuid\nhlt');
    m.platform.exitOn.set('CPUID', EXITED);
    m.cpu.regs.rflags = 0x202;
    expect(m.run()).to.equal(2);
    expect(m.platform.intercepts.map((r) => [r.instruction, r.length, r.rip])).to.deep.equal([['CPUID', 2, Number(m.labels.c)]]);
    expect(m.cpu.regs.rip).to.equal(Number(m.labels.c));
    m.platform.exitOn.clear();
    m.cpu.regs.setGpr(0, 4n);
    m.run();
    expect(m.gpr('rax')).to.equal(0x11110004n);
    expect(m.cpu.activityState).to.equal(1);
  });

  it('HLT that does not exit puts the processor in the HLT state', () => {
    const m = nonRoot('hlt\nnop');
    expect(m.run()).to.equal(1);
    expect(m.platform.intercepts.map((r) => r.instruction)).to.deep.equal(['HLT']);
    expect(m.cpu.activityState).to.equal(1);
    expect(m.run()).to.equal(0);
  });

  it('privilege faults come before the VM exit: RDMSR, HLT, MOV CR3 at CPL 3 raise #GP without asking', () => {
    for (const insn of ['rdmsr', 'hlt', 'mov cr3, rax', 'wbinvd', 'lgdt [rax]']) {
      const m = nonRoot(`${toUser}\n${insn}`);
      m.run();
      expect(m.lastVector(), insn).to.equal(13);
      expect(m.platform.intercepts.filter((r) => r.instruction !== 'HLT'), insn).to.deep.equal([]); // the stub's HLT

    }
  });

  it('RDTSC at CPL 3 with CR4.TSD raises #GP before the exit; without TSD it asks and reads the platform TSC', () => {
    const m = nonRoot(`${toUser}\nrdtsc`);
    m.cpu.regs.cr4 |= 4;
    m.run();
    expect(m.lastVector()).to.equal(13);
    const n = nonRoot(`${toUser}\nrdtsc\nud2`);
    n.run();
    expect(n.platform.intercepts.map((r) => r.instruction)).to.deep.equal(['RDTSC', 'HLT']); // then the #UD stub's HLT
    expect(n.gpr('rax')).to.equal(1010n);
  });

  it('VMX instructions exit in non-root operation even at CPL 3', () => {
    const m = nonRoot(`${toUser}\nvmcall`);
    m.platform.exitOn.set('VMCALL', EXITED);
    m.run();
    expect(m.platform.intercepts.map((r) => r.instruction)).to.deep.equal(['VMCALL']);
  });

  it('I/O: permission-bitmap faults come first; the facts give port, size, direction, string, REP, immediate', () => {
    const m = nonRoot(`${toUser}\nin al, 0x60`);
    m.run();
    expect(m.lastVector()).to.equal(13); // CPL 3 > IOPL 0 and the TSS has no I/O bitmap
    expect(m.platform.intercepts.map((r) => r.instruction)).to.deep.equal(['HLT']); // only the stub's HLT
    const n = nonRoot(`mov dx, 0x3f8\nout 0x80, ax\nmov rsi, ${DATA}\nmov ecx, 4\nrep outsb\nhlt`);
    n.run();
    const [out, outs] = n.platform.intercepts;
    expect(out.facts).to.deep.include({ instruction: 'OUT', port: 0x80, size: 2, isIn: false, isString: false, isRep: false, immediatePort: true, length: 3 });
    expect(outs.facts).to.deep.include({ instruction: 'OUTS', port: 0x3f8, size: 1, isIn: false, isString: true, isRep: true, immediatePort: false, length: 2 });
    expect(outs.facts.linearAddress).to.equal(BigInt(DATA));
    expect(outs.facts.instructionInfo).to.equal((2 << 7) | (3 << 15)); // 64-bit address size, DS
  });

  it('MOV to CR3 reports CR number, GPR and value, then writes through the platform', () => {
    const m = nonRoot('mov r9, 0x10000\nmov cr3, r9\nmov rax, cr4\nhlt');
    m.run();
    const [toCr, fromCr] = m.platform.intercepts;
    expect(toCr.facts).to.deep.include({ instruction: 'MOV-TO-CR', crOrDr: 3, gpr: 9, value: 0x10000n, length: 4 });
    expect(fromCr.facts).to.deep.include({ instruction: 'MOV-FROM-CR', crOrDr: 4, gpr: 0 });
    expect(m.gpr('rax')).to.equal(BigInt(m.cpu.regs.cr4));
  });

  it('MOV DR, LMSW, CLTS, INVLPG and RDMSR/WRMSR facts', () => {
    const m = nonRoot(`
      mov dr7, rbx
      mov ax, 0x1
      lmsw ax
      clts
      invlpg [${DATA + 0x10}]
      mov ecx, 0xc0000103
      rdmsr
      wrmsr
      hlt`);
    m.run();
    const f = m.platform.intercepts.map((r) => r.facts);
    expect(f[0]).to.deep.include({ instruction: 'MOV-DR', crOrDr: 7, gpr: 3, toRegister: true });
    expect(f[1]).to.deep.include({ instruction: 'LMSW', value: 1n, memoryOperand: false });
    expect(f[2]).to.deep.include({ instruction: 'CLTS' });
    expect(f[3]).to.deep.include({ instruction: 'INVLPG', linearAddress: BigInt(DATA + 0x10) });
    expect(f[4]).to.deep.include({ instruction: 'RDMSR', msr: 0xc0000103 });
    expect(f[5]).to.deep.include({ instruction: 'WRMSR', msr: 0xc0000103, value: 7n });
  });

  it('a FAULTED hook raises the requested exception (default #GP(0))', () => {
    const m = nonRoot('mov ecx, 0x10\nwrmsr\nhlt');
    m.platform.exitOn.set('WRMSR', FAULTED);
    m.run();
    expect(m.lastVector()).to.equal(13);
    expect(m.mem.read64(DATA - 8)).to.equal(0n);
  });

  it('descriptor-table instructions: instruction information and displacement', () => {
    const m = nonRoot(`mov rbx, ${DATA}\nlgdt [rbx + rcx*4 + 0x20]\nsidt [rbx]\nstr ax\nhlt`);
    m.mem.write16(DATA + 0x20, 0x3f);
    m.mem.write64(DATA + 0x22, 0x1000n);
    m.run();
    const [lgdt, sidt, str] = m.platform.intercepts.map((r) => r.facts);
    // scaling 2 (x4), address size 64, segment DS, index RCX, base RBX, identity LGDT.
    expect(lgdt.instructionInfo).to.equal((2 | (2 << 7) | (1 << 11) | (3 << 15) | (1 << 18) | (3 << 23) | (2 << 28)) >>> 0);
    expect(lgdt.displacement).to.equal(0x20n);
    expect(sidt.instructionInfo).to.equal(((2 << 7) | (1 << 11) | (3 << 15) | (1 << 22) | (3 << 23) | (1 << 28)) >>> 0);
    expect(str.instructionInfo).to.equal(((0 << 3) | (2 << 7) | (1 << 10) | (1 << 28)) >>> 0);
  });

  it('VMREAD/VMWRITE that do not exit go to the shadow VMCS and set RFLAGS per the VMX conventions', () => {
    const m = nonRoot(`
      mov rax, 0x4400
      mov rbx, 0x99
      vmwrite rax, rbx
      vmread rcx, rax
      pushfq
      pop r8
      mov rax, 0x1234
      vmread rcx, rax
      pushfq
      pop r9
      hlt`);
    m.run();
    expect(m.gpr('rcx')).to.equal(0x99n);
    expect(m.gpr('r8') & 0x8d5n).to.equal(0n);
    expect(m.gpr('r9') & 0x8d5n).to.equal(0x40n); // VMfailValid
    const rd = m.platform.intercepts[1].facts;
    expect(rd).to.deep.include({ instruction: 'VMREAD', operand1: 0x4400n, destinationGpr: 1 });
    expect(rd.instructionInfo).to.equal(((1 << 3) | (2 << 7) | (1 << 10) | (0 << 28)) >>> 0);
  });

  it('INVEPT in non-root operation exits before reading its descriptor', () => {
    const m = nonRoot(`mov rax, 1\ninvept rax, [${0x7ffff000}]`);
    m.platform.exitOn.set('INVEPT', EXITED);
    m.run();
    const f = m.platform.intercepts[0].facts;
    expect(f).to.deep.include({ instruction: 'INVEPT', operand1: 1n, operand2: 0n });
    expect(m.lastVector()).to.equal(-1);
  });

  it('in root operation VMX instructions are handed to the platform; with CR4.VMXE = 0 they are #UD', () => {
    const m = makeMachine();
    m.mem.write64(DATA, 0xabc000n);
    m.cpu.regs.cr4 |= 1 << 13;
    m.load(`vmxon [${DATA}]\nhlt`);
    m.run();
    expect(m.platform.intercepts[0].facts).to.deep.include({ instruction: 'VMXON', operand1: 0xabc000n });
    const u = makeMachine();
    u.load('vmxoff\nhlt');
    u.run();
    expect(u.lastVector()).to.equal(6);
  });

  it('pending events: the boundary hook runs before each instruction and can end the run', () => {
    const m = nonRoot('nop\nnop\nnop\nhlt');
    m.cpu.pendingEvents = true;
    m.platform.onBoundary = () => (m.platform.boundaryCalls === 3 ? EXITED : 0);
    expect(m.run()).to.equal(2);
  });

  it('STI blocks events for one instruction (interruptibility bit 0)', () => {
    const m = nonRoot('sti\nnop\nnop\nhlt');
    const seen: number[] = [];
    m.cpu.pendingEvents = true;
    m.platform.onBoundary = (cpu) => {
      seen.push(cpu.interruptibility ?? -1);
      return 0;
    };
    m.run();
    expect(seen.slice(0, 3)).to.deep.equal([0, 1, 0]);
  });

  it('the EPT hook sees paging-structure reads and A/D writes, and a -1 result stops the run at the instruction', () => {
    const m = nonRoot(`mov eax, [${DATA}]\nl: mov dword ptr [${DATA + 0x200000}], 1\nhlt`);
    const seen: [number, number][] = [];
    (m.platform as unknown as { translateGuestPhysical: (c: unknown, gpa: number, access: number) => number }).translateGuestPhysical =
      (_c, gpa, access) => {
        seen.push([gpa, access]);
        return gpa >= DATA + 0x200000 && gpa < DATA + 0x201000 ? -1 : gpa;
      };
    m.run();
    expect(seen.some(([, a]) => (a & GPA_PAGING_STRUCTURE) !== 0)).to.equal(true);
    expect(seen.some(([, a]) => (a & GPA_WRITE) !== 0)).to.equal(true);
    expect(m.cpu.regs.rip).to.equal(Number(m.labels.l));
  });

  it('deliverEvent for an external interrupt', () => {
    const m = makeMachine();
    m.load('hlt');
    expect(m.interp.deliverEvent(m.cpu, 13, T_EXTERNAL)).to.equal(0);
    m.run();
    expect(m.lastVector()).to.equal(13);
  });
});

describe('VM exits from inside the interpreter', () => {
  it('a triple fault that the platform turns into a VM exit does not shut the processor down', () => {
    const m = nonRoot('ud2');
    m.cpu.regs.idtrLimit = 0;
    m.platform.tripleFault = (cpu) => {
      m.platform.tripleFaults++;
      (cpu as { nonRoot: boolean }).nonRoot = false; // the VM exit: back in root operation
    };
    m.run();
    expect(m.platform.tripleFaults).to.equal(1);
    expect(m.cpu.activityState).to.equal(0);
  });

  it('the EPT hook receives the exact guest-physical address of the access', () => {
    const m = nonRoot(`mov eax, [${DATA + 0x28}]\nhlt`);
    const seen: number[] = [];
    (m.platform as unknown as { translateGuestPhysical: (c: unknown, gpa: number) => number }).translateGuestPhysical = (_c, gpa) => {
      seen.push(gpa);
      return gpa;
    };
    m.run();
    expect(seen).to.include(DATA + 0x28);
  });
});
