/** Guests running in VMX non-root operation end to end: exits, exit information, events, timers, EPT, shadowing. */
import { describe, it } from 'node:test';
import { expect } from 'chai';
import { EXIT, EXIT_CTL, F, PIN, PROC, PROC2 } from '../../src/arch';
import { vmLaunchOrResume } from '../../src/emulator/entry/vm-entry';
import { runNonRoot } from '../../src/emulator/nonroot/run';
import { R_STILL_RUNNING, R_VM_EXIT } from '../../src/emulator/vmx/conventions';
import { deliverPlatformEvent } from '../../src/emulator/events';
import { VMCS_REGION_2, GUEST_CODE, HOST_RIP, guestAsm, r, readyMachine, w, writeRevision } from './fixture';

type Ctx = ReturnType<typeof readyMachine>;
const launch = (c: Ctx, steps = 10_000) => vmLaunchOrResume(c.m, c.cpu, true, steps);
const reason = (c: Ctx) => Number(r(c.cpu, 'VM_EXIT_REASON'));
const proc = (c: Ctx, bits: number) => w(c.cpu, 'PRIMARY_PROC_BASED_VM_EXEC_CONTROL', (c.m.caps.proc.must1 | bits) >>> 0);
const secondary = (c: Ctx, primary: number, bits: number) => {
  proc(c, primary | PROC.ACTIVATE_SECONDARY_CONTROLS);
  w(c.cpu, 'SECONDARY_VM_EXEC_CONTROL', bits);
};

describe('instruction exits and their information (SDM 28.2)', () => {
  it('CPUID exits with reason 10, the instruction length, guest RIP at the instruction; host state is back', () => {
    const c = readyMachine();
    guestAsm(c.m, 'nop\ncpuid');
    expect(launch(c)).to.equal(R_VM_EXIT);
    expect(reason(c)).to.equal(EXIT.CPUID);
    expect(Number(r(c.cpu, 'VM_EXIT_INSTRUCTION_LEN'))).to.equal(2);
    expect(Number(r(c.cpu, 'GUEST_RIP'))).to.equal(GUEST_CODE + 1);
    expect(c.cpu.regs.rip).to.equal(HOST_RIP);
    expect(c.cpu.nonRoot).to.equal(false);
    expect(c.cpu.current!.launched).to.equal(true);
  });
  it('HLT exits (12) with "HLT exiting"; without it the guest halts and the budget runs out', () => {
    const c = readyMachine();
    guestAsm(c.m, 'hlt');
    proc(c, PROC.HLT_EXITING);
    expect(launch(c)).to.equal(R_VM_EXIT);
    expect(reason(c)).to.equal(EXIT.HLT);
    const d = readyMachine();
    guestAsm(d.m, 'hlt');
    expect(launch(d, 500)).to.equal(R_STILL_RUNNING);
    expect(d.cpu.activityState).to.equal(1);
    expect(d.cpu.lastRunSteps).to.equal(500);
  });
  it('OUT with I/O bitmaps: the qualification gives size, direction, immediate operand and port', () => {
    const c = readyMachine();
    guestAsm(c.m, 'mov eax, 0x1234\nout 0x80, ax');
    proc(c, PROC.UNCONDITIONAL_IO_EXITING);
    expect(launch(c)).to.equal(R_VM_EXIT);
    expect(reason(c)).to.equal(EXIT.IO_INSTRUCTION);
    expect(Number(r(c.cpu, 'EXIT_QUALIFICATION'))).to.equal(1 | (1 << 6) | (0x80 << 16));
  });
  it('MOV to CR3 with CR3-load exiting: qualification names CR3, access type 0 and the GPR', () => {
    const c = readyMachine();
    guestAsm(c.m, 'mov rbx, cr3\nmov cr3, rbx');
    proc(c, PROC.CR3_LOAD_EXITING);
    expect(launch(c)).to.equal(R_VM_EXIT);
    expect(reason(c)).to.equal(EXIT.CR_ACCESS);
    expect(Number(r(c.cpu, 'EXIT_QUALIFICATION'))).to.equal(3 | (0 << 4) | (3 << 8));
  });
  it('RDMSR outside the bitmap ranges exits (31) even with MSR bitmaps', () => {
    const c = readyMachine();
    guestAsm(c.m, 'mov ecx, 0x40000000\nrdmsr');
    proc(c, PROC.USE_MSR_BITMAPS);
    w(c.cpu, 'MSR_BITMAP', 0x62000);
    expect(launch(c)).to.equal(R_VM_EXIT);
    expect(reason(c)).to.equal(EXIT.RDMSR);
  });
  it('RDTSC with TSC offsetting reads TSC + offset without an exit; with RDTSC exiting it exits (16)', () => {
    const c = readyMachine();
    guestAsm(c.m, 'rdtsc\ncpuid');
    proc(c, PROC.USE_TSC_OFFSETTING);
    w(c.cpu, 'TSC_OFFSET', 1n << 40n);
    expect(launch(c)).to.equal(R_VM_EXIT);
    expect(reason(c)).to.equal(EXIT.CPUID);
    const tsc = (c.cpu.regs.getGpr(2) << 32n) | c.cpu.regs.getGpr(0);
    // Guest registers are not saved in the VMCS: read them from the processor after the exit (host state left them).
    expect(tsc >= 1n << 40n).to.equal(true);
    const d = readyMachine();
    guestAsm(d.m, 'rdtsc');
    proc(d, PROC.RDTSC_EXITING);
    expect(launch(d)).to.equal(R_VM_EXIT);
    expect(reason(d)).to.equal(EXIT.RDTSC);
  });
  it('a #UD from RDTSCP without "enable RDTSCP" goes through the exception bitmap (exit 0, vector 6)', () => {
    const c = readyMachine();
    guestAsm(c.m, 'rdtscp');
    w(c.cpu, 'EXCEPTION_BITMAP', 1 << 6);
    expect(launch(c)).to.equal(R_VM_EXIT);
    expect(reason(c)).to.equal(EXIT.EXCEPTION_NMI);
    expect(Number(r(c.cpu, 'VM_EXIT_INTR_INFO'))).to.equal((0x80000000 | (3 << 8) | 6) >>> 0);
  });
});

