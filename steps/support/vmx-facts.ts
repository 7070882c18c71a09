/**
 * Facts a scenario derives from what the implementation reports about itself (its VMX capability MSRs and
 * MAXPHYADDR, SDM Vol. 3C Appendix A "VMX Capability Reporting Facility"), so that the same feature file
 * states one rule on every processor: "a bit that the capability MSR requires to be 1", "the lowest address
 * bit beyond the physical-address width", "a CR0 bit fixed to 1 in VMX operation".
 *
 * Nothing here reads the reference emulator: every value comes through the contract.
 */
import { CONTROLS, CONTROL_FIELDS, type ControlBit, type ControlField } from '../../src/arch/controls';
import { msrName, MSR, VMX_BASIC } from '../../src/arch/msrs';
import { CR0, CR4, RFLAGS } from '../../src/arch/x86';
import { IA32_EFER } from '../../src/arch/msrs';
import { hexOf } from './format';
import type { VmxWorld } from './world';

/** A register bit named as the SDM writes it: "CR0.NE", "CR4.VMXE", "RFLAGS.IF", "IA32_EFER.LMA". */
export interface RegisterBit {
  register: 'CR0' | 'CR4' | 'RFLAGS' | 'IA32_EFER';
  name: string;
  bit: number;
  mask: bigint;
}

const REGISTER_TABLES: Record<RegisterBit['register'], Record<string, number>> = {
  CR0, CR4, RFLAGS, IA32_EFER,
};

export function registerBit(token: string): RegisterBit {
  const m = /^(CR0|CR4|RFLAGS|IA32_EFER|EFER)\.([A-Z0-9_]+)$/i.exec(token.trim());
  if (!m) throw new Error(`"${token}" is not a register bit; write it as the SDM does: CR0.NE, CR4.VMXE, RFLAGS.IF, IA32_EFER.LMA`);
  const register = (m[1].toUpperCase() === 'EFER' ? 'IA32_EFER' : m[1].toUpperCase()) as RegisterBit['register'];
  const table = REGISTER_TABLES[register];
  const name = m[2].toUpperCase();
  const mask = table[name];
  if (mask === undefined || (register === 'RFLAGS' && /MASK|SHIFT|FIXED/.test(name))) {
    throw new Error(`${register} has no bit "${name}"; known: ${Object.keys(table).filter((k) => !/MASK|SHIFT/.test(k)).join(', ')}`);
  }
  const value = BigInt(mask >>> 0);
  return { register, name, bit: value.toString(2).length - 1, mask: value };
}

/** The capability MSR that reports the VMX-fixed bits of CR0 or CR4 (SDM A.7, A.8). */
export function fixedBitMsrs(register: 'CR0' | 'CR4'): { fixed0: string; fixed1: string } {
  return register === 'CR0'
    ? { fixed0: 'IA32_VMX_CR0_FIXED0', fixed1: 'IA32_VMX_CR0_FIXED1' }
    : { fixed0: 'IA32_VMX_CR4_FIXED0', fixed1: 'IA32_VMX_CR4_FIXED1' };
}

/**
 * SDM A.7/A.8: a bit set in IA32_VMX_CRx_FIXED0 is fixed to 1 in VMX operation. Throws, naming the MSR and
 * its value, when the processor does not fix the bit: the scenario's premise does not hold there.
 */
export function requireFixedToOne(world: VmxWorld, bit: RegisterBit): void {
  if (bit.register !== 'CR0' && bit.register !== 'CR4') throw new Error(`only CR0 and CR4 have VMX-fixed bits, not ${bit.register}`);
  const { fixed0 } = fixedBitMsrs(bit.register);
  const v = world.caps.msrs[fixed0];
  if (v === undefined) throw new Error(`the implementation reports no ${fixed0} (SDM A.7/A.8)`);
  if ((v & bit.mask) === 0n) {
    throw new Error(`${fixed0} = ${hexOf(v)} does not fix ${bit.register}.${bit.name} to 1 on this processor, so the scenario's premise does not hold`);
  }
}

/** MAXPHYADDR as the implementation reports it (CPUID.80000008H:EAX[7:0]). */
export function physicalAddressWidth(world: VmxWorld): number {
  return world.caps.physicalAddressWidth;
}

/**
 * The width VMX applies to the VMXON region, VMCS regions and related structures: MAXPHYADDR, or 32 when
 * IA32_VMX_BASIC[48] is 1 (SDM A.1 "Basic VMX Information").
 */
export function vmxAddressWidth(world: VmxWorld): number {
  const basic = world.caps.msrs.IA32_VMX_BASIC;
  const width = physicalAddressWidth(world);
  return basic !== undefined && VMX_BASIC.physAddrWidth32(basic) ? Math.min(32, width) : width;
}

/** The lowest address bit beyond the physical-address width. */
export function bitBeyondPhysicalWidth(world: VmxWorld): bigint {
  return 1n << BigInt(physicalAddressWidth(world));
}

/** The lowest address bit beyond the width VMX allows for its regions. */
export function bitBeyondVmxWidth(world: VmxWorld): bigint {
  return 1n << BigInt(vmxAddressWidth(world));
}

