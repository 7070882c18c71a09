@area:non-root
Feature: MOV DR under "MOV-DR exiting"
  MOV to or from a debug register causes a VM exit (basic exit reason 29, "MOV DR") if "MOV-DR exiting" is 1.
  These VM exits are the exception to the priority rule of 26.1.1: they take priority over the #GP raised
  for CPL > 0 and over the #UD raised for a reference to DR4 or DR5 when CR4.DE = 1. Without the control,
  those faults happen as usual and an allowed MOV DR reads or writes the debug register.

  Sources: SDM Vol. 3C 25.6.2 "Processor-Based VM-Execution Controls"; 26.1.1 "Relative Priority of Faults
  and VM Exits"; 26.1.3 "Instructions That Cause VM Exits Conditionally" (MOV DR); 28.2.1 "Basic VM-Exit
  Information" (Table "Exit Qualification for MOV DR"); Vol. 3A 18.2 "Debug Registers".

  Background:
    Given a VMCS set up for a 64-bit guest

  @sdm:26.1.3 @control:mov-dr-exiting @exit-reason:29 @requires:mov-dr-exiting
  Scenario Outline: <instruction> causes a VM exit when "MOV-DR exiting" is 1
    Given the "MOV-DR exiting" control is set
    And the guest code is:
      """
      <code>
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 29 ("MOV DR")
    And "Guest RIP" reads 0x400000
    And "VM-exit instruction length" reads <length>

    Examples:
      | instruction   | code         | length |
      | MOV to DR7    | mov dr7, rax | 3      |
      | MOV from DR6  | mov rbx, dr6 | 3      |
      | MOV to DR0    | mov dr0, r12 | 4      |

  @sdm:26.1.3 @control:mov-dr-exiting @exit-reason:18 @requires:no-mov-dr-exiting
  Scenario: Without "MOV-DR exiting" the guest writes and reads its debug registers
    Given the "MOV-DR exiting" control is clear
    And the guest code is:
      """
      mov eax, 0x1234000
      mov dr0, rax
      mov rcx, dr0
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest's RCX is 0x1234000

  @sdm:26.1.1 @sdm:26.1.3 @control:mov-dr-exiting @exit-reason:29 @requires:mov-dr-exiting @requires:cpl
  Scenario: MOV DR at CPL 3 causes the VM exit, not #GP: MOV DR exits take priority over privilege faults
    Given the "MOV-DR exiting" control is set
    And the guest starts at CPL 3
    And the exception bitmap intercepts #GP
    And the guest code is:
      """
      mov rax, dr7
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 29 ("MOV DR")
    And "Guest RIP" reads 0x400000

  @sdm:26.1.1 @exception:GP @exit-reason:0 @control:mov-dr-exiting @requires:no-mov-dr-exiting @requires:cpl
  Scenario: Without "MOV-DR exiting", MOV DR at CPL 3 raises #GP(0)
    Given the "MOV-DR exiting" control is clear
    And the guest starts at CPL 3
    And the exception bitmap intercepts #GP
    And the guest code is:
      """
      mov rax, dr7
      """
    When the VMM launches the guest
    Then the guest exits because of a #GP(0) hardware exception
    And "Guest RIP" reads 0x400000

  @sdm:26.1.1 @sdm:26.1.3 @control:mov-dr-exiting @exit-reason:29 @requires:mov-dr-exiting
  Scenario: With CR4.DE = 1, MOV from DR4 causes the VM exit rather than #UD
    Given guest CR4.DE is set
    And the "MOV-DR exiting" control is set
    And the exception bitmap intercepts #UD
    And the guest code is:
      """
      mov rax, dr4
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 29 ("MOV DR")
    And "Guest RIP" reads 0x400000

  @sdm:26.1.1 @exception:UD @exit-reason:0 @control:mov-dr-exiting @requires:no-mov-dr-exiting
  Scenario: Without "MOV-DR exiting", MOV from DR4 with CR4.DE = 1 raises #UD
    Given guest CR4.DE is set
    And the "MOV-DR exiting" control is clear
    And the exception bitmap intercepts #UD
    And the guest code is:
      """
      mov rax, dr4
      """
    When the VMM launches the guest
    Then the guest exits because of a #UD hardware exception
    And "Guest RIP" reads 0x400000
