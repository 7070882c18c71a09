// EPT-related formats: the EPT pointer, EPT paging-structure entries, and the
// INVEPT / INVVPID types.
//
// Sources: SDM Vol. 3C 25.6.11 "Extended-Page-Table Pointer (EPTP)",
// 29.3.2 "EPT Translation Mechanism" (entry formats), 31.3 INVEPT / INVVPID
// descriptions (types). Cross-checked against Linux asm/vmx.h (VMX_EPT_*,
// VMX_EPTP_*, VMX_VPID_EXTENT_*).

/** SDM 25.6.11, Table "Format of Extended-Page-Table Pointer". */
export const EPTP = {
  /** Bits 2:0: EPT paging-structure memory type (0 UC, 6 WB). */
  MEMORY_TYPE_MASK: 0x7n,
  /** Bits 5:3: EPT page-walk length minus 1 (3 = 4 levels, 4 = 5 levels). */
  PAGE_WALK_LENGTH_SHIFT: 3n,
  PAGE_WALK_LENGTH_MASK: 0x7n << 3n,
  /** Bit 6: enable accessed and dirty flags. */
  ACCESSED_DIRTY_ENABLE: 1n << 6n,
  /** Bit 7: enable supervisor shadow-stack access rights. */
  SUPERVISOR_SHADOW_STACK: 1n << 7n,
  /** Bits N-1:12: physical address of the EPT PML4 (or PML5) table. */
  ADDRESS_SHIFT: 12n,
} as const;

/** SDM 29.3.2, tables "Format of an EPT ... Entry": bits common to EPT entries. */
export const EPT_ENTRY = {
  READ: 1n << 0n,
  WRITE: 1n << 1n,
  EXECUTE: 1n << 2n,
  /** Bits 5:3 of a leaf entry: EPT memory type. */
  MEMORY_TYPE_SHIFT: 3n,
  MEMORY_TYPE_MASK: 0x7n << 3n,
  /** Bit 6 of a leaf entry: ignore PAT memory type. */
  IGNORE_PAT: 1n << 6n,
  /** Bit 7 of a PDPTE or PDE: maps a 1-GByte or 2-MByte page. */
  LARGE_PAGE: 1n << 7n,
  ACCESSED: 1n << 8n,
  /** Bit 9 of a leaf entry. */
  DIRTY: 1n << 9n,
  /** Bit 10: execute access for user-mode linear addresses (mode-based execute control). */
  USER_EXECUTE: 1n << 10n,
  /** Bit 63 of a leaf entry: suppress #VE. */
  SUPPRESS_VE: 1n << 63n,
} as const;

/** INVEPT types (SDM 31.3 "INVEPT"). */
export const INVEPT_TYPE = { SINGLE_CONTEXT: 1, ALL_CONTEXT: 2 } as const;

/** INVVPID types (SDM 31.3 "INVVPID"). */
export const INVVPID_TYPE = {
  INDIVIDUAL_ADDRESS: 0,
  SINGLE_CONTEXT: 1,
  ALL_CONTEXT: 2,
  SINGLE_CONTEXT_RETAINING_GLOBALS: 3,
} as const;
