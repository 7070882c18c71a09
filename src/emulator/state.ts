/**
 * The architectural register file of one logical processor, laid out for an interpreter that must not
 * allocate per instruction.
 *
 * General-purpose registers are held as two 32-bit halves (`lo`, `hi`), so 32-bit and narrower operations
 * never touch a bigint. RIP, segment bases, descriptor-table bases and CR2 are held as *signed* JS numbers:
 * every canonical 64-bit linear address (bits 63:47 equal) is an exact double in that form, and VM entry
 * only ever loads canonical values into them (SDM 27.3.1.2 "Checks on Guest Segment Registers",
 * 27.3.1.3 "Checks on Guest Descriptor-Table Registers", 27.3.1.4 "Checks on Guest RIP, RFLAGS, and SSP").
 * `toU64`/`fromU64` convert at the contract and VMCS boundary.
 */

/** GPR numbering as in ModRM/REX and in VM-exit qualifications (SDM 28.2.1 Table 28-3): RAX=0 … R15=15. */
export const GPR_NAMES = [
  'rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi',
  'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15',
] as const;

/** Segment register numbering used by the VMCS and exit information: ES=0, CS, SS, DS, FS, GS, LDTR, TR=7. */
export const SEG_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'ldtr', 'tr'] as const;
export const SEG = { ES: 0, CS: 1, SS: 2, DS: 3, FS: 4, GS: 5, LDTR: 6, TR: 7 } as const;

/** A canonical (or 32-bit) address held as a signed number, widened to its unsigned 64-bit form. */
export function toU64(n: number): bigint {
  return BigInt.asUintN(64, BigInt(n));
}
/** The signed-number form of a 64-bit value. Exact for canonical addresses; callers check canonicality first. */
export function fromU64(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}
/** True when bits 63:47 of v are all equal (48-bit linear addresses, 4-level paging). */
export function isCanonical(v: bigint): boolean {
  const top = BigInt.asUintN(64, v) >> 47n;
  return top === 0n || top === 0x1ffffn;
}

/** An array of register values that may only be read through this reference. */
export interface ReadonlyRegs {
  readonly [i: number]: number;
}

/**
 * One bank of segment registers. `written` is set by every writable access (RegisterFile.segSelector …) to
 * the bank while it is current; the VMX transitions clear it when they record the bank as equal to VMCS
 * fields, so "not written since" is known without trusting any writer to report itself.
 */
export interface SegmentBank {
  readonly sel: Uint16Array;
  readonly base: Float64Array;
  readonly limit: Uint32Array;
  readonly access: Uint32Array;
  written: boolean;
}

export function newSegmentBank(): SegmentBank {
  return { sel: new Uint16Array(8), base: new Float64Array(8), limit: new Uint32Array(8), access: new Uint32Array(8), written: true };
}

export class RegisterFile {
  /** Bits 31:0 of each GPR, unsigned. */
  readonly lo = new Uint32Array(16);
  /** Bits 63:32 of each GPR, unsigned. */
  readonly hi = new Uint32Array(16);
  /** Signed-number form (see above). */
  rip = 0;
  /** RFLAGS bits 31:0 (bits 63:32 are reserved and always zero). */
  rflags = 0x2;
  cr0 = 0;
  cr2 = 0;
  /** CR3 is a physical address plus flags; below 2^52, so an exact number. */
  cr3 = 0;
  cr4 = 0;
  /** The TPR as seen by MOV CR8 (bits 3:0). */
  cr8 = 0;
  readonly dr = new Array<bigint>(8).fill(0n);
  /**
   * The segment registers (selector, base, limit, access rights of ES … TR) live in one of two banks, the
   * root bank and the guest bank; VM entry makes the guest bank current and VM exit the root bank
   * (entry/guest-state.ts, exit/host-state.ts), so the guest's segment state survives in its bank while the
   * VMM runs. Which bank is current is invisible: every access goes through the getters below, which return
   * the current bank's arrays (no caller keeps an array across a VM transition).
   */
  readonly rootBank = newSegmentBank();
  readonly guestBank = newSegmentBank();
  /** The current bank. */
  bank: SegmentBank = this.rootBank;

  /** Selectors (writable; marks the current bank written). */
  get segSelector(): Uint16Array {
    const b = this.bank;
    b.written = true;
    return b.sel;
  }
  /** Bases, signed-number form (writable; marks the current bank written). */
  get segBase(): Float64Array {
    const b = this.bank;
    b.written = true;
    return b.base;
  }
  /** Limits (writable; marks the current bank written). */
  get segLimit(): Uint32Array {
    const b = this.bank;
    b.written = true;
    return b.limit;
  }
  /**
   * Access rights in the VMCS format (SDM 25.4.1 Table 25-2), including bit 16 "segment unusable" (writable;
   * marks the current bank written).
   */
  get segAccess(): Uint32Array {
    const b = this.bank;
    b.written = true;
    return b.access;
  }
  /** Read-only views of the same arrays, for readers (they do not mark the bank; writing needs the getters above). */
  get segSelectorView(): ReadonlyRegs {
    return this.bank.sel;
  }
  get segBaseView(): ReadonlyRegs {
    return this.bank.base;
  }
  get segLimitView(): ReadonlyRegs {
    return this.bank.limit;
  }
  get segAccessView(): ReadonlyRegs {
    return this.bank.access;
  }
  gdtrBase = 0;
  gdtrLimit = 0;
  idtrBase = 0;
  idtrLimit = 0;
  cpl = 0;
  efer = 0;

  getGpr(i: number): bigint {
    return (BigInt(this.hi[i]) << 32n) | BigInt(this.lo[i]);
  }
  setGpr(i: number, v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.lo[i] = Number(u & 0xffffffffn);
    this.hi[i] = Number(u >> 32n);
  }
}
