/**
 * One VMCS as this processor caches it: typed arrays indexed by the dense field index of layout.ts, the
 * launch state (SDM Vol. 3C 25.1 "Overview": clear/launched) and the shadow-VMCS indicator read at VMPTRLD
 * (25.2 "Format of the VMCS Region").
 *
 * `ctlGen` counts changes to control and host-state fields. VM entry caches the result of its control and
 * host-state checks (SDM 27.2) against it: those checks read nothing but these fields, the capability MSRs
 * (fixed per machine) and IA32_EFER.LMA (kept with the cache), so equal inputs give equal results.
 * `segGen` does the same for the guest segment-register fields (the guest segment bank, entry/guest-state.ts).
 * The dirty list records every field whose value changed (by VMWRITE or by a VM exit) since the guest-state
 * checks last ran, for their incremental re-evaluation (entry/guest-check-cache.ts).
 */
import type { PhysicalMemory } from '../memory';
import * as ns_layout from './layout';
// Imported bindings rebound once: under tsx (esbuild CommonJS) each use of an import is a getter call.
const { FIELD_COUNT, FIELD_TYPE, REGION_FIELDS, REGION_LAUNCH_STATE, T_CONTROL, T_HOST, V } = ns_layout;

const CTL_OR_HOST = new Uint8Array(FIELD_COUNT);
for (let i = 0; i < FIELD_COUNT; i++) CTL_OR_HOST[i] = FIELD_TYPE[i] === T_CONTROL || FIELD_TYPE[i] === T_HOST ? 1 : 0;
/** The guest segment-register fields (selector, base, limit, access rights of ES … TR), counted by segGen. */
const GUEST_SEGMENT = new Uint8Array(FIELD_COUNT);
for (const s of ['ES', 'CS', 'SS', 'DS', 'FS', 'GS', 'LDTR', 'TR'] as const) {
  for (const f of ['SELECTOR', 'BASE', 'LIMIT', 'AR_BYTES'] as const) GUEST_SEGMENT[V[`GUEST_${s}_${f}`]] = 1;
}

export class Vmcs {
  readonly address: number;
  readonly lo = new Uint32Array(FIELD_COUNT);
  readonly hi = new Uint32Array(FIELD_COUNT);
  launched = false;
  /** Bit 31 of the revision dword when this VMCS was made current (a shadow VMCS, SDM 25.10). */
  shadow = false;
  ctlGen = 0;
  /**
   * Counts changes to the guest segment-register fields (GUEST_ES_SELECTOR … GUEST_TR_AR_BYTES): the guest
   * segment bank of a logical processor is known equal to them while this count is unchanged (entry/guest-state.ts).
   */
  segGen = 0;
  /** ctlGen when the control and host-state checks last passed, and the IA32_EFER.LMA they passed with. */
  checkedCtlGen = -1;
  checkedLma = -1;
  /** Fields whose value changed since the guest-state checks last ran (entry/guest-check-cache.ts). */
  readonly dirtyFlag = new Uint8Array(FIELD_COUNT);
  readonly dirtyList = new Int32Array(FIELD_COUNT);
  dirtyCount = 0;
  /** What the guest-state checks learned at the last VM entry (owned by entry/guest-check-cache.ts). */
  guestChecks: object | null = null;

  constructor(address: number) {
    this.address = address;
  }

  /**
   * Store a field (value already truncated to the field's width by the caller); records what changed.
   * VM exits store some fifty fields, nearly all unchanged: the unchanged case is a compare, and the
   * recording is in `changed`, out of line.
   */
  write(d: number, lo: number, hi: number): void {
    if (this.lo[d] !== lo >>> 0 || this.hi[d] !== hi >>> 0) this.changed(d, lo, hi);
  }
  private changed(d: number, lo: number, hi: number): void {
    this.lo[d] = lo;
    this.hi[d] = hi;
    if (CTL_OR_HOST[d] !== 0) this.ctlGen++;
    else if (GUEST_SEGMENT[d] !== 0) this.segGen++;
    if (this.dirtyFlag[d] === 0) {
      this.dirtyFlag[d] = 1;
      this.dirtyList[this.dirtyCount++] = d;
    }
  }
  clearDirty(): void {
    for (let i = 0; i < this.dirtyCount; i++) this.dirtyFlag[this.dirtyList[i]] = 0;
    this.dirtyCount = 0;
  }
  /** Store a 32-bit (or narrower) field. */
  write32(d: number, v: number): void {
    if (this.lo[d] !== v || this.hi[d] !== 0) this.write(d, v >>> 0, 0);
  }
  /** Store a natural-width or 64-bit field from a signed-number address (state.ts convention). */
  writeNum(d: number, v: number): void {
    if (this.lo[d] !== v || this.hi[d] !== 0) this.write(d, v >>> 0, Math.floor(v / 4294967296) >>> 0);
  }
  write64(d: number, v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.write(d, Number(u & 0xffffffffn), Number(u >> 32n));
  }

  get32(d: number): number {
    return this.lo[d];
  }
  /** Signed-number form (exact when bits 63:53 are a sign extension, e.g. canonical addresses). */
  getNum(d: number): number {
    return (this.hi[d] | 0) * 4294967296 + this.lo[d];
  }
  /** Unsigned number form; exact below 2^53 (physical addresses). */
  getUnsigned(d: number): number {
    return this.hi[d] * 4294967296 + this.lo[d];
  }
  get64(d: number): bigint {
    return (BigInt(this.hi[d]) << 32n) | BigInt(this.lo[d]);
  }

  /** Read the cached data back from the VMCS region (VMPTRLD of a VMCS not active on this processor). */
  loadFrom(mem: PhysicalMemory): void {
    const base = this.address;
    this.launched = mem.read32(base + REGION_LAUNCH_STATE) === 1;
    for (let i = 0; i < FIELD_COUNT; i++) {
      this.lo[i] = mem.read32(base + REGION_FIELDS + 8 * i);
      this.hi[i] = mem.read32(base + REGION_FIELDS + 8 * i + 4);
    }
    this.ctlGen++;
    this.segGen++;
    this.guestChecks = null;
  }

  /** Write the cached data to the VMCS region (VMCLEAR: "ensure that data for VMCS ... is in memory"). */
  storeTo(mem: PhysicalMemory): void {
    const base = this.address;
    mem.write32(base + REGION_LAUNCH_STATE, this.launched ? 1 : 0);
    for (let i = 0; i < FIELD_COUNT; i++) {
      mem.write32(base + REGION_FIELDS + 8 * i, this.lo[i]);
      mem.write32(base + REGION_FIELDS + 8 * i + 4, this.hi[i]);
    }
  }
}
