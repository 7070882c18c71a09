/**
 * VMX benchmarks of the reference emulator's core (src/emulator), measured on the synchronous API that the
 * contract wraps — the cost of the architectural work, not of promises or of the contract's validation:
 *  - vmread_vmwrite_ops_per_s: VMWRITE then VMREAD of Guest RIP in VMX root operation, each a full
 *    instruction (the #UD/#GP checks, current-VMCS check, encoding lookup, width handling, RFLAGS).
 *  - exit_roundtrips_per_s: a guest looping on CPUID ("cpuid; jmp back"); every CPUID exits (reason 10), the
 *    VMM reads the exit reason and instruction length, advances Guest RIP with VMREAD/VMWRITE and executes
 *    VMRESUME (the VM-entry checks, guest-state load, two guest instructions interpreted, the VM exit with
 *    guest-state save and host-state load). Measured with VPIDs enabled (exit_roundtrips_per_s) and without
 *    (exit_roundtrips_no_vpid_per_s: every VM entry and exit then flushes the guest's cached translations,
 *    SDM 29.4.3, so each round trip also walks the guest page tables).
 * Each figure is the best of several timed runs after a warm-up, per second of CPU time (measure.ts); the
 * wall-clock figure is returned too.
 */
import * as arch from '../src/arch';
import * as vmEntry from '../src/emulator/entry/vm-entry';
import * as conventions from '../src/emulator/vmx/conventions';
import * as vmreadVmwrite from '../src/emulator/vmx/vmread-vmwrite';
import * as setup from './setup';
import * as measure from './measure';
// Bindings taken once: under tsx (esbuild CommonJS) each use of an imported name is a getter call, which
// would be measured along with the emulator.
const { EXIT, F, PROC, PROC2 } = arch;
const { vmLaunchOrResume } = vmEntry;
const { R_SUCCEED, R_VM_EXIT } = conventions;
const { vmread, vmwrite } = vmreadVmwrite;
const { guestCode, readyMachine, w } = setup;
const { bestOf } = measure;

export interface BenchResult {
  value: number;
  unit: string;
  /** The same figure per second of wall-clock time. */
  wall?: number;
}

export function benchVmreadVmwrite(): BenchResult {
  const { cpu } = readyMachine();
  const N = 5_000_000;
  const r = bestOf(5, () => {
    for (let i = 0; i < N; i++) {
      if (vmwrite(cpu, F.GUEST_RIP, 0, i, 0) !== R_SUCCEED) throw new Error('VMWRITE failed');
      if (vmread(cpu, F.GUEST_RIP, 0) !== R_SUCCEED || cpu.readLo !== i) throw new Error('VMREAD failed');
    }
    return 2 * N;
  });
  return { value: r.cpu, unit: 'ops/s', wall: r.wall };
}

/**
 * With `vpid`, the VMM enables VPIDs (as KVM and every modern VMM do), so VM entries and exits keep the
 * guest's cached translations (SDM 29.4.3); without, each transition flushes them and the guest's next
 * instruction fetch walks the page tables again.
 */
export function benchExitRoundtrips(vpid = true, roundtrips = 300_000, runs = 6): BenchResult {
  const { m, cpu } = readyMachine();
  if (vpid) {
    w(cpu, 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL', m.caps.proc.must1 | PROC.ACTIVATE_SECONDARY_CONTROLS);
    w(cpu, 'SECONDARY_VM_EXEC_CONTROL', PROC2.ENABLE_VPID);
    w(cpu, 'VIRTUAL_PROCESSOR_ID', 1);
  }
  guestCode(m, [0x0f, 0xa2, 0xeb, 0xfc]); // l: cpuid; jmp l
  if (vmLaunchOrResume(m, cpu, true, 100) !== R_VM_EXIT) throw new Error(`VMLAUNCH did not exit: ${cpu.failedRule}`);
  const N = roundtrips;
  const r = bestOf(runs, () => {
    for (let i = 0; i < N; i++) {
      vmread(cpu, F.VM_EXIT_REASON, 0);
      if (cpu.readLo !== EXIT.CPUID) throw new Error(`unexpected exit reason ${cpu.readLo}`);
      vmread(cpu, F.VM_EXIT_INSTRUCTION_LEN, 0);
      const len = cpu.readLo;
      vmread(cpu, F.GUEST_RIP, 0);
      vmwrite(cpu, F.GUEST_RIP, 0, cpu.readLo + len, cpu.readHi);
      if (vmLaunchOrResume(m, cpu, false, 100) !== R_VM_EXIT) throw new Error(`VMRESUME did not exit: ${cpu.failedRule}`);
    }
    return N;
  });
  return { value: r.cpu, unit: 'roundtrips/s', wall: r.wall };
}

if (require.main === module) {
  // The exit round trips alone, e.g. for a profile: node --import tsx --cpu-prof bench/vmx.ts [no-vpid]
  const vpid = process.argv[2] !== 'no-vpid';
  for (let i = 0; i < 3; i++) {
    const r = benchExitRoundtrips(vpid);
    console.log(`exit_roundtrips${vpid ? '' : '_no_vpid'}_per_s ${r.value} ${r.unit} (wall clock ${r.wall})`);
  }
}
