/**
 * Physical memory of the reference machine: one flat byte array.
 *
 * Reads outside the array return all ones and writes there are dropped (no device decodes the address),
 * which is what a read of unbacked physical address space does on a PC. Every write marks nothing but
 * notifies the decoded-instruction cache through `codePages`, so guest code that is rewritten is decoded
 * again (the SDM's self-modifying-code rule, Vol. 3A 11.6).
 */
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;

export class PhysicalMemory {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly size: number;
  /** One flag per 4-KiB page: non-zero when decoded instructions from that page are cached. */
  readonly codePages: Uint8Array;
  /** Called with the page number when a page holding cached code is written. */
  onCodeWrite: (page: number) => void = () => {};

  constructor(size: number) {
    if (!Number.isInteger(size) || size <= 0 || size % PAGE_SIZE !== 0) {
      throw new RangeError(`physical memory size must be a positive multiple of 4096, not ${size}`);
    }
    this.size = size;
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
    this.codePages = new Uint8Array(size >>> PAGE_SHIFT);
  }

  /** True when [addr, addr+len) lies inside installed memory. */
  contains(addr: number, len: number): boolean {
    return addr >= 0 && addr + len <= this.size;
  }

  private touched(addr: number, len: number): void {
    const first = addr >>> PAGE_SHIFT;
    const last = (addr + len - 1) >>> PAGE_SHIFT;
    for (let p = first; p <= last; p++) {
      if (this.codePages[p] !== 0) {
        this.codePages[p] = 0;
        this.onCodeWrite(p);
      }
    }
  }

  read8(addr: number): number {
    return addr >= 0 && addr < this.size ? this.bytes[addr] : 0xff;
  }
  read16(addr: number): number {
    return this.contains(addr, 2) ? this.view.getUint16(addr, true) : 0xffff;
  }
  read32(addr: number): number {
    return this.contains(addr, 4) ? this.view.getUint32(addr, true) : 0xffffffff;
  }
  read64(addr: number): bigint {
    return this.contains(addr, 8) ? this.view.getBigUint64(addr, true) : 0xffffffffffffffffn;
  }
  /** Low and high 32-bit halves of a 64-bit value, without allocating a bigint. */
  read64Lo(addr: number): number {
    return this.read32(addr);
  }
  read64Hi(addr: number): number {
    return this.read32(addr + 4);
  }

  write8(addr: number, v: number): void {
    if (addr < 0 || addr >= this.size) return;
    if (this.codePages[addr >>> PAGE_SHIFT] !== 0) this.touched(addr, 1);
    this.bytes[addr] = v;
  }
  write16(addr: number, v: number): void {
    if (!this.contains(addr, 2)) return;
    this.touched(addr, 2);
    this.view.setUint16(addr, v, true);
  }
  write32(addr: number, v: number): void {
    if (!this.contains(addr, 4)) return;
    this.touched(addr, 4);
    this.view.setUint32(addr, v >>> 0, true);
  }
  write64(addr: number, v: bigint): void {
    if (!this.contains(addr, 8)) return;
    this.touched(addr, 8);
    this.view.setBigUint64(addr, BigInt.asUintN(64, v), true);
  }

  readBytes(addr: number, len: number): Uint8Array {
    const out = new Uint8Array(len).fill(0xff);
    const start = Math.max(0, addr);
    const end = Math.min(this.size, addr + len);
    if (end > start) out.set(this.bytes.subarray(start, end), start - addr);
    return out;
  }
  writeBytes(addr: number, data: Uint8Array): void {
    const start = Math.max(0, addr);
    const end = Math.min(this.size, addr + data.length);
    if (end <= start) return;
    this.touched(start, end - start);
    this.bytes.set(data.subarray(start - addr, end - addr), start);
  }
}
