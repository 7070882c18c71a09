/**
 * A ready-made 64-bit machine for interpreter tests: flat GDT (ring-0 and ring-3 code/data, 64-bit TSS),
 * an IDT whose every vector points at a handler stub that records the vector and halts, identity-mapped
 * 4-level paging with 2-MiB pages over the first 8 MiB, and a stack.
 *
 * Physical layout: 0x1000 GDT, 0x2000 IDT, 0x3000 TSS, 0x10000 PML4, 0x11000 PDPT, 0x12000 PD, 0x13000 PT
 * (4-KiB page table for the first 2 MiB when `smallPages`), 0x100000 code, 0x7ff00 ring-0 stack top,
 * 0x200000 exception stubs (16 bytes each), 0x300000 data.
 */
import { assemble } from '../../src/asm';
import { PhysicalMemory } from '../../src/emulator/memory';
import { Interpreter } from '../../src/emulator/x86';
import { FakeCpu, FakePlatform } from './fake-platform';

export const GDT = 0x1000;
export const IDT = 0x2000;
export const TSS = 0x3000;
export const PML4 = 0x10000;
export const PDPT = 0x11000;
export const PD = 0x12000;
export const PT = 0x13000;
export const CODE = 0x100000;
export const STACK_TOP = 0x7ff00;
export const STUBS = 0x200000;
export const DATA = 0x300000;

export const SEL_CODE64 = 0x08;
export const SEL_DATA = 0x10;
export const SEL_CODE32 = 0x18;
export const SEL_UDATA = 0x23;
export const SEL_UCODE64 = 0x2b;
export const SEL_TSS = 0x30;

export interface Machine {
  mem: PhysicalMemory;
  cpu: FakeCpu;
  platform: FakePlatform;
  interp: Interpreter;
  /** Assemble at CODE (or `at`), place in memory and point RIP at it. Returns label addresses. */
  load(src: string, at?: number): Record<string, bigint>;
  run(maxSteps?: number): number;
  gpr(name: string): bigint;
  setGpr(name: string, v: bigint | number): void;
  /** The vector recorded by the exception stubs (memory at DATA - 16), or -1. */
  lastVector(): number;
}

const NAMES = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];

function w64(mem: PhysicalMemory, a: number, v: bigint): void {
  mem.write64(a, v);
}

export function setGate(mem: PhysicalMemory, vector: number, target: number, opts: { dpl?: number; ist?: number; trap?: boolean } = {}): void {
  const t = BigInt(target);
  const lo = (t & 0xffffn) | (BigInt(SEL_CODE64) << 16n) | (BigInt(opts.ist ?? 0) << 32n)
    | (BigInt((opts.trap ? 0xf : 0xe) | ((opts.dpl ?? 0) << 5) | 0x80) << 40n) | (((t >> 16n) & 0xffffn) << 48n);
  w64(mem, IDT + vector * 16, lo);
  w64(mem, IDT + vector * 16 + 8, t >> 32n);
}

const stubs = new Map<number, Uint8Array>();
function stub(v: number): Uint8Array {
  let b = stubs.get(v);
  if (b === undefined) {
    const at = STUBS + v * 64;
    const hasCode = [8, 10, 11, 12, 13, 14, 17, 21].includes(v);
    const src = hasCode
      ? `mov dword ptr [${DATA - 16}], ${v}\npop qword ptr [${DATA - 8}]\nhlt`
      : `mov dword ptr [${DATA - 16}], ${v}\nhlt`;
    b = assemble(src, at).bytes;
    stubs.set(v, b);
  }
  return b;
}

export function makeMachine(opts: { smallPages?: boolean } = {}): Machine {
  const mem = new PhysicalMemory(8 << 20);
  const platform = new FakePlatform();
  const cpu = new FakeCpu(mem);
  const interp = new Interpreter(platform);
  // GDT
  w64(mem, GDT + 0x08, 0x00af9a000000ffffn);
  w64(mem, GDT + 0x10, 0x00cf92000000ffffn);
  w64(mem, GDT + 0x18, 0x00cf9a000000ffffn);
  w64(mem, GDT + 0x20, 0x00cff2000000ffffn);
  w64(mem, GDT + 0x28, 0x00affa000000ffffn);
  const tss = BigInt(TSS);
  w64(mem, GDT + 0x30, 0x67n | ((tss & 0xffffffn) << 16n) | (0x89n << 40n) | (((tss >> 24n) & 0xffn) << 56n));
  w64(mem, GDT + 0x38, tss >> 32n);
  // TSS: RSP0, IST1
  w64(mem, TSS + 4, BigInt(STACK_TOP));
  w64(mem, TSS + 0x24, 0x70000n);
  mem.write16(TSS + 0x66, 0x68); // I/O map base = limit+1: no bitmap
  // Paging: PML4[0] → PDPT, PDPT[0] → PD, PD[0..3] = 2-MiB pages (or PD[0] → PT with 4-KiB pages).
  w64(mem, PML4, BigInt(PDPT) | 0x7n);
  w64(mem, PDPT, BigInt(PD) | 0x7n);
  for (let k = 0; k < 4; k++) w64(mem, PD + k * 8, BigInt(k * 0x200000) | 0x87n);
  if (opts.smallPages) {
    w64(mem, PD, BigInt(PT) | 0x7n);
    for (let k = 0; k < 512; k++) w64(mem, PT + k * 8, BigInt(k * 0x1000) | 0x7n);
  }
  // Exception stubs: record the vector at DATA-16 and the error code (if any) at DATA-8, then halt.
  for (let v = 0; v < 32; v++) {
    const at = STUBS + v * 64;
    mem.writeBytes(at, stub(v));
    setGate(mem, v, at);
  }
  mem.write32(DATA - 16, 0xffffffff);
  const r = cpu.regs;
  r.cr0 = 0x80010033; // PG WP NE ET MP PE
  r.cr4 = 0x20; // PAE
  r.efer = 0xd00; // NXE LMA LME
  r.cr3 = PML4;
  r.gdtrBase = GDT;
  r.gdtrLimit = 0x3f;
  r.idtrBase = IDT;
  r.idtrLimit = 0xfff;
  const seg = (i: number, sel: number, access: number, base = 0, limit = 0xffffffff): void => {
    r.segSelector[i] = sel;
    r.segBase[i] = base;
    r.segLimit[i] = limit;
    r.segAccess[i] = access;
  };
  seg(0, SEL_DATA, 0xc093);
  seg(1, SEL_CODE64, 0xa09b);
  seg(2, SEL_DATA, 0xc093);
  seg(3, SEL_DATA, 0xc093);
  seg(4, SEL_DATA, 0xc093);
  seg(5, SEL_DATA, 0xc093);
  seg(6, 0, 0x10000, 0, 0);
  seg(7, SEL_TSS, 0x8b, TSS, 0x67);
  r.setGpr(4, BigInt(STACK_TOP));
  r.rip = CODE;
  const m: Machine = {
    mem, cpu, platform, interp,
    load(src, at = CODE) {
      const a = assemble(src, at);
      mem.writeBytes(at, a.bytes);
      r.rip = at;
      return a.labels;
    },
    run(maxSteps = 100000) {
      return interp.run(cpu, maxSteps);
    },
    gpr(name) {
      return r.getGpr(NAMES.indexOf(name));
    },
    setGpr(name, v) {
      r.setGpr(NAMES.indexOf(name), BigInt(v));
    },
    lastVector() {
      return mem.read32(DATA - 16) | 0;
    },
  };
  return m;
}
