@area:events
Feature: Exceptions in VMX non-root operation: the exception bitmap, the #PF error-code mask and match, triple fault
  An exception in the guest causes a VM exit with basic exit reason 0 ("Exception or non-maskable interrupt
  (NMI)") if the bit for its vector is 1 in the 32-bit exception bitmap; otherwise it is delivered through the
  guest's IDT as usual. A page fault is special: with bit 14 set, #PF exits if (error code AND page-fault
  error-code mask) equals the page-fault error-code match; with bit 14 clear, it exits if they differ. A
  triple fault always causes a VM exit, with basic exit reason 2. Software interrupts (INT n) are not
  exceptions and never consult the bitmap.

  An exception that exits is not delivered: it leaves no trace in the guest (no stack frame; a #PF does not
  load CR2, and its faulting linear address is the exit qualification instead). The VMM learns it from the
  VM-exit interruption information (vector in bits 7:0, type in bits 10:8 — 3 hardware exception, 5
  privileged software exception (INT1), 6 software exception (INT3, INTO) — bit 11 "error code valid",
  bit 31 valid) and the VM-exit interruption error code. For a fault "Guest RIP" is the faulting instruction;
  for INT3 and INT1, which the SDM counts as instructions, it is the INT3/INT1 itself and "VM-exit instruction
  length" is 1.

  The guest's IDT gates lead to small handlers that count each delivery in a byte of guest memory and then
  halt; with "HLT exiting" that halt returns control to the VMM (basic exit reason 12), so "the guest's #PF
  handler has run 1 time" and the interrupt stack frame at "Guest RSP" show that the guest itself handled it.

  Sources: SDM Vol. 3C 25.6.3 "Exception Bitmap"; 26.2 "Other Causes of VM Exits" (exceptions, triple fault);
  28.1 "Architectural State Before a VM Exit" (CR2 not loaded); 28.2.1 "Basic VM-Exit Information" (exit
  qualification for #PF); 28.2.2 "Information for VM Exits Due to Vectored Events"; 28.2.5 "Information for
  VM Exits Due to Instruction Execution" (instruction length for INT3 and INT1); Vol. 3A 6.15 "Exception and
  Interrupt Reference", 4.7 "Page-Fault Exceptions".

  Background:
    Given a VMCS set up for a 64-bit guest

  @sdm:25.6.3 @sdm:28.2.2 @exit-reason:0
  Scenario Outline: <exception> with its bit set in the exception bitmap causes a VM exit with basic exit reason 0
    Given the exception bitmap intercepts <exception>
    And the guest code is:
      """
      <code>
      """
    When the VMM launches the guest
    Then the guest exits because of a <exception> <kind> exception
    And "VM-exit interruption information" reads <information>
    And "Guest RIP" reads <rip>
    And the guest's <exception> handler has run 0 times

    @exception:DE
    Examples: divide error
      | exception | code                                                 | kind     | information | rip      |
      | #DE       | xor ecx, ecx\n      div ecx                          | hardware | 0x80000300  | 0x400002 |

    @exception:UD
    Examples: invalid opcode
      | exception | code | kind     | information | rip      |
      | #UD       | ud2  | hardware | 0x80000306  | 0x400000 |

    @exception:GP
    Examples: general protection (non-canonical address)
      | exception | code                                                            | kind     | information | rip      |
      | #GP(0)    | mov rbx, 0x8000000000000000\n      mov rax, qword ptr [rbx]     | hardware | 0x80000b0d  | 0x40000a |

    @exception:SS
    Examples: stack fault (non-canonical stack)
      | exception | code                                              | kind     | information | rip      |
      | #SS(0)    | mov rsp, 0x8000000000000000\n      push rax           | hardware | 0x80000b0c  | 0x40000a |

    @exception:PF
    Examples: page fault (not-present read)
      | exception | code                                   | kind     | information | rip      |
      | #PF(0)    | mov rax, qword ptr [0x40000000]        | hardware | 0x80000b0e  | 0x400000 |

    @exception:BP
    Examples: breakpoint (INT3, a software exception)
      | exception | code | kind     | information | rip      |
      | #BP       | int3 | software | 0x80000603  | 0x400000 |

  @sdm:28.2.5 @exception:BP @exit-reason:0
  Scenario: The VM exit for INT3 reports the instruction length 1
    Given the exception bitmap intercepts #BP
    And the guest code is:
      """
      nop
      int3
      """
    When the VMM launches the guest
    Then the guest exits because of a #BP software exception
    And "Guest RIP" reads 0x400001
    And "VM-exit instruction length" reads 1

  @sdm:28.2.2 @sdm:28.2.5 @exception:DB @exit-reason:0
  Scenario: INT1 is a privileged software exception (type 5): with #DB intercepted it exits with instruction length 1
    Given the exception bitmap intercepts #DB
    And the guest code is:
      """
      int1
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 0 ("Exception or non-maskable interrupt (NMI)")
    And "VM-exit interruption information" reads 0x80000501
    And "Guest RIP" reads 0x400000
    And "VM-exit instruction length" reads 1

  @sdm:25.6.3 @control:hlt-exiting @exit-reason:12 @requires:hlt-exiting
  Scenario Outline: <exception> with its bit clear in the exception bitmap is delivered to the guest's own handler
    Given the VMM has written 0 to "Exception bitmap"
    And the "HLT exiting" control is set
    And the guest code is:
      """
      <code>
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 12 ("HLT")
    And the guest's <exception> handler has run 1 time
    And <frame>

    @exception:UD
    Examples:
      | exception | code | frame                                                       |
      | #UD       | ud2  | the guest's handler was entered with return RIP 0x400000    |

    @exception:BP
    Examples: INT3 is a trap: the return RIP follows it
      | exception | code | frame                                                       |
      | #BP       | int3 | the guest's handler was entered with return RIP 0x400001    |

    @exception:GP
    Examples:
      | exception | code                                                        | frame                                                                      |
      | #GP       | mov rbx, 0x8000000000000000\n      mov rax, qword ptr [rbx] | the guest's handler was entered with error code 0 and return RIP 0x40000a |

  @sdm:28.1 @sdm:28.2.1 @exception:PF @exit-reason:0
  Scenario: A #PF that causes a VM exit does not load CR2; the exit qualification holds the faulting address
    The guest sets CR2 to 1234000H before the fault; after the VM exit CR2 still holds it.

    Given the exception bitmap intercepts #PF
    And the guest code is:
      """
      mov eax, 0x1234000
      mov cr2, rax
      mov rax, qword ptr [0x40000008]
      """
    When the VMM launches the guest
    Then the guest exits because of a #PF(0) hardware exception
    And "Exit qualification" reads 0x40000008
    And the processor's CR2 is 0x1234000

  @sdm:25.6.3 @exception:PF @control:hlt-exiting @exit-reason:12 @requires:hlt-exiting
  Scenario: A #PF delivered to the guest loads CR2 and pushes its error code
    Given the "HLT exiting" control is set
    And the guest code is:
      """
      mov byte ptr [0x40000010], 1
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 12 ("HLT")
    And the guest's #PF handler has run 1 time
    And the guest's handler was entered with error code 2 and return RIP 0x400000
    And the processor's CR2 is 0x40000010

  @sdm:26.2 @sdm:25.6.3 @exception:PF @control:hlt-exiting @requires:hlt-exiting
  Scenario Outline: #PF with error code <error code> (<access>), exception-bitmap bit 14 = <bit 14>, mask <mask>, match <match>: <outcome>
    With bit 14 = 1 the #PF exits if (error code AND mask) = match; with bit 14 = 0 if they differ. The page at
    1000000H is mapped read-only; 40000000H is not mapped at all.

    Given the guest maps the 2-MByte page at 0x1000000 read-only
    And the VMM has written <bitmap> to "Exception bitmap"
    And the VMM has written <mask> to "Page-fault error-code mask"
    And the VMM has written <match> to "Page-fault error-code match"
    And the "HLT exiting" control is set
    And the guest code is:
      """
      <code>
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason <reason> ("<name>")
    And the guest's #PF handler has run <runs>

    @exit-reason:0
    Examples: the rule says exit
      | access                    | code                         | error code | bit 14 | bitmap | mask | match | outcome               | reason | name                                       | runs    |
      | read of a not-present page  | mov rax, [0x40000000]        | 0          | 1      | 0x4000 | 0x0  | 0x0   | exits: 0 AND 0 = 0    | 0      | Exception or non-maskable interrupt (NMI) | 0 times |
      | read of a not-present page  | mov rax, [0x40000000]        | 0          | 0      | 0x0    | 0x0  | 0x1   | exits: 0 AND 0 ≠ 1    | 0      | Exception or non-maskable interrupt (NMI) | 0 times |
      | write to a not-present page | mov byte ptr [0x40000000], 1 | 2          | 1      | 0x4000 | 0x2  | 0x2   | exits: 2 AND 2 = 2    | 0      | Exception or non-maskable interrupt (NMI) | 0 times |
      | read of a not-present page  | mov rax, [0x40000000]        | 0          | 0      | 0x0    | 0x2  | 0x2   | exits: 0 AND 2 ≠ 2    | 0      | Exception or non-maskable interrupt (NMI) | 0 times |
      | write to a read-only page   | mov byte ptr [0x1000000], 1  | 3          | 1      | 0x4000 | 0x1  | 0x1   | exits: 3 AND 1 = 1    | 0      | Exception or non-maskable interrupt (NMI) | 0 times |

    @exit-reason:12
    Examples: the rule says deliver to the guest
      | access                    | code                         | error code | bit 14 | bitmap | mask | match | outcome                   | reason | name | runs    |
      | read of a not-present page  | mov rax, [0x40000000]        | 0          | 1      | 0x4000 | 0x0  | 0x1   | delivered: 0 AND 0 ≠ 1    | 12     | HLT  | 1 time  |
      | read of a not-present page  | mov rax, [0x40000000]        | 0          | 0      | 0x0    | 0x0  | 0x0   | delivered: 0 AND 0 = 0    | 12     | HLT  | 1 time  |
      | read of a not-present page  | mov rax, [0x40000000]        | 0          | 1      | 0x4000 | 0x2  | 0x2   | delivered: 0 AND 2 ≠ 2    | 12     | HLT  | 1 time  |
      | write to a not-present page | mov byte ptr [0x40000000], 1 | 2          | 0      | 0x0    | 0x2  | 0x2   | delivered: 2 AND 2 = 2    | 12     | HLT  | 1 time  |
      | write to a not-present page | mov byte ptr [0x40000000], 1 | 2          | 1      | 0x4000 | 0x1  | 0x1   | delivered: 2 AND 1 ≠ 1    | 12     | HLT  | 1 time  |

  @sdm:26.2 @sdm:28.2.2 @exception:PF @exit-reason:0
  Scenario: A #PF that exits under the mask/match rule reports its error code
    Given the guest maps the 2-MByte page at 0x1000000 read-only
    And the VMM has written 0x4000 to "Exception bitmap"
    And the VMM has written 0x1 to "Page-fault error-code mask"
    And the VMM has written 0x1 to "Page-fault error-code match"
    And the guest code is:
      """
      mov byte ptr [0x1000000], 1
      """
    When the VMM launches the guest
    Then the guest exits because of a #PF(3) hardware exception
    And "Exit qualification" reads 0x1000000

  @sdm:26.2 @control:hlt-exiting @exit-reason:12 @requires:hlt-exiting
  Scenario: INT n is a software interrupt, not an exception: it is delivered even when every exception-bitmap bit is 1
    Given the VMM has written 0xffffffff to "Exception bitmap"
    And the "HLT exiting" control is set
    And the guest code is:
      """
      int 0x80
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 12 ("HLT")
    And the guest's handler for vector 0x80 has run 1 time
    And the guest's handler was entered with return RIP 0x400002

  @sdm:26.2 @exit-reason:2
  Scenario: A triple fault in the guest causes a VM exit with basic exit reason 2
    With an IDT limit of 0 no gate can be read: the #UD from UD2 becomes #GP, then #DF, then a triple fault.

    Given the VMM has written 0 to "Guest IDTR limit"
    And the guest code is:
      """
      ud2
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 2 ("Triple fault")
