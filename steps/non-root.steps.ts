/**
 * Steps for VMX non-root operation: the guest state and VM-execution control structures a VMM prepares
 * (exception bitmap, I/O and MSR bitmaps, guest CR0/CR4/RFLAGS bits, a guest at CPL 3, page-table and IDT
 * changes), processor features a scenario needs, and what the VMM observes after a VM exit: the guest's
 * general-purpose registers, its memory, which of its own exception handlers ran, and the TSC it read.
 */
import { Given, Then, When, defineParameterType } from '@cucumber/cucumber';
import { expect } from 'chai';
import { exceptionHasErrorCode } from '../src/arch/x86';
import type { VmcsField } from '../src/arch/vmcs-fields';
import { creditControls, lastOutcome } from './outcomes.steps';
import { runOptions } from './guest.steps';
import { hexOf } from './support/format';
import {
  MSR_BITMAP_PARTS, cpuidHas, lastBasicExitReason, flagMask, guestGpr, provideIoBitmaps, provideMsrBitmaps, readGuestPhysical,
  reportsInsOutsInformation, setBitInPage, skipUnsupported, startGuestAtCpl3, updateField, vectorCount,
  type CpuidFeature, type Width,
} from './support/nonroot';
import type { ExceptionRef } from './support/params';
import { LAYOUT, prepareRegion, replacer, revisionId, vmread, vmwrite } from './support/vmm';
import type { VmxWorld } from './support/world';

const IA32_TIME_STAMP_COUNTER = 0x10;

// ---------------------------------------------------------------------------------------------------------
// Processor features the @requires vocabulary cannot express: skipped as unsupported when absent.

/** Skips the scenario (skipped-unsupported) unless CPUID, executed by the VMM, enumerates the feature. */
Given('the processor supports {cpuid-feature}', async function (this: VmxWorld, f: CpuidFeature) {
  if (!(await cpuidHas(this, f))) return skipUnsupported(this, `${f.name} (CPUID.${hexOf(f.leaf)}${f.subleaf ? `.${f.subleaf}` : ''}:${f.register.toUpperCase()}[${f.bit}] = 0)`);
  return undefined;
});

/** Skips the scenario (skipped-unsupported) when CPUID enumerates the feature: for rules about processors without it. */
Given('the processor does not support {cpuid-feature}', async function (this: VmxWorld, f: CpuidFeature) {
  if (await cpuidHas(this, f)) return skipUnsupported(this, `a processor without ${f.name} (this one enumerates it)`);
  return undefined;
});

/** Skips the scenario unless CPUID.(EAX=0DH,ECX=1):EDX:ECX enumerates the IA32_XSS state component (Vol. 1 13.3). */
Given('the processor supports the IA32_XSS state component {int}', async function (this: VmxWorld, n: number) {
  const o = await this.execute({ mnemonic: 'CPUID', leaf: 0xd, subleaf: 1 });
  const bits = o.kind === 'completed' ? ((o.values?.edx ?? 0n) << 32n) | (o.values?.ecx ?? 0n) : 0n;
  if (((bits >> BigInt(n)) & 1n) === 0n) return skipUnsupported(this, `IA32_XSS state component ${n} (CPUID.(EAX=0DH,ECX=1):EDX:ECX[${n}] = 0)`);
  return undefined;
});

/** Skips the scenario unless IA32_VMX_BASIC[54] = 1 (SDM A.1): INS/OUTS exits report instruction information. */
Given('the processor reports VM-exit instruction information for INS and OUTS', function (this: VmxWorld) {
  if (!reportsInsOutsInformation(this)) return skipUnsupported(this, 'VM-exit instruction information for INS/OUTS (IA32_VMX_BASIC[54] = 0)');
  return undefined;
});

/** Skips the scenario unless IA32_VMX_CR4_FIXED1 allows the CR4 bit to be 1 in VMX operation (SDM A.8). */
Given('the processor allows CR4.{word} to be 1 in VMX operation', function (this: VmxWorld, name: string) {
  const fixed1 = this.caps.msrs.IA32_VMX_CR4_FIXED1;
  if (fixed1 === undefined || (fixed1 & flagMask('CR4', name)) === 0n) {
    return skipUnsupported(this, `CR4.${name} = 1 in VMX operation (IA32_VMX_CR4_FIXED1)`);
  }
  return undefined;
});

