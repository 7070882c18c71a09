import { describe, it } from 'node:test';
import { expect } from 'chai';
import {
  CR_ACCESS_TYPE,
  DR_ACCESS_DIRECTION,
  DT_IDENTITY,
  GPR,
  INTR_TYPE,
  IO_DIRECTION,
  IO_OPERAND_ENCODING,
  LDTR_TR_IDENTITY,
  SEG,
  TASK_SWITCH_SOURCE,
  decodeAccessRights,
  decodeApicAccess,
  decodeCrAccess,
  decodeDebug,
  decodeDescriptorTableInfo,
  decodeDrAccess,
  decodeEptViolation,
  decodeInsOutsInfo,
  decodeInterruptionInfo,
  decodeInvalidationInfo,
  decodeIo,
  decodeLdtrTrInfo,
  decodeRdrandRdseedInfo,
  decodeTaskSwitch,
  decodeVmreadVmwriteInfo,
  decodeVmxMemoryInfo,
  encodeAccessRights,
  encodeApicAccess,
  encodeCrAccess,
  encodeDebug,
  encodeDescriptorTableInfo,
  encodeDrAccess,
  encodeEptViolation,
  encodeInsOutsInfo,
  encodeInterruptionInfo,
  encodeInvalidationInfo,
  encodeIo,
  encodeLdtrTrInfo,
  encodeRdrandRdseedInfo,
  encodeTaskSwitch,
  encodeVmreadVmwriteInfo,
  encodeVmxMemoryInfo,
  exceptionHasErrorCode,
  lookupException,
  VECTOR,
  UnknownNameError,
} from '../../src/arch';

describe('exit qualifications (SDM 28.2.1)', () => {
  it('control-register accesses', () => {
    const q = { cr: 3, accessType: CR_ACCESS_TYPE.MOV_FROM_CR, lmswMemoryOperand: false, gpr: GPR.R12, lmswSourceData: 0 };
    expect(encodeCrAccess(q)).to.equal(3 | (1 << 4) | (12 << 8));
    expect(decodeCrAccess(encodeCrAccess(q))).to.deep.equal(q);
    const lmsw = { cr: 0, accessType: CR_ACCESS_TYPE.LMSW, lmswMemoryOperand: true, gpr: 0, lmswSourceData: 0xfff1 };
    expect(encodeCrAccess(lmsw)).to.equal(((0xfff1 << 16) | (3 << 4) | (1 << 6)) >>> 0);
    expect(decodeCrAccess(encodeCrAccess(lmsw))).to.deep.equal(lmsw);
  });

  it('MOV DR', () => {
    const q = { dr: 7, direction: DR_ACCESS_DIRECTION.MOV_FROM_DR, gpr: GPR.RBX };
    expect(encodeDrAccess(q)).to.equal(7 | (1 << 4) | (3 << 8));
    expect(decodeDrAccess(encodeDrAccess(q))).to.deep.equal(q);
  });

  it('I/O instructions', () => {
    const q = { size: 2 as const, direction: IO_DIRECTION.IN, string: true, rep: true, operandEncoding: IO_OPERAND_ENCODING.DX, port: 0x3f8 };
    expect(encodeIo(q)).to.equal(1 | (1 << 3) | (1 << 4) | (1 << 5) | (0x3f8 << 16));
    expect(decodeIo(encodeIo(q))).to.deep.equal(q);
    const imm = { size: 4 as const, direction: IO_DIRECTION.OUT, string: false, rep: false, operandEncoding: IO_OPERAND_ENCODING.IMMEDIATE, port: 0xffff };
    expect(decodeIo(encodeIo(imm))).to.deep.equal(imm);
  });

  it('task switches', () => {
    const q = { selector: 0x28, source: TASK_SWITCH_SOURCE.TASK_GATE_IN_IDT };
    expect(encodeTaskSwitch(q)).to.equal((0x28 | 0xc0000000) >>> 0);
    expect(decodeTaskSwitch(encodeTaskSwitch(q))).to.deep.equal(q);
  });

  it('EPT violations', () => {
    const q = decodeEptViolation(0);
    for (const k of Object.keys(q) as (keyof typeof q)[]) {
      const one = { ...q, [k]: true };
      const v = encodeEptViolation(one);
      expect(v & (v - 1), k).to.equal(0);
      expect(decodeEptViolation(v), k).to.deep.equal(one);
    }
    expect(encodeEptViolation({ write: true, readable: true, guestLinearAddressValid: true, translatedAccess: true })).to.equal(0x18a);
    expect(encodeEptViolation({ nmiUnblocking: true })).to.equal(1 << 12);
  });

  it('debug exceptions and APIC accesses', () => {
    const d = { breakpoints: 0b1010, bd: true, bs: true, rtm: false };
    expect(encodeDebug(d)).to.equal(0b1010 | (1 << 13) | (1 << 14));
    expect(decodeDebug(encodeDebug(d))).to.deep.equal(d);
    const a = { offset: 0x80, accessType: 1, asynchronous: false };
    expect(encodeApicAccess(a)).to.equal(0x1080);
    expect(decodeApicAccess(encodeApicAccess(a))).to.deep.equal(a);
  });
});

