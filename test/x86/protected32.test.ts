/** 32-bit protected mode without paging: flat segments, the 8-byte-gate IDT (SDM Vol. 3A 6.11, 6.12). */
import { describe, it } from 'node:test';
import { expect } from 'chai';
import { assemble } from '../../src/asm';
import { PhysicalMemory } from '../../src/emulator/memory';
import { Interpreter } from '../../src/emulator/x86';
import { FakeCpu, FakePlatform } from './fake-platform';

const GDT = 0x1000;
const IDT = 0x5000;
const CODE = 0x10000;
const HANDLER = 0x20000;

function machine32(code: string, handler: string): { cpu: FakeCpu; interp: Interpreter; mem: PhysicalMemory } {
  const mem = new PhysicalMemory(1 << 20);
  mem.write64(GDT + 0x08, 0x00cf9a000000ffffn); // 32-bit code
  mem.write64(GDT + 0x10, 0x00cf92000000ffffn); // data
  mem.writeBytes(CODE, assemble(code, CODE, { bitness: 32 }).bytes);
  mem.writeBytes(HANDLER, assemble(handler, HANDLER, { bitness: 32 }).bytes);
  // 32-bit interrupt gate for vector 0x40 and #UD (6), DPL 3.
  for (const v of [6, 0x40]) {
    mem.write32(IDT + v * 8, (0x08 << 16) | (HANDLER & 0xffff));
    mem.write32(IDT + v * 8 + 4, (HANDLER & 0xffff0000) | 0xee00);
  }
  const cpu = new FakeCpu(mem);
  const r = cpu.regs;
  r.cr0 = 0x11;
  r.gdtrBase = GDT;
  r.gdtrLimit = 0x17;
  r.idtrBase = IDT;
  r.idtrLimit = 0x7ff;
  for (const s of [0, 2, 3, 4, 5]) { r.segSelector[s] = 0x10; r.segAccess[s] = 0xc093; r.segLimit[s] = 0xffffffff; }
  r.segSelector[1] = 0x08; r.segAccess[1] = 0xc09b; r.segLimit[1] = 0xffffffff;
  r.segAccess[6] = 0x10000;
  r.lo[4] = 0x8000;
  r.rip = CODE;
  return { cpu, interp: new Interpreter(new FakePlatform()), mem };
}

describe('32-bit protected mode', () => {
  it('runs 32-bit code: stack, arithmetic, loop, INT n through a 32-bit gate and IRETD', () => {
    const { cpu, interp } = machine32(`
        mov ecx, 10
        xor eax, eax
      l: add eax, ecx
        loop l
        push eax
        pop ebx
        int 0x40
        mov edx, 0x55
        hlt`, 'mov esi, [esp]\nmov edi, 0x40\niretd');
    interp.run(cpu, 1000);
    expect(cpu.activityState).to.equal(1);
    const r = cpu.regs;
    expect(r.lo[3]).to.equal(55);
    expect(r.lo[7]).to.equal(0x40);
    expect(r.lo[2]).to.equal(0x55);
    expect(r.lo[6]).to.be.greaterThan(CODE);
    expect(r.lo[4]).to.equal(0x8000);
  });

  it('delivers #UD with EIP of the faulting instruction on the stack', () => {
    const { cpu, interp } = machine32('nop\nud2', 'mov esi, [esp]\nhlt');
    interp.run(cpu, 100);
    expect(cpu.regs.lo[6]).to.equal(CODE + 1);
    expect(cpu.regs.lo[4]).to.equal(0x8000 - 12);
  });
});
