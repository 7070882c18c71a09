@area:non-root
Feature: WBINVD and WBNOINVD under "WBINVD exiting"; XSAVES and XRSTORS under the XSS-exiting bitmap
  WBINVD and WBNOINVD cause a VM exit with basic exit reason 54 ("WBINVD or WBNOINVD") if the secondary
  control "WBINVD exiting" is 1.

  XSAVES and XRSTORS raise #UD unless "enable XSAVES/XRSTORS" is 1. When it is 1, each causes a VM exit
  (XSAVES 63, XRSTORS 64) if any bit is set in the logical AND of three values: EDX:EAX, the IA32_XSS MSR
  and the XSS-exiting bitmap; otherwise it runs. XSAVES always writes the compacted format: bit 63 of the
  XCOMP_BV field of the XSAVE header (bytes 520–527 of the area) is 1 and bits 62:0 are the requested-feature
  bitmap, (XCR0 | IA32_XSS) AND EDX:EAX. With IA32_XSS = 0 and XCR0 = 1 (x87 only, its value after reset)
  that is 8000000000000001H. The guest's XSAVE area is at 502000H (64-byte aligned); CR4.OSXSAVE must be 1.

  Sources: SDM Vol. 3C 25.6.2 "Processor-Based VM-Execution Controls"; 25.6 "VM-Execution Control Fields" (XSS-Exiting Bitmap); 26.1.1
  "Relative Priority of Faults and VM Exits"; 26.1.3 "Instructions That Cause VM Exits Conditionally"
  (WBINVD/WBNOINVD, XRSTORS, XSAVES); 26.3 "Changes to Instruction Behavior in VMX Non-Root Operation"
  (XRSTORS, XSAVES); Vol. 1 13.4.3 "XSAVE Header", 13.11 "Operation of XSAVES".

  Background:
    Given a VMCS set up for a 64-bit guest

  @sdm:26.1.3 @control:wbinvd-exiting @exit-reason:54 @requires:wbinvd-exiting
  Scenario: WBINVD causes a VM exit when "WBINVD exiting" is 1
    Given the "WBINVD exiting" control is set
    And the guest code is:
      """
      wbinvd
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 54 ("WBINVD or WBNOINVD")
    And "Guest RIP" reads 0x400000
    And "VM-exit instruction length" reads 2

  @sdm:26.1.3 @control:wbinvd-exiting @exit-reason:54 @requires:wbinvd-exiting
  Scenario: WBNOINVD causes a VM exit when "WBINVD exiting" is 1
    Given the processor supports WBNOINVD
    And the "WBINVD exiting" control is set
    And the guest code is:
      """
      wbnoinvd
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 54 ("WBINVD or WBNOINVD")
    And "Guest RIP" reads 0x400000
    And "VM-exit instruction length" reads 3

  @sdm:26.1.3 @control:wbinvd-exiting @exit-reason:18 @requires:no-wbinvd-exiting
  Scenario: WBINVD runs in the guest when "WBINVD exiting" is 0
    Given the "WBINVD exiting" control is clear
    And the guest code is:
      """
      wbinvd
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And "Guest RIP" reads 0x400002

  @sdm:26.1.1 @exception:GP @exit-reason:0 @control:wbinvd-exiting @requires:wbinvd-exiting @requires:cpl
  Scenario: WBINVD at CPL 3 raises #GP(0), which takes priority over "WBINVD exiting"
    Given the "WBINVD exiting" control is set
    And the guest starts at CPL 3
    And the exception bitmap intercepts #GP
    And the guest code is:
      """
      wbinvd
      """
    When the VMM launches the guest
    Then the guest exits because of a #GP(0) hardware exception
    And "Guest RIP" reads 0x400000

  @sdm:26.3 @exception:UD @exit-reason:0 @control:enable-xsaves-xrstors @requires:no-enable-xsaves-xrstors
  Scenario: XSAVES raises #UD when "enable XSAVES/XRSTORS" is 0
    Given the processor allows CR4.OSXSAVE to be 1 in VMX operation
    And guest CR4.OSXSAVE is set
    And the "Enable XSAVES/XRSTORS" control is clear
    And the exception bitmap intercepts #UD
    And the guest code is:
      """
      mov ebx, 0x502000
      mov eax, 0xffffffff
      mov edx, eax
      xsaves [rbx]
      """
    When the VMM launches the guest
    Then the guest exits because of a #UD hardware exception
    And "Guest RIP" reads 0x40000c

  @sdm:26.1.3 @control:enable-xsaves-xrstors @requires:enable-xsaves-xrstors
  Scenario Outline: <instruction> exits when EDX:EAX, IA32_XSS and the XSS-exiting bitmap share a set bit
    Bit 8 of IA32_XSS is the supervisor state component for Intel Processor Trace; the scenario needs a
    processor on which IA32_XSS accepts it (CPUID.(EAX=0DH,ECX=1):ECX[8]).

    Given the processor supports XSAVES
    And the processor supports the IA32_XSS state component 8
    And the VMM has set MSR 0xda0 to 0x100
    And the processor allows CR4.OSXSAVE to be 1 in VMX operation
    And guest CR4.OSXSAVE is set
    And the VMM has written 0x100 to "XSS-exiting bitmap"
    And the "Enable XSAVES/XRSTORS" control is set
    And the guest code is:
      """
      mov ebx, 0x502000
      mov eax, 0xffffffff
      mov edx, eax
      <code>
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason <reason> ("<instruction>")
    And "Guest RIP" reads 0x40000c
    And "VM-exit instruction length" reads 3

    @exit-reason:63
    Examples:
      | instruction | code          | reason |
      | XSAVES      | xsaves [rbx]  | 63     |

    @exit-reason:64
    Examples:
      | instruction | code          | reason |
      | XRSTORS     | xrstors [rbx] | 64     |

  @sdm:26.1.3 @sdm:26.3 @control:enable-xsaves-xrstors @exit-reason:18 @requires:enable-xsaves-xrstors
  Scenario: With IA32_XSS = 0 the AND is empty: XSAVES and XRSTORS run although every bitmap bit is 1
    Given the processor supports XSAVES
    And the VMM has set MSR 0xda0 to 0
    And the processor allows CR4.OSXSAVE to be 1 in VMX operation
    And guest CR4.OSXSAVE is set
    And the VMM has written 0xffffffffffffffff to "XSS-exiting bitmap"
    And the "Enable XSAVES/XRSTORS" control is set
    And the guest code is:
      """
      mov ebx, 0x502000
      mov eax, 0xffffffff
      mov edx, eax
      xsaves [rbx]
      xrstors [rbx]
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the qword at guest-physical address 0x502208 is 0x8000000000000001
