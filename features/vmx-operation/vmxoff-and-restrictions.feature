@area:vmx-operation
Feature: VMXOFF, and the restrictions that hold while in VMX operation
  VMXOFF leaves VMX operation; outside VMX operation it is undefined (#UD). While the logical processor is
  in VMX operation (root included) the bits VMX fixes in CR0 and CR4 keep their fixed values: a MOV to CR0
  or CR4 that would change one raises #GP(0), and in particular CR4.VMXE cannot be cleared until VMXOFF.
  A later VMXON starts again with no current VMCS.

  Sources: SDM Vol. 3C 24.7 "Enabling and Entering VMX Operation"; 24.8 "Restrictions on VMX Operation";
  31.2 "Conventions"; 31.3 "VMX Instructions" (VMXOFF—Leave VMX Operation, VMXON—Enter VMX Operation);
  Appendix A.7 "VMX-Fixed Bits in CR0", A.8 "VMX-Fixed Bits in CR4".

  @sdm:31.3 @exception:UD
  Scenario: VMXOFF outside VMX operation raises #UD
    Given a logical processor outside VMX operation
    And CR4.VMXE is set
    When the VMM executes VMXOFF
    Then the instruction raises #UD

  @sdm:31.3 @sdm:24.7
  Scenario: VMXOFF in VMX root operation succeeds and leaves VMX operation
    Given the logical processor is in VMX root operation
    And VMCS A is the current VMCS
    When the VMM executes VMXOFF
    Then the instruction succeeds
    And the logical processor is outside VMX operation

  @sdm:24.7 @sdm:24.8
  Scenario: After VMXOFF, software may clear CR4.VMXE
    Given the logical processor is in VMX root operation
    When the VMM executes VMXOFF
    Then the instruction succeeds
    When the VMM executes a MOV to control register clearing CR4.VMXE
    Then the instruction completes
    And bit 13 of the logical processor's cr4 is clear

  @sdm:24.8 @sdm:A.8 @exception:GP
  Scenario: CR4.VMXE cannot be cleared in VMX operation
    Given the logical processor is in VMX root operation
    When the VMM executes a MOV to control register clearing CR4.VMXE
    Then the instruction raises #GP(0)
    And bit 13 of the logical processor's cr4 is set
    And the logical processor remains in VMX root operation

  @sdm:24.8 @sdm:A.7 @exception:GP
  Scenario: A CR0 bit fixed to 1 cannot be cleared in VMX operation
    Given the logical processor is in VMX root operation
    And the VMX capability MSRs fix CR0.NE to 1
    When the VMM executes a MOV to control register clearing CR0.NE
    Then the instruction raises #GP(0)
    And bit 5 of the logical processor's cr0 is set

  @sdm:31.3 @sdm:25.1
  Scenario: VMXON after VMXOFF enters VMX operation again with no current VMCS
    Given the logical processor is in VMX root operation
    And VMCS A is the current VMCS
    When the VMM executes VMXOFF
    Then the instruction succeeds
    When the VMM executes VMXON
    Then the instruction succeeds
    When the VMM executes VMPTRST
    Then VMPTRST stores 0xffff_ffff_ffff_ffff
