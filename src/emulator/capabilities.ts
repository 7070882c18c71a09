/**
 * What a profile's capability MSRs mean, computed once per profile: the allowed-0/allowed-1 settings VM
 * entry enforces (SDM Vol. 3C Appendix A.2 "Reserved Controls and Default Settings"), the CR0/CR4 fixed
 * bits (A.7, A.8), which VMCS fields exist (Appendix B), IA32_VMX_VMCS_ENUM (A.9), and plain feature flags
 * for the hot paths.
 */
import { ALLOWED_SETTINGS, CONTROL_FIELDS, EPT_VPID_CAP, MSR, PROC, PROC2, VMCS_FIELDS, VMCS_ENUM, VMX_BASIC, VMX_MISC, lookupControl, type ControlField, type VmcsFieldId } from '../arch';
import { FIELD_FEATURES, type FieldFeature } from '../arch/vmcs-field-features';
import type { Profile } from './profiles';
import { FIELD_COUNT, denseOfEncoding } from './vmcs/layout';

export interface AllowedSettings {
  /** Bits that must be 1. */
  must1: number;
  /** Bits that may be 1. */
  may1: number;
}

export class MachineCapabilities {
  readonly profile: Profile;
  /** Every VMX capability MSR the part has, including IA32_VMX_VMCS_ENUM, by address. */
  readonly msrs: Map<number, bigint>;
  readonly revisionId: number;
  readonly trueControls: boolean;
  readonly physicalAddressWidth: number;
  /** 2^MAXPHYADDR as a number (exact: MAXPHYADDR ≤ 52). */
  readonly physicalAddressLimit: number;
  /**
   * Width of the addresses of the VMXON region, VMCSs and the structures a VMCS points to: 32 if
   * IA32_VMX_BASIC[48] = 1, else MAXPHYADDR (SDM Appendix A.1).
   */
  readonly vmxAddressWidth: number;
  /** Settings VM entry checks (SDM 27.2.1.1): the TRUE MSRs if IA32_VMX_BASIC[55] = 1, else the plain ones. */
  readonly pin: AllowedSettings;
  readonly proc: AllowedSettings;
  readonly proc2: AllowedSettings;
  readonly exit: AllowedSettings;
  readonly entry: AllowedSettings;
  readonly cr0Fixed0: number;
  readonly cr0Fixed1: number;
  readonly cr4Fixed0: number;
  readonly cr4Fixed1: number;
  readonly misc: bigint;
  readonly eptVpidCap: bigint;
  readonly preemptionTimerRate: number;
  readonly cr3TargetCount: number;
  readonly vmwriteAnyField: boolean;
  readonly zeroLengthInjection: boolean;
  readonly noErrorCodeRequirement: boolean;
  readonly storeEferLma: boolean;
  /** Bit n set: activity state n is supported (0 always). */
  readonly activityStates: number;
  readonly hasSecondary: boolean;
  readonly hasEpt: boolean;
  readonly hasVpid: boolean;
  readonly hasShadowing: boolean;
  readonly hasUnrestrictedGuest: boolean;
  readonly hasInvept: boolean;
  readonly hasInvvpid: boolean;
  /**
   * VMREAD/VMWRITE lookup: index by encoding (bits 14:0, when bits 31:15 are 0); -1 for a component this part
   * does not support, else the dense field index, plus HIGH_ACCESS for the high half of a 64-bit field.
   */
  readonly encodingTable: Int32Array;
  /** Per dense field index: 1 if the field exists on this part. */
  readonly supported: Uint8Array;

