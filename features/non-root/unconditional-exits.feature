@area:non-root
Feature: Instructions that cause VM exits unconditionally in VMX non-root operation
  CPUID, GETSEC, INVD and XSETBV, and the instructions VMX introduced (INVEPT, INVVPID, VMCALL, VMCLEAR,
  VMLAUNCH, VMPTRLD, VMPTRST, VMRESUME, VMXOFF, VMXON), cause a VM exit whenever the guest executes them:
  no VM-execution control can let them through. Each exit is "fault-like": the guest has not executed the
  instruction, so "Guest RIP" is the instruction's own address and the VMM skips it by adding the
  "VM-exit instruction length" (the instruction's real encoded length).

  What still wins over the exit (26.1.1): exceptions the instruction raises before its VM-exit check.
  INVD and XSETBV are privileged (#GP(0) at CPL > 0); XSETBV raises #UD when CR4.OSXSAVE = 0; GETSEC raises
  #UD when CR4.SMXE = 0 and otherwise exits "regardless of the value of CPL or RAX" (26.1.2, footnote to
  GETSEC). The VMX instructions check "in VMX non-root operation → VM exit" before their CPL check (31.3,
  each instruction's "Operation"), so guest software at CPL 3 reaches the VMM with them. A fault that wins is
  made visible by intercepting it in the exception bitmap: the exit then has basic exit reason 0 and the
  VM-exit interruption information names the exception.

  VMREAD and VMWRITE exit unless "VMCS shadowing" is 1; then the VMREAD/VMWRITE bitmaps decide, and the
  instructions that do not exit access the shadow VMCS named by the VMCS link pointer (26.1.3, 26.3, 25.10).
  ENCLS exits only under "enable ENCLS exiting" and the ENCLS-exiting bitmap, and only on a processor with
  SGX: its #UD checks come first.

  Sources: SDM Vol. 3C 26.1.1 "Relative Priority of Faults and VM Exits"; 26.1.2 "Instructions That Cause VM
  Exits Unconditionally"; 26.1.3 "Instructions That Cause VM Exits Conditionally" (ENCLS, VMREAD, VMWRITE);
  26.3 "Changes to Instruction Behavior in VMX Non-Root Operation" (VMREAD, VMWRITE); 25.6.3 "Exception
  Bitmap"; 25.6.15 "VMCS Shadowing Bitmap Addresses"; 25.6.16 "ENCLS-Exiting Bitmap"; 25.10 "VMCS Types:
  Ordinary and Shadow"; 28.2.1 "Basic VM-Exit Information"; 28.2.5 "Information for VM Exits Due to
  Instruction Execution"; 31.3 "VMX Instructions" (GETSEC: Vol. 2D 7.3 "GETSEC[CAPABILITIES]" notes);
  Appendix C "VMX Basic Exit Reasons".

  Background:
    Given a VMCS set up for a 64-bit guest

  @sdm:26.1.2 @sdm:28.2.5
  Scenario Outline: <instruction> in the guest always causes a VM exit with basic exit reason <reason>
    Given the guest code is:
      """
      <code>
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason <reason> ("<name>")
    And "Guest RIP" reads 0x400000
    And "VM-exit instruction length" reads <length>

    @exit-reason:10 @exit-reason:13 @exit-reason:18 @exit-reason:19 @exit-reason:20 @exit-reason:21
    @exit-reason:22 @exit-reason:24 @exit-reason:26 @exit-reason:27
    Examples: instructions every VMX processor has
      | instruction | code               | length | reason | name     |
      | CPUID       | cpuid              | 2      | 10     | CPUID    |
      | INVD        | invd               | 2      | 13     | INVD     |
      | VMCALL      | vmcall             | 3      | 18     | VMCALL   |
      | VMCLEAR     | vmclear [0x500000] | 9      | 19     | VMCLEAR  |
      | VMLAUNCH    | vmlaunch           | 3      | 20     | VMLAUNCH |
      | VMPTRLD     | vmptrld [0x500000] | 8      | 21     | VMPTRLD  |
      | VMPTRST     | vmptrst [0x500000] | 8      | 22     | VMPTRST  |
      | VMRESUME    | vmresume           | 3      | 24     | VMRESUME |
      | VMXOFF      | vmxoff             | 3      | 26     | VMXOFF   |
      | VMXON       | vmxon [0x500000]   | 9      | 27     | VMXON    |

    # INVEPT and INVVPID raise #UD on a processor that does not support them (31.3), before any VM exit.
    @exit-reason:50 @requires:invept @requires:enable-ept
    Examples: INVEPT, on a processor that supports it
      | instruction | code                   | length | reason | name   |
      | INVEPT      | invept rax, [0x500000] | 10     | 50     | INVEPT |

    @exit-reason:53 @requires:invvpid @requires:enable-vpid
    Examples: INVVPID, on a processor that supports it
      | instruction | code                    | length | reason | name    |
      | INVVPID     | invvpid rax, [0x500000] | 10     | 53     | INVVPID |

  @sdm:26.1.2 @sdm:31.3 @requires:cpl
  Scenario Outline: <instruction> at CPL 3 in the guest still causes a VM exit, not #GP
    In VMX non-root operation the VMX instructions check for non-root operation before they check the CPL,
    and CPUID is not privileged at all. The VMM, not the processor, must refuse a VMX instruction from
    guest CPL 3 (for example by injecting #GP).

    Given the guest starts at CPL 3
    And the exception bitmap intercepts #GP
    And the guest code is:
      """
      <code>
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason <reason> ("<name>")
    And "Guest RIP" reads 0x400000

    @exit-reason:10 @exit-reason:18 @exit-reason:19
    Examples:
      | instruction | code               | reason | name    |
      | CPUID       | cpuid              | 10     | CPUID   |
      | VMCALL      | vmcall             | 18     | VMCALL  |
      | VMCLEAR     | vmclear [0x500000] | 19     | VMCLEAR |

  @sdm:26.1.1 @exception:GP @exit-reason:0
  Scenario: INVD at CPL 3 raises #GP(0), which takes priority over its unconditional VM exit
    INVD is privileged. A fault based on privilege level has priority over a VM exit (26.1.1), so the
    guest gets #GP(0); with #GP intercepted that fault is what the VMM sees.

    Given the guest starts at CPL 3
    And the exception bitmap intercepts #GP
    And the guest code is:
      """
      invd
      """
    When the VMM launches the guest
    Then the guest exits because of a #GP(0) hardware exception
    And "Guest RIP" reads 0x400000

  @sdm:26.1.2 @exit-reason:55
  Scenario: XSETBV with CR4.OSXSAVE = 1 causes a VM exit with basic exit reason 55
    Given the processor supports XSAVE
    And the processor allows CR4.OSXSAVE to be 1 in VMX operation
    And guest CR4.OSXSAVE is set
    And the guest code is:
      """
      xor ecx, ecx
      mov eax, 1
      xor edx, edx
      xsetbv
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 55 ("XSETBV")
    And "Guest RIP" reads 0x400009
    And "VM-exit instruction length" reads 3
    And the guest's RCX is 0
    And the guest's RAX is 1

  @sdm:26.1.1 @exception:UD @exit-reason:0
  Scenario: XSETBV with CR4.OSXSAVE = 0 raises #UD, which takes priority over the VM exit
    Given guest CR4.OSXSAVE is clear
    And the exception bitmap intercepts #UD
    And the guest code is:
      """
      xor ecx, ecx
      mov eax, 1
      xor edx, edx
      xsetbv
      """
    When the VMM launches the guest
    Then the guest exits because of a #UD hardware exception
    And "Guest RIP" reads 0x400009

  @sdm:26.1.1 @exception:GP @exit-reason:0 @requires:cpl
  Scenario: XSETBV at CPL 3 raises #GP(0), which takes priority over the VM exit
    Given the processor supports XSAVE
    And the processor allows CR4.OSXSAVE to be 1 in VMX operation
    And guest CR4.OSXSAVE is set
    And the guest starts at CPL 3
    And the exception bitmap intercepts #GP
    And the guest code is:
      """
      xor ecx, ecx
      mov eax, 1
      xor edx, edx
      xsetbv
      """
    When the VMM launches the guest
    Then the guest exits because of a #GP(0) hardware exception
    And "Guest RIP" reads 0x400009

  @sdm:26.1.2 @exception:UD @exit-reason:0
  Scenario: GETSEC with CR4.SMXE = 0 raises #UD instead of causing a VM exit
    The footnote to GETSEC in 26.1.2: an execution of GETSEC causes #UD if CR4.SMXE = 0.

    Given guest CR4.SMXE is clear
    And the exception bitmap intercepts #UD
    And the guest code is:
      """
      xor eax, eax
      getsec
      """
    When the VMM launches the guest
    Then the guest exits because of a #UD hardware exception
    And "Guest RIP" reads 0x400002

  @sdm:26.1.2 @exit-reason:11
  Scenario: GETSEC with CR4.SMXE = 1 causes a VM exit, even for a leaf GETSEC does not define
    The footnote to GETSEC in 26.1.2: with CR4.SMXE = 1, GETSEC in VMX non-root operation causes a VM exit
    regardless of the value of CPL or RAX. RAX = 0xFF is no GETSEC leaf at all.

    Given the processor supports SMX
    And the processor allows CR4.SMXE to be 1 in VMX operation
    And guest CR4.SMXE is set
    And the guest code is:
      """
      mov eax, 0xff
      getsec
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 11 ("GETSEC")
    And "Guest RIP" reads 0x400005
    And "VM-exit instruction length" reads 2

  @sdm:26.1.3 @exit-reason:23 @exit-reason:25 @control:vmcs-shadowing @requires:no-vmcs-shadowing
  Scenario Outline: <instruction> in the guest causes a VM exit when "VMCS shadowing" is 0
    Given the "VMCS shadowing" control is clear
    And the guest code is:
      """
      mov ebx, 0x681e
      <code>
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason <reason> ("<name>")
    And "Guest RIP" reads 0x400005
    And "VM-exit instruction length" reads 3

    Examples:
      | instruction | code             | reason | name    |
      | VMREAD      | vmread rax, rbx  | 23     | VMREAD  |
      | VMWRITE     | vmwrite rbx, rax | 25     | VMWRITE |

  @sdm:26.3 @sdm:25.10 @control:vmcs-shadowing @requires:vmcs-shadowing
  Scenario: With "VMCS shadowing" and clear bitmaps, guest VMWRITE and VMREAD access the shadow VMCS without exiting
    The guest writes "Guest RIP" (encoding 681EH) and reads it back; neither instruction exits, and both
    succeed (VMsucceed clears CF and ZF). The value lands in the shadow VMCS named by the VMCS link pointer,
    not in the current VMCS: after the marker VMCALL the VMM finds it by making the shadow VMCS current.

    Given a shadow VMCS is linked to the current VMCS, with VMREAD and VMWRITE bitmaps all clear
    And the "VMCS shadowing" control is set
    And the guest code is:
      """
      xor edx, edx
      mov ebx, 0x681e
      mov rax, 0x1234000
      vmwrite rbx, rax
      setbe dl
      vmread rcx, rbx
      setbe dh
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest's RCX is 0x1234000
    And the guest's RDX is 0
    And "Guest RIP" reads 0x40001a
    When the VMM makes the shadow VMCS current and reads "Guest RIP"
    Then VMREAD returns 0x1234000

  @sdm:26.1.3 @sdm:25.6.15 @exit-reason:23 @exit-reason:25 @control:vmcs-shadowing @requires:vmcs-shadowing
  Scenario Outline: With "VMCS shadowing", <instruction> exits when <why>
    VMREAD (VMWRITE) causes a VM exit if any of bits 63:15 of the register that holds the field encoding
    is 1, or if the bit of the VMREAD (VMWRITE) bitmap selected by bits 14:0 of that encoding is 1.

    Given a shadow VMCS is linked to the current VMCS, with VMREAD and VMWRITE bitmaps all clear
    And <bitmap setup>
    And the "VMCS shadowing" control is set
    And the guest code is:
      """
      mov rbx, <encoding>
      <code>
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason <reason> ("<name>")
    And "Guest RIP" reads <rip>

    Examples:
      | instruction | why                                      | bitmap setup                            | encoding    | code             | rip      | reason | name    |
      | VMREAD      | its bit in the VMREAD bitmap is 1        | bit 0x681e of the VMREAD bitmap is set  | 0x681e      | vmread rax, rbx  | 0x400007 | 23     | VMREAD  |
      | VMWRITE     | its bit in the VMWRITE bitmap is 1       | bit 0x681e of the VMWRITE bitmap is set | 0x681e      | vmwrite rbx, rax | 0x400007 | 25     | VMWRITE |
      | VMREAD      | bits 63:15 of the encoding are not all 0 | bit 0x681e of the VMWRITE bitmap is set | 0x10000681e | vmread rax, rbx  | 0x40000a | 23     | VMREAD  |
      | VMWRITE     | bits 63:15 of the encoding are not all 0 | bit 0x681e of the VMREAD bitmap is set  | 0x8000      | vmwrite rbx, rax | 0x400007 | 25     | VMWRITE |

  @sdm:26.1.3 @sdm:25.6.16 @exit-reason:60 @control:enable-encls-exiting @requires:enable-encls-exiting
  Scenario Outline: ENCLS with leaf <leaf> exits when bit <bit> of the ENCLS-exiting bitmap is 1
    ENCLS causes a VM exit if "enable ENCLS exiting" is 1 and either EAX < 63 and bit EAX of the
    ENCLS-exiting bitmap is 1, or EAX ≥ 63 and bit 63 is 1. ENCLS first raises #UD when the processor does
    not support SGX1, so this needs SGX.

    Given the processor supports SGX1
    And the VMM has written <bitmap> to "ENCLS-exiting bitmap"
    And the "Enable ENCLS exiting" control is set
    And the guest code is:
      """
      mov eax, <leaf>
      encls
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 60 ("ENCLS")
    And "VM-exit instruction length" reads 3

    Examples:
      | leaf | bit | bitmap             |
      | 0    | 0   | 0x1                |
      | 70   | 63  | 0x8000000000000000 |

  @sdm:26.1.1 @exception:UD @exit-reason:0 @control:enable-encls-exiting @requires:enable-encls-exiting
  Scenario: Without SGX, ENCLS raises #UD even when the ENCLS-exiting bitmap asks for a VM exit
    Given the processor does not support SGX1
    And the VMM has written 0xffffffffffffffff to "ENCLS-exiting bitmap"
    And the "Enable ENCLS exiting" control is set
    And the exception bitmap intercepts #UD
    And the guest code is:
      """
      xor eax, eax
      encls
      """
    When the VMM launches the guest
    Then the guest exits because of a #UD hardware exception
    And "Guest RIP" reads 0x400002
