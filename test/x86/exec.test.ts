/** Data movement, multiply/divide, branches, loops, stack and string instructions with REP. */
import { describe, it } from 'node:test';
import { expect } from 'chai';
import { makeMachine, DATA, STACK_TOP } from './machine';

function run(src: string, setup?: (m: ReturnType<typeof makeMachine>) => void): ReturnType<typeof makeMachine> {
  const m = makeMachine();
  m.load(src);
  setup?.(m);
  m.run(1_000_000);
  expect(m.cpu.activityState, 'guest halted').to.equal(1);
  return m;
}

describe('interpreter: data movement', () => {
  it('MOV of every size keeps or zero-extends the rest of the register', () => {
    const m = run(`
      mov rax, 0x1122334455667788
      mov rbx, rax
      mov rcx, rax
      mov rdx, rax
      mov bl, 0xaa
      mov bh, 0xbb
      mov cx, 0xcccc
      mov edx, 0xdddddddd
      mov r8, rax
      mov r8b, 0x11
      mov sil, 0x22
      hlt`);
    expect(m.gpr('rbx')).to.equal(0x112233445566bbaan);
    expect(m.gpr('rcx')).to.equal(0x112233445566ccccn);
    expect(m.gpr('rdx')).to.equal(0xddddddddn);
    expect(m.gpr('r8')).to.equal(0x1122334455667711n);
    expect(m.gpr('rsi') & 0xffn).to.equal(0x22n);
  });

  it('memory loads and stores, MOVZX/MOVSX/MOVSXD, LEA, XCHG, RIP-relative and FS base', () => {
    const m = run(`
      mov rdi, ${DATA}
      mov qword ptr [rdi], -2
      mov eax, [rdi]
      movzx ebx, byte ptr [rdi]
      movsx rcx, word ptr [rdi]
      movsxd rdx, dword ptr [rdi+4]
      lea rsi, [rdi+rax*2+8]
      mov r9, 5
      xchg r9, [rdi]
      mov r10, [rel_data]
      mov r11, fs:[8]
      hlt
    rel_data: dq 0x0123456789abcdef`, (m) => { m.cpu.regs.segBase[4] = DATA - 8; });
    expect(m.gpr('rax')).to.equal(0xfffffffen);
    expect(m.gpr('rbx')).to.equal(0xfen);
    expect(m.gpr('rcx')).to.equal(0xfffffffffffffffen);
    expect(m.gpr('rdx')).to.equal(0xffffffffffffffffn);
    expect(m.gpr('rsi')).to.equal(BigInt(DATA) + 0x1fffffffcn + 8n);
    expect(m.gpr('r9')).to.equal(0xfffffffffffffffen);
    expect(m.mem.read64(DATA)).to.equal(5n);
    expect(m.gpr('r10')).to.equal(0x0123456789abcdefn);
    expect(m.gpr('r11')).to.equal(5n);
  });

  it('MUL, IMUL, DIV and IDIV of every size; #DE on division by zero and on overflow', () => {
    const m = run(`
      mov eax, 0xffffffff
      mov ecx, 0xffffffff
      mul ecx
      mov r8, rax
      mov r9, rdx
      mov rax, -7
      mov rcx, 3
      cqo
      idiv rcx
      mov r10, rax
      mov r11, rdx
      mov edx, 0x1
      mov eax, 0x2
      mov ecx, 0x10
      div ecx
      mov r12, rax
      mov r13, rdx
      mov ax, 0x0123
      mov bl, 0x10
      div bl
      mov r14, rax
      hlt`);
    expect(m.gpr('r8')).to.equal(1n);
    expect(m.gpr('r9')).to.equal(0xfffffffen);
    expect(m.gpr('r10')).to.equal(BigInt.asUintN(64, -2n));
    expect(m.gpr('r11')).to.equal(BigInt.asUintN(64, -1n));
    expect(m.gpr('r12')).to.equal(0x10000000n);
    expect(m.gpr('r13')).to.equal(2n);
    expect(m.gpr('r14') & 0xffffn).to.equal(0x0312n);
    const z = run('xor ecx, ecx\ndiv ecx\nhlt');
    expect(z.lastVector()).to.equal(0);
    const o = run('mov edx, 5\nmov ecx, 5\ndiv ecx\nhlt');
    expect(o.lastVector()).to.equal(0);
  });

  it('CMOVcc, SETcc, BT/BTS, BSWAP, XADD, CMPXCHG, CBW family', () => {
    const m = run(`
      mov eax, 1
      mov ebx, 2
      cmp eax, ebx
      cmovl ecx, ebx
      setg dl
      setl dh
      mov r8d, 0x10
      bts r8d, 1
      setc r9b
      mov r10d, 0x11223344
      bswap r10d
      mov r11, 3
      mov r12, 4
      xadd r11, r12
      mov rax, 7
      mov r13, 7
      mov r14, 9
      cmpxchg r13, r14
      mov al, 0x80
      cbw
      cwde
      cdqe
      hlt`);
    expect(m.gpr('rcx')).to.equal(2n);
    expect(m.gpr('rdx') & 0xffffn).to.equal(0x0100n);
    expect(m.gpr('r8')).to.equal(0x12n);
    expect(m.gpr('r9') & 0xffn).to.equal(0n);
    expect(m.gpr('r10')).to.equal(0x44332211n);
    expect(m.gpr('r11')).to.equal(7n);
    expect(m.gpr('r12')).to.equal(3n);
    expect(m.gpr('r13')).to.equal(9n);
    expect(m.gpr('rax')).to.equal(0xffffffffffffff80n);
  });
});

