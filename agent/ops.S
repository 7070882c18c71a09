/*
 * The instructions under test, one small stub each, run through guarded_call() (isr.S) at the CPL the
 * scenario chose. Operands come from g_op and results go back to it, so the same stub works at any
 * privilege level (every page is user-accessible, see entry.S).
 *
 * g_op layout (struct op in agent.h):
 *   0 a, 8 b, 16 c, 24 d           inputs
 *   32 r0, 40 r1, 48 r2, 56 r3     outputs
 *   64 flags_in                    RFLAGS loaded just before the instruction (status flags only)
 *   72 flags_out                   RFLAGS just after it: CF/ZF give VMsucceed/VMfail (SDM 31.2)
 *   80 desc[2]                     INVEPT/INVVPID descriptor (SDM 31.3, "INVEPT", "INVVPID")
 *
 * Each stub loads RFLAGS, executes the instruction, saves RFLAGS at once (before anything can change
 * it) and ends with OP_END.
 */
#include "layout.h"

        .code64
        .text

#define OP_A      g_op+0(%rip)
#define OP_B      g_op+8(%rip)
#define OP_R0     g_op+32(%rip)
#define OP_R1     g_op+40(%rip)
#define OP_R2     g_op+48(%rip)
#define OP_R3     g_op+56(%rip)
#define OP_FIN    g_op+64(%rip)
#define OP_FOUT   g_op+72(%rip)
#define OP_DESC   g_op+80(%rip)

        .macro LOADF
        pushq   OP_FIN
        popfq
        .endm
        .macro SAVEF
        pushfq
        popq    OP_FOUT
        .endm
/* Back to guarded_call: RET at CPL 0; from CPL 1-3 through the DPL-3 gate VEC_RING_RETURN. */
        .macro OP_END
        movw    %cs, %ax
        testb   $3, %al
        jnz     1f
        ret
1:      int     $VEC_RING_RETURN
        .endm

        .macro STUB name
        .globl  op_\name
op_\name:
        .endm

STUB vmxon
        LOADF
        vmxon   OP_A
        SAVEF
        OP_END
STUB vmptrld
        LOADF
        vmptrld OP_A
        SAVEF
        OP_END
STUB vmclear
        LOADF
        vmclear OP_A
        SAVEF
        OP_END
STUB vmptrst
        LOADF
        vmptrst OP_R0
        SAVEF
        OP_END
STUB vmread
        movq    OP_A, %rdx
        xorl    %eax, %eax
        LOADF
        vmread  %rdx, %rax
        SAVEF
        movq    %rax, OP_R0
        OP_END
STUB vmwrite
        movq    OP_A, %rdx
        movq    OP_B, %rax
        LOADF
        vmwrite %rax, %rdx
        SAVEF
        OP_END
/* VMLAUNCH/VMRESUME at CPL > 0 (they #GP there, SDM 31.3). At CPL 0 the agent uses vmx_enter below. */
STUB vmlaunch
        LOADF
        vmlaunch
        SAVEF
        OP_END
STUB vmresume
        LOADF
        vmresume
        SAVEF
        OP_END
STUB vmxoff
        LOADF
        vmxoff
        SAVEF
        OP_END
STUB vmcall
        LOADF
        vmcall
        SAVEF
        OP_END
STUB invept
        movq    OP_A, %rax
        LOADF
        invept  OP_DESC, %rax
        SAVEF
        OP_END
STUB invvpid
        movq    OP_A, %rax
        LOADF
        invvpid OP_DESC, %rax
        SAVEF
        OP_END
STUB cpuid
        movl    OP_A, %eax
        movl    OP_B, %ecx
        cpuid
        movq    %rax, OP_R0
        movq    %rbx, OP_R1
        movq    %rcx, OP_R2
        movq    %rdx, OP_R3
        OP_END
STUB rdmsr
        movl    OP_A, %ecx
        rdmsr
        movl    %eax, OP_R0
        movl    %edx, g_op+36(%rip)
        OP_END
STUB wrmsr
        movl    OP_A, %ecx
        movl    OP_B, %eax
        movl    g_op+12(%rip), %edx
        wrmsr
        OP_END
STUB movcr0
        movq    OP_A, %rax
        movq    %rax, %cr0
        OP_END
STUB movcr3
        movq    OP_A, %rax
        movq    %rax, %cr3
        OP_END
STUB movcr4
        movq    OP_A, %rax
        movq    %rax, %cr4
        OP_END
STUB movcr2
        movq    OP_A, %rax
        movq    %rax, %cr2
        OP_END
STUB movcr8
        movq    OP_A, %rax
        movq    %rax, %cr8
        OP_END
STUB movdr
        /* a = DR number, b = value */
        movq    OP_B, %rax
        movl    OP_A, %ecx
        cmpl    $0, %ecx
        jne     1f
        movq    %rax, %db0
        jmp     9f
1:      cmpl    $1, %ecx
        jne     2f
        movq    %rax, %db1
        jmp     9f
2:      cmpl    $2, %ecx
        jne     3f
        movq    %rax, %db2
        jmp     9f
3:      cmpl    $3, %ecx
        jne     6f
        movq    %rax, %db3
        jmp     9f
6:      cmpl    $6, %ecx
        jne     7f
        movq    %rax, %db6
        jmp     9f
7:      movq    %rax, %db7
9:      OP_END
STUB sti_window
        /* Let pending local-APIC interrupts in for a moment (drain at reset). */
        sti
        nop
        nop
        nop
        cli
        OP_END

