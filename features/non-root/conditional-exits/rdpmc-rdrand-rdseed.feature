@area:non-root
Feature: RDPMC, RDRAND and RDSEED under their exiting controls
  RDPMC causes a VM exit (basic exit reason 15) if "RDPMC exiting" is 1; RDRAND (57) if the secondary control
  "RDRAND exiting" is 1; RDSEED (61) if "RDSEED exiting" is 1.

  RDPMC's #GP for a counter that does not exist is not a privilege fault, so the fault-like VM exit has
  priority over it; the #GP for CPL > 0 with CR4.PCE = 0 is one, and comes first. Without the control the
  guest sees RDPMC's ordinary effect, here the #GP(0) for counter 1234H, which no processor has.

  RDRAND and RDSEED that do not exit return a random number with CF = 1, or CF = 0 when none was available;
  in both cases they clear OF, SF, ZF, AF and PF (Vol. 2B RDRAND, RDSEED, "Flags Affected"). The guest sets
  all six flags first, so cleared flags in "Guest RFLAGS" show that the instruction ran.

  Sources: SDM Vol. 3C 25.6.2 "Processor-Based VM-Execution Controls"; 26.1.1 "Relative Priority of Faults
  and VM Exits"; 26.1.3 "Instructions That Cause VM Exits Conditionally" (RDPMC, RDRAND, RDSEED); Vol. 2B
  RDPMC, RDRAND, RDSEED.

  Background:
    Given a VMCS set up for a 64-bit guest

  @sdm:26.1.3 @sdm:26.1.1 @control:rdpmc-exiting @exit-reason:15 @requires:rdpmc-exiting
  Scenario: RDPMC causes a VM exit when "RDPMC exiting" is 1, even for a counter that does not exist
    Given the "RDPMC exiting" control is set
    And the exception bitmap intercepts #GP
    And the guest code is:
      """
      mov ecx, 0x1234
      rdpmc
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 15 ("RDPMC")
    And "Guest RIP" reads 0x400005
    And "VM-exit instruction length" reads 2

  @sdm:26.1.3 @exception:GP @exit-reason:0 @control:rdpmc-exiting @requires:no-rdpmc-exiting
  Scenario: Without "RDPMC exiting", RDPMC of a counter that does not exist raises #GP(0) in the guest
    Given the "RDPMC exiting" control is clear
    And the exception bitmap intercepts #GP
    And the guest code is:
      """
      mov ecx, 0x1234
      rdpmc
      """
    When the VMM launches the guest
    Then the guest exits because of a #GP(0) hardware exception
    And "Guest RIP" reads 0x400005

  @sdm:26.1.1 @exception:GP @exit-reason:0 @control:rdpmc-exiting @requires:rdpmc-exiting @requires:cpl
  Scenario: RDPMC at CPL 3 with CR4.PCE = 0 raises #GP(0), which takes priority over "RDPMC exiting"
    Given guest CR4.PCE is clear
    And the "RDPMC exiting" control is set
    And the guest starts at CPL 3
    And the exception bitmap intercepts #GP
    And the guest code is:
      """
      xor ecx, ecx
      rdpmc
      """
    When the VMM launches the guest
    Then the guest exits because of a #GP(0) hardware exception
    And "Guest RIP" reads 0x400002

  @sdm:26.1.3 @requires:primary-activate-secondary-controls
  Scenario Outline: <instruction> (<code>) causes a VM exit with basic exit reason <reason> when "<control>" is 1
    Given the processor supports <instruction>
    And the "<control>" control is set
    And the guest code is:
      """
      <code>
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason <reason> ("<instruction>")
    And "Guest RIP" reads 0x400000
    And "VM-exit instruction length" reads <length>

    @control:rdrand-exiting @exit-reason:57 @requires:rdrand-exiting
    Examples: RDRAND
      | instruction | control        | code       | length | reason |
      | RDRAND      | RDRAND exiting | rdrand eax | 3      | 57     |
      | RDRAND      | RDRAND exiting | rdrand r9  | 4      | 57     |

    @control:rdseed-exiting @exit-reason:61 @requires:rdseed-exiting
    Examples: RDSEED
      | instruction | control        | code        | length | reason |
      | RDSEED      | RDSEED exiting | rdseed eax  | 3      | 61     |
      | RDSEED      | RDSEED exiting | rdseed r11  | 4      | 61     |

  @sdm:26.1.3 @exit-reason:18
  Scenario Outline: <instruction> runs in the guest when "<control>" is 0
    Given the processor supports <instruction>
    And the "<control>" control is clear
    And the guest code is:
      """
      mov eax, 0x8d5
      push rax
      popfq
      <code>
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the bit fields of "Guest RFLAGS" read:
      | bits | value | meaning |
      | 11   | 0     | OF      |
      | 7    | 0     | SF      |
      | 6    | 0     | ZF      |
      | 4    | 0     | AF      |
      | 2    | 0     | PF      |

    @control:rdrand-exiting @requires:no-rdrand-exiting
    Examples: RDRAND
      | instruction | control        | code       |
      | RDRAND      | RDRAND exiting | rdrand rax |

    @control:rdseed-exiting @requires:no-rdseed-exiting
    Examples: RDSEED
      | instruction | control        | code       |
      | RDSEED      | RDSEED exiting | rdseed rax |
