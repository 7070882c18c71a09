/**
 * A minimal, valid 64-bit guest set up through the contract alone, for the Bochs adapter's own tests and
 * for the bench. It works on any Implementation (it only uses the contract), so the bench can run the
 * same guest on the reference and on Bochs.
 *
 * The guest shares the host's page tables and descriptor tables (no EPT): its CS/SS/TR/GDTR/IDTR and
 * control registers are the host's, as getState reports them. The host-state area is written from
 * getState too, which is the rule every Bochs scenario follows (docs/bochs.md, "HOST_RIP and HOST_RSP").
 *
 * The lead's step definitions will have their own standard set-up built on src/arch; the few VMCS
 * encodings here (SDM Appendix B "Field Encoding in VMCS") are local to keep this adapter free-standing.
 */
import { ContractError, type Capabilities, type Implementation, type Outcome } from '../../contract/types';

/** Physical addresses inside the agent's scenario window (0x200000-0x1ffffff). */
export const GUEST_LAYOUT = {
  vmxon: 0x200000n,
  vmcs: 0x201000n,
  guestStackTop: 0x280000n,
  guestCode: 0x300000n,
  /** Arbitrary canonical values the scenario "chooses" for HOST_RIP/HOST_RSP. */
  hostRip: 0x401000n,
  hostRsp: 0x4ff000n,
} as const;

const F = {
  GUEST_ES_SELECTOR: 0x800n, GUEST_CS_SELECTOR: 0x802n, GUEST_SS_SELECTOR: 0x804n, GUEST_DS_SELECTOR: 0x806n,
  GUEST_FS_SELECTOR: 0x808n, GUEST_GS_SELECTOR: 0x80an, GUEST_LDTR_SELECTOR: 0x80cn, GUEST_TR_SELECTOR: 0x80en,
  HOST_ES_SELECTOR: 0xc00n, HOST_CS_SELECTOR: 0xc02n, HOST_SS_SELECTOR: 0xc04n, HOST_DS_SELECTOR: 0xc06n,
  HOST_FS_SELECTOR: 0xc08n, HOST_GS_SELECTOR: 0xc0an, HOST_TR_SELECTOR: 0xc0cn,
  VMCS_LINK_POINTER: 0x2800n,
  PIN_BASED_VM_EXEC_CONTROL: 0x4000n, CPU_BASED_VM_EXEC_CONTROL: 0x4002n, EXCEPTION_BITMAP: 0x4004n,
  VM_EXIT_CONTROLS: 0x400cn, VM_ENTRY_CONTROLS: 0x4012n,
  GUEST_ES_LIMIT: 0x4800n, GUEST_ES_AR_BYTES: 0x4814n, GUEST_GDTR_LIMIT: 0x4810n, GUEST_IDTR_LIMIT: 0x4812n,
  GUEST_INTERRUPTIBILITY_INFO: 0x4824n, GUEST_ACTIVITY_STATE: 0x4826n, GUEST_SYSENTER_CS: 0x482an,
  HOST_SYSENTER_CS: 0x4c00n,
  GUEST_CR0: 0x6800n, GUEST_CR3: 0x6802n, GUEST_CR4: 0x6804n, GUEST_ES_BASE: 0x6806n,
  GUEST_GDTR_BASE: 0x6816n, GUEST_IDTR_BASE: 0x6818n, GUEST_DR7: 0x681an, GUEST_RSP: 0x681cn,
  GUEST_RIP: 0x681en, GUEST_RFLAGS: 0x6820n, GUEST_SYSENTER_ESP: 0x6824n, GUEST_SYSENTER_EIP: 0x6826n,
  HOST_CR0: 0x6c00n, HOST_CR3: 0x6c02n, HOST_CR4: 0x6c04n, HOST_FS_BASE: 0x6c06n, HOST_GS_BASE: 0x6c08n,
  HOST_TR_BASE: 0x6c0an, HOST_GDTR_BASE: 0x6c0cn, HOST_IDTR_BASE: 0x6c0en, HOST_SYSENTER_ESP: 0x6c10n,
  HOST_SYSENTER_EIP: 0x6c12n, HOST_RSP: 0x6c14n, HOST_RIP: 0x6c16n,
} as const;

