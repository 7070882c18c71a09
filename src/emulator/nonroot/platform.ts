/**
 * The reference machine's side of the interpreter seam (src/emulator/x86/platform.ts): instruction exits
 * (exit table + decisions), event interception, VMX instructions executed by interpreted root-mode code, and
 * the instruction behaviour that VMX non-root operation changes (SDM Vol. 3C 26.3): CR0/CR4 guest/host masks
 * and read shadows, the TPR shadow, TSC offsetting and scaling, VMCS shadowing, EPT.
 */
import * as ns_arch from '../../arch';
import type { Machine } from '../machine';
import type { LogicalProcessor } from '../processor';
import * as ns_x86_platform from '../x86/platform';
import { type CpuContext, type HookResult, type Platform } from '../x86/platform';
import * as ns_cpuid from '../cpuid';
import * as ns_msrs from '../msrs';
import * as ns_control_registers from '../control-registers';
import * as ns_vmcs_layout from '../vmcs/layout';
import type { Vmcs } from '../vmcs/vmcs';
import * as ns_vmx_conventions from '../vmx/conventions';
import { type InstrResult } from '../vmx/conventions';
import * as ns_vmx_common from '../vmx/common';
import * as ns_vmx_operation from '../vmx/operation';
import * as ns_vmx_vmcs_pointer from '../vmx/vmcs-pointer';
import * as ns_vmx_invalidation from '../vmx/invalidation';
import * as ns_entry_vm_entry from '../entry/vm-entry';
import * as ns_ept_walk from '../ept/walk';
import * as ns_decide from './decide';
import * as ns_instruction_exit from './instruction-exit';
import * as ns_events from './events';
import * as ns_cr_access from './cr-access';
import * as ns_tsc from './tsc';
import * as ns_shadow from './shadow';
import * as ns_exit_vm_exit from '../exit/vm-exit';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { CR0, EXIT, PROC2 } = ns_arch;
const { CONTINUE, EXITED, FAULTED } = ns_x86_platform;
const { cpuidLeaf } = ns_cpuid;
const { readMsr, writeMsr } = ns_msrs;
const { writeCr0, writeCr3, writeCr4 } = ns_control_registers;
const { V } = ns_vmcs_layout;
const { R_FAIL_INVALID, R_FAIL_VALID, R_FAULT, R_SUCCEED, VEC_GP, VEC_UD } = ns_vmx_conventions;
const { raiseGP0, raiseUD, vmxInstructionUD } = ns_vmx_common;
const { vmcallRoot, vmxoff, vmxon } = ns_vmx_operation;
const { vmclear, vmptrld, vmptrst } = ns_vmx_vmcs_pointer;
const { invept, invvpid } = ns_vmx_invalidation;
const { vmLaunchOrResume } = ns_entry_vm_entry;
const { eptTranslate } = ns_ept_walk;
const { NO_EXIT, UD_INSTEAD, decideExit, secondary } = ns_decide;
const { instructionExit } = ns_instruction_exit;
const { atBoundary, boundaryWork, interceptEvent, tripleFaultExit } = ns_events;
const { maskedCrWrite, shadowedCr, tprBelowThreshold, tprShadow, vtprAddress } = ns_cr_access;
const { guestTsc } = ns_tsc;
const { vmreadNoExit, vmwriteNoExit } = ns_shadow;
const { beginExit, completeExit, vpidEnabled } = ns_exit_vm_exit;

const MSR_TSC = 0x10;

function lo(v: bigint): number {
  return Number(BigInt.asUintN(64, v) & 0xffffffffn);
}
function hi(v: bigint): number {
  return Number(BigInt.asUintN(64, v) >> 32n);
}

export class VmxPlatform implements Platform {
  constructor(private readonly machine: Machine) {}

  get physicalAddressWidth(): number {
    return this.machine.caps.physicalAddressWidth;
  }

  interceptInstruction(ctx: CpuContext): HookResult {
    const cpu = ctx as LogicalProcessor;
    if (!cpu.nonRoot) return this.rootVmxInstruction(cpu);
    const vmcs = cpu.current!;
    const d = decideExit(cpu, vmcs, cpu.facts);
    if (d === NO_EXIT) return CONTINUE;
    if (d === UD_INSTEAD) {
      cpu.facts.faultVector = VEC_UD;
      cpu.facts.faultErrorCode = -1;
      return FAULTED;
    }
    instructionExit(cpu, d);
    return EXITED;
  }

