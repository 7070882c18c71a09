/**
 * SDM Vol. 3C 28.5 "Loading Host State": what every VM exit (and every VM-entry failure of 27.8) loads from
 * the host-state area.
 */
import * as ns_arch from '../../arch';
import type { LogicalProcessor } from '../processor';
import * as ns_state from '../state';
import type { SegmentBank } from '../state';
import * as ns_vmcs_layout from '../vmcs/layout';
import type { Vmcs } from '../vmcs/vmcs';
import * as ns_entry_guest_state from '../entry/guest-state';
import { HalvesMemo } from '../util/bits';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { CR4, EXIT_CTL, IA32_EFER, SEG_AR } = ns_arch;
const { SEG } = ns_state;
const { V } = ns_vmcs_layout;
const { loadCr0 } = ns_entry_guest_state;

const FLAT_LIMIT = 0xffffffff;
/** Data segments after a VM exit (28.5.2): type 3 (read/write accessed), S, DPL 0, P, D/B, G. */
const HOST_DATA_AR = 3 | SEG_AR.S | SEG_AR.P | SEG_AR.DB | SEG_AR.G;
/** TR after a VM exit: type 11 (busy 64-bit/32-bit TSS), P, limit 67H. */
const HOST_TR_AR = 11 | SEG_AR.P;
/** CS after a VM exit (28.5.2): type 11 (execute/read accessed code), S, P, G, and L or D/B by the host's mode. */
const HOST_CODE64_AR = 11 | SEG_AR.S | SEG_AR.P | SEG_AR.G | SEG_AR.L;
const HOST_CODE32_AR = 11 | SEG_AR.S | SEG_AR.P | SEG_AR.G | SEG_AR.DB;
const TWO32 = 4294967296;
/** Conversions to the MSRs held as bigints, memoized (host values rarely change). */
const PAT = new HalvesMemo();
const PERF_GLOBAL_CTRL = new HalvesMemo();

export function loadHostState(cpu: LogicalProcessor, vmcs: Vmcs): void {
  const r = cpu.regs;
  const lo = vmcs.lo;
  const hi = vmcs.hi;
  const exitCtl = lo[V.VM_EXIT_CONTROLS];
  const host64 = (exitCtl & EXIT_CTL.HOST_ADDRESS_SPACE_SIZE) !== 0;
  // 28.5.1 Control registers, debug registers, MSRs.
  loadCr0(cpu, lo[V.HOST_CR0]);
  r.cr3 = hi[V.HOST_CR3] * TWO32 + lo[V.HOST_CR3];
  r.cr4 = host64 ? lo[V.HOST_CR4] | CR4.PAE : lo[V.HOST_CR4] & ~CR4.PCIDE;
  r.dr[7] = 0x400n;
  cpu.debugctlLo = 0;
  cpu.debugctlHi = 0;
  cpu.sysenterCs = lo[V.HOST_IA32_SYSENTER_CS];
  cpu.sysenterEsp = (hi[V.HOST_IA32_SYSENTER_ESP] | 0) * TWO32 + lo[V.HOST_IA32_SYSENTER_ESP];
  cpu.sysenterEip = (hi[V.HOST_IA32_SYSENTER_EIP] | 0) * TWO32 + lo[V.HOST_IA32_SYSENTER_EIP];
  if ((exitCtl & (EXIT_CTL.LOAD_IA32_PERF_GLOBAL_CTRL | EXIT_CTL.LOAD_IA32_PAT)) !== 0) {
    if ((exitCtl & EXIT_CTL.LOAD_IA32_PERF_GLOBAL_CTRL) !== 0) {
      cpu.perfGlobalCtrl = PERF_GLOBAL_CTRL.join(lo[V.HOST_IA32_PERF_GLOBAL_CTRL], hi[V.HOST_IA32_PERF_GLOBAL_CTRL]);
    }
    if ((exitCtl & EXIT_CTL.LOAD_IA32_PAT) !== 0) cpu.pat = PAT.join(lo[V.HOST_IA32_PAT], hi[V.HOST_IA32_PAT]);
  }
  if ((exitCtl & EXIT_CTL.LOAD_IA32_EFER) !== 0) {
    r.efer = lo[V.HOST_IA32_EFER];
  } else {
    const both = IA32_EFER.LMA | IA32_EFER.LME;
    r.efer = host64 ? r.efer | both : r.efer & ~both;
  }
  // 28.5.2 Segment and descriptor-table registers, in the root bank; it already holds them when neither it
  // nor a control or host-state field of this VMCS changed since they were last loaded (processor.ts).
  const rb = r.rootBank;
  r.bank = rb;
  if (rb.written || cpu.rootBankVmcs !== vmcs || cpu.rootBankGen !== vmcs.ctlGen) loadHostSegments(cpu, vmcs, rb, host64);
  r.gdtrBase = (hi[V.HOST_GDTR_BASE] | 0) * TWO32 + lo[V.HOST_GDTR_BASE];
  r.gdtrLimit = 0xffff;
  r.idtrBase = (hi[V.HOST_IDTR_BASE] | 0) * TWO32 + lo[V.HOST_IDTR_BASE];
  r.idtrLimit = 0xffff;
  r.cpl = 0;
  // 28.5.3 RIP, RSP, RFLAGS.
  r.rip = (hi[V.HOST_RIP] | 0) * TWO32 + lo[V.HOST_RIP];
  r.lo[4] = lo[V.HOST_RSP];
  r.hi[4] = hi[V.HOST_RSP];
  r.rflags = 0x2;
  cpu.activityState = 0;
}

