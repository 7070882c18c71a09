/**
 * Steps for EPT and VPIDs (SDM Vol. 3C 29.1 "Virtual Processor Identifiers (VPIDs)", 29.3 "The Extended Page
 * Table Mechanism (EPT)", 29.4 "Caching Translation Information", 31.3 INVEPT and INVVPID): the VMM's EPT
 * identity map and the single entries a scenario changes in it, the EPT pointer, INVEPT with the current EPTP,
 * the guest page-table changes a VMM makes between two runs of its guest, and the EPT accessed and dirty flags
 * the processor sets. Entries are found by walking the VMM's tables, so every step works whatever page size
 * the identity map uses.
 */
import { Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { EPT_ENTRY } from '../src/arch/ept';
import { assemble } from '../src/asm/index';
import { EPT_VPID_CAP } from '../src/arch/msrs';
import { creditControls } from './outcomes.steps';
import {
  addGuestPageDirectory, assignVpid, enableEpt, eptLeaf, eptWalk, remapGuestLargePage, remapLeaf, requireEptCapability,
  setLeafBit, setLeafMemoryType, setLeafPermissions, type EptPageSize,
} from './support/ept';
import { hexOf } from './support/format';
import { vmread, vmwrite } from './support/vmm';
import { physicalAddressWidth } from './support/vmx-facts';
import type { VmxWorld } from './support/world';

// ---------------------------------------------------------------------------------------------------------
// Set-up: EPT, and what the processor must (not) support for a rule to apply.

/**
 * "Enable EPT" = 1 and an identity map of guest-physical memory (4-level, every entry R, W and X, leaf memory
 * type WB) built from 2-MByte pages where IA32_VMX_EPT_VPID_CAP[16] allows them, else from 4-KByte pages; the
 * EPT pointer names it with memory type WB (UC if WB is not supported) and a page-walk length of 4. Where INVEPT
 * is supported the VMM then invalidates the mappings of that EPTP, which an earlier scenario may have left.
 */
Given('the VMM enables EPT with an identity map of guest-physical memory', async function (this: VmxWorld) {
  await enableEpt(this);
});

/** As above with the page size the scenario chooses (2-MByte and 1-GByte need @requires:ept-2mb-pages / ept-1gb-pages). */
Given('the VMM enables EPT with an identity map built from {ept-page-size} pages', async function (this: VmxWorld, size: EptPageSize) {
  await enableEpt(this, size);
});

/**
 * "Enable VPID" = 1 and the "Virtual-processor identifier (VPID)" field; first, where INVVPID single-context (or
 * else all-context) is supported, the VMM invalidates what the processor may still hold for that VPID from an
 * earlier guest, as a VMM does before reusing a VPID (29.4.3.3).
 */
Given('the VMM assigns VPID {int} to the guest', async function (this: VmxWorld, vpid: number) {
  await assignVpid(this, vpid);
});

/** Skips the scenario unless IA32_VMX_EPT_VPID_CAP[0] = 1 (SDM A.10): EPT entries may be execute-only (bits 2:0 = 100b). */
Given('the processor supports execute-only EPT translations', function (this: VmxWorld) {
  return requireEptCapability(this, EPT_VPID_CAP.EXECUTE_ONLY, true, 'execute-only EPT translations (IA32_VMX_EPT_VPID_CAP[0] = 0)');
});

/** Skips the scenario when IA32_VMX_EPT_VPID_CAP[0] = 1: for the rule that makes bits 2:0 = 100b a misconfiguration. */
Given('the processor does not support execute-only EPT translations', function (this: VmxWorld) {
  return requireEptCapability(this, EPT_VPID_CAP.EXECUTE_ONLY, false, 'execute-only EPT translations');
});

/** Skips the scenario when IA32_VMX_EPT_VPID_CAP[21] = 1 (accessed and dirty flags for EPT are supported). */
Given('the processor does not support accessed and dirty flags for EPT', function (this: VmxWorld) {
  return requireEptCapability(this, EPT_VPID_CAP.ACCESSED_DIRTY_FLAGS, false, 'accessed and dirty flags for EPT');
});

// ---------------------------------------------------------------------------------------------------------
// Changing one mapping of the VMM's EPT (set-up, or between two runs of the guest).

/** Bits 2:0 (read, write, execute) of the EPT entry that maps the page holding the guest-physical address. */
Given('the VMM sets the permissions of the EPT entry mapping guest-physical address {value} to {ept-permissions}', async function (
  this: VmxWorld, gpa: bigint, permissions: bigint,
) {
  await setLeafPermissions(this, gpa, permissions);
});

/** Bits 5:3 (EPT memory type) of the EPT entry that maps the page holding the guest-physical address. */
Given('the VMM sets the memory type of the EPT entry mapping guest-physical address {value} to {int}', async function (
  this: VmxWorld, gpa: bigint, memoryType: number,
) {
  await setLeafMemoryType(this, gpa, memoryType);
});

/** Sets bit MAXPHYADDR (inside bits 51:12, the physical address) of the EPT entry that maps the page. */
Given('the VMM sets, in the EPT entry mapping guest-physical address {value}, the lowest bit beyond the physical-address width', async function (
  this: VmxWorld, gpa: bigint,
) {
  const width = physicalAddressWidth(this);
  if (width >= 52) throw new Error(`MAXPHYADDR is ${width}: no bit of 51:12 lies beyond it`);
  await setLeafBit(this, gpa, 1n << BigInt(width), `bit ${width} (beyond MAXPHYADDR) set`);
});

/** Points the EPT entry that maps the guest-physical page at another host-physical page (both aligned to the page size). */
When('the VMM maps guest-physical address {value} to host-physical address {value} in the EPT', async function (
  this: VmxWorld, gpa: bigint, hpa: bigint,
) {
  await remapLeaf(this, gpa, hpa);
});

/** Read-modify-write of the "EPT pointer" field: bits high:low replaced by the value. */
Given('the VMM sets bits {int}:{int} of the EPT pointer to {value}', async function (this: VmxWorld, high: number, low: number, value: bigint) {
  if (high < low || high > 63) throw new Error(`bits ${high}:${low}: write the high bit first, at most 63`);
  const mask = ((1n << BigInt(high - low + 1)) - 1n) << BigInt(low);
  if ((value << BigInt(low)) & ~mask) throw new Error(`${hexOf(value)} does not fit in bits ${high}:${low}`);
  const eptp = await vmread(this, 'EPT_POINTER');
  await vmwrite(this, 'EPT_POINTER', (eptp & ~mask) | (value << BigInt(low)));
});

/** Read-modify-write of the "EPT pointer" field: one bit set (bit 6 enables accessed and dirty flags for EPT). */
Given('the VMM sets bit {int} of the EPT pointer', async function (this: VmxWorld, bit: number) {
  const eptp = await vmread(this, 'EPT_POINTER');
  await vmwrite(this, 'EPT_POINTER', eptp | (1n << BigInt(bit)));
});

/** INVEPT with the INVEPT descriptor [bits 63:0 = the "EPT pointer" field of the current VMCS, bits 127:64 = 0]. */
When('the VMM executes INVEPT with type {int} and the current EPT pointer as descriptor', async function (this: VmxWorld, type: number) {
  const eptp = await vmread(this, 'EPT_POINTER');
  await this.execute({ mnemonic: 'INVEPT', type: BigInt(type), descriptor: [eptp, 0n] });
});

/**
 * More guest code, assembled for the address given (the guest's page tables map linear = guest-physical in the
 * first GiB) and written there, for scenarios that make the guest jump into a page whose EPT entry they change.
 */
Given('the guest code at guest-physical address {value} is:', async function (this: VmxWorld, address: bigint, source: string) {
  const { bytes, instructions } = assemble(source, address);
  await this.writeMemory(address, bytes, `guest code at ${hexOf(address)}`);
  this.note(`guest code at ${hexOf(address)}:\n` + instructions.map((i) => `       ${(address + BigInt(i.offset)).toString(16)}: ${i.text}`).join('\n'));
});

// ---------------------------------------------------------------------------------------------------------
// The guest's page tables, changed by the VMM in memory (a VMM that manages its guest's page tables, or the
// set-up of an unusual guest).

/** Rewrites the guest's page-directory entry for the 2-MByte linear page: present, writable, user, PS, new frame. */
When('the VMM maps the guest\'s 2-MByte page at linear address {value} to guest-physical address {value}', async function (
  this: VmxWorld, linear: bigint, gpa: bigint,
) {
  await remapGuestLargePage(this, linear, gpa);
});

/**
 * A second guest page directory at the guest-physical address, referenced by the guest's PDPTE for the GiB at
 * the linear address; it maps that GiB onto the first GiB of guest-physical memory with 2-MByte pages.
 */
Given('the guest\'s page tables translate the GiB at linear address {value} through a page directory at guest-physical address {value}', async function (
  this: VmxWorld, linear: bigint, pd: bigint,
) {
  await addGuestPageDirectory(this, linear, pd);
});

// ---------------------------------------------------------------------------------------------------------
// Accessed and dirty flags for EPT (EPTP bit 6).

/** Bit 8 (accessed) of every entry of the VMM's EPT on the way to the guest-physical address, PML4E to leaf. */
Then('the accessed flag is set in every EPT entry used to translate guest-physical address {value}', async function (this: VmxWorld, gpa: bigint) {
  const path = await eptWalk(this, gpa);
  const clear = path.filter((e) => (e.value & EPT_ENTRY.ACCESSED) === 0n).map((e) => `level-${e.level} entry at ${hexOf(e.address)} = ${hexOf(e.value)}`);
  expect(clear, `EPT entries translating ${hexOf(gpa)} without the accessed flag (bit 8)`).to.deep.equal([]);
  creditControls(this);
});

/** Bit 9 (dirty) of the EPT entry that maps the page (a PTE, or a PDPTE/PDE with bit 7 set). */
Then('the dirty flag is set in the EPT entry mapping guest-physical address {value}', async function (this: VmxWorld, gpa: bigint) {
  const leaf = await eptLeaf(this, gpa);
  expect(leaf.value & EPT_ENTRY.DIRTY, `bit 9 (dirty) of the EPT entry at ${hexOf(leaf.address)} = ${hexOf(leaf.value)}`).to.equal(EPT_ENTRY.DIRTY);
  creditControls(this);
});
