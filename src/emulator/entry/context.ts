/**
 * What the VM-entry rules look at, read once per VM entry: the control fields (secondary controls count as
 * 0 when "activate secondary controls" is 0, SDM 25.6.2), the capability settings, the processor's IA-32e
 * mode, and accessors for VMCS fields by dense index. One context object per logical processor, reused.
 */
import * as ns_arch from '../../arch';
import type { MachineCapabilities } from '../capabilities';
import type { LogicalProcessor } from '../processor';
import * as ns_vmcs_layout from '../vmcs/layout';
import type { Vmcs } from '../vmcs/vmcs';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { ENTRY_CTL, EXIT_CTL, IA32_EFER, INTR_INFO, PROC, PROC2 } = ns_arch;
const { V } = ns_vmcs_layout;

export class EntryContext {
  cpu!: LogicalProcessor;
  caps!: MachineCapabilities;
  vmcs!: Vmcs;
  pin = 0;
  proc = 0;
  /** Secondary controls in effect: 0 when "activate secondary controls" is 0. */
  proc2 = 0;
  /** The raw secondary-controls field (checked against its capability only when activated). */
  proc2Field = 0;
  exit = 0;
  entry = 0;
  /** IA32_EFER.LMA of the logical processor executing VMLAUNCH/VMRESUME. */
  lma = false;
  ia32eGuest = false;
  unrestricted = false;
  hostAddrSpace64 = false;
  /** VM-entry interruption-information field, its valid bit, type and vector. */
  intrInfo = 0;
  injecting = false;
  injType = 0;
  injVector = 0;

  prepare(cpu: LogicalProcessor, vmcs: Vmcs): this {
    this.cpu = cpu;
    this.caps = cpu.caps;
    this.vmcs = vmcs;
    const lo = vmcs.lo;
    this.pin = lo[V.PIN_BASED_VM_EXEC_CONTROL];
    this.proc = lo[V.PRIMARY_PROC_BASED_VM_EXEC_CONTROL];
    this.proc2Field = lo[V.SECONDARY_VM_EXEC_CONTROL];
    this.proc2 = (this.proc & PROC.ACTIVATE_SECONDARY_CONTROLS) !== 0 ? this.proc2Field : 0;
    this.exit = lo[V.VM_EXIT_CONTROLS];
    this.entry = lo[V.VM_ENTRY_CONTROLS];
    this.lma = (cpu.regs.efer & IA32_EFER.LMA) !== 0;
    this.ia32eGuest = (this.entry & ENTRY_CTL.IA32E_MODE_GUEST) !== 0;
    this.unrestricted = (this.proc2 & PROC2.UNRESTRICTED_GUEST) !== 0;
    this.hostAddrSpace64 = (this.exit & EXIT_CTL.HOST_ADDRESS_SPACE_SIZE) !== 0;
    this.intrInfo = lo[V.VM_ENTRY_INTR_INFO_FIELD];
    this.injecting = (this.intrInfo & INTR_INFO.VALID) !== 0;
    this.injType = (this.intrInfo & INTR_INFO.TYPE_MASK) >>> INTR_INFO.TYPE_SHIFT;
    this.injVector = this.intrInfo & INTR_INFO.VECTOR_MASK;
    return this;
  }

  // --- Recording (entry/guest-check-cache.ts): which fields a rule read, and whether it read memory. ---
  recording = false;
  readonly reads = new Int32Array(64);
  nreads = 0;
  usedMemory = false;

  private note(d: number): void {
    if (this.nreads < this.reads.length) this.reads[this.nreads++] = d;
    else this.usedMemory = true; // too many to track: treat as never cacheable
  }

  /** Bits 31:0 of a field. */
  lo(d: number): number {
    if (this.recording) this.note(d);
    return this.vmcs.lo[d];
  }
  /** Bits 63:32 of a field. */
  hi(d: number): number {
    if (this.recording) this.note(d);
    return this.vmcs.hi[d];
  }
  get64(d: number): bigint {
    if (this.recording) this.note(d);
    return this.vmcs.get64(d);
  }
  /** A field as an unsigned number (physical addresses). */
  unsigned(d: number): number {
    if (this.recording) this.note(d);
    return this.vmcs.getUnsigned(d);
  }
  /** Physical memory, read by a rule (such a rule is re-evaluated at every VM entry). */
  mem8(addr: number): number {
    this.usedMemory = true;
    return this.cpu.memory.read8(addr);
  }
  mem32(addr: number): number {
    this.usedMemory = true;
    return this.cpu.memory.read32(addr);
  }
  pinSet(bit: number): boolean {
    return (this.pin & bit) !== 0;
  }
  procSet(bit: number): boolean {
    return (this.proc & bit) !== 0;
  }
  proc2Set(bit: number): boolean {
    return (this.proc2 & bit) !== 0;
  }
  exitSet(bit: number): boolean {
    return (this.exit & bit) !== 0;
  }
  entrySet(bit: number): boolean {
    return (this.entry & bit) !== 0;
  }
}
