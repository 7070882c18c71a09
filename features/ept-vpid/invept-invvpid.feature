@area:ept-vpid
Feature: INVEPT and INVVPID operands: which types and descriptors the processor accepts
  INVEPT and INVVPID take a type in a register (64 bits in 64-bit mode) and a 128-bit descriptor in memory.
  After the checks every VMX instruction makes (#UD outside VMX operation, #GP(0) at CPL > 0; see
  features/vmx-operation/vmx-instruction-conventions.feature), each fails with VMfail(Invalid operand to
  INVEPT/INVVPID), VM-instruction error 28, if its operands break a rule; that is VMfailValid with a current
  VMCS, VMfailInvalid without one (31.2).

  INVEPT (31.3): the types are 1 (single-context) and 2 (all-context), supported where
  IA32_VMX_EPT_VPID_CAP bits 25 and 26 are 1. Any other type fails, 0 and 3 included, and so does a value with
  any of bits 63:32 set. The descriptor's bits 63:0 are an EPTP. For single-context, an EPTP with which VM
  entry would fail (memory type, page-walk length, reserved bits; see ept-pointer.feature) fails INVEPT; for
  all-context the descriptor is not examined.

  INVVPID (31.3): the types are 0 (individual-address), 1 (single-context), 2 (all-context) and 3
  (single-context-retaining-globals), supported where IA32_VMX_EPT_VPID_CAP bits 40 to 43 are 1. The
  descriptor holds a VPID in bits 15:0 and a linear address in bits 127:64; bits 63:16 are reserved and must
  be 0 for every type. Types 0, 1 and 3 fail with VPID 0000H (the VMM's own). Type 0 also fails when the
  linear address is not canonical; the other types do not look at it. Type 2 does not look at the VPID.

  Sources: SDM Vol. 3C 29.1 "Virtual Processor Identifiers (VPIDs)"; 29.4.3.1 "Operations that Invalidate
  Cached Mappings"; 31.2 "Conventions"; 31.3 "VMX Instructions" (INVEPT—Invalidate Translations Derived from
  EPT, INVVPID—Invalidate Translations Based on VPID: Operation); 31.4 "VM Instruction Error Numbers";
  Appendix A.10 "VPID and EPT Capabilities".

  Rule: INVEPT

    Background:
      Given a VMCS set up for a 64-bit guest
      And the VMM enables EPT with an identity map of guest-physical memory

    @sdm:31.3 @sdm:29.4.3.1 @control:enable-ept @requires:enable-ept @requires:invept-single-context
    Scenario: INVEPT single-context with the EPTP of the current VMCS succeeds
      When the VMM executes INVEPT with type 1 and the current EPT pointer as descriptor
      Then the instruction succeeds

    @sdm:31.3 @sdm:29.4.3.1 @control:enable-ept @requires:enable-ept @requires:invept-all-context
    Scenario: INVEPT all-context succeeds without examining its descriptor
      The descriptor's EPTP 0 (memory type UC, page-walk length 1) would fail VM entry; all-context does not
      look at it.

      When the VMM executes INVEPT with type 2 and descriptor 0, 0
      Then the instruction succeeds

    @sdm:31.3 @sdm:A.10 @vm-error:28 @control:enable-ept @requires:enable-ept @requires:invept
    Scenario Outline: INVEPT with type <type> (<why>) fails with VM-instruction error 28
      When the VMM executes INVEPT with type <type> and the current EPT pointer as descriptor
      Then the instruction fails with VMfailValid and VM-instruction error 28 ("Invalid operand to INVEPT/INVVPID")

      Examples:
        | type       | why                                          |
        | 0          | no such INVEPT type                          |
        | 4294967298 | 1_0000_0002H: bits 63:32 of the type are set |

    @sdm:31.3 @sdm:27.2.1.1 @vm-error:28 @control:enable-ept @requires:enable-ept @requires:invept-single-context
    Scenario Outline: INVEPT single-context fails with error 28 when the descriptor's EPTP <rule>
      Given the VMM sets bits <bits> of the EPT pointer to <value>
      When the VMM executes INVEPT with type 1 and the current EPT pointer as descriptor
      Then the instruction fails with VMfailValid and VM-instruction error 28 ("Invalid operand to INVEPT/INVVPID")

      Examples:
        | rule                                          | bits | value |
        | names memory type 7 (reserved)                | 2:0  | 7     |
        | gives a page-walk length of 3 (bits 5:3 = 2)  | 5:3  | 2     |

    @sdm:31.3 @sdm:31.2 @control:enable-ept @requires:enable-ept @requires:invept
    Scenario: INVEPT with an unsupported type fails with VMfailInvalid when there is no current VMCS
      VMCLEAR of the current VMCS leaves the logical processor without one (31.3 VMCLEAR).

      When the VMM executes VMCLEAR of VMCS A
      Then the instruction succeeds
      When the VMM executes INVEPT with type 0 and descriptor 0, 0
      Then the instruction fails with VMfailInvalid

  Rule: INVVPID

    Background:
      Given a VMCS set up for a 64-bit guest

    @sdm:31.3 @sdm:29.4.3.1 @requires:enable-vpid
    Scenario Outline: INVVPID <type name> succeeds with <descriptor>
      When the VMM executes INVVPID with type <type> and descriptor <bits 63:0>, <bits 127:64>
      Then the instruction succeeds

      @requires:invvpid-individual-address
      Examples: individual-address (type 0)
        | type name          | type | bits 63:0 | bits 127:64 | descriptor                       |
        | individual-address | 0    | 1         | 0x800000    | VPID 1 and a canonical address   |

      @requires:invvpid-single-context
      Examples: single-context (type 1)
        | type name      | type | bits 63:0 | bits 127:64           | descriptor                                          |
        | single-context | 1    | 1         | 0                     | VPID 1                                              |
        | single-context | 1    | 1         | 0x8000_0000_0000_0000 | VPID 1 and a non-canonical address, which it ignores |

      @requires:invvpid-all-context
      Examples: all-context (type 2)
        | type name   | type | bits 63:0 | bits 127:64 | descriptor                           |
        | all-context | 2    | 0         | 0           | VPID 0000H, which it ignores         |

      @requires:invvpid-single-context-retaining-globals
      Examples: single-context-retaining-globals (type 3)
        | type name                        | type | bits 63:0 | bits 127:64 | descriptor |
        | single-context-retaining-globals | 3    | 1         | 0           | VPID 1     |

    @sdm:31.3 @vm-error:28 @requires:enable-vpid
    Scenario Outline: INVVPID type <type> fails with VM-instruction error 28: <rule>
      When the VMM executes INVVPID with type <type> and descriptor <bits 63:0>, <bits 127:64>
      Then the instruction fails with VMfailValid and VM-instruction error 28 ("Invalid operand to INVEPT/INVVPID")

      @requires:invvpid
      Examples: no such INVVPID type
        | type | bits 63:0 | bits 127:64 | rule                                  |
        | 4    | 1         | 0           | type 4 is not an INVVPID type         |

      @requires:invvpid-individual-address
      Examples: individual-address
        | type | bits 63:0 | bits 127:64           | rule                                      |
        | 0    | 0         | 0x800000              | VPID 0000H                                |
        | 0    | 1         | 0x8000_0000_0000_0000 | the linear address is not canonical       |

      @requires:invvpid-single-context
      Examples: single-context
        | type | bits 63:0 | bits 127:64 | rule                                      |
        | 1    | 0         | 0           | VPID 0000H                                |
        | 1    | 0x1_0001  | 0           | bit 16 (reserved, bits 63:16) is set      |

      @requires:invvpid-all-context
      Examples: all-context
        | type | bits 63:0             | bits 127:64 | rule                                                  |
        | 2    | 0x8000_0000_0000_0000 | 0           | bit 63 (reserved, bits 63:16) is set, for this type too |
