/**
 * Small helpers over 64-bit values held as two unsigned 32-bit halves (lo, hi), the form VMCS fields have in
 * vmcs.ts. No allocation.
 */

/** Bits 63:47 all equal: canonical for 48-bit linear addresses (4-level paging; this machine has no LA57). */
export function canonical48(_lo: number, hi: number): boolean {
  const top = (hi | 0) >> 15; // bits 63:47 as a signed 17-bit value
  return top === 0 || top === -1;
}

/** Any bit at or above `width` set (e.g. beyond the physical-address width)? */
export function beyondWidth(lo: number, hi: number, width: number): boolean {
  if (width >= 64) return false;
  if (width <= 32) return hi !== 0 || (width < 32 && lo >>> width !== 0);
  return hi >>> (width - 32) !== 0;
}

/** A physical address usable for a VMX data structure: aligned to `align` bytes (power of two) and within `width` bits. */
export function alignedWithin(lo: number, hi: number, align: number, width: number): boolean {
  return (lo & (align - 1)) === 0 && !beyondWidth(lo, hi, width);
}

/** Signed-number form of a 64-bit value from halves (exact for canonical addresses). */
export function joinSigned(lo: number, hi: number): number {
  return (hi | 0) * 4294967296 + (lo >>> 0);
}

/** Unsigned-number form (exact below 2^53). */
export function joinUnsigned(lo: number, hi: number): number {
  return (hi >>> 0) * 4294967296 + (lo >>> 0);
}

/**
 * A one-entry memo of the conversion between a 64-bit bigint and its unsigned 32-bit halves, for registers
 * the processor keeps as bigints (DR7, IA32_DEBUGCTL, IA32_PAT …) that every VM entry and exit moves to or
 * from the VMCS. Converting costs several bigint allocations; the value rarely changes between transitions.
 * Pure memoization: for every input the answer is the conversion's, whatever was asked before.
 */
export class HalvesMemo {
  /** The halves of the last conversion. */
  lo = 0;
  hi = 0;
  /** Its unsigned bigint form (BigInt.asUintN(64, ·) of the value split, or the value joined). */
  private big = 0n;

  /** Split v (modulo 2^64) into this.lo / this.hi. */
  split(v: bigint): void {
    if (v === this.big) return;
    const u = BigInt.asUintN(64, v);
    this.lo = Number(u & 0xffffffffn);
    this.hi = Number(u >> 32n);
    this.big = u;
  }

  /** The unsigned bigint of halves (lo, hi), each an unsigned 32-bit number. */
  join(lo: number, hi: number): bigint {
    if (lo !== this.lo || hi !== this.hi) {
      this.big = (BigInt(hi) << 32n) | BigInt(lo);
      this.lo = lo;
      this.hi = hi;
    }
    return this.big;
  }
}