// ---------------------------------------------------------------------------------------------------------
// Guest state and VM-execution control structures.

defineParameterType({
  name: 'guest-flag',
  regexp: /(CR0|CR4|RFLAGS)\.([A-Z0-9]+)/,
  transformer: (register: string, name: string) => ({ register, name, mask: flagMask(register as 'CR0' | 'CR4' | 'RFLAGS', name) }),
});

/** Sets or clears one bit of "Guest CR0", "Guest CR4" or "Guest RFLAGS" before VM entry, e.g. `guest CR4.OSXSAVE is set`. */
Given('guest {guest-flag} is {set-or-clear}', async function (this: VmxWorld, flag: { register: string; mask: bigint }, on: boolean) {
  await updateField(this, `GUEST_${flag.register}`, flag.mask, on);
});

/**
 * The guest starts at CPL 3: CS, SS and the data segments are the ring-3 descriptors of the guest GDT
 * (selectors 0x33 and 0x2b), the stack is the guest's ring-3 stack; RSP0 in the guest TSS is the kernel stack.
 */
Given('the guest starts at CPL 3', async function (this: VmxWorld) {
  await startGuestAtCpl3(this);
});

/** The guest GDT limit covers the ring-3 segments (0x28, 0x30) and the spare, available TSS (0x38). */
Given('the guest GDT limit covers the ring-3 segments and the spare TSS', async function (this: VmxWorld) {
  await vmwrite(this, 'GUEST_GDTR_LIMIT', 0x47n);
});

/** Sets the exception's bit (bit n for vector n, SDM 25.6.3) in the exception bitmap. */
Given('the exception bitmap intercepts {exception}', async function (this: VmxWorld, ex: ExceptionRef) {
  await updateField(this, 'EXCEPTION_BITMAP', 1n << BigInt(ex.vector), true);
});

/** Writes both I/O bitmaps as zero-filled pages and their addresses into the VMCS (SDM 25.6.4). */
Given('the VMCS points to {io-bitmap} and {io-bitmap}, every bit clear', async function (this: VmxWorld, a: string, b: string) {
  if (a !== 'A' || b !== 'B') throw new Error('say "I/O bitmap A and I/O bitmap B"');
  await provideIoBitmaps(this);
});

/** Sets one bit of I/O bitmap A (ports 0000H–7FFFH) or B (ports 8000H–FFFFH); the bit number is the feature's to state. */
Given('bit {value} of {io-bitmap} is set', async function (this: VmxWorld, bit: bigint, which: 'A' | 'B') {
  await setBitInPage(this, which === 'A' ? LAYOUT.ioBitmapA : LAYOUT.ioBitmapB, bit, `I/O bitmap ${which} bit ${hexOf(bit)}`);
});

/** Writes the 4-KByte MSR-bitmap page, zero-filled, and its address into the VMCS (SDM 25.6.9). */
Given('the VMCS points to the MSR bitmaps, every bit clear', async function (this: VmxWorld) {
  await provideMsrBitmaps(this);
});

/**
 * Sets one bit of one of the four 1-KByte MSR bitmaps: "read bitmap for low MSRs" (offset 0), "read bitmap
 * for high MSRs" (1024), "write bitmap for low MSRs" (2048), "write bitmap for high MSRs" (3072).
 */
Given('bit {value} of the {msr-bitmap} is set', async function (this: VmxWorld, bit: bigint, part: string) {
  if (bit >= 8192n) throw new Error(`each MSR bitmap has 8192 bits (0 to 0x1fff); ${hexOf(bit)} is outside`);
  await setBitInPage(this, LAYOUT.msrBitmap + BigInt(MSR_BITMAP_PARTS[part]), bit, `${part} bit ${hexOf(bit)}`);
});

/** The VMM executes WRMSR in root operation; the value is what the guest will find in the MSR. */
Given('the VMM has set MSR {value} to {value}', async function (this: VmxWorld, msr: bigint, value: bigint) {
  const o = await this.execute({ mnemonic: 'WRMSR', msr: Number(msr), value });
  if (o.kind !== 'completed') throw new Error(`WRMSR ${hexOf(msr)} ← ${hexOf(value)} in root operation did not complete: ${JSON.stringify(o, replacer)}`);
});

