@area:vm-entry
Feature: Checks on the guest-state area: VM entry fails with a VM exit, basic exit reason 33
  After the controls and the host-state area pass, VM entry checks the guest-state area (27.3.1). A failure
  here is not a VMfailValid: the processor loads the host state as on a VM exit (27.8) and reports exit
  reason 33 with bit 31 ("VM-entry failure") set and bits 30:16 clear. The exit qualification is 0, except
  for an invalid VMCS link pointer (4), a failure loading PDPTEs (2) and an NMI injection blocked by STI
  (3). Only a few other exit-information fields are written; the guest-state area is not modified, the
  valid bit of the VM-entry interruption-information field is not cleared, no MSRs are stored, and the
  launch state is not changed (a VMLAUNCH that fails here leaves the VMCS clear: 31.3 sets "launched" only
  after the MSR-load step succeeds).

  The guest-state checks may be performed in any order and a processor may report any of several
  failures, so each scenario breaks exactly one rule of 27.3.1 starting from a valid 64-bit guest
  (IA-32e mode guest, CS.L = 1, flat segments, TR a 64-bit busy TSS, RFLAGS = 2, activity state active).
  8000000000000000H is the non-canonical address (bits 63:N differ for any linear-address width N < 64).

  Sources: SDM Vol. 3C 27.3.1 "Checks on the Guest State Area" (27.3.1.1 "Checks on Guest Control
  Registers, Debug Registers, and MSRs", 27.3.1.2 "Checks on Guest Segment Registers", 27.3.1.3 "Checks on
  Guest Descriptor-Table Registers", 27.3.1.4 "Checks on Guest RIP, RFLAGS, and SSP", 27.3.1.5 "Checks on
  Guest Non-Register State"); 27.8 "VM-Entry Failures During or After Loading Guest State"; 25.4 "Guest-State
  Area"; 28.5 "Loading Host State"; 31.3 "VMX Instructions" (VMLAUNCH/VMRESUME); Appendix A.7, A.8; Appendix C
  "VMX Basic Exit Reasons".

  Background:
    Given a VMCS set up for a 64-bit guest
    And the guest code is:
      """
      vmcall
      """

  @sdm:27.3.1.1 @sdm:A.7 @sdm:A.8 @exit-reason:33
  Scenario Outline: <bit> clear in "<field>", a bit VMX operation fixes to 1
    Given the VMX capability MSRs fix <bit> to 1
    And the VMM clears <bit> in "<field>"
    When the VMM launches the guest
    Then VM entry fails with basic exit reason 33 ("VM-entry failure due to invalid guest state")
    And "Exit qualification" reads 0

    Examples:
      | bit      | field      |
      | CR0.NE   | Guest CR0  |
      | CR4.VMXE | Guest CR4  |

  @sdm:27.3.1.1 @exit-reason:33 @control:ia-32e-mode-guest
  Scenario: CR4.PAE clear in "Guest CR4" with "IA-32e mode guest" 1
    Given the VMM clears CR4.PAE in "Guest CR4"
    When the VMM launches the guest
    Then VM entry fails with basic exit reason 33 ("VM-entry failure due to invalid guest state")

  @sdm:27.3.1.1 @exit-reason:33
  Scenario: "Guest CR3" with a bit set beyond the physical-address width
    Given the VMM sets, in "Guest CR3", the lowest bit beyond the physical-address width
    When the VMM launches the guest
    Then VM entry fails with basic exit reason 33 ("VM-entry failure due to invalid guest state")

  @sdm:27.3.1 @exit-reason:33
  Scenario Outline: "<field>" = <value>: <rule>
    Given the VMM has written <value> to "<field>"
    When the VMM launches the guest
    Then VM entry fails with basic exit reason 33 ("VM-entry failure due to invalid guest state")

    @sdm:27.3.1.1
    Examples: MSRs (27.3.1.1)
      | field                   | value                 | rule                              |
      | Guest IA32_SYSENTER_ESP | 0x8000_0000_0000_0000 | must be canonical                 |
      | Guest IA32_SYSENTER_EIP | 0x8000_0000_0000_0000 | must be canonical                 |

    @sdm:27.3.1.2
    Examples: segment registers (27.3.1.2)
      | field                    | value       | rule                                                           |
      | Guest CS access rights   | 0xa098      | CS type must be an accessed code segment (9, 11, 13 or 15)    |
      | Guest CS access rights   | 0xa01b      | CS must be present (P = 1)                                     |
      | Guest CS access rights   | 0xa19b      | bits 11:8 are reserved                                         |
      | Guest CS access rights   | 0xe09b      | with IA-32e mode guest and CS.L = 1, CS.D must be 0            |
      | Guest DS access rights   | 0xc092      | a usable data segment must be accessed (type bit 0)            |
      | Guest ES limit           | 0xffff_f000 | G = 1 needs limit bits 11:0 all 1                              |
      | Guest FS base            | 0x8000_0000_0000_0000 | the FS base must be canonical                          |
      | Guest TR access rights   | 0x1_008b    | TR must be usable                                              |
      | Guest TR access rights   | 0x89        | with IA-32e mode guest, TR type must be 11 (busy 64-bit TSS)   |
      | Guest TR selector        | 0x1c        | the TR selector's TI flag must be 0                            |
      | Guest LDTR access rights | 0x83        | a usable LDTR must have type 2 (LDT)                           |

    @sdm:27.3.1.3
    Examples: descriptor-table registers (27.3.1.3)
      | field            | value                 | rule                          |
      | Guest GDTR limit | 0x1_0027              | bits 31:16 must be 0          |
      | Guest IDTR base  | 0x8000_0000_0000_0000 | must be canonical             |

    @sdm:27.3.1.4
    Examples: RIP and RFLAGS (27.3.1.4)
      | field        | value                 | rule                                                   |
      | Guest RIP    | 0x8000_0000_0000_0000 | canonical with IA-32e mode guest and CS.L = 1          |
      | Guest RFLAGS | 0x0                   | reserved bit 1 must be 1                               |
      | Guest RFLAGS | 0x8002                | reserved bit 15 must be 0                              |
      | Guest RFLAGS | 0x40_0002             | reserved bits 63:22 must be 0                          |

    @sdm:27.3.1.5
    Examples: non-register state (27.3.1.5)
      | field                          | value       | rule                                                |
      | Guest activity state           | 4           | only activity states 0 to 3 exist                   |
      | Guest interruptibility state   | 0x1         | blocking by STI needs RFLAGS.IF = 1                 |
      | Guest interruptibility state   | 0x4         | blocking by SMI only in SMM                         |
      | Guest interruptibility state   | 0x8000_0000 | bits 31:5 are reserved                              |
      | Guest pending debug exceptions | 0x10        | bits 11:4 are reserved                              |

  @sdm:27.3.1.1 @exit-reason:33 @control:entry-load-ia32-pat @requires:entry-load-ia32-pat
  Scenario: With "Load IA32_PAT" on VM entry, a "Guest IA32_PAT" entry with memory type 3 is invalid
    Given the "VM-entry: Load IA32_PAT" control is set
    And the VMM has written 0x0007_0406_0007_0403 to "Guest IA32_PAT"
    When the VMM launches the guest
    Then VM entry fails with basic exit reason 33 ("VM-entry failure due to invalid guest state")

  @sdm:27.3.1.1 @exit-reason:33 @control:entry-load-ia32-efer @requires:entry-load-ia32-efer
  Scenario: With "Load IA32_EFER" on VM entry, "Guest IA32_EFER".LMA must equal "IA-32e mode guest"
    LMA and LME are both 0 here, so LME = LMA holds and only the LMA rule is broken.

    Given the "VM-entry: Load IA32_EFER" control is set
    And the VMM has written 0 to "Guest IA32_EFER"
    When the VMM launches the guest
    Then VM entry fails with basic exit reason 33 ("VM-entry failure due to invalid guest state")

  @sdm:27.3.1.1 @exit-reason:33 @control:load-debug-controls @requires:load-debug-controls
  Scenario: With "Load debug controls" 1, "Guest DR7" bits 63:32 must be 0
    Given the "Load debug controls" control is set
    And the VMM has written 0x1_0000_0400 to "Guest DR7"
    When the VMM launches the guest
    Then VM entry fails with basic exit reason 33 ("VM-entry failure due to invalid guest state")

  @sdm:27.3.1.5 @sdm:27.8 @exit-reason:33
  Scenario Outline: An invalid VMCS link pointer (<problem>) fails VM entry with exit qualification 4
    With "VMCS shadowing" 0, a VMCS link pointer other than FFFFFFFF_FFFFFFFFH must be 4-KiB aligned, within
    the physical-address width, not the current-VMCS pointer, and reference a region whose bits 30:0 are the
    revision identifier and whose bit 31 is 0.

    Given a VMCS region B with <region>
    And the VMM has written <pointer> to "VMCS link pointer"
    When the VMM launches the guest
    Then VM entry fails with basic exit reason 33 ("VM-entry failure due to invalid guest state")
    And "Exit qualification" reads 4

    Examples:
      | problem                        | region                                           | pointer  |
      | not 4-KiB aligned              | the processor's VMCS revision identifier         | 0x202800 |
      | another revision identifier    | a revision identifier other than the processor's | 0x202000 |
      | a shadow VMCS with shadowing 0 | the shadow-VMCS indicator set                    | 0x202000 |
      | the current VMCS               | the processor's VMCS revision identifier         | 0x201000 |

  @sdm:27.3.1.5 @exit-reason:18
  Scenario: A VMCS link pointer to an ordinary VMCS region is valid with "VMCS shadowing" 0
    FFFFFFFF_FFFFFFFFH is what software should use, but 27.3.1.5 does not require it: a link pointer that
    passes the checks is accepted.

    Given a VMCS region B with the processor's VMCS revision identifier
    And the VMM has written the address of VMCS B to "VMCS link pointer"
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")

  @sdm:27.8 @exit-reason:33
  Scenario: After a guest-state failure the VMCS shows the failure and keeps the guest-state area and the injected event
    Given the VMX capability MSRs fix CR0.NE to 1
    And the VMM clears CR0.NE in "Guest CR0"
    And the VMM has written 0x8000_0202 to "VM-entry interruption-information field"
    When the VMM launches the guest
    Then VM entry fails with basic exit reason 33 ("VM-entry failure due to invalid guest state")
    And "Exit reason" reads 0x8000_0021
    And "Exit qualification" reads 0
    And "Guest CR0" still holds the value the VMM wrote to it
    And "Guest RIP" reads 0x400000
    And "Guest RSP" reads 0x3f0000
    And "VM-entry interruption-information field" reads 0x8000_0202

  @sdm:27.8 @sdm:28.5 @exit-reason:33
  Scenario: After a guest-state failure the processor is in VMX root operation with the host state loaded
    Given the VMM has written 0 to "Guest RFLAGS"
    When the VMM launches the guest
    Then VM entry fails with basic exit reason 33 ("VM-entry failure due to invalid guest state")
    And the logical processor remains in VMX root operation
    And the logical processor's state equals the host-state area:
      | rip         | Host RIP         |
      | rsp         | Host RSP         |
      | cr0         | Host CR0         |
      | cr3         | Host CR3         |
      | cr4         | Host CR4         |
      | cs.selector | Host CS selector |
      | tr.selector | Host TR selector |
    And the logical processor's rflags is 0x2

  @sdm:27.8 @sdm:31.3 @vm-error:5 @exit-reason:18
  Scenario: A VMLAUNCH that fails on guest state leaves the launch state clear
    Given the VMM has written 0 to "Guest RFLAGS"
    When the VMM launches the guest
    Then VM entry fails with basic exit reason 33 ("VM-entry failure due to invalid guest state")
    Given the VMM has written 0x2 to "Guest RFLAGS"
    When the VMM executes VMRESUME
    Then the instruction fails with VMfailValid and VM-instruction error 5 ("VMRESUME with non-launched VMCS")
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
