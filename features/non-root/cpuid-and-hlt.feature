@area:non-root
Feature: A first look at VMX non-root operation: CPUID always exits, HLT only under "HLT exiting"
  In VMX non-root operation some instructions cause VM exits unconditionally and others only when a
  VM-execution control says so. CPUID is of the first kind; HLT of the second.

  Sources: SDM Vol. 3C 26.1.2 "Instructions That Cause VM Exits Unconditionally";
  26.1.3 "Instructions That Cause VM Exits Conditionally"; 25.6.2 "Processor-Based VM-Execution Controls";
  Appendix C "VMX Basic Exit Reasons"; 28.2.5 (VM-exit instruction length).

  Background:
    Given a VMCS set up for a 64-bit guest

  @sdm:26.1.2 @exit-reason:10
  Scenario: CPUID in the guest causes a VM exit with basic exit reason 10
    Given the guest code is:
      """
      mov eax, 0
      cpuid
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 10 ("CPUID")
    And "VM-exit instruction length" reads 2
    And "Guest RIP" reads 0x400005

  @sdm:26.1.3 @exit-reason:12 @control:hlt-exiting @requires:hlt-exiting
  Scenario: HLT in the guest causes a VM exit when "HLT exiting" is 1
    Given the "HLT exiting" control is set
    And the guest code is:
      """
      hlt
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 12 ("HLT")
    And "VM-exit instruction length" reads 1
    And "Guest RIP" reads 0x400000

  @sdm:26.1.3 @control:hlt-exiting @requires:no-hlt-exiting @requires:step-budget
  Scenario: HLT in the guest does not cause a VM exit when "HLT exiting" is 0
    Without the control the guest halts as it would on bare metal: no VM exit, and the logical
    processor is in the HLT activity state.

    Given the "HLT exiting" control is clear
    And the guest code is:
      """
      hlt
      """
    When the VMM launches the guest for at most 1000 instructions
    Then the guest has not exited
    And the logical processor is in the HLT activity state