/** Guest memory is identity-mapped, so a guest-physical address is also the guest-linear address. */
Given('guest memory at {value} holds the {width} {value}', async function (this: VmxWorld, address: bigint, width: Width, value: bigint) {
  const n = { byte: 1, word: 2, dword: 4, qword: 8 }[width];
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = Number((value >> BigInt(8 * i)) & 0xffn);
  await this.writeMemory(address, bytes, `guest data (${width})`);
});

/** Clears the present bit (bit 47) of the guest's IDT gate for the vector. */
Given('the guest IDT gate for vector {value} is not present', async function (this: VmxWorld, vector: bigint) {
  const addr = LAYOUT.guestIdt + vector * 16n + 5n;
  const [b] = await this.readMemory(addr, 1);
  await this.writeMemory(addr, Uint8Array.of(b & 0x7f), `IDT gate ${hexOf(vector)}: not present`);
});

/** Clears R/W (bit 1) in the page-directory entry of the 2-MiB page containing the address (guest CR0.WP is 1). */
Given('the guest maps the 2-MByte page at {value} read-only', async function (this: VmxWorld, linear: bigint) {
  if (linear >= 1n << 30n) throw new Error('the standard guest maps only the first GiB');
  const pde = LAYOUT.guestPd + (linear >> 21n) * 8n;
  const [b] = await this.readMemory(pde, 1);
  await this.writeMemory(pde, Uint8Array.of(b & ~2), `PDE for ${hexOf(linear & ~0x1fffffn)}: read-only`);
});

/** Copies the guest's PML4 page to another 4-KByte page, so that the guest can load CR3 with a different, valid value. */
Given('a copy of the guest PML4 at {value}', async function (this: VmxWorld, address: bigint) {
  if ((address & 0xfffn) !== 0n) throw new Error('a PML4 is 4-KByte aligned');
  const page = await this.readMemory(LAYOUT.guestPml4, 4096);
  await this.writeMemory(address, page, 'copy of the guest PML4');
});

/**
 * VMCS shadowing set-up (SDM 25.10, 25.6.15): a VMCS region at LAYOUT.shadowVmcs whose first dword is the VMCS
 * revision identifier with bit 31 (shadow-VMCS indicator) set, cleared with VMCLEAR, named by "VMCS link
 * pointer"; zero-filled VMREAD and VMWRITE bitmaps named by their address fields.
 */
Given('a shadow VMCS is linked to the current VMCS, with VMREAD and VMWRITE bitmaps all clear', async function (this: VmxWorld) {
  await prepareRegion(this, LAYOUT.shadowVmcs, (revisionId(this) | 0x80000000) >>> 0, 'shadow VMCS');
  const o = await this.execute({ mnemonic: 'VMCLEAR', address: LAYOUT.shadowVmcs });
  if (o.kind !== 'VMsucceed') throw new Error(`VMCLEAR of the shadow VMCS during set-up: ${JSON.stringify(o, replacer)}`);
  await vmwrite(this, 'VMCS_LINK_POINTER', LAYOUT.shadowVmcs);
  await this.writeMemory(LAYOUT.vmreadBitmap, new Uint8Array(4096), 'VMREAD bitmap (all clear)');
  await this.writeMemory(LAYOUT.vmwriteBitmap, new Uint8Array(4096), 'VMWRITE bitmap (all clear)');
  await vmwrite(this, 'VMREAD_BITMAP', LAYOUT.vmreadBitmap);
  await vmwrite(this, 'VMWRITE_BITMAP', LAYOUT.vmwriteBitmap);
});

defineParameterType({
  name: 'vmcs-bitmap',
  regexp: /(VMREAD|VMWRITE) bitmap/,
  transformer: (s: string): 'VMREAD' | 'VMWRITE' => s as 'VMREAD' | 'VMWRITE',
});

/** Bit n of the VMREAD (VMWRITE) bitmap governs the field whose encoding has bits 14:0 = n (SDM 26.1.3). */
Given('bit {value} of the {vmcs-bitmap} is set', async function (this: VmxWorld, bit: bigint, which: 'VMREAD' | 'VMWRITE') {
  await setBitInPage(this, which === 'VMREAD' ? LAYOUT.vmreadBitmap : LAYOUT.vmwriteBitmap, bit, `${which} bitmap bit ${hexOf(bit)}`);
});

