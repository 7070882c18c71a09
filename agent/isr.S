/*
 * Interrupt and exception entry, and guarded_call(): the agent's one way of running an instruction that
 * may fault, at any CPL.
 *
 * guarded_call(fn, cpl) saves the callee-saved registers and RSP, then calls fn at CPL 0, or enters it at
 * CPL 1-3 through IRETQ with a stack and selectors of that ring. fn ends with OP_END (ops.S): RET at
 * CPL 0, INT VEC_RING_RETURN otherwise. Every exception raised while a guarded call is active lands in
 * isr_common, which records vector, error code and RIP and unwinds to the saved RSP: the caller sees
 * a fault outcome instead of a dead agent. An exception outside a guarded call is an agent bug and is
 * reported as a panic.
 *
 * Vectors 32-255 are device interrupts (only the local APIC can raise any: both 8259s are masked); they
 * are acknowledged (EOI) and counted, which is how reset() drains interrupts a scenario left pending.
 */
#include "layout.h"

        .code64
        .text

/* Exceptions that push an error code (SDM Vol. 3A, Table 6-1 "Protected-Mode Exceptions and
   Interrupts"): 8, 10-14, 17, 21, 29, 30. The others get a dummy 0 so that every frame looks alike. */
        .macro EXC v
        .balign 16
exc_\v:
        .if !((\v == 8) || (\v == 10) || (\v == 11) || (\v == 12) || (\v == 13) || (\v == 14) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30))
        pushq   $0
        .endif
        pushq   $\v
        jmp     isr_common
        .endm

        .macro IRQ v
        .balign 16
irq_\v:
        pushq   $0
        pushq   $\v
        jmp     irq_common
        .endm

        .altmacro
        .set    i, 0
        .rept   32
        EXC     %i
        .set    i, i + 1
        .endr
        .rept   224
        IRQ     %i
        .set    i, i + 1
        .endr
        .noaltmacro

/* Table of the 256 entry points, read by idt_init() in kernel.c. */
        .section .rodata
        .balign 8
        .globl  isr_table
isr_table:
        .macro  EXCREF n
        .quad   exc_\n
        .endm
        .macro  IRQREF n
        .quad   irq_\n
        .endm
        .altmacro
        .set    i, 0
        .rept   32
        EXCREF  %i
        .set    i, i + 1
        .endr
        .rept   224
        IRQREF  %i
        .set    i, i + 1
        .endr
        .noaltmacro
        .text

/*
 * Frame on entry: [rsp] vector, [rsp+8] error code, [rsp+16] RIP, CS, RFLAGS, RSP, SS.
 */
isr_common:
        cmpq    $2, (%rsp)              /* NMI: never a fault of the instruction under test */
        je      nmi_entry
        cmpl    $0, g_catch_active(%rip)
        je      isr_panic
        movq    (%rsp), %rax
        movq    %rax, g_fault_vector(%rip)
        movq    8(%rsp), %rax
        movq    %rax, g_fault_error(%rip)
        movq    16(%rsp), %rax
        movq    %rax, g_fault_rip(%rip)
        xorl    %eax, %eax
        jmp     guarded_return

isr_panic:
        /* Save all GPRs below the hardware frame and hand the lot to C, which reports and halts. */
        pushq   %r15
        pushq   %r14
        pushq   %r13
        pushq   %r12
        pushq   %r11
        pushq   %r10
        pushq   %r9
        pushq   %r8
        pushq   %rdi
        pushq   %rsi
        pushq   %rbp
        pushq   %rbx
        pushq   %rdx
        pushq   %rcx
        pushq   %rax
        movq    %rsp, %rdi
        andq    $-16, %rsp
        call    agent_panic             /* does not return */
1:      cli
        hlt
        jmp     1b

/*
 * NMI: counted and, when the agent asked for it (events.c), left unacknowledged: returning with RET
 * instead of IRETQ keeps NMIs blocked (SDM Vol. 3A, 6.7.1 "Handling Multiple NMIs"), so that a second
 * NMI stays pending until VM entry. Otherwise return with IRETQ as usual.
 */
nmi_entry:
        addq    $16, %rsp               /* vector and dummy error code */
        pushq   %rax
        incq    g_nmi_count(%rip)
        cmpl    $0, g_nmi_keep_blocked(%rip)
        jne     1f
        popq    %rax
        iretq
