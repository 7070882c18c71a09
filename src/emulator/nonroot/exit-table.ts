/**
 * Which instructions cause VM exits in VMX non-root operation, written once, as data: SDM Vol. 3C 26.1.2
 * "Instructions That Cause VM Exits Unconditionally" and 26.1.3 "Instructions That Cause VM Exits
 * Conditionally". Each instruction class maps to its basic exit reason (Appendix C) and to what controls the
 * exit: 'always', a control bit, or a named special rule decided by a small function in decide.ts.
 *
 * The feature files state these rules independently (by hand, from the SDM); a wrong entry here must fail a
 * scenario there.
 */
import { EXIT, PROC, PROC2 } from '../../arch';
import type { ExitingInstruction } from '../x86/platform';

export type ControlRef =
  | { field: 'primary'; bit: number; name: string }
  | { field: 'secondary'; bit: number; name: string };

export type SpecialRule =
  | 'io-bitmaps' | 'msr-bitmaps' | 'mov-to-cr' | 'mov-from-cr' | 'clts' | 'lmsw' | 'vmcs-shadowing'
  | 'pause' | 'rdtscp' | 'invpcid' | 'xss-exiting-bitmap' | 'encls-exiting-bitmap' | 'vm-functions'
  | 'user-wait-and-pause' | 'rsm';

export interface ExitTableEntry {
  exitReason: number;
  control: 'always' | ControlRef | SpecialRule;
}

const primary = (bit: number, name: string): ControlRef => ({ field: 'primary', bit, name });
const secondary = (bit: number, name: string): ControlRef => ({ field: 'secondary', bit, name });

