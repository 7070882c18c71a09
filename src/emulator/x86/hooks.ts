/**
 * Calling the platform from an instruction: the VM-exit decision (Platform.interceptInstruction) with the
 * facts it needs, including the VM-exit instruction-information field (SDM Vol. 3C 28.2.5), whose layouts
 * src/arch/instruction-info.ts encodes; here the decoded operands are mapped onto them.
 *
 * Before a hook: RFLAGS is materialized and cpu.regs.rip is the instruction's own address (what a VM exit
 * saves as guest RIP for an instruction-caused exit). After CONTINUE, RIP is the next instruction again.
 */
import { Code } from 'iced-x86';
import {
  encodeDescriptorTableInfo, encodeInsOutsInfo, encodeInvalidationInfo, encodeLdtrTrInfo, encodeRdrandRdseedInfo,
  encodeVmreadVmwriteInfo, encodeVmxMemoryInfo,
} from '../../arch';
import * as ns_decode from './decode';
import type { Insn } from './decode';
import * as ns_exec from './exec';
import type { Exec } from './exec';
import * as ns_flags from './flags';
import * as ns_platform from './platform';
import type { ExitingInstruction, HookResult } from './platform';
import { fault } from './exec';
// Imported bindings rebound to module constants: under tsx/esbuild's CommonJS output each use of an
// imported name is a getter call, which costs on the hot path.
const { BASE_RIP, K_MEM } = ns_decode;
const { GP } = ns_exec;
const { materialize } = ns_flags;
const { CONTINUE, EXITED, FAULTED } = ns_platform;

/** Clear the facts that vary per instruction. */
export function resetFacts(x: Exec, i: Insn, what: ExitingInstruction): void {
  const f = x.cpu.facts;
  f.instruction = what;
  f.length = i.len;
  f.rip = x.ripCur + (x.mode64 ? 0 : x.regs.segBaseView[1]);
  f.memoryOperand = false;
  f.linearAddress = 0n;
  f.displacement = 0n;
  f.instructionInfo = 0;
  f.destinationGpr = -1;
  f.addressSize = i.addr;
  f.segment = i.seg;
  f.faultVector = -1;
  f.faultErrorCode = -1;
}

/** Prepare the processor state a hook may observe. */
export function beforeHook(x: Exec): void {
  materialize(x);
  x.cpu.runSteps = x.steps;
  x.regs.rip = x.ripCur;
  x.cpu.facts.faultVector = -1;
  x.cpu.facts.faultErrorCode = -1;
}

/**
 * Act on a hook result. EXITED: returns true, and the handler must return STOPPED at once (the processor
 * left the context the instruction ran in: a VM exit, or VMLAUNCH/VMRESUME entered a guest). FAULTED raises
 * the requested exception. CONTINUE resumes: RIP is the next instruction again, returns false.
 *
 * A VM exit is reported by return value, not by throwing: a VM exit is the common end of a guest's run,
 * and a throw costs V8 a message object and a stack walk each time (a third of an exit round trip).
 */
export function afterHook(x: Exec, i: Insn, r: HookResult): boolean {
  if (r === EXITED) return true;
  if (r === FAULTED) {
    const f = x.cpu.facts;
    if (f.faultVector >= 0) fault(x, f.faultVector, f.faultErrorCode);
    fault(x, GP, 0);
  }
  x.regs.rip = x.ripCur + i.len;
  return false;
}

/**
 * Ask the platform whether the instruction causes a VM exit (facts filled by the caller after resetFacts).
 * True when it did: the handler returns STOPPED at once, without any effect of its own.
 *   if (interceptExited(x, i)) return STOPPED;
 */
export function interceptExited(x: Exec, i: Insn): boolean {
  beforeHook(x);
  return afterHook(x, i, x.platform.interceptInstruction(x.cpu));
}

/** Run a platform call that may fault or exit (writeCr): true when it performed a VM exit (return STOPPED). */
export function checkedExited(x: Exec, i: Insn, r: HookResult): boolean {
  return r !== CONTINUE && afterHook(x, i, r);
}

// ---- instruction information (SDM 28.2.5), encoded by src/arch ----