/** VMPTRLD of the shadow VMCS in root operation, then VMREAD of the field (the outcome is the VMREAD's). */
When('the VMM makes the shadow VMCS current and reads {field}', async function (this: VmxWorld, field: VmcsField) {
  const o = await this.execute({ mnemonic: 'VMPTRLD', address: LAYOUT.shadowVmcs });
  if (o.kind !== 'VMsucceed') throw new Error(`VMPTRLD of the shadow VMCS: ${JSON.stringify(o, replacer)}`);
  await this.execute({ mnemonic: 'VMREAD', encoding: BigInt(field.encoding) });
});

/**
 * Writes a zero-filled virtual-APIC page with the VTPR (offset 80H, SDM 30.1.1) and points "Virtual-APIC
 * address" at it (SDM 25.6.8).
 */
Given('the virtual-APIC page at {value} holds VTPR {value}', async function (this: VmxWorld, address: bigint, vtpr: bigint) {
  if ((address & 0xfffn) !== 0n) throw new Error('the virtual-APIC page is 4-KByte aligned');
  const page = new Uint8Array(4096);
  new DataView(page.buffer).setUint32(0x80, Number(vtpr), true);
  await this.writeMemory(address, page, `virtual-APIC page, VTPR ${hexOf(vtpr)}`);
  await vmwrite(this, 'VIRTUAL_APIC_PAGE_ADDR', address);
});

/** Skips the scenario unless IA32_VMX_MISC[24:16] (SDM A.6) reports at least that many CR3-target values. */
Given('the processor supports at least {int} CR3-target values', function (this: VmxWorld, n: number) {
  const misc = this.caps.msrs.IA32_VMX_MISC ?? 0n;
  const supported = Number((misc >> 16n) & 0x1ffn);
  if (supported < n) return skipUnsupported(this, `${n} CR3-target values (IA32_VMX_MISC[24:16] = ${supported})`);
  return undefined;
});

// ---------------------------------------------------------------------------------------------------------
// The time-stamp counter as the VMM sees it.

async function readTsc(world: VmxWorld): Promise<bigint> {
  const o = await world.execute({ mnemonic: 'RDMSR', msr: IA32_TIME_STAMP_COUNTER });
  const v = o.kind === 'completed' ? o.values?.value : undefined;
  if (v === undefined) throw new Error(`RDMSR IA32_TIME_STAMP_COUNTER in root operation did not complete: ${JSON.stringify(o, replacer)}`);
  return v;
}

/** The VMM reads IA32_TIME_STAMP_COUNTER (RDMSR 10H in root operation, where no offset applies). */
Given('the VMM reads the TSC', async function (this: VmxWorld) {
  this.memo.set('tscBefore', await readTsc(this));
});

/**
 * The value lies between the VMM's TSC reading before the guest ran and one taken now, each scaled by the
 * multiplier (a 16.48 fixed-point number, SDM 25.6.5) and plus the offset (mod 2^64). Multiplier 0x1_0000_0000_0000 is 1.0.
 */
async function expectTscBetween(world: VmxWorld, what: string, v: bigint, multiplier: bigint, offset: bigint): Promise<void> {
  const before = world.memo.get('tscBefore') as bigint | undefined;
  if (before === undefined) throw new Error('say "Given the VMM reads the TSC" before the guest runs');
  const after = await readTsc(world);
  const view = (t: bigint) => BigInt.asUintN(64, ((t * multiplier) >> 48n) + offset);
  const lo = view(before);
  const hi = view(after);
  expect(v >= lo && v <= hi, `${what} = ${hexOf(v)} should lie between ${hexOf(lo)} and ${hexOf(hi)} (the VMM's TSC readings ${hexOf(before)} and ${hexOf(after)}, scaled by ${hexOf(multiplier)}/2^48, plus ${hexOf(offset)})`).to.equal(true);
  creditControls(world);
}

/** See expectTscBetween: multiplier 1.0. */
Then('the {width} at guest-physical address {value} is a TSC value between the VMM\'s readings plus {value}',
  async function (this: VmxWorld, width: Width, address: bigint, offset: bigint) {
    await expectTscBetween(this, `the ${width} at ${hexOf(address)}`, await readGuestPhysical(this, address, width), 1n << 48n, offset);
  });

Then('the guest\'s {gpr} is a TSC value between the VMM\'s readings plus {value}', async function (this: VmxWorld, gpr: string, offset: bigint) {
  await expectTscBetween(this, `the guest's ${gpr.toUpperCase()}`, await guestGpr(this, gpr), 1n << 48n, offset);
});