/*
 * VM entry at CPL 0, KVM-style: HOST_RSP is written with the RSP the entry happens on, HOST_RIP (written
 * by the caller, kernel.c) points to vmx_exit_stub, and the guest GPRs come from g_regs. VM entry loads
 * RSP/RIP/RFLAGS from the guest-state area but takes every other GPR as it is (SDM 27.3.2 "Loading
 * Guest State" loads no GPR besides those), and a VM exit leaves them with the guest's values (SDM 28.5
 * "Loading Host State" loads only RSP, RIP, RFLAGS), so the exit stub stores them back to g_regs.
 *
 * Returns (through guarded_return) 0 when VMLAUNCH/VMRESUME fell through with VMfail (flags in
 * g_op.flags_out), 1 after a VM exit. g_resume selects VMRESUME.
 */
        .globl  vmx_enter
vmx_enter:
        cmpl    $0, g_subst_host(%rip)  /* only with a current VMCS, see enter_guest() */
        je      1f
        movl    $0x6c14, %edx           /* HOST_RSP */
        vmwrite %rsp, %rdx
1:      movw    %ss, g_ss_selector(%rip)   /* for the MOV SS below; touches no GPR */
        cmpl    $0, g_resume(%rip)
        jne     2f
        call    load_guest_gprs
        cmpl    $0, g_after_movss(%rip)
        je      11f
        /* The scenario asked for VMLAUNCH right after MOV SS: events are blocked by MOV SS for it, and
           VM entry must fail with VM-instruction error 26 (SDM 27.1 "Basic VM-Entry Checks"). */
        movw    g_ss_selector(%rip), %ss
        vmlaunch
        jmp     3f
11:     vmlaunch
        jmp     3f
2:      call    load_guest_gprs
        cmpl    $0, g_after_movss(%rip)
        je      12f
        movw    g_ss_selector(%rip), %ss
        vmresume
        jmp     3f
12:     vmresume
3:      pushfq
        popq    OP_FOUT
        xorl    %eax, %eax
        jmp     guarded_return

        .data
        .globl  g_after_movss
g_after_movss:  .long 0
g_ss_selector:  .word 0
        .text

/* Called with the entry stack; returns with RSP as it was, so HOST_RSP (written above) stays right. */
load_guest_gprs:
        movq    g_regs+0(%rip), %rax
        movq    g_regs+8(%rip), %rcx
        movq    g_regs+16(%rip), %rdx
        movq    g_regs+24(%rip), %rbx
        movq    g_regs+40(%rip), %rbp
        movq    g_regs+48(%rip), %rsi
        movq    g_regs+56(%rip), %rdi
        movq    g_regs+64(%rip), %r8
        movq    g_regs+72(%rip), %r9
        movq    g_regs+80(%rip), %r10
        movq    g_regs+88(%rip), %r11
        movq    g_regs+96(%rip), %r12
        movq    g_regs+104(%rip), %r13
        movq    g_regs+112(%rip), %r14
        movq    g_regs+120(%rip), %r15
        ret

        .globl  vmx_exit_stub
        .balign 16
vmx_exit_stub:
        movq    %rax, g_regs+0(%rip)
        movq    %rcx, g_regs+8(%rip)
        movq    %rdx, g_regs+16(%rip)
        movq    %rbx, g_regs+24(%rip)
        movq    %rbp, g_regs+40(%rip)
        movq    %rsi, g_regs+48(%rip)
        movq    %rdi, g_regs+56(%rip)
        movq    %r8, g_regs+64(%rip)
        movq    %r9, g_regs+72(%rip)
        movq    %r10, g_regs+80(%rip)
        movq    %r11, g_regs+88(%rip)
        movq    %r12, g_regs+96(%rip)
        movq    %r13, g_regs+104(%rip)
        movq    %r14, g_regs+112(%rip)
        movq    %r15, g_regs+120(%rip)
        movl    $1, %eax
        jmp     guarded_return

/* Bulk zeroing for reset (vmx.c, zero_window); the caller has set CR4.OSXSAVE. Sets XCR0 for the
   duration and puts the earlier value back: a guest runs with the host's XCR0 (VM entry and VM exit do
   not load it), and its XSAVE/XSAVES/XGETBV see it, so reset must leave XCR0 as the firmware left it
   (1, x87 only: SDM Vol. 1, 13.3 "Enabling the XSAVE Feature Set and XSAVE-Enabled Features"). */
        .globl  zero_avx512
zero_avx512:
        xorl    %ecx, %ecx
        xgetbv                          /* EDX:EAX = XCR0 */
        pushq   %rdx
        pushq   %rax
        xorl    %edx, %edx
        movl    $0xe7, %eax             /* XCR0: x87 SSE AVX opmask ZMM_Hi256 Hi16_ZMM */
        xsetbv
        vpxord  %zmm0, %zmm0, %zmm0
1:      vmovdqa64 %zmm0, 0(%rdi)
        vmovdqa64 %zmm0, 64(%rdi)
        vmovdqa64 %zmm0, 128(%rdi)
        vmovdqa64 %zmm0, 192(%rdi)
        addq    $256, %rdi
        subq    $256, %rsi
        jnz     1b
        popq    %rax
        popq    %rdx
        xorl    %ecx, %ecx
        xsetbv                          /* the earlier XCR0 */
        ret

        .data
        .balign 16
        .globl  g_op, g_regs, g_resume, g_subst_host
g_op:       .fill 12, 8, 0
g_regs:     .fill 16, 8, 0              /* SDM GPR order: RAX RCX RDX RBX RSP RBP RSI RDI R8-R15 */
g_resume:   .long 0
g_subst_host: .long 0
