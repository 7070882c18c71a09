/**
 * The interpreter's TLB: cached translations, tagged the way SDM Vol. 3C 29.4 "Caching Translation Information"
 * describes, and invalidated only by the operations that SDM 29.4.3.1 "Operations that Invalidate Cached
 * Mappings" and Vol. 3A 4.10.4.1 "Operations that Invalidate TLBs and Paging-Structure Caches" name. Nothing else
 * removes a valid entry except replacement by another translation: writes to memory holding paging structures or
 * EPT paging structures are not snooped (the SDM leaves it to software to invalidate after changing them, Vol. 3A
 * 4.10.4.2 "Recommended Invalidation", SDM 29.4.3.3 and 29.4.3.4), and VM entries and VM exits with "enable VPID"
 * = 1 keep every entry (29.4.3.2), as do VM entries and exits for guest-physical mappings. So a VMM or a guest
 * that changes a translation and leaves out the invalidation the SDM requires gets the old translation here, which
 * a real processor may do too.
 *
 * Kinds of entries (29.4.1 "Information That May Be Cached"):
 *  - linear mappings (EPT not in use): linear page → physical page, tagged by VPID;
 *  - combined mappings (EPT in use): linear page → host-physical page, tagged by VPID and EP4TA (the EPT PML4
 *    table address in the EPTP, bits 51:12);
 *  - guest-physical mappings (EPT in use): guest-physical page → host-physical page and the EPT access rights
 *    found so far, tagged by EP4TA only; used for every guest-physical access (guest paging-structure entries,
 *    the final access, and all accesses while guest paging is off).
 * Linear and combined mappings may be global (CR4.PGE = 1 and G = 1 in the leaf entry, Vol. 3A 4.10.2.4). PCIDs
 * are not modelled: no entry carries a PCID, so every operation that invalidates for one PCID invalidates the
 * current VPID's entries for all PCIDs (allowed: "may invalidate ... associated with PCIDs other than", 4.10.4.1),
 * and MOV to CR3 with CR4.PCIDE = 1 and bit 63 set still invalidates (without PCID tags, keeping the entries
 * would let the new PCID use another PCID's translations).
 *
 * Representation. The platform gives a context tag per run (Platform.translationTag): the VPID in bits 15:0
 * and EP4TA + 1 above them (0 without EPT). Each context has three current ids — for its non-global entries, its
 * global entries and (shared by every VPID of the EP4TA) its guest-physical entries — and an entry is valid only
 * while the id it was made under is current. An invalidation of a whole class (a VPID, every VPID but 0000H, an
 * EP4TA, every EP4TA, the non-global entries of a VPID) records a new serial number for that class, O(1); a
 * context's id is renewed when it was issued before any serial that concerns it, which the interpreter checks
 * once per run and after each of its own invalidations (Tlb.context). Per-address invalidations (INVLPG, INVVPID
 * individual-address, page faults, EPT violations) clear the matching entries in place.
 *
 * Organisation: 512 sets of 2 ways for linear and combined mappings, indexed by linear-page-number bits 8:0 folded
 * with bits 17:9 (so pages 2 MiB or 4 MiB apart do not compete for one set), and 512 more for guest-physical
 * mappings, indexed the same way by guest-physical page number (so that with an identity-mapped guest a page's
 * combined and guest-physical mappings do not compete either); a new entry goes to way 0 and the older one moves
 * to way 1.
 * Entries are 4-KiB pages, also for larger pages (fragments, allowed by Vol. 3A 4.10.2.3); the size of the page
 * they came from is kept, so that INVLPG and page faults invalidate every fragment of the translation as 4.10.4.1
 * requires. A hit is a few typed-array compares and allocates nothing.
 */

/** Sets (2 ways each), for linear and combined mappings; as many again for guest-physical mappings. */
export const TLB_SETS = 512;
export const TLB_SIZE = TLB_SETS * 2;
/** Index of the first guest-physical entry: guest-physical mappings have sets of their own (GPA_BASE + setOf). */
export const GPA_BASE = TLB_SIZE;
/** No context id (ids start at 1). */
export const NO_ID = -1;
/** The permission bit (paging.ts P_G) of a global translation. */
export const PERM_GLOBAL = 128;

/** Way 0 of the set for linear page number `pn` (signed-number form); way 1 is the next entry. */
export function setOf(pn: number): number {
  return ((pn ^ (pn >>> 9)) & (TLB_SETS - 1)) << 1;
}

/** The guest-physical mappings of one EP4TA (shared by all VPIDs). */
class EptContext {
  /** Serial of the last INVEPT single-context for this EP4TA. */
  inv = 0;
  pid = NO_ID;
  pidStamp = -1;
  constructor(readonly ep4ta: number) {}
}

