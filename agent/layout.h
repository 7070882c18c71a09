/*
 * Physical memory map of the agent, shared by the C and assembly sources (and mirrored, for the
 * harness, in src/adapters/bochs/protocol.ts and docs/bochs.md).
 *
 * Everything is identity-mapped (linear == physical), so every address below is both.
 *
 *   0x000000 - 0x007fff   BIOS data (IVT, BDA), boot stack, boot sector at 0x7c00: agent-owned
 *   0x008000 - 0x07ffff   agent image: text, data, bss (loaded from the floppy by the boot sector)
 *   0x080000 - 0x0fffff   EBDA, VGA memory, option and system ROMs: never written
 *   0x100000 - 0x1fffff   agent work area: page tables, stacks, the request buffer
 *   0x200000 - 0x1ffffff  SCENARIO WINDOW: all the RAM above 2 MiB, free for VMXON/VMCS regions, guest
 *                         code, guest page tables, EPT structures, bitmaps. Zeroed by every reset. (The
 *                         BIOS left its ACPI tables at 0x1ff0000; the agent never reads them.)
 *
 * Writes from the harness are accepted only inside the scenario window; so are 4 KiB-aligned
 * VMXON/VMCLEAR/VMPTRLD operands below 2^MAXPHYADDR (the processor writes to those regions).
 */
#ifndef AGENT_LAYOUT_H
#define AGENT_LAYOUT_H

#define IMAGE_BASE        0x8000        /* where the boot sector loads the kernel image */
#define IMAGE_LIMIT       0x80000       /* the image (with bss) must end below the EBDA */

#define PML4_ADDR         0x100000
#define PDPT_ADDR         0x101000
#define PD_ADDR           0x102000      /* four page directories: 4 GiB in 2 MiB pages */
#define PAGING_END        0x106000

#define KSTACK_TOP        0x120000      /* ring-0 stack, 0x110000-0x11ffff */
#define INT_STACK_TOP     0x128000      /* TSS.RSP0: interrupts arriving from rings 1-3 */
#define IST1_STACK_TOP    0x12c000      /* #DF and NMI run on their own stack (TSS.IST1) */
#define RING_STACK_BASE   0x12c000      /* ring n (1..3) stack top = RING_STACK_BASE + n*0x4000 */
#define IOBUF_ADDR        0x140000      /* request buffer */
#define IOBUF_SIZE        0x80000

#define WINDOW_START      0x200000
#define WINDOW_END        0x2000000     /* = RAM_END: everything above 2 MiB */
#define RAM_END           0x2000000     /* 32 MiB; the bochsrc says megs: 32 */

/* GDT selectors (see the table in entry.S). Ring n code = 0x08 + n*0x10, data = code + 8. */
#define SEL_KCODE         0x08
#define SEL_KDATA         0x10
#define SEL_TSS           0x48
#define SEL_CODE32        0x58

#define LAPIC_BASE        0xfee00000

/* Software interrupt by which code running at CPL 1-3 returns to the agent (gate DPL 3). */
#define VEC_RING_RETURN   0x81

#endif
