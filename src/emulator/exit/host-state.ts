/**
 * SDM Vol. 3C 28.5 "Loading Host State": what every VM exit (and every VM-entry failure of 27.8) loads from
 * the host-state area.
 */
import * as ns_arch from '../../arch';
import type { LogicalProcessor } from '../processor';
import * as ns_state from '../state';
import * as ns_vmcs_layout from '../vmcs/layout';
import type { Vmcs } from '../vmcs/vmcs';
import * as ns_entry_guest_state from '../entry/guest-state';
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

export function loadHostState(cpu: LogicalProcessor, vmcs: Vmcs): void {
  const r = cpu.regs;
  const lo = vmcs.lo;
  const exitCtl = lo[V.VM_EXIT_CONTROLS];
  const host64 = (exitCtl & EXIT_CTL.HOST_ADDRESS_SPACE_SIZE) !== 0;
  // 28.5.1 Control registers, debug registers, MSRs.
  loadCr0(cpu, lo[V.HOST_CR0]);
  r.cr3 = vmcs.getUnsigned(V.HOST_CR3);
  r.cr4 = host64 ? lo[V.HOST_CR4] | CR4.PAE : lo[V.HOST_CR4] & ~CR4.PCIDE;
  r.dr[7] = 0x400n;
  cpu.debugctl = 0n;
  cpu.sysenterCs = lo[V.HOST_IA32_SYSENTER_CS];
  cpu.sysenterEsp = vmcs.getNum(V.HOST_IA32_SYSENTER_ESP);
  cpu.sysenterEip = vmcs.getNum(V.HOST_IA32_SYSENTER_EIP);
  if ((exitCtl & EXIT_CTL.LOAD_IA32_PERF_GLOBAL_CTRL) !== 0) cpu.perfGlobalCtrl = vmcs.get64(V.HOST_IA32_PERF_GLOBAL_CTRL);
  if ((exitCtl & EXIT_CTL.LOAD_IA32_PAT) !== 0) cpu.pat = vmcs.get64(V.HOST_IA32_PAT);
  if ((exitCtl & EXIT_CTL.LOAD_IA32_EFER) !== 0) {
    r.efer = lo[V.HOST_IA32_EFER];
  } else {
    const both = IA32_EFER.LMA | IA32_EFER.LME;
    r.efer = host64 ? r.efer | both : r.efer & ~both;
  }
  // 28.5.2 Segment and descriptor-table registers.
  r.segSelector[SEG.CS] = lo[V.HOST_CS_SELECTOR];
  r.segBase[SEG.CS] = 0;
  r.segLimit[SEG.CS] = FLAT_LIMIT;
  r.segAccess[SEG.CS] = 11 | SEG_AR.S | SEG_AR.P | SEG_AR.G | (host64 ? SEG_AR.L : SEG_AR.DB);
  const data = [SEG.ES, SEG.SS, SEG.DS, SEG.FS, SEG.GS];
  const sels = [V.HOST_ES_SELECTOR, V.HOST_SS_SELECTOR, V.HOST_DS_SELECTOR, V.HOST_FS_SELECTOR, V.HOST_GS_SELECTOR];
  for (let i = 0; i < 5; i++) {
    const s = data[i];
    const sel = lo[sels[i]];
    r.segSelector[s] = sel;
    r.segLimit[s] = FLAT_LIMIT;
    // A null selector makes the register unusable (SS too, 28.5.2; its DPL stays 0).
    r.segAccess[s] = sel === 0 ? HOST_DATA_AR | SEG_AR.UNUSABLE : HOST_DATA_AR;
    r.segBase[s] = 0;
  }
  r.segBase[SEG.FS] = vmcs.getNum(V.HOST_FS_BASE);
  r.segBase[SEG.GS] = vmcs.getNum(V.HOST_GS_BASE);
  r.segSelector[SEG.TR] = lo[V.HOST_TR_SELECTOR];
  r.segBase[SEG.TR] = vmcs.getNum(V.HOST_TR_BASE);
  r.segLimit[SEG.TR] = 0x67;
  r.segAccess[SEG.TR] = HOST_TR_AR;
  r.segSelector[SEG.LDTR] = 0;
  r.segBase[SEG.LDTR] = 0;
  r.segLimit[SEG.LDTR] = 0;
  r.segAccess[SEG.LDTR] = SEG_AR.UNUSABLE;
  r.gdtrBase = vmcs.getNum(V.HOST_GDTR_BASE);
  r.gdtrLimit = 0xffff;
  r.idtrBase = vmcs.getNum(V.HOST_IDTR_BASE);
  r.idtrLimit = 0xffff;
  r.cpl = 0;
  // 28.5.3 RIP, RSP, RFLAGS.
  r.rip = vmcs.getNum(V.HOST_RIP);
  r.lo[4] = lo[V.HOST_RSP];
  r.hi[4] = vmcs.hi[V.HOST_RSP];
  r.rflags = 0x2;
  cpu.activityState = 0;
}