/** One translation context: a VPID, with or without an EP4TA. */
export class TranslationContext {
  id = NO_ID;
  idStamp = -1;
  gid = NO_ID;
  gidStamp = -1;
  constructor(readonly tag: number, readonly vpid: number, readonly ept: EptContext | null) {}
  /** The guest-physical id of the EP4TA (NO_ID without EPT). */
  get pid(): number {
    return this.ept === null ? NO_ID : this.ept.pid;
  }
}

export class Tlb {
  /** Linear (guest-physical) page number of each entry; NaN when the entry is invalid. */
  readonly page = new Float64Array(2 * TLB_SIZE).fill(NaN);
  /** The context id the entry was made under. */
  readonly ctx = new Float64Array(2 * TLB_SIZE);
  /** Physical address of the 4-KiB page. */
  readonly phys = new Float64Array(2 * TLB_SIZE);
  /** Permission bits (paging.ts P_*). */
  readonly perm = new Uint8Array(2 * TLB_SIZE);
  /** VPID of a linear or combined mapping; -1 for a guest-physical mapping. */
  readonly vpid = new Int32Array(2 * TLB_SIZE);
  /** log2(page size / 4 KiB) of the translation the entry is a fragment of: 0, 9 (2 MiB), 10 (4 MiB), 18 (1 GiB). */
  readonly size = new Uint8Array(2 * TLB_SIZE);
  /** Entries from pages larger than 4 KiB were made since the last full invalidation (then address invalidations scan). */
  large = false;
  /** Bumped on every invalidation, so the interpreter's cached code-page translation is dropped too. */
  epoch = 0;

  /** Serial number of the last invalidation of a whole class of entries (context ids change only when it does). */
  serial = 0;
  private nextId = 1;
  /** Serials of the last invalidation of all mappings of a VPID, and of its non-global mappings. */
  private readonly vpidInv = new Float64Array(65536);
  private readonly vpidNonGlobalInv = new Float64Array(65536);
  /** Serial of the last invalidation of every VPID but 0000H (INVVPID all-context). */
  private otherVpidsInv = 0;
  /** Serial of the last invalidation of every EP4TA (INVEPT all-context). */
  private allEptInv = 0;
  private readonly epts = new Map<number, EptContext>();
  private readonly contexts = new Map<number, TranslationContext>();
  private last: TranslationContext | null = null;

  /**
   * The context of a tag (VPID in bits 15:0, EP4TA + 1 above), its ids renewed if an invalidation since they were
   * issued concerns them. Allocates only the first time a tag is seen.
   */
  context(tag: number): TranslationContext {
    let c = this.last;
    if (c === null || c.tag !== tag) {
      c = this.contexts.get(tag) ?? this.newContext(tag);
      this.last = c;
    }
    const v = c.vpid;
    let inv = this.vpidInv[v];
    if (v !== 0 && this.otherVpidsInv > inv) inv = this.otherVpidsInv;
    const e = c.ept;
    if (e !== null) {
      const ei = e.inv > this.allEptInv ? e.inv : this.allEptInv;
      if (e.pidStamp < ei) {
        e.pid = this.nextId++;
        e.pidStamp = this.serial;
      }
      if (ei > inv) inv = ei;
    }
    if (c.gidStamp < inv) {
      c.gid = this.nextId++;
      c.gidStamp = this.serial;
    }
    const ng = this.vpidNonGlobalInv[v];
    if (ng > inv) inv = ng;
    if (c.idStamp < inv) {
      c.id = this.nextId++;
      c.idStamp = this.serial;
    }
    return c;
  }

  private newContext(tag: number): TranslationContext {
    const vpid = tag % 65536;
    const e = (tag - vpid) / 65536;
    let ept: EptContext | null = null;
    if (e !== 0) {
      ept = this.epts.get(e - 1) ?? null;
      if (ept === null) {
        ept = new EptContext(e - 1);
        this.epts.set(e - 1, ept);
      }
    }
    const c = new TranslationContext(tag, vpid, ept);
    this.contexts.set(tag, c);
    return c;
  }

  private bump(): number {
    this.epoch++;
    return ++this.serial;
  }

  /** Every entry (power-up and reset, Vol. 3A 4.10.4.1 / SDM 29.4.3.1). */
  invalidateAll(): void {
    this.page.fill(NaN);
    this.large = false;
    this.epoch++;
  }

  /**
   * Linear and combined mappings of `vpid` (for all EP4TAs), global ones too unless `retainGlobals`. Guest-physical
   * mappings are kept (29.4.3.2: INVVPID and the operations of Vol. 3A 4.10.4.1 need not invalidate them).
   */
  invalidateVpid(vpid: number, retainGlobals: boolean): void {
    (retainGlobals ? this.vpidNonGlobalInv : this.vpidInv)[vpid & 0xffff] = this.bump();
  }

