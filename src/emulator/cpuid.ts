/**
 * CPUID of the reference machine (SDM Vol. 2A "CPUID—CPU Identification"). Leaves 0, 1, 7, 0DH (sub-leaf 0),
 * 80000000H–80000004H, 80000007H and 80000008H carry data; other leaves up to the maximum return zeros; a
 * leaf above the maximum basic or extended leaf returns the data of the highest basic leaf, as Intel
 * processors do. CPUID.1:ECX.VMX[bit 5] = 1 (SDM Vol. 3C 24.6 "Discovering Support for VMX");
 * CPUID.80000008H:EAX[7:0] = MAXPHYADDR.
 */
import { CR4 } from '../arch';
import type { LogicalProcessor } from './processor';

const MAX_BASIC = 0x16;
const MAX_EXTENDED = 0x80000008;

/** CPUID.1:ECX bits reported: SSE3, PCLMULQDQ, MONITOR, VMX, SSSE3, FMA, CMPXCHG16B, PCID, SSE4.1, SSE4.2,
 * MOVBE, POPCNT, AES, XSAVE, AVX, F16C, RDRAND. OSXSAVE (bit 27) mirrors CR4.OSXSAVE. */
const LEAF1_ECX =
  (1 << 0) | (1 << 1) | (1 << 3) | (1 << 5) | (1 << 9) | (1 << 12) | (1 << 13) | (1 << 17) | (1 << 19) |
  (1 << 20) | (1 << 22) | (1 << 23) | (1 << 25) | (1 << 26) | (1 << 28) | (1 << 29) | (1 << 30);
export const CPUID1_ECX_VMX = 1 << 5;
/** CPUID.1:EDX: FPU … SSE2, HTT (the usual 0xBFEBFBFF of Intel server parts). */
const LEAF1_EDX = 0xbfebfbff;
/** CPUID.(7,0):EBX: FSGSBASE, BMI1, AVX2, SMEP, BMI2, ERMS, INVPCID, RDSEED, ADX, SMAP, CLFLUSHOPT, CLWB, SHA. */
const LEAF7_EBX =
  (1 << 0) | (1 << 3) | (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 18) | (1 << 19) |
  (1 << 20) | (1 << 23) | (1 << 24) | (1 << 29);
/** CPUID.(7,0):ECX: UMIP, PKU; OSPKE (bit 4) mirrors CR4.PKE. */
const LEAF7_ECX = (1 << 2) | (1 << 3);
/** CPUID.80000001H:EDX: SYSCALL, NX, 1-GByte pages, RDTSCP, Intel 64. ECX: LAHF, LZCNT, PREFETCHW. */
const EXT1_EDX = (1 << 11) | (1 << 20) | (1 << 26) | (1 << 27) | (1 << 29);
const EXT1_ECX = (1 << 0) | (1 << 5) | (1 << 8);

function brandWord(brand: string, index: number): number {
  let v = 0;
  for (let i = 0; i < 4; i++) v |= (brand.charCodeAt(index * 4 + i) & 0xff) << (8 * i);
  return v >>> 0;
}

/** Fill out[0..3] = EAX, EBX, ECX, EDX for CPUID leaf/subleaf. */
export function cpuidLeaf(cpu: LogicalProcessor, leaf: number, subleaf: number, out: Uint32Array): void {
  leaf >>>= 0;
  const p = cpu.caps.profile;
  if ((leaf > MAX_BASIC && leaf < 0x80000000) || leaf > MAX_EXTENDED) leaf = MAX_BASIC;
  out[0] = out[1] = out[2] = out[3] = 0;
  switch (leaf) {
    case 0: // "GenuineIntel"
      out[0] = MAX_BASIC;
      out[1] = 0x756e6547;
      out[3] = 0x49656e69;
      out[2] = 0x6c65746e;
      return;
    case 1:
      out[0] = p.cpuidSignature;
      out[1] = ((cpu.index & 0xff) << 24) | (1 << 16) | (8 << 8);
      out[2] = (LEAF1_ECX | ((cpu.regs.cr4 & CR4.OSXSAVE) !== 0 ? 1 << 27 : 0)) >>> 0;
      out[3] = LEAF1_EDX;
      return;
    case 7:
      if (subleaf === 0) {
        out[1] = LEAF7_EBX;
        out[2] = (LEAF7_ECX | ((cpu.regs.cr4 & CR4.PKE) !== 0 ? 1 << 4 : 0)) >>> 0;
      }
      return;
    case 0xd:
      if (subleaf === 0) {
        out[0] = 0x7; // x87, SSE, AVX state components
        out[1] = 0x340;
        out[2] = 0x340;
      }
      return;
    case 0x16:
      out[0] = Math.round(p.tscHz / 1e6); // base frequency in MHz
      out[1] = out[0];
      out[2] = 100;
      return;
    case 0x80000000:
      out[0] = MAX_EXTENDED;
      return;
    case 0x80000001:
      out[2] = EXT1_ECX;
      out[3] = EXT1_EDX;
      return;
    case 0x80000002:
    case 0x80000003:
    case 0x80000004: {
      const brand = p.brand.padEnd(48, '\0').slice(0, 47) + '\0';
      const base = (leaf - 0x80000002) * 4;
      for (let i = 0; i < 4; i++) out[i] = brandWord(brand, base + i);
      return;
    }
    case 0x80000007:
      out[3] = 1 << 8; // invariant TSC
      return;
    case 0x80000008:
      out[0] = (p.physicalAddressWidth & 0xff) | (48 << 8);
      return;
    default:
      return;
  }
}
