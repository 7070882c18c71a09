import { describe, it } from 'node:test';
import { expect } from 'chai';
import {
  F,
  VMCS_FIELDS,
  VMCS_FIELD_COUNT,
  VMCS_FIELD_NAMES,
  MAX_FIELD_INDEX,
  decodeEncoding,
  encodeEncoding,
  fieldByEncoding,
  lookupField,
  widthBits,
  UnknownNameError,
} from '../../src/arch';

describe('VMCS field table (SDM Appendix B)', () => {
  it('every encoding agrees with its declared width, type and access (SDM 25.11.2)', () => {
    for (const f of VMCS_FIELDS) {
      const d = decodeEncoding(f.encoding);
      expect(d.width, f.id).to.equal(f.width);
      expect(d.type, f.id).to.equal(f.type);
      expect(d.access, f.id).to.equal(f.access);
      expect(d.reservedBitsSet, f.id).to.equal(false);
      expect(d.invalidHighAccess, f.id).to.equal(false);
      expect(encodeEncoding(d), f.id).to.equal(f.encoding);
    }
  });

  it('has unique encodings, ids and names', () => {
    const encs = new Set(VMCS_FIELDS.map((f) => f.encoding));
    const ids = new Set(VMCS_FIELDS.map((f) => f.id));
    const names = new Set(VMCS_FIELDS.map((f) => f.name));
    expect(encs.size).to.equal(VMCS_FIELDS.length);
    expect(ids.size).to.equal(VMCS_FIELDS.length);
    expect(names.size).to.equal(VMCS_FIELDS.length);
    expect(VMCS_FIELD_COUNT).to.equal(VMCS_FIELDS.length);
    expect(VMCS_FIELD_NAMES.ambiguous()).to.deep.equal([]);
  });

  it('lists a high entry for every 64-bit field and for no other width', () => {
    for (const f of VMCS_FIELDS) {
      const partner = fieldByEncoding(f.encoding ^ 1);
      if (f.width === '64-bit') {
        expect(partner, f.id).to.not.equal(undefined);
        if (f.access === 'full') {
          expect(partner!.access).to.equal('high');
          expect(partner!.id).to.equal(`${f.id}_HIGH`);
          expect(partner!.name).to.equal(`${f.name} (high)`);
        }
      } else {
        expect(f.access, f.id).to.equal('full');
        expect(partner, f.id).to.equal(undefined);
      }
    }
  });

  it('F holds full encodings that all appear in the table', () => {
    for (const [id, enc] of Object.entries(F)) {
      const f = fieldByEncoding(enc);
      expect(f, id).to.not.equal(undefined);
      expect(f!.access).to.equal('full');
    }
    expect(F.GUEST_RIP).to.equal(0x681e);
    expect(F.CPU_BASED_VM_EXEC_CONTROL).to.equal(F.PRIMARY_PROC_BASED_VM_EXEC_CONTROL);
  });

  it('matches a sample of Linux enum vmcs_field', () => {
    const linux: Record<string, number> = {
      VIRTUAL_PROCESSOR_ID: 0x0000, POSTED_INTR_NV: 0x0002, LAST_PID_POINTER_INDEX: 0x0008,
      GUEST_INTR_STATUS: 0x0810, GUEST_PML_INDEX: 0x0812, HOST_TR_SELECTOR: 0x0c0c,
      IO_BITMAP_A: 0x2000, MSR_BITMAP: 0x2004, PML_ADDRESS: 0x200e, TSC_OFFSET: 0x2010,
      EPT_POINTER: 0x201a, EOI_EXIT_BITMAP3: 0x2022, VMWRITE_BITMAP: 0x2028, XSS_EXIT_BITMAP: 0x202c,
      TSC_MULTIPLIER: 0x2032, TERTIARY_VM_EXEC_CONTROL: 0x2034, PID_POINTER_TABLE: 0x2042,
      SECONDARY_VM_EXIT_CONTROLS: 0x2044, INJECTED_EVENT_DATA: 0x2052,
      GUEST_PHYSICAL_ADDRESS: 0x2400, ORIGINAL_EVENT_DATA: 0x2404,
      VMCS_LINK_POINTER: 0x2800, GUEST_IA32_PERF_GLOBAL_CTRL: 0x2808, GUEST_PDPTR3: 0x2810,
      GUEST_BNDCFGS: 0x2812, GUEST_IA32_RTIT_CTL: 0x2814, GUEST_IA32_FRED_SSP3: 0x2828,
      HOST_IA32_PERF_GLOBAL_CTRL: 0x2c04, HOST_IA32_FRED_SSP3: 0x2c16,
      PIN_BASED_VM_EXEC_CONTROL: 0x4000, CPU_BASED_VM_EXEC_CONTROL: 0x4002, VM_EXIT_CONTROLS: 0x400c,
      VM_ENTRY_CONTROLS: 0x4012, SECONDARY_VM_EXEC_CONTROL: 0x401e, PLE_WINDOW: 0x4022, NOTIFY_WINDOW: 0x4024,
      VM_INSTRUCTION_ERROR: 0x4400, VM_EXIT_REASON: 0x4402, VMX_INSTRUCTION_INFO: 0x440e,
      GUEST_TR_AR_BYTES: 0x4822, GUEST_SYSENTER_CS: 0x482a, VMX_PREEMPTION_TIMER_VALUE: 0x482e,
      HOST_IA32_SYSENTER_CS: 0x4c00, CR3_TARGET_VALUE3: 0x600e, EXIT_QUALIFICATION: 0x6400,
      GUEST_LINEAR_ADDRESS: 0x640a, GUEST_RFLAGS: 0x6820, GUEST_SYSENTER_EIP: 0x6826, HOST_RIP: 0x6c16,
    };
    for (const [id, enc] of Object.entries(linux)) expect(lookupField(id).encoding, id).to.equal(enc);
  });

  it('reports the highest index for IA32_VMX_VMCS_ENUM', () => {
    const max = Math.max(...VMCS_FIELDS.map((f) => (f.encoding >> 1) & 0x1ff));
    expect(MAX_FIELD_INDEX).to.equal(max);
    expect(MAX_FIELD_INDEX).to.equal(0x29); // injected-event data, 0x2052
  });
});

