/**
 * The reference processor's VMCS layout: every VMCS field of src/arch gets a dense index, computed once at
 * load time, so a VMCS is two Uint32Arrays (bits 31:0 and 63:32 of each field) and VMREAD/VMWRITE are an
 * array lookup from the encoding (SDM Vol. 3C 25.11.2 "VMREAD, VMWRITE, and Encodings of VMCS Fields").
 *
 * The VMCS region format in memory is implementation-specific (SDM 25.2 "Format of the VMCS Region"):
 * bytes 0–3 hold the revision identifier and shadow-VMCS indicator and bytes 4–7 the VMX-abort indicator
 * (both architectural); this implementation keeps the launch state in bytes 8–11 (0 clear, 1 launched) and
 * field n in bytes 16 + 8n … 23 + 8n, little-endian. Processors cache the current VMCS; so does this one
 * (see vmcs.ts), writing the region back on VMCLEAR.
 */
import { F, VMCS_FIELDS, type VmcsFieldId } from '../../arch';

/** Width codes as in encoding bits 14:13 (SDM 25.11.2). */
export const W16 = 0;
export const W64 = 1;
export const W32 = 2;
export const WNAT = 3;
/** Type codes as in encoding bits 11:10 (SDM 25.11.2). */
export const T_CONTROL = 0;
export const T_EXIT_INFO = 1;
export const T_GUEST = 2;
export const T_HOST = 3;

const FULL = VMCS_FIELDS.filter((f) => f.access === 'full');

/** Number of VMCS fields (64-bit fields counted once). */
export const FIELD_COUNT = FULL.length;
/** Encoding (full access) of each dense index. */
export const FIELD_ENCODING = new Uint16Array(FULL.map((f) => f.encoding));
/** Width code of each dense index. */
export const FIELD_WIDTH = new Uint8Array(FULL.map((f) => (f.encoding >>> 13) & 3));
/** Type code of each dense index. */
export const FIELD_TYPE = new Uint8Array(FULL.map((f) => (f.encoding >>> 10) & 3));
/** SDM name of each dense index (diagnostics only). */
export const FIELD_NAME: readonly string[] = FULL.map((f) => f.name);

const DENSE = new Int32Array(0x8000).fill(-1);
FULL.forEach((f, i) => {
  DENSE[f.encoding] = i;
  if (((f.encoding >>> 13) & 3) === W64) DENSE[f.encoding | 1] = i;
});

/** Dense index of a known encoding (either access type); throws for an unknown one (programming error). */
export function denseOfEncoding(encoding: number): number {
  const d = encoding >= 0 && encoding < 0x8000 ? DENSE[encoding] : -1;
  if (d < 0) throw new Error(`no VMCS field with encoding 0x${encoding.toString(16)}`);
  return d;
}

/** Byte offset of the launch-state word in a VMCS region (implementation-specific). */
export const REGION_LAUNCH_STATE = 8;
/** Byte offset of field 0 in a VMCS region (implementation-specific). */
export const REGION_FIELDS = 16;
/** Bytes a VMCS region needs with this layout; IA32_VMX_BASIC[44:32] reports at least this. */
export const REGION_BYTES_USED = REGION_FIELDS + 8 * FIELD_COUNT;
if (REGION_BYTES_USED > 4096) throw new Error('VMCS layout does not fit in 4 KiB');

/** Dense indices by field id: `V.GUEST_RIP` is the dense index of Guest RIP. */
export const V: Readonly<Record<VmcsFieldId, number>> = Object.freeze(
  Object.fromEntries(Object.entries(F).map(([id, enc]) => [id, DENSE[enc]])) as Record<VmcsFieldId, number>,
);
