@area:vmx-operation
Feature: Entering VMX operation with VMXON
  A logical processor enters VMX operation with VMXON. Before it can, software must set CR4.VMXE,
  run at CPL 0, and give VMXON a VMXON region that carries the processor's VMCS revision identifier.
  Once in VMX root operation, a second VMXON fails.

  Sources: SDM Vol. 3C 24.7 "Enabling and Entering VMX Operation"; 31.3 "VMX Instructions", VMXON
  (the order of checks in its Operation section); 31.4 "VM Instruction Error Numbers".

  Background:
    Given a logical processor outside VMX operation

  @sdm:24.7 @sdm:31.3 @exception:UD
  Scenario: VMXON raises #UD when CR4.VMXE is clear
    Given CR4.VMXE is clear
    And a VMXON region with the processor's VMCS revision identifier
    When the VMM executes VMXON
    Then the instruction raises #UD

  @sdm:31.3 @exception:GP @requires:cpl
  Scenario: VMXON raises #GP(0) at CPL 3
    The privilege check comes after the CR4.VMXE check and before any check of the VMXON region.

    Given CR4.VMXE is set
    And a VMXON region with the processor's VMCS revision identifier
    And the logical processor runs at CPL 3
    When the VMM executes VMXON
    Then the instruction raises #GP(0)

  @sdm:31.3
  Scenario: VMXON succeeds with CR4.VMXE set, at CPL 0, with a valid VMXON region
    Given CR4.VMXE is set
    And a VMXON region with the processor's VMCS revision identifier
    When the VMM executes VMXON
    Then the instruction succeeds

  @sdm:31.3 @vm-error:15
  Scenario: VMXON in VMX root operation fails with VMfailValid(15) when there is a current VMCS
    VMfailValid needs a current VMCS to hold the error number; with one, the error is 15.

    Given the logical processor is in VMX root operation
    And VMCS A is the current VMCS
    When the VMM executes VMXON
    Then the instruction fails with VMfailValid and VM-instruction error 15 ("VMXON executed in VMX root operation")

  @sdm:31.3
  Scenario: VMXON in VMX root operation fails with VMfailInvalid when there is no current VMCS
    Given the logical processor is in VMX root operation
    When the VMM executes VMXON
    Then the instruction fails with VMfailInvalid
