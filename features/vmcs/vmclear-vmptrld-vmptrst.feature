@area:vmcs
Feature: VMCLEAR, VMPTRLD and VMPTRST: VMCS pointers, their checks, and the current VMCS
  A VMCS is named by the physical address of its 4-KiB region (the VMCS pointer). VMCLEAR and VMPTRLD check
  the pointer in the order of their Operation sections (31.3): 4-KiB alignment and the physical-address
  width (errors 2 and 9), then equality with the VMXON pointer (errors 3 and 10); VMPTRLD then checks the
  region's first dword: bits 30:0 must be the processor's VMCS revision identifier, and bit 31 (the
  shadow-VMCS indicator) may be 1 only on a processor that supports the 1-setting of "VMCS shadowing"
  (error 11). VMCLEAR does not examine the revision identifier.

  At most one VMCS is current on a logical processor (25.1): VMPTRLD makes its operand current, VMCLEAR of
  the current VMCS leaves none current, VMCLEAR of another VMCS leaves the current one as it is, and
  VMPTRST stores the current-VMCS pointer (FFFFFFFF_FFFFFFFFH when there is none). A failing VMPTRLD
  changes nothing. Errors need a current VMCS to be reported (VMfailValid); without one they are
  VMfailInvalid.

  Sources: SDM Vol. 3C 25.1 "Overview"; 25.2 "Format of the VMCS Region"; 25.10 "VMCS Types: Ordinary and
  Shadow"; 25.11.3 "Initializing a VMCS"; 31.2 "Conventions"; 31.3 "VMX Instructions" (VMCLEAR—Clear
  Virtual-Machine Control Structure, VMPTRLD—Load Pointer to Virtual-Machine Control Structure,
  VMPTRST—Store Pointer to Virtual-Machine Control Structure); 31.4 "VM Instruction Error Numbers".

  Background:
    Given the logical processor is in VMX root operation

  @sdm:31.3 @vm-error:2
  Scenario Outline: VMCLEAR of a pointer that is not 4-KiB aligned (<pointer>) fails with error 2
    Given VMCS B is the current VMCS
    When the VMM executes VMCLEAR with the pointer <pointer>
    Then the instruction fails with VMfailValid and VM-instruction error 2 ("VMCLEAR with invalid physical address")
    When the VMM executes VMPTRST
    Then VMPTRST stores the address of VMCS B

    Examples:
      | pointer  |
      | 0x201800 |
      | 0x201004 |

  @sdm:31.3 @vm-error:2
  Scenario: VMCLEAR of a pointer beyond the physical-address width fails with error 2
    Given VMCS B is the current VMCS
    When the VMM executes VMCLEAR with a pointer beyond the physical-address width
    Then the instruction fails with VMfailValid and VM-instruction error 2 ("VMCLEAR with invalid physical address")

  @sdm:31.3 @vm-error:3
  Scenario: VMCLEAR of the VMXON pointer fails with error 3
    Given VMCS B is the current VMCS
    When the VMM executes VMCLEAR with the VMXON pointer
    Then the instruction fails with VMfailValid and VM-instruction error 3 ("VMCLEAR with VMXON pointer")

  @sdm:31.2 @sdm:31.3
  Scenario: Without a current VMCS, VMCLEAR of an invalid pointer fails with VMfailInvalid
    When the VMM executes VMCLEAR with the pointer 0x201800
    Then the instruction fails with VMfailInvalid

  @sdm:31.3 @vm-error:9
  Scenario: VMPTRLD of a pointer that is not 4-KiB aligned fails with error 9
    Given VMCS B is the current VMCS
    When the VMM executes VMPTRLD with the pointer 0x201800
    Then the instruction fails with VMfailValid and VM-instruction error 9 ("VMPTRLD with invalid physical address")

  @sdm:31.3 @vm-error:9
  Scenario: VMPTRLD of a pointer beyond the physical-address width fails with error 9
    Given VMCS B is the current VMCS
    When the VMM executes VMPTRLD with a pointer beyond the physical-address width
    Then the instruction fails with VMfailValid and VM-instruction error 9 ("VMPTRLD with invalid physical address")

  @sdm:31.3 @vm-error:10
  Scenario: VMPTRLD of the VMXON pointer fails with error 10
    Given VMCS B is the current VMCS
    When the VMM executes VMPTRLD with the VMXON pointer
    Then the instruction fails with VMfailValid and VM-instruction error 10 ("VMPTRLD with VMXON pointer")

  @sdm:31.3 @sdm:25.2 @vm-error:11
  Scenario: VMPTRLD of a region with another revision identifier fails with error 11 and keeps the current VMCS
    Given VMCS B is the current VMCS
    And a VMCS region A with a revision identifier other than the processor's
    When the VMM executes VMPTRLD of VMCS A
    Then the instruction fails with VMfailValid and VM-instruction error 11 ("VMPTRLD with incorrect VMCS revision identifier")
    When the VMM executes VMPTRST
    Then VMPTRST stores the address of VMCS B

  @sdm:31.3 @sdm:25.2 @sdm:25.10 @vm-error:11 @control:vmcs-shadowing
  Scenario: VMPTRLD of a region with the shadow-VMCS indicator set needs support for VMCS shadowing
    With the 1-setting of "VMCS shadowing" supported, VMPTRLD makes the shadow VMCS current; without it,
    the region's bit 31 makes VMPTRLD fail with error 11.

    Given VMCS B is the current VMCS
    And a VMCS region A with the shadow-VMCS indicator set
    When the VMM executes VMPTRLD of VMCS A
    Then the instruction succeeds if the processor supports the 1-setting of "VMCS shadowing", and otherwise fails with VMfailValid and VM-instruction error 11 ("VMPTRLD with incorrect VMCS revision identifier")

  @sdm:31.3 @sdm:25.1
  Scenario: VMPTRST stores FFFFFFFF_FFFFFFFFH when there is no current VMCS
    When the VMM executes VMPTRST
    Then VMPTRST stores 0xffff_ffff_ffff_ffff

  @sdm:31.3 @sdm:25.1
  Scenario: VMPTRLD of B and then of A leaves A current
    Given a VMCS region A with the processor's VMCS revision identifier
    And VMCS B is the current VMCS
    When the VMM executes VMCLEAR of VMCS A
    Then the instruction succeeds
    When the VMM executes VMPTRLD of VMCS A
    Then the instruction succeeds
    When the VMM executes VMPTRST
    Then VMPTRST stores the address of VMCS A

  @sdm:31.3 @sdm:25.1
  Scenario: VMCLEAR of the current VMCS leaves no current VMCS
    Given VMCS A is the current VMCS
    When the VMM executes VMCLEAR of VMCS A
    Then the instruction succeeds
    When the VMM executes VMPTRST
    Then VMPTRST stores 0xffff_ffff_ffff_ffff
    When the VMM executes VMREAD of "Guest RIP"
    Then the instruction fails with VMfailInvalid

  @sdm:31.3 @sdm:25.1
  Scenario: VMCLEAR of another VMCS leaves the current VMCS current
    Given a VMCS region B with the processor's VMCS revision identifier
    And VMCS A is the current VMCS
    When the VMM executes VMCLEAR of VMCS B
    Then the instruction succeeds
    When the VMM executes VMPTRST
    Then VMPTRST stores the address of VMCS A

  @sdm:31.3 @sdm:25.11.3
  Scenario: VMCLEAR does not examine the revision identifier
    VMCLEAR's Operation section checks only the pointer; the region's first dword matters to VMPTRLD.

    Given VMCS A is the current VMCS
    And a VMCS region B with a revision identifier other than the processor's
    When the VMM executes VMCLEAR of VMCS B
    Then the instruction succeeds
