@area:ept-vpid
Feature: VPIDs: which operations must make the guest see its changed page tables
  With "enable VPID" 1 the translations a logical processor caches for its guest are tagged with the
  16-bit VPID in the VMCS (never 0000H, which is the VMM's: VM entry checks that, see
  features/vm-entry/control-checks.feature), so VM entries and VM exits need not invalidate them (29.4.3.2).
  With "enable VPID" 0 the guest's translations share VPID 0000H with the VMM's, and every VM entry and VM
  exit invalidates the linear and combined mappings of VPID 0000H (29.4.3.1).

  Which translations a processor keeps is not architectural state: the SDM says what it may cache (29.4.1,
  29.4.2) and what it must invalidate (29.4.3.1). So the scenarios here change a mapping, perform one
  operation that the SDM says must invalidate the old translation, and check that the guest then uses the new
  one. They never assert that an old translation survives: after a change to the guest's page tables without
  an invalidation the processor may use either the old or the new translation (a processor may invalidate
  cached mappings at any time, 29.4.3.2), so "the guest still reads the old page" is implementation-specific
  and is not asserted anywhere.

  The operations that must invalidate (29.4.3.1):
    - INVVPID individual-address (type 0): the mappings of the descriptor's VPID used to translate its linear
      address; single-context (1): all mappings of that VPID; all-context (2): the mappings of every VPID
      except 0000H; single-context-retaining-globals (3): those of that VPID except global translations (the
      guest here has CR4.PGE = 0, so none of its translations is global). Combined mappings too, for all
      EP4TAs.
    - A VM entry or VM exit with "enable VPID" 0: the mappings of VPID 0000H.
    - INVLPG (and MOV to CR3) in the guest, for the current VPID, linear and combined mappings alike, EPT or no EPT.
    - With EPT in use the processor uses only combined mappings for linear addresses, no linear mappings
      (29.4.2); INVEPT single-context invalidates the combined mappings of its EP4TA for all VPIDs.

  When the VMM assigns VPID 1 to the guest it first invalidates that VPID's mappings (INVVPID, where
  supported), as a VMM does before reusing a VPID for a new guest (29.4.3.3): the processor is not reset
  between scenarios, and VMXOFF and VMXON need not invalidate anything (29.4.3.2).

  The guest's page tables map each 2-MByte linear page with one page-directory entry; the VMM (or the guest)
  changes the entry for linear 800000H (at guest-physical 302020H) from physical 800000H, which holds 1111H,
  to physical A00000H, which holds 2222H.

  Sources: SDM Vol. 3C 29.1 "Virtual Processor Identifiers (VPIDs)"; 29.4.1 "Information That May Be Cached";
  29.4.2 "Creating and Using Cached Translation Information"; 29.4.3.1 "Operations that Invalidate Cached
  Mappings"; 29.4.3.2 "Operations that Need Not Invalidate Cached Mappings"; 29.4.3.3 "Guidelines for Use of the
  INVVPID Instruction"; 25.6.12 "Virtual-Processor Identifier (VPID)"; 31.3 INVVPID and INVEPT; Vol. 3A 4.10.4.1
  "Operations that Invalidate TLBs and Paging-Structure Caches".

  Background:
    Given a VMCS set up for a 64-bit guest
    And guest memory at 0x800000 holds the qword 0x1111
    And guest memory at 0xa00000 holds the qword 0x2222

  @sdm:29.4.3.1 @sdm:29.4.3.3 @sdm:31.3 @exit-reason:18 @control:enable-vpid @requires:enable-vpid
  Scenario Outline: After the VMM remaps a guest page, INVVPID <type name> for the guest's VPID makes the guest read the new page
    Given the VMM assigns VPID 1 to the guest
    And the guest code is:
      """
      mov rax, qword ptr [0x800000]
      vmcall
      mov rbx, qword ptr [0x800000]
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest's RAX is 0x1111
    When the VMM maps the guest's 2-MByte page at linear address 0x800000 to guest-physical address 0xa00000
    And the VMM executes INVVPID with type <type> and descriptor <bits 63:0>, <bits 127:64>
    Then the instruction succeeds
    When the VMM skips the exiting instruction and resumes the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest's RBX is 0x2222

    @requires:invvpid-individual-address
    Examples: individual-address, for VPID 1 and linear address 800000H
      | type name          | type | bits 63:0 | bits 127:64 |
      | individual-address | 0    | 1         | 0x800000    |

    @requires:invvpid-single-context
    Examples: single-context, for VPID 1
      | type name      | type | bits 63:0 | bits 127:64 |
      | single-context | 1    | 1         | 0           |

    @requires:invvpid-all-context
    Examples: all-context, every VPID but 0000H
      | type name   | type | bits 63:0 | bits 127:64 |
      | all-context | 2    | 0         | 0           |

    @requires:invvpid-single-context-retaining-globals
    Examples: single-context-retaining-globals, for VPID 1 (no translation of this guest is global)
      | type name                        | type | bits 63:0 | bits 127:64 |
      | single-context-retaining-globals | 3    | 1         | 0           |

  @sdm:29.4.3.1 @sdm:29.1 @exit-reason:18 @control:enable-vpid
  Scenario: With "enable VPID" 0, the VM entry that resumes the guest makes it read the remapped page without any INVVPID
    Given the "Enable VPID" control is clear
    And the guest code is:
      """
      mov rax, qword ptr [0x800000]
      vmcall
      mov rbx, qword ptr [0x800000]
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest's RAX is 0x1111
    When the VMM maps the guest's 2-MByte page at linear address 0x800000 to guest-physical address 0xa00000
    And the VMM skips the exiting instruction and resumes the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest's RBX is 0x2222

  @sdm:29.4.3.1 @sdm:29.4.2 @exit-reason:18 @control:enable-vpid @control:enable-ept @control:invlpg-exiting @requires:enable-vpid @requires:enable-ept @requires:no-invlpg-exiting
  Scenario: With a VPID and EPT, the guest's own INVLPG after changing its page-directory entry makes it read the new page
    INVLPG invalidates the linear and combined mappings for the current VPID (29.4.3.1); with EPT the guest's
    linear addresses are translated through combined mappings only (29.4.2).

    Given the VMM assigns VPID 1 to the guest
    And the VMM enables EPT with an identity map of guest-physical memory
    And the "INVLPG exiting" control is clear
    And the guest code is:
      """
      mov rax, qword ptr [0x800000]
      mov ebx, 0xa00087
      mov qword ptr [0x302020], rbx
      invlpg [0x800000]
      mov rcx, qword ptr [0x800000]
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest's RAX is 0x1111
    And the guest's RCX is 0x2222

  @sdm:29.4.3.1 @sdm:29.4.2 @sdm:31.3 @exit-reason:18 @control:enable-vpid @control:enable-ept @requires:enable-vpid @requires:enable-ept
  Scenario Outline: With EPT and a VPID, after the VMM remaps a guest page, <invalidation> makes the guest read the new page
    Given the VMM assigns VPID 1 to the guest
    And the VMM enables EPT with an identity map of guest-physical memory
    And the guest code is:
      """
      mov rax, qword ptr [0x800000]
      vmcall
      mov rbx, qword ptr [0x800000]
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest's RAX is 0x1111
    When the VMM maps the guest's 2-MByte page at linear address 0x800000 to guest-physical address 0xa00000
    And the VMM executes <instruction>
    Then the instruction succeeds
    When the VMM skips the exiting instruction and resumes the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest's RBX is 0x2222

    @requires:invept-single-context
    Examples: INVEPT invalidates the combined mappings of its EP4TA, for every VPID
      | invalidation                           | instruction                                                 |
      | INVEPT single-context for the EPTP     | INVEPT with type 1 and the current EPT pointer as descriptor |

    @requires:invvpid-single-context
    Examples: INVVPID invalidates the combined mappings of its VPID, for every EP4TA
      | invalidation                           | instruction                                  |
      | INVVPID single-context for VPID 1      | INVVPID with type 1 and descriptor 1, 0      |
