/**
 * The wire protocol between the harness and the agent kernel (agent/), version 1.
 *
 * Requests travel to the agent over COM1 (Bochs: a loopback TCP socket), replies come back on port 0xE9
 * (Bochs's stdout) or, where the platform has no such port, on COM1 as well. Both directions are framed
 * and checksummed with Adler-32, so replies can be picked out of whatever else Bochs prints.
 *
 *   request:  'V' 'Q' | op u8 | length u32 | payload | adler32(op, length, payload) u32
 *   reply:    F1 'V' 'X' 'R' | status u8 | length u32 | payload | adler32(status, length, payload) u32
 *
 * All integers are little-endian. The numbering below is mirrored in agent/kernel.c and agent/vmx.c.
 */

export const Op = {
  HELLO: 1,
  RESET: 2,
  WRITE: 3,
  READ: 4,
  SET_STATE: 5,
  GET_STATE: 6,
  EXECUTE: 7,
  EVENT: 8,
  QUIT: 9,
  BENCH: 10,
} as const;

export const Status = {
  OK: 0,
  BAD_REQUEST: 1,
  UNSUPPORTED: 2,
  INTERNAL: 3,
  PROTOCOL: 4,
  REBOOT: 5,
  READY: 0x10,
  PANIC: 0x11,
} as const;

export const MnemonicCode = {
  VMXON: 1, VMPTRLD: 2, VMCLEAR: 3, VMPTRST: 4, VMREAD: 5, VMWRITE: 6, VMLAUNCH: 7, VMRESUME: 8,
  VMXOFF: 9, VMCALL: 10, INVEPT: 11, INVVPID: 12, CPUID: 13, RDMSR: 14, WRMSR: 15,
  'MOV-TO-CR0': 16, 'MOV-TO-CR3': 17, 'MOV-TO-CR4': 18,
} as const;

export const OutcomeCode = {
  VMSUCCEED: 0, VMFAIL_INVALID: 1, VMFAIL_VALID: 2, FAULT: 3, COMPLETED: 4, VMEXIT: 5,
} as const;

export const EventCode = { 'external-interrupt': 1, nmi: 2, init: 3, sipi: 4, smi: 5 } as const;

/** Agent-side state item numbers. GPRs in the SDM's register numbering (Table 28-3). */
const GPRS = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
const SEGS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'ldtr', 'tr'];
const SEG_PARTS = ['selector', 'base', 'limit', 'access'];
export const STATE_MSR = 0x100;

const STATE_IDS = new Map<string, number>();
GPRS.forEach((n, i) => STATE_IDS.set(n, i));
Object.entries({
  rip: 16, rflags: 17, cr0: 18, cr2: 19, cr3: 20, cr4: 21, cr8: 22, dr0: 23, dr1: 24, dr2: 25, dr3: 26,
  dr6: 27, dr7: 28, 'gdtr.base': 64, 'gdtr.limit': 65, 'idtr.base': 66, 'idtr.limit': 67, cpl: 68,
  'vmx.mode': 69, activity: 70,
}).forEach(([n, id]) => STATE_IDS.set(n, id));
SEGS.forEach((s, si) => SEG_PARTS.forEach((p, pi) => STATE_IDS.set(`${s}.${p}`, 32 + si * 4 + pi)));

/** A state name as the agent knows it, or undefined for a name it does not know. */
export function stateItem(name: string): { id: number; msr?: number } | undefined {
  const m = /^msr:(0x[0-9a-f]+|\d+)$/i.exec(name);
  if (m) {
    const msr = Number(m[1]);
    return msr >= 0 && msr <= 0xffffffff ? { id: STATE_MSR, msr } : undefined;
  }
  const id = STATE_IDS.get(name.toLowerCase());
  return id === undefined ? undefined : { id };
}

/** The VMX capability MSRs by SDM name (SDM Appendix A), plus IA32_FEATURE_CONTROL. */
export const CAPABILITY_MSR_NAMES: Readonly<Record<number, string>> = {
  0x3a: 'IA32_FEATURE_CONTROL',
  0x480: 'IA32_VMX_BASIC',
  0x481: 'IA32_VMX_PINBASED_CTLS',
  0x482: 'IA32_VMX_PROCBASED_CTLS',
  0x483: 'IA32_VMX_EXIT_CTLS',
  0x484: 'IA32_VMX_ENTRY_CTLS',
  0x485: 'IA32_VMX_MISC',
  0x486: 'IA32_VMX_CR0_FIXED0',
  0x487: 'IA32_VMX_CR0_FIXED1',
  0x488: 'IA32_VMX_CR4_FIXED0',
  0x489: 'IA32_VMX_CR4_FIXED1',
  0x48a: 'IA32_VMX_VMCS_ENUM',
  0x48b: 'IA32_VMX_PROCBASED_CTLS2',
  0x48c: 'IA32_VMX_EPT_VPID_CAP',
  0x48d: 'IA32_VMX_TRUE_PINBASED_CTLS',
  0x48e: 'IA32_VMX_TRUE_PROCBASED_CTLS',
  0x48f: 'IA32_VMX_TRUE_EXIT_CTLS',
  0x490: 'IA32_VMX_TRUE_ENTRY_CTLS',
  0x491: 'IA32_VMX_VMFUNC',
  0x492: 'IA32_VMX_PROCBASED_CTLS3',
};

