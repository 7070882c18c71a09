/** Exceptions and interrupts through the 64-bit IDT (SDM Vol. 3A 6.14, 6.15), and IRETQ. */
import { describe, it } from 'node:test';
import { expect } from 'chai';
import { assemble } from '../../src/asm';
import { DATA, IDT, STACK_TOP, STUBS, makeMachine, setGate, SEL_CODE64, SEL_UCODE64, SEL_UDATA } from './machine';

const USER_STACK = 0x60000;

/** Code that IRETQs from ring 0 to `target` in ring 3. */
function toRing3(target: string): string {
  return `
    push ${SEL_UDATA}
    push ${USER_STACK}
    push 0x202
    push ${SEL_UCODE64}
    lea rax, [${target}]
    push rax
    iretq`;
}

describe('exceptions: delivery through the IDT', () => {
  it('#UD: the stub runs with the faulting RIP, CS, RFLAGS, RSP and SS on the stack', () => {
    const m = makeMachine();
    const labels = m.load('nop\nbad: ud2\nhlt');
    m.run();
    expect(m.lastVector()).to.equal(6);
    const sp = Number(m.gpr('rsp'));
    expect(sp).to.equal(STACK_TOP - 40);
    expect(m.mem.read64(sp)).to.equal(labels.bad);
    expect(m.mem.read64(sp + 8)).to.equal(BigInt(SEL_CODE64));
    expect(m.mem.read64(sp + 16) & 0x2n).to.equal(0x2n);
    expect(m.mem.read64(sp + 24)).to.equal(BigInt(STACK_TOP));
    expect(m.cpu.regs.rip).to.equal(STUBS + 6 * 64 + 11 + 1); // after the stub's hlt
  });

  it('#GP pushes the error code: a selector beyond the GDT limit', () => {
    const m = makeMachine();
    m.load('mov ax, 0x48\nmov ds, ax\nhlt');
    m.run();
    expect(m.lastVector()).to.equal(13);
    expect(m.mem.read64(DATA - 8)).to.equal(0x48n);
  });

  it('#DE from DIV, #BP from INT3 (return address after INT3), software INT n with IRETQ back', () => {
    const m = makeMachine();
    const handler = 0x250000;
    m.mem.writeBytes(handler, assemble('mov r15, 0x80\niretq', handler).bytes);
    setGate(m.mem, 0x80, handler, { dpl: 3 });
    const labels = m.load('int 0x80\nafter: mov r14, 1\nint3\nhlt');
    m.run();
    expect(m.gpr('r15')).to.equal(0x80n);
    expect(m.gpr('r14')).to.equal(1n);
    expect(m.lastVector()).to.equal(3);
    expect(m.mem.read64(Number(m.gpr('rsp')))).to.equal(labels.after + 8n); // past INT3
  });

  it('INT n from ring 3 through a DPL-0 gate is #GP(vector*8+2); INT n through a DPL-3 gate switches to RSP0', () => {
    const m = makeMachine();
    setGate(m.mem, 0x81, STUBS + 13 * 64); // DPL 0
    m.load(toRing3('user') + '\nuser: int 0x81\nhlt');
    m.run();
    expect(m.lastVector()).to.equal(13);
    expect(m.mem.read64(DATA - 8)).to.equal(BigInt(0x81 * 8 + 2));
    // The #GP came from CPL 3: the frame is on RSP0 and holds the user SS:RSP.
    expect(m.cpu.regs.cpl).to.equal(0);
    const sp = Number(m.gpr('rsp'));
    expect(m.mem.read64(sp + 8)).to.equal(BigInt(SEL_UCODE64));
    expect(m.mem.read64(sp + 24)).to.equal(BigInt(USER_STACK));
    expect(m.mem.read64(sp + 32)).to.equal(BigInt(SEL_UDATA));
  });

  it('IST: the gate\'s interrupt stack table entry replaces RSP', () => {
    const m = makeMachine();
    setGate(m.mem, 6, STUBS + 6 * 64, { ist: 1 });
    m.load('ud2');
    m.run();
    expect(m.lastVector()).to.equal(6);
    expect(Number(m.gpr('rsp'))).to.equal(0x70000 - 40);
  });

  it('a contributory fault while delivering a contributory fault is a #DF with error code 0', () => {
    const m = makeMachine();
    // IDT entry 13 not present: delivering #GP raises #NP, and #GP + #NP → #DF.
    m.mem.write8(IDT + 13 * 16 + 5, 0x0e);
    m.load('mov ax, 0x48\nmov ds, ax\nhlt');
    m.run();
    expect(m.lastVector()).to.equal(8);
    expect(m.mem.read64(DATA - 8)).to.equal(0n);
  });

  it('a fault while delivering #DF is a triple fault: shutdown, reported to the platform', () => {
    const m = makeMachine();
    m.cpu.regs.idtrLimit = 0; // every delivery faults with #GP
    m.load('ud2');
    m.run();
    expect(m.platform.tripleFaults).to.equal(1);
    expect(m.cpu.activityState).to.equal(2);
    expect(m.run()).to.equal(0);
  });

  it('in non-root operation the platform sees the exception first and can turn it into a VM exit', () => {
    const m = makeMachine();
    m.cpu.nonRoot = true;
    m.platform.exitOnVector.add(6);
    const labels = m.load('nop\nbad: ud2');
    m.run();
    expect(m.platform.events).to.deep.equal([{ vector: 6, type: 3, errorCode: undefined, rip: Number(labels.bad), idtVectoring: false }]);
    expect(m.lastVector()).to.equal(-1);
    expect(m.cpu.regs.rip).to.equal(Number(labels.bad));
  });

  it('a nested exception reaches the platform with IDT-vectoring information', () => {
    const m = makeMachine();
    m.cpu.nonRoot = true;
    m.mem.write8(IDT + 0x80 * 16 + 5, 0x0e); // gate 0x80 not present
    m.load('int 0x80\nhlt');
    m.run();
    expect(m.platform.events.map((e) => [e.vector, e.type, e.errorCode, e.idtVectoring])).to.deep.equal([
      [0x80, 4, undefined, false],
      [11, 3, 0x80 * 8 + 2, true],
    ]);
    expect(m.lastVector()).to.equal(11);
  });

  it('the platform can inject an event (VM-entry injection) and IRETQ returns to the interrupted code', () => {
    const m = makeMachine();
    const handler = 0x250000;
    m.mem.writeBytes(handler, assemble('inc r12\niretq', handler).bytes);
    setGate(m.mem, 0x20, handler);
    m.load('mov r13, 1\nhlt');
    expect(m.interp.deliverEvent(m.cpu, 0x20, 0)).to.equal(0);
    expect(m.cpu.regs.rip).to.equal(handler);
    m.run();
    expect(m.gpr('r12')).to.equal(1n);
    expect(m.gpr('r13')).to.equal(1n);
    expect(m.gpr('rsp')).to.equal(BigInt(STACK_TOP));
  });
});