describe('events (SDM 26.2, 26.5, 27.6)', () => {
  it('the VMX-preemption timer expires after value × 2^rate TSC ticks (exit 52), and its value can be saved', () => {
    const c = readyMachine();
    guestAsm(c.m, 'l: jmp l');
    w(c.cpu, 'PIN_BASED_VM_EXEC_CONTROL', c.m.caps.pin.must1 | PIN.ACTIVATE_VMX_PREEMPTION_TIMER);
    w(c.cpu, 'VM_EXIT_CONTROLS', c.m.caps.exit.must1 | EXIT_CTL.HOST_ADDRESS_SPACE_SIZE | EXIT_CTL.SAVE_VMX_PREEMPTION_TIMER_VALUE);
    w(c.cpu, 'VMX_PREEMPTION_TIMER_VALUE', 3);
    const t0 = c.cpu.tsc;
    expect(launch(c, 1000)).to.equal(R_VM_EXIT);
    expect(reason(c)).to.equal(EXIT.PREEMPTION_TIMER);
    const unit = 2 ** c.m.caps.preemptionTimerRate;
    expect(c.cpu.tsc).to.equal((Math.floor(t0 / unit) + 3) * unit);
    expect(Number(r(c.cpu, 'VMX_PREEMPTION_TIMER_VALUE'))).to.equal(0);
  });
  it('time advances within a run: two RDTSCs 3 instructions apart differ by 3 ticks; an exit saves the remaining count', () => {
    const c = readyMachine();
    guestAsm(c.m, 'rdtsc\nmov ebx, eax\nnop\nrdtsc\nsub eax, ebx\nmov ecx, 100\nl: dec ecx\njnz l\ncpuid');
    w(c.cpu, 'PIN_BASED_VM_EXEC_CONTROL', c.m.caps.pin.must1 | PIN.ACTIVATE_VMX_PREEMPTION_TIMER);
    w(c.cpu, 'VM_EXIT_CONTROLS', c.m.caps.exit.must1 | EXIT_CTL.HOST_ADDRESS_SPACE_SIZE | EXIT_CTL.SAVE_VMX_PREEMPTION_TIMER_VALUE);
    w(c.cpu, 'VMX_PREEMPTION_TIMER_VALUE', 1000);
    const t0 = c.cpu.tsc;
    expect(launch(c)).to.equal(R_VM_EXIT);
    expect(reason(c)).to.equal(EXIT.CPUID);
    expect(c.cpu.regs.lo[0]).to.equal(3);
    const unit = 2 ** c.m.caps.preemptionTimerRate;
    const exitTsc = c.cpu.tsc - 1; // the CPUID that exited counts as a step
    expect(Number(r(c.cpu, 'VMX_PREEMPTION_TIMER_VALUE'))).to.equal(Math.floor(t0 / unit) + 1000 - Math.floor(exitTsc / unit));
  });
  it('a zero timer exits before the first guest instruction', () => {
    const c = readyMachine();
    guestAsm(c.m, 'cpuid');
    w(c.cpu, 'PIN_BASED_VM_EXEC_CONTROL', c.m.caps.pin.must1 | PIN.ACTIVATE_VMX_PREEMPTION_TIMER);
    expect(launch(c)).to.equal(R_VM_EXIT);
    expect(reason(c)).to.equal(EXIT.PREEMPTION_TIMER);
    expect(Number(r(c.cpu, 'GUEST_RIP'))).to.equal(GUEST_CODE);
  });
  it('the monitor trap flag exits (37) after one instruction', () => {
    const c = readyMachine();
    guestAsm(c.m, 'nop\nnop\ncpuid');
    proc(c, PROC.MONITOR_TRAP_FLAG);
    expect(launch(c)).to.equal(R_VM_EXIT);
    expect(reason(c)).to.equal(EXIT.MONITOR_TRAP_FLAG);
    expect(Number(r(c.cpu, 'GUEST_RIP'))).to.equal(GUEST_CODE + 1);
  });
  it('an external interrupt with external-interrupt exiting and acknowledge-on-exit reports its vector', () => {
    const c = readyMachine();
    guestAsm(c.m, 'l: jmp l');
    w(c.cpu, 'PIN_BASED_VM_EXEC_CONTROL', c.m.caps.pin.must1 | PIN.EXTERNAL_INTERRUPT_EXITING);
    w(c.cpu, 'VM_EXIT_CONTROLS', c.m.caps.exit.must1 | EXIT_CTL.HOST_ADDRESS_SPACE_SIZE | EXIT_CTL.ACKNOWLEDGE_INTERRUPT_ON_EXIT);
    expect(launch(c, 100)).to.equal(R_STILL_RUNNING);
    deliverPlatformEvent(c.m, c.cpu, { type: 'external-interrupt', vector: 0x41 });
    expect(runNonRoot(c.m, c.cpu, 100)).to.equal(R_VM_EXIT);
    expect(reason(c)).to.equal(EXIT.EXTERNAL_INTERRUPT);
    expect(Number(r(c.cpu, 'VM_EXIT_INTR_INFO'))).to.equal((0x80000000 | 0x41) >>> 0);
    expect(c.cpu.irrCount).to.equal(0);
  });
  it('without acknowledge-on-exit the interrupt stays pending and the information field is invalid', () => {
    const c = readyMachine();
    guestAsm(c.m, 'l: jmp l');
    w(c.cpu, 'PIN_BASED_VM_EXEC_CONTROL', c.m.caps.pin.must1 | PIN.EXTERNAL_INTERRUPT_EXITING);
    deliverPlatformEvent(c.m, c.cpu, { type: 'external-interrupt', vector: 0x41 });
    expect(launch(c, 100)).to.equal(R_VM_EXIT);
    expect(reason(c)).to.equal(EXIT.EXTERNAL_INTERRUPT);
    expect(Number(r(c.cpu, 'VM_EXIT_INTR_INFO')) >>> 31).to.equal(0);
    expect(c.cpu.irrCount).to.equal(1);
  });
  it('INIT always exits in non-root operation (3); NMI with NMI exiting exits as exception-or-NMI (0)', () => {
    const c = readyMachine();
    guestAsm(c.m, 'l: jmp l');
    deliverPlatformEvent(c.m, c.cpu, { type: 'init' });
    expect(launch(c, 100)).to.equal(R_VM_EXIT);
    expect(reason(c)).to.equal(EXIT.INIT_SIGNAL);
    const d = readyMachine();
    guestAsm(d.m, 'l: jmp l');
    w(d.cpu, 'PIN_BASED_VM_EXEC_CONTROL', d.m.caps.pin.must1 | PIN.NMI_EXITING);
    deliverPlatformEvent(d.m, d.cpu, { type: 'nmi' });
    expect(launch(d, 100)).to.equal(R_VM_EXIT);
    expect(reason(d)).to.equal(EXIT.EXCEPTION_NMI);
    expect(Number(r(d.cpu, 'VM_EXIT_INTR_INFO'))).to.equal((0x80000000 | (2 << 8) | 2) >>> 0);
  });
  it('interrupt-window exiting exits (7) as soon as RFLAGS.IF = 1 and nothing blocks', () => {
    const c = readyMachine();
    guestAsm(c.m, 'nop\nsti\nnop\nnop');
    proc(c, PROC.INTERRUPT_WINDOW_EXITING);
    expect(launch(c)).to.equal(R_VM_EXIT);
    expect(reason(c)).to.equal(EXIT.INTERRUPT_WINDOW);
    // STI blocks for one instruction: the window opens after the NOP that follows it.
    expect(Number(r(c.cpu, 'GUEST_RIP'))).to.equal(GUEST_CODE + 3);
  });
  it('a triple fault in the guest exits with reason 2', () => {
    const c = readyMachine();
    guestAsm(c.m, 'ud2');
    w(c.cpu, 'GUEST_IDTR_LIMIT', 0);
    expect(launch(c)).to.equal(R_VM_EXIT);
    expect(reason(c)).to.equal(EXIT.TRIPLE_FAULT);
  });
});

