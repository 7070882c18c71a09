@area:vm-entry
Feature: Checks on the VMX controls: VM entry fails with VMfailValid and error 7
  VM entry checks the VM-execution, VM-exit and VM-entry control fields before it looks at the guest
  (27.2.1); any failure makes VMLAUNCH or VMRESUME fail with VMfailValid, error 7 "VM entry with invalid
  control field(s)". These checks and those on the host-state area (error 8) may be performed in any
  order, so a VMCS that breaks rules of both kinds may report either error (31.4). Each scenario therefore
  starts from a valid 64-bit guest and breaks exactly one control rule.

  Reserved bits of each 32-bit control field must match the allowed-0 (bits 31:0) and allowed-1 (bits
  63:32) settings of its capability MSR: the TRUE MSR when IA32_VMX_BASIC[55] is 1, the plain one
  otherwise (A.2–A.5). The scenarios choose the bit from the MSR the processor reports, so the same rule is
  tested on every processor.

  The guest is a single VMCALL, so that an entry that wrongly succeeds ends in a VM exit instead of running
  away.

  Sources: SDM Vol. 3C 27.2.1 "Checks on VMX Controls" (27.2.1.1 "VM-Execution Control Fields", 27.2.1.2
  "VM-Exit Control Fields", 27.2.1.3 "VM-Entry Control Fields"); 25.6 "VM-Execution Control Fields";
  25.7 "VM-Exit Control Fields"; 25.8 "VM-Entry Control Fields"; 31.4 "VM Instruction Error Numbers";
  Appendix A.2 "Reserved Controls and Default Settings", A.3 "VM-Execution Controls", A.4 "VM-Exit
  Controls", A.5 "VM-Entry Controls", A.6 "Miscellaneous Data".

  Background:
    Given a VMCS set up for a 64-bit guest
    And the guest code is:
      """
      vmcall
      """

  @sdm:27.2.1 @sdm:A.2 @vm-error:7
  Scenario Outline: A bit of the <field> controls set against its allowed setting: the VMM <action> a bit the capability MSR requires to be <required>
    Given the VMM <action>, in the "<field>" controls, a bit that the capability MSR requires to be <required>
    When the VMM launches the guest
    Then the instruction fails with VMfailValid and VM-instruction error 7 ("VM entry with invalid control field(s)")

    Examples: 32-bit control fields with default1 bits
      | field                   | action | required |
      | pin-based               | clears | 1        |
      | pin-based               | sets   | 0        |
      | primary processor-based | clears | 1        |
      | primary processor-based | sets   | 0        |
      | VM-exit                 | clears | 1        |
      | VM-exit                 | sets   | 0        |
      | VM-entry                | clears | 1        |
      | VM-entry                | sets   | 0        |

    @requires:primary-activate-secondary-controls
    Examples: the secondary processor-based controls, used when "activate secondary controls" is 1
      | field                     | action | required |
      | secondary processor-based | sets   | 0        |

  @sdm:27.2.1.1 @sdm:27.2.1.2 @vm-error:7
  Scenario Outline: "<second>" is 1 while "<first>" is 0
    Given the "<first>" control is clear
    And the "<second>" control is set
    When the VMM launches the guest
    Then the instruction fails with VMfailValid and VM-instruction error 7 ("VM entry with invalid control field(s)")

    @control:virtual-nmis @requires:virtual-nmis
    Examples: 27.2.1.1: if "NMI exiting" is 0, "virtual NMIs" must be 0
      | first       | second       |
      | NMI exiting | Virtual NMIs |

    @control:nmi-window-exiting @requires:nmi-window-exiting
    Examples: 27.2.1.1: if "virtual NMIs" is 0, "NMI-window exiting" must be 0
      | first        | second             |
      | Virtual NMIs | NMI-window exiting |

    @control:unrestricted-guest @requires:unrestricted-guest
    Examples: 27.2.1.1: if "unrestricted guest" is 1, "enable EPT" must be 1
      | first      | second             |
      | Enable EPT | Unrestricted guest |

    @control:save-vmx-preemption-timer-value @requires:save-vmx-preemption-timer-value
    Examples: 27.2.1.2: if "activate VMX-preemption timer" is 0, "save VMX-preemption timer value" must be 0
      | first                         | second                          |
      | Activate VMX-preemption timer | Save VMX-preemption timer value |

  @sdm:27.2.1.3 @vm-error:7
  Scenario Outline: "<control>" must be 0 outside SMM
    Given the "<control>" control is set
    When the VMM launches the guest
    Then the instruction fails with VMfailValid and VM-instruction error 7 ("VM entry with invalid control field(s)")

    @control:entry-to-smm @requires:entry-to-smm
    Examples:
      | control      |
      | Entry to SMM |

    @control:deactivate-dual-monitor-treatment @requires:deactivate-dual-monitor-treatment
    Examples:
      | control                           |
      | Deactivate dual-monitor treatment |

  @sdm:27.2.1.1 @vm-error:7
  Scenario Outline: With "<control>" 1, "<field>" = <value> is invalid: <rule>
    Given the "<control>" control is set
    And the VMM has written <value> to "<field>"
    When the VMM launches the guest
    Then the instruction fails with VMfailValid and VM-instruction error 7 ("VM entry with invalid control field(s)")

    @control:use-i-o-bitmaps @requires:use-i-o-bitmaps
    Examples: I/O bitmaps (25.6.4)
      | control         | field                   | value    | rule                          |
      | Use I/O bitmaps | Address of I/O bitmap A | 0x210800 | bits 11:0 of the address != 0 |
      | Use I/O bitmaps | Address of I/O bitmap B | 0x211008 | bits 11:0 of the address != 0 |

    @control:use-msr-bitmaps @requires:use-msr-bitmaps
    Examples: MSR bitmaps (25.6.9)
      | control         | field                  | value    | rule                          |
      | Use MSR bitmaps | Address of MSR bitmaps | 0x212800 | bits 11:0 of the address != 0 |

    @control:enable-vpid @requires:enable-vpid
    Examples: VPID (25.6.12)
      | control     | field                               | value | rule                          |
      | Enable VPID | Virtual-processor identifier (VPID) | 0     | the VPID must not be 0000H    |

  @sdm:27.2.1.1 @sdm:25.6.9 @vm-error:7 @control:use-msr-bitmaps @requires:use-msr-bitmaps
  Scenario: With "Use MSR bitmaps" 1, an MSR-bitmap address beyond the physical-address width is invalid
    Given the "Use MSR bitmaps" control is set
    And the VMM has written 0x212000 to "Address of MSR bitmaps"
    And the VMM sets, in "Address of MSR bitmaps", the lowest bit beyond the physical-address width
    When the VMM launches the guest
    Then the instruction fails with VMfailValid and VM-instruction error 7 ("VM entry with invalid control field(s)")

  @sdm:27.2.1.1 @sdm:25.6.7 @sdm:A.6 @vm-error:7
  Scenario: A CR3-target count above the number of CR3-target values the processor supports is invalid
    Given the VMM has written to "CR3-target count" one more than the number of CR3-target values IA32_VMX_MISC reports
    When the VMM launches the guest
    Then the instruction fails with VMfailValid and VM-instruction error 7 ("VM entry with invalid control field(s)")

  @sdm:27.2.1.2 @sdm:27.2.1.3 @sdm:25.7.2 @sdm:25.8.2 @vm-error:7
  Scenario Outline: With a <area> count of 1, an area address with bits 3:0 not zero is invalid
    Given the VMM has written 1 to "<area> count"
    And the VMM has written <address> to "<area> address"
    When the VMM launches the guest
    Then the instruction fails with VMfailValid and VM-instruction error 7 ("VM entry with invalid control field(s)")

    Examples:
      | area              | address  |
      | VM-exit MSR-store | 0x216004 |
      | VM-exit MSR-load  | 0x217008 |
      | VM-entry MSR-load | 0x215001 |

  @sdm:27.2.1.3 @sdm:25.8.3 @vm-error:7
  Scenario Outline: An invalid VM-entry interruption-information field: <what>
    Event injection is checked with the controls (27.2.1.3), so an invalid field fails with error 7 before
    the guest state is examined.

    Given the VMM has written <information> to "VM-entry interruption-information field"
    And the VMM has written <error code> to "VM-entry exception error code"
    And the VMM has written <length> to "VM-entry instruction length"
    When the VMM launches the guest
    Then the instruction fails with VMfailValid and VM-instruction error 7 ("VM entry with invalid control field(s)")

    Examples:
      | information | error code | length | what                                                            |
      | 0x8000_0100 | 0          | 0      | interruption type 1 is reserved                                 |
      | 0x8000_0203 | 0          | 0      | an NMI (type 2) must have vector 2                              |
      | 0x8000_0320 | 0          | 0      | a hardware exception (type 3) must have a vector below 32       |
      | 0x8000_0820 | 0          | 0      | deliver-error-code set for an external interrupt (type 0)       |
      | 0x8000_1202 | 0          | 0      | reserved bit 12 set                                             |
      | 0x8000_0b0d | 0x1_0000   | 0      | #GP with an error code that sets bits 31:16                     |
      | 0x8000_0480 | 0          | 16     | a software interrupt (type 4) with instruction length 16        |

    @requires:monitor-trap-flag
    Examples: type 7 ("other event") exists where the "monitor trap flag" control is supported
      | information | error code | length | what                                                            |
      | 0x8000_0701 | 0          | 0      | an "other event" (type 7) must have vector 0                    |
