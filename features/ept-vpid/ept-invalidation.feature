@area:ept-vpid
Feature: Changing the EPT between two runs of the guest: when the processor must use the new entries
  A logical processor may cache information from the EPT paging structures: guest-physical mappings (a
  guest-physical page and its host-physical page and rights), and combined mappings (a linear page, translated
  through the guest's page tables and then the EPT). The cached information is not architectural state, and
  the SDM only says what may be cached and which operations must invalidate it (29.4). So these scenarios
  assert only what the processor must do; where it may still use a stale entry they assert nothing.

  What the processor must do, by SDM 29.4.3:
    - It caches nothing from an EPT entry that is not present or is misconfigured, and an EPT violation
      invalidates the cached mappings that the access causing it would use (29.4.3.1). So after an EPT
      violation or misconfiguration the VMM may fix the entry and resume the guest without INVEPT: the access,
      performed again, uses the new entry. 29.4.3.4 says so: "an EPT violation will not recur if the original
      access is performed again, even if the INVEPT instruction is not executed".
    - INVEPT single-context invalidates the guest-physical and combined mappings of the EPT PML4 table its
      descriptor's EPTP names (EP4TA), for all VPIDs and PCIDs; INVEPT all-context those of every EP4TA
      (29.4.3.1). After either, the processor must use the EPT as it is in memory.

  What is implementation-specific, and not asserted:
    - After the VMM takes a right away (a privilege bit from 1 to 0) or changes an entry's physical address
      without INVEPT, the processor may go on using the old entry: 29.4.3.4 tells software that it should
      execute INVEPT single-context after such a change. Neither "still writable" nor "EPT violation" is
      required of that access.
    - VM entries and VM exits are not required to invalidate guest-physical mappings, even with "enable VPID"
      0 (29.4.3.2); a processor may invalidate any cached mapping at any time.

  The VMM's EPT identity-maps guest-physical memory; the scenarios change the entry that maps the page at
  800000H. When it enables EPT the VMM first executes INVEPT for its EPTP (where INVEPT is supported), as a VMM
  reusing an EPTP for a new guest does (29.4.3.4): the processor is not reset between scenarios, and VMXOFF and
  VMXON need not invalidate cached mappings (29.4.3.2).

  Sources: SDM Vol. 3C 29.4.1 "Information That May Be Cached"; 29.4.2 "Creating and Using Cached Translation
  Information"; 29.4.3.1 "Operations that Invalidate Cached Mappings"; 29.4.3.2 "Operations that Need Not
  Invalidate Cached Mappings"; 29.4.3.4 "Guidelines for Use of the INVEPT Instruction"; 29.3.3 "EPT-Induced VM
  Exits"; 31.3 "INVEPT—Invalidate Translations Derived from EPT".

  Background:
    Given a VMCS set up for a 64-bit guest
    And the VMM enables EPT with an identity map of guest-physical memory
    And guest memory at 0x800010 holds the qword 0x1111

  @sdm:29.4.3.1 @sdm:29.4.3.4 @sdm:29.3.3 @exit-reason:18 @control:enable-ept @requires:enable-ept
  Scenario Outline: The VMM fixes the EPT entry behind <problem> and resumes the guest without INVEPT: the access completes
    The guest copies the qword at 800010H to 800018H. Its read or its write exits; the VMM gives the page
    read, write and execute access and resumes the guest at the same instruction.

    Given the VMM sets the permissions of the EPT entry mapping guest-physical address 0x800000 to <before>
    And the guest code is:
      """
      mov rax, qword ptr [0x800010]
      mov qword ptr [0x800018], rax
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason <first exit>
    When the VMM sets the permissions of the EPT entry mapping guest-physical address 0x800000 to RWX
    And the VMM resumes the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And "Guest RIP" reads the address of the guest's "vmcall" instruction
    And the qword at guest-physical address 0x800018 is 0x1111

    @exit-reason:48
    Examples: EPT violations
      | problem                                          | before | first exit            |
      | an EPT violation on a write (read and execute)   | R-X    | 48 ("EPT violation")  |
      | an EPT violation on a read (not present)         | ---    | 48 ("EPT violation")  |

    @exit-reason:49
    Examples: an EPT misconfiguration
      | problem                                          | before | first exit                   |
      | an EPT misconfiguration (write without read)     | -W-    | 49 ("EPT misconfiguration")  |

  @sdm:29.4.3.1 @sdm:29.4.3.4 @sdm:31.3 @exit-reason:48 @control:enable-ept @requires:enable-ept
  Scenario Outline: After the VMM takes write access away and executes INVEPT <type name>, the guest's next write causes an EPT violation
    The first write succeeds, so the processor may have cached a writable mapping of the page. INVEPT must
    remove it: the second write must see the entry as it now is.

    Given the guest code is:
      """
      mov qword ptr [0x800010], 0x2222
      vmcall
      mov qword ptr [0x800010], 0x3333
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the qword at guest-physical address 0x800010 is 0x2222
    When the VMM sets the permissions of the EPT entry mapping guest-physical address 0x800000 to R-X
    And the VMM executes INVEPT with type <type> and the current EPT pointer as descriptor
    Then the instruction succeeds
    When the VMM skips the exiting instruction and resumes the guest
    Then the guest exits with basic exit reason 48 ("EPT violation")
    And "Guest-physical address" reads 0x800010
    And the bit fields of "Exit qualification" read:
      | bits | value | meaning          |
      | 1    | 1     | a data write     |
      | 4    | 0     | not writable     |
    And the qword at guest-physical address 0x800010 is 0x2222

    @requires:invept-single-context
    Examples: single-context (type 1), for the EPTP of the current VMCS
      | type name      | type |
      | single-context | 1    |

    @requires:invept-all-context
    Examples: all-context (type 2); the descriptor is not used
      | type name   | type |
      | all-context | 2    |

  @sdm:29.4.3.1 @sdm:31.3 @exit-reason:18 @control:enable-ept @requires:enable-ept @requires:invept-single-context
  Scenario: After the VMM points a guest-physical page at another host-physical page and executes INVEPT single-context, the guest reads the new page
    Given guest memory at 0xa00010 holds the qword 0x2222
    And the guest code is:
      """
      mov rax, qword ptr [0x800010]
      vmcall
      mov rbx, qword ptr [0x800010]
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest's RAX is 0x1111
    When the VMM maps guest-physical address 0x800000 to host-physical address 0xa00000 in the EPT
    And the VMM executes INVEPT with type 1 and the current EPT pointer as descriptor
    Then the instruction succeeds
    When the VMM skips the exiting instruction and resumes the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest's RBX is 0x2222