describe('interpreter: control flow and stack', () => {
  it('loops with JNZ, LOOP and JRCXZ; CALL/RET and PUSH/POP', () => {
    const m = run(`
      mov ecx, 100
      xor eax, eax
    l1: add eax, ecx
      dec ecx
      jnz l1
      mov ecx, 10
      xor ebx, ebx
    l2: inc ebx
      loop l2
      jrcxz done
      hlt
    done:
      push rax
      push 0x1234
      call f
      pop rdx
      pop rsi
      hlt
    f: mov rdi, [rsp+8]
      ret`);
    expect(m.gpr('rax')).to.equal(5050n);
    expect(m.gpr('rbx')).to.equal(10n);
    expect(m.gpr('rdi')).to.equal(0x1234n);
    expect(m.gpr('rdx')).to.equal(0x1234n);
    expect(m.gpr('rsi')).to.equal(5050n);
    expect(m.gpr('rsp')).to.equal(BigInt(STACK_TOP));
  });

  it('PUSHFQ/POPFQ round trip, LAHF/SAHF, CLC/STC/CMC/CLD/STD, ENTER/LEAVE and RET imm', () => {
    const m = run(`
      stc
      cmc
      cmc
      std
      pushfq
      pop rax
      push 0x8d5
      popfq
      pushfq
      pop rbx
      clc
      cld
      lahf
      mov r8, rax
      push rbp
      mov rbp, rsp
      enter 32, 0
      leave
      pop rbp
      call g
      hlt
    g: ret 0`);
    expect(Number(m.gpr('rax')) & 0x401).to.equal(0x401);
    expect(Number(m.gpr('rbx')) & 0x8d5).to.equal(0x8d5);
    expect(Number(m.gpr('r8') >> 8n) & 0xff).to.equal(0xd6);
    expect(m.gpr('rsp')).to.equal(BigInt(STACK_TOP));
  });

  it('indirect JMP and CALL through registers and memory', () => {
    const m = run(`
      lea rax, [t1]
      jmp rax
      hlt
    t1: lea rbx, [t2]
      mov [${DATA}], rbx
      call qword ptr [${DATA}]
      hlt
    t2: mov ecx, 0x77
      ret`);
    expect(m.gpr('rcx')).to.equal(0x77n);
  });
});