  constructor(profile: Profile) {
    this.profile = profile;
    this.msrs = new Map(profile.vmxMsrs);
    const basic = this.msr(MSR.IA32_VMX_BASIC)!;
    this.revisionId = VMX_BASIC.revisionId(basic);
    this.trueControls = VMX_BASIC.trueControls(basic);
    this.noErrorCodeRequirement = VMX_BASIC.noErrorCodeRequirement(basic);
    this.physicalAddressWidth = profile.physicalAddressWidth;
    this.physicalAddressLimit = 2 ** profile.physicalAddressWidth;
    this.vmxAddressWidth = VMX_BASIC.physAddrWidth32(basic) ? 32 : profile.physicalAddressWidth;
    const pick = (plain: number, tru: number | undefined): AllowedSettings => {
      const v = (this.trueControls && tru !== undefined ? this.msr(tru) : undefined) ?? this.msr(plain) ?? 0n;
      return { must1: ALLOWED_SETTINGS.allowed0(v) >>> 0, may1: ALLOWED_SETTINGS.allowed1(v) >>> 0 };
    };
    this.pin = pick(MSR.IA32_VMX_PINBASED_CTLS, MSR.IA32_VMX_TRUE_PINBASED_CTLS);
    this.proc = pick(MSR.IA32_VMX_PROCBASED_CTLS, MSR.IA32_VMX_TRUE_PROCBASED_CTLS);
    this.exit = pick(MSR.IA32_VMX_EXIT_CTLS, MSR.IA32_VMX_TRUE_EXIT_CTLS);
    this.entry = pick(MSR.IA32_VMX_ENTRY_CTLS, MSR.IA32_VMX_TRUE_ENTRY_CTLS);
    this.hasSecondary = (this.proc.may1 & PROC.ACTIVATE_SECONDARY_CONTROLS) !== 0;
    this.proc2 = this.hasSecondary ? pick(MSR.IA32_VMX_PROCBASED_CTLS2, undefined) : { must1: 0, may1: 0 };
    if (!this.hasSecondary) this.msrs.delete(MSR.IA32_VMX_PROCBASED_CTLS2);
    this.cr0Fixed0 = Number(this.msr(MSR.IA32_VMX_CR0_FIXED0)! & 0xffffffffn) >>> 0;
    this.cr0Fixed1 = Number(this.msr(MSR.IA32_VMX_CR0_FIXED1)! & 0xffffffffn) >>> 0;
    this.cr4Fixed0 = Number(this.msr(MSR.IA32_VMX_CR4_FIXED0)! & 0xffffffffn) >>> 0;
    this.cr4Fixed1 = Number(this.msr(MSR.IA32_VMX_CR4_FIXED1)! & 0xffffffffn) >>> 0;
    this.misc = this.msr(MSR.IA32_VMX_MISC)!;
    this.preemptionTimerRate = VMX_MISC.preemptionTimerRate(this.misc);
    this.cr3TargetCount = VMX_MISC.cr3TargetCount(this.misc);
    this.vmwriteAnyField = VMX_MISC.vmwriteAnyField(this.misc);
    this.zeroLengthInjection = VMX_MISC.zeroLengthInjection(this.misc);
    this.storeEferLma = VMX_MISC.storeEferLma(this.misc);
    this.activityStates =
      1 | (VMX_MISC.activityHlt(this.misc) ? 2 : 0) | (VMX_MISC.activityShutdown(this.misc) ? 4 : 0) |
      (VMX_MISC.activityWaitForSipi(this.misc) ? 8 : 0);
    this.eptVpidCap = this.msr(MSR.IA32_VMX_EPT_VPID_CAP) ?? 0n;
    const p2 = this.proc2.may1;
    this.hasEpt = (p2 & PROC2.ENABLE_EPT) !== 0;
    this.hasVpid = (p2 & PROC2.ENABLE_VPID) !== 0;
    this.hasUnrestrictedGuest = (p2 & PROC2.UNRESTRICTED_GUEST) !== 0;
    this.hasShadowing = (p2 & PROC2.VMCS_SHADOWING) !== 0;
    this.hasInvept = this.hasEpt && (this.eptVpidCap & EPT_VPID_CAP.INVEPT) !== 0n;
    this.hasInvvpid = this.hasVpid && (this.eptVpidCap & EPT_VPID_CAP.INVVPID) !== 0n;
    // SDM A.10: IA32_VMX_EPT_VPID_CAP exists only if EPT or VPID may be enabled.
    if (!this.hasEpt && !this.hasVpid) this.msrs.delete(MSR.IA32_VMX_EPT_VPID_CAP);
    // SDM A.3.2: the TRUE MSRs exist only if IA32_VMX_BASIC[55] = 1.
    if (!this.trueControls) {
      for (const a of [MSR.IA32_VMX_TRUE_PINBASED_CTLS, MSR.IA32_VMX_TRUE_PROCBASED_CTLS, MSR.IA32_VMX_TRUE_EXIT_CTLS, MSR.IA32_VMX_TRUE_ENTRY_CTLS]) {
        this.msrs.delete(a);
      }
    }

    this.supported = new Uint8Array(FIELD_COUNT);
    this.encodingTable = new Int32Array(0x8000).fill(-1);
    let highestIndex = 0;
    for (const f of VMCS_FIELDS) {
      const dense = denseOfEncoding(f.encoding);
      const id = (f.access === 'high' ? f.id.slice(0, -'_HIGH'.length) : f.id) as VmcsFieldId;
      if (!this.featureSupported(FIELD_FEATURES[id])) continue;
      this.supported[dense] = 1;
      this.encodingTable[f.encoding] = f.access === 'high' ? dense | HIGH_ACCESS : dense;
      highestIndex = Math.max(highestIndex, (f.encoding >>> 1) & 0x1ff);
    }
    this.msrs.set(MSR.IA32_VMX_VMCS_ENUM, VMCS_ENUM.encode(highestIndex));
  }

  msr(address: number): bigint | undefined {
    return this.msrs.get(address);
  }

  /** May the control be 1 (allowed-1 of the MSR VM entry checks against)? */
  controlAllowed(field: ControlField, id: string): boolean {
    const bit = lookupControl(id, field).bit;
    switch (field) {
      case 'pin-based': return ((this.pin.may1 >>> bit) & 1) === 1;
      case 'primary processor-based': return ((this.proc.may1 >>> bit) & 1) === 1;
      case 'secondary processor-based': return this.hasSecondary && ((this.proc2.may1 >>> bit) & 1) === 1;
      case 'VM-exit': return ((this.exit.may1 >>> bit) & 1) === 1;
      case 'VM-entry': return ((this.entry.may1 >>> bit) & 1) === 1;
      case 'tertiary processor-based': {
        const v = this.msr(CONTROL_FIELDS['tertiary processor-based'].capabilityMsr);
        return (this.proc.may1 & PROC.ACTIVATE_TERTIARY_CONTROLS) !== 0 && v !== undefined && ((v >> BigInt(bit)) & 1n) === 1n;
      }
    }
  }

  private featureSupported(f: FieldFeature | undefined): boolean {
    if (f === undefined) return true;
    if ('control' in f) return this.controlAllowed(f.control, f.id);
    if ('anyOf' in f) return f.anyOf.some((c) => this.controlAllowed(c.control, c.id));
    if ('basic' in f) {
      const basic = this.msr(MSR.IA32_VMX_BASIC)!;
      return f.basic === 'dualMonitor' ? VMX_BASIC.dualMonitor(basic) : VMX_BASIC.nestedException(basic);
    }
    if ('cr3Target' in f) return f.cr3Target < this.cr3TargetCount;
    return false;
  }
}

/** Flag in MachineCapabilities.encodingTable entries: the encoding selects the high 32 bits of a 64-bit field. */
export const HIGH_ACCESS = 1 << 16;
export const DENSE_MASK = 0xffff;