1:      /* Unwind the frame by hand: RIP, CS, RFLAGS, RSP, SS below the saved RAX. CPL 0 only. */
        movl    $0, g_nmi_keep_blocked(%rip)
        popq    %rax
        pushq   %rbx
        movq    8(%rsp), %rbx           /* RIP */
        movq    %rbx, g_nmi_ret_rip(%rip)
        movq    24(%rsp), %rbx          /* RFLAGS */
        movq    %rbx, g_nmi_ret_rflags(%rip)
        movq    32(%rsp), %rbx          /* RSP */
        movq    %rbx, g_nmi_ret_rsp(%rip)
        popq    %rbx
        movq    g_nmi_ret_rsp(%rip), %rsp
        pushq   g_nmi_ret_rflags(%rip)
        popfq
        jmp     *g_nmi_ret_rip(%rip)

irq_common:
        cmpq    $VEC_RING_RETURN, (%rsp)
        jne     1f
        testq   $3, 24(%rsp)            /* CS of the interrupted code: came from CPL 1-3? */
        jz      1f
        cmpl    $0, g_catch_active(%rip)
        je      1f
        xorl    %eax, %eax              /* a ring-n stub finished normally */
        jmp     guarded_return
1:      pushq   %rax
        pushq   %rcx
        movq    16(%rsp), %rax          /* vector */
        leaq    g_irq_count(%rip), %rcx
        incl    (%rcx, %rax, 4)
        movl    %eax, g_irq_last(%rip)
        movl    $LAPIC_BASE, %ecx       /* zero-extended: 0xfee00000 does not fit a signed disp32 */
        movl    $0, 0xb0(%rcx)          /* EOI */
        popq    %rcx
        popq    %rax
        addq    $16, %rsp
        iretq

/*
 * u64 guarded_call(u64 (*fn)(void), int cpl)
 */
        .globl  guarded_call
guarded_call:
        pushq   %rbx
        pushq   %rbp
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        movq    %rsp, g_catch_rsp(%rip)
        movl    $1, g_catch_active(%rip)
        testl   %esi, %esi
        jnz     1f
        call    *%rdi
        jmp     guarded_return
1:      /* IRETQ frame for ring n: SS, RSP, RFLAGS (IF=0), CS, RIP. */
        movl    %esi, %eax
        shll    $4, %eax
        leal    SEL_KCODE(%rax), %edx
        orl     %esi, %edx              /* code selector, RPL = n */
        leal    8(%rdx), %ecx           /* data selector, RPL = n */
        movl    %esi, %ebx
        shll    $14, %ebx
        addl    $RING_STACK_BASE, %ebx  /* ring stack top */
        pushq   %rcx
        pushq   %rbx
        pushq   $2
        pushq   %rdx
        pushq   %rdi
        iretq

/* Shared exit of guarded_call, reached by RET from fn, from a fault, from INT VEC_RING_RETURN, or from a
   VM exit (ops.S). RAX holds the result. Selectors are reloaded because a return from an outer ring, an
   interrupt from one, or a VM exit may have changed them. */
        .globl  guarded_return
guarded_return:
        movl    $0, g_catch_active(%rip)
        movq    g_catch_rsp(%rip), %rsp
        movl    $SEL_KDATA, %ecx
        movw    %cx, %ss
        movw    %cx, %ds
        movw    %cx, %es
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbp
        popq    %rbx
        ret

        .data
        .balign 8
        .globl  g_catch_active, g_catch_rsp, g_fault_vector, g_fault_error, g_fault_rip
        .globl  g_irq_count, g_irq_last, g_nmi_count, g_nmi_keep_blocked
g_catch_active:     .long 0
g_irq_last:         .long 0
g_nmi_keep_blocked: .long 0
                    .long 0
g_catch_rsp:        .quad 0
g_fault_vector:     .quad -1
g_fault_error:      .quad 0
g_fault_rip:        .quad 0
g_nmi_count:        .quad 0
g_nmi_ret_rip:      .quad 0
g_nmi_ret_rflags:   .quad 0
g_nmi_ret_rsp:      .quad 0
g_irq_count:        .fill 256, 4, 0
