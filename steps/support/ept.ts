/**
 * The VMM's extended page tables (SDM Vol. 3C 29.3.2 "EPT Translation Mechanism", the tables "Format of an
 * EPT PML4 Entry" … "Format of an EPT Page-Table Entry"; 25.6.11 "Extended-Page-Table Pointer (EPTP)"), and
 * the guest page-table edits the address-translation scenarios make.
 *
 * The EPT paging structures live in the physical window 0x600000–0x6fffff (LAYOUT.eptPml4 and the pages after
 * it). The identity map is the VMM's own choice of structure, not a rule under test: every step that changes a
 * mapping finds the entry by walking the tables in memory, so the same step works whatever page size the map
 * uses. Entry bits come from src/arch/ept.ts; the rules the scenarios check are stated in the feature files.
 */
import { defineParameterType } from '@cucumber/cucumber';
import { lookupControl } from '../../src/arch/controls';
import { EPT_ENTRY, EPTP } from '../../src/arch/ept';
import { EPT_VPID_CAP } from '../../src/arch/msrs';
import { hexOf } from './format';
import { skipUnsupported } from './nonroot';
import { LAYOUT, replacer, setControl, vmwrite } from './vmm';
import type { VmxWorld } from './world';

export const EPT_LAYOUT = {
  pml4: LAYOUT.eptPml4,
  pdpt: LAYOUT.eptPml4 + 0x1000n,
  pd: LAYOUT.eptPml4 + 0x2000n,
  /** 4-KByte maps: page table i (mapping guest-physical 2 MiB × i onward) at firstPageTable + 4 KiB × i. */
  firstPageTable: LAYOUT.eptPml4 + 0x3000n,
  end: 0x700000n,
} as const;

export type EptPageSize = '4-KByte' | '2-MByte' | '1-GByte';

defineParameterType({
  name: 'ept-page-size',
  regexp: /(4-KByte|2-MByte|1-GByte)/,
  transformer: (s: string): EptPageSize => s as EptPageSize,
});

/** Bits 2:0 of an EPT entry written as the SDM's R, W, X letters in that order: `R-X`, `RW-`, `---`. */
defineParameterType({
  name: 'ept-permissions',
  regexp: /([R-][W-][X-])/,
  transformer: (s: string): bigint =>
    (s[0] === 'R' ? EPT_ENTRY.READ : 0n) | (s[1] === 'W' ? EPT_ENTRY.WRITE : 0n) | (s[2] === 'X' ? EPT_ENTRY.EXECUTE : 0n),
});

const RWX = EPT_ENTRY.READ | EPT_ENTRY.WRITE | EPT_ENTRY.EXECUTE;
/** EPT memory type of the leaf entries (bits 5:3): 6 = WB (SDM 29.3.7 "EPT and Memory Typing"). */
const LEAF_WB = 6n << EPT_ENTRY.MEMORY_TYPE_SHIFT;
/** Bits 51:12 of an EPT entry or of the EPTP: a physical address. */
const ADDRESS_MASK = ((1n << 52n) - 1n) & ~0xfffn;
const MiB = 1n << 20n;
const GiB = 1n << 30n;

function eptVpidCap(world: VmxWorld): bigint {
  return world.caps.msrs.IA32_VMX_EPT_VPID_CAP ?? 0n;
}

export function supports(world: VmxWorld, bit: bigint): boolean {
  return (eptVpidCap(world) & bit) !== 0n;
}

/** The page size the identity map uses when the scenario does not choose: 2 MiB if supported, else 4 KiB. */
export function defaultPageSize(world: VmxWorld): EptPageSize {
  return supports(world, EPT_VPID_CAP.PDE_2MB_PAGES) ? '2-MByte' : '4-KByte';
}

function u64le(values: bigint[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, v), true));
  return out;
}

async function readQword(world: VmxWorld, address: bigint): Promise<bigint> {
  const b = await world.readMemory(address, 8);
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
}

async function writeQword(world: VmxWorld, address: bigint, value: bigint, label: string): Promise<void> {
  await world.writeMemory(address, u64le([value]), label);
}

/**
 * Write an identity map of guest-physical memory: 4-level EPT, every entry readable, writable and executable,
 * leaf memory type WB. 1-GByte and 2-MByte maps cover the first GiB; a 4-KByte map covers the machine's memory
 * (at most 256 MiB, the end of the scenario window), because 512 page tables would not fit in 0x600000–0x6fffff.
 */