describe('decodeEncoding', () => {
  it('splits the encoding into access, index, type and width', () => {
    expect(decodeEncoding(0x681e)).to.deep.equal({
      access: 'full', index: 0x0f, type: 'guest-state', width: 'natural-width',
      reservedBitsSet: false, invalidHighAccess: false,
    });
    expect(decodeEncoding(0x2001)).to.include({ access: 'high', width: '64-bit', type: 'control', index: 0 });
  });

  it('flags reserved bits 12 and 31:15', () => {
    expect(decodeEncoding(0x681e | 0x1000).reservedBitsSet).to.equal(true);
    expect(decodeEncoding(0x681e | 0x8000).reservedBitsSet).to.equal(true);
    expect(decodeEncoding((0x681e | 0x80000000) >>> 0).reservedBitsSet).to.equal(true);
    expect(decodeEncoding(0x7fff & ~0x1000).reservedBitsSet).to.equal(false);
  });

  it('flags a high access to a field that is not 64-bit', () => {
    expect(decodeEncoding(0x681f).invalidHighAccess).to.equal(true);
    expect(decodeEncoding(0x4403).invalidHighAccess).to.equal(true);
    expect(decodeEncoding(0x2801).invalidHighAccess).to.equal(false);
  });
});

describe('lookupField', () => {
  it('accepts the SDM name, the id, an alias and a hex encoding', () => {
    expect(lookupField('Guest RIP').encoding).to.equal(0x681e);
    expect(lookupField('GUEST_RIP').encoding).to.equal(0x681e);
    expect(lookupField('guest-rip').encoding).to.equal(0x681e);
    expect(lookupField('0x681E').id).to.equal('GUEST_RIP');
    expect(lookupField('Exit reason').id).to.equal('VM_EXIT_REASON');
    expect(lookupField('VM-instruction error').encoding).to.equal(0x4400);
    expect(lookupField('I/O bitmap A address').id).to.equal('IO_BITMAP_A');
    expect(lookupField('Address of I/O bitmap A (high)').encoding).to.equal(0x2001);
    expect(lookupField('GUEST_IA32_EFER_HIGH').encoding).to.equal(0x2807);
    expect(lookupField('EPTP_HIGH').encoding).to.equal(0x201b);
  });

  it('rejects unknown names with suggestions', () => {
    let err: unknown;
    try {
      lookupField('GUEST_RIPP');
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(UnknownNameError);
    const u = err as UnknownNameError;
    expect(u.message).to.match(/^unknown VMCS field "GUEST_RIPP"; did you mean: /);
    expect(u.suggestions.slice(0, 2)).to.have.members(['GUEST_RIP', 'Guest RIP']);
    expect(() => lookupField('0x681f')).to.throw(UnknownNameError, /0x681f/);
  });
});

describe('widthBits', () => {
  it('gives the size VMREAD/VMWRITE transfer', () => {
    expect(widthBits(lookupField('Guest ES selector'))).to.equal(16);
    expect(widthBits(lookupField('Exit reason'))).to.equal(32);
    expect(widthBits(lookupField('TSC offset'))).to.equal(64);
    expect(widthBits(lookupField('TSC_OFFSET_HIGH'))).to.equal(32);
    expect(widthBits(lookupField('Guest RIP'))).to.equal(64);
  });
});