/** Segment registers in VMCS order (ES CS SS DS FS GS LDTR TR): field n = ES field + 2n. */
const SEGS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'ldtr', 'tr'] as const;

/** A control value honouring a capability MSR: allowed-0 bits (low half) set, allowed-1 (high) limit. */
export function adjustControls(msr: bigint, wanted: bigint): bigint {
  const must = msr & 0xffffffffn;
  const may = msr >> 32n;
  const v = (wanted | must) & may;
  if ((v & wanted) !== wanted) throw new ContractError('unsupported', `control bits ${wanted.toString(16)} not allowed`);
  return v;
}

async function expectSucceed(impl: Implementation, what: string, p: Promise<Outcome>): Promise<Outcome> {
  const o = await p;
  if (o.kind !== 'VMsucceed') throw new Error(`${what}: expected VMsucceed, got ${JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))}`);
  return o;
}

/** CR4.VMXE, VMXON, VMCLEAR + VMPTRLD of a fresh VMCS. Assumes a fresh reset(). */
export async function enterVmxAndLoadVmcs(impl: Implementation, caps: Capabilities): Promise<void> {
  const revision = Number(caps.msrs.IA32_VMX_BASIC & 0x7fffffffn);
  const rev = new Uint8Array(4);
  new DataView(rev.buffer).setUint32(0, revision, true);
  await impl.writeMemory(GUEST_LAYOUT.vmxon, rev);
  await impl.writeMemory(GUEST_LAYOUT.vmcs, rev);
  const { cr4 } = await impl.getState(0, ['cr4']);
  await impl.setState(0, { cr4: cr4 | (1n << 13n) });
  await expectSucceed(impl, 'VMXON', impl.execute(0, { mnemonic: 'VMXON', address: GUEST_LAYOUT.vmxon }));
  await expectSucceed(impl, 'VMCLEAR', impl.execute(0, { mnemonic: 'VMCLEAR', address: GUEST_LAYOUT.vmcs }));
  await expectSucceed(impl, 'VMPTRLD', impl.execute(0, { mnemonic: 'VMPTRLD', address: GUEST_LAYOUT.vmcs }));
}

/**
 * Writes a complete VMCS for a 64-bit guest at GUEST_LAYOUT.guestCode running `code`, with the default
 * (must-be-one) controls only, so the guest exits on CPUID (always exits, SDM 26.1.2) and little else.
 */
