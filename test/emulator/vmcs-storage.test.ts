/** VMCS storage: layout, launch state, data across VMCLEAR/VMPTRLD and processors, IA32_VMX_VMCS_ENUM. */
import { describe, it } from 'node:test';
import { expect } from 'chai';
import { MSR, VMCS_ENUM, VMCS_FIELDS, VMX_BASIC } from '../../src/arch';
import { FIELD_COUNT, REGION_BYTES_USED, denseOfEncoding } from '../../src/emulator/vmcs/layout';
import { vmclear, vmptrld } from '../../src/emulator/vmx/vmcs-pointer';
import { vmxon } from '../../src/emulator/vmx/operation';
import { vmread, vmwrite } from '../../src/emulator/vmx/vmread-vmwrite';
import { R_SUCCEED } from '../../src/emulator/vmx/conventions';
import { VMCS_REGION, VMCS_REGION_2, enterRoot, newMachine, r, w, writeRevision } from './fixture';

describe('VMCS layout', () => {
  it('every field has one dense index; the high access of a 64-bit field shares it', () => {
    const seen = new Set<number>();
    for (const f of VMCS_FIELDS) {
      const d = denseOfEncoding(f.encoding);
      if (f.access === 'full') {
        expect(seen.has(d), f.id).to.equal(false);
        seen.add(d);
      } else {
        expect(d).to.equal(denseOfEncoding(f.encoding & ~1));
      }
    }
    expect(seen.size).to.equal(FIELD_COUNT);
  });
  it('the region layout fits the size IA32_VMX_BASIC reports', () => {
    for (const p of ['xeon-sapphire-rapids', 'minimal']) {
      expect(REGION_BYTES_USED).to.be.at.most(VMX_BASIC.regionSize(newMachine(p).caps.msr(MSR.IA32_VMX_BASIC)!));
    }
  });
});

describe('VMCS contents and launch state', () => {
  it('data survives VMCLEAR and a later VMPTRLD; VMCLEAR makes the launch state clear', () => {
    const m = newMachine();
    const cpu = m.cpus[0];
    enterRoot(m, cpu);
    w(cpu, 'GUEST_RIP', 0x1234_5678_9abcn);
    w(cpu, 'TSC_OFFSET', 0xfedc_ba98_7654_3210n);
    cpu.current!.launched = true;
    expect(vmclear(cpu, VMCS_REGION, 0)).to.equal(R_SUCCEED);
    expect(cpu.current).to.equal(null);
    expect(vmptrld(cpu, VMCS_REGION, 0)).to.equal(R_SUCCEED);
    expect(r(cpu, 'GUEST_RIP')).to.equal(0x1234_5678_9abcn);
    expect(r(cpu, 'TSC_OFFSET')).to.equal(0xfedc_ba98_7654_3210n);
    expect(cpu.current!.launched).to.equal(false);
  });
  it('several VMCSs on one processor keep their own data; switching with VMPTRLD keeps the launch state', () => {
    const m = newMachine();
    const cpu = m.cpus[0];
    enterRoot(m, cpu);
    writeRevision(m, VMCS_REGION_2);
    w(cpu, 'GUEST_RSP', 1);
    cpu.current!.launched = true;
    vmclear(cpu, VMCS_REGION_2, 0);
    vmptrld(cpu, VMCS_REGION_2, 0);
    w(cpu, 'GUEST_RSP', 2);
    vmptrld(cpu, VMCS_REGION, 0);
    expect(r(cpu, 'GUEST_RSP')).to.equal(1n);
    expect(cpu.current!.launched).to.equal(true);
    vmptrld(cpu, VMCS_REGION_2, 0);
    expect(r(cpu, 'GUEST_RSP')).to.equal(2n);
    expect(cpu.current!.launched).to.equal(false);
  });
  it('a VMCS cleared on one processor can be loaded with its data on another', () => {
    const m = newMachine('xeon-sapphire-rapids', 2);
    const [a, b] = m.cpus;
    enterRoot(m, a);
    w(a, 'GUEST_RIP', 0x777);
    vmclear(a, VMCS_REGION, 0);
    b.regs.cr4 |= 1 << 13;
    m.memory.write32(0x13000, m.caps.revisionId);
    expect(vmxon(b, 0x13000, 0)).to.equal(R_SUCCEED);
    expect(vmptrld(b, VMCS_REGION, 0)).to.equal(R_SUCCEED);
    expect(r(b, 'GUEST_RIP')).to.equal(0x777n);
  });
});

describe('IA32_VMX_VMCS_ENUM', () => {
  it('reports the highest index of any field the profile supports, and every supported field is accessible', () => {
    for (const p of ['xeon-sapphire-rapids', 'minimal']) {
      const m = newMachine(p);
      const cpu = m.cpus[0];
      enterRoot(m, cpu);
      const enumIndex = VMCS_ENUM.highestIndex(m.caps.msr(MSR.IA32_VMX_VMCS_ENUM)!);
      let highest = 0;
      for (const f of VMCS_FIELDS) {
        const supported = m.caps.encodingTable[f.encoding] >= 0;
        if (supported) highest = Math.max(highest, (f.encoding >>> 1) & 0x1ff);
        expect(vmread(cpu, f.encoding, 0), `${p} ${f.id}`).to.equal(supported ? R_SUCCEED : 2);
      }
      expect(enumIndex, p).to.equal(highest);
    }
  });
  it('VMWRITE/VMREAD of the same field round-trip for every supported writable field', () => {
    const m = newMachine();
    const cpu = m.cpus[0];
    enterRoot(m, cpu);
    for (const f of VMCS_FIELDS) {
      if (f.access === 'high' || m.caps.encodingTable[f.encoding] < 0) continue;
      const value = f.width === '16-bit' ? 0xa5a5 : f.width === '32-bit' ? 0xa5a5a5a5 : 0x1234a5a5;
      expect(vmwrite(cpu, f.encoding, 0, value, 0), f.id).to.equal(R_SUCCEED);
      expect(vmread(cpu, f.encoding, 0), f.id).to.equal(R_SUCCEED);
      expect(cpu.readLo >>> 0, f.id).to.equal(value >>> 0);
    }
  });
});
