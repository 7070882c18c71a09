/**
 * VMREAD/VMWRITE that reach the VMCS without a VM exit: in VMX root operation (the current VMCS), and in VMX
 * non-root operation with VMCS shadowing (the shadow VMCS referenced by the VMCS link pointer; SDM Vol. 3C
 * 25.10 "VMCS Types: Ordinary and Shadow", 31.3 "VMREAD", "VMWRITE"). The #UD/#GP checks and the exit
 * decision happened before (platform.ts / decide.ts).
 *
 * Implementation-specific: a VMfailValid in non-root operation writes the VM-instruction error field of the
 * current (ordinary) VMCS, which is the VMCS the VMfailValid convention names (31.2).
 */
import * as ns_arch from '../../arch';
import type { LogicalProcessor } from '../processor';
import * as ns_vmx_common from '../vmx/common';
import * as ns_vmx_vmread_vmwrite from '../vmx/vmread-vmwrite';
import { Vmcs } from '../vmcs/vmcs';
import * as ns_vmcs_layout from '../vmcs/layout';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { VMERR } = ns_arch;
const { vmFailInvalid, vmFailValid, vmSucceed } = ns_vmx_common;
const { componentOf, componentReadOnly, readComponent, writeComponent } = ns_vmx_vmread_vmwrite;
const { V } = ns_vmcs_layout;

/** The VMCS a VMREAD/VMWRITE here targets, or null for VMfailInvalid. */
function target(cpu: LogicalProcessor): Vmcs | null {
  return cpu.nonRoot ? cpu.shadowVmcs : cpu.current;
}

function halves(v: bigint): [number, number] {
  const u = BigInt.asUintN(64, v);
  return [Number(u & 0xffffffffn), Number(u >> 32n)];
}

export function vmreadNoExit(cpu: LogicalProcessor, encoding: bigint): { ok: boolean; value: bigint; error?: number } {
  const vmcs = target(cpu);
  if (vmcs === null) {
    vmFailInvalid(cpu);
    return { ok: false, value: 0n };
  }
  const [lo, hi] = halves(encoding);
  const is64 = cpu.in64BitMode();
  const entry = componentOf(cpu.caps, lo, hi, is64);
  if (entry < 0) {
    vmFailValid(cpu, VMERR.UNSUPPORTED_VMCS_COMPONENT);
    return { ok: false, value: 0n, error: VMERR.UNSUPPORTED_VMCS_COMPONENT };
  }
  readComponent(cpu, vmcs, entry, is64);
  vmSucceed(cpu);
  return { ok: true, value: (BigInt(cpu.readHi >>> 0) << 32n) | BigInt(cpu.readLo >>> 0) };
}

export function vmwriteNoExit(cpu: LogicalProcessor, encoding: bigint, value: bigint): { ok: boolean; error?: number } {
  const vmcs = target(cpu);
  if (vmcs === null) {
    vmFailInvalid(cpu);
    return { ok: false };
  }
  const [lo, hi] = halves(encoding);
  const is64 = cpu.in64BitMode();
  const entry = componentOf(cpu.caps, lo, hi, is64);
  if (entry < 0) {
    vmFailValid(cpu, VMERR.UNSUPPORTED_VMCS_COMPONENT);
    return { ok: false, error: VMERR.UNSUPPORTED_VMCS_COMPONENT };
  }
  if (componentReadOnly(cpu.caps, entry)) {
    vmFailValid(cpu, VMERR.VMWRITE_READ_ONLY_COMPONENT);
    return { ok: false, error: VMERR.VMWRITE_READ_ONLY_COMPONENT };
  }
  const [vlo, vhi] = halves(value);
  writeComponent(vmcs, entry, is64, vlo, vhi);
  vmSucceed(cpu);
  return { ok: true };
}

/**
 * At VM entry with "VMCS shadowing" = 1: the shadow VMCS named by the VMCS link pointer (null when the pointer
 * is FFFFFFFF_FFFFFFFFH). Its data comes from this processor's cache if it is active here, else from its region.
 */
export function resolveShadowVmcs(cpu: LogicalProcessor, vmcs: Vmcs): Vmcs | null {
  if (vmcs.lo[V.VMCS_LINK_POINTER] === 0xffffffff && vmcs.hi[V.VMCS_LINK_POINTER] === 0xffffffff) return null;
  const addr = vmcs.getUnsigned(V.VMCS_LINK_POINTER);
  let shadow = cpu.active.get(addr);
  if (shadow === undefined) {
    shadow = new Vmcs(addr);
    shadow.loadFrom(cpu.memory);
    shadow.shadow = true;
    cpu.active.set(addr, shadow);
  }
  return shadow;
}
