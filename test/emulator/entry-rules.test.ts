/**
 * Every VM-entry rule (SDM 27.2, 27.3) refuses a VMCS that is valid except for the one thing the rule checks,
 * with the outcome of its group: VMfailValid(7) for controls, VMfailValid(8) for host state, a VM-entry failure
 * (exit reason 33 | 80000000H) for guest state. A final test checks that no rule lacks a case here.
 */
import { describe, it } from 'node:test';
import { expect } from 'chai';
import {
  CR0, CR4, ENTRY_CTL, EXIT_CTL, F, IA32_EFER, PIN, PROC, PROC2, VMERR, type VmcsFieldId,
} from '../../src/arch';
import { CONTROL_RULES, CONTROL_RULES_READING_MEMORY } from '../../src/emulator/entry/checks-controls';
import { HOST_RULES } from '../../src/emulator/entry/checks-host';
import { GUEST_RULES, vmLaunchOrResume } from '../../src/emulator/entry/vm-entry';
import { R_FAIL_VALID, R_VM_EXIT } from '../../src/emulator/vmx/conventions';
import type { Machine } from '../../src/emulator/machine';
import type { LogicalProcessor } from '../../src/emulator/processor';
import { V } from '../../src/emulator/vmcs/layout';
import { permissiveMachine, r, readyMachine, w, writeRevision, VMCS_REGION_2 } from './fixture';

type Ctx = { m: Machine; cpu: LogicalProcessor };
interface Case {
  rule: string;
  profile?: 'permissive' | 'minimal';
  mutate: (c: Ctx) => void;
}