export async function writeIdentityMap(world: VmxWorld, size: EptPageSize): Promise<void> {
  const zeros = (n: number) => Array<bigint>(n).fill(0n);
  await world.writeMemory(EPT_LAYOUT.pml4, u64le([EPT_LAYOUT.pdpt | RWX, ...zeros(511)]), 'EPT PML4');
  if (size === '1-GByte') {
    await world.writeMemory(EPT_LAYOUT.pdpt, u64le([RWX | LEAF_WB | EPT_ENTRY.LARGE_PAGE, ...zeros(511)]), 'EPT PDPT (one 1-GByte page)');
    return;
  }
  await world.writeMemory(EPT_LAYOUT.pdpt, u64le([EPT_LAYOUT.pd | RWX, ...zeros(511)]), 'EPT PDPT');
  if (size === '2-MByte') {
    const pd = Array.from({ length: 512 }, (_, i) => (BigInt(i) << 21n) | RWX | LEAF_WB | EPT_ENTRY.LARGE_PAGE);
    await world.writeMemory(EPT_LAYOUT.pd, u64le(pd), 'EPT page directory (2-MByte pages)');
    return;
  }
  const covered = BigInt(Math.min(world.caps.memoryBytes, 256 * 1024 * 1024));
  const tables = Number((covered + 2n * MiB - 1n) / (2n * MiB));
  if (EPT_LAYOUT.firstPageTable + BigInt(tables) * 0x1000n > EPT_LAYOUT.end) throw new Error('EPT page tables would leave 0x600000–0x6fffff');
  const pd = Array.from({ length: 512 }, (_, i) => (i < tables ? (EPT_LAYOUT.firstPageTable + BigInt(i) * 0x1000n) | RWX : 0n));
  await world.writeMemory(EPT_LAYOUT.pd, u64le(pd), 'EPT page directory (page tables)');
  for (let t = 0; t < tables; t++) {
    const base = BigInt(t) * 2n * MiB;
    const pt = Array.from({ length: 512 }, (_, i) => (base + (BigInt(i) << 12n)) | RWX | LEAF_WB);
    await world.writeMemory(EPT_LAYOUT.firstPageTable + BigInt(t) * 0x1000n, u64le(pt), `EPT page table ${t} (4-KByte pages from ${hexOf(base)})`);
  }
}

/**
 * The EPTP for the identity map (SDM 25.6.11): bits 2:0 the paging-structure memory type (WB if
 * IA32_VMX_EPT_VPID_CAP[14] says it is supported, else UC if bit 8 does), bits 5:3 the page-walk length minus 1
 * (a 4-level walk, IA32_VMX_EPT_VPID_CAP[6]), bits 51:12 the PML4 address; every other bit 0.
 */
export function identityEptp(world: VmxWorld): bigint {
  const memoryType = supports(world, EPT_VPID_CAP.MEMORY_TYPE_WB) ? 6n
    : supports(world, EPT_VPID_CAP.MEMORY_TYPE_UC) ? 0n : undefined;
  if (memoryType === undefined) throw new Error('IA32_VMX_EPT_VPID_CAP reports neither UC nor WB for the EPT paging structures');
  if (!supports(world, EPT_VPID_CAP.PAGE_WALK_LENGTH_4)) throw new Error('IA32_VMX_EPT_VPID_CAP[6] = 0: no 4-level EPT page walk');
  return EPT_LAYOUT.pml4 | memoryType | (3n << EPTP.PAGE_WALK_LENGTH_SHIFT);
}

/** "Enable EPT" = 1, the identity map, and its EPTP in the "EPT pointer" field. */
export async function enableEpt(world: VmxWorld, size: EptPageSize = defaultPageSize(world)): Promise<void> {
  if (size === '2-MByte' && !supports(world, EPT_VPID_CAP.PDE_2MB_PAGES)) throw new Error('2-MByte EPT pages need @requires:ept-2mb-pages');
  if (size === '1-GByte' && !supports(world, EPT_VPID_CAP.PDPTE_1GB_PAGES)) throw new Error('1-GByte EPT pages need @requires:ept-1gb-pages');
  await setControl(world, lookupControl('Enable EPT'), true);
  await writeIdentityMap(world, size);
  const eptp = identityEptp(world);
  await vmwrite(world, 'EPT_POINTER', eptp);
  await invalidateEarlierMappings(world, 'INVEPT', [eptp, 0n]);
  world.memo.set('eptPageSize', size);
}

