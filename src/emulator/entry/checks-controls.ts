/**
 * SDM Vol. 3C 27.2.1 "Checks on VMX Controls": a failure makes VM entry fail with VMfailValid(7)
 * "VM entry with invalid control field(s)".
 */
import * as ns_arch from '../../arch';
import * as ns_vmcs_layout from '../vmcs/layout';
import * as ns_util_bits from '../util/bits';
import * as ns_ept_eptp from '../ept/eptp';
import type { EntryContext } from './context';
import * as ns_rule from './rule';
import { type EntryRule } from './rule';
import type { AllowedSettings } from '../capabilities';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { ENTRY_CTL, EXIT_CTL, INTR_INFO, INTR_TYPE, PIN, PROC, PROC2, exceptionHasErrorCode } = ns_arch;
const { V } = ns_vmcs_layout;
const { alignedWithin, beyondWidth } = ns_util_bits;
const { eptpProblem } = ns_ept_eptp;
const { rule } = ns_rule;

const S_EXEC = '27.2.1.1 "VM-Execution Control Fields"';
const S_EXIT = '27.2.1.2 "VM-Exit Control Fields"';
const S_ENTRY = '27.2.1.3 "VM-Entry Control Fields"';

/** Reserved bits: every must-be-1 bit set, no bit set that may not be 1 (SDM Appendix A.2–A.5). */
function allowed(value: number, s: AllowedSettings): boolean {
  return ((value & s.must1) >>> 0) === s.must1 && (value & ~s.may1) === 0;
}

/** A 4-KiB-aligned physical address within the VMX physical-address width. */
function page(x: EntryContext, d: number): boolean {
  return alignedWithin(x.lo(d), x.hi(d), 4096, x.caps.vmxAddressWidth);
}

/**
 * MSR-area checks (27.2.1.2, 27.2.1.3) when the count is non-zero: bits 3:0 of the address are 0, the address
 * and the address of the last byte (address + 16·count − 1) set no bit beyond the physical-address width.
 */
function msrArea(x: EntryContext, addr: number, count: number): boolean {
  const n = x.lo(count);
  if (n === 0) return true;
  const lo = x.lo(addr);
  const hi = x.hi(addr);
  if ((lo & 0xf) !== 0 || beyondWidth(lo, hi, x.caps.vmxAddressWidth)) return false;
  const last = hi * 4294967296 + lo + 16 * n - 1;
  return last < 2 ** x.caps.vmxAddressWidth;
}