const PAGE = 0x50000;
const orField = (c: Ctx, id: VmcsFieldId, bits: number) => w(c.cpu, id, (Number(r(c.cpu, id)) | bits) >>> 0);
const andField = (c: Ctx, id: VmcsFieldId, bits: number) => w(c.cpu, id, (Number(r(c.cpu, id)) & ~bits) >>> 0);
const secondary = (c: Ctx, bits: number) => {
  orField(c, 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL', PROC.ACTIVATE_SECONDARY_CONTROLS);
  w(c.cpu, 'SECONDARY_VM_EXEC_CONTROL', bits);
};
const tprShadow = (c: Ctx) => {
  orField(c, 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL', PROC.USE_TPR_SHADOW);
  w(c.cpu, 'VIRTUAL_APIC_PAGE_ADDR', PAGE);
};
const inject = (c: Ctx, info: number) => w(c.cpu, 'VM_ENTRY_INTR_INFO_FIELD', (0x80000000 | info) >>> 0);
const NONCANONICAL = 0x0000800000000000n;

const CASES: Case[] = [
  // --- controls (error 7) ---
  { rule: 'controls.pin-based.allowed-settings', mutate: (c) => w(c.cpu, 'PIN_BASED_VM_EXEC_CONTROL', 0) },
  { rule: 'controls.primary-processor-based.allowed-settings', mutate: (c) => w(c.cpu, 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL', 0) },
  { rule: 'controls.secondary-processor-based.allowed-settings', mutate: (c) => secondary(c, PROC2.VIRTUALIZE_APIC_ACCESSES) },
  { rule: 'controls.cr3-target-count', mutate: (c) => w(c.cpu, 'CR3_TARGET_COUNT', 5) },
  { rule: 'controls.io-bitmap-addresses', mutate: (c) => { orField(c, 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL', PROC.USE_IO_BITMAPS); w(c.cpu, 'IO_BITMAP_A', 0x1001); } },
  { rule: 'controls.msr-bitmap-address', mutate: (c) => { orField(c, 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL', PROC.USE_MSR_BITMAPS); w(c.cpu, 'MSR_BITMAP', 1n << 46n); } },
  { rule: 'controls.virtual-apic-address', mutate: (c) => { tprShadow(c); w(c.cpu, 'VIRTUAL_APIC_PAGE_ADDR', 0x123); } },
  { rule: 'controls.tpr-threshold.reserved-bits', mutate: (c) => { tprShadow(c); w(c.cpu, 'TPR_THRESHOLD', 0x10); } },
  { rule: 'controls.tpr-threshold.vtpr', mutate: (c) => { tprShadow(c); c.m.memory.write8(PAGE + 0x80, 0x20); w(c.cpu, 'TPR_THRESHOLD', 3); } },
  { rule: 'controls.tpr-shadow-required', profile: 'permissive', mutate: (c) => secondary(c, PROC2.APIC_REGISTER_VIRTUALIZATION) },
  { rule: 'controls.virtual-nmis-need-nmi-exiting', mutate: (c) => orField(c, 'PIN_BASED_VM_EXEC_CONTROL', PIN.VIRTUAL_NMIS) },
  { rule: 'controls.nmi-window-needs-virtual-nmis', mutate: (c) => orField(c, 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL', PROC.NMI_WINDOW_EXITING) },
  { rule: 'controls.apic-access-address', profile: 'permissive', mutate: (c) => { secondary(c, PROC2.VIRTUALIZE_APIC_ACCESSES); w(c.cpu, 'APIC_ACCESS_ADDR', 0x10); } },
  { rule: 'controls.x2apic-excludes-apic-accesses', profile: 'permissive', mutate: (c) => {
    tprShadow(c); secondary(c, PROC2.VIRTUALIZE_APIC_ACCESSES | PROC2.VIRTUALIZE_X2APIC_MODE); w(c.cpu, 'APIC_ACCESS_ADDR', PAGE + 0x1000);
  } },
  { rule: 'controls.virtual-interrupt-delivery-needs-external-interrupt-exiting', profile: 'permissive', mutate: (c) => { tprShadow(c); secondary(c, PROC2.VIRTUAL_INTERRUPT_DELIVERY); } },
  { rule: 'controls.posted-interrupts', profile: 'permissive', mutate: (c) => orField(c, 'PIN_BASED_VM_EXEC_CONTROL', PIN.PROCESS_POSTED_INTERRUPTS) },
  { rule: 'controls.vpid-nonzero', mutate: (c) => secondary(c, PROC2.ENABLE_VPID) },
  { rule: 'controls.eptp', mutate: (c) => secondary(c, PROC2.ENABLE_EPT) },
  { rule: 'controls.pml-needs-ept', profile: 'permissive', mutate: (c) => secondary(c, PROC2.ENABLE_PML) },
  { rule: 'controls.unrestricted-guest-needs-ept', mutate: (c) => secondary(c, PROC2.UNRESTRICTED_GUEST) },
  { rule: 'controls.mode-based-execute-needs-ept', profile: 'permissive', mutate: (c) => secondary(c, PROC2.MODE_BASED_EXECUTE_CONTROL_FOR_EPT) },
  { rule: 'controls.vmcs-shadowing-bitmaps', mutate: (c) => { secondary(c, PROC2.VMCS_SHADOWING); w(c.cpu, 'VMREAD_BITMAP', 0x1001); } },
  { rule: 'controls.ept-violation-ve-address', profile: 'permissive', mutate: (c) => { secondary(c, PROC2.EPT_VIOLATION_VE); w(c.cpu, 'VE_INFORMATION_ADDRESS', 0x8); } },
  { rule: 'controls.vm-exit.allowed-settings', mutate: (c) => w(c.cpu, 'VM_EXIT_CONTROLS', 0) },
  { rule: 'controls.vm-exit.save-preemption-timer-needs-timer', mutate: (c) => orField(c, 'VM_EXIT_CONTROLS', EXIT_CTL.SAVE_VMX_PREEMPTION_TIMER_VALUE) },
  { rule: 'controls.vm-exit.msr-store-area', mutate: (c) => { w(c.cpu, 'VM_EXIT_MSR_STORE_COUNT', 1); w(c.cpu, 'VM_EXIT_MSR_STORE_ADDR', 0x1008); } },
  { rule: 'controls.vm-exit.msr-load-area', mutate: (c) => { w(c.cpu, 'VM_EXIT_MSR_LOAD_COUNT', 2); w(c.cpu, 'VM_EXIT_MSR_LOAD_ADDR', (1n << 46n) - 16n); } },
  { rule: 'controls.vm-entry.allowed-settings', mutate: (c) => w(c.cpu, 'VM_ENTRY_CONTROLS', 0) },
  { rule: 'controls.vm-entry.event-injection.type', mutate: (c) => inject(c, (1 << 8) | 32) },
  { rule: 'controls.vm-entry.event-injection.vector', mutate: (c) => inject(c, (2 << 8) | 3) },
  { rule: 'controls.vm-entry.event-injection.deliver-error-code', mutate: (c) => inject(c, (0 << 8) | (1 << 11) | 32) },
  { rule: 'controls.vm-entry.event-injection.deliver-error-code', profile: 'minimal', mutate: (c) => inject(c, (3 << 8) | 13) },
  { rule: 'controls.vm-entry.event-injection.reserved-bits', mutate: (c) => inject(c, (3 << 8) | (1 << 12) | 6) },
  { rule: 'controls.vm-entry.event-injection.error-code', mutate: (c) => { inject(c, (3 << 8) | (1 << 11) | 13); w(c.cpu, 'VM_ENTRY_EXCEPTION_ERROR_CODE', 0x10000); } },
  { rule: 'controls.vm-entry.event-injection.instruction-length', mutate: (c) => { inject(c, (4 << 8) | 0x80); w(c.cpu, 'VM_ENTRY_INSTRUCTION_LEN', 16); } },
  { rule: 'controls.vm-entry.event-injection.instruction-length', profile: 'minimal', mutate: (c) => { inject(c, (6 << 8) | 3); w(c.cpu, 'VM_ENTRY_INSTRUCTION_LEN', 0); } },
  { rule: 'controls.vm-entry.msr-load-area', mutate: (c) => { w(c.cpu, 'VM_ENTRY_MSR_LOAD_COUNT', 1); w(c.cpu, 'VM_ENTRY_MSR_LOAD_ADDR', 0x1004); } },
  { rule: 'controls.vm-entry.entry-to-smm-outside-smm', mutate: (c) => orField(c, 'VM_ENTRY_CONTROLS', ENTRY_CTL.ENTRY_TO_SMM) },
  { rule: 'controls.vm-entry.deactivate-dual-monitor-outside-smm', mutate: (c) => orField(c, 'VM_ENTRY_CONTROLS', ENTRY_CTL.DEACTIVATE_DUAL_MONITOR_TREATMENT) },

  // --- host state (error 8) ---
  { rule: 'host.cr0.fixed-bits', mutate: (c) => andField(c, 'HOST_CR0', CR0.NE) },
  { rule: 'host.cr4.fixed-bits', mutate: (c) => andField(c, 'HOST_CR4', CR4.VMXE) },
  { rule: 'host.cr3.physical-address-width', mutate: (c) => w(c.cpu, 'HOST_CR3', 1n << 46n) },
  { rule: 'host.sysenter-esp.canonical', mutate: (c) => w(c.cpu, 'HOST_IA32_SYSENTER_ESP', NONCANONICAL) },
  { rule: 'host.sysenter-eip.canonical', mutate: (c) => w(c.cpu, 'HOST_IA32_SYSENTER_EIP', NONCANONICAL) },
  { rule: 'host.perf-global-ctrl.reserved-bits', mutate: (c) => { orField(c, 'VM_EXIT_CONTROLS', EXIT_CTL.LOAD_IA32_PERF_GLOBAL_CTRL); w(c.cpu, 'HOST_IA32_PERF_GLOBAL_CTRL', 1n << 40n); } },
  { rule: 'host.pat.memory-types', mutate: (c) => { orField(c, 'VM_EXIT_CONTROLS', EXIT_CTL.LOAD_IA32_PAT); w(c.cpu, 'HOST_IA32_PAT', 2); } },
  { rule: 'host.efer.reserved-bits', mutate: (c) => { orField(c, 'VM_EXIT_CONTROLS', EXIT_CTL.LOAD_IA32_EFER); w(c.cpu, 'HOST_IA32_EFER', 0xd00 | 4); } },
  { rule: 'host.efer.lma-lme-match-address-space-size', mutate: (c) => { orField(c, 'VM_EXIT_CONTROLS', EXIT_CTL.LOAD_IA32_EFER); w(c.cpu, 'HOST_IA32_EFER', 0x101); } },
  ...(['ES', 'CS', 'SS', 'DS', 'FS', 'GS', 'TR'] as const).map((s) => ({
    rule: `host.${s.toLowerCase()}-selector.rpl-ti`, mutate: (c: Ctx) => orField(c, `HOST_${s}_SELECTOR` as VmcsFieldId, 4),
  })),
  { rule: 'host.cs-selector.nonzero', mutate: (c) => w(c.cpu, 'HOST_CS_SELECTOR', 0) },
  { rule: 'host.tr-selector.nonzero', mutate: (c) => w(c.cpu, 'HOST_TR_SELECTOR', 0) },
  { rule: 'host.ss-selector.nonzero-without-64-bit-host', mutate: (c) => { andField(c, 'VM_EXIT_CONTROLS', EXIT_CTL.HOST_ADDRESS_SPACE_SIZE); w(c.cpu, 'HOST_SS_SELECTOR', 0); } },
  ...(['FS', 'GS', 'GDTR', 'IDTR', 'TR'] as const).map((s) => ({
    rule: `host.${s.toLowerCase()}-base.canonical`, mutate: (c: Ctx) => w(c.cpu, `HOST_${s}_BASE` as VmcsFieldId, NONCANONICAL),
  })),
  { rule: 'host.address-space-size.outside-ia32e', mutate: (c) => { c.cpu.regs.efer &= ~IA32_EFER.LMA; } },
  { rule: 'host.address-space-size.inside-ia32e', mutate: (c) => andField(c, 'VM_EXIT_CONTROLS', EXIT_CTL.HOST_ADDRESS_SPACE_SIZE) },
  { rule: 'host.address-space-size.32-bit-host', mutate: (c) => {
    w(c.cpu, 'HOST_RIP', 1n << 32n); // written while VMWRITE still has a 64-bit operand
    c.cpu.regs.efer &= ~IA32_EFER.LMA;
    andField(c, 'VM_EXIT_CONTROLS', EXIT_CTL.HOST_ADDRESS_SPACE_SIZE);
    andField(c, 'VM_ENTRY_CONTROLS', ENTRY_CTL.IA32E_MODE_GUEST);
  } },
  { rule: 'host.address-space-size.64-bit-host', mutate: (c) => w(c.cpu, 'HOST_RIP', NONCANONICAL) },
];

/** Guest-state cases (exit reason 33). */
const GUEST_CASES: Case[] = [
  { rule: 'guest.cr0.fixed-bits', mutate: (c) => andField(c, 'GUEST_CR0', CR0.NE) },
  { rule: 'guest.cr0.pg-needs-pe', mutate: (c) => { secondary(c, PROC2.UNRESTRICTED_GUEST | PROC2.ENABLE_EPT); w(c.cpu, 'EPT_POINTER', 0x60000 | 6 | (3 << 3)); andField(c, 'GUEST_CR0', CR0.PE); } },
  { rule: 'guest.cr4.fixed-bits', mutate: (c) => andField(c, 'GUEST_CR4', CR4.VMXE) },
  { rule: 'guest.debugctl.reserved-bits', profile: 'minimal', mutate: (c) => w(c.cpu, 'GUEST_IA32_DEBUGCTL', 1 << 2) },
  { rule: 'guest.ia32e-mode.needs-pg-and-pae', mutate: (c) => andField(c, 'GUEST_CR4', CR4.PAE) },
  { rule: 'guest.cr4.pcide-needs-ia32e-mode', mutate: (c) => {
    andField(c, 'VM_ENTRY_CONTROLS', ENTRY_CTL.IA32E_MODE_GUEST); orField(c, 'GUEST_CR4', CR4.PCIDE);
  } },
  { rule: 'guest.cr3.physical-address-width', mutate: (c) => w(c.cpu, 'GUEST_CR3', 1n << 50n) },
  { rule: 'guest.dr7.bits-63-32', profile: 'minimal', mutate: (c) => w(c.cpu, 'GUEST_DR7', 1n << 32n) },
  { rule: 'guest.sysenter-esp.canonical', mutate: (c) => w(c.cpu, 'GUEST_SYSENTER_ESP', NONCANONICAL) },
  { rule: 'guest.sysenter-eip.canonical', mutate: (c) => w(c.cpu, 'GUEST_SYSENTER_EIP', NONCANONICAL) },
  { rule: 'guest.perf-global-ctrl.reserved-bits', mutate: (c) => { orField(c, 'VM_ENTRY_CONTROLS', ENTRY_CTL.LOAD_IA32_PERF_GLOBAL_CTRL); w(c.cpu, 'GUEST_IA32_PERF_GLOBAL_CTRL', 1n << 50n); } },
  { rule: 'guest.pat.memory-types', mutate: (c) => { orField(c, 'VM_ENTRY_CONTROLS', ENTRY_CTL.LOAD_IA32_PAT); w(c.cpu, 'GUEST_IA32_PAT', 0x0303); } },
  { rule: 'guest.efer.reserved-bits', mutate: (c) => { orField(c, 'VM_ENTRY_CONTROLS', ENTRY_CTL.LOAD_IA32_EFER); w(c.cpu, 'GUEST_IA32_EFER', 0xd00 | 0x10000); } },
  { rule: 'guest.efer.lma-matches-ia32e-mode-guest', mutate: (c) => { orField(c, 'VM_ENTRY_CONTROLS', ENTRY_CTL.LOAD_IA32_EFER); w(c.cpu, 'GUEST_IA32_EFER', 0x100); } },
  { rule: 'guest.efer.lme-matches-ia32e-mode-guest', mutate: (c) => { orField(c, 'VM_ENTRY_CONTROLS', ENTRY_CTL.LOAD_IA32_EFER); w(c.cpu, 'GUEST_IA32_EFER', 0x400); } },
  { rule: 'guest.tr.selector.ti', mutate: (c) => w(c.cpu, 'GUEST_TR_SELECTOR', 0x1c) },
  { rule: 'guest.ldtr.selector.ti', mutate: (c) => { usableLdtr(c); w(c.cpu, 'GUEST_LDTR_SELECTOR', 0x2c); } },
  { rule: 'guest.ss.selector.rpl-equals-cs-rpl', mutate: (c) => w(c.cpu, 'GUEST_SS_SELECTOR', 0x13) },
  ...(['CS', 'SS', 'DS', 'ES', 'FS', 'GS'] as const).flatMap((s) => [
    { rule: `guest.${s.toLowerCase()}.base.virtual-8086`, mutate: (c: Ctx) => { v86(c); w(c.cpu, `GUEST_${s}_BASE` as VmcsFieldId, 0x10); } },
    { rule: `guest.${s.toLowerCase()}.limit.virtual-8086`, mutate: (c: Ctx) => { v86(c); w(c.cpu, `GUEST_${s}_LIMIT` as VmcsFieldId, 0xfffff); } },
    { rule: `guest.${s.toLowerCase()}.access-rights.virtual-8086`, mutate: (c: Ctx) => { v86(c); w(c.cpu, `GUEST_${s}_AR_BYTES` as VmcsFieldId, 0xf1); } },
  ]),
  ...(['TR', 'FS', 'GS'] as const).map((s) => ({
    rule: `guest.${s.toLowerCase()}.base.canonical`, mutate: (c: Ctx) => w(c.cpu, `GUEST_${s}_BASE` as VmcsFieldId, NONCANONICAL),
  })),
  { rule: 'guest.ldtr.base.canonical', mutate: (c) => { usableLdtr(c); w(c.cpu, 'GUEST_LDTR_BASE', NONCANONICAL); } },
  { rule: 'guest.cs.base.bits-63-32', mutate: (c) => w(c.cpu, 'GUEST_CS_BASE', 1n << 32n) },
  ...(['SS', 'DS', 'ES'] as const).map((s) => ({
    rule: `guest.${s.toLowerCase()}.base.bits-63-32`, mutate: (c: Ctx) => w(c.cpu, `GUEST_${s}_BASE` as VmcsFieldId, 1n << 32n),
  })),
  { rule: 'guest.cs.access-rights.type', mutate: (c) => w(c.cpu, 'GUEST_CS_AR_BYTES', 0xa093) },
  { rule: 'guest.ss.access-rights.type', mutate: (c) => w(c.cpu, 'GUEST_SS_AR_BYTES', 0xc091) },
  ...(['DS', 'ES', 'FS', 'GS'] as const).map((s) => ({
    rule: `guest.${s.toLowerCase()}.access-rights.type`, mutate: (c: Ctx) => w(c.cpu, `GUEST_${s}_AR_BYTES` as VmcsFieldId, 0xc092),
  })),
  ...(['CS', 'SS', 'DS', 'ES', 'FS', 'GS'] as const).flatMap((s) => [
    { rule: `guest.${s.toLowerCase()}.access-rights.s`, mutate: (c: Ctx) => w(c.cpu, `GUEST_${s}_AR_BYTES` as VmcsFieldId, s === 'CS' ? 0xa08b : s === 'SS' ? 0xc083 : 0xc083) },
    { rule: `guest.${s.toLowerCase()}.access-rights.present`, mutate: (c: Ctx) => w(c.cpu, `GUEST_${s}_AR_BYTES` as VmcsFieldId, s === 'CS' ? 0xa01b : 0xc013) },
    { rule: `guest.${s.toLowerCase()}.access-rights.reserved-bits`, mutate: (c: Ctx) => w(c.cpu, `GUEST_${s}_AR_BYTES` as VmcsFieldId, s === 'CS' ? 0xa19b : 0xc193) },
    { rule: `guest.${s.toLowerCase()}.access-rights.granularity`, mutate: (c: Ctx) => { usable(c, s); w(c.cpu, `GUEST_${s}_LIMIT` as VmcsFieldId, 0xfffff000); } },
  ]),
  { rule: 'guest.cs.access-rights.dpl', mutate: (c) => w(c.cpu, 'GUEST_CS_AR_BYTES', 0xa0bb) },
  { rule: 'guest.ss.access-rights.dpl', mutate: (c) => { w(c.cpu, 'GUEST_SS_AR_BYTES', 0xc0b3); w(c.cpu, 'GUEST_CS_AR_BYTES', 0xa0bb); } },
  ...(['DS', 'ES', 'FS', 'GS'] as const).map((s) => ({
    rule: `guest.${s.toLowerCase()}.access-rights.dpl`, mutate: (c: Ctx) => { usable(c, s); w(c.cpu, `GUEST_${s}_SELECTOR` as VmcsFieldId, 0x13); },
  })),
  { rule: 'guest.cs.access-rights.db-with-l', mutate: (c) => w(c.cpu, 'GUEST_CS_AR_BYTES', 0xe09b) },
  { rule: 'guest.tr.access-rights.type', mutate: (c) => w(c.cpu, 'GUEST_TR_AR_BYTES', 0x83) },
  { rule: 'guest.tr.access-rights.s', mutate: (c) => w(c.cpu, 'GUEST_TR_AR_BYTES', 0x9b) },
  { rule: 'guest.tr.access-rights.present', mutate: (c) => w(c.cpu, 'GUEST_TR_AR_BYTES', 0x0b) },
  { rule: 'guest.tr.access-rights.reserved-bits', mutate: (c) => w(c.cpu, 'GUEST_TR_AR_BYTES', 0x28b) },
  { rule: 'guest.tr.access-rights.granularity', mutate: (c) => w(c.cpu, 'GUEST_TR_AR_BYTES', 0x808b) },
  { rule: 'guest.tr.access-rights.usable', mutate: (c) => w(c.cpu, 'GUEST_TR_AR_BYTES', 0x1008b) },
  { rule: 'guest.ldtr.access-rights.type', mutate: (c) => { usableLdtr(c); w(c.cpu, 'GUEST_LDTR_AR_BYTES', 0x83); } },
  { rule: 'guest.ldtr.access-rights.s', mutate: (c) => { usableLdtr(c); w(c.cpu, 'GUEST_LDTR_AR_BYTES', 0x92); } },
  { rule: 'guest.ldtr.access-rights.present', mutate: (c) => { usableLdtr(c); w(c.cpu, 'GUEST_LDTR_AR_BYTES', 0x02); } },
  { rule: 'guest.ldtr.access-rights.reserved-bits', mutate: (c) => { usableLdtr(c); w(c.cpu, 'GUEST_LDTR_AR_BYTES', 0x20082); } },
  { rule: 'guest.ldtr.access-rights.granularity', mutate: (c) => { usableLdtr(c); w(c.cpu, 'GUEST_LDTR_LIMIT', 0x1fffff); } },
  { rule: 'guest.gdtr.base.canonical', mutate: (c) => w(c.cpu, 'GUEST_GDTR_BASE', NONCANONICAL) },
  { rule: 'guest.idtr.base.canonical', mutate: (c) => w(c.cpu, 'GUEST_IDTR_BASE', NONCANONICAL) },
  { rule: 'guest.gdtr.limit.bits-31-16', mutate: (c) => w(c.cpu, 'GUEST_GDTR_LIMIT', 0x10000) },
  { rule: 'guest.idtr.limit.bits-31-16', mutate: (c) => w(c.cpu, 'GUEST_IDTR_LIMIT', 0x10000) },
  { rule: 'guest.rip.bits-63-32-outside-64-bit-mode', mutate: (c) => { w(c.cpu, 'GUEST_CS_AR_BYTES', 0xc09b); w(c.cpu, 'GUEST_RIP', 1n << 32n); } },
  { rule: 'guest.rip.canonical-in-64-bit-mode', mutate: (c) => w(c.cpu, 'GUEST_RIP', NONCANONICAL) },
  { rule: 'guest.rflags.reserved-bits', mutate: (c) => w(c.cpu, 'GUEST_RFLAGS', 0) },
  { rule: 'guest.rflags.vm-outside-protected-mode-or-ia32e', mutate: (c) => { v86(c); orField(c, 'VM_ENTRY_CONTROLS', ENTRY_CTL.IA32E_MODE_GUEST); } },
  { rule: 'guest.rflags.if-for-external-interrupt-injection', mutate: (c) => inject(c, 0x20) },
  { rule: 'guest.activity-state.supported', profile: 'minimal', mutate: (c) => w(c.cpu, 'GUEST_ACTIVITY_STATE', 2) },
  { rule: 'guest.activity-state.hlt-needs-ss-dpl-0', mutate: (c) => {
    w(c.cpu, 'GUEST_ACTIVITY_STATE', 1);
    for (const s of ['CS', 'SS', 'DS', 'ES'] as const) w(c.cpu, `GUEST_${s}_SELECTOR` as VmcsFieldId, s === 'CS' ? 0x0b : 0x13);
    w(c.cpu, 'GUEST_CS_AR_BYTES', 0xa0fb);
    for (const s of ['SS', 'DS', 'ES'] as const) w(c.cpu, `GUEST_${s}_AR_BYTES` as VmcsFieldId, 0xc0f3);
  } },
  { rule: 'guest.activity-state.active-when-sti-or-mov-ss-blocking', mutate: (c) => { w(c.cpu, 'GUEST_ACTIVITY_STATE', 1); w(c.cpu, 'GUEST_INTERRUPTIBILITY_INFO', 2); } },
  { rule: 'guest.activity-state.event-injection', mutate: (c) => { w(c.cpu, 'GUEST_ACTIVITY_STATE', 3); inject(c, (2 << 8) | 2); } },
  { rule: 'guest.interruptibility.reserved-bits', mutate: (c) => w(c.cpu, 'GUEST_INTERRUPTIBILITY_INFO', 0x20) },
  { rule: 'guest.interruptibility.sti-and-mov-ss', mutate: (c) => { w(c.cpu, 'GUEST_RFLAGS', 0x202); w(c.cpu, 'GUEST_INTERRUPTIBILITY_INFO', 3); } },
  { rule: 'guest.interruptibility.sti-needs-if', mutate: (c) => w(c.cpu, 'GUEST_INTERRUPTIBILITY_INFO', 1) },
  { rule: 'guest.interruptibility.injection-of-interrupt-or-nmi', mutate: (c) => { w(c.cpu, 'GUEST_RFLAGS', 0x202); w(c.cpu, 'GUEST_INTERRUPTIBILITY_INFO', 1); inject(c, 0x20); } },
  { rule: 'guest.interruptibility.smi-blocking-outside-smm', mutate: (c) => w(c.cpu, 'GUEST_INTERRUPTIBILITY_INFO', 4) },
  { rule: 'guest.interruptibility.virtual-nmi-blocking-with-nmi-injection', mutate: (c) => {
    orField(c, 'PIN_BASED_VM_EXEC_CONTROL', PIN.NMI_EXITING | PIN.VIRTUAL_NMIS); w(c.cpu, 'GUEST_INTERRUPTIBILITY_INFO', 8); inject(c, (2 << 8) | 2);
  } },
  { rule: 'guest.interruptibility.enclave-interruption', mutate: (c) => w(c.cpu, 'GUEST_INTERRUPTIBILITY_INFO', 0x10) },
  { rule: 'guest.pending-debug-exceptions.reserved-bits', mutate: (c) => w(c.cpu, 'GUEST_PENDING_DBG_EXCEPTIONS', 1 << 16) },
  { rule: 'guest.pending-debug-exceptions.bs', mutate: (c) => { w(c.cpu, 'GUEST_RFLAGS', 0x302); w(c.cpu, 'GUEST_INTERRUPTIBILITY_INFO', 1); } },
  { rule: 'guest.vmcs-link-pointer', mutate: (c) => w(c.cpu, 'VMCS_LINK_POINTER', 0x1000) },
  { rule: 'guest.pdptes.reserved-bits', mutate: (c) => {
    // PAE paging (not IA-32e mode) with a present PDPTE that has reserved bit 1 set.
    andField(c, 'VM_ENTRY_CONTROLS', ENTRY_CTL.IA32E_MODE_GUEST);
    w(c.cpu, 'GUEST_CS_AR_BYTES', 0xc09b);
    w(c.cpu, 'GUEST_TR_AR_BYTES', 0x8b);
    w(c.cpu, 'GUEST_CR3', 0x70000);
    c.m.memory.write64(0x70000, 0x1003n);
  } },
];

/** Make a data segment usable (the fixture leaves FS and GS unusable). */
function usable(c: Ctx, s: 'CS' | 'SS' | 'DS' | 'ES' | 'FS' | 'GS'): void {
  if (s !== 'FS' && s !== 'GS') return;
  w(c.cpu, `GUEST_${s}_SELECTOR` as VmcsFieldId, 0x10);
  w(c.cpu, `GUEST_${s}_AR_BYTES` as VmcsFieldId, 0xc093);
  w(c.cpu, `GUEST_${s}_LIMIT` as VmcsFieldId, 0xffffffff);
}
function usableLdtr(c: Ctx): void {
  w(c.cpu, 'GUEST_LDTR_SELECTOR', 0x28);
  w(c.cpu, 'GUEST_LDTR_AR_BYTES', 0x82);
  w(c.cpu, 'GUEST_LDTR_LIMIT', 0xffff);
}
function v86(c: Ctx): void {
  andField(c, 'VM_ENTRY_CONTROLS', ENTRY_CTL.IA32E_MODE_GUEST);
  w(c.cpu, 'GUEST_TR_AR_BYTES', 0x8b);
  w(c.cpu, 'GUEST_RFLAGS', 0x20002);
  for (const s of ['CS', 'SS', 'DS', 'ES', 'FS', 'GS'] as const) {
    w(c.cpu, `GUEST_${s}_SELECTOR` as VmcsFieldId, 0x100);
    w(c.cpu, `GUEST_${s}_BASE` as VmcsFieldId, 0x1000);
    w(c.cpu, `GUEST_${s}_LIMIT` as VmcsFieldId, 0xffff);
    w(c.cpu, `GUEST_${s}_AR_BYTES` as VmcsFieldId, 0xf3);
  }
  andField(c, 'GUEST_CR4', CR4.PCIDE);
  w(c.cpu, 'GUEST_RIP', 0x100);
}

function setup(profile: Case['profile']): Ctx {
  return profile === 'permissive' ? permissiveMachine() : readyMachine(profile ?? 'xeon-sapphire-rapids');
}

function refusal(c: Ctx): { result: number; rule: string; error: number; reason: number } {
  const result = vmLaunchOrResume(c.m, c.cpu, true, 0);
  const rule = /rule (\S+)/.exec(c.cpu.failedRule)?.[1] ?? '';
  return { result, rule, error: c.cpu.lastError, reason: c.cpu.current!.lo[V.VM_EXIT_REASON] >>> 0 };
}

describe('VM-entry rules: each refuses a VMCS broken in just its way', () => {
  it('the fixture VMCS passes every check', () => {
    for (const p of [undefined, 'minimal', 'permissive'] as const) {
      const c = setup(p);
      const out = refusal(c);
      expect(out.rule, `profile ${p ?? 'default'}: ${c.cpu.failedRule}`).to.equal('');
    }
  });
  for (const k of CASES) {
    it(`${k.rule}${k.profile ? ` (${k.profile})` : ''}`, () => {
      const c = setup(k.profile);
      k.mutate(c);
      const out = refusal(c);
      expect(out.rule, c.cpu.failedRule).to.equal(k.rule);
      expect(out.result).to.equal(R_FAIL_VALID);
      expect(out.error).to.equal(k.rule.startsWith('host.') ? VMERR.ENTRY_INVALID_HOST_STATE : VMERR.ENTRY_INVALID_CONTROL_FIELDS);
      expect(c.cpu.nonRoot).to.equal(false);
    });
  }
  for (const k of GUEST_CASES) {
    it(`${k.rule}${k.profile ? ` (${k.profile})` : ''}`, () => {
      const c = setup(k.profile);
      k.mutate(c);
      const out = refusal(c);
      expect(out.rule, c.cpu.failedRule).to.equal(k.rule);
      expect(out.result).to.equal(R_VM_EXIT);
      expect(out.reason >>> 0).to.equal((0x80000000 | 33) >>> 0);
      const q = Number(r(c.cpu, 'EXIT_QUALIFICATION'));
      expect(q).to.equal(k.rule === 'guest.vmcs-link-pointer' ? 4 : k.rule === 'guest.pdptes.reserved-bits' ? 2 : 0);
      expect(c.cpu.nonRoot).to.equal(false);
      expect(c.cpu.current!.launched).to.equal(false);
    });
  }
  it('every rule has a case above', () => {
    const tested = new Set([...CASES, ...GUEST_CASES].map((k) => k.rule));
    const all = [...CONTROL_RULES, ...CONTROL_RULES_READING_MEMORY, ...HOST_RULES, ...GUEST_RULES].map((x) => x.name);
    expect(all.filter((n) => !tested.has(n)), 'rules without a case').to.deep.equal([]);
  });
});

describe('VM-entry failure due to MSR loading (SDM 27.4, 27.8)', () => {
  it('exit reason 34 | 80000000H with the 1-based index of the failing entry', () => {
    const c = readyMachine();
    const area = 0x58000;
    c.m.memory.write32(area, 0x174); // IA32_SYSENTER_CS: fine
    c.m.memory.write64(area + 8, 0x10n);
    c.m.memory.write32(area + 16, 0xc0000100); // IA32_FS_BASE may not be loaded
    w(c.cpu, 'VM_ENTRY_MSR_LOAD_ADDR', area);
    w(c.cpu, 'VM_ENTRY_MSR_LOAD_COUNT', 2);
    expect(vmLaunchOrResume(c.m, c.cpu, true, 0)).to.equal(R_VM_EXIT);
    expect(Number(r(c.cpu, 'VM_EXIT_REASON')) >>> 0).to.equal((0x80000000 | 34) >>> 0);
    expect(Number(r(c.cpu, 'EXIT_QUALIFICATION'))).to.equal(2);
    expect(c.cpu.regs.rip).to.equal(0x40000);
  });
});

describe('the entry caches give the answers a full check would', () => {
  it('a VMWRITE after a successful entry is re-checked (controls and guest state)', () => {
    const c = readyMachine();
    c.m.memory.writeBytes(0x20000, new Uint8Array([0x0f, 0xa2]));
    expect(vmLaunchOrResume(c.m, c.cpu, true, 10)).to.equal(R_VM_EXIT);
    w(c.cpu, 'GUEST_RIP', NONCANONICAL);
    expect(refusalResume(c)).to.equal('guest.rip.canonical-in-64-bit-mode');
    w(c.cpu, 'GUEST_RIP', 0x20000);
    w(c.cpu, 'CR3_TARGET_COUNT', 9);
    expect(refusalResume(c)).to.equal('controls.cr3-target-count');
    w(c.cpu, 'CR3_TARGET_COUNT', 0);
    vmLaunchOrResume(c.m, c.cpu, false, 0);
    expect(c.cpu.failedRule).to.equal('');
    expect(c.cpu.nonRoot).to.equal(true);
  });
  it('random single-field mutations: the incremental guest check agrees with a fresh full check', () => {
    const fields: VmcsFieldId[] = ['GUEST_RIP', 'GUEST_RFLAGS', 'GUEST_CS_AR_BYTES', 'GUEST_SS_SELECTOR', 'GUEST_TR_AR_BYTES',
      'GUEST_INTERRUPTIBILITY_INFO', 'GUEST_ACTIVITY_STATE', 'GUEST_CR0', 'GUEST_CR4', 'GUEST_GDTR_LIMIT', 'VMCS_LINK_POINTER',
      'GUEST_DS_LIMIT', 'GUEST_PENDING_DBG_EXCEPTIONS'];
    const values = [0n, 1n, 2n, 3n, 0x202n, 0x8bn, 0xa09bn, 0xc093n, 0x10000n, 0xffffffffn, NONCANONICAL, 0xffffffffffffffffn];
    let seed = 12345;
    const rand = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
    const inc = readyMachine();
    for (let i = 0; i < 300; i++) {
      const f = fields[rand(fields.length)];
      const v = values[rand(values.length)];
      w(inc.cpu, f, v);
      const got = refusalLaunchKeepCache(inc);
      const fresh = readyMachine();
      for (const g of fields) w(fresh.cpu, g, r(inc.cpu, g));
      expect(got, `step ${i}: ${f} = 0x${v.toString(16)}`).to.equal(refusal(fresh).rule);
    }
  });
});

function refusalResume(c: Ctx): string {
  vmLaunchOrResume(c.m, c.cpu, false, 0);
  const rule = /rule (\S+)/.exec(c.cpu.failedRule)?.[1] ?? '';
  if (c.cpu.nonRoot) throw new Error('entered the guest');
  return rule;
}

/** VMLAUNCH that stops before running the guest, leaving the VMCS clear (so it can launch again). */
function refusalLaunchKeepCache(c: Ctx): string {
  c.cpu.current!.launched = false;
  vmLaunchOrResume(c.m, c.cpu, true, 0);
  const rule = /rule (\S+)/.exec(c.cpu.failedRule)?.[1] ?? '';
  if (c.cpu.nonRoot) {
    // Entered: leave again through a VM exit of our own making (not part of what is tested).
    c.cpu.nonRoot = false;
  }
  return rule;
}

void F;
void writeRevision;
void VMCS_REGION_2;
