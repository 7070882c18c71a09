/**
 * The VMX instruction conventions (SDM Vol. 3C 31.2 "Conventions"): how VMsucceed, VMfailInvalid and
 * VMfailValid report through RFLAGS, and the result codes the instruction routines return.
 *
 * VMsucceed:      CF, PF, AF, ZF, SF, OF ← 0
 * VMfailInvalid:  CF ← 1; PF, AF, ZF, SF, OF ← 0
 * VMfailValid(e): ZF ← 1; CF, PF, AF, SF, OF ← 0; VM-instruction error field ← e
 * VMfail(e):      VMfailValid(e) if there is a current VMCS, else VMfailInvalid
 * Other RFLAGS bits are not touched.
 */
export const RFLAGS_CF = 1 << 0;
export const RFLAGS_PF = 1 << 2;
export const RFLAGS_AF = 1 << 4;
export const RFLAGS_ZF = 1 << 6;
export const RFLAGS_SF = 1 << 7;
export const RFLAGS_TF = 1 << 8;
export const RFLAGS_IF = 1 << 9;
export const RFLAGS_OF = 1 << 11;
export const RFLAGS_RF = 1 << 16;
export const RFLAGS_VM = 1 << 17;

/** The six arithmetic flags the conventions write. */
export const VMX_STATUS_FLAGS = RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF;

export function vmSucceedFlags(rflags: number): number {
  return (rflags & ~VMX_STATUS_FLAGS) >>> 0;
}
export function vmFailInvalidFlags(rflags: number): number {
  return ((rflags & ~VMX_STATUS_FLAGS) | RFLAGS_CF) >>> 0;
}
export function vmFailValidFlags(rflags: number): number {
  return ((rflags & ~VMX_STATUS_FLAGS) | RFLAGS_ZF) >>> 0;
}

/**
 * How a VMX instruction ended, as a small integer so the hot path returns no object:
 * the routines return one of these and leave any error number / read value in the processor's
 * scratch fields (`lastError`, `readLo`/`readHi`).
 */
export const R_SUCCEED = 0;
export const R_FAIL_INVALID = 1;
export const R_FAIL_VALID = 2;
/** A fault raised by the instruction: vector and error code in the processor's `faultVector`/`faultCode`. */
export const R_FAULT = 3;
/** VMLAUNCH/VMRESUME/run: the logical processor left non-root operation through a VM exit (incl. entry failure). */
export const R_VM_EXIT = 4;
/** VMLAUNCH/VMRESUME/run: the step budget ran out in non-root operation. */
export const R_STILL_RUNNING = 5;
/** A non-VMX instruction retired normally. */
export const R_COMPLETED = 6;
/** The logical processor entered the shutdown state outside non-root operation. */
export const R_SHUTDOWN = 7;
export type InstrResult = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** Exception vectors used by the VMX layer (SDM Vol. 3A 6.3.1 Table 6-1). */
export const VEC_DE = 0;
export const VEC_DB = 1;
export const VEC_NMI = 2;
export const VEC_BP = 3;
export const VEC_UD = 6;
export const VEC_DF = 8;
export const VEC_TS = 10;
export const VEC_NP = 11;
export const VEC_SS = 12;
export const VEC_GP = 13;
export const VEC_PF = 14;
export const VEC_AC = 17;
export const VEC_MC = 18;