export function adler32(chunks: Uint8Array[]): number {
  let a = 1;
  let b = 0;
  for (const c of chunks) {
    for (let i = 0; i < c.length; i++) {
      a = (a + c[i]) % 65521;
      b = (b + a) % 65521;
    }
  }
  return ((b << 16) | a) >>> 0;
}

export function encodeRequest(op: number, payload: Uint8Array): Buffer {
  const head = Buffer.alloc(7);
  head[0] = 0x56; // 'V'
  head[1] = 0x51; // 'Q'
  head[2] = op;
  head.writeUInt32LE(payload.length, 3);
  const sum = Buffer.alloc(4);
  sum.writeUInt32LE(adler32([head.subarray(2), payload]), 0);
  return Buffer.concat([head, payload, sum]);
}

export interface ReplyFrame {
  status: number;
  payload: Buffer;
}

const MAGIC = Buffer.from([0xf1, 0x56, 0x58, 0x52]);
const MAX_REPLY = 64 * 1024 * 1024;

/**
 * Picks reply frames out of a byte stream that also carries other output (Bochs's banner, debugger
 * prompts, terminal control sequences). Bytes outside frames are kept, bounded, as `noise` for reports.
 */
export class FrameParser {
  private buf: Buffer = Buffer.alloc(0);
  noise = '';

  constructor(private readonly onFrame: (f: ReplyFrame) => void) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      const at = this.buf.indexOf(MAGIC);
      if (at < 0) {
        // Keep a possible partial magic at the end.
        const keep = Math.min(this.buf.length, MAGIC.length - 1);
        this.addNoise(this.buf.subarray(0, this.buf.length - keep));
        this.buf = this.buf.subarray(this.buf.length - keep);
        return;
      }
      if (at > 0) {
        this.addNoise(this.buf.subarray(0, at));
        this.buf = this.buf.subarray(at);
      }
      if (this.buf.length < 9) return;
      const status = this.buf[4];
      const len = this.buf.readUInt32LE(5);
      if (len > MAX_REPLY) {
        this.skipOne();
        continue;
      }
      if (this.buf.length < 9 + len + 4) return;
      const payload = Buffer.from(this.buf.subarray(9, 9 + len));
      const sum = this.buf.readUInt32LE(9 + len);
      if (sum !== adler32([this.buf.subarray(4, 9), payload])) {
        this.skipOne();
        continue;
      }
      this.buf = this.buf.subarray(9 + len + 4);
      this.onFrame({ status, payload });
    }
  }

  private skipOne(): void {
    this.addNoise(this.buf.subarray(0, 1));
    this.buf = this.buf.subarray(1);
  }

  private addNoise(b: Buffer): void {
    if (!b.length) return;
    this.noise = (this.noise + b.toString('latin1')).slice(-16384);
  }
}

/** A little-endian payload writer. */
export class Writer {
  private parts: Buffer[] = [];
  u8(v: number): this {
    const b = Buffer.alloc(1);
    b[0] = v;
    this.parts.push(b);
    return this;
  }
  u16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v, 0);
    this.parts.push(b);
    return this;
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0, 0);
    this.parts.push(b);
    return this;
  }
  u64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt.asUintN(64, v), 0);
    this.parts.push(b);
    return this;
  }
  bytes(b: Uint8Array): this {
    this.parts.push(Buffer.from(b));
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/**
 * writeMemory payload: address, then segments: kind 0 = `count` literal bytes follow, kind 1 = `count`
 * copies of the one byte that follows. Serial input is slow under Bochs, so runs (zeros, mostly) are
 * sent as fills.
 */
export function encodeWrite(address: bigint, data: Uint8Array): Buffer {
  const w = new Writer().u64(address);
  let i = 0;
  let litStart = 0;
  const flushLiteral = (end: number): void => {
    if (end > litStart) w.u8(0).u32(end - litStart).bytes(data.subarray(litStart, end));
  };
  while (i < data.length) {
    let j = i + 1;
    while (j < data.length && data[j] === data[i]) j++;
    if (j - i >= 12) {
      flushLiteral(i);
      w.u8(1).u32(j - i).u8(data[i]);
      litStart = j;
    }
    i = j;
  }
  flushLiteral(data.length);
  return w.done();
}
