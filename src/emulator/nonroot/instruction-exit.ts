/**
 * VM exits caused by instruction execution: the exit information of SDM Vol. 3C 28.2.1 "Basic VM-Exit
 * Information" (exit qualification, guest-linear address) and 28.2.5 "Information for VM Exits Due to
 * Instruction Execution" (instruction length, instruction information), from the interpreter's
 * InstructionFacts. Guest RIP is the address of the instruction (the interpreter set it before the hook).
 */
import * as ns_arch from '../../arch';
import type { LogicalProcessor } from '../processor';
import type { ExitingInstruction, InstructionFacts } from '../x86/platform';
import * as ns_exit_vm_exit from '../exit/vm-exit';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { CR_ACCESS_TYPE, DR_ACCESS_DIRECTION, EXIT, IO_DIRECTION, IO_OPERAND_ENCODING, encodeCrAccess, encodeDrAccess, encodeIo } = ns_arch;
const { beginExit, completeExit } = ns_exit_vm_exit;

/** Instructions whose VM exits report VM-exit instruction information (28.2.5). */
const HAS_INSTRUCTION_INFO: ReadonlySet<ExitingInstruction> = new Set<ExitingInstruction>([
  'INS', 'OUTS', 'INVEPT', 'INVPCID', 'INVVPID', 'LIDT', 'LGDT', 'SIDT', 'SGDT', 'LLDT', 'LTR', 'SLDT', 'STR',
  'RDRAND', 'RDSEED', 'TPAUSE', 'UMWAIT', 'VMCLEAR', 'VMPTRLD', 'VMPTRST', 'VMXON', 'XRSTORS', 'XSAVES',
  'VMREAD', 'VMWRITE',
]);

/**
 * Instructions whose exit qualification is the displacement of their memory operand (28.2.1: "for INVEPT,
 * INVPCID, INVVPID, LGDT, LIDT, LLDT, LTR, SGDT, SIDT, SLDT, STR, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE,
 * VMXON, XRSTORS, and XSAVES, the exit qualification receives the value of the instruction's displacement
 * field"; 0 for a register operand).
 */
const DISPLACEMENT_QUALIFICATION: ReadonlySet<ExitingInstruction> = new Set<ExitingInstruction>([
  'INVEPT', 'INVPCID', 'INVVPID', 'LGDT', 'LIDT', 'LLDT', 'LTR', 'SGDT', 'SIDT', 'SLDT', 'STR', 'VMCLEAR',
  'VMPTRLD', 'VMPTRST', 'VMREAD', 'VMWRITE', 'VMXON', 'XRSTORS', 'XSAVES',
]);

/** The exit qualification; bigint only for the 64-bit ones (linear addresses, displacements). */
function qualification(f: InstructionFacts, reason: number): number | bigint {
  switch (reason) {
    case EXIT.CR_ACCESS:
      switch (f.instruction) {
        case 'CLTS': return encodeCrAccess({ cr: 0, accessType: CR_ACCESS_TYPE.CLTS });
        case 'LMSW': return encodeCrAccess({
          cr: 0, accessType: CR_ACCESS_TYPE.LMSW, lmswMemoryOperand: f.memoryOperand,
          gpr: f.memoryOperand ? 0 : f.gpr, lmswSourceData: Number(f.value & 0xffffn),
        });
        default: return encodeCrAccess({
          cr: f.crOrDr, gpr: f.gpr,
          accessType: f.instruction === 'MOV-TO-CR' ? CR_ACCESS_TYPE.MOV_TO_CR : CR_ACCESS_TYPE.MOV_FROM_CR,
        });
      }
    case EXIT.DR_ACCESS:
      return encodeDrAccess({
        dr: f.crOrDr, gpr: f.gpr,
        direction: f.toRegister ? DR_ACCESS_DIRECTION.MOV_TO_DR : DR_ACCESS_DIRECTION.MOV_FROM_DR,
      });
    case EXIT.IO_INSTRUCTION:
      return encodeIo({
        size: f.size as 1 | 2 | 4, port: f.port, string: f.isString, rep: f.isRep,
        direction: f.isIn ? IO_DIRECTION.IN : IO_DIRECTION.OUT,
        operandEncoding: f.immediatePort ? IO_OPERAND_ENCODING.IMMEDIATE : IO_OPERAND_ENCODING.DX,
      });
    case EXIT.INVLPG:
      return f.linearAddress;
    case EXIT.MWAIT:
      // Bit 0: the address-range monitoring hardware was armed (the interpreter passes it in `value`).
      return Number(f.value & 1n);
    default:
      return f.memoryOperand && DISPLACEMENT_QUALIFICATION.has(f.instruction) ? f.displacement : 0;
  }
}

/** Perform the VM exit for the instruction described by cpu.facts with basic exit reason `reason`. */
export function instructionExit(cpu: LogicalProcessor, reason: number): void {
  const f = cpu.facts;
  const e = beginExit(cpu, reason);
  const q = qualification(f, reason);
  if (typeof q === 'number') {
    e.qualLo = q >>> 0;
  } else {
    const u = BigInt.asUintN(64, q);
    e.qualLo = Number(u & 0xffffffffn);
    e.qualHi = Number(u >> 32n);
  }
  e.instrLen = f.length;
  if (HAS_INSTRUCTION_INFO.has(f.instruction)) e.instrInfo = f.instructionInfo >>> 0;
  // Guest-linear address (28.2.1): INS/OUTS (the memory operand) and LMSW with a memory operand.
  if ((f.instruction === 'INS' || f.instruction === 'OUTS' || (f.instruction === 'LMSW' && f.memoryOperand))) {
    const la = BigInt.asUintN(64, f.linearAddress);
    e.hasGuestLinear = true;
    e.glaLo = Number(la & 0xffffffffn);
    e.glaHi = Number(la >> 32n);
  }
  completeExit(cpu);
}
