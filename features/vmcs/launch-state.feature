@area:vmcs
Feature: The launch state of a VMCS: clear, launched, and clear again
  Every VMCS has a launch state. VMCLEAR makes it "clear"; a VMLAUNCH that succeeds makes it "launched";
  nothing else changes it: VMPTRLD, VM exits and VMRESUME leave it as it is. VMLAUNCH needs a clear VMCS,
  VMRESUME a launched one (the failures themselves are stated in features/vm-entry/basic-checks.feature).

  The guest here is a single VMCALL: every VM entry that succeeds ends in a VM exit with basic exit reason
  18, and resuming without advancing Guest RIP runs the same VMCALL again.

  Sources: SDM Vol. 3C 25.1 "Overview" (the states of a VMCS); 25.11.3 "Initializing a VMCS"; 27.1 "Basic
  VM-Entry Checks"; 31.3 "VMX Instructions" (VMCLEAR, VMLAUNCH/VMRESUME, VMPTRLD).

  Background:
    Given a VMCS set up for a 64-bit guest
    And the guest code is:
      """
      vmcall
      """

  @sdm:25.1 @sdm:31.3 @exit-reason:18
  Scenario: After VMLAUNCH the VMCS is launched, so VMRESUME enters the guest
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    When the VMM resumes the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    When the VMM resumes the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")

  @sdm:25.1 @sdm:25.11.3 @sdm:31.3 @vm-error:5 @exit-reason:18
  Scenario: VMCLEAR makes a launched VMCS clear again: VMRESUME fails and VMLAUNCH enters the guest
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    When the VMM executes VMCLEAR of VMCS A
    Then the instruction succeeds
    When the VMM executes VMPTRLD of VMCS A
    Then the instruction succeeds
    When the VMM executes VMRESUME
    Then the instruction fails with VMfailValid and VM-instruction error 5 ("VMRESUME with non-launched VMCS")
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")

  @sdm:25.1 @sdm:31.3 @exit-reason:18
  Scenario: VMPTRLD of another VMCS and back does not change the launch state
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    Given VMCS B is the current VMCS
    When the VMM executes VMPTRLD of VMCS A
    Then the instruction succeeds
    When the VMM resumes the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