/**
 * Set-up hygiene, not a rule under test: the EPT tables and VPIDs the scenarios use are the same in every
 * scenario, and neither VMXOFF nor VMXON is required to invalidate cached mappings (29.4.3.2), so a processor
 * that is not reset between scenarios may still hold mappings an earlier scenario created. A VMM that reuses an
 * EPTP or a VPID for a new address space invalidates its mappings first (29.4.3.3, 29.4.3.4); so does this one,
 * with single-context (or else all-context) INVEPT/INVVPID, where the processor supports one of them.
 */
export async function invalidateEarlierMappings(world: VmxWorld, mnemonic: 'INVEPT' | 'INVVPID', descriptor: [bigint, bigint]): Promise<void> {
  const [instruction, single, all] = mnemonic === 'INVEPT'
    ? [EPT_VPID_CAP.INVEPT, EPT_VPID_CAP.INVEPT_SINGLE_CONTEXT, EPT_VPID_CAP.INVEPT_ALL_CONTEXT]
    : [EPT_VPID_CAP.INVVPID, EPT_VPID_CAP.INVVPID_SINGLE_CONTEXT, EPT_VPID_CAP.INVVPID_ALL_CONTEXT];
  if (!supports(world, instruction)) return;
  const type = supports(world, single) ? 1n : supports(world, all) ? 2n : undefined;
  if (type === undefined) return;
  const o = await world.execute({ mnemonic, type, descriptor });
  if (o.kind !== 'VMsucceed') throw new Error(`${mnemonic} type ${type} during set-up: ${JSON.stringify(o, replacer)}`);
}

/** "Enable VPID" = 1 and the VPID, after invalidating what the processor may hold for that VPID. */
export async function assignVpid(world: VmxWorld, vpid: number): Promise<void> {
  if (vpid <= 0 || vpid > 0xffff) throw new Error('a guest VPID is 0001H to FFFFH (0000H is the VMM\'s)');
  await setControl(world, lookupControl('Enable VPID'), true);
  await vmwrite(world, 'VIRTUAL_PROCESSOR_ID', BigInt(vpid));
  await invalidateEarlierMappings(world, 'INVVPID', [BigInt(vpid), 0n]);
}

export interface EptEntryRef {
  /** Physical address of the entry. */
  address: bigint;
  value: bigint;
  /** 4 = PML4E, 3 = PDPTE, 2 = PDE, 1 = PTE. */
  level: number;
  /** Bytes mapped by the entry when it is the leaf. */
  pageSize: bigint;
}

const LEVEL_NAMES = ['', 'PTE', 'PDE', 'PDPTE', 'PML4E'];

/**
 * The entries of the VMM's EPT that translate a guest-physical address, PML4E first, down to the one that maps
 * the page (a PTE, or a PDPTE/PDE with bit 7 set). Every entry on the way must be present in the map the VMM
 * built: the steps change entries, they do not create them.
 */
export async function eptWalk(world: VmxWorld, gpa: bigint): Promise<EptEntryRef[]> {
  const path: EptEntryRef[] = [];
  let table: bigint = EPT_LAYOUT.pml4;
  for (let level = 4; level >= 1; level--) {
    const shift = 12n + 9n * BigInt(level - 1);
    const address = table + ((gpa >> shift) & 0x1ffn) * 8n;
    const value = await readQword(world, address);
    const entry = { address, value, level, pageSize: 1n << shift };
    path.push(entry);
    const leaf = level === 1 || ((level === 2 || level === 3) && (value & EPT_ENTRY.LARGE_PAGE) !== 0n);
    if (leaf) return path;
    if ((value & RWX) === 0n) {
      throw new Error(`the VMM's EPT has no ${LEVEL_NAMES[level]} for guest-physical ${hexOf(gpa)} (the steps change mappings of the identity map; they do not create them)`);
    }
    table = value & ADDRESS_MASK;
  }
  throw new Error('not reached');
}

export async function eptLeaf(world: VmxWorld, gpa: bigint): Promise<EptEntryRef> {
  const path = await eptWalk(world, gpa);
  return path[path.length - 1];
}

/** Rewrite the leaf entry mapping a guest-physical address with `change(old value)`. */
export async function updateLeaf(world: VmxWorld, gpa: bigint, what: string, change: (v: bigint, leaf: EptEntryRef) => bigint): Promise<void> {
  const leaf = await eptLeaf(world, gpa);
  const value = change(leaf.value, leaf);
  await writeQword(world, leaf.address, value, `EPT ${LEVEL_NAMES[leaf.level]} for ${hexOf(gpa)}: ${what} (${hexOf(leaf.value)} → ${hexOf(value)})`);
}

