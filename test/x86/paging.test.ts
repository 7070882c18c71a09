/** 4-level paging: #PF error codes and CR2 (SDM Vol. 3A 4.7), A/D bits (4.8), TLB invalidation (4.10). */
import { describe, it } from 'node:test';
import { expect } from 'chai';
import { CODE, DATA, PT, makeMachine } from './machine';

const PAGE = 0x150000;
const PTE = PT + (PAGE >>> 12) * 8;
const CODE_2 = CODE + 0x800;

function machine(): ReturnType<typeof makeMachine> {
  return makeMachine({ smallPages: true });
}

describe('paging: page faults', () => {
  it('not present: error code 0 (read) or 2 (write), CR2 = the linear address', () => {
    const m = machine();
    m.mem.write64(PTE, 0n);
    m.load(`mov eax, [${PAGE + 0x10}]`);
    m.run();
    expect(m.lastVector()).to.equal(14);
    expect(m.mem.read64(DATA - 8)).to.equal(0n);
    expect(m.cpu.regs.cr2).to.equal(PAGE + 0x10);
    const w = machine();
    w.mem.write64(PTE, 0n);
    w.load(`mov dword ptr [${PAGE + 4}], 1`);
    w.run();
    expect(w.mem.read64(DATA - 8)).to.equal(2n);
  });

  it('write to a read-only page with CR0.WP = 1: error code 3; with WP = 0 the supervisor write succeeds', () => {
    const m = machine();
    m.mem.write64(PTE, BigInt(PAGE) | 0x5n);
    m.load(`mov dword ptr [${PAGE}], 1\nhlt`);
    m.run();
    expect(m.mem.read64(DATA - 8)).to.equal(3n);
    const n = machine();
    n.mem.write64(PTE, BigInt(PAGE) | 0x5n);
    n.cpu.regs.cr0 &= ~0x10000;
    n.load(`mov dword ptr [${PAGE}], 1\nhlt`);
    n.run();
    expect(n.lastVector()).to.equal(-1);
    expect(n.mem.read32(PAGE)).to.equal(1);
  });

  it('fetch from an execute-disable page: error code 0x11 (P | I/D)', () => {
    const m = machine();
    m.mem.write64(PTE, BigInt(PAGE) | 0x3n | (1n << 63n));
    m.mem.write8(PAGE, 0xf4);
    m.load(`mov rax, ${PAGE}\njmp rax`);
    m.run();
    expect(m.lastVector()).to.equal(14);
    expect(m.mem.read64(DATA - 8)).to.equal(0x11n);
    expect(m.cpu.regs.cr2).to.equal(PAGE);
  });

  it('a reserved bit (above MAXPHYADDR) in a PTE: error code 9 (P | RSVD)', () => {
    const m = machine();
    m.mem.write64(PTE, BigInt(PAGE) | 0x3n | (1n << 50n));
    m.load(`mov eax, [${PAGE}]`);
    m.run();
    expect(m.mem.read64(DATA - 8)).to.equal(9n);
  });

  it('user-mode access to a supervisor page: error code 5 (P | U/S)', () => {
    const m = machine();
    m.mem.write64(PTE, BigInt(PAGE) | 0x3n);
    m.load(`
      push 0x23
      push 0x60000
      push 0x2
      push 0x2b
      lea rax, [user]
      push rax
      iretq
    user:
      mov eax, [${PAGE}]`);
    m.run();
    expect(m.lastVector()).to.equal(14);
    expect(m.mem.read64(DATA - 8)).to.equal(5n);
  });
});

describe('paging: accessed and dirty flags, TLB', () => {
  it('a read sets A in every entry used, a write also sets D in the PTE', () => {
    const m = machine();
    m.mem.write64(PTE, BigInt(PAGE) | 0x3n);
    m.mem.write64(PTE + 8, BigInt(PAGE + 0x1000) | 0x3n);
    m.load(`mov eax, [${PAGE}]\nmov dword ptr [${PAGE + 0x1000}], 1\nhlt`);
    m.run();
    expect(m.mem.read64(PTE) & 0x60n).to.equal(0x20n);
    expect(m.mem.read64(PTE + 8) & 0x60n).to.equal(0x60n);
    expect(m.mem.read64(0x10000) & 0x20n).to.equal(0x20n);
  });

  it('a changed PTE is used after INVLPG (and after MOV to CR3), not necessarily before', () => {
    const m = machine();
    m.mem.write32(0x160000, 0x1111);
    m.mem.write32(0x170000, 0x2222);
    m.mem.write64(PTE, 0x160000n | 0x3n);
    m.load(`
      mov eax, [${PAGE}]
      mov qword ptr [${PTE}], 0x170003
      mov ebx, [${PAGE}]
      invlpg [${PAGE}]
      mov ecx, [${PAGE}]
      mov qword ptr [${PTE}], 0x160003
      mov rax, cr3
      mov cr3, rax
      mov edx, [${PAGE}]
      hlt`);
    m.run();
    expect(m.gpr('rbx')).to.equal(0x1111n); // stale translation: allowed, and what this TLB does
    expect(m.gpr('rcx')).to.equal(0x2222n);
    expect(m.gpr('rdx')).to.equal(0x1111n);
  });
});