  /** VMX instructions met by the interpreter in root operation (or outside VMX operation). */
  private rootVmxInstruction(cpu: LogicalProcessor): HookResult {
    const f = cpu.facts;
    let r: InstrResult;
    switch (f.instruction) {
      case 'VMXON': r = vmxon(cpu, lo(f.operand1), hi(f.operand1)); break;
      case 'VMXOFF': r = vmxoff(cpu); break;
      case 'VMCLEAR': r = vmclear(cpu, lo(f.operand1), hi(f.operand1)); break;
      case 'VMPTRLD': r = vmptrld(cpu, lo(f.operand1), hi(f.operand1)); break;
      case 'VMPTRST':
        r = vmptrst(cpu);
        f.operand1 = (BigInt(cpu.readHi >>> 0) << 32n) | BigInt(cpu.readLo >>> 0);
        break;
      case 'VMCALL': r = vmcallRoot(cpu); break;
      case 'INVEPT': r = invept(cpu, lo(f.operand1), hi(f.operand1), lo(f.operand2), hi(f.operand2)); break;
      case 'INVVPID':
        r = invvpid(cpu, lo(f.operand1), hi(f.operand1), lo(f.operand2), hi(f.operand2), lo(f.operand3), hi(f.operand3));
        break;
      case 'VMREAD':
      case 'VMWRITE':
        // The #UD and #GP checks here; the access itself in vmreadShadow/vmwriteShadow.
        r = vmxInstructionUD(cpu) ? raiseUD(cpu) : cpu.regs.cpl > 0 ? raiseGP0(cpu) : R_SUCCEED;
        break;
      case 'VMLAUNCH':
      case 'VMRESUME':
        r = vmLaunchOrResume(this.machine, cpu, f.instruction === 'VMLAUNCH', 0);
        if (r !== R_SUCCEED && r !== R_FAIL_INVALID && r !== R_FAIL_VALID && r !== R_FAULT) return EXITED;
        break;
      default:
        // VMFUNC and anything else without VMX support in root operation: #UD.
        r = raiseUD(cpu);
    }
    if (r === R_FAULT) {
      f.faultVector = cpu.faultVector;
      f.faultErrorCode = cpu.faultCode;
      return FAULTED;
    }
    return CONTINUE;
  }

  interceptEvent(ctx: CpuContext, vector: number, type: number, errorCode: number | undefined): HookResult {
    return interceptEvent(ctx as LogicalProcessor, vector, type, errorCode) ? EXITED : CONTINUE;
  }

  tripleFault(ctx: CpuContext): void {
    const cpu = ctx as LogicalProcessor;
    if (cpu.nonRoot) tripleFaultExit(cpu);
    else cpu.activityState = 2;
  }

  cpuid(ctx: CpuContext, leaf: number, subleaf: number): void {
    const cpu = ctx as LogicalProcessor;
    const out = this.machine.cpuidScratch;
    cpuidLeaf(cpu, leaf, subleaf, out);
    const r = cpu.regs;
    r.lo[0] = out[0]; r.hi[0] = 0;
    r.lo[3] = out[1]; r.hi[3] = 0;
    r.lo[1] = out[2]; r.hi[1] = 0;
    r.lo[2] = out[3]; r.hi[2] = 0;
  }

  rdmsr(ctx: CpuContext, msr: number): bigint | undefined {
    const cpu = ctx as LogicalProcessor;
    // RDMSR of IA32_TIME_STAMP_COUNTER in non-root operation sees TSC offsetting and scaling (26.3).
    if (msr === MSR_TSC) return guestTsc(cpu);
    return readMsr(cpu, msr);
  }

  wrmsr(ctx: CpuContext, msr: number, value: bigint): boolean {
    return writeMsr(ctx as LogicalProcessor, msr, value);
  }

  rdtsc(ctx: CpuContext): bigint {
    return guestTsc(ctx as LogicalProcessor);
  }

  /** No device decodes any port: reads return all ones, writes are discarded (port E9H is kept as a debug console). */
  portIn(_ctx: CpuContext, _port: number, size: number): number {
    return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
  }
  portOut(_ctx: CpuContext, port: number, size: number, value: number): void {
    if (port === 0xe9 && size === 1) this.machine.console(value & 0xff);
  }

  readCr(ctx: CpuContext, cr: number): bigint {
    const cpu = ctx as LogicalProcessor;
    const r = cpu.regs;
    const vmcs = cpu.nonRoot ? cpu.current : null;
    switch (cr) {
      case 0: return BigInt(vmcs !== null ? shadowedCr(cpu, vmcs, 0) : r.cr0 >>> 0);
      case 4: return BigInt(vmcs !== null ? shadowedCr(cpu, vmcs, 4) : r.cr4 >>> 0);
      case 2: return BigInt.asUintN(64, BigInt(r.cr2));
      case 3: return BigInt(r.cr3);
      case 8:
        // With "use TPR shadow", MOV from CR8 reads VTPR[7:4] (30.1.1).
        if (vmcs !== null && tprShadow(vmcs)) return BigInt(cpu.memory.read8(vtprAddress(vmcs)) >>> 4);
        return BigInt(r.cr8);
      default: return 0n;
    }
  }

