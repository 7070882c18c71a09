/**
 * Binding a decoded instruction to its handler: one table from iced mnemonic to a chooser that looks at the
 * operand kinds. Anything not listed, or with an operand the interpreter does not model (x87, MMX/SSE/AVX
 * registers, far pointers), gets the `unsupported` handler, which throws UnsupportedInstructionError with the
 * instruction's text — never a silent no-op. Undefined opcodes (iced Code.INVALID) raise #UD.
 */
import { Code, Mnemonic } from 'iced-x86';
import * as ns_decode from './decode';
import type { Handler, Insn } from './decode';
import * as ns_exec from './exec';
import * as A from './handlers-alu';
import * as F from './handlers-flow';
import * as S from './handlers-string';
import * as Y from './handlers-system';
import * as V from './handlers-vmx';
import * as ns_alu from './alu';
import { fault, UnsupportedInstructionError } from './exec';
// Imported bindings rebound to module constants: under tsx/esbuild's CommonJS output each use of an
// imported name is a getter call, which costs on the hot path.
const { K_MEM, K_NONE, K_REG, K_SREG, K_CR, K_DR, K_STR, K_BRANCH, insnText } = ns_decode;
const { UD } = ns_exec;
const { OP_ADC, OP_ADD, OP_AND, OP_CMP, OP_OR, OP_SBB, OP_SUB, OP_TEST, OP_XOR, SH_RCL, SH_RCR, SH_ROL, SH_ROR, SH_SAR, SH_SHL, SH_SHR } = ns_alu;

export const unsupported: Handler = (x, i) => {
  throw new UnsupportedInstructionError(insnText(i.bytes, i.bitness, x.ripCur));
};
export const invalidOpcode: Handler = (x) => fault(x, UD, -1);

type Chooser = (i: Insn) => Handler | undefined;

const M = Mnemonic as unknown as Record<string, number>;
const table = new Map<number, Chooser>();
function on(names: string | string[], choose: Chooser): void {
  for (const n of Array.isArray(names) ? names : [names]) {
    const m = M[n];
    if (m === undefined) throw new Error(`iced has no mnemonic ${n}`);
    table.set(m, choose);
  }
}
const always = (h: Handler): Chooser => () => h;

// Data movement and arithmetic.
on('Mov', (i) => {
  if (i.k0 === K_CR) return Y.movToCr;
  if (i.k1 === K_CR) return Y.movFromCr;
  if (i.k0 === K_DR) return Y.movToDr;
  if (i.k1 === K_DR) return Y.movFromDr;
  if (i.k0 === K_SREG) return Y.movToSreg;
  if (i.k1 === K_SREG) return Y.movFromSreg;
  return A.movHandler(i);
});
on('Movzx', always(A.movzx));
on(['Movsx', 'Movsxd'], always(A.movsx));
on('Lea', always(A.lea));
on('Xchg', always(A.xchg));
on('Xadd', always(A.xadd));
on('Cmpxchg', always(A.cmpxchg));
on('Bswap', always(A.bswap));
const aluOps: [string, number][] = [['Add', OP_ADD], ['Or', OP_OR], ['Adc', OP_ADC], ['Sbb', OP_SBB], ['And', OP_AND], ['Sub', OP_SUB], ['Xor', OP_XOR], ['Cmp', OP_CMP], ['Test', OP_TEST]];
for (const [n, op] of aluOps) on(n, (i) => A.aluHandler(op, i));
on('Inc', (i) => A.incDecHandler(false, i));
on('Dec', (i) => A.incDecHandler(true, i));
on('Neg', always(A.negH));
on('Not', always(A.notH));
const shifts: [string, number][] = [['Rol', SH_ROL], ['Ror', SH_ROR], ['Rcl', SH_RCL], ['Rcr', SH_RCR], ['Shl', SH_SHL], ['Sal', SH_SHL], ['Shr', SH_SHR], ['Sar', SH_SAR]];
for (const [n, op] of shifts) on(n, always(A.SHIFTS[op]));
on('Imul', (i) => (i.opCount === 1 ? A.imul1 : A.imulN));
on('Mul', always(A.mulH));
on('Div', always(A.divH));
on('Idiv', always(A.idivH));
on('Cbw', always(A.CONVERT.cbw));
on('Cwde', always(A.CONVERT.cwde));
on('Cdqe', always(A.CONVERT.cdqe));
on('Cwd', always(A.CONVERT.cwd));
on('Cdq', always(A.CONVERT.cdq));
on('Cqo', always(A.CONVERT.cqo));
on('Bt', always(A.BT[0]));
on('Bts', always(A.BT[1]));
on('Btr', always(A.BT[2]));
on('Btc', always(A.BT[3]));
const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
for (const cc of CC) {
  on('Cmov' + cc, always(A.cmov));
  on('Set' + cc, always(A.setcc));
  on('J' + cc, (i) => (i.bitness !== 64 ? F.jccLegacy : cc === 'e' ? F.jz : cc === 'ne' ? F.jnz : F.jcc));
}

