/**
 * VMX instructions executed by guest code (SDM Vol. 3C Chapter 31 "VMX Instruction Reference"): VMXON,
 * VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMLAUNCH, VMRESUME, VMCALL, VMFUNC, INVEPT, INVVPID.
 *
 * The interpreter checks what the pseudo-code checks before "ELSIF in VMX non-root operation THEN VM exit"
 * (#UD outside protected mode, in virtual-8086 mode, in compatibility mode, and in root operation when
 * CR4.VMXE = 0), then hands the instruction to Platform.interceptInstruction in both root and non-root
 * operation: in non-root operation these instructions exit (VMFUNC, VMREAD and VMWRITE only conditionally:
 * SDM 26.1.2, 26.1.3, 25.10 "VMCS Shadowing"); in root operation only the VMX layer can execute them. The
 * CPL > 0 #GP comes after the VM exit in the pseudo-code and is the platform's to raise in root operation.
 * In non-root operation the memory operand is not accessed before the exit decision (the exit happens first).
 */
import * as ns_access from './access';
import * as ns_decode from './decode';
import type { Handler, Insn } from './decode';
import * as ns_exec from './exec';
import type { Exec } from './exec';
import * as ns_flags from './flags';
import * as ns_hooks from './hooks';
import type { ExitingInstruction } from './platform';
import { fault } from './exec';
// Imported bindings rebound to module constants: under tsx/esbuild's CommonJS output each use of an
// imported name is a getter call, which costs on the hot path.
const { bigFromHalves, ea, rd64, rdSize, wrSize } = ns_access;
const { K_MEM, K_REG } = ns_decode;
const { STOPPED, UD } = ns_exec;
const { ARITH, CF, ZF, setStatus } = ns_flags;
const { interceptExited, invInfo, memoryFacts, memoryInfo, resetFacts, vmrwInfo } = ns_hooks;

const CR4_VMXE = 1 << 13;

function vmxUd(x: Exec): void {
  const r = x.regs;
  if ((r.cr0 & 1) === 0 || (r.rflags & 0x20000) !== 0) fault(x, UD, -1);
  if ((r.efer & (1 << 10)) !== 0 && !x.mode64) fault(x, UD, -1);
  if (!x.cpu.nonRoot && (r.cr4 & CR4_VMXE) === 0) fault(x, UD, -1);
}

/** Operand width of VMX register operands: 64 bits in 64-bit mode, else 32. */
function regValue(x: Exec, r: number): bigint {
  return x.mode64 ? bigFromHalves(x.lo[r], x.hi[r]) : BigInt(x.lo[r]);
}

/** VMXON, VMCLEAR, VMPTRLD, VMPTRST: one m64 operand (Table 28-13 instruction information). */
function vmxMem(what: ExitingInstruction, store: boolean): Handler {
  return (x, i) => {
    vmxUd(x);
    const la = ea(x, i);
    resetFacts(x, i, what);
    memoryFacts(x, i, la);
    const f = x.cpu.facts;
    f.instructionInfo = memoryInfo(i);
    if (!x.cpu.nonRoot && !store) {
      const lo = rd64(x, la);
      f.operand1 = bigFromHalves(lo, x.tHi);
    }
    if (interceptExited(x, i)) return STOPPED;
    if (store) {
      const v = BigInt.asUintN(64, f.operand1);
      wrSize(x, la, 8, Number(v & 0xffffffffn), Number(v >> 32n));
    }
    return 0;
  };
}
export const vmxon = vmxMem('VMXON', false);
export const vmclear = vmxMem('VMCLEAR', false);
export const vmptrld = vmxMem('VMPTRLD', false);
export const vmptrst = vmxMem('VMPTRST', true);

function vmxPlain(what: ExitingInstruction): Handler {
  return (x, i) => {
    vmxUd(x);
    if (what === 'VMFUNC' && !x.cpu.nonRoot) fault(x, UD, -1); // VMFUNC in root operation: #UD (SDM 31 VMFUNC)
    resetFacts(x, i, what);
    if (what === 'VMFUNC') {
      x.cpu.facts.operand1 = BigInt(x.lo[0]);
      x.cpu.facts.operand2 = BigInt(x.lo[1]);
    }
    if (interceptExited(x, i)) return STOPPED;
    return 0;
  };
}
export const vmlaunch = vmxPlain('VMLAUNCH');
export const vmresume = vmxPlain('VMRESUME');
export const vmxoff = vmxPlain('VMXOFF');
export const vmcall = vmxPlain('VMCALL');
export const vmfunc = vmxPlain('VMFUNC');