  writeCr(ctx: CpuContext, cr: number, value: bigint): HookResult {
    const cpu = ctx as LogicalProcessor;
    const vmcs = cpu.nonRoot ? cpu.current : null;
    const vlo = lo(value);
    const vhi = hi(value);
    let ok: boolean;
    switch (cr) {
      case 0: {
        if (vhi !== 0) return this.gp(cpu);
        const v = vmcs !== null ? maskedCrWrite(cpu, vmcs, 0, vlo) : vlo;
        const unrestricted = vmcs !== null && (secondary(vmcs) & PROC2.UNRESTRICTED_GUEST) !== 0;
        ok = writeCr0(cpu, v, 0, unrestricted ? (CR0.PE | CR0.PG) : 0);
        break;
      }
      case 4: {
        if (vhi !== 0) return this.gp(cpu);
        ok = writeCr4(cpu, vmcs !== null ? maskedCrWrite(cpu, vmcs, 4, vlo) : vlo, 0);
        break;
      }
      case 3:
        ok = writeCr3(cpu, vlo, vhi);
        break;
      case 2:
        cpu.regs.cr2 = (vhi | 0) * 4294967296 + vlo;
        ok = true;
        break;
      case 8:
        if (vhi !== 0 || vlo >>> 4 !== 0) return this.gp(cpu);
        if (vmcs !== null && tprShadow(vmcs)) return this.writeVtpr(cpu, vmcs, vlo);
        cpu.regs.cr8 = vlo;
        ok = true;
        break;
      default:
        ok = false;
    }
    return ok ? CONTINUE : this.gp(cpu);
  }

  /**
   * MOV to CR8 with the TPR shadow (30.1.2 "TPR Virtualization"): VTPR[7:4] ← source[3:0], the rest of bytes
   * 80H–83H ← 0; then, without virtual-interrupt delivery, a trap-like "TPR below threshold" VM exit (reason 43)
   * if VTPR[7:4] < TPR threshold[3:0]. Being trap-like, it saves the RIP of the next instruction.
   */
  private writeVtpr(cpu: LogicalProcessor, vmcs: Vmcs, value: number): HookResult {
    cpu.memory.write32(vtprAddress(vmcs), (value & 0xf) << 4);
    if (!tprBelowThreshold(cpu, vmcs)) return CONTINUE;
    cpu.regs.rip += cpu.facts.length;
    const e = beginExit(cpu, EXIT.TPR_BELOW_THRESHOLD);
    e.instrLen = -1;
    completeExit(cpu);
    return EXITED;
  }

  private gp(cpu: LogicalProcessor): HookResult {
    cpu.facts.faultVector = VEC_GP;
    cpu.facts.faultErrorCode = 0;
    return FAULTED;
  }

  vmreadShadow(ctx: CpuContext, encoding: bigint): { ok: boolean; value: bigint; error?: number } {
    return vmreadNoExit(ctx as LogicalProcessor, encoding);
  }

  vmwriteShadow(ctx: CpuContext, encoding: bigint, value: bigint): { ok: boolean; error?: number } {
    return vmwriteNoExit(ctx as LogicalProcessor, encoding, value);
  }

  instructionBoundary(ctx: CpuContext): HookResult {
    const cpu = ctx as LogicalProcessor;
    if (!cpu.nonRoot) return CONTINUE;
    if (atBoundary(cpu, this.machine.executor(cpu)) || !cpu.nonRoot) return EXITED;
    cpu.pendingEvents = boundaryWork(cpu);
    return CONTINUE;
  }

  translateGuestPhysical(ctx: CpuContext, gpa: number, access: number, linear: number): number {
    const cpu = ctx as LogicalProcessor;
    const vmcs = cpu.current;
    if (!cpu.nonRoot || vmcs === null || (secondary(vmcs) & PROC2.ENABLE_EPT) === 0) return gpa;
    return eptTranslate(cpu, vmcs, gpa, access, linear);
  }

  /**
   * TLB context (29.4 "Caching Translation Information"): the VPID in bits 15:0 when "enable VPID" is 1 (0000H
   * otherwise, and in root operation, 29.1), and above them EP4TA + 1 (EPTP bits 51:12) when EPT is on (0
   * otherwise). The interpreter's TLB keeps linear mappings by VPID, combined mappings by VPID and EP4TA and
   * guest-physical mappings by EP4TA (src/emulator/x86/tlb.ts).
   */
  translationTag(ctx: CpuContext): number {
    const cpu = ctx as LogicalProcessor;
    const vmcs = cpu.current;
    if (!cpu.nonRoot || vmcs === null) return 0;
    const vpid = vpidEnabled(vmcs) ? vmcs.lo[V.VIRTUAL_PROCESSOR_ID] & 0xffff : 0;
    if ((secondary(vmcs) & PROC2.ENABLE_EPT) === 0) return vpid;
    const ep4ta = (vmcs.hi[V.EPT_POINTER] & 0xfffff) * 1048576 + (vmcs.lo[V.EPT_POINTER] >>> 12);
    return (ep4ta + 1) * 65536 + vpid;
  }
}
