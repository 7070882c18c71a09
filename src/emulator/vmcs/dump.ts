/** A readable dump of a VMCS for reports (non-architectural evidence): every supported non-zero field. */
import type { MachineCapabilities } from '../capabilities';
import { FIELD_COUNT, FIELD_ENCODING, FIELD_NAME } from './layout';
import type { Vmcs } from './vmcs';

export function vmcsDump(vmcs: Vmcs, caps: MachineCapabilities): string {
  const lines = [
    `VMCS at 0x${vmcs.address.toString(16)}: launch state ${vmcs.launched ? 'launched' : 'clear'}${vmcs.shadow ? ', shadow VMCS' : ''}`,
  ];
  for (let d = 0; d < FIELD_COUNT; d++) {
    if (caps.supported[d] === 0 || (vmcs.lo[d] === 0 && vmcs.hi[d] === 0)) continue;
    const enc = FIELD_ENCODING[d].toString(16).padStart(4, '0');
    lines.push(`  ${enc} ${FIELD_NAME[d].padEnd(48)} 0x${vmcs.get64(d).toString(16)}`);
  }
  return lines.join('\n');
}