describe('interpreter: string instructions', () => {
  it('REP MOVSB copies, REP STOSQ fills, LODSD loads, in both directions', () => {
    const m = run(`
      mov rsi, src
      mov rdi, ${DATA}
      mov ecx, 5
      cld
      rep movsb
      mov rdi, ${DATA + 0x100}
      mov rax, 0x0101010101010101
      mov ecx, 3
      rep stosq
      mov rsi, ${DATA + 3}
      std
      lodsb
      cld
      hlt
    src: db "hello"`);
    expect(Buffer.from(m.mem.readBytes(DATA, 5)).toString()).to.equal('hello');
    expect(m.gpr('rcx')).to.equal(0n);
    expect(m.mem.read64(DATA + 0x100 + 16)).to.equal(0x0101010101010101n);
    expect(m.mem.read64(DATA + 0x100 + 24)).to.equal(0n);
    expect(m.gpr('rax') & 0xffn).to.equal(BigInt('l'.charCodeAt(0)));
    expect(m.gpr('rsi')).to.equal(BigInt(DATA + 2));
  });

  it('REPE CMPSB stops at the first difference; REPNE SCASB stops at the first match', () => {
    const m = run(`
      mov rsi, a
      mov rdi, b
      mov ecx, 8
      repe cmpsb
      mov r8, rcx
      setz r9b
      mov rdi, b
      mov al, 'x'
      mov ecx, 8
      repne scasb
      mov r10, rcx
      hlt
    a: db "abcdefgh"
    b: db "abcxefgh"`);
    expect(m.gpr('r8')).to.equal(4n);
    expect(m.gpr('r9') & 0xffn).to.equal(0n);
    expect(m.gpr('r10')).to.equal(4n);
  });

  it('a long REP is interruptible: it continues across run() calls', () => {
    const m = makeMachine();
    m.load(`mov rdi, ${DATA}\nmov ecx, 5000\nmov al, 0x5a\nrep stosb\nhlt`);
    let steps = 0;
    while (m.cpu.activityState === 0) steps += m.run(2);
    expect(m.mem.read8(DATA + 4999)).to.equal(0x5a);
    expect(m.mem.read8(DATA + 5000)).to.equal(0);
    expect(steps).to.be.greaterThan(5);
  });

  it('IN/OUT and REP INSB/OUTSB go through the platform ports', () => {
    const m = run(`
      mov dx, 0x3f8
      mov al, 0x41
      out dx, al
      in al, 0x60
      mov r8, rax
      mov rdi, ${DATA}
      mov ecx, 2
      rep insb
      mov rsi, ${DATA}
      mov ecx, 2
      rep outsb
      hlt`);
    const p = m.platform.ports;
    expect(p[0]).to.deep.include({ port: 0x3f8, size: 1, value: 0x41, out: true });
    expect(p[1]).to.deep.include({ port: 0x60, size: 1, out: false });
    expect(m.gpr('r8') & 0xffn).to.equal(0x5an);
    expect(p.filter((x) => !x.out && x.port === 0x3f8)).to.have.length(2);
    expect(p.filter((x) => x.out && x.value === 0x5a)).to.have.length(2);
    expect(m.mem.read16(DATA)).to.equal(0x5a5a);
  });
});

describe('interpreter: hints and bit scans', () => {
  it('fences, prefetch and ENDBR64 do nothing; CLFLUSH translates; BSF/BSR find bits and set ZF for 0', () => {
    const m = run(`
      mfence
      lfence
      sfence
      endbr64
      prefetchnta [rax]
      clflush [${DATA}]
      mov rbx, 0x0000010000000100
      bsf rcx, rbx
      bsr rdx, rbx
      xor r8d, r8d
      mov r9, 77
      bsf r9, r8
      setz r10b
      hlt`);
    expect(m.gpr('rcx')).to.equal(8n);
    expect(m.gpr('rdx')).to.equal(40n);
    expect(m.gpr('r9')).to.equal(77n);
    expect(m.gpr('r10') & 0xffn).to.equal(1n);
  });
});

