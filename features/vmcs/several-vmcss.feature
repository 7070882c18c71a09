@area:vmcs
Feature: Several VMCSs on one logical processor each keep their own contents
  A logical processor may have several active VMCSs but at most one current VMCS; VMREAD and VMWRITE act on
  the current one (25.1). Making another VMCS current does not disturb the contents of the first, and
  VMCLEAR writes a VMCS's data back to its region so that a later VMPTRLD of the same region sees the same
  contents (25.11.1, 25.11.3). Software uses only VMREAD and VMWRITE on the region between VMPTRLD and
  VMCLEAR; the format of VMCS data in memory is implementation-specific.

  Sources: SDM Vol. 3C 25.1 "Overview"; 25.11.1 "Software Use of Virtual-Machine Control Structures";
  25.11.3 "Initializing a VMCS"; 31.3 "VMX Instructions" (VMCLEAR, VMPTRLD, VMREAD, VMWRITE).

  Background:
    Given the logical processor is in VMX root operation

  @sdm:25.1 @sdm:31.3
  Scenario: VMPTRLD of B then A: VMREAD sees A's contents, and B's after VMPTRLD of B
    Given VMCS A is the current VMCS
    And the VMM has written 0x1111 to "Guest RIP"
    And the VMM has written 0xaaaa to "Exception bitmap"
    And VMCS B is the current VMCS
    And the VMM has written 0x2222 to "Guest RIP"
    And the VMM has written 0xbbbb to "Exception bitmap"
    When the VMM executes VMPTRLD of VMCS A
    Then the instruction succeeds
    And "Guest RIP" reads 0x1111
    And "Exception bitmap" reads 0xaaaa
    When the VMM executes VMPTRLD of VMCS B
    Then the instruction succeeds
    And "Guest RIP" reads 0x2222
    And "Exception bitmap" reads 0xbbbb

  @sdm:25.11.1 @sdm:25.11.3 @sdm:31.3
  Scenario: VMCS contents survive VMCLEAR and a later VMPTRLD of the same region
    Given VMCS A is the current VMCS
    And the VMM has written 0x1234_5678_9abc_def0 to "TSC offset"
    And the VMM has written 0x0010_4000 to "Exception bitmap"
    And the VMM has written 0x0018 to "Host TR selector"
    And the VMM has written 0xffff_8000_0000_1000 to "Host RIP"
    When the VMM executes VMCLEAR of VMCS A
    Then the instruction succeeds
    When the VMM executes VMPTRLD of VMCS A
    Then the instruction succeeds
    And "TSC offset" reads 0x1234_5678_9abc_def0
    And "Exception bitmap" reads 0x0010_4000
    And "Host TR selector" reads 0x0018
    And "Host RIP" reads 0xffff_8000_0000_1000

  @sdm:25.1 @sdm:25.11.1
  Scenario: VMCLEAR of one VMCS does not change another
    Given VMCS A is the current VMCS
    And the VMM has written 0x1111 to "Guest RIP"
    And VMCS B is the current VMCS
    And the VMM has written 0x2222 to "Guest RIP"
    When the VMM executes VMCLEAR of VMCS A
    Then the instruction succeeds
    And "Guest RIP" reads 0x2222
