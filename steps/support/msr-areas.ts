/**
 * The MSR areas a VMM builds for VM entries and VM exits (SDM Vol. 3C 25.7.2 "VM-Exit Controls for MSRs",
 * 25.8.2 "VM-Entry Controls for MSRs"): arrays of 16-byte entries, bits 31:0 the MSR index, bits 63:32
 * reserved, bits 127:64 the MSR data. The VMM writes them in physical memory and points the VMCS at them.
 */
import type { DataTable } from '@cucumber/cucumber';
import { lookupField } from '../../src/arch/vmcs-fields';
import { parseNumber } from './format';
import { LAYOUT, vmwrite } from './vmm';
import { msrIndex } from './vmx-facts';
import type { VmxWorld } from './world';

export interface MsrEntry {
  index: number;
  /** Bits 63:32 of the entry (reserved: must be zero for the entry to be valid). */
  reserved: bigint;
  value: bigint;
}

export type MsrArea = 'VM-entry MSR-load' | 'VM-exit MSR-store' | 'VM-exit MSR-load';

export const MSR_AREAS: Record<MsrArea, { address: bigint; addressField: string; countField: string }> = {
  'VM-entry MSR-load': { address: LAYOUT.entryMsrLoad, addressField: 'VM_ENTRY_MSR_LOAD_ADDR', countField: 'VM_ENTRY_MSR_LOAD_COUNT' },
  'VM-exit MSR-store': { address: LAYOUT.exitMsrStore, addressField: 'VM_EXIT_MSR_STORE_ADDR', countField: 'VM_EXIT_MSR_STORE_COUNT' },
  'VM-exit MSR-load': { address: LAYOUT.exitMsrLoad, addressField: 'VM_EXIT_MSR_LOAD_ADDR', countField: 'VM_EXIT_MSR_LOAD_COUNT' },
};

export function msrArea(token: string): MsrArea {
  const found = (Object.keys(MSR_AREAS) as MsrArea[]).find((a) => a.toLowerCase() === token.trim().toLowerCase());
  if (!found) throw new Error(`unknown MSR area "${token}"; use one of: ${Object.keys(MSR_AREAS).join(', ')}`);
  return found;
}

/**
 * Rows of a feature table with the columns `MSR`, optionally `bits 63:32`, and `value` (for an MSR-store
 * area, `value` is what the VMM leaves in bits 127:64 before the VM exit).
 */
export function msrEntriesFromTable(table: DataTable): MsrEntry[] {
  return table.hashes().map((row, i) => {
    const msr = row.MSR ?? row.msr;
    if (msr === undefined) throw new Error(`row ${i + 1} of the MSR table has no "MSR" column`);
    return {
      index: msrIndex(msr),
      reserved: row['bits 63:32'] !== undefined ? parseNumber(row['bits 63:32']) : 0n,
      value: row.value !== undefined ? parseNumber(row.value) : 0n,
    };
  });
}

export async function writeMsrArea(world: VmxWorld, area: MsrArea, entries: MsrEntry[]): Promise<void> {
  const where = MSR_AREAS[area];
  const bytes = new Uint8Array(Math.max(16, entries.length * 16));
  const dv = new DataView(bytes.buffer);
  entries.forEach((e, i) => {
    dv.setUint32(i * 16, e.index >>> 0, true);
    dv.setUint32(i * 16 + 4, Number(BigInt.asUintN(32, e.reserved)), true);
    dv.setBigUint64(i * 16 + 8, BigInt.asUintN(64, e.value), true);
  });
  await world.writeMemory(where.address, bytes, `${area} area (${entries.length} entries)`);
  await vmwrite(world, lookupField(where.addressField), where.address);
  await vmwrite(world, lookupField(where.countField), BigInt(entries.length));
}

/** Bits 127:64 of entry `n` (1-based) of an MSR area, read back from memory. */
export async function readMsrAreaValue(world: VmxWorld, area: MsrArea, n: number): Promise<bigint> {
  const bytes = await world.readMemory(MSR_AREAS[area].address + BigInt((n - 1) * 16 + 8), 8);
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
}