describe('VM-exit instruction information (SDM 28.2.5)', () => {
  const mem = { segment: SEG.DS, base: GPR.RBX, index: GPR.RSI, scale: 4 as const };

  it('INS/OUTS', () => {
    const i = { addressSize: 32 as const, segment: SEG.ES };
    expect(encodeInsOutsInfo(i)).to.equal(1 << 7);
    expect(decodeInsOutsInfo(encodeInsOutsInfo({ addressSize: 64, segment: SEG.GS }))).to.deep.equal({ addressSize: 64, segment: 5 });
  });

  it('INVEPT/INVPCID/INVVPID', () => {
    const op = { addressSize: 64 as const, memory: mem, reg2: GPR.R9 };
    const v = encodeInvalidationInfo(op);
    expect(v).to.equal((2 | (2 << 7) | (3 << 15) | (6 << 18) | (3 << 23) | (9 << 28)) >>> 0);
    expect(decodeInvalidationInfo(v)).to.deep.include(op);
    const noBaseNoIndex = { addressSize: 64 as const, memory: { segment: SEG.SS, scale: 1 as const }, reg2: 0 };
    const w = encodeInvalidationInfo(noBaseNoIndex);
    expect(w & ((1 << 22) | (1 << 27))).to.equal((1 << 22) | (1 << 27));
    expect(decodeInvalidationInfo(w).memory).to.deep.equal({ segment: SEG.SS, scale: 1 });
  });

  it('LIDT/LGDT/SIDT/SGDT', () => {
    const op = { addressSize: 16 as const, memory: { segment: SEG.CS, base: GPR.RBP, scale: 1 as const }, identity: DT_IDENTITY.LIDT, operandSize: 32 as const };
    const v = encodeDescriptorTableInfo(op);
    expect((v >>> 28) & 3).to.equal(3);
    expect(v & (1 << 11)).to.equal(1 << 11);
    expect(decodeDescriptorTableInfo(v)).to.deep.include(op);
  });

  it('LLDT/LTR/SLDT/STR in memory and register forms', () => {
    const m = { addressSize: 32 as const, memory: mem, identity: LDTR_TR_IDENTITY.LTR };
    expect(decodeLdtrTrInfo(encodeLdtrTrInfo(m))).to.deep.include(m);
    const r = { addressSize: 64 as const, reg1: GPR.RAX, identity: LDTR_TR_IDENTITY.SLDT };
    const v = encodeLdtrTrInfo(r);
    expect(v & (1 << 10)).to.equal(1 << 10);
    expect(decodeLdtrTrInfo(v)).to.deep.equal(r);
  });

  it('RDRAND/RDSEED', () => {
    const i = { register: GPR.R15, operandSize: 64 as const };
    expect(encodeRdrandRdseedInfo(i)).to.equal((15 << 3) | (2 << 11));
    expect(decodeRdrandRdseedInfo(encodeRdrandRdseedInfo(i))).to.deep.equal(i);
  });

  it('VMCLEAR/VMPTRLD/VMPTRST/VMXON/XRSTORS/XSAVES', () => {
    const op = { addressSize: 64 as const, memory: mem };
    expect(decodeVmxMemoryInfo(encodeVmxMemoryInfo(op))).to.deep.include(op);
    expect(encodeVmxMemoryInfo(op) & (1 << 10)).to.equal(0);
    expect(() => encodeVmxMemoryInfo({ addressSize: 64 })).to.throw(RangeError);
  });

  it('VMREAD/VMWRITE in memory and register forms', () => {
    const m = { addressSize: 64 as const, memory: mem, reg2: GPR.RDX };
    expect(decodeVmreadVmwriteInfo(encodeVmreadVmwriteInfo(m))).to.deep.include(m);
    const r = { addressSize: 64 as const, reg1: GPR.RCX, reg2: GPR.RDX };
    const v = encodeVmreadVmwriteInfo(r);
    expect(v).to.equal(((1 << 3) | (2 << 7) | (1 << 10) | (2 << 28)) >>> 0);
    expect(decodeVmreadVmwriteInfo(v)).to.deep.equal(r);
  });
});

describe('events and x86 facts', () => {
  it('round-trips interruption information', () => {
    const i = { vector: VECTOR.GP, type: INTR_TYPE.HARDWARE_EXCEPTION, errorCodeValid: true, nmiUnblocking: false, valid: true };
    expect(encodeInterruptionInfo(i)).to.equal(0x80000b0d);
    expect(decodeInterruptionInfo(0x80000b0d)).to.deep.equal(i);
    expect(encodeInterruptionInfo({ vector: 2, type: INTR_TYPE.NMI, valid: false })).to.equal(0x202);
  });

  it('round-trips segment access rights', () => {
    const ar = { type: 11, s: true, dpl: 3, p: true, avl: false, l: true, db: false, g: true, unusable: false };
    expect(encodeAccessRights(ar)).to.equal(0xa0fb);
    expect(decodeAccessRights(0xa0fb)).to.deep.equal(ar);
    expect(decodeAccessRights(0x10000).unusable).to.equal(true);
  });

  it('looks up exceptions and knows which push an error code', () => {
    for (const t of ['#GP', 'GP', 'general-protection', 'General Protection', '13']) expect(lookupException(t).vector, t).to.equal(13);
    expect(lookupException('#PF').errorCode).to.equal(true);
    expect(lookupException('#UD').errorCode).to.equal(false);
    expect([8, 10, 11, 12, 13, 14, 17, 21].every(exceptionHasErrorCode)).to.equal(true);
    expect([0, 1, 2, 3, 6, 7, 18, 19, 20].some(exceptionHasErrorCode)).to.equal(false);
    expect(() => lookupException('#GPF')).to.throw(UnknownNameError, /did you mean: "#GP"/);
  });
});
