/**
 * The exit decision for an instruction in VMX non-root operation: EXIT_TABLE (exit-table.ts) plus one small
 * function per special rule (SDM Vol. 3C 26.1.3). Also the #UD that some secondary controls impose
 * (26.3: RDTSCP without "enable RDTSCP", INVPCID without "enable INVPCID", XSAVES/XRSTORS without "enable
 * XSAVES/XRSTORS", VMFUNC without "enable VM functions", TPAUSE/UMWAIT without "enable user wait and pause"),
 * which has priority over the VM exit.
 */
import * as ns_arch from '../../arch';
import type { LogicalProcessor } from '../processor';
import type { InstructionFacts } from '../x86/platform';
import * as ns_vmcs_layout from '../vmcs/layout';
import type { Vmcs } from '../vmcs/vmcs';
import * as ns_exit_table from './exit-table';
import { type SpecialRule } from './exit-table';
import * as ns_bitmaps from './bitmaps';
import * as ns_cr_access from './cr-access';
import * as ns_tsc from './tsc';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { MSR, PROC, PROC2 } = ns_arch;
const { V } = ns_vmcs_layout;
const { EXIT_TABLE } = ns_exit_table;
const { ioExits, msrExits, shadowBitmapExits } = ns_bitmaps;
const { cltsExits, lmswExits, movToCr0or4Exits, movToCr3Exits } = ns_cr_access;
const { tscNow } = ns_tsc;

/** No VM exit: the instruction proceeds (with the changed behaviour of 26.3). */
export const NO_EXIT = -1;
/** The instruction raises #UD instead. */
export const UD_INSTEAD = -2;

function primary(vmcs: Vmcs): number {
  return vmcs.lo[V.PRIMARY_PROC_BASED_VM_EXEC_CONTROL];
}
/** Secondary controls in effect (0 when "activate secondary controls" is 0). */
export function secondary(vmcs: Vmcs): number {
  return (primary(vmcs) & PROC.ACTIVATE_SECONDARY_CONTROLS) !== 0 ? vmcs.lo[V.SECONDARY_VM_EXEC_CONTROL] : 0;
}

/** The basic exit reason if the instruction described by `f` exits, NO_EXIT, or UD_INSTEAD. */
export function decideExit(cpu: LogicalProcessor, vmcs: Vmcs, f: InstructionFacts): number {
  const entry = EXIT_TABLE[f.instruction];
  const c = entry.control;
  if (c === 'always') return entry.exitReason;
  if (typeof c === 'object') {
    const value = c.field === 'primary' ? primary(vmcs) : secondary(vmcs);
    return (value & c.bit) !== 0 ? entry.exitReason : NO_EXIT;
  }
  return special(cpu, vmcs, f, c) ? entry.exitReason : specialUd;
}

/** Set by `special` when the rule's answer is #UD rather than "no exit" (avoids an allocation per decision). */
let specialUd = NO_EXIT;

