/**
 * CPUID of the reference machine (SDM Vol. 2A "CPUID—CPU Identification"). Leaves 0, 1, 7, 0DH, 12H (with
 * SGX), 14H (with Intel PT), 16H, 80000000H–80000004H, 80000007H and 80000008H carry data; other leaves up to
 * the maximum return zeros; a leaf above the maximum basic or extended leaf returns the data of the highest
 * basic leaf, as Intel processors do. CPUID.1:ECX.VMX[bit 5] = 1 (SDM Vol. 3C 24.6 "Discovering Support for
 * VMX"); CPUID.80000008H:EAX[7:0] = MAXPHYADDR. The SMX, SGX, XSAVES and Intel PT bits follow the profile's
 * ProcessorFeatures (profiles.ts), which says how far each is modelled.
 */
import { CR4, MSR } from '../arch';
import { CPUID_FLAG, XSTATE } from '../arch/processor-features';
import { xssSupported } from './msrs';
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

/**
 * XSAVE (leaf 0DH): the XCR0 components XSETBV accepts here, x87 and SSE (handlers-system.ts), both in the
 * legacy region, so every standard-format area is 576 bytes (Vol. 1 13.4). PT state (supervisor component 8)
 * is 128 bytes, of which 72 are used (13.5.6), and is not 64-byte aligned in the compacted format.
 */
const XCR0_SUPPORTED = (1 << XSTATE.X87) | (1 << XSTATE.SSE);
const PT_STATE_SIZE = 128;

/**
 * SGX (leaf 12H): SGX1 and SGX2; MISCSELECT none; maximum enclave size 2^31 outside and 2^56 in 64-bit mode
 * (EDX = 381FH, as Xeon parts report); SECS.ATTRIBUTES that may be set: DEBUG, MODE64BIT, PROVISIONKEY,
 * EINITTOKEN_KEY, with XFRM = the XCR0 components above. Sub-leaves 2 and up describe EPC sections: type 0
 * (invalid) for all, i.e. no enclave page cache (see ProcessorFeatures.sgx).
 */
const LEAF12_0_EAX = CPUID_FLAG.LEAF12_EAX_SGX1 | CPUID_FLAG.LEAF12_EAX_SGX2;
const LEAF12_0_EDX = 0x381f;
const LEAF12_1_EAX = (1 << 1) | (1 << 2) | (1 << 4) | (1 << 5);

/** Leaf 0DH, "Processor Extended State Enumeration" (Vol. 2A CPUID; Vol. 1 13.2). */
function xsaveLeaf(cpu: LogicalProcessor, subleaf: number, out: Uint32Array): void {
  const feat = cpu.caps.profile.features;
  const xss = xssSupported(cpu.caps.profile);
  switch (subleaf) {
    case 0:
      out[0] = XCR0_SUPPORTED; // EDX:EAX: XCR0 bits that may be 1
      out[1] = XSTATE.EXTENDED_REGION_OFFSET; // size for the components enabled in XCR0 (standard format)
      out[2] = XSTATE.EXTENDED_REGION_OFFSET; // size for every supported XCR0 component
      return;
    case 1: {
      if (!feat.xsaves) return;
      out[0] = CPUID_FLAG.LEAFD1_EAX_XGETBV_ECX1 | CPUID_FLAG.LEAFD1_EAX_XSAVES;
      // EBX: size of the compacted area for the components enabled in XCR0 | IA32_XSS.
      const enabled = cpu.msrStore.get(MSR.IA32_XSS) ?? 0n;
      out[1] = XSTATE.EXTENDED_REGION_OFFSET + ((enabled >> BigInt(XSTATE.PT)) & 1n ? PT_STATE_SIZE : 0);
      out[2] = Number(xss & 0xffffffffn); // ECX/EDX: IA32_XSS bits that may be 1
      out[3] = Number(xss >> 32n);
      return;
    }
    default:
      if (subleaf === XSTATE.PT && ((xss >> BigInt(XSTATE.PT)) & 1n) === 1n) {
        out[0] = PT_STATE_SIZE;
        out[1] = 0; // supervisor components have no fixed offset
        out[2] = CPUID_FLAG.LEAFD_I_ECX_SUPERVISOR;
      }
      return;
  }
}

function brandWord(brand: string, index: number): number {
  let v = 0;
  for (let i = 0; i < 4; i++) v |= (brand.charCodeAt(index * 4 + i) & 0xff) << (8 * i);
  return v >>> 0;
}

/** Fill out[0..3] = EAX, EBX, ECX, EDX for CPUID leaf/subleaf. */
export function cpuidLeaf(cpu: LogicalProcessor, leaf: number, subleaf: number, out: Uint32Array): void {
  leaf >>>= 0;
  const p = cpu.caps.profile;
  const feat = p.features;
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
      out[2] = (LEAF1_ECX | (feat.smx ? CPUID_FLAG.LEAF1_ECX_SMX : 0) |
        ((cpu.regs.cr4 & CR4.OSXSAVE) !== 0 ? CPUID_FLAG.LEAF1_ECX_OSXSAVE : 0)) >>> 0;
      out[3] = LEAF1_EDX;
      return;
    case 7:
      if (subleaf === 0) {
        out[1] = (LEAF7_EBX | (feat.sgx ? CPUID_FLAG.LEAF7_EBX_SGX : 0) | (feat.intelPt ? CPUID_FLAG.LEAF7_EBX_INTEL_PT : 0)) >>> 0;
        out[2] = (LEAF7_ECX | ((cpu.regs.cr4 & CR4.PKE) !== 0 ? 1 << 4 : 0)) >>> 0;
      }
      return;
    case 0xd:
      xsaveLeaf(cpu, subleaf, out);
      return;
    case 0x12:
      if (!feat.sgx) return;
      if (subleaf === 0) {
        out[0] = LEAF12_0_EAX;
        out[3] = LEAF12_0_EDX;
      } else if (subleaf === 1) {
        out[0] = LEAF12_1_EAX;
        out[2] = XCR0_SUPPORTED;
      }
      return;
    case 0x14:
      // Intel PT: sub-leaf 0 with EAX (maximum sub-leaf) 0 and no capability (intel-pt.ts); all zero either way.
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
