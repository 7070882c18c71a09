/**
 * The MSR areas of VMX transitions: the VM-entry MSR-load area (SDM Vol. 3C 27.4 "Loading MSRs"), the VM-exit
 * MSR-store area (28.4 "Saving MSRs") and the VM-exit MSR-load area (28.6 "Loading MSRs").
 * Entry format (25.7.2 Table "Format of an MSR Entry"): bits 31:0 MSR index, 63:32 reserved (0), 127:64 data.
 */
import * as ns_arch from '../../arch';
import type { LogicalProcessor } from '../processor';
import * as ns_msrs from '../msrs';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { MSR } = ns_arch;
const { readMsr, writeMsr } = ns_msrs;

/**
 * MSRs no MSR-load area may load (27.4, 28.6): IA32_FS_BASE and IA32_GS_BASE (loaded from segment fields
 * instead), IA32_SMM_MONITOR_CTL, and IA32_SMBASE outside SMM; x2APIC MSRs (800H–8FFH) when x2APIC mode is
 * on (this machine has no x2APIC, so they do not exist and fail as any absent MSR does).
 */
function loadRefused(index: number): boolean {
  return index === MSR.IA32_FS_BASE || index === MSR.IA32_GS_BASE || index === MSR.IA32_SMM_MONITOR_CTL ||
    index === MSR.IA32_SMBASE || index >>> 8 === 0x8;
}
/** MSRs no MSR-store area may store (28.4): IA32_SMBASE outside SMM and the x2APIC range when x2APIC is on. */
function storeRefused(index: number): boolean {
  return index === MSR.IA32_SMBASE || index >>> 8 === 0x8;
}

/**
 * Load `count` entries from `base`: returns 0 on success, else the 1-based number of the entry that failed
 * (the exit qualification of a VM-entry failure due to MSR loading, 27.8). Entries before it stay loaded.
 */
export function loadMsrArea(cpu: LogicalProcessor, base: number, count: number): number {
  const mem = cpu.memory;
  for (let i = 0; i < count; i++) {
    const a = base + 16 * i;
    const index = mem.read32(a);
    if (mem.read32(a + 4) !== 0 || loadRefused(index)) return i + 1;
    if (!writeMsr(cpu, index, mem.read64(a + 8))) return i + 1;
  }
  return 0;
}

/** Store `count` MSR values into the area at `base` (28.4): returns 0, or the 1-based failing entry (VMX abort). */
export function storeMsrArea(cpu: LogicalProcessor, base: number, count: number): number {
  const mem = cpu.memory;
  for (let i = 0; i < count; i++) {
    const a = base + 16 * i;
    const index = mem.read32(a);
    if (mem.read32(a + 4) !== 0 || storeRefused(index)) return i + 1;
    const v = readMsr(cpu, index);
    if (v === undefined) return i + 1;
    mem.write64(a + 8, v);
  }
  return 0;
}