describe('EPT (SDM 29.3)', () => {
  const EPT = 0x80000;
  function identityEpt(c: Ctx, perms: bigint): void {
    // PML4 → PDPT → one 1-GiB page with the given permissions.
    c.m.memory.write64(EPT, BigInt(EPT + 0x1000) | 7n);
    c.m.memory.write64(EPT + 0x1000, 0n | perms | (6n << 3n) | 0x80n);
    secondary(c, 0, PROC2.ENABLE_EPT);
    w(c.cpu, 'EPT_POINTER', EPT | 6 | (3 << 3));
  }
  it('a guest runs through an identity EPT mapping', () => {
    const c = readyMachine();
    guestAsm(c.m, 'mov rax, [0x5000]\ncpuid');
    identityEpt(c, 7n);
    expect(launch(c)).to.equal(R_VM_EXIT);
    expect(reason(c)).to.equal(EXIT.CPUID);
  });
  it('a write to a read/execute page is an EPT violation (48) with qualification and guest-physical address', () => {
    const c = readyMachine();
    guestAsm(c.m, 'mov qword [0x7008], rax');
    identityEpt(c, 5n);
    expect(launch(c)).to.equal(R_VM_EXIT);
    expect(reason(c)).to.equal(EXIT.EPT_VIOLATION);
    expect(Number(r(c.cpu, 'GUEST_PHYSICAL_ADDRESS'))).to.equal(0x7008);
    const q = Number(r(c.cpu, 'EXIT_QUALIFICATION'));
    expect(q & 0x3f).to.equal(2 | 8 | 32); // write access; readable and executable, not writable
    expect(q & (1 << 7)).to.not.equal(0); // guest-linear address valid
  });
  it('the guest-physical address field holds the exact address, not its page', () => {
    const c = readyMachine();
    guestAsm(c.m, 'mov qword [0x7008], rax');
    identityEpt(c, 5n);
    launch(c);
    expect(Number(r(c.cpu, 'GUEST_PHYSICAL_ADDRESS'))).to.equal(0x7008);
  });
  it('a write-only entry is an EPT misconfiguration (49)', () => {
    const c = readyMachine();
    guestAsm(c.m, 'cpuid');
    identityEpt(c, 2n);
    expect(launch(c)).to.equal(R_VM_EXIT);
    expect(reason(c)).to.equal(EXIT.EPT_MISCONFIG);
  });
});