/** Control fields a scenario may name, with the spellings the SDM uses for them. */
const FIELD_NAMES: Record<string, ControlField> = {
  'pin-based': 'pin-based',
  'pin-based vm-execution': 'pin-based',
  'primary processor-based': 'primary processor-based',
  'primary processor-based vm-execution': 'primary processor-based',
  'secondary processor-based': 'secondary processor-based',
  'secondary processor-based vm-execution': 'secondary processor-based',
  'vm-exit': 'VM-exit',
  'primary vm-exit': 'VM-exit',
  'vm-entry': 'VM-entry',
};

export function controlFieldNamed(token: string): ControlField {
  const f = FIELD_NAMES[token.trim().toLowerCase()];
  if (!f) {
    throw new Error(`unknown control field "${token}"; use one of: "pin-based", "primary processor-based", "secondary processor-based", "VM-exit", "VM-entry"`);
  }
  return f;
}

/**
 * The allowed settings of a 32-bit control field as VM entry checks them: from the TRUE capability MSR when
 * IA32_VMX_BASIC[55] is 1, else from the plain one (SDM A.2 "Reserved Controls and Default Settings",
 * A.3–A.5). allowed0 = bits that must be 1; allowed1 = bits that may be 1.
 */
export function allowedSettings(world: VmxWorld, field: ControlField): { msr: string; allowed0: number; allowed1: number } {
  const info = CONTROL_FIELDS[field];
  if (info.bits !== 32) throw new Error(`the ${field} controls are not a 32-bit field with allowed-0/allowed-1 settings`);
  const basic = world.caps.msrs.IA32_VMX_BASIC;
  const useTrue = info.trueCapabilityMsr !== undefined && basic !== undefined && VMX_BASIC.trueControls(basic);
  const address = useTrue ? info.trueCapabilityMsr! : info.capabilityMsr;
  const msr = msrName(address) ?? hexOf(address);
  const v = world.caps.msrs[msr];
  if (v === undefined) throw new Error(`the implementation reports no ${msr}, which the ${field} controls need`);
  return { msr, allowed0: Number(v & 0xffffffffn), allowed1: Number(v >> 32n) };
}

function namedControlAt(field: ControlField, bit: number): ControlBit | undefined {
  return CONTROLS.find((c) => c.field === field && c.bit === bit);
}

/** The lowest bit the capability MSR reports must be 1 (its allowed-0 setting is 1). */
export function bitThatMustBeOne(world: VmxWorld, field: ControlField): { bit: number; msr: string; describe: string } {
  const { msr, allowed0 } = allowedSettings(world, field);
  for (let bit = 0; bit < 32; bit++) {
    if (((allowed0 >>> bit) & 1) === 1) {
      const c = namedControlAt(field, bit);
      return { bit, msr, describe: `bit ${bit}${c ? ` ("${c.name}")` : ' (reserved, default1)'}` };
    }
  }
  throw new Error(`${msr} requires no bit of the ${field} controls to be 1, so no such bit can be cleared`);
}

/**
 * A bit the capability MSR reports must be 0 (its allowed-1 setting is 0): preferably a reserved bit, else a
 * control the processor does not support.
 */
export function bitThatMustBeZero(world: VmxWorld, field: ControlField): { bit: number; msr: string; describe: string } {
  const { msr, allowed1 } = allowedSettings(world, field);
  let named: number | undefined;
  for (let bit = 0; bit < 32; bit++) {
    if (((allowed1 >>> bit) & 1) === 1) continue;
    if (!namedControlAt(field, bit)) return { bit, msr, describe: `bit ${bit} (reserved)` };
    named ??= bit;
  }
  if (named === undefined) throw new Error(`${msr} allows every bit of the ${field} controls to be 1`);
  return { bit: named, msr, describe: `bit ${named} ("${namedControlAt(field, named)!.name}", not supported)` };
}

/** The number of CR3-target values the processor supports (IA32_VMX_MISC bits 24:16, SDM A.6). */
export function cr3TargetValues(world: VmxWorld): number {
  const misc = world.caps.msrs.IA32_VMX_MISC;
  if (misc === undefined) throw new Error('the implementation reports no IA32_VMX_MISC');
  return Number((misc >> 16n) & 0x1ffn);
}

/** IA32_VMX_MISC[29]: VMWRITE may write any supported field, including VM-exit information fields (SDM A.6). */
export function vmwriteAnyField(world: VmxWorld): boolean {
  const misc = world.caps.msrs.IA32_VMX_MISC;
  return misc !== undefined && ((misc >> 29n) & 1n) === 1n;
}

/** An MSR named in a feature: an SDM name ("IA32_KERNEL_GS_BASE") or a 0x-hex index ("0x808"). */
export function msrIndex(token: string): number {
  const t = token.trim();
  if (/^0x[0-9a-f_]+$/i.test(t)) return Number(BigInt(t.replace(/_/g, '')));
  const key = t.toUpperCase() as keyof typeof MSR;
  const address = MSR[key] ?? MSR[`IA32_${key}` as keyof typeof MSR];
  if (address === undefined) throw new Error(`unknown MSR "${token}"; write its SDM name (IA32_PAT) or its index in hex (0x277)`);
  return address;
}
