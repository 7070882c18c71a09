/**
 * Validity of an EPT pointer (SDM Vol. 3C 27.2.1.1 "VM-Execution Control Fields", the EPTP bullets; 25.6.11
 * "Extended-Page-Table Pointer (EPTP)"), shared by VM entry and INVEPT single-context (31.3 "INVEPT":
 * "IF VM entry with the 'enable EPT' VM execution control set to 1 would fail due to the EPTP value").
 */
import { EPT_VPID_CAP, MEMORY_TYPE } from '../../arch';
import type { MachineCapabilities } from '../capabilities';

/** Why an EPTP is invalid, or '' when it is valid. */
export function eptpProblem(caps: MachineCapabilities, lo: number, hi: number): string {
  const cap = caps.eptVpidCap;
  const memType = lo & 7;
  if (!((memType === MEMORY_TYPE.UC && (cap & EPT_VPID_CAP.MEMORY_TYPE_UC) !== 0n) ||
        (memType === MEMORY_TYPE.WB && (cap & EPT_VPID_CAP.MEMORY_TYPE_WB) !== 0n))) {
    return 'EPT paging-structure memory type (bits 2:0) not supported';
  }
  const walk = (lo >>> 3) & 7;
  if (!((walk === 3 && (cap & EPT_VPID_CAP.PAGE_WALK_LENGTH_4) !== 0n) ||
        (walk === 4 && (cap & EPT_VPID_CAP.PAGE_WALK_LENGTH_5) !== 0n))) {
    return 'EPT page-walk length (bits 5:3) not supported';
  }
  if ((lo & (1 << 6)) !== 0 && (cap & EPT_VPID_CAP.ACCESSED_DIRTY_FLAGS) === 0n) {
    return 'accessed and dirty flags enabled (bit 6) but not supported';
  }
  if ((lo & (1 << 7)) !== 0 && (cap & EPT_VPID_CAP.SUPERVISOR_SHADOW_STACK) === 0n) {
    return 'supervisor shadow-stack control (bit 7) set but not supported';
  }
  if ((lo & 0xf00) !== 0) return 'reserved bits 11:8 set';
  const width = caps.physicalAddressWidth;
  if (width < 64 && hi >>> (width - 32) !== 0) return `bits 63:${width} set (beyond the physical-address width)`;
  return '';
}