export const EXIT_TABLE: Readonly<Record<ExitingInstruction, ExitTableEntry>> = {
  // 26.1.2: unconditionally.
  CPUID: { exitReason: EXIT.CPUID, control: 'always' },
  GETSEC: { exitReason: EXIT.GETSEC, control: 'always' },
  INVD: { exitReason: EXIT.INVD, control: 'always' },
  XSETBV: { exitReason: EXIT.XSETBV, control: 'always' },
  INVEPT: { exitReason: EXIT.INVEPT, control: 'always' },
  INVVPID: { exitReason: EXIT.INVVPID, control: 'always' },
  VMCALL: { exitReason: EXIT.VMCALL, control: 'always' },
  VMCLEAR: { exitReason: EXIT.VMCLEAR, control: 'always' },
  VMLAUNCH: { exitReason: EXIT.VMLAUNCH, control: 'always' },
  VMPTRLD: { exitReason: EXIT.VMPTRLD, control: 'always' },
  VMPTRST: { exitReason: EXIT.VMPTRST, control: 'always' },
  VMRESUME: { exitReason: EXIT.VMRESUME, control: 'always' },
  VMXOFF: { exitReason: EXIT.VMXOFF, control: 'always' },
  VMXON: { exitReason: EXIT.VMXON, control: 'always' },
  // 26.1.3: conditionally.
  VMREAD: { exitReason: EXIT.VMREAD, control: 'vmcs-shadowing' },
  VMWRITE: { exitReason: EXIT.VMWRITE, control: 'vmcs-shadowing' },
  ENCLS: { exitReason: EXIT.ENCLS, control: 'encls-exiting-bitmap' },
  VMFUNC: { exitReason: EXIT.VMFUNC, control: 'vm-functions' },
  CLTS: { exitReason: EXIT.CR_ACCESS, control: 'clts' },
  LMSW: { exitReason: EXIT.CR_ACCESS, control: 'lmsw' },
  'MOV-TO-CR': { exitReason: EXIT.CR_ACCESS, control: 'mov-to-cr' },
  'MOV-FROM-CR': { exitReason: EXIT.CR_ACCESS, control: 'mov-from-cr' },
  'MOV-DR': { exitReason: EXIT.DR_ACCESS, control: primary(PROC.MOV_DR_EXITING, 'MOV-DR exiting') },
  HLT: { exitReason: EXIT.HLT, control: primary(PROC.HLT_EXITING, 'HLT exiting') },
  IN: { exitReason: EXIT.IO_INSTRUCTION, control: 'io-bitmaps' },
  INS: { exitReason: EXIT.IO_INSTRUCTION, control: 'io-bitmaps' },
  OUT: { exitReason: EXIT.IO_INSTRUCTION, control: 'io-bitmaps' },
  OUTS: { exitReason: EXIT.IO_INSTRUCTION, control: 'io-bitmaps' },
  INVLPG: { exitReason: EXIT.INVLPG, control: primary(PROC.INVLPG_EXITING, 'INVLPG exiting') },
  INVPCID: { exitReason: EXIT.INVPCID, control: 'invpcid' },
  LGDT: { exitReason: EXIT.GDTR_IDTR_ACCESS, control: secondary(PROC2.DESCRIPTOR_TABLE_EXITING, 'descriptor-table exiting') },
  LIDT: { exitReason: EXIT.GDTR_IDTR_ACCESS, control: secondary(PROC2.DESCRIPTOR_TABLE_EXITING, 'descriptor-table exiting') },
  SGDT: { exitReason: EXIT.GDTR_IDTR_ACCESS, control: secondary(PROC2.DESCRIPTOR_TABLE_EXITING, 'descriptor-table exiting') },
  SIDT: { exitReason: EXIT.GDTR_IDTR_ACCESS, control: secondary(PROC2.DESCRIPTOR_TABLE_EXITING, 'descriptor-table exiting') },
  LLDT: { exitReason: EXIT.LDTR_TR_ACCESS, control: secondary(PROC2.DESCRIPTOR_TABLE_EXITING, 'descriptor-table exiting') },
  LTR: { exitReason: EXIT.LDTR_TR_ACCESS, control: secondary(PROC2.DESCRIPTOR_TABLE_EXITING, 'descriptor-table exiting') },
  SLDT: { exitReason: EXIT.LDTR_TR_ACCESS, control: secondary(PROC2.DESCRIPTOR_TABLE_EXITING, 'descriptor-table exiting') },
  STR: { exitReason: EXIT.LDTR_TR_ACCESS, control: secondary(PROC2.DESCRIPTOR_TABLE_EXITING, 'descriptor-table exiting') },
  MONITOR: { exitReason: EXIT.MONITOR, control: primary(PROC.MONITOR_EXITING, 'MONITOR exiting') },
  MWAIT: { exitReason: EXIT.MWAIT, control: primary(PROC.MWAIT_EXITING, 'MWAIT exiting') },
  PAUSE: { exitReason: EXIT.PAUSE, control: 'pause' },
  RDMSR: { exitReason: EXIT.RDMSR, control: 'msr-bitmaps' },
  WRMSR: { exitReason: EXIT.WRMSR, control: 'msr-bitmaps' },
  RDPMC: { exitReason: EXIT.RDPMC, control: primary(PROC.RDPMC_EXITING, 'RDPMC exiting') },
  RDRAND: { exitReason: EXIT.RDRAND, control: secondary(PROC2.RDRAND_EXITING, 'RDRAND exiting') },
  RDSEED: { exitReason: EXIT.RDSEED, control: secondary(PROC2.RDSEED_EXITING, 'RDSEED exiting') },
  RDTSC: { exitReason: EXIT.RDTSC, control: primary(PROC.RDTSC_EXITING, 'RDTSC exiting') },
  RDTSCP: { exitReason: EXIT.RDTSCP, control: 'rdtscp' },
  RSM: { exitReason: EXIT.RSM, control: 'rsm' },
  WBINVD: { exitReason: EXIT.WBINVD, control: secondary(PROC2.WBINVD_EXITING, 'WBINVD exiting') },
  XSAVES: { exitReason: EXIT.XSAVES, control: 'xss-exiting-bitmap' },
  XRSTORS: { exitReason: EXIT.XRSTORS, control: 'xss-exiting-bitmap' },
  TPAUSE: { exitReason: EXIT.TPAUSE, control: 'user-wait-and-pause' },
  UMWAIT: { exitReason: EXIT.UMWAIT, control: 'user-wait-and-pause' },
};
