/**
 * Steps for VMX operation and the VMX instructions as the VMM executes them in root operation:
 * CR4.VMXE, VMXON/VMXOFF, VMCS regions, VMCLEAR/VMPTRLD/VMPTRST, VMREAD/VMWRITE.
 */
import { Given, When } from '@cucumber/cucumber';
import type { VmcsField } from '../src/arch/vmcs-fields';
import type { Mnemonic } from '../src/contract/types';
import {
  LAYOUT, enterVmxOperation, makeCurrentVmcs, prepareRegion, setCr4Vmxe, vmcsAddress, vmwrite,
} from './support/vmm';
import type { VmxWorld } from './support/world';

Given('a logical processor outside VMX operation', async function (this: VmxWorld) {
  const { ['vmx.mode']: mode } = await this.getState(['vmx.mode']);
  if (mode !== 0n) throw new Error(`after reset the logical processor should be outside VMX operation, vmx.mode = ${mode}`);
});

Given('CR4.VMXE is {set-or-clear}', async function (this: VmxWorld, on: boolean) {
  await setCr4Vmxe(this, on);
});

Given('the logical processor runs at CPL {int}', async function (this: VmxWorld, cpl: number) {
  await this.setState({ cpl: BigInt(cpl) });
});

Given('a VMXON region with the processor\'s VMCS revision identifier', async function (this: VmxWorld) {
  await prepareRegion(this, LAYOUT.vmxonRegion, undefined, 'VMXON region');
});

Given('a VMXON region with the revision identifier {value}', async function (this: VmxWorld, rev: bigint) {
  await prepareRegion(this, LAYOUT.vmxonRegion, Number(rev), 'VMXON region');
});

Given('the logical processor is in VMX root operation', async function (this: VmxWorld) {
  await enterVmxOperation(this);
});

Given('VMCS {word} is the current VMCS', async function (this: VmxWorld, name: string) {
  await makeCurrentVmcs(this, name);
});

Given('a VMCS region {word} with the processor\'s VMCS revision identifier', async function (this: VmxWorld, name: string) {
  await prepareRegion(this, vmcsAddress(name), undefined, `VMCS ${name}`);
});

Given('a VMCS region {word} with the revision identifier {value}', async function (this: VmxWorld, name: string, rev: bigint) {
  await prepareRegion(this, vmcsAddress(name), Number(rev), `VMCS ${name}`);
});

Given('the VMM has written {value} to {field}', async function (this: VmxWorld, value: bigint, field: VmcsField) {
  await vmwrite(this, field, value);
});

When('the VMM executes {vmm-instruction} of VMCS {word}', async function (this: VmxWorld, m: Mnemonic, name: string) {
  if (m !== 'VMCLEAR' && m !== 'VMPTRLD') throw new Error(`"${m} of VMCS ${name}": only VMCLEAR and VMPTRLD take a VMCS`);
  await this.execute({ mnemonic: m, address: vmcsAddress(name) });
});

When('the VMM executes {vmm-instruction} with the pointer {value}', async function (this: VmxWorld, m: Mnemonic, address: bigint) {
  if (m !== 'VMCLEAR' && m !== 'VMPTRLD' && m !== 'VMXON') throw new Error(`"${m} with the pointer": only VMXON, VMCLEAR and VMPTRLD take a pointer`);
  await this.execute({ mnemonic: m, address });
});

When('the VMM executes VMXON with the VMXON pointer pointing at VMCS {word}', async function (this: VmxWorld, name: string) {
  await this.execute({ mnemonic: 'VMXON', address: vmcsAddress(name) });
});

When('the VMM executes {vmm-instruction} with the VMXON pointer', async function (this: VmxWorld, m: Mnemonic) {
  if (m !== 'VMCLEAR' && m !== 'VMPTRLD') throw new Error(`"${m} with the VMXON pointer": only VMCLEAR and VMPTRLD apply`);
  await this.execute({ mnemonic: m, address: LAYOUT.vmxonRegion });
});

When('the VMM executes VMREAD of {field}', async function (this: VmxWorld, field: VmcsField) {
  await this.execute({ mnemonic: 'VMREAD', encoding: BigInt(field.encoding) });
});

When('the VMM executes VMREAD with the encoding {value}', async function (this: VmxWorld, encoding: bigint) {
  await this.execute({ mnemonic: 'VMREAD', encoding });
});

When('the VMM executes VMWRITE of {value} to {field}', async function (this: VmxWorld, value: bigint, field: VmcsField) {
  await this.execute({ mnemonic: 'VMWRITE', encoding: BigInt(field.encoding), value });
});

When('the VMM executes VMWRITE of {value} with the encoding {value}', async function (this: VmxWorld, value: bigint, encoding: bigint) {
  await this.execute({ mnemonic: 'VMWRITE', encoding, value });
});

/** The instruction runs right after a MOV to SS (contract option afterMovSs), so events are blocked by MOV SS for it. */
When('the VMM executes {vmm-instruction} immediately after a MOV to SS', async function (this: VmxWorld, m: Mnemonic) {
  if (m !== 'VMLAUNCH' && m !== 'VMRESUME') throw new Error(`"${m} immediately after a MOV to SS": only VMLAUNCH and VMRESUME are meaningful here`);
  await this.execute({ mnemonic: m }, { afterMovSs: true });
});

When('the VMM executes {vmm-instruction}', async function (this: VmxWorld, m: Mnemonic) {
  switch (m) {
    case 'VMXOFF': case 'VMLAUNCH': case 'VMRESUME': case 'VMPTRST': case 'VMCALL':
      await this.execute({ mnemonic: m });
      return;
    case 'VMXON':
      await this.execute({ mnemonic: 'VMXON', address: LAYOUT.vmxonRegion });
      return;
    default:
      throw new Error(`"the VMM executes ${m}" needs operands; use a step that names them (see docs/steps.md)`);
  }
});
