/**
 * INVEPT and INVVPID (SDM Vol. 3C 31.3 "INVEPT—Invalidate Translations Derived from EPT", "INVVPID—Invalidate
 * Translations Based on VPID"; 29.4.3 "Invalidating Cached Translation Information").
 *
 * The type register operand is 64 bits in 64-bit mode and 32 bits outside IA-32e mode; a type with bits
 * 63:32 set is simply not a supported type. Descriptors are passed as two 64-bit halves, each as 32-bit halves.
 */
import { EPT_VPID_CAP, INVEPT_TYPE, INVVPID_TYPE, VMERR } from '../../arch';
import type { LogicalProcessor } from '../processor';
import { eptpProblem } from '../ept/eptp';
import { canonical48 } from '../util/bits';
import type { InstrResult } from './conventions';
import { raiseGP0, raiseUD, vmFail, vmSucceed, vmxInstructionUD } from './common';

/** INVEPT type t is supported iff IA32_VMX_EPT_VPID_CAP bit 24 + t is 1 (bit 25 single-context, 26 all-context). */
function inveptTypeSupported(cpu: LogicalProcessor, typeLo: number, typeHi: number): boolean {
  if (typeHi !== 0 || (typeLo !== INVEPT_TYPE.SINGLE_CONTEXT && typeLo !== INVEPT_TYPE.ALL_CONTEXT)) return false;
  const bit = typeLo === INVEPT_TYPE.SINGLE_CONTEXT ? EPT_VPID_CAP.INVEPT_SINGLE_CONTEXT : EPT_VPID_CAP.INVEPT_ALL_CONTEXT;
  return (cpu.caps.eptVpidCap & bit) !== 0n;
}

/** INVVPID type t (0–3) is supported iff IA32_VMX_EPT_VPID_CAP bit 40 + t is 1. */
function invvpidTypeSupported(cpu: LogicalProcessor, typeLo: number, typeHi: number): boolean {
  if (typeHi !== 0 || typeLo >>> 0 > INVVPID_TYPE.SINGLE_CONTEXT_RETAINING_GLOBALS) return false;
  return ((cpu.caps.eptVpidCap >> BigInt(40 + typeLo)) & 1n) === 1n;
}

/** Outside IA-32e mode the type register is 32 bits wide (its upper half does not exist). */
function typeHigh(cpu: LogicalProcessor, typeHi: number): number {
  return cpu.in64BitMode() ? typeHi : 0;
}

/** #UD first: INVEPT does not exist without EPT or without IA32_VMX_EPT_VPID_CAP[20] (SDM 31.3 "INVEPT", exceptions). */
export function invept(
  cpu: LogicalProcessor, typeLo: number, typeHi: number, descLo: number, descHi: number,
): InstrResult {
  if (!cpu.caps.hasInvept) return raiseUD(cpu);
  if (vmxInstructionUD(cpu)) return raiseUD(cpu);
  if (cpu.regs.cpl > 0) return raiseGP0(cpu);
  if (!inveptTypeSupported(cpu, typeLo, typeHigh(cpu, typeHi))) return vmFail(cpu, VMERR.INVALID_OPERAND_INVEPT_INVVPID);
  if (typeLo === INVEPT_TYPE.SINGLE_CONTEXT) {
    if (eptpProblem(cpu.caps, descLo, descHi) !== '') return vmFail(cpu, VMERR.INVALID_OPERAND_INVEPT_INVVPID);
  }
  // 29.4.3.1: single-context invalidates the guest-physical and combined mappings of the descriptor's EP4TA (EPTP
  // bits 51:12), for all VPIDs and PCIDs; all-context those of every EP4TA. Linear mappings stay (29.4.3.2).
  if (typeLo === INVEPT_TYPE.SINGLE_CONTEXT) cpu.translations.invalidateEp4ta((descHi & 0xfffff) * 1048576 + (descLo >>> 12));
  else cpu.translations.invalidateAllEp4tas();
  return vmSucceed(cpu);
}

/**
 * INVVPID with descriptor bits 63:0 = (vpidWordLo, vpidWordHi) and bits 127:64 = the linear address (laLo, laHi).
 */
export function invvpid(
  cpu: LogicalProcessor, typeLo: number, typeHi: number,
  d0Lo: number, d0Hi: number, laLo: number, laHi: number,
): InstrResult {
  if (!cpu.caps.hasInvvpid) return raiseUD(cpu);
  if (vmxInstructionUD(cpu)) return raiseUD(cpu);
  if (cpu.regs.cpl > 0) return raiseGP0(cpu);
  if (!invvpidTypeSupported(cpu, typeLo, typeHigh(cpu, typeHi))) return vmFail(cpu, VMERR.INVALID_OPERAND_INVEPT_INVVPID);
  // INVVPID_DESC[63:16] are reserved and must be 0.
  if ((d0Lo >>> 16) !== 0 || d0Hi !== 0) return vmFail(cpu, VMERR.INVALID_OPERAND_INVEPT_INVVPID);
  const vpid = d0Lo & 0xffff;
  // 29.4.3.1: linear and combined mappings (for all PCIDs and, for combined mappings, all EP4TAs); guest-physical
  // mappings stay (29.4.3.2).
  switch (typeLo) {
    case INVVPID_TYPE.INDIVIDUAL_ADDRESS:
      // Those of the VPID that would translate the linear address.
      if (vpid === 0 || !canonical48(laLo, laHi)) return vmFail(cpu, VMERR.INVALID_OPERAND_INVEPT_INVVPID);
      cpu.translations.invalidateAddress(vpid, (laHi | 0) * 4294967296 + (laLo >>> 0));
      break;
    case INVVPID_TYPE.SINGLE_CONTEXT:
      // All of the VPID.
      if (vpid === 0) return vmFail(cpu, VMERR.INVALID_OPERAND_INVEPT_INVVPID);
      cpu.translations.invalidateVpid(vpid, false);
      break;
    case INVVPID_TYPE.ALL_CONTEXT:
      // All of every VPID except 0000H.
      cpu.translations.invalidateAllVpidsExceptZero();
      break;
    default:
      // Single-context-retaining-globals: all of the VPID except global translations.
      if (vpid === 0) return vmFail(cpu, VMERR.INVALID_OPERAND_INVEPT_INVVPID);
      cpu.translations.invalidateVpid(vpid, true);
  }
  return vmSucceed(cpu);
}
