import { describe, it } from 'node:test';
import { expect } from 'chai';
import {
  AmbiguousNameError,
  CONTROLS,
  CONTROL_FIELDS,
  CONTROL_NAMES,
  ControlField,
  ENTRY_CTL,
  EXIT_CTL,
  PIN,
  PROC,
  PROC2,
  PROC3,
  RESERVED_DEFAULT1_BITS,
  UnknownNameError,
  controlsOf,
  lookupControl,
  namedDefault1Mask,
} from '../../src/arch';

const FIELDS = Object.keys(CONTROL_FIELDS) as ControlField[];

describe('control bits (SDM 25.6-25.8)', () => {
  it('has each bit at most once per field, with single-bit masks', () => {
    for (const field of FIELDS) {
      const bits = controlsOf(field).map((c) => c.bit);
      expect(new Set(bits).size, field).to.equal(bits.length);
      for (const b of bits) expect(b).to.be.within(0, field === 'tertiary processor-based' ? 63 : 31);
    }
    for (const masks of [PIN, PROC, PROC2, EXIT_CTL, ENTRY_CTL]) {
      for (const [id, m] of Object.entries(masks)) {
        expect(m, id).to.be.above(0);
        expect(m & (m - 1), id).to.equal(0);
        expect(m, id).to.be.at.most(0x80000000);
      }
    }
    for (const [id, m] of Object.entries(PROC3)) expect(m & (m - 1n), id).to.equal(0n);
  });

  it('has unique ids and names within each field', () => {
    for (const field of FIELDS) {
      const cs = controlsOf(field);
      expect(new Set(cs.map((c) => c.id)).size, field).to.equal(cs.length);
      expect(new Set(cs.map((c) => c.name)).size, field).to.equal(cs.length);
    }
  });

  it('matches Linux bit values', () => {
    expect(PIN.EXTERNAL_INTERRUPT_EXITING).to.equal(0x1);
    expect(PIN.VIRTUAL_NMIS).to.equal(0x20);
    expect(PROC.HLT_EXITING).to.equal(0x80);
    expect(PROC.USE_TPR_SHADOW).to.equal(0x00200000);
    expect(PROC.USE_MSR_BITMAPS).to.equal(0x10000000);
    expect(PROC.ACTIVATE_SECONDARY_CONTROLS).to.equal(0x80000000);
    expect(PROC2.ENABLE_EPT).to.equal(0x2);
    expect(PROC2.UNRESTRICTED_GUEST).to.equal(0x80);
    expect(PROC2.PAUSE_LOOP_EXITING).to.equal(0x400);
    expect(PROC2.VMM_BUS_LOCK_DETECTION).to.equal(0x40000000);
    expect(PROC3.IPI_VIRTUALIZATION).to.equal(0x10n);
    expect(EXIT_CTL.HOST_ADDRESS_SPACE_SIZE).to.equal(0x200);
    expect(EXIT_CTL.ACKNOWLEDGE_INTERRUPT_ON_EXIT).to.equal(0x8000);
    expect(EXIT_CTL.SAVE_VMX_PREEMPTION_TIMER_VALUE).to.equal(0x00400000);
    expect(ENTRY_CTL.IA32E_MODE_GUEST).to.equal(0x200);
    expect(ENTRY_CTL.LOAD_IA32_EFER).to.equal(0x8000);
    expect(ENTRY_CTL.LOAD_FRED).to.equal(0x00800000);
  });

  it('CONTROL_FIELDS default1 masks equal the default1-marked bits plus the reserved default1 bits', () => {
    for (const field of FIELDS) {
      const named = namedDefault1Mask(field);
      expect(named & RESERVED_DEFAULT1_BITS[field], field).to.equal(0);
      expect((named | RESERVED_DEFAULT1_BITS[field]) >>> 0, field).to.equal(CONTROL_FIELDS[field].default1Mask);
    }
    expect(CONTROL_FIELDS['pin-based'].default1Mask).to.equal(0x16);
    expect(CONTROL_FIELDS['primary processor-based'].default1Mask).to.equal(0x0401e172);
    expect(CONTROL_FIELDS['VM-exit'].default1Mask).to.equal(0x00036dff);
    expect(CONTROL_FIELDS['VM-entry'].default1Mask).to.equal(0x000011ff);
    expect(CONTROLS.filter((c) => c.default1).map((c) => c.id)).to.have.members([
      'CR3_LOAD_EXITING', 'CR3_STORE_EXITING', 'SAVE_DEBUG_CONTROLS', 'LOAD_DEBUG_CONTROLS',
    ]);
  });

  it('names the VMCS fields and capability MSRs of each control field', () => {
    expect(CONTROL_FIELDS['pin-based']).to.include({ encoding: 0x4000, capabilityMsr: 0x481, trueCapabilityMsr: 0x48d });
    expect(CONTROL_FIELDS['primary processor-based']).to.include({ encoding: 0x4002, capabilityMsr: 0x482, trueCapabilityMsr: 0x48e });
    expect(CONTROL_FIELDS['VM-exit']).to.include({ encoding: 0x400c, capabilityMsr: 0x483, trueCapabilityMsr: 0x48f });
    expect(CONTROL_FIELDS['VM-entry']).to.include({ encoding: 0x4012, capabilityMsr: 0x484, trueCapabilityMsr: 0x490 });
    expect(CONTROL_FIELDS['secondary processor-based']).to.include({ encoding: 0x401e, capabilityMsr: 0x48b });
    expect(CONTROL_FIELDS['secondary processor-based'].trueCapabilityMsr).to.equal(undefined);
    expect(CONTROL_FIELDS['tertiary processor-based']).to.include({ encoding: 0x2034, capabilityMsr: 0x492, bits: 64 });
  });
});