/**
 * What the TLB keeps and what invalidates it outside VMX (Vol. 3A 4.10.4.1; src/emulator/x86/tlb.ts). "Old" results
 * document this implementation (a processor may use a stale translation; the SDM never requires it); "new" results
 * are what the SDM requires after the invalidating operation.
 */
describe('paging: TLB invalidation (Vol. 3A 4.10.4.1)', () => {
  const OLD = 0x160000;
  const NEW = 0x170000;
  /** PAGE mapped to OLD (1111H) with `flags`; NEW holds 2222H. */
  function remapMachine(flags = 0x3): ReturnType<typeof makeMachine> {
    const m = machine();
    m.mem.write32(OLD, 0x1111);
    m.mem.write32(NEW, 0x2222);
    m.mem.write64(PTE, BigInt(OLD | flags));
    return m;
  }
  /** Run `between` after the first read and the PTE change; RBX gets the second read. */
  function afterRemap(between: string, opts: { global?: boolean } = {}): bigint {
    const m = remapMachine(opts.global ? 0x103 : 0x3);
    if (opts.global) m.cpu.regs.cr4 |= 0x80; // PGE
    m.load(`
      mov eax, [${PAGE}]
      mov qword ptr [${PTE}], ${NEW | (opts.global ? 0x103 : 0x3)}
      ${between}
      mov ebx, [${PAGE}]
      hlt`);
    m.run();
    expect(m.lastVector()).to.equal(-1);
    expect(m.gpr('rax')).to.equal(0x1111n);
    return m.gpr('rbx');
  }

  it('a write to a paging-structure entry is not snooped: without an invalidation the old translation is used', () => {
    expect(afterRemap('nop')).to.equal(0x1111n);
  });
  it('INVLPG of the page: new; of another page: old', () => {
    expect(afterRemap(`invlpg [${PAGE}]`)).to.equal(0x2222n);
    expect(afterRemap(`invlpg [${PAGE + 0x1000}]`)).to.equal(0x1111n);
  });
  it('MOV to CR3 invalidates non-global translations only; a MOV to CR4 that changes PGE invalidates global ones too', () => {
    expect(afterRemap('mov rcx, cr3\nmov cr3, rcx')).to.equal(0x2222n);
    expect(afterRemap('mov rcx, cr3\nmov cr3, rcx', { global: true })).to.equal(0x1111n);
    expect(afterRemap('mov rcx, cr4\nxor ecx, 0x80\nmov cr4, rcx\nxor ecx, 0x80\nmov cr4, rcx', { global: true })).to.equal(0x2222n);
    expect(afterRemap('mov rcx, cr4\nmov cr4, rcx', { global: true }), 'CR4 written unchanged').to.equal(0x1111n);
  });
  it('INVLPG invalidates a global translation too', () => {
    expect(afterRemap(`invlpg [${PAGE}]`, { global: true })).to.equal(0x2222n);
  });
  it('INVPCID: all-context (2) takes a global translation, individual-address (0), single-context (1) and 3 do not', () => {
    const desc = `mov qword ptr [${DATA}], 0\nmov qword ptr [${DATA + 8}], ${PAGE}\n`;
    expect(afterRemap(`${desc}mov ecx, 0\ninvpcid rcx, [${DATA}]`)).to.equal(0x2222n);
    expect(afterRemap(`${desc}mov ecx, 0\ninvpcid rcx, [${DATA}]`, { global: true })).to.equal(0x1111n);
    expect(afterRemap(`${desc}mov ecx, 2\ninvpcid rcx, [${DATA}]`, { global: true })).to.equal(0x2222n);
    expect(afterRemap(`${desc}mov ecx, 1\ninvpcid rcx, [${DATA}]`, { global: true })).to.equal(0x1111n);
    expect(afterRemap(`${desc}mov ecx, 3\ninvpcid rcx, [${DATA}]`, { global: true })).to.equal(0x1111n);
    expect(afterRemap(`${desc}mov ecx, 3\ninvpcid rcx, [${DATA}]`)).to.equal(0x2222n);
  });
  it('a page fault invalidates the faulting page\'s translation: a cached read-only entry is not used afterwards', () => {
    const m = remapMachine(0x1); // present, read-only
    m.load(`
      mov eax, [${PAGE}]
      mov qword ptr [${PTE}], 0
      mov ebx, [${PAGE}]
      mov dword ptr [${PAGE}], 5
      hlt`);
    m.run();
    expect(m.gpr('rbx'), 'the stale read-only entry still serves reads').to.equal(0x1111n);
    expect(m.lastVector()).to.equal(14);
    expect(m.mem.read64(DATA - 8), 'the write walks the tables: not present').to.equal(2n);
    // The fault invalidated the entry: a read now walks the tables and faults too.
    m.mem.write32(DATA - 16, 0xffffffff);
    m.cpu.activityState = 0;
    m.load(`mov ecx, [${PAGE}]\nhlt`, CODE_2);
    m.run();
    expect(m.lastVector()).to.equal(14);
    expect(m.mem.read64(DATA - 8)).to.equal(0n);
  });
});