describe('interpreter: SYSCALL, SYSRET, SWAPGS', () => {
  it('SYSCALL enters ring 0 at LSTAR with RCX/R11 saved and FMASK applied; SYSRETQ returns to ring 3', () => {
    const m = makeMachine();
    const labels = m.load(`
      mov ecx, 0xc0000080
      rdmsr
      or eax, 1
      wrmsr
      swapgs
      mov r12, gs:[0]
      swapgs
      push 0x23
      push 0x60000
      push 0x202
      push 0x2b
      lea rax, [user]
      push rax
      iretq
    user:
      mov r13, 1
      syscall
    back:
      mov r15, 3
      hlt
    kernel:
      mov r14, 2
      sysretq`);
    m.platform.msrs.set(0xc0000081, (0x1bn << 48n) | (0x08n << 32n)); // STAR: SYSRET base 0x1b → CS 0x2b, SS 0x23
    m.platform.msrs.set(0xc0000082, labels.kernel); // LSTAR
    m.platform.msrs.set(0xc0000084, 0x200n); // FMASK clears IF
    m.platform.msrs.set(0xc0000080, 0xd00n);
    m.platform.msrs.set(0xc0000102, BigInt(DATA)); // KERNEL_GS_BASE
    m.mem.write64(DATA, 0x5555n);
    let efer = 0xd00;
    m.platform.wrmsr = (cpu, msr, v) => {
      m.platform.msrs.set(msr, v);
      if (msr === 0xc0000080) { efer = Number(v); cpu.regs.efer = efer; }
      return true;
    };
    m.run();
    expect(m.gpr('r12')).to.equal(0x5555n);
    expect(m.gpr('r13')).to.equal(1n);
    expect(m.gpr('r14')).to.equal(2n);
    expect(m.gpr('r15')).to.equal(3n);
    expect(m.gpr('rcx')).to.equal(labels.back);
    expect(Number(m.gpr('r11')) & 0x200).to.equal(0x200);
    // The final HLT ran at CPL 3, so it was #GP(0); the frame shows the ring-3 CS and SS.
    expect(m.lastVector()).to.equal(13);
    const sp = Number(m.gpr('rsp'));
    expect(m.mem.read64(sp + 8)).to.equal(0x2bn);
    expect(m.mem.read64(sp + 32)).to.equal(0x23n);
  });
});

describe('interpreter: IDIV r/m32 at the edges (no bigint on the 32-bit path)', () => {
  // [dividend EDX:EAX, divisor, raises #DE]
  const cases: [bigint, number, boolean][] = [
    [-7n, 2, false],
    [7n, -2, false],
    [-7n, -2, false],
    [-(1n << 31n), -1, true],
    [-(1n << 31n), 1, false],
    [(1n << 31n) - 1n, 1, false],
    [1n << 31n, 1, true],
    [-(1n << 40n) + 5n, 1 << 20, false],
    [(1n << 62n) + 12345n, 0x7fffffff, true],
    [(1n << 50n) + 12345n, -0x7fffffff, false],
  ];
  for (const [n, dv, de] of cases) {
    it(`${n} / ${dv}`, () => {
      const m = makeMachine();
      m.load('idiv ecx\nhlt');
      const u = BigInt.asUintN(64, n);
      m.setGpr('rax', u & 0xffffffffn);
      m.setGpr('rdx', u >> 32n);
      m.setGpr('rcx', BigInt.asUintN(32, BigInt(dv)));
      m.run();
      if (de) {
        expect(m.lastVector()).to.equal(0);
        return;
      }
      expect(m.lastVector()).to.equal(-1);
      expect(m.gpr('rax')).to.equal(BigInt.asUintN(32, n / BigInt(dv)));
      expect(m.gpr('rdx')).to.equal(BigInt.asUintN(32, n % BigInt(dv)));
    });
  }
});
