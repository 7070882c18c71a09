import { describe, it } from 'node:test';
import { expect } from 'chai';
import {
  EXIT,
  EXIT_REASONS,
  EXIT_REASON_FIELD,
  EXIT_REASON_NAMES,
  UnknownNameError,
  VM_ENTRY_FAILURE_BIT,
  decodeExitReasonField,
  encodeExitReasonField,
  exitReasonInfo,
  lookupExitReason,
} from '../../src/arch';

describe('basic exit reasons (SDM Appendix C)', () => {
  it('has unique numbers, ids and names', () => {
    const nums = EXIT_REASONS.map((r) => r.number);
    expect(new Set(nums).size).to.equal(nums.length);
    expect(new Set(EXIT_REASONS.map((r) => r.id)).size).to.equal(nums.length);
    expect(new Set(EXIT_REASONS.map((r) => r.name)).size).to.equal(nums.length);
    expect(EXIT_REASONS.length).to.equal(Object.keys(EXIT).length);
    expect(EXIT_REASON_NAMES.ambiguous()).to.deep.equal([]);
  });

  it('matches Linux uapi EXIT_REASON_* numbers', () => {
    const linux: Record<string, number> = {
      EXCEPTION_NMI: 0, EXTERNAL_INTERRUPT: 1, TRIPLE_FAULT: 2, INIT_SIGNAL: 3, SIPI_SIGNAL: 4, OTHER_SMI: 6,
      INTERRUPT_WINDOW: 7, NMI_WINDOW: 8, TASK_SWITCH: 9, CPUID: 10, HLT: 12, INVD: 13, INVLPG: 14,
      RDPMC: 15, RDTSC: 16, VMCALL: 18, VMCLEAR: 19, VMLAUNCH: 20, VMPTRLD: 21, VMPTRST: 22, VMREAD: 23,
      VMRESUME: 24, VMWRITE: 25, VMOFF: 26, VMON: 27, CR_ACCESS: 28, DR_ACCESS: 29, IO_INSTRUCTION: 30,
      MSR_READ: 31, MSR_WRITE: 32, INVALID_STATE: 33, MSR_LOAD_FAIL: 34, MWAIT_INSTRUCTION: 36,
      MONITOR_TRAP_FLAG: 37, MONITOR_INSTRUCTION: 39, PAUSE_INSTRUCTION: 40, MCE_DURING_VMENTRY: 41,
      TPR_BELOW_THRESHOLD: 43, APIC_ACCESS: 44, EOI_INDUCED: 45, GDTR_IDTR: 46, LDTR_TR: 47,
      EPT_VIOLATION: 48, EPT_MISCONFIG: 49, INVEPT: 50, RDTSCP: 51, PREEMPTION_TIMER: 52, INVVPID: 53,
      WBINVD: 54, XSETBV: 55, APIC_WRITE: 56, RDRAND: 57, INVPCID: 58, VMFUNC: 59, ENCLS: 60, RDSEED: 61,
      PML_FULL: 62, XSAVES: 63, XRSTORS: 64, UMWAIT: 67, TPAUSE: 68, BUS_LOCK: 74, NOTIFY: 75,
      SEAMCALL: 76, TDCALL: 77, MSR_READ_IMM: 84, MSR_WRITE_IMM: 85,
    };
    for (const [name, n] of Object.entries(linux)) {
      expect(lookupExitReason(name).number, name).to.equal(n);
      expect(lookupExitReason(`EXIT_REASON_${name}`).number, name).to.equal(n);
    }
  });

  it('looks up by Appendix C name, id, short form and number', () => {
    expect(lookupExitReason('Control-register accesses')).to.deep.equal({ number: 28, name: 'Control-register accesses', id: 'CR_ACCESS' });
    expect(lookupExitReason('CR_ACCESS').number).to.equal(28);
    expect(lookupExitReason('cr-access').number).to.equal(28);
    expect(lookupExitReason('CPUID').number).to.equal(10);
    expect(lookupExitReason('HLT').number).to.equal(12);
    expect(lookupExitReason('RDMSR').number).to.equal(31);
    expect(lookupExitReason('VM-entry failure due to invalid guest state').number).to.equal(33);
    expect(lookupExitReason('48').id).to.equal('EPT_VIOLATION');
    expect(exitReasonInfo(52)!.name).to.equal('VMX-preemption timer expired');
    expect(exitReasonInfo(35)).to.equal(undefined);
  });

  it('rejects unknown tokens', () => {
    expect(() => lookupExitReason('HLTT')).to.throw(UnknownNameError, /unknown exit reason "HLTT"; did you mean: "HLT"/);
    expect(() => lookupExitReason('35')).to.throw(UnknownNameError);
  });
});

describe('exit-reason field', () => {
  it('has bit 31 as the VM-entry failure bit', () => {
    expect(VM_ENTRY_FAILURE_BIT).to.equal(0x80000000);
    expect(EXIT_REASON_FIELD.VM_ENTRY_FAILURE).to.equal(VM_ENTRY_FAILURE_BIT);
  });

  it('round-trips encode/decode', () => {
    const f = {
      basic: 33, busLockDetected: false, enclaveMode: true, pendingMtfVmExit: true,
      fromVmxRootOperation: false, vmEntryFailure: true,
    };
    const v = encodeExitReasonField(f);
    expect(v).to.equal((0x80000000 | (1 << 28) | (1 << 27) | 33) >>> 0);
    expect(decodeExitReasonField(v)).to.deep.equal(f);
  });
});