export async function setLeafPermissions(world: VmxWorld, gpa: bigint, permissions: bigint): Promise<void> {
  const shown = `${permissions & 1n ? 'R' : '-'}${permissions & 2n ? 'W' : '-'}${permissions & 4n ? 'X' : '-'}`;
  await updateLeaf(world, gpa, `permissions ${shown}`, (v) => (v & ~RWX) | permissions);
}

export async function setLeafMemoryType(world: VmxWorld, gpa: bigint, memoryType: number): Promise<void> {
  if (memoryType < 0 || memoryType > 7) throw new Error('an EPT memory type is 3 bits (0 to 7)');
  await updateLeaf(world, gpa, `memory type ${memoryType}`, (v) => (v & ~EPT_ENTRY.MEMORY_TYPE_MASK) | (BigInt(memoryType) << EPT_ENTRY.MEMORY_TYPE_SHIFT));
}

export async function setLeafBit(world: VmxWorld, gpa: bigint, bit: bigint, what: string): Promise<void> {
  await updateLeaf(world, gpa, what, (v) => v | bit);
}

/** Point the leaf that maps `gpa` at `hpa`; both must be aligned to the leaf's page size. */
export async function remapLeaf(world: VmxWorld, gpa: bigint, hpa: bigint): Promise<void> {
  await updateLeaf(world, gpa, `maps ${hexOf(hpa)}`, (v, leaf) => {
    if (gpa % leaf.pageSize !== 0n || hpa % leaf.pageSize !== 0n) {
      throw new Error(`the EPT maps ${hexOf(gpa)} with a page of ${hexOf(leaf.pageSize)} bytes: both addresses must be aligned to it`);
    }
    return (v & ~ADDRESS_MASK) | hpa;
  });
}

/** Skip the scenario unless IA32_VMX_EPT_VPID_CAP reports (or, with `want` false, does not report) the bit. */
export function requireEptCapability(world: VmxWorld, bit: bigint, want: boolean, what: string): 'skipped' | undefined {
  if (supports(world, bit) === want) return undefined;
  return skipUnsupported(world, want ? what : `a processor without ${what} (this one reports it)`);
}

// ---------------------------------------------------------------------------------------------------------
// The guest's own page tables (steps/support/vmm.ts writes them: PML4 → PDPT → page directory of 2-MByte
// pages, identity-mapping the first GiB, every entry present, writable and user-accessible).

const GUEST_P = 1n, GUEST_RW = 2n, GUEST_US = 4n, GUEST_PS = 0x80n;

/** Rewrite the guest's page-directory entry for a 2-MByte linear page so that it maps `gpa` instead. */
export async function remapGuestLargePage(world: VmxWorld, linear: bigint, gpa: bigint): Promise<void> {
  if (linear >= GiB) throw new Error('the guest page directory maps only the first GiB of linear addresses');
  if (linear % (2n * MiB) !== 0n || gpa % (2n * MiB) !== 0n) throw new Error('a 2-MByte page and its frame are 2-MByte aligned');
  const pde = LAYOUT.guestPd + (linear >> 21n) * 8n;
  await writeQword(world, pde, gpa | GUEST_P | GUEST_RW | GUEST_US | GUEST_PS, `guest PDE for linear ${hexOf(linear)} → ${hexOf(gpa)}`);
}

/**
 * Give the guest a second page directory at guest-physical `pdAddress` for the GiB of linear addresses at
 * `linear` (a PDPTE of the guest's PDPT); the new directory maps that GiB onto the first GiB of guest-physical
 * memory with 2-MByte pages, as the standard directory does. Written by the VMM straight into memory.
 */
export async function addGuestPageDirectory(world: VmxWorld, linear: bigint, pdAddress: bigint): Promise<void> {
  if (linear % GiB !== 0n || linear >= 512n * GiB) throw new Error('the linear address must start a GiB below 512 GiB');
  if (linear === 0n) throw new Error('the first GiB already has the standard page directory');
  if (pdAddress % 0x1000n !== 0n) throw new Error('a page directory is 4-KByte aligned');
  const pd = Array.from({ length: 512 }, (_, i) => (BigInt(i) << 21n) | GUEST_P | GUEST_RW | GUEST_US | GUEST_PS);
  await world.writeMemory(pdAddress, u64le(pd), `guest page directory for linear ${hexOf(linear)}`);
  await writeQword(world, LAYOUT.guestPdpt + (linear >> 30n) * 8n, pdAddress | GUEST_P | GUEST_RW | GUEST_US, `guest PDPTE for linear ${hexOf(linear)}`);
}
