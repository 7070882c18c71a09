/**
 * Speed of the Bochs implementation, for `npm run bench` (issue 5, item 7). Timed on the host side.
 *
 *  - exit_roundtrips_per_s: a guest looping on CPUID (`cpuid; jmp back`); the agent itself resumes it
 *    after each exit (skipping the instruction), so this is VM exit + VM entry inside Bochs, without the
 *    transport.
 *  - guest_instructions_per_s: a guest ALU loop of known length ending in CPUID, launched by one contract
 *    VMRESUME; the time of an empty round trip (a guest that exits at once) is subtracted.
 *  - contract_ops_per_s: contract operations (execute VMREAD) per second, transport included.
 */
import { createBochsImplementation } from './index';
import { FIELDS, GUEST_LAYOUT, setUpMinimalGuest } from './guest';

export interface BochsBench {
  exit_roundtrips_per_s: number;
  guest_instructions_per_s: number;
  contract_ops_per_s: number;
}

function seconds(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** The ALU loop: `mov ecx, n; 1: add eax,ebx; xor edx,eax; inc ebx; sub esi,edx; dec ecx; jnz 1b; cpuid`. */
export function aluLoop(iterations: number): { code: Uint8Array; instructions: number } {
  const code = new Uint8Array([
    0xb9, iterations & 0xff, (iterations >> 8) & 0xff, (iterations >> 16) & 0xff, (iterations >>> 24) & 0xff,
    0x01, 0xd8, // add eax, ebx
    0x31, 0xc2, // xor edx, eax
    0xff, 0xc3, // inc ebx
    0x29, 0xd6, // sub esi, edx
    0xff, 0xc9, // dec ecx
    0x75, 0xf4, // jnz -12 (back to the add)
    0x0f, 0xa2, // cpuid: VM exit
  ]);
  return { code, instructions: 1 + iterations * 6 };
}

export async function benchBochs(
  options: { cpuModel?: string; exits?: number; iterations?: number; ops?: number } = {},
): Promise<BochsBench> {
  const impl = await createBochsImplementation({ cpuModel: options.cpuModel, timeoutMs: 120000 });
  try {
    const caps = await impl.reset({});
    // cpuid; jmp -4 (back to the cpuid)
    await setUpMinimalGuest(impl, caps, new Uint8Array([0x0f, 0xa2, 0xeb, 0xfc]));
    const first = await impl.execute(0, { mnemonic: 'VMLAUNCH' });
    if (first.kind !== 'vm-exit' || first.exitReason !== 10) throw new Error(`bench guest: ${JSON.stringify(first)}`);

    const ops = options.ops ?? 300;
    let t0 = process.hrtime.bigint();
    for (let i = 0; i < ops; i++) await impl.execute(0, { mnemonic: 'VMREAD', encoding: FIELDS.GUEST_RIP });
    const contract_ops_per_s = ops / seconds(t0);

    const exits = options.exits ?? 20000;
    t0 = process.hrtime.bigint();
    const [done] = await impl.benchCpuidExits(exits);
    const exit_roundtrips_per_s = done / seconds(t0);

    // An empty round trip: the guest exits on its first instruction (the CPUID at guestCode).
    const resumeAt = async (rip: bigint): Promise<number> => {
      await impl.execute(0, { mnemonic: 'VMWRITE', encoding: FIELDS.GUEST_RIP, value: rip });
      const t = process.hrtime.bigint();
      const o = await impl.execute(0, { mnemonic: 'VMRESUME' });
      const s = seconds(t);
      if (o.kind !== 'vm-exit' || o.exitReason !== 10) throw new Error(`bench guest: ${JSON.stringify(o)}`);
      return s;
    };
    let empty = Infinity;
    for (let i = 0; i < 5; i++) empty = Math.min(empty, await resumeAt(GUEST_LAYOUT.guestCode));

    const loop = aluLoop(options.iterations ?? 2_000_000);
    const loopAt = GUEST_LAYOUT.guestCode + 0x1000n;
    await impl.writeMemory(loopAt, loop.code);
    const full = await resumeAt(loopAt);
    const guest_instructions_per_s = loop.instructions / Math.max(full - empty, 1e-6);
    return { exit_roundtrips_per_s, guest_instructions_per_s, contract_ops_per_s };
  } finally {
    await impl.close();
  }
}

if (require.main === module) {
  benchBochs().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