/** VMX conventions (SDM 31.2): VMsucceed, VMfailValid (ZF), VMfailInvalid (CF). */
function vmStatus(x: Exec, ok: boolean, error: number | undefined): void {
  setStatus(x, ARITH, ok ? 0 : error !== undefined ? ZF : CF);
}

/** VMREAD r/m, r: the register operand holds the field encoding; the r/m operand receives the value. */
export const vmread: Handler = (x, i) => {
  vmxUd(x);
  const size = x.mode64 ? 8 : 4;
  const encoding = regValue(x, i.r1);
  const la = i.k0 === K_MEM ? ea(x, i) : 0;
  resetFacts(x, i, 'VMREAD');
  const f = x.cpu.facts;
  if (i.k0 === K_MEM) memoryFacts(x, i, la);
  f.instructionInfo = vmrwInfo(i, i.k0 === K_REG, i.r0, i.r1);
  f.operand1 = encoding;
  f.destinationGpr = i.k0 === K_REG ? i.r0 : -1;
  if (interceptExited(x, i)) return STOPPED;
  x.cpu.runSteps = x.steps;
  const res = x.platform.vmreadShadow(x.cpu, encoding);
  if (res.ok) {
    const v = BigInt.asUintN(64, res.value);
    const lo = Number(v & 0xffffffffn);
    const hi = size === 8 ? Number(v >> 32n) : 0;
    if (i.k0 === K_MEM) wrSize(x, la, size, lo, hi);
    else {
      x.lo[i.r0] = lo;
      x.hi[i.r0] = hi;
    }
  }
  vmStatus(x, res.ok, res.error);
  return 0;
};

/** VMWRITE r, r/m: the register operand holds the field encoding; the r/m operand the value. */
export const vmwrite: Handler = (x, i) => {
  vmxUd(x);
  const size = x.mode64 ? 8 : 4;
  const encoding = regValue(x, i.r0);
  const la = i.k1 === K_MEM ? ea(x, i) : 0;
  resetFacts(x, i, 'VMWRITE');
  const f = x.cpu.facts;
  if (i.k1 === K_MEM) memoryFacts(x, i, la);
  f.instructionInfo = vmrwInfo(i, i.k1 === K_REG, i.r1, i.r0);
  f.operand1 = encoding;
  const readValue = (): bigint => {
    if (i.k1 === K_REG) return regValue(x, i.r1);
    const lo = rdSize(x, la, size);
    return size === 8 ? bigFromHalves(lo, x.tHi) : BigInt(lo);
  };
  if (!x.cpu.nonRoot) f.operand2 = readValue();
  if (interceptExited(x, i)) return STOPPED;
  const value = x.cpu.nonRoot ? readValue() : f.operand2;
  x.cpu.runSteps = x.steps;
  const res = x.platform.vmwriteShadow(x.cpu, encoding, value);
  vmStatus(x, res.ok, res.error);
  return 0;
};

/** INVEPT/INVVPID r, m128 (Table 28-9): type in operand1, descriptor in operand2 (bits 63:0) and operand3. */
function invalidate(what: 'INVEPT' | 'INVVPID'): Handler {
  return (x, i: Insn) => {
    vmxUd(x);
    const la = ea(x, i);
    resetFacts(x, i, what);
    memoryFacts(x, i, la);
    const f = x.cpu.facts;
    f.instructionInfo = invInfo(i);
    f.operand1 = regValue(x, i.r0);
    if (!x.cpu.nonRoot) {
      const a = rd64(x, la);
      f.operand2 = bigFromHalves(a, x.tHi);
      const b = rd64(x, la + 8);
      f.operand3 = bigFromHalves(b, x.tHi);
    }
    if (interceptExited(x, i)) return STOPPED;
    return 0;
  };
}
export const invept = invalidate('INVEPT');
export const invvpid = invalidate('INVVPID');