function special(cpu: LogicalProcessor, vmcs: Vmcs, f: InstructionFacts, rule: SpecialRule): boolean {
  specialUd = NO_EXIT;
  const p2 = secondary(vmcs);
  switch (rule) {
    case 'io-bitmaps':
      return ioExits(cpu.memory, vmcs, f.port, f.size);
    case 'msr-bitmaps':
      return msrExits(cpu.memory, vmcs, f.msr, f.instruction === 'WRMSR');
    case 'mov-to-cr': {
      const u = BigInt.asUintN(64, f.value);
      const lo = Number(u & 0xffffffffn);
      const hi = Number(u >> 32n);
      switch (f.crOrDr) {
        case 0: return movToCr0or4Exits(vmcs, 0, lo, hi);
        case 4: return movToCr0or4Exits(vmcs, 4, lo, hi);
        case 3: return movToCr3Exits(vmcs, lo, hi);
        case 8: return (primary(vmcs) & PROC.CR8_LOAD_EXITING) !== 0;
        default: return false;
      }
    }
    case 'mov-from-cr':
      if (f.crOrDr === 3) return (primary(vmcs) & PROC.CR3_STORE_EXITING) !== 0;
      if (f.crOrDr === 8) return (primary(vmcs) & PROC.CR8_STORE_EXITING) !== 0;
      return false; // CR0, CR2, CR4: reads never exit (CR0/CR4 read through the shadow).
    case 'clts':
      return cltsExits(vmcs);
    case 'lmsw':
      return lmswExits(vmcs, Number(f.value & 0xffffn));
    case 'vmcs-shadowing':
      if ((p2 & PROC2.VMCS_SHADOWING) === 0) return true;
      return shadowBitmapExits(cpu.memory, vmcs, BigInt.asUintN(64, f.operand1), f.instruction === 'VMWRITE');
    case 'pause':
      if ((primary(vmcs) & PROC.PAUSE_EXITING) !== 0) return true;
      return (p2 & PROC2.PAUSE_LOOP_EXITING) !== 0 && cpu.regs.cpl === 0 && pauseLoopExits(cpu, vmcs);
    case 'rdtscp':
      if ((p2 & PROC2.ENABLE_RDTSCP) === 0) { specialUd = UD_INSTEAD; return false; }
      return (primary(vmcs) & PROC.RDTSC_EXITING) !== 0;
    case 'invpcid':
      if ((p2 & PROC2.ENABLE_INVPCID) === 0) { specialUd = UD_INSTEAD; return false; }
      return (primary(vmcs) & PROC.INVLPG_EXITING) !== 0;
    case 'xss-exiting-bitmap': {
      if ((p2 & PROC2.ENABLE_XSAVES_XRSTORS) === 0) { specialUd = UD_INSTEAD; return false; }
      // Exit iff some bit is set in all three of EDX:EAX (f.value, the instruction mask), IA32_XSS and the
      // XSS-exiting bitmap (SDM 26.1.3 "XRSTORS", "XSAVES"). XCR0 plays no part: user state never exits.
      const xss = cpu.msrStore.get(MSR.IA32_XSS) ?? 0n;
      return (BigInt.asUintN(64, f.value) & xss & vmcs.get64(V.XSS_EXIT_BITMAP)) !== 0n;
    }
    case 'encls-exiting-bitmap': {
      // ENCLS is #UD unless the processor enumerates SGX1 (SDM Vol. 3D "ENCLS" Operation, checked with CPL by
      // the interpreter before this decision: that #UD has priority over the VM exit, 26.1.1). The VM exit
      // comes before the IA32_FEATURE_CONTROL.SGX_ENABLE #GP, so it does not depend on SGX being enabled.
      if (!cpu.caps.profile.features.sgx) { specialUd = UD_INSTEAD; return false; }
      if ((p2 & PROC2.ENABLE_ENCLS_EXITING) === 0) return false;
      const eax = Number(BigInt.asUintN(32, f.operand1));
      const bit = BigInt(eax < 63 ? eax : 63);
      return ((vmcs.get64(V.ENCLS_EXITING_BITMAP) >> bit) & 1n) === 1n;
    }
    case 'vm-functions':
      // No profile here offers VM functions: with "enable VM functions" 0, VMFUNC is #UD (26.3).
      if ((p2 & PROC2.ENABLE_VM_FUNCTIONS) === 0) { specialUd = UD_INSTEAD; return false; }
      return true;
    case 'user-wait-and-pause':
      if ((p2 & PROC2.ENABLE_USER_WAIT_AND_PAUSE) === 0) { specialUd = UD_INSTEAD; return false; }
      return (primary(vmcs) & PROC.RDTSC_EXITING) !== 0;
    case 'rsm':
      // The processor is never in SMM: RSM is #UD (SDM Vol. 2 "RSM").
      specialUd = UD_INSTEAD;
      return false;
  }
}

/**
 * PAUSE-loop exiting (SDM 26.1.3 "PAUSE"; 25.6.13 "Controls for PAUSE-Loop Exiting"): at CPL 0, a PAUSE more
 * than PLE_Gap TSC cycles after the previous one starts a new loop; a PAUSE more than PLE_Window cycles after
 * the first PAUSE of its loop exits. Times are the emulated TSC (timing.ts). The first PAUSE after VM entry
 * starts a loop (the processor "treats it as the first in a loop", 25.6.13).
 */
function pauseLoopExits(cpu: LogicalProcessor, vmcs: Vmcs): boolean {
  const now = tscNow(cpu);
  if (cpu.pleLast < 0 || now - cpu.pleLast > vmcs.lo[V.PLE_GAP]) cpu.pleFirst = now;
  cpu.pleLast = now;
  return now - cpu.pleFirst > vmcs.lo[V.PLE_WINDOW];
}
