/**
 * Scenario life cycle: reset the implementation, skip scenarios whose @requires tags the implementation
 * cannot meet (reported as skipped-unsupported, never failed), and on failure attach the evidence a
 * hypervisor engineer needs: the operation trace, a dump of the current VMCS, and the implementation's
 * own evidence (e.g. Bochs's log).
 */
import { After, AfterAll, Before, Status, setDefaultTimeout, setDefinitionFunctionWrapper } from '@cucumber/cucumber';
import { VMCS_FIELDS } from '../../src/arch/vmcs-fields';
import { hasCapability, requiredCapabilities } from '../../src/contract/capabilities';
import { COVERAGE_MEDIA_TYPE, STATUS_MEDIA_TYPE } from '../../src/report/media-types';
import { hexOf } from './format';
import { closeSession, session } from './session';
import type { VmxWorld } from './world';


// A slow implementation (Bochs) answers in milliseconds per operation; allow for long scenarios.
setDefaultTimeout(Number(process.env.VMX_STEP_TIMEOUT_MS ?? 60_000));

/**
 * An implementation may answer an operation with ContractError('unsupported') (e.g. an emulator that cannot
 * deliver NMIs to a guest). The scenario is then reported as skipped-unsupported with that reason, not failed.
 * Declaring the gap through the capability MSRs or the extensions list is better: it skips before any work.
 */
setDefinitionFunctionWrapper((fn: (...args: unknown[]) => unknown) =>
  async function (this: VmxWorld, ...args: unknown[]) {
    try {
      return await fn.apply(this, args);
    } catch (e) {
      if ((e as { code?: string })?.code !== 'unsupported' || typeof this?.attach !== 'function') throw e;
      const reason = `unsupported: the implementation does not support this operation: ${(e as Error).message}`;
      this.attach(JSON.stringify({ status: 'skipped-unsupported', reason }), STATUS_MEDIA_TYPE);
      return 'skipped';
    }
  });

Before(async function (this: VmxWorld, { pickle }) {
  try {
    const { impl, info } = await session();
    this.impl = impl;
    this.info = info;
    const profile = process.env.VMX_PROFILE || undefined;
    this.caps = await impl.reset({ profile, processors: Number(process.env.VMX_PROCESSORS ?? 1) });
  } catch (e) {
    // The implementation did not start or reset: the harness or the implementation broke, not a rule.
    this.implementationBroke = `${(e as { code?: string }).code ?? 'start'}: ${(e as Error).message}`;
    throw e;
  }
  this.note(`implementation ${this.info.name} ${this.info.version}, profile ${this.caps.profile}`);
  const missing = requiredCapabilities(pickle.tags.map((t) => t.name)).filter(
    (name) => !hasCapability({ caps: this.caps, info: this.info }, name),
  );
  if (missing.length > 0) {
    const reason = `unsupported: the implementation lacks ${missing.map((m) => `@requires:${m}`).join(', ')}`;
    this.attach(JSON.stringify({ status: 'skipped-unsupported', reason }), STATUS_MEDIA_TYPE);
    return 'skipped';
  }
  return undefined;
});

After(async function (this: VmxWorld, { result }) {
  if (!result) return;
  if (result.status === Status.PASSED) {
    const cov = this.coverage;
    this.attach(
      JSON.stringify({
        exitReasons: [...cov.exitReasons].sort((a, b) => a - b),
        vmInstructionErrors: [...cov.vmInstructionErrors].sort((a, b) => a - b),
        controls: [...cov.controls].sort(),
      }),
      COVERAGE_MEDIA_TYPE,
    );
    return;
  }
  if (result.status !== Status.FAILED) return;
  if (this.implementationBroke) {
    this.attach(JSON.stringify({ status: 'error', reason: this.implementationBroke }), STATUS_MEDIA_TYPE);
  }
  this.attach(this.trace.join('\n') || '(no operations)', { mediaType: 'text/plain', fileName: 'operation trace' });
  if (!this.implementationBroke && this.impl) {
    try {
      const dump = await dumpCurrentVmcs(this);
      if (dump) this.attach(dump, { mediaType: 'text/plain', fileName: 'current VMCS' });
    } catch (e) {
      this.attach(`could not dump the VMCS: ${(e as Error).message}`, { mediaType: 'text/plain', fileName: 'current VMCS' });
    }
  }
  try {
    for (const item of (await this.impl?.evidence?.()) ?? []) {
      this.attach(item.body, { mediaType: item.mediaType, fileName: item.name });
    }
  } catch {
    /* evidence is best effort */
  }
});

AfterAll(async function () {
  await closeSession();
});

/**
 * VMREAD of every full-access field of the current VMCS, straight from the implementation (not traced).
 * Fields the implementation does not support show their VMfailValid error instead of a value.
 */
async function dumpCurrentVmcs(world: VmxWorld): Promise<string | undefined> {
  const { impl, cpu } = world;
  const mode = (await impl.getState(cpu, ['vmx.mode']))['vmx.mode'];
  if (mode === 0n) return 'outside VMX operation: no current VMCS';
  const ptr = await impl.execute(cpu, { mnemonic: 'VMPTRST' });
  if (ptr.kind !== 'VMsucceed' || ptr.value === undefined || ptr.value === 0xffffffffffffffffn) {
    return 'no current VMCS (VMPTRST returned FFFFFFFF_FFFFFFFFH or failed)';
  }
  const lines = [`current VMCS at ${hexOf(ptr.value)}${mode === 2n ? ' (logical processor in VMX non-root operation)' : ''}`];
  if (mode === 2n) return lines[0] + ': VMREAD is not possible from the VMM while the guest runs';
  for (const f of VMCS_FIELDS) {
    if (f.access !== 'full') continue;
    const o = await impl.execute(cpu, { mnemonic: 'VMREAD', encoding: BigInt(f.encoding) });
    const value = o.kind === 'VMsucceed' && o.value !== undefined ? hexOf(o.value)
      : o.kind === 'VMfailValid' ? `(VMfailValid ${o.error})` : `(${o.kind})`;
    lines.push(`${hexOf(f.encoding).padEnd(7)} ${f.name.padEnd(48)} ${value}`);
  }
  return lines.join('\n');
}
