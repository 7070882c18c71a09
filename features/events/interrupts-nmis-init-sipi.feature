@area:events
Feature: External interrupts, NMIs, INIT and SIPI arriving while the guest runs
  External interrupts cause VM exits (basic exit reason 1) if the pin-based control "external-interrupt
  exiting" is 1; then RFLAGS.IF does not block them. With "acknowledge interrupt on exit" = 1 the processor
  acknowledges the interrupt controller as part of the VM exit and reports the vector in the VM-exit
  interruption information (type 0, valid); with it 0 the field is invalid (bit 31 = 0) and the interrupt
  stays pending. With "external-interrupt exiting" = 0 the interrupt is delivered through the guest IDT
  when RFLAGS.IF = 1 and waits while IF = 0.

  NMIs cause VM exits (basic exit reason 0, interruption type 2, vector 2) if "NMI exiting" is 1, and are
  delivered through IDT vector 2 otherwise, which blocks further NMIs ("blocking by NMI", bit 3 of the
  interruptibility state) until the next IRET. INIT signals always cause VM exits in VMX non-root
  operation (basic exit reason 3). A SIPI causes a VM exit (basic exit reason 4, the SIPI vector in bits 7:0
  of the exit qualification) if the logical processor is in the wait-for-SIPI activity state; otherwise it
  is discarded.

  The guest spins in a one-instruction loop at 400000H; the VMM lets it run a few instructions (extension
  step-budget), makes the event pending (extension events), and runs it on.

  Sources: SDM Vol. 3C 25.4.2 "Guest Non-Register State" (activity and interruptibility state); 25.6.1
  "Pin-Based VM-Execution Controls"; 25.7.1 "VM-Exit Controls" (acknowledge interrupt on exit); 26.2 "Other
  Causes of VM Exits" (external interrupts, NMIs, INIT signals, start-up IPIs); 26.4.1 "Event Blocking";
  28.2.1 "Basic VM-Exit Information" (exit qualification for SIPI); 28.2.2 "Information for VM Exits Due to
  Vectored Events"; Vol. 3A 6.7.1 "Handling Multiple NMIs".

  Background:
    Given a VMCS set up for a 64-bit guest
    And the guest code is:
      """
      spin:
      jmp spin
      """

  @sdm:26.2 @sdm:26.4.1 @control:external-interrupt-exiting @exit-reason:1
  @requires:external-interrupt-exiting @requires:events @requires:step-budget
  Scenario Outline: With "external-interrupt exiting", an external interrupt causes a VM exit while RFLAGS.IF = <if>
    Given the VMM has written <rflags> to "Guest RFLAGS"
    And the "External-interrupt exiting" control is set
    When the VMM launches the guest for at most 20 instructions
    Then the guest has not exited
    When an external interrupt with vector 0x30 becomes pending
    And the guest runs for at most 1000 more instructions
    Then the guest exits with basic exit reason 1 ("External interrupt")
    And "Guest RIP" reads 0x400000

    Examples:
      | if | rflags |
      | 1  | 0x202  |
      | 0  | 0x2    |

  @sdm:28.2.2 @control:external-interrupt-exiting @control:acknowledge-interrupt-on-exit @exit-reason:1
  @requires:external-interrupt-exiting @requires:acknowledge-interrupt-on-exit @requires:events @requires:step-budget
  Scenario: With "acknowledge interrupt on exit" the VM exit reports the vector and consumes the interrupt
    Given the VMM has written 0x202 to "Guest RFLAGS"
    And the "External-interrupt exiting" control is set
    And the "Acknowledge interrupt on exit" control is set
    When the VMM launches the guest for at most 20 instructions
    And an external interrupt with vector 0x30 becomes pending
    And the guest runs for at most 1000 more instructions
    Then the guest exits with basic exit reason 1 ("External interrupt")
    And the bit fields of "VM-exit interruption information" read:
      | bits  | value | meaning                            |
      | 7:0   | 0x30  | vector                             |
      | 10:8  | 0     | interruption type: external interrupt |
      | 11    | 0     | no error code                      |
      | 31    | 1     | valid                              |
    When the VMM resumes the guest
    Then the guest has not exited

  @sdm:28.2.2 @control:external-interrupt-exiting @control:acknowledge-interrupt-on-exit @exit-reason:1
  @requires:external-interrupt-exiting @requires:no-acknowledge-interrupt-on-exit @requires:events @requires:step-budget
  Scenario: Without "acknowledge interrupt on exit" the interruption information is invalid and the interrupt stays pending
    Nothing acknowledged the interrupt, so it is still pending at the next VM entry and exits again at once.

    Given the VMM has written 0x202 to "Guest RFLAGS"
    And the "External-interrupt exiting" control is set
    And the "Acknowledge interrupt on exit" control is clear
    When the VMM launches the guest for at most 20 instructions
    And an external interrupt with vector 0x30 becomes pending
    And the guest runs for at most 1000 more instructions
    Then the guest exits with basic exit reason 1 ("External interrupt")
    And the bit fields of "VM-exit interruption information" read:
      | bits | value | meaning |
      | 31   | 0     | invalid |
    When the VMM resumes the guest
    Then the guest exits with basic exit reason 1 ("External interrupt")

  @sdm:26.2 @control:external-interrupt-exiting @control:hlt-exiting @exit-reason:12
  @requires:no-external-interrupt-exiting @requires:hlt-exiting @requires:events @requires:step-budget
  Scenario: Without "external-interrupt exiting" an interrupt is delivered through the guest IDT when RFLAGS.IF = 1
    Given the VMM has written 0x202 to "Guest RFLAGS"
    And the "External-interrupt exiting" control is clear
    And the "HLT exiting" control is set
    When the VMM launches the guest for at most 20 instructions
    And an external interrupt with vector 0x30 becomes pending
    And the guest runs for at most 1000 more instructions
    Then the guest exits with basic exit reason 12 ("HLT")
    And the guest's handler for vector 0x30 has run 1 time
    And the guest's handler was entered with return RIP 0x400000

  @sdm:26.2 @sdm:26.4.1 @control:external-interrupt-exiting
  @requires:no-external-interrupt-exiting @requires:events @requires:step-budget
  Scenario: Without "external-interrupt exiting" an interrupt waits while the guest runs with RFLAGS.IF = 0
    Given the VMM has written 0x2 to "Guest RFLAGS"
    And the "External-interrupt exiting" control is clear
    When the VMM launches the guest for at most 20 instructions
    And an external interrupt with vector 0x30 becomes pending
    And the guest runs for at most 1000 more instructions
    Then the guest has not exited
    And the guest's handler for vector 0x30 has run 0 times

  @sdm:26.2 @sdm:28.2.2 @control:nmi-exiting @exit-reason:0
  @requires:nmi-exiting @requires:events @requires:step-budget
  Scenario: With "NMI exiting" an NMI causes a VM exit with basic exit reason 0 and interruption type NMI
    Given the "NMI exiting" control is set
    When the VMM launches the guest for at most 20 instructions
    And an NMI becomes pending
    And the guest runs for at most 1000 more instructions
    Then the guest exits with basic exit reason 0 ("Exception or non-maskable interrupt (NMI)")
    And the bit fields of "VM-exit interruption information" read:
      | bits | value | meaning                 |
      | 7:0  | 2     | vector 2                |
      | 10:8 | 2     | interruption type: NMI  |
      | 11   | 0     | no error code           |
      | 31   | 1     | valid                   |
    And "Guest RIP" reads 0x400000

  @sdm:26.2 @control:nmi-exiting @control:hlt-exiting @exit-reason:12
  @requires:no-nmi-exiting @requires:hlt-exiting @requires:events @requires:step-budget
  Scenario: Without "NMI exiting" an NMI is delivered through IDT vector 2 and blocks further NMIs
    The guest's NMI handler halts without IRET, so NMIs stay blocked at the VM exit.

    Given the "NMI exiting" control is clear
    And the "HLT exiting" control is set
    When the VMM launches the guest for at most 20 instructions
    And an NMI becomes pending
    And the guest runs for at most 1000 more instructions
    Then the guest exits with basic exit reason 12 ("HLT")
    And the guest's handler for vector 2 has run 1 time
    And the bit fields of "Guest interruptibility state" read:
      | bits | value | meaning          |
      | 3    | 1     | blocking by NMI  |

  @sdm:26.2 @exit-reason:3 @requires:events @requires:step-budget
  Scenario: An INIT signal always causes a VM exit in VMX non-root operation
    Given the VMM has written 0x2 to "Guest RFLAGS"
    When the VMM launches the guest for at most 20 instructions
    And an INIT signal becomes pending
    And the guest runs for at most 1000 more instructions
    Then the guest exits with basic exit reason 3 ("INIT signal")

  @sdm:26.2 @sdm:28.2.1 @exit-reason:4 @requires:activity-wait-for-sipi @requires:events @requires:step-budget
  Scenario: A SIPI to a guest in the wait-for-SIPI state causes a VM exit with the vector in the exit qualification
    Given the VMM has written 3 to "Guest activity state"
    When the VMM launches the guest for at most 20 instructions
    Then the guest has not exited
    And the logical processor is in the wait-for-SIPI activity state
    When a SIPI with vector 0x9a becomes pending
    And the guest runs for at most 1000 more instructions
    Then the guest exits with basic exit reason 4 ("Start-up IPI (SIPI)")
    And "Exit qualification" reads 0x9a

  @sdm:26.2 @requires:events @requires:step-budget
  Scenario: A SIPI to a guest that is not in the wait-for-SIPI state is discarded
    Given the VMM has written 0 to "Guest activity state"
    When the VMM launches the guest for at most 20 instructions
    And a SIPI with vector 0x9a becomes pending
    And the guest runs for at most 1000 more instructions
    Then the guest has not exited