// Control flow and stack.
on('Jmp', (i) => (i.k0 === K_BRANCH ? F.jmpRel : i.k0 === K_REG || i.k0 === K_MEM ? F.jmpIndirect : undefined));
on('Call', (i) => (i.k0 === K_BRANCH ? F.callRel : i.k0 === K_REG || i.k0 === K_MEM ? F.callIndirect : undefined));
on('Ret', always(F.ret));
on('Push', (i) => (i.k0 === K_SREG ? F.pushH : F.pushH));
on('Pop', (i) => (i.k0 === K_SREG ? Y.popSreg : F.popH));
on(['Pushf', 'Pushfd', 'Pushfq'], always(F.pushf));
on(['Popf', 'Popfd', 'Popfq'], always(F.popf));
on('Leave', always(F.leave));
on('Enter', always(F.enter));
on('Int', always(F.intHandler('int')));
on('Int3', always(F.intHandler('int3')));
on('Into', always(F.intHandler('into')));
on('Int1', always(F.intHandler('int1')));
on('Iret', always(F.iretHandler(2)));
on('Iretd', always(F.iretHandler(4)));
on('Iretq', always(F.iretHandler(8)));
on(['Ud0', 'Ud1', 'Ud2'], always(F.ud2)); // UD0/UD1/UD2 raise #UD (SDM Vol. 2 UD)
on('Clc', always(F.clc));
on('Stc', always(F.stc));
on('Cmc', always(F.cmc));
on('Cld', always(F.cld));
on('Std', always(F.std));
on('Cli', always(F.cli));
on('Sti', always(F.sti));
on('Lahf', always(F.lahf));
on('Sahf', always(F.sahf));
on('Nop', always(F.nop));
// Ordering and cache hints have no architectural effect on this machine's single in-order memory
// (SDM Vol. 2 LFENCE/MFENCE/SFENCE, PREFETCHh, ENDBR64 outside CET); CLFLUSH still translates its address
// (it can #PF, SDM Vol. 2 CLFLUSH) and then does nothing.
on(['Lfence', 'Mfence', 'Sfence', 'Endbr64', 'Endbr32', 'Prefetchnta', 'Prefetcht0', 'Prefetcht1', 'Prefetcht2', 'Prefetchw'], always(F.nop));
on(['Clflush', 'Clflushopt'], always(A.clflush));
on('Bsf', always(A.bitScan(false)));
on('Bsr', always(A.bitScan(true)));

// Loops: the counter register follows the address size encoded in the iced Code name (…_CX/_ECX/_RCX).
function counterSize(i: Insn): number {
  const name = Code[i.code];
  if (name.startsWith('Jcxz') || name.endsWith('_CX')) return 2;
  if (name.startsWith('Jecxz') || name.endsWith('_ECX')) return 4;
  return 8;
}
on('Loop', (i) => F.loopHandler('loop', counterSize(i)));
on('Loope', (i) => F.loopHandler('loope', counterSize(i)));
on('Loopne', (i) => F.loopHandler('loopne', counterSize(i)));
on(['Jcxz', 'Jecxz', 'Jrcxz'], (i) => F.loopHandler('jcxz', counterSize(i)));