export const CONTROL_RULES: readonly EntryRule[] = [
  // --- 27.2.1.1 VM-execution control fields ---
  rule('controls.pin-based.allowed-settings', S_EXEC, (x) => allowed(x.pin, x.caps.pin)),
  rule('controls.primary-processor-based.allowed-settings', S_EXEC, (x) => allowed(x.proc, x.caps.proc)),
  rule('controls.secondary-processor-based.allowed-settings', S_EXEC,
    (x) => !x.procSet(PROC.ACTIVATE_SECONDARY_CONTROLS) || allowed(x.proc2Field, x.caps.proc2)),
  rule('controls.cr3-target-count', S_EXEC, (x) => x.lo(V.CR3_TARGET_COUNT) <= x.caps.cr3TargetCount),
  rule('controls.io-bitmap-addresses', S_EXEC,
    (x) => !x.procSet(PROC.USE_IO_BITMAPS) || (page(x, V.IO_BITMAP_A) && page(x, V.IO_BITMAP_B))),
  rule('controls.msr-bitmap-address', S_EXEC, (x) => !x.procSet(PROC.USE_MSR_BITMAPS) || page(x, V.MSR_BITMAP)),
  rule('controls.virtual-apic-address', S_EXEC, (x) => !x.procSet(PROC.USE_TPR_SHADOW) || page(x, V.VIRTUAL_APIC_PAGE_ADDR)),
  rule('controls.tpr-threshold.reserved-bits', S_EXEC,
    (x) => !x.procSet(PROC.USE_TPR_SHADOW) || x.proc2Set(PROC2.VIRTUAL_INTERRUPT_DELIVERY) || x.lo(V.TPR_THRESHOLD) >>> 4 === 0),
  rule('controls.tpr-shadow-required', S_EXEC, (x) => x.procSet(PROC.USE_TPR_SHADOW) ||
    (x.proc2 & (PROC2.VIRTUALIZE_X2APIC_MODE | PROC2.APIC_REGISTER_VIRTUALIZATION | PROC2.VIRTUAL_INTERRUPT_DELIVERY)) === 0),
  rule('controls.virtual-nmis-need-nmi-exiting', S_EXEC, (x) => x.pinSet(PIN.NMI_EXITING) || !x.pinSet(PIN.VIRTUAL_NMIS)),
  rule('controls.nmi-window-needs-virtual-nmis', S_EXEC, (x) => x.pinSet(PIN.VIRTUAL_NMIS) || !x.procSet(PROC.NMI_WINDOW_EXITING)),
  rule('controls.apic-access-address', S_EXEC, (x) => !x.proc2Set(PROC2.VIRTUALIZE_APIC_ACCESSES) || page(x, V.APIC_ACCESS_ADDR)),
  rule('controls.x2apic-excludes-apic-accesses', S_EXEC,
    (x) => !x.proc2Set(PROC2.VIRTUALIZE_X2APIC_MODE) || !x.proc2Set(PROC2.VIRTUALIZE_APIC_ACCESSES)),
  rule('controls.virtual-interrupt-delivery-needs-external-interrupt-exiting', S_EXEC,
    (x) => !x.proc2Set(PROC2.VIRTUAL_INTERRUPT_DELIVERY) || x.pinSet(PIN.EXTERNAL_INTERRUPT_EXITING)),
  rule('controls.posted-interrupts', S_EXEC, (x) => !x.pinSet(PIN.PROCESS_POSTED_INTERRUPTS) || (
    x.proc2Set(PROC2.VIRTUAL_INTERRUPT_DELIVERY) && x.exitSet(EXIT_CTL.ACKNOWLEDGE_INTERRUPT_ON_EXIT) &&
    (x.lo(V.POSTED_INTR_NOTIFICATION_VECTOR) & 0xff00) === 0 &&
    alignedWithin(x.lo(V.POSTED_INTR_DESC_ADDR), x.hi(V.POSTED_INTR_DESC_ADDR), 64, x.caps.vmxAddressWidth))),
  rule('controls.vpid-nonzero', S_EXEC, (x) => !x.proc2Set(PROC2.ENABLE_VPID) || (x.lo(V.VIRTUAL_PROCESSOR_ID) & 0xffff) !== 0),
  rule('controls.eptp', S_EXEC,
    (x) => !x.proc2Set(PROC2.ENABLE_EPT) || eptpProblem(x.caps, x.lo(V.EPT_POINTER), x.hi(V.EPT_POINTER)) === ''),
  rule('controls.pml-needs-ept', S_EXEC, (x) => !x.proc2Set(PROC2.ENABLE_PML) || (x.proc2Set(PROC2.ENABLE_EPT) && page(x, V.PML_ADDRESS))),
  rule('controls.unrestricted-guest-needs-ept', S_EXEC, (x) => !x.unrestricted || x.proc2Set(PROC2.ENABLE_EPT)),
  rule('controls.mode-based-execute-needs-ept', S_EXEC,
    (x) => !x.proc2Set(PROC2.MODE_BASED_EXECUTE_CONTROL_FOR_EPT) || x.proc2Set(PROC2.ENABLE_EPT)),
  rule('controls.vmcs-shadowing-bitmaps', S_EXEC,
    (x) => !x.proc2Set(PROC2.VMCS_SHADOWING) || (page(x, V.VMREAD_BITMAP) && page(x, V.VMWRITE_BITMAP))),
  rule('controls.ept-violation-ve-address', S_EXEC,
    (x) => !x.proc2Set(PROC2.EPT_VIOLATION_VE) || page(x, V.VE_INFORMATION_ADDRESS)),

  // --- 27.2.1.2 VM-exit control fields ---
  rule('controls.vm-exit.allowed-settings', S_EXIT, (x) => allowed(x.exit, x.caps.exit)),
  rule('controls.vm-exit.save-preemption-timer-needs-timer', S_EXIT,
    (x) => x.pinSet(PIN.ACTIVATE_VMX_PREEMPTION_TIMER) || !x.exitSet(EXIT_CTL.SAVE_VMX_PREEMPTION_TIMER_VALUE)),
  rule('controls.vm-exit.msr-store-area', S_EXIT, (x) => msrArea(x, V.VM_EXIT_MSR_STORE_ADDR, V.VM_EXIT_MSR_STORE_COUNT)),
  rule('controls.vm-exit.msr-load-area', S_EXIT, (x) => msrArea(x, V.VM_EXIT_MSR_LOAD_ADDR, V.VM_EXIT_MSR_LOAD_COUNT)),

  // --- 27.2.1.3 VM-entry control fields ---
  rule('controls.vm-entry.allowed-settings', S_ENTRY, (x) => allowed(x.entry, x.caps.entry)),
  rule('controls.vm-entry.event-injection.type', S_ENTRY, (x) => !x.injecting ||
    (x.injType !== 1 && (x.injType !== INTR_TYPE.OTHER_EVENT || (x.caps.proc.may1 & PROC.MONITOR_TRAP_FLAG) !== 0))),
  rule('controls.vm-entry.event-injection.vector', S_ENTRY, (x) => !x.injecting ||
    (x.injType === INTR_TYPE.NMI ? x.injVector === 2 :
      x.injType === INTR_TYPE.HARDWARE_EXCEPTION ? x.injVector <= 31 :
        x.injType === INTR_TYPE.OTHER_EVENT ? x.injVector === 0 : true)),
  rule('controls.vm-entry.event-injection.deliver-error-code', S_ENTRY, (x) => {
    if (!x.injecting) return true;
    const deliver = (x.intrInfo & INTR_INFO.ERROR_CODE_VALID) !== 0;
    const hw = x.injType === INTR_TYPE.HARDWARE_EXCEPTION;
    // Bit 0 of the guest CR0 field (PE); with "unrestricted guest" it may be 0.
    const pe = (x.lo(V.GUEST_CR0) & 1) !== 0;
    if (!hw || !pe) return !deliver;
    if (x.caps.noErrorCodeRequirement) return true;
    return deliver === exceptionHasErrorCode(x.injVector);
  }),
  rule('controls.vm-entry.event-injection.reserved-bits', S_ENTRY,
    (x) => !x.injecting || (x.intrInfo & INTR_INFO.ENTRY_RESERVED_MASK) === 0),
  rule('controls.vm-entry.event-injection.error-code', S_ENTRY, (x) => !x.injecting ||
    (x.intrInfo & INTR_INFO.ERROR_CODE_VALID) === 0 || x.lo(V.VM_ENTRY_EXCEPTION_ERROR_CODE) >>> 16 === 0),
  rule('controls.vm-entry.event-injection.instruction-length', S_ENTRY, (x) => {
    if (!x.injecting) return true;
    const t = x.injType;
    if (t !== INTR_TYPE.SOFTWARE_INTERRUPT && t !== INTR_TYPE.PRIVILEGED_SOFTWARE_EXCEPTION && t !== INTR_TYPE.SOFTWARE_EXCEPTION) return true;
    const len = x.lo(V.VM_ENTRY_INSTRUCTION_LEN);
    return len <= 15 && (len !== 0 || x.caps.zeroLengthInjection);
  }),
  rule('controls.vm-entry.msr-load-area', S_ENTRY, (x) => msrArea(x, V.VM_ENTRY_MSR_LOAD_ADDR, V.VM_ENTRY_MSR_LOAD_COUNT)),
  // This processor is never in SMM, so both SMM-related controls must be 0.
  rule('controls.vm-entry.entry-to-smm-outside-smm', S_ENTRY, (x) => !x.entrySet(ENTRY_CTL.ENTRY_TO_SMM)),
  rule('controls.vm-entry.deactivate-dual-monitor-outside-smm', S_ENTRY,
    (x) => !x.entrySet(ENTRY_CTL.DEACTIVATE_DUAL_MONITOR_TREATMENT)),
];

/**
 * Control checks that read memory, not only VMCS fields (the VTPR byte of the virtual-APIC page), so they run
 * at every VM entry even when the cached result of CONTROL_RULES still holds.
 */
export const CONTROL_RULES_READING_MEMORY: readonly EntryRule[] = [
  // TPR threshold bits 3:0 must not exceed VTPR bits 7:4 (VTPR: byte 80H of the virtual-APIC page).
  rule('controls.tpr-threshold.vtpr', S_EXEC, (x) => {
    if (!x.procSet(PROC.USE_TPR_SHADOW) || x.proc2Set(PROC2.VIRTUALIZE_APIC_ACCESSES) || x.proc2Set(PROC2.VIRTUAL_INTERRUPT_DELIVERY)) return true;
    const vtpr = x.mem8(x.unsigned(V.VIRTUAL_APIC_PAGE_ADDR) + 0x80);
    return (x.lo(V.TPR_THRESHOLD) & 0xf) <= vtpr >>> 4;
  }),
];
