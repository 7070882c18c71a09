@area:vm-entry
Feature: Basic VM-entry checks: a current ordinary VMCS in the right launch state
  Before anything in the VMCS is examined, VMLAUNCH and VMRESUME check, in this order (27.1): CPL 0 (see
  features/vmx-operation/vmx-instruction-conventions.feature); a current VMCS (else VMfailInvalid); that it
  is not a shadow VMCS (else VMfailInvalid); then, with VMfailValid: events blocked by MOV SS (error 26),
  VMLAUNCH with a VMCS that is not clear (error 4), VMRESUME with a VMCS that is not launched (error 5).
  Only if these pass are the controls and the host-state area checked (27.2), so a launch-state error is
  reported even when the controls are invalid too.

  Blocking by MOV SS exists only between a MOV SS (or POP SS) and the next instruction, so the VMM executes
  VMLAUNCH or VMRESUME immediately after a MOV to SS that reloads SS with its own selector (SDM 6.8.3
  "Masking Exceptions and Interrupts When Switching Stacks").

  Sources: SDM Vol. 3A 6.8.3 "Masking Exceptions and Interrupts When Switching Stacks"; SDM Vol. 3C 27.1 "Basic VM-Entry Checks"; 25.10 "VMCS Types: Ordinary and Shadow"; 31.3 "VMX
  Instructions" (VMLAUNCH/VMRESUME—Launch/Resume Virtual Machine); 31.4 "VM Instruction Error Numbers".

  @sdm:27.1 @sdm:31.3
  Scenario Outline: <instruction> with no current VMCS fails with VMfailInvalid
    Given the logical processor is in VMX root operation
    When the VMM executes <instruction>
    Then the instruction fails with VMfailInvalid

    Examples:
      | instruction |
      | VMLAUNCH    |
      | VMRESUME    |

  @sdm:27.1 @sdm:25.10 @control:vmcs-shadowing @requires:vmcs-shadowing
  Scenario Outline: <instruction> with a shadow VMCS as the current VMCS fails with VMfailInvalid
    Given the logical processor is in VMX root operation
    And a VMCS region B with the shadow-VMCS indicator set
    When the VMM executes VMCLEAR of VMCS B
    Then the instruction succeeds
    When the VMM executes VMPTRLD of VMCS B
    Then the instruction succeeds
    When the VMM executes <instruction>
    Then the instruction fails with VMfailInvalid

    Examples:
      | instruction |
      | VMLAUNCH    |
      | VMRESUME    |

  @sdm:27.1 @sdm:31.3 @vm-error:4 @exit-reason:18
  Scenario: VMLAUNCH with a launched VMCS fails with error 4
    Given a VMCS set up for a 64-bit guest
    And the guest code is:
      """
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    When the VMM executes VMLAUNCH
    Then the instruction fails with VMfailValid and VM-instruction error 4 ("VMLAUNCH with non-clear VMCS")
    And the logical processor remains in VMX root operation

  @sdm:27.1 @sdm:31.3 @vm-error:5
  Scenario: VMRESUME with a VMCS whose launch state is clear fails with error 5
    Given a VMCS set up for a 64-bit guest
    And the guest code is:
      """
      vmcall
      """
    When the VMM executes VMRESUME
    Then the instruction fails with VMfailValid and VM-instruction error 5 ("VMRESUME with non-launched VMCS")

  @sdm:27.1 @sdm:27.2 @vm-error:4
  Scenario: The launch-state check comes before the checks on the host-state area
    Given a VMCS set up for a 64-bit guest
    And the guest code is:
      """
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    Given the VMM has written 0 to "Host CS selector"
    When the VMM executes VMLAUNCH
    Then the instruction fails with VMfailValid and VM-instruction error 4 ("VMLAUNCH with non-clear VMCS")

  @sdm:27.1 @sdm:27.2 @vm-error:5
  Scenario: The launch-state check comes before the checks on the VMX controls
    Given a VMCS set up for a 64-bit guest
    And the VMM has written to "CR3-target count" one more than the number of CR3-target values IA32_VMX_MISC reports
    When the VMM executes VMRESUME
    Then the instruction fails with VMfailValid and VM-instruction error 5 ("VMRESUME with non-launched VMCS")

  @sdm:27.1 @sdm:31.3 @vm-error:26
  Scenario: VMLAUNCH immediately after MOV SS fails with VMfailValid(26)
    Given a VMCS set up for a 64-bit guest
    And the guest code is:
      """
      cpuid
      """
    When the VMM executes VMLAUNCH immediately after a MOV to SS
    Then the instruction fails with VMfailValid and VM-instruction error 26 ("VM entry with events blocked by MOV SS")
    When the VMM executes VMLAUNCH
    Then the guest exits with basic exit reason 10 ("CPUID")

  @sdm:27.1 @sdm:31.3 @vm-error:26
  Scenario: Blocking by MOV SS is checked before the launch state: VMRESUME of a clear VMCS reports 26, not 5
    The VMLAUNCH/VMRESUME pseudo-code (SDM 31.3) tests for blocking by MOV SS before it tests the launch state.

    Given a VMCS set up for a 64-bit guest
    When the VMM executes VMRESUME immediately after a MOV to SS
    Then the instruction fails with VMfailValid and VM-instruction error 26 ("VM entry with events blocked by MOV SS")