/** With TSC scaling: the multiplier is the "TSC multiplier" field, a fixed-point number with 48 fraction bits. */
Then('the {width} at guest-physical address {value} is a TSC value between the VMM\'s readings scaled by {value} plus {value}',
  async function (this: VmxWorld, width: Width, address: bigint, multiplier: bigint, offset: bigint) {
    await expectTscBetween(this, `the ${width} at ${hexOf(address)}`, await readGuestPhysical(this, address, width), multiplier, offset);
  });

Then('the guest waited at least {int} TSC ticks between the qwords at {value} and {value}',
  async function (this: VmxWorld, ticks: number, first: bigint, last: bigint) {
    const a = await readGuestPhysical(this, first, 'qword');
    const b = await readGuestPhysical(this, last, 'qword');
    expect(b - a >= BigInt(ticks), `TSC values read by the guest: ${hexOf(a)} then ${hexOf(b)} (difference ${b - a})`).to.equal(true);
    creditControls(this);
  });

/**
 * The seed article's delay loop: the VMM emulates each RDTSC that exits by returning a virtual TSC that
 * advances by the given amount per read (in EDX:EAX, as RDTSC would), skips the instruction and resumes,
 * until the guest exits for another reason. The number of RDTSC exits handled is kept for the next step.
 */
When('the VMM answers every RDTSC exit with a virtual TSC advancing by {int} per read, until the guest exits for another reason',
  async function (this: VmxWorld, step: number) {
    let handled = 0;
    let clock = 0n;
    while ((await lastBasicExitReason(this)) === 16 && handled < 10_000) {
      handled++;
      clock += BigInt(step);
      await this.setState({ rax: clock & 0xffffffffn, rdx: clock >> 32n });
      const rip = await vmread(this, 'GUEST_RIP');
      const length = await vmread(this, 'VM_EXIT_INSTRUCTION_LEN');
      await vmwrite(this, 'GUEST_RIP', rip + length);
      await this.execute({ mnemonic: 'VMRESUME' }, runOptions(this));
    }
    this.memo.set('rdtscExitsHandled', handled);
  });

Then('the VMM answered {int} RDTSC exit(s)', function (this: VmxWorld, n: number) {
  const handled = this.memo.get('rdtscExitsHandled');
  expect(handled, 'RDTSC exits (basic exit reason 16) the VMM handled').to.equal(n);
  if (n > 0) this.coverage.exitReasons.add(16);
  creditControls(this);
});

// ---------------------------------------------------------------------------------------------------------
// What the VMM observes after a VM exit.

/** A general-purpose register of the guest, read in root operation right after the VM exit (GPRs are not switched). */
Then('the guest\'s {gpr} is {value}', async function (this: VmxWorld, gpr: string, value: bigint) {
  const v = await guestGpr(this, gpr);
  expect(hexOf(v), `the guest's ${gpr.toUpperCase()} after the VM exit`).to.equal(hexOf(value));
  creditControls(this);
});

Then('the guest\'s {gpr} is not {value}', async function (this: VmxWorld, gpr: string, value: bigint) {
  const v = await guestGpr(this, gpr);
  expect(hexOf(v), `the guest's ${gpr.toUpperCase()} after the VM exit`).to.not.equal(hexOf(value));
  creditControls(this);
});

Then('the {width} at guest-physical address {value} is {value}', async function (this: VmxWorld, width: Width, address: bigint, value: bigint) {
  const v = await readGuestPhysical(this, address, width);
  expect(hexOf(v), `the ${width} at guest-physical address ${hexOf(address)}`).to.equal(hexOf(value));
  creditControls(this);
});

/** CR2 as the processor holds it in root operation: VM exits neither save nor load CR2 (SDM 28.3, 28.5). */
Then('the processor\'s CR2 is {value}', async function (this: VmxWorld, value: bigint) {
  const { cr2 } = await this.getState(['cr2']);
  expect(hexOf(cr2), 'CR2 after the VM exit').to.equal(hexOf(value));
  creditControls(this);
});

/** Each of the guest's handler stubs counts its deliveries in a byte of guest memory before it halts. */
Then('the guest\'s {exception} handler has run {int} time(s)', async function (this: VmxWorld, ex: ExceptionRef, n: number) {
  expect(await vectorCount(this, ex.vector), `deliveries of ${ex.mnemonic} (vector ${ex.vector}) through the guest IDT`).to.equal(n);
  creditControls(this);
});

