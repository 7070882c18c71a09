/**
 * A small reference hypervisor scheduler: many vCPUs time-shared on few logical processors (overcommit),
 * driven entirely through the implementation contract.
 *
 * It does what a real VMM must do and what the SDM requires of it:
 *  - each logical processor has its own VMXON region and is in VMX root operation;
 *  - each vCPU has its own VMCS; a VMCS is active on at most one logical processor at a time. To move a
 *    vCPU, the VMM executes VMCLEAR on the logical processor where its VMCS is active, then VMPTRLD on the
 *    new one, and enters with VMLAUNCH because VMCLEAR left the launch state clear (SDM 25.11.1
 *    "Software Use of Virtual-Machine Control Structures"; 25.1 "Overview": launch state);
 *  - VM exits do not save general-purpose registers other than RSP (SDM 28.3 "Saving Guest State"), so the
 *    VMM saves them when it deschedules a vCPU and restores them before the vCPU's next entry.
 *  - a VMCS's host-state area describes the logical processor it runs on, so it is rewritten on migration.
 */

import type { ExecuteOptions, Instruction, Outcome, StateValues } from '../contract/types';

/** What the scheduler needs of the contract (the cucumber World provides it, with tracing). */
export interface SchedulerPort {
  execute(instruction: Instruction, options: ExecuteOptions | undefined, cpu: number): Promise<Outcome>;
  getState(names: string[], cpu: number): Promise<StateValues>;
  setState(values: StateValues, cpu: number): Promise<void>;
}

/** GPRs the VMM keeps for a descheduled vCPU (RSP lives in the VMCS guest-state area). */
export const SAVED_GPRS = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];

export interface Vcpu {
  id: number;
  vmcs: bigint;
  /** The logical processor where this vCPU's VMCS is active, if any. */
  activeOn?: number;
  /** Whether its VMCS's launch state is "launched" (as the VMM knows it). */
  launched: boolean;
  gprs: StateValues;
  slices: number;
}

export interface ScheduleStats {
  slices: number;
  migrations: number;
  launches: number;
  resumes: number;
  vmclears: number;
  vmptrlds: number;
}

export class SchedulerError extends Error {}

/**
 * Rounds of round-robin: in each round every vCPU gets one time slice. vCPU i has a home logical processor,
 * (i + ⌊round / rebalanceEvery⌋) mod P, so vCPUs stay put (VMPTRLD + VMRESUME) between rebalancings and
 * migrate (VMCLEAR, VMPTRLD, VMLAUNCH) at each one. Each slice expects the guest to yield with VMCALL
 * (basic exit reason 18); the VMM then skips the VMCALL.
 */
export class OvercommitScheduler {
  readonly stats: ScheduleStats = { slices: 0, migrations: 0, launches: 0, resumes: 0, vmclears: 0, vmptrlds: 0 };
  /** The VMCS current on each logical processor (as the VMM tracks it). */
  private readonly current: (bigint | undefined)[];

  constructor(
    private readonly port: SchedulerPort,
    readonly vcpus: Vcpu[],
    readonly processors: number,
    /** Rewrites the host-state area of the current VMCS for the given logical processor. */
    private readonly writeHostState: (cpu: number) => Promise<void>,
    private readonly exitReasonOf: (o: Outcome) => number,
    private readonly vmread: (encodingName: string, cpu: number) => Promise<bigint>,
    private readonly vmwrite: (encodingName: string, value: bigint, cpu: number) => Promise<void>,
    private readonly options: ExecuteOptions = {},
  ) {
    this.current = Array(processors).fill(undefined);
  }

  private async expectSucceed(instruction: Instruction, cpu: number, what: string): Promise<void> {
    const o = await this.port.execute(instruction, undefined, cpu);
    if (o.kind !== 'VMsucceed') throw new SchedulerError(`${what} on logical processor ${cpu} did not succeed: ${o.kind}${o.kind === 'VMfailValid' ? ` ${o.error}` : ''}`);
  }

  /** Make the vCPU's VMCS current on `cpu`, migrating it there if it is active elsewhere. */
  private async place(v: Vcpu, cpu: number): Promise<void> {
    if (v.activeOn !== undefined && v.activeOn !== cpu) {
      await this.expectSucceed({ mnemonic: 'VMCLEAR', address: v.vmcs }, v.activeOn, `VMCLEAR of vCPU ${v.id}'s VMCS`);
      this.stats.vmclears++;
      this.stats.migrations++;
      if (this.current[v.activeOn] === v.vmcs) this.current[v.activeOn] = undefined;
      v.activeOn = undefined;
      v.launched = false; // VMCLEAR sets the launch state to clear
    }
    if (this.current[cpu] !== v.vmcs) {
      await this.expectSucceed({ mnemonic: 'VMPTRLD', address: v.vmcs }, cpu, `VMPTRLD of vCPU ${v.id}'s VMCS`);
      this.stats.vmptrlds++;
      this.current[cpu] = v.vmcs;
    }
    if (v.activeOn !== cpu) {
      await this.writeHostState(cpu);
      v.activeOn = cpu;
    }
  }

  async runSlice(v: Vcpu, cpu: number): Promise<void> {
    await this.place(v, cpu);
    await this.port.setState(v.gprs, cpu);
    const mnemonic = v.launched ? 'VMRESUME' : 'VMLAUNCH';
    const o = await this.port.execute({ mnemonic }, this.options, cpu);
    if (mnemonic === 'VMLAUNCH') this.stats.launches++;
    else this.stats.resumes++;
    if (o.kind !== 'vm-exit') {
      throw new SchedulerError(`${mnemonic} of vCPU ${v.id} on logical processor ${cpu} ended with ${o.kind}${o.kind === 'VMfailValid' ? ` (VM-instruction error ${o.error})` : ''}, not a VM exit`);
    }
    const reason = this.exitReasonOf(o);
    if (reason !== 18) throw new SchedulerError(`vCPU ${v.id} exited with exit reason ${reason}, not VMCALL (18)`);
    v.launched = true;
    v.slices++;
    this.stats.slices++;
    v.gprs = await this.port.getState(SAVED_GPRS, cpu);
    const rip = await this.vmread('GUEST_RIP', cpu);
    const len = await this.vmread('VM_EXIT_INSTRUCTION_LEN', cpu);
    await this.vmwrite('GUEST_RIP', rip + len, cpu);
  }

  async run(rounds: number, rebalanceEvery: number): Promise<void> {
    for (let r = 0; r < rounds; r++) {
      for (const v of this.vcpus) {
        await this.runSlice(v, (v.id + Math.floor(r / rebalanceEvery)) % this.processors);
      }
    }
  }
}
