/**
 * MOV to CR0/CR3/CR4 as the processor executes it when no VM exit applies (SDM Vol. 2B "MOV—Move to/from
 * Control Registers", Vol. 3A 2.5 "Control Registers", 10.8.5 "Initializing IA-32e Mode"), including the VMX
 * fixed bits enforced in VMX operation (SDM Vol. 3C 24.8 "Restrictions on VMX Operation": "any attempt to set
 * one of these bits to an unsupported value while in VMX operation ... causes a general-protection
 * exception"). Used for root-mode execution through the contract and, through the Platform, by the
 * interpreter in non-root operation.
 *
 * Cached translations (SDM Vol. 3A 4.10.4.1 "Operations that Invalidate TLBs and Paging-Structure Caches"; in VMX
 * non-root operation for the current VPID, SDM 29.4.3.1, linear and combined mappings alike): MOV to CR0 clearing
 * PG invalidates all of them; MOV to CR3 all but global ones; MOV to CR4 all when it changes PGE or PAE, clears
 * PCIDE or sets SMEP. PCIDs are not modelled (src/emulator/x86/tlb.ts): what is invalidated "for the current PCID"
 * is invalidated for all, and a MOV to CR3 with CR4.PCIDE = 1 and bit 63 set invalidates too (the translations
 * carry no PCID, so keeping them would let the new PCID use another's).
 */
import * as ns_arch from '../arch';
import type { LogicalProcessor } from './processor';
import * as ns_profiles from './profiles';
import * as ns_vmx_operation from './vmx/operation';
import * as ns_exit_vm_exit from './exit/vm-exit';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { CR0, CR4, IA32_EFER } = ns_arch;
const { SUPPORTED_CR0 } = ns_profiles;
const { crValuesSupportedInVmx } = ns_vmx_operation;
const { currentVpid } = ns_exit_vm_exit;

/**
 * CR0 write: returns false for #GP(0). `value` is the 64-bit source as halves. `notFixed` lists fixed-1 bits
 * that may nevertheless be 0 (PE and PG for a guest with "unrestricted guest", SDM Vol. 3C 26.3).
 */
export function writeCr0(cpu: LogicalProcessor, lo: number, hi: number, notFixed = 0): boolean {
  const r = cpu.regs;
  if (hi !== 0 || (lo & ~SUPPORTED_CR0) !== 0) return false;
  const v = lo >>> 0;
  if ((v & CR0.PG) !== 0 && (v & CR0.PE) === 0) return false;
  if ((v & CR0.NW) !== 0 && (v & CR0.CD) === 0) return false;
  const lma = (r.efer & IA32_EFER.LMA) !== 0;
  // Clearing PG while in IA-32e mode from 64-bit code is #GP; enabling PG with LME=1 requires PAE.
  if (lma && (v & CR0.PG) === 0) return false;
  if ((v & CR0.PG) !== 0 && (r.cr0 & CR0.PG) === 0 && (r.efer & IA32_EFER.LME) !== 0 && (r.cr4 & CR4.PAE) === 0) return false;
  if (cpu.inVmx && !crValuesSupportedInVmx(cpu, v | (notFixed & cpu.caps.cr0Fixed0), r.cr4)) return false;
  const pagingDisabled = (r.cr0 & CR0.PG) !== 0 && (v & CR0.PG) === 0;
  r.cr0 = v;
  if ((v & CR0.PG) !== 0 && (r.efer & IA32_EFER.LME) !== 0) r.efer |= IA32_EFER.LMA;
  if (pagingDisabled) cpu.translations.invalidateVpid(currentVpid(cpu), false);
  return true;
}

/** CR4 write: false for #GP(0). */
export function writeCr4(cpu: LogicalProcessor, lo: number, hi: number): boolean {
  const r = cpu.regs;
  if (hi !== 0 || (lo & ~cpu.caps.profile.cr4Supported) !== 0) return false;
  const v = lo >>> 0;
  const lma = (r.efer & IA32_EFER.LMA) !== 0;
  if (lma && (v & CR4.PAE) === 0) return false;
  if ((v & CR4.PCIDE) !== 0 && (r.cr4 & CR4.PCIDE) === 0 && (!lma || (r.cr3 & 0xfff) !== 0)) return false;
  if (cpu.inVmx && !crValuesSupportedInVmx(cpu, r.cr0, v)) return false;
  const old = r.cr4;
  const invalidate = ((old ^ v) & (CR4.PGE | CR4.PAE)) !== 0 || (old & ~v & CR4.PCIDE) !== 0 || (v & ~old & CR4.SMEP) !== 0;
  r.cr4 = v;
  if (invalidate) cpu.translations.invalidateVpid(currentVpid(cpu), false);
  return true;
}

/**
 * CR3 write in IA-32e mode: bits 63:MAXPHYADDR must be 0, except bit 63 with CR4.PCIDE = 1 (no-flush hint,
 * not stored). Invalidates the non-global mappings of the current VPID (SDM Vol. 3A 4.10.4.1), also with the
 * hint (see above).
 */
export function writeCr3(cpu: LogicalProcessor, lo: number, hi: number): boolean {
  const r = cpu.regs;
  let h = hi >>> 0;
  if ((r.cr4 & CR4.PCIDE) !== 0) h &= 0x7fffffff;
  const width = cpu.caps.physicalAddressWidth;
  if (h >>> (width - 32) !== 0) return false;
  r.cr3 = h * 4294967296 + (lo >>> 0);
  cpu.translations.invalidateVpid(currentVpid(cpu), true);
  return true;
}
