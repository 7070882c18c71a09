/**
 * The state every logical processor starts in after `reset`: as a 64-bit operating-system kernel leaves a
 * processor just before it executes VMXON (not the architectural power-up state of SDM Vol. 3A 11.1.1).
 *
 * Long mode, CPL 0, paging on with an identity map of the first 4 GiB (1-GiB pages), CR4.VMXE clear,
 * IA32_FEATURE_CONTROL locked with VMX outside SMX enabled (as firmware leaves it), outside VMX operation.
 * The descriptor tables, TSS and paging structures live in low physical memory (RESET_LAYOUT); scenarios
 * should place their own structures at or above RESET_LAYOUT.free.
 */
import { CR0, CR4, IA32_EFER } from '../arch';
import type { PhysicalMemory } from './memory';
import type { LogicalProcessor } from './processor';
import { resetMsrs } from './msrs';
import { SEG } from './state';

export const RESET_LAYOUT = {
  /** GDT: null, 64-bit code (08H), data (10H), 64-bit TSS (18H, 16 bytes). */
  gdt: 0x1000,
  gdtLimit: 0x27,
  /** IDT: 256 16-byte gates, all not present. */
  idt: 0x2000,
  idtLimit: 0xfff,
  /** 64-bit TSS (104 bytes). */
  tss: 0x3000,
  tssLimit: 0x67,
  /** PML4 (CR3) and the PDPT mapping 0–4 GiB with 1-GiB pages. */
  pml4: 0x4000,
  pdpt: 0x5000,
  /** Initial RSP (the stack grows down from here into 6000H–7FFFH). */
  stackTop: 0x8000,
  /** First byte not used by the reset state. */
  free: 0x8000,
} as const;

export const RESET_CR0 = (CR0.PE | CR0.MP | CR0.ET | CR0.NE | CR0.WP | CR0.PG) >>> 0;
export const RESET_CR4 = CR4.PAE | CR4.OSFXSR | CR4.OSXMMEXCPT;
export const RESET_EFER = IA32_EFER.SCE | IA32_EFER.LME | IA32_EFER.LMA | IA32_EFER.NXE;

/** VMCS-format access rights (SDM 25.4.1 Table 25-2) of the reset segments. */
export const AR_CODE64 = 0xa09b; // execute/read accessed code, S, P, L, G
export const AR_DATA = 0xc093; // read/write accessed data, S, P, D/B, G
export const AR_TSS64_BUSY = 0x008b; // busy 64-bit TSS, P
export const AR_UNUSABLE = 0x10000;

/** Write the GDT, TSS and paging structures the reset state points at. */
export function writeResetTables(mem: PhysicalMemory): void {
  const L = RESET_LAYOUT;
  mem.write64(L.gdt + 0x00, 0n);
  mem.write64(L.gdt + 0x08, 0x00af9b000000ffffn); // 64-bit code, DPL 0
  mem.write64(L.gdt + 0x10, 0x00cf93000000ffffn); // data, DPL 0
  // 64-bit TSS descriptor (busy), base L.tss, limit L.tssLimit.
  const base = BigInt(L.tss);
  const low =
    BigInt(L.tssLimit) | ((base & 0xffffffn) << 16n) | (0x8bn << 40n) | (((base >> 24n) & 0xffn) << 56n);
  mem.write64(L.gdt + 0x18, low);
  mem.write64(L.gdt + 0x20, base >> 32n);
  mem.write64(L.tss + 4, BigInt(L.stackTop)); // RSP0
  // Accessed (and, for the pages, dirty) already set, as after use by a running kernel: so the processor has no
  // A/D-bit writes to make to these tables (which matters once they sit behind a read-only EPT mapping).
  mem.write64(L.pml4, BigInt(L.pdpt) | 0x23n); // P, W, A
  for (let i = 0; i < 4; i++) mem.write64(L.pdpt + 8 * i, (BigInt(i) << 30n) | 0xe3n); // 1-GiB page: P, W, A, D
}

export function resetProcessor(cpu: LogicalProcessor): void {
  const r = cpu.regs;
  const L = RESET_LAYOUT;
  r.lo.fill(0);
  r.hi.fill(0);
  r.lo[4] = L.stackTop; // RSP
  r.rip = 0;
  r.rflags = 0x2;
  r.cr0 = RESET_CR0;
  r.cr2 = 0;
  r.cr3 = L.pml4;
  r.cr4 = RESET_CR4;
  r.cr8 = 0;
  r.dr.fill(0n);
  r.dr[6] = 0xffff0ff0n;
  r.dr[7] = 0x400n;
  r.efer = RESET_EFER;
  r.cpl = 0;
  const seg = (i: number, sel: number, base: number, limit: number, ar: number) => {
    r.segSelector[i] = sel;
    r.segBase[i] = base;
    r.segLimit[i] = limit;
    r.segAccess[i] = ar;
  };
  seg(SEG.ES, 0x10, 0, 0xffffffff, AR_DATA);
  seg(SEG.CS, 0x08, 0, 0xffffffff, AR_CODE64);
  seg(SEG.SS, 0x10, 0, 0xffffffff, AR_DATA);
  seg(SEG.DS, 0x10, 0, 0xffffffff, AR_DATA);
  seg(SEG.FS, 0, 0, 0, AR_UNUSABLE);
  seg(SEG.GS, 0, 0, 0, AR_UNUSABLE);
  seg(SEG.LDTR, 0, 0, 0, AR_UNUSABLE);
  seg(SEG.TR, 0x18, L.tss, L.tssLimit, AR_TSS64_BUSY);
  r.gdtrBase = L.gdt;
  r.gdtrLimit = L.gdtLimit;
  r.idtrBase = L.idt;
  r.idtrLimit = L.idtLimit;

  cpu.inVmx = false;
  cpu.nonRoot = false;
  cpu.vmxonPointer = 0;
  cpu.current = null;
  cpu.active.clear();
  cpu.shadowVmcs = null;
  cpu.activityState = 0;
  cpu.interruptibility = 0;
  cpu.irr.fill(0);
  cpu.irrCount = 0;
  cpu.pendingNmi = false;
  cpu.pendingInit = false;
  cpu.pendingSipi = -1;
  cpu.pendingSmi = false;
  cpu.tsc = 0;
  cpu.translations.invalidateAll();
  resetMsrs(cpu);
}