type AddressSize = 16 | 32 | 64;
type Scale = 1 | 2 | 4 | 8;

function addressSize(i: Insn): AddressSize {
  return (i.addr * 8) as AddressSize;
}

/** The memory operand as src/arch describes it: segment, base and index (absent when invalid), scale. */
function memoryOperand(i: Insn): { segment: number; base?: number; index?: number; scale: Scale } {
  const m: { segment: number; base?: number; index?: number; scale: Scale } = { segment: i.seg & 7, scale: (i.index >= 0 ? i.scale : 1) as Scale };
  if (i.base >= 0 && i.base !== BASE_RIP) m.base = i.base; // RIP-relative: base register invalid
  if (i.index >= 0) m.index = i.index;
  return m;
}

/**
 * Fill the memory-operand facts: linear address, displacement (exit qualification), segment, address size.
 * For RIP-relative addressing the qualification is the displacement plus the RIP of the next instruction
 * (SDM 28.2.1, Table "Exit Qualification for VM Exits Due to … INVEPT … XSAVES").
 */
export function memoryFacts(x: Exec, i: Insn, la: number): void {
  const f = x.cpu.facts;
  f.memoryOperand = true;
  f.linearAddress = BigInt.asUintN(64, BigInt(la));
  f.displacement = BigInt.asUintN(64, BigInt(i.base === BASE_RIP ? x.ripCur + i.len + i.disp : i.disp));
  f.segment = i.seg;
  f.addressSize = i.addr;
}

/** VMCLEAR, VMPTRLD, VMPTRST, VMXON, XRSTORS, XSAVES. */
export function memoryInfo(i: Insn): number {
  return encodeVmxMemoryInfo({ addressSize: addressSize(i), memory: memoryOperand(i) });
}

/** INS/OUTS: address size; the segment for OUTS (undefined, written 0, for INS). */
export function ioStringInfo(i: Insn, isOut: boolean): number {
  return encodeInsOutsInfo({ addressSize: addressSize(i), segment: isOut ? i.seg & 7 : 0 });
}

/** LGDT/LIDT/SGDT/SIDT: identity 0 SGDT, 1 SIDT, 2 LGDT, 3 LIDT; operand size from the encoding (66h in 16/32-bit code). */
export function descriptorTableInfo(i: Insn, identity: number): number {
  const size16 = i.bitness !== 64 && (Code[i.code] ?? '').endsWith('_16');
  return encodeDescriptorTableInfo({ addressSize: addressSize(i), memory: memoryOperand(i), identity, operandSize: size16 ? 16 : 32 });
}

/** LLDT/LTR/SLDT/STR: identity 0 SLDT, 1 STR, 2 LLDT, 3 LTR; register operand in bits 6:3. */
export function ldtTrInfo(i: Insn, identity: number): number {
  return i.k0 === K_MEM
    ? encodeLdtrTrInfo({ addressSize: addressSize(i), memory: memoryOperand(i), identity })
    : encodeLdtrTrInfo({ addressSize: addressSize(i), reg1: i.r0, identity });
}

/** RDRAND/RDSEED: destination register and operand size. */
export function randInfo(i: Insn): number {
  return encodeRdrandRdseedInfo({ register: i.r0, operandSize: (i.s0 * 8) as 16 | 32 | 64 });
}

/** INVEPT/INVPCID/INVVPID: memory operand plus reg2 (the type register). */
export function invInfo(i: Insn): number {
  return encodeInvalidationInfo({ addressSize: addressSize(i), memory: memoryOperand(i), reg2: i.r0 });
}

/** VMREAD/VMWRITE: reg1 when the r/m operand is a register, else the memory operand; reg2 in bits 31:28. */
export function vmrwInfo(i: Insn, rmIsReg: boolean, rmReg: number, reg2: number): number {
  return rmIsReg
    ? encodeVmreadVmwriteInfo({ addressSize: addressSize(i), reg1: rmReg, reg2 })
    : encodeVmreadVmwriteInfo({ addressSize: addressSize(i), memory: memoryOperand(i), reg2 });
}