// Strings and I/O.
const str = (h: Handler): Chooser => (i) => (i.k0 === K_STR || i.k1 === K_STR ? h : undefined);
on(['Movsb', 'Movsw', 'Movsd', 'Movsq'], str(S.movs));
on(['Stosb', 'Stosw', 'Stosd', 'Stosq'], str(S.stos));
on(['Lodsb', 'Lodsw', 'Lodsd', 'Lodsq'], str(S.lods));
on(['Cmpsb', 'Cmpsw', 'Cmpsd', 'Cmpsq'], str(S.cmps));
on(['Scasb', 'Scasw', 'Scasd', 'Scasq'], str(S.scas));
on(['Insb', 'Insw', 'Insd'], str(S.ins));
on(['Outsb', 'Outsw', 'Outsd'], str(S.outs));
on('In', always(S.inH));
on('Out', always(S.outH));

// System.
on('Cpuid', always(Y.cpuid));
on('Hlt', always(Y.hlt));
on('Rdtsc', always(Y.rdtsc));
on('Rdtscp', always(Y.rdtscp));
on('Rdpmc', always(Y.rdpmc));
on('Rdmsr', always(Y.rdmsr));
on('Wrmsr', always(Y.wrmsr));
on('Clts', always(Y.clts));
on('Lmsw', always(Y.lmsw));
on('Smsw', always(Y.smsw));
on('Invd', always(Y.invd));
on('Wbinvd', always(Y.wbinvd));
on('Invlpg', always(Y.invlpg));
on('Invpcid', always(Y.invpcid));
on('Lgdt', always(Y.lgdt));
on('Lidt', always(Y.lidt));
on('Sgdt', always(Y.sgdt));
on('Sidt', always(Y.sidt));
on('Lldt', always(Y.lldt));
on('Ltr', always(Y.ltr));
on('Sldt', always(Y.sldt));
on('Str', always(Y.str));
on('Monitor', always(Y.monitor));
on('Mwait', always(Y.mwait));
on('Pause', always(Y.pause));
on('Xsetbv', always(Y.xsetbv));
on('Xgetbv', always(Y.xgetbv));
on(['Xsaves', 'Xsaves64'], always(Y.xsavesH));
on(['Xrstors', 'Xrstors64'], always(Y.xrstorsH));
on('Getsec', always(Y.getsec));
on('Encls', always(Y.encls));
on('Rdrand', always(Y.rdrand));
on('Rdseed', always(Y.rdseed));
on('Swapgs', always(Y.swapgs));
on('Syscall', always(Y.syscall));
on('Sysret', always(Y.sysret(false)));
on('Sysretq', always(Y.sysret(true)));
on('Rsm', always(Y.rsm));

// VMX.
on('Vmxon', always(V.vmxon));
on('Vmclear', always(V.vmclear));
on('Vmptrld', always(V.vmptrld));
on('Vmptrst', always(V.vmptrst));
on('Vmread', always(V.vmread));
on('Vmwrite', always(V.vmwrite));
on('Vmlaunch', always(V.vmlaunch));
on('Vmresume', always(V.vmresume));
on('Vmxoff', always(V.vmxoff));
on('Vmcall', always(V.vmcall));
on('Vmfunc', always(V.vmfunc));
on('Invept', always(V.invept));
on('Invvpid', always(V.invvpid));

/** Choose the handler for a decoded instruction. */
export function bind(i: Insn): Handler {
  if (i.code === Code.INVALID) return invalidOpcode;
  // An operand of a kind the interpreter does not model (x87/SSE registers, far pointers, …).
  if (i.k0 < K_NONE || i.k1 < K_NONE || i.k2 < K_NONE) return unsupported;
  const choose = table.get(i.mnemonic);
  return (choose && choose(i)) ?? unsupported;
}

