/**
 * The Bochs adapter's wire protocol and agent build, without Bochs: framing, checksums, the write
 * encoding, the state-name table. The agent build needs only gcc and binutils.
 */
import { describe, it } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  FrameParser,
  STATE_MSR,
  adler32,
  encodeRequest,
  encodeWrite,
  stateItem,
  type ReplyFrame,
} from '../../src/adapters/bochs/protocol';
import { AGENT_DIR } from '../../src/adapters/bochs/machine';

function frame(status: number, payload: Buffer): Buffer {
  const head = Buffer.from([0xf1, 0x56, 0x58, 0x52, status, 0, 0, 0, 0]);
  head.writeUInt32LE(payload.length, 5);
  const sum = Buffer.alloc(4);
  sum.writeUInt32LE(adler32([head.subarray(4), payload]), 0);
  return Buffer.concat([head, payload, sum]);
}

/** Decodes a writeMemory payload back to (address, bytes), as the agent does. */
function decodeWrite(p: Buffer): { address: bigint; data: number[] } {
  const address = p.readBigUInt64LE(0);
  const data: number[] = [];
  let i = 8;
  while (i < p.length) {
    const kind = p[i];
    const n = p.readUInt32LE(i + 1);
    i += 5;
    if (kind === 0) {
      data.push(...p.subarray(i, i + n));
      i += n;
    } else {
      for (let k = 0; k < n; k++) data.push(p[i]);
      i += 1;
    }
  }
  return { address, data };
}

describe('Bochs adapter protocol', () => {
  it('computes Adler-32 as zlib does', () => {
    expect(adler32([Buffer.from('Wikipedia')])).to.equal(0x11e60398);
    expect(adler32([Buffer.from('Wiki'), Buffer.from('pedia')])).to.equal(0x11e60398);
  });

  it('frames requests with magic, op, length and checksum', () => {
    const r = encodeRequest(7, Buffer.from([1, 2, 3]));
    expect([...r.subarray(0, 7)]).to.deep.equal([0x56, 0x51, 7, 3, 0, 0, 0]);
    expect(r.readUInt32LE(10)).to.equal(adler32([r.subarray(2, 10)]));
  });

  it('picks reply frames out of noise, split at any point', () => {
    const got: ReplyFrame[] = [];
    const p = new FrameParser((f) => got.push(f));
    const stream = Buffer.concat([
      Buffer.from('Bochs x86 Emulator 2.7\nNext at t=0\n\xf1VX garbage', 'latin1'),
      frame(0, Buffer.from('hello')),
      Buffer.from('<bochs:1> '),
      frame(3, Buffer.alloc(0)),
    ]);
    for (let i = 0; i < stream.length; i += 3) p.push(stream.subarray(i, i + 3));
    expect(got.map((f) => [f.status, f.payload.toString()])).to.deep.equal([
      [0, 'hello'],
      [3, ''],
    ]);
    expect(p.noise).to.contain('Bochs x86 Emulator');
  });

  it('drops a frame whose checksum does not match', () => {
    const got: ReplyFrame[] = [];
    const p = new FrameParser((f) => got.push(f));
    const bad = frame(0, Buffer.from('abc'));
    bad[bad.length - 1] ^= 0xff;
    p.push(Buffer.concat([bad, frame(0, Buffer.from('ok'))]));
    expect(got.map((f) => f.payload.toString())).to.deep.equal(['ok']);
  });

  it('encodes writes as literals and fills that decode to the same bytes', () => {
    const data = new Uint8Array(5000);
    data.set([1, 2, 3], 0);
    data.fill(0xcc, 100, 180);
    data[4999] = 9;
    const p = encodeWrite(0x200000n, data);
    expect(p.length).to.be.lessThan(100);
    const d = decodeWrite(p);
    expect(d.address).to.equal(0x200000n);
    expect(d.data).to.deep.equal([...data]);
  });

  it('knows the contract state names', () => {
    expect(stateItem('rax')).to.deep.equal({ id: 0 });
    expect(stateItem('r15')).to.deep.equal({ id: 15 });
    expect(stateItem('tr.access')).to.deep.equal({ id: 32 + 7 * 4 + 3 });
    expect(stateItem('msr:0xc0000080')).to.deep.equal({ id: STATE_MSR, msr: 0xc0000080 });
    expect(stateItem('vmx.mode')).to.deep.equal({ id: 69 });
    expect(stateItem('xmm0')).to.equal(undefined);
  });
});

describe('agent build', () => {
  it('builds a bootable 1.44 MB floppy image from source', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'vmx-agent-'));
    try {
      execFileSync('sh', [path.join(AGENT_DIR, 'build.sh'), out], { stdio: 'pipe' });
      const img = fs.readFileSync(path.join(out, 'agent.img'));
      expect(img.length).to.equal(1474560);
      expect(img[510]).to.equal(0x55);
      expect(img[511]).to.equal(0xaa);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