Then('the guest\'s handler for vector {value} has run {int} time(s)', async function (this: VmxWorld, vector: bigint, n: number) {
  expect(await vectorCount(this, Number(vector)), `deliveries of vector ${hexOf(vector)} through the guest IDT`).to.equal(n);
  creditControls(this);
});

async function frameWord(world: VmxWorld, index: number): Promise<bigint> {
  const rsp = await vmread(world, 'GUEST_RSP');
  return readGuestPhysical(world, rsp + BigInt(8 * index), 'qword');
}

/** Reads the 64-bit interrupt stack frame at "Guest RSP" (the guest's handler halted right after the delivery). */
Then('the guest\'s handler was entered with return RIP {value}', async function (this: VmxWorld, rip: bigint) {
  expect(hexOf(await frameWord(this, 0)), 'RIP in the interrupt stack frame at Guest RSP').to.equal(hexOf(rip));
  creditControls(this);
});

Then('the guest\'s handler was entered with error code {value} and return RIP {value}', async function (this: VmxWorld, code: bigint, rip: bigint) {
  expect(hexOf(await frameWord(this, 0)), 'error code at Guest RSP').to.equal(hexOf(code));
  expect(hexOf(await frameWord(this, 1)), 'RIP in the interrupt stack frame (Guest RSP + 8)').to.equal(hexOf(rip));
  creditControls(this);
});

function expectExceptionExit(world: VmxWorld, ex: ExceptionRef, type: number): number {
  const o = lastOutcome(world);
  expect(o.kind, `the guest should exit because of ${ex.mnemonic}: ${JSON.stringify(o, replacer)}`).to.equal('vm-exit');
  expect((o as { exitReason: number }).exitReason & 0xffff, `basic exit reason (0, "Exception or non-maskable interrupt (NMI)", expected for ${ex.mnemonic})`).to.equal(0);
  // VM-exit interruption information (SDM 28.2.2): vector 7:0, type 10:8, error code valid 11, valid 31.
  const errorCodeValid = type === 3 && exceptionHasErrorCode(ex.vector);
  return ((0x80000000 | (errorCodeValid ? 1 << 11 : 0) | (type << 8) | ex.vector) >>> 0);
}

async function assertExceptionExit(world: VmxWorld, ex: ExceptionRef, type: number): Promise<void> {
  const expected = expectExceptionExit(world, ex, type);
  const info = await vmread(world, 'VM_EXIT_INTR_INFO');
  expect(hexOf(info & 0x80000fffn), `"VM-exit interruption information" bits 31 and 11:0 (vector ${ex.vector}, type ${type})`).to.equal(hexOf(expected));
  if (ex.errorCode !== undefined) {
    const code = await vmread(world, 'VM_EXIT_INTR_ERROR_CODE');
    expect(hexOf(code), `"VM-exit interruption error code" of ${ex.mnemonic}`).to.equal(hexOf(ex.errorCode));
  }
  world.coverage.exitReasons.add(0);
  creditControls(world);
}

/**
 * Basic exit reason 0 with the VM-exit interruption information of a hardware exception (type 3): valid,
 * the vector, and "error code valid" exactly for the exceptions that push one; with `#GP(0)` also the error code.
 */
Then('the guest exits because of a {exception} hardware exception', async function (this: VmxWorld, ex: ExceptionRef) {
  await assertExceptionExit(this, ex, 3);
});

/** As above for INT3 and INTO, which the SDM calls software exceptions (type 6). */
Then('the guest exits because of a {exception} software exception', async function (this: VmxWorld, ex: ExceptionRef) {
  await assertExceptionExit(this, ex, 6);
});

Then('{field} is between {value} and {value}', async function (this: VmxWorld, field: VmcsField, lo: bigint, hi: bigint) {
  const v = await vmread(this, field);
  expect(v >= lo && v <= hi, `"${field.name}" = ${hexOf(v)} should lie between ${hexOf(lo)} and ${hexOf(hi)}`).to.equal(true);
  creditControls(this);
});

Then('{field} is less than {value}', async function (this: VmxWorld, field: VmcsField, bound: bigint) {
  const v = await vmread(this, field);
  expect(v < bound, `"${field.name}" = ${hexOf(v)} should be less than ${hexOf(bound)}`).to.equal(true);
  creditControls(this);
});
