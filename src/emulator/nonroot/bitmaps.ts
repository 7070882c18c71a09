/**
 * Bitmap-driven exit decisions (SDM Vol. 3C 26.1.3 "Instructions That Cause VM Exits Conditionally"):
 * I/O bitmaps A and B (25.6.4 "I/O-Bitmap Addresses"), the MSR bitmaps (25.6.9 "MSR-Bitmap Address"),
 * the VMREAD/VMWRITE bitmaps (25.6.15 "VMCS Shadowing Bitmap Addresses"). Pure functions of memory and
 * the VMCS, so they can be tested alone.
 */
import * as ns_arch from '../../arch';
import type { PhysicalMemory } from '../memory';
import * as ns_vmcs_layout from '../vmcs/layout';
import type { Vmcs } from '../vmcs/vmcs';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { PROC } = ns_arch;
const { V } = ns_vmcs_layout;

/**
 * I/O instructions (26.1.3 "IN, INS/INSB/INSW/INSD, OUT, OUTS/OUTSB/OUTSW/OUTSD"):
 * "use I/O bitmaps" = 0: exit iff "unconditional I/O exiting" = 1. "use I/O bitmaps" = 1 (unconditional I/O
 * exiting is then ignored): exit if the bit of any port the access touches (port … port + size − 1) is 1 in
 * bitmap A (ports 0000H–7FFFH) or B (8000H–FFFFH), or if the access wraps past FFFFH.
 */
export function ioExits(mem: PhysicalMemory, vmcs: Vmcs, port: number, size: number): boolean {
  const proc = vmcs.lo[V.PRIMARY_PROC_BASED_VM_EXEC_CONTROL];
  if ((proc & PROC.USE_IO_BITMAPS) === 0) return (proc & PROC.UNCONDITIONAL_IO_EXITING) !== 0;
  if (port + size - 1 > 0xffff) return true;
  const a = vmcs.getUnsigned(V.IO_BITMAP_A);
  const b = vmcs.getUnsigned(V.IO_BITMAP_B);
  for (let p = port; p < port + size; p++) {
    const base = p < 0x8000 ? a : b;
    const bit = p & 0x7fff;
    if (((mem.read8(base + (bit >>> 3)) >>> (bit & 7)) & 1) !== 0) return true;
  }
  return false;
}

/**
 * RDMSR/WRMSR (26.1.3 "RDMSR", "WRMSR"): without MSR bitmaps every access exits; ECX outside 0–1FFFH and
 * C0000000H–C0001FFFH always exits; otherwise the bit in the read/write bitmap for low/high MSRs decides
 * (read low at offset 0, read high at 1024, write low at 2048, write high at 3072).
 */
export function msrExits(mem: PhysicalMemory, vmcs: Vmcs, msr: number, write: boolean): boolean {
  if ((vmcs.lo[V.PRIMARY_PROC_BASED_VM_EXEC_CONTROL] & PROC.USE_MSR_BITMAPS) === 0) return true;
  const ecx = msr >>> 0;
  let offset: number;
  if (ecx <= 0x1fff) offset = 0;
  else if (ecx >= 0xc0000000 && ecx <= 0xc0001fff) offset = 1024;
  else return true;
  if (write) offset += 2048;
  const n = ecx & 0x1fff;
  const byte = mem.read8(vmcs.getUnsigned(V.MSR_BITMAP) + offset + (n >>> 3));
  return ((byte >>> (n & 7)) & 1) !== 0;
}

/**
 * VMREAD/VMWRITE in non-root operation with "VMCS shadowing" = 1 (26.1.3 "VMREAD", "VMWRITE"): exit if any of
 * bits 63:15 of the encoding operand is set, or if the bit for encoding bits 14:0 is set in the bitmap.
 */
export function shadowBitmapExits(mem: PhysicalMemory, vmcs: Vmcs, encoding: bigint, write: boolean): boolean {
  if (encoding >> 15n !== 0n) return true;
  const n = Number(encoding);
  const base = vmcs.getUnsigned(write ? V.VMWRITE_BITMAP : V.VMREAD_BITMAP);
  return ((mem.read8(base + (n >>> 3)) >>> (n & 7)) & 1) !== 0;
}