describe('lookupControl', () => {
  it('accepts SDM names, ids, kebab case and aliases', () => {
    for (const token of ['HLT exiting', 'HLT_EXITING', 'hlt-exiting', 'hlt exiting', '"HLT exiting"']) {
      expect(lookupControl(token), token).to.include({ id: 'HLT_EXITING', bit: 7, field: 'primary processor-based' });
    }
    expect(lookupControl('Use TPR shadow').bit).to.equal(21);
    expect(lookupControl('Enable EPT').field).to.equal('secondary processor-based');
    expect(lookupControl('Enable XSAVES/XRSTORS').bit).to.equal(20);
    expect(lookupControl('Unconditional I/O exiting').bit).to.equal(24);
    expect(lookupControl('IA-32e mode guest').field).to.equal('VM-entry');
    expect(lookupControl('Acknowledge interrupt on exit').field).to.equal('VM-exit');
    expect(lookupControl('Activate VMX-preemption timer').field).to.equal('pin-based');
    expect(lookupControl('IPI virtualization').field).to.equal('tertiary processor-based');
    expect(lookupControl('SECONDARY_EXEC_ENABLE_VPID').id).to.equal('ENABLE_VPID');
    expect(lookupControl('CPU_BASED_TPR_SHADOW').id).to.equal('USE_TPR_SHADOW');
  });

  it('looks up every control by its own name and id', () => {
    for (const c of CONTROLS) {
      expect(lookupControl(c.name, c.field)).to.equal(c);
      expect(lookupControl(c.id, c.field)).to.equal(c);
      expect(lookupControl(`${c.field}: ${c.name}`)).to.equal(c);
    }
  });

  it('requires a field for names shared by several control fields', () => {
    expect(() => lookupControl('Load IA32_EFER')).to.throw(AmbiguousNameError, /VM-exit: Load IA32_EFER/);
    expect(lookupControl('Load IA32_EFER', 'VM-entry').bit).to.equal(15);
    expect(lookupControl('VM-exit: Load IA32_EFER').bit).to.equal(21);
    expect(lookupControl('ENTRY_CTL.LOAD_IA32_EFER').field).to.equal('VM-entry');
    expect(lookupControl('primary: Activate secondary controls').bit).to.equal(31);
    const ambiguous = new Set(CONTROL_NAMES.ambiguous());
    for (const c of CONTROLS) {
      const shared = CONTROLS.filter((o) => o !== c && o.name === c.name).length > 0;
      expect(ambiguous.has(c.name.toLowerCase().replace(/[^a-z0-9]/g, '')), c.name).to.equal(shared);
    }
  });

  it('reports unknown names with suggestions', () => {
    expect(() => lookupControl('HLT exitting')).to.throw(UnknownNameError, /unknown VMX control "HLT exitting"; did you mean: .*HLT/);
    expect(() => lookupControl('HLT exiting', 'VM-entry')).to.throw(UnknownNameError);
  });
});