/**
 * The segment registers of 28.5.2: a function of the host-state fields and the "host address-space size"
 * control only (so of Vmcs.ctlGen). A null data selector makes the register unusable (SS too; its DPL stays 0).
 */
function loadHostSegments(cpu: LogicalProcessor, vmcs: Vmcs, b: SegmentBank, host64: boolean): void {
  const lo = vmcs.lo;
  const hi = vmcs.hi;
  const sel = b.sel;
  const base = b.base;
  const limit = b.limit;
  const access = b.access;
  let v: number;
  sel[SEG.CS] = lo[V.HOST_CS_SELECTOR];
  base[SEG.CS] = 0;
  limit[SEG.CS] = FLAT_LIMIT;
  access[SEG.CS] = host64 ? HOST_CODE64_AR : HOST_CODE32_AR;
  sel[SEG.ES] = v = lo[V.HOST_ES_SELECTOR];
  base[SEG.ES] = 0;
  limit[SEG.ES] = FLAT_LIMIT;
  access[SEG.ES] = v === 0 ? HOST_DATA_AR | SEG_AR.UNUSABLE : HOST_DATA_AR;
  sel[SEG.SS] = v = lo[V.HOST_SS_SELECTOR];
  base[SEG.SS] = 0;
  limit[SEG.SS] = FLAT_LIMIT;
  access[SEG.SS] = v === 0 ? HOST_DATA_AR | SEG_AR.UNUSABLE : HOST_DATA_AR;
  sel[SEG.DS] = v = lo[V.HOST_DS_SELECTOR];
  base[SEG.DS] = 0;
  limit[SEG.DS] = FLAT_LIMIT;
  access[SEG.DS] = v === 0 ? HOST_DATA_AR | SEG_AR.UNUSABLE : HOST_DATA_AR;
  sel[SEG.FS] = v = lo[V.HOST_FS_SELECTOR];
  base[SEG.FS] = (hi[V.HOST_FS_BASE] | 0) * TWO32 + lo[V.HOST_FS_BASE];
  limit[SEG.FS] = FLAT_LIMIT;
  access[SEG.FS] = v === 0 ? HOST_DATA_AR | SEG_AR.UNUSABLE : HOST_DATA_AR;
  sel[SEG.GS] = v = lo[V.HOST_GS_SELECTOR];
  base[SEG.GS] = (hi[V.HOST_GS_BASE] | 0) * TWO32 + lo[V.HOST_GS_BASE];
  limit[SEG.GS] = FLAT_LIMIT;
  access[SEG.GS] = v === 0 ? HOST_DATA_AR | SEG_AR.UNUSABLE : HOST_DATA_AR;
  sel[SEG.TR] = lo[V.HOST_TR_SELECTOR];
  base[SEG.TR] = (hi[V.HOST_TR_BASE] | 0) * TWO32 + lo[V.HOST_TR_BASE];
  limit[SEG.TR] = 0x67;
  access[SEG.TR] = HOST_TR_AR;
  sel[SEG.LDTR] = 0;
  base[SEG.LDTR] = 0;
  limit[SEG.LDTR] = 0;
  access[SEG.LDTR] = SEG_AR.UNUSABLE;
  b.written = false;
  cpu.rootBankVmcs = vmcs;
  cpu.rootBankGen = vmcs.ctlGen;
}
