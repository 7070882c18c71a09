import { describe, it } from 'node:test';
import { expect } from 'chai';
import {
  ALLOWED_SETTINGS,
  AmbiguousNameError,
  EPT_VPID_CAP,
  MSR,
  NameTable,
  UnknownNameError,
  VMERR,
  VMX_BASIC,
  VMX_MISC,
  VMX_MSR_NAMES,
  VM_INSTRUCTION_ERRORS,
  decodeVmxBasic,
  decodeVmxMisc,
  editDistance,
  encodeVmxBasic,
  encodeVmxMisc,
  lookupMsr,
  lookupVmInstructionError,
  normalizeName,
} from '../../src/arch';

describe('NameTable', () => {
  it('matches regardless of case, spaces, hyphens, underscores and quotes', () => {
    const t = new NameTable<number>('thing');
    t.add('HLT exiting', 7);
    for (const s of ['HLT exiting', 'hlt-exiting', 'HLT_EXITING', '"HLT exiting"', "'hlt exiting'", 'HltExiting']) {
      expect(t.get(s), s).to.equal(7);
    }
    expect(normalizeName('I/O bitmap A')).to.equal('iobitmapa');
    expect(t.tryGet('nope')).to.equal(undefined);
  });

  it('suggests up to three closest names', () => {
    const t = new NameTable<number>('VMCS field');
    ['GUEST_RIP', 'Guest RIP', 'GUEST_RSP', 'HOST_RIP', 'GUEST_CR0'].forEach((n, i) => t.add(n, i));
    const err = (() => {
      try {
        t.get('GUEST_RIPP');
      } catch (e) {
        return e as UnknownNameError;
      }
      throw new Error('no error');
    })();
    expect(err).to.be.instanceOf(UnknownNameError);
    expect(err.token).to.equal('GUEST_RIPP');
    expect(err.kind).to.equal('VMCS field');
    expect(err.suggestions).to.have.length(3);
    expect(err.message).to.equal('unknown VMCS field "GUEST_RIPP"; did you mean: "GUEST_RIP", "Guest RIP", "GUEST_RSP"?');
    expect(new UnknownNameError('x', 'y', []).message).to.equal('unknown x "y"');
  });

  it('reports one name shared by two values as ambiguous', () => {
    const t = new NameTable<string>('control');
    t.add('Load IA32_EFER', 'exit');
    t.add('Load IA32_EFER', 'entry');
    expect(() => t.get('load-ia32-efer')).to.throw(AmbiguousNameError, /ambiguous control/);
    expect(t.ambiguous()).to.deep.equal(['loadia32efer']);
  });

  it('computes edit distance', () => {
    expect(editDistance('kitten', 'sitting')).to.equal(3);
    expect(editDistance('', 'abc')).to.equal(3);
    expect(editDistance('same', 'same')).to.equal(0);
  });
});

describe('VM-instruction errors (SDM 31.4)', () => {
  it('matches Linux enum vm_instruction_error_number', () => {
    expect(VMERR).to.include({
      VMCALL_IN_VMX_ROOT: 1, VMLAUNCH_NON_CLEAR_VMCS: 4, VMRESUME_NON_LAUNCHED_VMCS: 5,
      ENTRY_INVALID_CONTROL_FIELDS: 7, ENTRY_INVALID_HOST_STATE: 8, VMPTRLD_INCORRECT_REVISION: 11,
      UNSUPPORTED_VMCS_COMPONENT: 12, VMWRITE_READ_ONLY_COMPONENT: 13, VMXON_IN_VMX_ROOT: 15,
      ENTRY_EVENTS_BLOCKED_BY_MOV_SS: 26, INVALID_OPERAND_INVEPT_INVVPID: 28,
    });
    const nums = VM_INSTRUCTION_ERRORS.map((e) => e.number);
    expect(new Set(nums).size).to.equal(nums.length);
    expect(nums).to.not.include.members([14, 21, 27]);
  });

  it('looks up by number, id and description', () => {
    expect(lookupVmInstructionError('7').id).to.equal('ENTRY_INVALID_CONTROL_FIELDS');
    expect(lookupVmInstructionError('VMLAUNCH_NON_CLEAR_VMCS').number).to.equal(4);
    expect(lookupVmInstructionError('VM entry with invalid host-state field(s)').number).to.equal(8);
    expect(lookupVmInstructionError('VMLAUNCH with non-clear VMCS').number).to.equal(4);
    expect(() => lookupVmInstructionError('14')).to.throw(UnknownNameError);
    expect(() => lookupVmInstructionError('VMLANCH with non-clear VMCS')).to.throw(UnknownNameError, /did you mean/);
  });
});

