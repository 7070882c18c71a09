@area:vmx-operation
Feature: VMXON checks the processor's state, IA32_FEATURE_CONTROL and the VMXON region
  Outside VMX operation, VMXON checks in this order (31.3, VMXON "Operation"): CR4.VMXE (#UD); then CPL,
  the values of CR0 and CR4 (every bit VMX operation fixes, 24.8) and the lock and "enable VMX outside
  SMX" bits of IA32_FEATURE_CONTROL (24.7), each failure a #GP(0); then the VMXON pointer (4-KiB aligned,
  no bit beyond the physical-address width) and the first dword of the VMXON region (bits 30:0 the
  processor's VMCS revision identifier, bit 31 clear). Pointer and region failures are VMfailInvalid: outside
  VMX operation there is no current VMCS to hold an error number (31.2).

  Not stated here: a CR4 bit that IA32_VMX_CR4_FIXED1 reports as fixed to 0. On processors these are the
  bits MOV to CR4 cannot set at all, and the only CR4 bit fixed to 1 (VMXE) raises #UD before any #GP
  check, so no state reachable through the contract breaks that rule alone. IA32_FEATURE_CONTROL can only
  be changed through the root-state extension, because after reset it is locked and WRMSR to it faults.

  Sources: SDM Vol. 3C 24.6 "Discovering Support for VMX"; 24.7 "Enabling and Entering VMX Operation";
  24.8 "Restrictions on VMX Operation"; 25.11.5 "VMXON Region"; 31.2 "Conventions"; 31.3 "VMX Instructions"
  (VMXON—Enter VMX Operation); Appendix A.1 "Basic VMX Information", A.7 "VMX-Fixed Bits in CR0".

  Background:
    Given a logical processor outside VMX operation

  @sdm:24.6
  Scenario: CPUID.1:ECX.VMX[bit 5] reports VMX support
    When the VMM executes CPUID with EAX = 1
    Then the instruction completes with bit 5 of ecx set

  @sdm:24.8 @sdm:31.3 @sdm:A.7 @exception:GP
  Scenario: VMXON raises #GP(0) when CR0.NE, a bit VMX operation fixes to 1, is clear
    Given CR4.VMXE is set
    And the VMX capability MSRs fix CR0.NE to 1
    And the VMM has cleared CR0.NE with a MOV to its control register
    And a VMXON region with the processor's VMCS revision identifier
    When the VMM executes VMXON
    Then the instruction raises #GP(0)
    And the logical processor is outside VMX operation

  @sdm:24.7 @sdm:31.3 @exception:GP @requires:root-state
  Scenario: VMXON raises #GP(0) when the lock bit of IA32_FEATURE_CONTROL is clear
    Bit 0 of IA32_FEATURE_CONTROL is the lock bit; bit 2 enables VMXON outside SMX operation. Here bit 2
    is set and only the lock bit is missing.

    Given IA32_FEATURE_CONTROL holds 0x4
    And CR4.VMXE is set
    And a VMXON region with the processor's VMCS revision identifier
    When the VMM executes VMXON
    Then the instruction raises #GP(0)
    And the logical processor is outside VMX operation

  @sdm:24.7 @sdm:31.3 @exception:GP @requires:root-state
  Scenario: VMXON raises #GP(0) outside SMX operation when "enable VMX outside SMX" is clear
    Given IA32_FEATURE_CONTROL holds 0x1
    And CR4.VMXE is set
    And a VMXON region with the processor's VMCS revision identifier
    When the VMM executes VMXON
    Then the instruction raises #GP(0)
    And the logical processor is outside VMX operation

  @sdm:24.7 @exception:GP
  Scenario: WRMSR to IA32_FEATURE_CONTROL raises #GP(0) once the lock bit is set
    After reset the implementation leaves IA32_FEATURE_CONTROL locked with VMX enabled outside SMX (as
    firmware does); writing it again, even with the value it holds, faults until the next power-up reset.

    When the VMM executes WRMSR of the current value of IA32_FEATURE_CONTROL
    Then the instruction raises #GP(0)

  @sdm:31.3 @sdm:25.11.5
  Scenario Outline: VMXON fails with VMfailInvalid when the VMXON pointer <problem>
    Given CR4.VMXE is set
    And a VMXON region with the processor's VMCS revision identifier
    When the VMM executes VMXON with the pointer <pointer>
    Then the instruction fails with VMfailInvalid
    And the logical processor is outside VMX operation

    Examples:
      | pointer  | problem                                      |
      | 0x200800 | is 2-KiB but not 4-KiB aligned               |
      | 0x200008 | has bit 3 set                                |
      | 0x200001 | has bit 0 set                                |

  @sdm:31.3 @sdm:25.11.5 @sdm:A.1
  Scenario: VMXON fails with VMfailInvalid when the VMXON pointer sets a bit beyond the physical-address width
    Given CR4.VMXE is set
    And a VMXON region with the processor's VMCS revision identifier
    When the VMM executes VMXON with a pointer beyond the physical-address width
    Then the instruction fails with VMfailInvalid
    And the logical processor is outside VMX operation

  @sdm:31.3 @sdm:25.11.5
  Scenario: VMXON fails with VMfailInvalid when the VMXON region holds another revision identifier
    Given CR4.VMXE is set
    And a VMXON region with a revision identifier other than the processor's
    When the VMM executes VMXON
    Then the instruction fails with VMfailInvalid
    And the logical processor is outside VMX operation

  @sdm:31.3 @sdm:25.11.5
  Scenario: VMXON fails with VMfailInvalid when bit 31 of the VMXON region's first dword is set
    Software writes the revision identifier to bits 30:0 and clears bit 31 (25.11.5); VMXON fails if
    bit 31 is 1.

    Given CR4.VMXE is set
    And a VMXON region with the processor's VMCS revision identifier and bit 31 set
    When the VMM executes VMXON
    Then the instruction fails with VMfailInvalid
    And the logical processor is outside VMX operation

  @sdm:31.3 @sdm:25.1
  Scenario: After VMXON there is no current VMCS
    VMXON sets the current-VMCS pointer to FFFFFFFF_FFFFFFFFH; VMPTRST stores that value.

    Given CR4.VMXE is set
    And a VMXON region with the processor's VMCS revision identifier
    When the VMM executes VMXON
    Then the instruction succeeds
    And the logical processor remains in VMX root operation
    When the VMM executes VMPTRST
    Then VMPTRST stores 0xffff_ffff_ffff_ffff
