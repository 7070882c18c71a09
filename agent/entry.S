/*
 * From real mode to 64-bit mode, then into kmain().
 *
 * The boot sector jumps to IMAGE_BASE (0000:8000) in real mode. This file is linked first, so the 16-bit
 * code and the GDT below stay inside the first 64 KiB, where 16-bit addressing reaches them.
 *
 * Steps (SDM Vol. 3A, 10.8 "Initializing IA-32e Mode" in the 2023-2025 numbering, 9.8 earlier):
 * protected mode with a flat 32-bit code segment; 4-level page tables identity-mapping the first 4 GiB
 * in 2 MiB pages (RAM plus the local APIC at 0xfee00000); CR4.PAE; IA32_EFER.LME; CR0.PG; then a far jump
 * to a 64-bit code segment.
 *
 * CR0 is set to PE|ET|NE|WP|PG: CR0.NE=1 is required in VMX operation (IA32_VMX_CR0_FIXED0, SDM 24.8
 * "Restrictions on VMX Operation"), so setting it here means scenarios need not. CR4 is PAE only:
 * CR4.VMXE stays clear so that scenarios decide when to set it.
 *
 * Every page is user-accessible (U/S=1) so that the same instruction stubs can run at CPL 1-3 (see
 * ops.S); the agent therefore refuses CR4.SMEP/SMAP, which would fault on its own pages.
 */
#include "layout.h"

        .code16
        .section .text.entry, "ax"
        .globl _start16
_start16:
        cli
        xorw    %ax, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movw    $0x7c00, %sp

        inb     $0x92, %al              /* "fast A20" gate: address line 20 on */
        orb     $2, %al
        andb    $0xfe, %al
        outb    %al, $0x92

        movb    $0xff, %al              /* mask both 8259s: the agent polls, it takes no device IRQ */
        outb    %al, $0xa1
        outb    %al, $0x21

        lgdtl   gdt_ptr
        movl    %cr0, %eax
        orl     $1, %eax
        movl    %eax, %cr0
        ljmpl   $SEL_CODE32, $start32

        .code32
start32:
        movl    $SEL_KDATA, %eax
        movl    %eax, %ds
        movl    %eax, %es
        movl    %eax, %ss
        movl    %eax, %fs
        movl    %eax, %gs
        movl    $KSTACK_TOP, %esp

        /* Zero the paging structures, then fill them. */
        movl    $PML4_ADDR, %edi
        movl    $((PAGING_END - PML4_ADDR) / 4), %ecx
        xorl    %eax, %eax
        cld
        rep stosl

        /* PML4[0] -> PDPT; PDPT[0..3] -> the four page directories. Flags P|RW|US = 7. */
        movl    $(PDPT_ADDR | 7), PML4_ADDR
        movl    $PDPT_ADDR, %edi
        movl    $(PD_ADDR | 7), %eax
        movl    $4, %ecx
1:      movl    %eax, (%edi)
        addl    $0x1000, %eax
        addl    $8, %edi
        loop    1b

        /*
         * 2048 PDEs of 2 MiB: P|RW|US|PS = 0x87. The top GiB (MMIO: local APIC, I/O APIC) is also
         * PCD|PWT (0x18), uncached as device memory must be on a real processor.
         */
        movl    $PD_ADDR, %edi
        xorl    %ebx, %ebx              /* index */
2:      movl    %ebx, %eax
        shll    $21, %eax
        orl     $0x87, %eax
        cmpl    $1536, %ebx
        jb      3f
        orl     $0x18, %eax
3:      movl    %eax, (%edi)
        movl    $0, 4(%edi)
        addl    $8, %edi
        incl    %ebx
        cmpl    $2048, %ebx
        jb      2b

        movl    $PML4_ADDR, %eax
        movl    %eax, %cr3
        movl    $0x20, %eax             /* CR4.PAE */
        movl    %eax, %cr4
        movl    $0xc0000080, %ecx       /* IA32_EFER.LME */
        rdmsr
        orl     $0x100, %eax
        wrmsr
        movl    $0x80010031, %eax       /* PG|WP|NE|ET|PE */
        movl    %eax, %cr0
        ljmpl   $SEL_KCODE, $start64

        .code64
start64:
        movl    $SEL_KDATA, %eax
        movl    %eax, %ds
        movl    %eax, %es
        movl    %eax, %ss
        xorl    %eax, %eax
        movl    %eax, %fs
        movl    %eax, %gs
        movq    $KSTACK_TOP, %rsp

        /* Clear .bss (the image on the floppy stops at the end of .data). */
        movq    $__bss_start, %rdi
        movq    $__bss_end, %rcx
        subq    %rdi, %rcx
        xorl    %eax, %eax
        rep stosb

        call    kmain
4:      cli
        hlt
        jmp     4b

/*
 * The GDT. Ring n (1..3) has a 64-bit code segment at 0x08 + n*0x10 and a data segment just after it,
 * so that the CPL trampoline (ops.S) can compute its selectors. Accessed bits are preset so that the
 * processor never writes the table and the access rights reported by getState are stable.
 * The TSS descriptor (0x48, 16 bytes) is filled in by kmain().
 */
        .balign 16
        .globl gdt
gdt:
        .quad   0                       /* 0x00 null */
        .quad   0x00af9b000000ffff      /* 0x08 ring-0 code, 64-bit */
        .quad   0x00cf93000000ffff      /* 0x10 ring-0 data, flat (also the 32-bit data segment) */
        .quad   0x00afbb000000ffff      /* 0x18 ring-1 code */
        .quad   0x00cfb3000000ffff      /* 0x20 ring-1 data */
        .quad   0x00afdb000000ffff      /* 0x28 ring-2 code */
        .quad   0x00cfd3000000ffff      /* 0x30 ring-2 data */
        .quad   0x00affb000000ffff      /* 0x38 ring-3 code */
        .quad   0x00cff3000000ffff      /* 0x40 ring-3 data */
        .quad   0, 0                    /* 0x48 64-bit TSS */
        .quad   0x00cf9b000000ffff      /* 0x58 32-bit code, for the switch above */
gdt_end:
        .globl gdt_ptr
gdt_ptr:
        .word   gdt_end - gdt - 1
        .quad   gdt
