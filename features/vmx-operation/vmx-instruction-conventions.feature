@area:vmx-operation
Feature: Rules every VMX instruction shares: #UD outside VMX operation, #GP(0) above CPL 0, the RFLAGS conventions
  Every VMX instruction other than VMXON is undefined outside VMX operation (#UD). In VMX root operation
  every VMX instruction, VMXON and VMCALL included, raises #GP(0) at CPL > 0; that check comes before any
  operand is examined. An instruction that completes reports through RFLAGS (31.2):
    VMsucceed      CF, PF, AF, ZF, SF and OF cleared;
    VMfailInvalid  CF set, PF, AF, ZF, SF and OF cleared (there is no current VMCS to hold an error);
    VMfailValid    ZF set, CF, PF, AF, SF and OF cleared, and the error number written to the
                   VM-instruction error field of the current VMCS.
  VMfail(n) is VMfailValid(n) when there is a current VMCS and VMfailInvalid when there is none.

  The scenarios that start with every arithmetic flag set need the root-state extension (the VMM cannot
  otherwise choose its own RFLAGS through the contract); the last scenario shows the same conventions by
  chaining outcomes instead.

  Sources: SDM Vol. 3C 31.1 "Overview"; 31.2 "Conventions"; 31.3 "VMX Instructions" (the Operation section of
  each instruction: INVEPT, INVVPID, VMCALL, VMCLEAR, VMLAUNCH/VMRESUME, VMPTRLD, VMPTRST, VMREAD, VMWRITE,
  VMXOFF, VMXON); 31.4 "VM Instruction Error Numbers".

  @sdm:31.3 @exception:UD
  Scenario Outline: <instruction> raises #UD outside VMX operation
    Only VMXON may execute outside VMX operation; CR4.VMXE is set so that the #UD is the one for being
    outside VMX operation.

    Given a logical processor outside VMX operation
    And CR4.VMXE is set
    When the VMM executes <instruction>
    Then the instruction raises #UD

    Examples:
      | instruction                                   |
      | VMXOFF                                        |
      | VMCLEAR of VMCS A                             |
      | VMPTRLD of VMCS A                             |
      | VMPTRST                                       |
      | VMREAD of "Guest RIP"                         |
      | VMWRITE of 0x400000 to "Guest RIP"            |
      | VMLAUNCH                                      |
      | VMRESUME                                      |
      | VMCALL                                        |
      | INVEPT with type 2 and descriptor 0, 0        |
      | INVVPID with type 2 and descriptor 0, 0       |

  @sdm:31.3 @exception:GP @requires:cpl
  Scenario Outline: <instruction> raises #GP(0) at CPL 3 in VMX root operation
    Given the logical processor is in VMX root operation
    And VMCS A is the current VMCS
    And the logical processor runs at CPL 3
    When the VMM executes <instruction>
    Then the instruction raises #GP(0)

    Examples:
      | instruction                                   |
      | VMXON                                         |
      | VMXOFF                                        |
      | VMCLEAR of VMCS A                             |
      | VMPTRLD of VMCS A                             |
      | VMPTRST                                       |
      | VMREAD of "Guest RIP"                         |
      | VMWRITE of 0x400000 to "Guest RIP"            |
      | VMLAUNCH                                      |
      | VMRESUME                                      |
      | VMCALL                                        |

    # INVEPT and INVVPID are #UD on processors that do not support them (31.3, their Exceptions sections).
    @requires:invept
    Examples: INVEPT, where the processor supports it
      | instruction                                   |
      | INVEPT with type 2 and descriptor 0, 0        |

    @requires:invvpid
    Examples: INVVPID, where the processor supports it
      | instruction                                   |
      | INVVPID with type 2 and descriptor 0, 0       |

  @sdm:31.2 @requires:root-state
  Scenario Outline: VMsucceed clears CF, PF, AF, ZF, SF and OF (<instruction>)
    Given the logical processor is in VMX root operation
    And VMCS A is the current VMCS
    And the VMM's RFLAGS has CF, PF, AF, ZF, SF and OF set
    When the VMM executes <instruction>
    Then the instruction succeeds

    Examples:
      | instruction                                   |
      | VMPTRLD of VMCS A                             |
      | VMPTRST                                       |
      | VMREAD of "Guest RIP"                         |
      | VMWRITE of 0x400000 to "Guest RIP"            |

  @sdm:31.2 @requires:root-state
  Scenario Outline: With no current VMCS, VMfailInvalid sets CF and clears PF, AF, ZF, SF and OF (<instruction>)
    Given the logical processor is in VMX root operation
    And the VMM's RFLAGS has CF, PF, AF, ZF, SF and OF set
    When the VMM executes <instruction>
    Then the instruction fails with VMfailInvalid

    Examples:
      | instruction                                   |
      | VMREAD of "Guest RIP"                         |
      | VMWRITE of 0x400000 to "Guest RIP"            |
      | VMLAUNCH                                      |
      | VMXON                                         |
      | VMPTRLD with the VMXON pointer                |

  @sdm:31.2 @sdm:31.4 @requires:root-state
  Scenario Outline: With a current VMCS, VMfailValid sets ZF, clears CF, PF, AF, SF and OF, and records error <error>
    Given the logical processor is in VMX root operation
    And VMCS A is the current VMCS
    And the VMM's RFLAGS has CF, PF, AF, ZF, SF and OF set
    When the VMM executes <instruction>
    Then the instruction fails with VMfailValid and VM-instruction error <error>

    @vm-error:1
    Examples:
      | instruction                     | error                                                    |
      | VMCALL                          | 1 ("VMCALL executed in VMX root operation")              |

    @vm-error:3
    Examples:
      | instruction                     | error                                                    |
      | VMCLEAR with the VMXON pointer  | 3 ("VMCLEAR with VMXON pointer")                         |

    @vm-error:5
    Examples:
      | instruction                     | error                                                    |
      | VMRESUME                        | 5 ("VMRESUME with non-launched VMCS")                    |

    @vm-error:10
    Examples:
      | instruction                     | error                                                    |
      | VMPTRLD with the VMXON pointer  | 10 ("VMPTRLD with VMXON pointer")                        |

    @vm-error:12
    Examples:
      | instruction                     | error                                                    |
      | VMREAD with the encoding 0x1000 | 12 ("VMREAD/VMWRITE from/to unsupported VMCS component") |

    @vm-error:15
    Examples:
      | instruction                     | error                                                    |
      | VMXON                           | 15 ("VMXON executed in VMX root operation")              |

  @sdm:31.2 @vm-error:15
  Scenario: Each VMX instruction sets RFLAGS afresh: VMfailValid, VMsucceed, VMfailInvalid, VMsucceed in a row
    Each outcome clears the flags the previous one set: ZF after VMfailValid, CF after VMfailInvalid.

    Given the logical processor is in VMX root operation
    And VMCS A is the current VMCS
    When the VMM executes VMXON
    Then the instruction fails with VMfailValid and VM-instruction error 15 ("VMXON executed in VMX root operation")
    When the VMM executes VMCLEAR of VMCS A
    Then the instruction succeeds
    When the VMM executes VMREAD of "Guest RIP"
    Then the instruction fails with VMfailInvalid
    When the VMM executes VMPTRLD of VMCS A
    Then the instruction succeeds