describe('MSRs and capability layouts (SDM Appendix A)', () => {
  it('has the VMX capability MSRs at 0x480-0x493 in order', () => {
    expect(VMX_MSR_NAMES.map((n) => MSR[n])).to.deep.equal(Array.from({ length: 20 }, (_, i) => 0x480 + i));
    expect(MSR.IA32_FEATURE_CONTROL).to.equal(0x3a);
    expect(MSR.IA32_EFER).to.equal(0xc0000080);
  });

  it('looks MSRs up by name and hex address', () => {
    expect(lookupMsr('IA32_VMX_BASIC')).to.deep.equal({ name: 'IA32_VMX_BASIC', address: 0x480 });
    expect(lookupMsr('EFER').address).to.equal(0xc0000080);
    expect(lookupMsr('0xC0000080').name).to.equal('IA32_EFER');
    expect(() => lookupMsr('IA32_VMX_BASICS')).to.throw(UnknownNameError, /IA32_VMX_BASIC/);
  });

  it('round-trips IA32_VMX_BASIC', () => {
    const basic = {
      revisionId: 0x12345678 & 0x7fffffff, regionSize: 4096, physAddrWidth32: false, dualMonitor: true,
      memoryType: 6, insOutsInfo: true, trueControls: true, noErrorCodeRequirement: true, nestedException: false,
    };
    const v = encodeVmxBasic(basic);
    expect(decodeVmxBasic(v)).to.deep.equal(basic);
    expect(VMX_BASIC.regionSize(v)).to.equal(4096);
    expect(v >> 55n & 1n).to.equal(1n);
    expect(encodeVmxBasic({ revisionId: 1, memoryType: 6 })).to.equal(1n | (6n << 50n));
    expect(VMX_BASIC.revisionId(0xffffffffn)).to.equal(0x7fffffff);
  });

  it('round-trips IA32_VMX_MISC', () => {
    const misc = {
      preemptionTimerRate: 5, storeEferLma: true, activityHlt: true, activityShutdown: false,
      activityWaitForSipi: true, intelPt: false, rdmsrSmbaseInSmm: true, cr3TargetCount: 4, maxMsrListCode: 3,
      smmMonitorCtlBit2: false, vmwriteAnyField: true, zeroLengthInjection: true, msegRevision: 0xdeadbeef,
    };
    const v = encodeVmxMisc(misc);
    expect(decodeVmxMisc(v)).to.deep.equal(misc);
    expect(VMX_MISC.maxMsrListEntries(v)).to.equal(2048);
    expect(VMX_MISC.cr3TargetCount(v)).to.equal(4);
    expect(v & 0xffffffffn).to.equal(BigInt(5 | 1 << 5 | 1 << 6 | 1 << 8 | 1 << 15 | 4 << 16 | 3 << 25 | 1 << 29 | 1 << 30));
  });

  it('has EPT/VPID capability bits where Linux has them', () => {
    expect(EPT_VPID_CAP.EXECUTE_ONLY).to.equal(1n);
    expect(EPT_VPID_CAP.PAGE_WALK_LENGTH_4).to.equal(1n << 6n);
    expect(EPT_VPID_CAP.MEMORY_TYPE_WB).to.equal(1n << 14n);
    expect(EPT_VPID_CAP.ACCESSED_DIRTY_FLAGS).to.equal(1n << 21n);
    expect(EPT_VPID_CAP.INVEPT_ALL_CONTEXT).to.equal(1n << 26n);
    expect(EPT_VPID_CAP.INVVPID).to.equal(1n << 32n);
    expect(EPT_VPID_CAP.INVVPID_SINGLE_CONTEXT_RETAINING_GLOBALS).to.equal(1n << 43n);
  });

  it('splits allowed-0 and allowed-1 settings', () => {
    const v = ALLOWED_SETTINGS.encode(0x16, 0xff);
    expect(ALLOWED_SETTINGS.allowed0(v)).to.equal(0x16);
    expect(ALLOWED_SETTINGS.allowed1(v)).to.equal(0xff);
    expect(ALLOWED_SETTINGS.allowed1(ALLOWED_SETTINGS.encode(0, 0x80000000))).to.equal(0x80000000);
  });
});