  /** Linear and combined mappings of every VPID except 0000H (INVVPID all-context). */
  invalidateAllVpidsExceptZero(): void {
    this.otherVpidsInv = this.bump();
  }

  /** Guest-physical and combined mappings of one EP4TA, for all VPIDs (INVEPT single-context); linear mappings stay. */
  invalidateEp4ta(ep4ta: number): void {
    const e = this.epts.get(ep4ta);
    const s = this.bump();
    if (e !== undefined) e.inv = s;
  }

  /** Guest-physical and combined mappings of every EP4TA (INVEPT all-context); linear mappings stay. */
  invalidateAllEp4tas(): void {
    this.allEptInv = this.bump();
  }

  /**
   * Linear and combined mappings of `vpid` (all EP4TAs) that would be used to translate `linear`: the entry for its
   * 4-KiB page and every other fragment of the same larger page (INVLPG, INVVPID individual-address); global
   * ones too unless `retainGlobals` (INVPCID individual-address).
   */
  invalidateAddress(vpid: number, linear: number, retainGlobals = false): void {
    const pn = Math.floor(linear / 4096);
    const s = setOf(pn);
    const page = this.page;
    const keep = retainGlobals ? PERM_GLOBAL : 0;
    if (page[s] === pn && this.vpid[s] === vpid && (this.perm[s] & keep) === 0) page[s] = NaN;
    if (page[s + 1] === pn && this.vpid[s + 1] === vpid && (this.perm[s + 1] & keep) === 0) page[s + 1] = NaN;
    if (this.large) {
      for (let i = 0; i < TLB_SIZE; i++) {
        const sz = this.size[i];
        if (sz !== 0 && this.vpid[i] === vpid && (this.perm[i] & keep) === 0 && sameLargePage(page[i], pn, sz)) page[i] = NaN;
      }
    }
    this.epoch++;
  }

  /**
   * The entries made under context id `a` or `b` that would be used to translate `address` (a page fault, Vol. 3A
   * 4.10.4.1; an EPT violation or misconfiguration, SDM 29.4.3.1 and 29.4.2): linear and combined mappings, or
   * with `base` = GPA_BASE guest-physical ones.
   */
  invalidateAddressIn(a: number, b: number, address: number, base = 0): void {
    const pn = Math.floor(address / 4096);
    const s = base + setOf(pn);
    const page = this.page;
    const ctx = this.ctx;
    if (page[s] === pn && (ctx[s] === a || ctx[s] === b)) page[s] = NaN;
    if (page[s + 1] === pn && (ctx[s + 1] === a || ctx[s + 1] === b)) page[s + 1] = NaN;
    if (base === 0 && this.large) {
      for (let i = 0; i < TLB_SIZE; i++) {
        const sz = this.size[i];
        if (sz !== 0 && (ctx[i] === a || ctx[i] === b) && sameLargePage(page[i], pn, sz)) page[i] = NaN;
      }
    }
    this.epoch++;
  }

  /**
   * Insert (or replace) the entry for page `pn` under context id `id` in the set whose way 0 is `s` (setOf, plus
   * GPA_BASE for a guest-physical mapping). An entry for the same page under `id` or `other` (the context's other
   * id: global vs non-global) is replaced; otherwise way 0's entry moves to way 1. Returns the index written.
   */
  insert(s: number, pn: number, id: number, other: number, phys: number, perm: number, vpid: number, size: number, keepMask: number): number {
    const page = this.page;
    const ctx = this.ctx;
    let i: number;
    if (page[s] === pn && (ctx[s] === id || ctx[s] === other)) i = s;
    else if (page[s + 1] === pn && (ctx[s + 1] === id || ctx[s + 1] === other)) i = s + 1;
    else {
      const j = s + 1;
      page[j] = page[s];
      ctx[j] = ctx[s];
      this.phys[j] = this.phys[s];
      this.perm[j] = this.perm[s];
      this.vpid[j] = this.vpid[s];
      this.size[j] = this.size[s];
      page[s] = NaN;
      i = s;
    }
    // Rights established earlier for the same frame (EPT read/write/execute checked by earlier accesses) are kept.
    if (page[i] === pn && this.phys[i] === phys) perm |= this.perm[i] & keepMask;
    page[i] = pn;
    ctx[i] = id;
    this.phys[i] = phys;
    this.perm[i] = perm;
    this.vpid[i] = vpid;
    this.size[i] = size;
    if (size !== 0) this.large = true;
    return i;
  }

}

function sameLargePage(a: number, b: number, sz: number): boolean {
  const d = 2 ** sz;
  return Math.floor(a / d) === Math.floor(b / d);
}
