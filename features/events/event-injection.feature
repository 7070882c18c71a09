@area:events
Feature: Event injection at VM entry and IDT-vectoring information for VM exits during event delivery
  A VMM injects an event by writing the VM-entry interruption-information field (vector in bits 7:0, type in
  bits 10:8, "deliver error code" bit 11, valid bit 31), the VM-entry exception error code and, for software
  interrupts and software exceptions, the VM-entry instruction length. VM entry delivers the event through
  the guest IDT after loading guest state, exactly as if it had occurred then; for types 4–6 the RIP pushed is
  "Guest RIP" plus the VM-entry instruction length. An injected event never causes a VM exit directly,
  whatever the exception bitmap or "NMI exiting" say. Every VM exit clears the valid bit of the VM-entry
  interruption-information field, so an event is injected once.

  When a VM exit interrupts the delivery of an event — an injected one or one raised in the guest — the
  IDT-vectoring information field describes the event being delivered (same layout; valid bit 31), and the
  IDT-vectoring error code its error code. A VM exit that does not occur during event delivery leaves bit
  31 of the IDT-vectoring information field 0.

  The guest's IDT handlers count each delivery in guest memory and halt; with "HLT exiting" the halt is a
  VM exit, and the interrupt stack frame at "Guest RSP" shows what the processor pushed. An injected external
  interrupt needs RFLAGS.IF = 1 in the guest state (27.3.1.5), so those scenarios write "Guest RFLAGS" 202H.

  Sources: SDM Vol. 3C 25.8.3 "VM-Entry Controls for Event Injection"; 27.6 "Event Injection"; 27.6.1
  "Vectored-Event Injection"; 27.6.1.1 "Details of Vectored-Event Injection"; 27.6.1.2 "VM Exits During
  Event Injection"; 27.3.1.5 "Checks on Guest Non-Register State"; 28.2.2 "Information for VM Exits Due to
  Vectored Events"; 28.2.4 "Information for VM Exits During Event Delivery"; 28.2 "Recording VM-Exit
  Information and Updating VM-Entry Control Fields" (clearing the valid bit); Vol. 3A 6.13 "Error Code".

  Background:
    Given a VMCS set up for a 64-bit guest
    And the "HLT exiting" control is set
    And the guest code is:
      """
      nop
      nop
      vmcall
      """

  @sdm:27.6.1 @sdm:27.6.1.1 @control:hlt-exiting @exit-reason:12 @requires:hlt-exiting
  Scenario: An injected external interrupt is delivered through the guest IDT before the first guest instruction
    Given the VMM has written 0x202 to "Guest RFLAGS"
    And the VMM has written 0x80000040 to "VM-entry interruption-information field"
    When the VMM launches the guest
    Then the guest exits with basic exit reason 12 ("HLT")
    And the guest's handler for vector 0x40 has run 1 time
    And the guest's handler was entered with return RIP 0x400000
    And the bit fields of "VM-entry interruption-information field" read:
      | bits | value | meaning                           |
      | 31   | 0     | valid bit cleared by the VM exit  |

  @sdm:27.6.1.1 @exception:PF @control:hlt-exiting @exit-reason:12 @requires:hlt-exiting
  Scenario: An injected #PF pushes the VM-entry exception error code
    Given the VMM has written 0x80000b0e to "VM-entry interruption-information field"
    And the VMM has written 2 to "VM-entry exception error code"
    When the VMM launches the guest
    Then the guest exits with basic exit reason 12 ("HLT")
    And the guest's #PF handler has run 1 time
    And the guest's handler was entered with error code 2 and return RIP 0x400000

  @sdm:27.6.1.1 @control:hlt-exiting @exit-reason:12 @requires:hlt-exiting
  Scenario Outline: An injected <event> (type <type>) pushes Guest RIP plus the VM-entry instruction length <length>
    Given the VMM has written <information> to "VM-entry interruption-information field"
    And the VMM has written <length> to "VM-entry instruction length"
    When the VMM launches the guest
    Then the guest exits with basic exit reason 12 ("HLT")
    And the guest's handler for vector <vector> has run 1 time
    And the guest's handler was entered with return RIP <rip>

    Examples:
      | event                        | type | information | vector | length | rip      |
      | software interrupt INT 80H   | 4    | 0x80000480  | 0x80   | 2      | 0x400002 |
      | software exception INT3      | 6    | 0x80000603  | 3      | 1      | 0x400001 |
      | privileged software exception INT1 | 5 | 0x80000501 | 1   | 1      | 0x400001 |

  @sdm:27.6.1.2 @exception:UD @control:hlt-exiting @exit-reason:12 @requires:hlt-exiting
  Scenario: An injected #UD is delivered to the guest even though the exception bitmap intercepts #UD
    Given the exception bitmap intercepts #UD
    And the VMM has written 0x80000306 to "VM-entry interruption-information field"
    When the VMM launches the guest
    Then the guest exits with basic exit reason 12 ("HLT")
    And the guest's #UD handler has run 1 time

  @sdm:27.6.1.2 @control:nmi-exiting @control:hlt-exiting @exit-reason:12 @requires:nmi-exiting @requires:hlt-exiting
  Scenario: An injected NMI is delivered to the guest even though "NMI exiting" is 1
    Given the "NMI exiting" control is set
    And the VMM has written 0x80000202 to "VM-entry interruption-information field"
    When the VMM launches the guest
    Then the guest exits with basic exit reason 12 ("HLT")
    And the guest's handler for vector 2 has run 1 time

  @sdm:27.6.1.1 @control:virtual-nmis @control:hlt-exiting @exit-reason:12
  @requires:nmi-exiting @requires:virtual-nmis @requires:hlt-exiting
  Scenario: With "virtual NMIs", injecting an NMI establishes virtual-NMI blocking
    The guest's NMI handler halts without IRET, so the blocking is still there at the VM exit (bit 3 of the
    interruptibility state, which with "virtual NMIs" = 1 reports virtual-NMI blocking).

    Given the "NMI exiting" control is set
    And the "Virtual NMIs" control is set
    And the VMM has written 0x80000202 to "VM-entry interruption-information field"
    When the VMM launches the guest
    Then the guest exits with basic exit reason 12 ("HLT")
    And the guest's handler for vector 2 has run 1 time
    And the bit fields of "Guest interruptibility state" read:
      | bits | value | meaning                |
      | 3    | 1     | virtual-NMI blocking   |

  @sdm:28.2.4 @sdm:27.6.1.2 @exception:NP @exit-reason:0
  Scenario: An injected external interrupt whose IDT gate is not present: the #NP exits, and IDT-vectoring information names the interrupt
    The #NP error code names the IDT gate: index 40H, IDT bit (1) set, and EXT (bit 0) set because the event
    being delivered is external: 40H × 8 + 2 + 1 = 203H.

    Given the guest IDT gate for vector 0x40 is not present
    And the exception bitmap intercepts #NP
    And the VMM has written 0x202 to "Guest RFLAGS"
    And the VMM has written 0x80000040 to "VM-entry interruption-information field"
    When the VMM launches the guest
    Then the guest exits because of a #NP(0x203) hardware exception
    And the bit fields of "IDT-vectoring information field" read:
      | bits | value | meaning                                 |
      | 7:0  | 0x40  | vector                                  |
      | 10:8 | 0     | interruption type: external interrupt   |
      | 11   | 0     | no error code                           |
      | 31   | 1     | valid                                   |
    And "Guest RIP" reads 0x400000
    And the bit fields of "VM-entry interruption-information field" read:
      | bits | value | meaning                          |
      | 31   | 0     | valid bit cleared by the VM exit |

  @sdm:28.2.4 @exception:NP @exception:UD @exit-reason:0
  Scenario: A #UD whose delivery meets a not-present gate: the #NP exits and IDT-vectoring information names the #UD
    #UD is a benign exception, so the #NP raised while delivering it is handled serially (not as a double
    fault, Vol. 3A Table 6-5). Its error code names the gate: 6 × 8 + 2 (IDT) + 1 (EXT) = 33H.

    Given the guest IDT gate for vector 6 is not present
    And the exception bitmap intercepts #NP
    And the guest code is:
      """
      nop
      ud2
      """
    When the VMM launches the guest
    Then the guest exits because of a #NP(0x33) hardware exception
    And "IDT-vectoring information field" reads 0x80000306
    And "Guest RIP" reads 0x400001

  @sdm:28.2.4 @exception:PF @exception:GP @exit-reason:0
  Scenario: A #GP whose delivery faults on an unmapped stack: the #PF exits and IDT-vectoring information names the #GP
    The guest's stack is at 40001000H, which is not mapped: pushing the #GP's stack frame raises #PF (a
    supervisor-mode write to a not-present page, error code 2) at an address in the page below. A page fault
    during delivery of a contributory exception is handled serially (Vol. 3A Table 6-5). The IDT-vectoring
    error code is the #GP's error code, 0.

    Given the VMM has written 0x40001000 to "Guest RSP"
    And the exception bitmap intercepts #PF
    And the guest code is:
      """
      mov rbx, 0x8000000000000000
      mov rax, qword ptr [rbx]
      """
    When the VMM launches the guest
    Then the guest exits because of a #PF(2) hardware exception
    And "IDT-vectoring information field" reads 0x80000b0d
    And "IDT-vectoring error code" reads 0
    And "Exit qualification" is between 0x40000000 and 0x40000fff
    And "Guest RIP" reads 0x40000a

  @sdm:28.2.4 @exit-reason:10
  Scenario: A VM exit that does not interrupt event delivery leaves the IDT-vectoring information invalid
    Given the guest code is:
      """
      cpuid
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 10 ("CPUID")
    And the bit fields of "IDT-vectoring information field" read:
      | bits | value | meaning |
      | 31   | 0     | invalid |