export async function setUpMinimalGuest(
  impl: Implementation,
  caps: Capabilities,
  code: Uint8Array,
  extra: { pin?: bigint; proc?: bigint; rflags?: bigint } = {},
): Promise<void> {
  await enterVmxAndLoadVmcs(impl, caps);
  await impl.writeMemory(GUEST_LAYOUT.guestCode, code);
  const names = [
    'cr0', 'cr3', 'cr4', 'gdtr.base', 'gdtr.limit', 'idtr.base', 'idtr.limit',
    'msr:0x174', 'msr:0x175', 'msr:0x176',
    ...SEGS.flatMap((s) => [`${s}.selector`, `${s}.base`, `${s}.limit`, `${s}.access`]),
  ];
  const h = await impl.getState(0, names);
  const m = caps.msrs;
  const trueCtls = ((m.IA32_VMX_BASIC >> 55n) & 1n) === 1n;
  const pin = adjustControls(trueCtls ? m.IA32_VMX_TRUE_PINBASED_CTLS : m.IA32_VMX_PINBASED_CTLS, extra.pin ?? 0n);
  const proc = adjustControls(trueCtls ? m.IA32_VMX_TRUE_PROCBASED_CTLS : m.IA32_VMX_PROCBASED_CTLS, extra.proc ?? 0n);
  // Host address-space size (exit bit 9) and IA-32e mode guest (entry bit 9): a 64-bit host and guest.
  const exit = adjustControls(trueCtls ? m.IA32_VMX_TRUE_EXIT_CTLS : m.IA32_VMX_EXIT_CTLS, 1n << 9n);
  const entry = adjustControls(trueCtls ? m.IA32_VMX_TRUE_ENTRY_CTLS : m.IA32_VMX_ENTRY_CTLS, 1n << 9n);

  const fields: [bigint, bigint][] = [
    [F.PIN_BASED_VM_EXEC_CONTROL, pin],
    [F.CPU_BASED_VM_EXEC_CONTROL, proc],
    [F.VM_EXIT_CONTROLS, exit],
    [F.VM_ENTRY_CONTROLS, entry],
    [F.EXCEPTION_BITMAP, 0n],
    [F.VMCS_LINK_POINTER, 0xffffffffffffffffn],
    // Host state from getState: the exit lands in the agent's environment.
    [F.HOST_CR0, h.cr0], [F.HOST_CR3, h.cr3], [F.HOST_CR4, h.cr4],
    [F.HOST_ES_SELECTOR, h['es.selector']], [F.HOST_CS_SELECTOR, h['cs.selector']],
    [F.HOST_SS_SELECTOR, h['ss.selector']], [F.HOST_DS_SELECTOR, h['ds.selector']],
    [F.HOST_FS_SELECTOR, h['fs.selector']], [F.HOST_GS_SELECTOR, h['gs.selector']],
    [F.HOST_TR_SELECTOR, h['tr.selector']],
    [F.HOST_FS_BASE, h['fs.base']], [F.HOST_GS_BASE, h['gs.base']], [F.HOST_TR_BASE, h['tr.base']],
    [F.HOST_GDTR_BASE, h['gdtr.base']], [F.HOST_IDTR_BASE, h['idtr.base']],
    [F.HOST_SYSENTER_CS, h['msr:0x174']], [F.HOST_SYSENTER_ESP, h['msr:0x175']], [F.HOST_SYSENTER_EIP, h['msr:0x176']],
    [F.HOST_RIP, GUEST_LAYOUT.hostRip], [F.HOST_RSP, GUEST_LAYOUT.hostRsp],
    // Guest state: the host's own environment, with the guest's RIP/RSP.
    [F.GUEST_CR0, h.cr0], [F.GUEST_CR3, h.cr3], [F.GUEST_CR4, h.cr4],
    [F.GUEST_GDTR_BASE, h['gdtr.base']], [F.GUEST_GDTR_LIMIT, h['gdtr.limit']],
    [F.GUEST_IDTR_BASE, h['idtr.base']], [F.GUEST_IDTR_LIMIT, h['idtr.limit']],
    [F.GUEST_DR7, 0x400n], [F.GUEST_RSP, GUEST_LAYOUT.guestStackTop], [F.GUEST_RIP, GUEST_LAYOUT.guestCode],
    [F.GUEST_RFLAGS, extra.rflags ?? 0x2n], [F.GUEST_INTERRUPTIBILITY_INFO, 0n], [F.GUEST_ACTIVITY_STATE, 0n],
    [F.GUEST_SYSENTER_CS, 0n], [F.GUEST_SYSENTER_ESP, 0n], [F.GUEST_SYSENTER_EIP, 0n],
  ];
  SEGS.forEach((s, i) => {
    const n = BigInt(i) * 2n;
    fields.push([F.GUEST_ES_SELECTOR + n, h[`${s}.selector`]]);
    fields.push([F.GUEST_ES_BASE + n, h[`${s}.base`]]);
    fields.push([F.GUEST_ES_LIMIT + n, h[`${s}.limit`]]);
    fields.push([F.GUEST_ES_AR_BYTES + n, h[`${s}.access`]]);
  });
  for (const [encoding, value] of fields) {
    await expectSucceed(impl, `VMWRITE ${encoding.toString(16)}`, impl.execute(0, { mnemonic: 'VMWRITE', encoding, value }));
  }
}

export const FIELDS = F;
