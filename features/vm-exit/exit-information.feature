@area:vm-exit
Feature: VM-exit information for instruction exits: exit qualification, instruction length, instruction information, guest-linear address
  Besides the basic exit reason, a VM exit caused by an instruction records (28.2.1, 28.2.5):
  - the exit qualification, whose layout depends on the exit reason. Control-register accesses: bits 3:0 the
    control register (0 for CLTS and LMSW), bits 5:4 the access type (0 MOV to CR, 1 MOV from CR, 2 CLTS,
    3 LMSW), bit 6 the LMSW operand type (0 register, 1 memory), bits 11:8 the general-purpose register of a
    MOV CR (0 RAX, 1 RCX, 2 RDX, 3 RBX, 4 RSP, 5 RBP, 6 RSI, 7 RDI, 8–15 R8–R15), bits 31:16 the LMSW source
    data; the unused fields are 0. MOV DR: bits 2:0 the debug register, bit 4 the direction (0 to DR, 1 from
    DR), bits 11:8 the register. I/O instructions: bits 2:0 the access size minus 1 (0, 1 or 3), bit 3 the
    direction (0 OUT, 1 IN), bit 4 string instruction, bit 5 REP prefix, bit 6 operand encoding (0 DX,
    1 immediate), bits 31:16 the port. INVLPG: the linear-address operand. LGDT, LIDT, LLDT, LTR, SGDT, SIDT,
    SLDT, STR, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMXON, INVEPT, INVVPID, INVPCID: the instruction's
    displacement, sign-extended (0 without one; for RIP-relative addressing, the displacement plus the RIP of
    the next instruction);
  - the VM-exit instruction length: the instruction's real encoded length in bytes, prefixes included;
  - the VM-exit instruction information for the instructions whose table 28.2.5 gives: scaling (bits 1:0:
    0 none, 1 ×2, 2 ×4, 3 ×8), address size (9:7: 0 16-bit, 1 32-bit, 2 64-bit), segment register (17:15:
    0 ES, 1 CS, 2 SS, 3 DS, 4 FS, 5 GS), index register (21:18) and "index invalid" (22), base register (26:23)
    and "base invalid" (27), plus instruction-specific fields named in each scenario; fields the SDM calls
    undefined for the given operands are not checked;
  - the guest-linear address for INS and OUTS (the linear address of the memory operand) and for LMSW with
    a memory operand.

  Sources: SDM Vol. 3C 28.2.1 "Basic VM-Exit Information" (tables "Exit Qualification for Control-Register
  Accesses", "Exit Qualification for MOV DR", "Exit Qualification for I/O Instructions"; guest-linear
  address); 28.2.5 "Information for VM Exits Due to Instruction Execution" (VM-exit instruction length; tables
  of the VM-exit instruction-information field for INS and OUTS; INVEPT, INVPCID, INVVPID; LIDT, LGDT, SIDT,
  SGDT; LLDT, LTR, SLDT, STR; RDRAND, RDSEED, TPAUSE, UMWAIT; VMCLEAR, VMPTRLD, VMPTRST, VMXON, XRSTORS,
  XSAVES; VMREAD, VMWRITE); Appendix C "VMX Basic Exit Reasons".

  Background:
    Given a VMCS set up for a 64-bit guest

  @sdm:28.2.1 @exit-reason:28 @control:cr3-load-exiting @control:cr3-store-exiting @control:cr8-load-exiting @control:cr8-store-exiting
  @requires:cr3-load-exiting @requires:cr3-store-exiting @requires:cr8-load-exiting @requires:cr8-store-exiting
  Scenario Outline: Exit qualification of a control-register access: <instruction>
    The VMM intercepts every kind of access at once: CR0.TS and CR4.VMXE are host-owned with read shadows
    TS = 1 and VMXE = 0, so MOV to CR0 with TS = 0, CLTS, LMSW with TS = 0 and MOV to CR4 with VMXE = 1 all
    exit; CR3 and CR8 accesses exit under their controls (CR3-target count 0).

    Given the VMM has written 0x8 to "CR0 guest/host mask"
    And the VMM has written 0x8 to "CR0 read shadow"
    And the VMM has written 0x2000 to "CR4 guest/host mask"
    And the VMM has written 0x0 to "CR4 read shadow"
    And the "CR3-load exiting" control is set
    And the VMM has written 0 to "CR3-target count"
    And the "CR3-store exiting" control is set
    And the "CR8-load exiting" control is set
    And the "CR8-store exiting" control is set
    And guest memory at 0x501000 holds the word 0x1
    And the guest code is:
      """
      mov eax, 0x80010031
      mov ebx, eax
      mov edx, 0x2020
      mov esi, 0x300000
      mov ecx, 5
      mov edi, 0x501000
      <code>
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 28 ("Control-register accesses")
    And "Guest RIP" reads 0x40001b
    And "VM-exit instruction length" reads <length>
    And the bit fields of "Exit qualification" read:
      | bits  | value      | meaning                                   |
      | 3:0   | <cr>       | control register                          |
      | 5:4   | <type>     | access type                               |
      | 6     | <lmsw mem> | LMSW operand type                         |
      | 7     | 0          | reserved                                  |
      | 11:8  | <gpr>      | general-purpose register                  |
      | 15:12 | 0          | reserved                                  |
      | 31:16 | <data>     | LMSW source data                          |
      | 63:32 | 0          | reserved                                  |

    Examples:
      | instruction          | code                     | length | cr | type | lmsw mem | gpr | data |
      | MOV to CR0 from RBX  | mov cr0, rbx             | 3      | 0  | 0    | 0        | 3   | 0    |
      | MOV to CR3 from RSI  | mov cr3, rsi             | 3      | 3  | 0    | 0        | 6   | 0    |
      | MOV from CR3 to R9   | mov r9, cr3              | 4      | 3  | 1    | 0        | 9   | 0    |
      | MOV to CR4 from RDX  | mov cr4, rdx             | 3      | 4  | 0    | 0        | 2   | 0    |
      | MOV to CR8 from RCX  | mov cr8, rcx             | 4      | 8  | 0    | 0        | 1   | 0    |
      | MOV from CR8 to R15  | mov r15, cr8             | 4      | 8  | 1    | 0        | 15  | 0    |
      | CLTS                 | clts                     | 2      | 0  | 2    | 0        | 0   | 0    |
      | LMSW from AX         | lmsw ax                  | 4      | 0  | 3    | 0        | 0   | 0x31 |
      | LMSW from memory     | lmsw word ptr [rdi]      | 3      | 0  | 3    | 1        | 0   | 0x1  |

  @sdm:28.2.1 @exit-reason:28
  Scenario: LMSW with a memory operand also reports the operand's guest-linear address
    Given the VMM has written 0x8 to "CR0 guest/host mask"
    And the VMM has written 0x8 to "CR0 read shadow"
    And guest memory at 0x501234 holds the word 0x1
    And the guest code is:
      """
      mov ecx, 0x501000
      lmsw word ptr [rcx + 0x234]
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 28 ("Control-register accesses")
    And "Guest-linear address" reads 0x501234
    And "Exit qualification" reads 0x10070

  @sdm:28.2.1 @exit-reason:29 @control:mov-dr-exiting @requires:mov-dr-exiting
  Scenario Outline: Exit qualification of MOV DR: <instruction>
    Given the "MOV-DR exiting" control is set
    And the guest code is:
      """
      <code>
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 29 ("MOV DR")
    And "VM-exit instruction length" reads <length>
    And the bit fields of "Exit qualification" read:
      | bits  | value       | meaning                     |
      | 2:0   | <dr>        | debug register              |
      | 3     | 0           | reserved                    |
      | 4     | <direction> | 0 MOV to DR, 1 MOV from DR  |
      | 7:5   | 0           | reserved                    |
      | 11:8  | <gpr>       | general-purpose register    |
      | 63:12 | 0           | reserved                    |

    Examples:
      | instruction        | code         | length | dr | direction | gpr |
      | MOV to DR7 from RAX | mov dr7, rax | 3      | 7  | 0         | 0   |
      | MOV from DR6 to RBX | mov rbx, dr6 | 3      | 6  | 1         | 3   |
      | MOV to DR0 from R12 | mov dr0, r12 | 4      | 0  | 0         | 12  |

  @sdm:28.2.1 @exit-reason:30 @control:unconditional-i-o-exiting @requires:unconditional-i-o-exiting @requires:no-use-i-o-bitmaps
  Scenario Outline: Exit qualification of an I/O instruction: <instruction>
    Given the "Use I/O bitmaps" control is clear
    And the "Unconditional I/O exiting" control is set
    And the guest code is:
      """
      mov ecx, 1
      mov edi, 0x501000
      mov esi, 0x502000
      mov edx, <dx>
      <code>
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 30 ("I/O instruction")
    And "Guest RIP" reads 0x400014
    And "VM-exit instruction length" reads <length>
    And the bit fields of "Exit qualification" read:
      | bits  | value     | meaning                             |
      | 2:0   | <size-1>  | size of access minus 1              |
      | 3     | <in>      | direction: 0 OUT, 1 IN              |
      | 4     | <string>  | string instruction                  |
      | 5     | <rep>     | REP prefixed                        |
      | 6     | <imm>     | operand encoding: 0 DX, 1 immediate |
      | 15:7  | 0         | reserved                            |
      | 31:16 | <port>    | port number                         |
      | 63:32 | 0         | reserved                            |

    Examples:
      | instruction     | code         | dx     | length | size-1 | in | string | rep | imm | port   |
      | OUT 80H, AL     | out 0x80, al | 0x3f8  | 2      | 0      | 0  | 0      | 0   | 1   | 0x80   |
      | IN AX, DX       | in ax, dx    | 0x3f8  | 2      | 1      | 1  | 0      | 0   | 0   | 0x3f8  |
      | INSB            | insb         | 0x1f0  | 1      | 0      | 1  | 1      | 0   | 0   | 0x1f0  |
      | REP OUTSW       | rep outsw    | 0x1f0  | 3      | 1      | 0  | 1      | 1   | 0   | 0x1f0  |
      | REP INSD        | rep insd     | 0xffff | 2      | 3      | 1  | 1      | 1   | 0   | 0xffff |

  @sdm:28.2.1 @exit-reason:30 @control:unconditional-i-o-exiting @requires:unconditional-i-o-exiting @requires:no-use-i-o-bitmaps
  Scenario Outline: INS and OUTS report the guest-linear address of their memory operand: <instruction>
    With flat 64-bit segments the linear address is RDI for INS (always ES) and RSI for OUTS.

    Given the "Use I/O bitmaps" control is clear
    And the "Unconditional I/O exiting" control is set
    And the guest code is:
      """
      mov ecx, 1
      mov edi, 0x501000
      mov esi, 0x502000
      mov edx, 0x1f0
      <code>
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 30 ("I/O instruction")
    And "Guest-linear address" reads <linear>

    Examples:
      | instruction | code      | linear   |
      | INSB        | insb      | 0x501000 |
      | REP OUTSW   | rep outsw | 0x502000 |

  @sdm:28.2.5 @exit-reason:30 @control:unconditional-i-o-exiting @requires:unconditional-i-o-exiting @requires:no-use-i-o-bitmaps
  Scenario Outline: On processors with IA32_VMX_BASIC[54] = 1, INS and OUTS report instruction information: <instruction>
    Bits 9:7 are the address size; bits 17:15 the segment register, defined for OUTS only (INS always uses
    ES): DS unless a prefix overrides it.

    Given the processor reports VM-exit instruction information for INS and OUTS
    And the "Use I/O bitmaps" control is clear
    And the "Unconditional I/O exiting" control is set
    And the guest code is:
      """
      mov ecx, 1
      mov edi, 0x501000
      mov esi, 0x502000
      mov edx, 0x1f0
      <code>
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 30 ("I/O instruction")
    And the bit fields of "VM-exit instruction information" read:
      | bits  | value     | meaning                  |
      | 9:7   | 2         | address size: 64-bit     |
      | 17:15 | <segment> | segment register         |

    Examples:
      | instruction      | code                           | segment |
      | INSB             | insb                           | -       |
      | REP OUTSW        | rep outsw                      | 3       |
      | REP OUTSB FS:    | rep outs dx, byte ptr fs:[rsi] | 4       |

  @sdm:28.2.5 @exit-reason:10 @exit-reason:18
  Scenario Outline: The VM-exit instruction length is the real encoded length, prefixes included: <instruction>
    Given the guest code is:
      """
      <code>
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason <reason> ("<name>")
    And "VM-exit instruction length" reads <length>

    Examples:
      | instruction                                     | code                                                                                          | length | reason | name   |
      | CPUID with two ignored segment prefixes         | db 0x2e, 0x3e, 0x0f, 0xa2                                                                     | 4      | 10     | CPUID  |
      | VMCALL with four segment prefixes               | db 0x26, 0x2e, 0x36, 0x3e, 0x0f, 0x01, 0xc1                                                   | 7      | 18     | VMCALL |
      | CPUID with 13 prefixes: the 15-byte maximum     | db 0x26, 0x2e, 0x36, 0x3e, 0x26, 0x2e, 0x36, 0x3e, 0x26, 0x2e, 0x36, 0x3e, 0x26, 0x0f, 0xa2   | 15     | 10     | CPUID  |

  @sdm:28.2.1 @exit-reason:46 @exit-reason:47 @control:descriptor-table-exiting @requires:descriptor-table-exiting
  Scenario Outline: The exit qualification of a descriptor-table instruction is its displacement: <instruction>
    Given the "Descriptor-table exiting" control is set
    And the guest code is:
      """
      mov ebx, 0x501000
      <code>
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason <reason> ("<name>")
    And "Exit qualification" reads <qualification>

    Examples:
      | instruction                  | code                | qualification      | reason | name                   |
      | SGDT [RBX+40H]               | sgdt [rbx+0x40]     | 0x40               | 46     | Access to GDTR or IDTR |
      | LIDT [RBX-8]                 | lidt [rbx-8]        | 0xfffffffffffffff8 | 46     | Access to GDTR or IDTR |
      | SIDT [RBX+12345678H]         | sidt [rbx+0x12345678] | 0x12345678       | 46     | Access to GDTR or IDTR |
      | SLDT AX (register operand)   | sldt ax             | 0                  | 47     | Access to LDTR or TR   |
      | STR [RBX+10H]                | str word ptr [rbx+0x10] | 0x10           | 47     | Access to LDTR or TR   |

  @sdm:28.2.1 @exit-reason:19 @exit-reason:21 @exit-reason:22
  Scenario Outline: The exit qualification of a VMX instruction is its displacement, or the target of a RIP-relative operand: <instruction>
    Given the guest code is:
      """
      mov ebx, 0x501000
      <code>
      nop
      nop
      target:
      dq 0
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason <reason> ("<name>")
    And "Exit qualification" reads <qualification>

    Examples:
      | instruction                   | code                  | qualification | reason | name    |
      | VMCLEAR [RBX+100H]            | vmclear [rbx+0x100]   | 0x100         | 19     | VMCLEAR |
      | VMPTRLD [RBX]                 | vmptrld [rbx]         | 0             | 21     | VMPTRLD |
      | VMPTRST [RBX-10H]             | vmptrst [rbx-0x10]    | 0xfffffffffffffff0 | 22 | VMPTRST |
      | VMPTRLD [RIP+disp] (RIP-relative) | vmptrld [target]  | 0x40000e      | 21     | VMPTRLD |

  @sdm:28.2.5 @exit-reason:46 @control:descriptor-table-exiting @requires:descriptor-table-exiting
  Scenario Outline: VM-exit instruction information for LGDT, LIDT, SGDT and SIDT: <instruction>
    Bits 29:28 are the instruction identity: 0 SGDT, 1 SIDT, 2 LGDT, 3 LIDT. Scaling and the index register
    are undefined when "index invalid" is 1, the base register when "base invalid" is 1: a value "-" leaves
    those bits unchecked.

    Given the "Descriptor-table exiting" control is set
    And the guest code is:
      """
      <code>
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 46 ("Access to GDTR or IDTR")
    And the bit fields of "VM-exit instruction information" read:
      | bits  | value           | meaning               |
      | 9:7   | 2               | address size: 64-bit  |
      | 17:15 | <segment>       | segment register      |
      | 22    | <index invalid> | index invalid         |
      | 27    | <base invalid>  | base invalid          |
      | 29:28 | <identity>      | instruction identity  |
      | 1:0   | <scaling>       | scaling               |
      | 21:18 | <index>         | index register        |
      | 26:23 | <base>          | base register         |

    Examples:
      | instruction                 | code                  | segment | index invalid | base invalid | identity | scaling | index | base |
      | LGDT [RBX+RCX*4+10H]        | lgdt [rbx+rcx*4+0x10] | 3       | 0             | 0            | 2        | 2       | 1     | 3    |
      | SIDT [RAX]                  | sidt [rax]            | 3       | 1             | 0            | 1        | -       | -     | 0    |
      | LIDT [RSP+8] (SS default)   | lidt [rsp+8]          | 2       | 1             | 0            | 3        | -       | -     | 4    |
      | SGDT FS:[RBX]               | sgdt fs:[rbx]         | 4       | 1             | 0            | 0        | -       | -     | 3    |
      | SGDT [501000H] (no registers) | sgdt [0x501000]     | 3       | 1             | 1            | 0        | -       | -     | -    |

  @sdm:28.2.5 @exit-reason:47 @control:descriptor-table-exiting @requires:descriptor-table-exiting
  Scenario Outline: VM-exit instruction information for LLDT, LTR, SLDT and STR: <instruction>
    Bit 10 says whether the operand is a register (1) or memory (0); bits 6:3 name the register; bits 29:28
    are the instruction identity: 0 SLDT, 1 STR, 2 LLDT, 3 LTR.

    Given the "Descriptor-table exiting" control is set
    And the guest code is:
      """
      mov ebx, 0x501000
      <code>
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 47 ("Access to LDTR or TR")
    And the bit fields of "VM-exit instruction information" read:
      | bits  | value      | meaning                       |
      | 10    | <reg>      | 1 register operand, 0 memory  |
      | 29:28 | <identity> | instruction identity          |
      | 6:3   | <register> | reg1: the register operand    |
      | 26:23 | <base>     | base register                 |

    Examples:
      | instruction         | code                    | reg | identity | register | base |
      | SLDT AX             | sldt ax                 | 1   | 0        | 0        | -    |
      | STR R10W            | str r10w                | 1   | 1        | 10       | -    |
      | LLDT [RBX+8]        | lldt word ptr [rbx+8]   | 0   | 2        | -        | 3    |
      | LTR CX              | ltr cx                  | 1   | 3        | 1        | -    |

  @sdm:28.2.5 @exit-reason:23 @exit-reason:25 @control:vmcs-shadowing @requires:no-vmcs-shadowing
  Scenario Outline: VM-exit instruction information for VMREAD and VMWRITE: <instruction>
    Bits 31:28 (reg2) name the register holding the field encoding; for a register operand bits 6:3 (reg1)
    name the other register (VMREAD's destination, VMWRITE's source) and bit 10 is 1.

    Given the "VMCS shadowing" control is clear
    And the guest code is:
      """
      mov edi, 0x501000
      mov esi, 0x502000
      <code>
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason <reason> ("<name>")
    And "Exit qualification" reads <displacement>
    And the bit fields of "VM-exit instruction information" read:
      | bits  | value  | meaning                           |
      | 10    | <reg>  | 1 register operand, 0 memory      |
      | 31:28 | <reg2>    | register holding the field encoding |
      | 6:3   | <reg1>    | reg1: the other register operand    |
      | 1:0   | <scaling> | scaling                             |
      | 21:18 | <index>   | index register                      |
      | 26:23 | <base>    | base register                       |

    Examples:
      | instruction              | code                      | reason | name    | displacement | reg | reg2 | reg1 | scaling | index | base |
      | VMREAD RAX, RBX          | vmread rax, rbx           | 23     | VMREAD  | 0            | 1   | 3    | 0    | -       | -     | -    |
      | VMWRITE RCX, [RSI+8]     | vmwrite rcx, [rsi+8]      | 25     | VMWRITE | 8            | 0   | 1    | -    | -       | -     | 6    |
      | VMREAD [RDI+RDX*8], R8   | vmread [rdi+rdx*8], r8    | 23     | VMREAD  | 0            | 0   | 8    | -    | 3       | 2     | 7    |

  @sdm:28.2.5 @exit-reason:19 @exit-reason:21 @exit-reason:27
  Scenario Outline: VM-exit instruction information for VMCLEAR, VMPTRLD, VMPTRST and VMXON: <instruction>
    Given the guest code is:
      """
      mov eax, 0x501000
      mov ebx, 8
      <code>
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason <reason> ("<name>")
    And the bit fields of "VM-exit instruction information" read:
      | bits  | value     | meaning              |
      | 9:7   | 2         | address size: 64-bit |
      | 17:15 | <segment> | segment register     |
      | 1:0   | <scaling> | scaling              |
      | 21:18 | <index>   | index register       |
      | 26:23 | <base>    | base register        |

    Examples:
      | instruction          | code                 | reason | name    | segment | scaling | index | base |
      | VMPTRLD [RAX+RBX*2]  | vmptrld [rax+rbx*2]  | 21     | VMPTRLD | 3       | 1       | 3     | 0    |
      | VMCLEAR [RSP]        | vmclear [rsp]        | 19     | VMCLEAR | 2       | -       | -     | 4    |
      | VMXON [501000H]      | vmxon [0x501000]     | 27     | VMXON   | 3       | -       | -     | -    |

  @sdm:28.2.5 @exit-reason:58 @control:enable-invpcid @control:invlpg-exiting @requires:enable-invpcid @requires:invlpg-exiting
  Scenario: VM-exit instruction information for INVPCID names the register holding the type in bits 31:28
    Given the "Enable INVPCID" control is set
    And the "INVLPG exiting" control is set
    And the guest code is:
      """
      mov eax, 0x501000
      mov edx, 2
      invpcid rdx, [rax+0x20]
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 58 ("INVPCID")
    And "Exit qualification" reads 0x20
    And the bit fields of "VM-exit instruction information" read:
      | bits  | value | meaning                        |
      | 9:7   | 2     | address size: 64-bit           |
      | 17:15 | 3     | segment register: DS           |
      | 22    | 1     | index invalid                  |
      | 26:23 | 0     | base register: RAX             |
      | 27    | 0     | base valid                     |
      | 31:28 | 2     | reg2: RDX holds the type       |

  @sdm:28.2.5 @requires:primary-activate-secondary-controls
  Scenario Outline: VM-exit instruction information for RDRAND and RDSEED: <instruction>
    Bits 6:3 are the destination register, bits 12:11 the operand size (0 16-bit, 1 32-bit, 2 64-bit).

    Given the processor supports <feature>
    And the "<control>" control is set
    And the guest code is:
      """
      <code>
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason <reason> ("<feature>")
    And the bit fields of "VM-exit instruction information" read:
      | bits  | value      | meaning               |
      | 6:3   | <register> | destination register  |
      | 12:11 | <size>     | operand size          |

    @control:rdrand-exiting @exit-reason:57 @requires:rdrand-exiting
    Examples:
      | instruction | feature | control        | code       | reason | register | size |
      | RDRAND AX   | RDRAND  | RDRAND exiting | rdrand ax  | 57     | 0        | 0    |

    @control:rdseed-exiting @exit-reason:61 @requires:rdseed-exiting
    Examples:
      | instruction | feature | control        | code       | reason | register | size |
      | RDSEED R11  | RDSEED  | RDSEED exiting | rdseed r11 | 61     | 11       | 2    |
