@area:non-root
Feature: RDMSR and WRMSR: "use MSR bitmaps" and the four MSR bitmaps
  With "use MSR bitmaps" = 0 every RDMSR causes a VM exit (basic exit reason 31) and every WRMSR too (32).
  With "use MSR bitmaps" = 1 the 4-KByte MSR-bitmap page decides, by ECX:
  - read bitmap for low MSRs (bytes 0–1023): bit n for RDMSR of MSR n, 00000000H–00001FFFH;
  - read bitmap for high MSRs (bytes 1024–2047): bit n for RDMSR of MSR C0000000H + n, up to C0001FFFH;
  - write bitmap for low MSRs (bytes 2048–3071) and write bitmap for high MSRs (bytes 3072–4095): the same
    for WRMSR;
  - an MSR outside both ranges always causes a VM exit.
  The exit comes before the checks that would otherwise raise #GP(0) for an MSR that does not exist or a
  value it does not accept ("RDMSR of a non-existent MSR with CPL = 0 generates a VM exit and not a #GP",
  26.1.1); at CPL > 0 the #GP comes first.

  The MSRs used: IA32_SYSENTER_CS (174H, low range; the VM exit saves it as "Guest IA32_SYSENTER_CS") and
  IA32_KERNEL_GS_BASE (C0000102H, high range). The guest sets ECX, EAX and EDX first (15 bytes of code), so
  its RDMSR or WRMSR is at 40000FH and the VMCALL marker after it at 400011H.

  Sources: SDM Vol. 3C 25.6.2 "Processor-Based VM-Execution Controls"; 25.6.9 "MSR-Bitmap Address"; 26.1.1
  "Relative Priority of Faults and VM Exits"; 26.1.3 "Instructions That Cause VM Exits Conditionally" (RDMSR,
  WRMSR); 28.3.1 "Saving Control Registers, Debug Registers, and MSRs" (IA32_SYSENTER_CS).

  Background:
    Given a VMCS set up for a 64-bit guest

  @sdm:26.1.3 @control:use-msr-bitmaps @requires:no-use-msr-bitmaps
  Scenario Outline: Without MSR bitmaps, <instruction> of MSR <msr> causes a VM exit
    Given the "Use MSR bitmaps" control is clear
    And the guest code is:
      """
      mov ecx, <msr>
      mov eax, 0x12
      mov edx, 0
      <code>
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason <reason> ("<instruction>")
    And "Guest RIP" reads 0x40000f
    And "VM-exit instruction length" reads 2
    And the guest's RCX is <msr>

    @exit-reason:31
    Examples: RDMSR
      | instruction | msr        | code  | reason |
      | RDMSR       | 0x174      | rdmsr | 31     |
      | RDMSR       | 0x40000000 | rdmsr | 31     |

    @exit-reason:32
    Examples: WRMSR
      | instruction | msr        | code  | reason |
      | WRMSR       | 0x174      | wrmsr | 32     |

  @sdm:26.1.3 @sdm:25.6.9 @control:use-msr-bitmaps @requires:use-msr-bitmaps
  Scenario Outline: <instruction> of MSR <msr> with bit <bit> of the <bitmap> set: <outcome>
    Given the VMCS points to the MSR bitmaps, every bit clear
    And bit <bit> of the <bitmap> is set
    And the "Use MSR bitmaps" control is set
    And the guest code is:
      """
      mov ecx, <msr>
      mov eax, 0x12
      mov edx, 0
      <code>
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason <reason> ("<name>")
    And "Guest RIP" reads <rip>

    @exit-reason:31 @exit-reason:32
    Examples: VM exit
      | instruction | msr        | bit    | bitmap                     | code  | outcome                                     | reason | name  | rip      |
      | RDMSR       | 0x174      | 0x174  | read bitmap for low MSRs   | rdmsr | exits                                       | 31     | RDMSR | 0x40000f |
      | WRMSR       | 0x174      | 0x174  | write bitmap for low MSRs  | wrmsr | exits                                       | 32     | WRMSR | 0x40000f |
      | RDMSR       | 0xc0000102 | 0x102  | read bitmap for high MSRs  | rdmsr | exits                                       | 31     | RDMSR | 0x40000f |
      | WRMSR       | 0xc0000102 | 0x102  | write bitmap for high MSRs | wrmsr | exits                                       | 32     | WRMSR | 0x40000f |
      | RDMSR       | 0x1fff     | 0x1fff | read bitmap for low MSRs   | rdmsr | exits: the last bit of the low range        | 31     | RDMSR | 0x40000f |
      | RDMSR       | 0x2000     | 0x1fff | read bitmap for low MSRs   | rdmsr | exits: 2000H is outside both ranges         | 31     | RDMSR | 0x40000f |
      | WRMSR       | 0xc0002000 | 0x1fff | write bitmap for high MSRs | wrmsr | exits: C0002000H is outside both ranges     | 32     | WRMSR | 0x40000f |

    @exit-reason:18
    Examples: no VM exit
      | instruction | msr        | bit    | bitmap                     | code  | outcome                                     | reason | name   | rip      |
      | RDMSR       | 0x174      | 0x174  | write bitmap for low MSRs  | rdmsr | no exit: only the write bit is set          | 18     | VMCALL | 0x400011 |
      | WRMSR       | 0x174      | 0x174  | read bitmap for low MSRs   | wrmsr | no exit: only the read bit is set           | 18     | VMCALL | 0x400011 |
      | RDMSR       | 0xc0000102 | 0x102  | read bitmap for low MSRs   | rdmsr | no exit: that bit is MSR 102H               | 18     | VMCALL | 0x400011 |
      | WRMSR       | 0x174      | 0x175  | write bitmap for low MSRs  | wrmsr | no exit: that bit is MSR 175H               | 18     | VMCALL | 0x400011 |

  @sdm:26.1.3 @control:use-msr-bitmaps @exit-reason:18 @requires:use-msr-bitmaps
  Scenario: With clear MSR bitmaps the guest writes and reads IA32_SYSENTER_CS itself
    Given the VMCS points to the MSR bitmaps, every bit clear
    And the "Use MSR bitmaps" control is set
    And the guest code is:
      """
      mov ecx, 0x174
      mov eax, 0x1234
      xor edx, edx
      wrmsr
      xor eax, eax
      rdmsr
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest's RAX is 0x1234
    And "Guest IA32_SYSENTER_CS" reads 0x1234

  @sdm:26.1.1 @control:use-msr-bitmaps @exit-reason:32 @requires:use-msr-bitmaps
  Scenario: WRMSR of a value the MSR rejects still causes the VM exit when its write bit is set
    A non-canonical IA32_KERNEL_GS_BASE would raise #GP(0) (Vol. 4), but the fault-like VM exit comes first.

    Given the VMCS points to the MSR bitmaps, every bit clear
    And bit 0x102 of the write bitmap for high MSRs is set
    And the "Use MSR bitmaps" control is set
    And the exception bitmap intercepts #GP
    And the guest code is:
      """
      mov ecx, 0xc0000102
      xor eax, eax
      mov edx, 0x80000000
      wrmsr
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 32 ("WRMSR")
    And "Guest RIP" reads 0x40000c

  @sdm:26.1.1 @exception:GP @exit-reason:0 @control:use-msr-bitmaps @requires:no-use-msr-bitmaps @requires:cpl
  Scenario: RDMSR at CPL 3 raises #GP(0), which takes priority over the VM exit
    Without MSR bitmaps every RDMSR at CPL 0 would exit.

    Given the "Use MSR bitmaps" control is clear
    And the guest starts at CPL 3
    And the exception bitmap intercepts #GP
    And the guest code is:
      """
      mov ecx, 0x174
      rdmsr
      """
    When the VMM launches the guest
    Then the guest exits because of a #GP(0) hardware exception
    And "Guest RIP" reads 0x400005