describe('VMCS shadowing (SDM 25.10, 26.1.3)', () => {
  it('a guest VMREAD without the bitmap bit reads the shadow VMCS; with it, it exits (23)', () => {
    const c = readyMachine();
    writeRevision(c.m, VMCS_REGION_2, true);
    c.m.memory.write64(VMCS_REGION_2 + 16, 0n); // region data: zeros
    secondary(c, 0, PROC2.VMCS_SHADOWING);
    w(c.cpu, 'VMREAD_BITMAP', 0x63000);
    w(c.cpu, 'VMWRITE_BITMAP', 0x64000);
    w(c.cpu, 'VMCS_LINK_POINTER', VMCS_REGION_2);
    guestAsm(c.m, `mov rbx, ${F.GUEST_RIP}\nvmread rax, rbx\ncpuid`);
    expect(launch(c)).to.equal(R_VM_EXIT);
    expect(reason(c), c.cpu.failedRule).to.equal(EXIT.CPUID);
    expect(c.cpu.regs.rflags & 0x41).to.equal(0); // VMsucceed
    const d = readyMachine();
    writeRevision(d.m, VMCS_REGION_2, true);
    secondary(d, 0, PROC2.VMCS_SHADOWING);
    w(d.cpu, 'VMREAD_BITMAP', 0x63000);
    w(d.cpu, 'VMWRITE_BITMAP', 0x64000);
    d.m.memory.write8(0x63000 + (F.GUEST_RIP >>> 3), 1 << (F.GUEST_RIP & 7));
    w(d.cpu, 'VMCS_LINK_POINTER', VMCS_REGION_2);
    guestAsm(d.m, `mov rbx, ${F.GUEST_RIP}\nvmread rax, rbx\ncpuid`);
    expect(launch(d)).to.equal(R_VM_EXIT);
    expect(reason(d)).to.equal(EXIT.VMREAD);
  });
});
