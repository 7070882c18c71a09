@area:ept-vpid
Feature: EPT translation of guest-physical addresses: EPT violations and EPT misconfigurations
  With "enable EPT" 1, the addresses the guest's own paging produces, and the addresses of the guest's
  paging structures, are guest-physical addresses. The processor translates each one through the EPT
  paging structures that the EPT pointer (EPTP) names. An EPT entry whose bits 2:0 are 000b is not present.
  Bits 0, 1 and 2 of an entry allow reads, writes and instruction fetches; an access is allowed only if
  every entry used to translate its address allows it.

  An access that the EPT does not allow causes an EPT violation: a VM exit with basic exit reason 48. The
  access does not happen and the instruction does not complete, so "Guest RIP" is the address of the
  instruction that made the access. The exit qualification (28.2.1, Table "Exit Qualification for EPT
  Violations") describes the violation:
    bit 0, 1, 2  the access was a data read, a data write, an instruction fetch;
    bits 3, 4, 5 the logical AND of bits 0, 1 and 2 of the EPT entries used to translate the address
                 (readable, writable, executable); all 0 when one of the entries is not present;
    bit 7        the "Guest-linear address" field is valid;
    bit 8        (with bit 7 set) 1 if the access was to the translation of a linear address, 0 if it was
                 an access to one of the guest's paging-structure entries while walking its page tables.
  "Guest-physical address" holds the guest-physical address of the access. Reads of the guest's
  paging-structure entries during a page walk are data reads. Bits 9 to 12 (advanced information, NMI
  unblocking) are not checked here.

  An EPT entry with settings the SDM reserves causes an EPT misconfiguration instead: basic exit reason 49,
  with the guest-physical address in "Guest-physical address". An entry is misconfigured if it is present
  and its bits 2:0 allow writes but not reads (010b, 110b); if its bits 2:0 are 100b (execute-only) and the
  processor does not support execute-only translations (IA32_VMX_EPT_VPID_CAP[0]); if it sets a reserved
  bit, including a bit of its physical address (51:12) beyond MAXPHYADDR; or if it maps a page and its memory
  type (bits 5:3) is 2, 3 or 7.

  The VMM's EPT identity-maps guest-physical memory (with 2-MByte pages where the processor supports them,
  else 4-KByte pages), and the guest's own page tables identity-map the first GiB, so a guest-linear address
  below 40000000H equals its guest-physical address. The scenarios change the EPT entry that maps the page at
  800000H, where nothing but their own data lives. The guest's page tables are at 300000H (PML4), 301000H
  (PDPT) and 302000H (page directory). Having written the EPT pointer, the VMM executes INVEPT for it (where
  INVEPT is supported), so that nothing an earlier scenario left cached for the same EPTP is used (29.4.3.4).

  Sources: SDM Vol. 3C 25.6.11 "Extended-Page-Table Pointer (EPTP)"; 29.3.1 "EPT Overview"; 29.3.2 "EPT
  Translation Mechanism"; 29.3.3.1 "EPT Misconfigurations"; 29.3.3.2 "EPT Violations"; 28.2.1 "Basic VM-Exit
  Information" (exit qualification for EPT violations, guest-linear and guest-physical address); 28.1
  "Architectural State Before a VM Exit"; 29.4.3.4 "Guidelines for Use of the INVEPT Instruction"; Appendix
  A.10 "VPID and EPT Capabilities"; Appendix C "VMX Basic Exit Reasons".

  Background:
    Given a VMCS set up for a 64-bit guest

  @sdm:29.3.1 @sdm:29.3.2 @exit-reason:18 @control:enable-ept @requires:enable-ept
  Scenario Outline: Under an EPT identity map built from <size> pages the guest runs as it would without EPT
    Given the VMM enables EPT with an identity map built from <size> pages
    And guest memory at 0x800010 holds the qword 0x1111
    And the guest code is:
      """
      mov rax, qword ptr [0x800010]
      mov rbx, 0x2222
      mov qword ptr [0x800018], rbx
      push rbx
      pop rcx
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And "Guest RIP" reads the address of the guest's "vmcall" instruction
    And the guest's RAX is 0x1111
    And the guest's RCX is 0x2222
    And the qword at guest-physical address 0x800018 is 0x2222

    Examples: EPT page tables all the way down
      | size    |
      | 4-KByte |

    @requires:ept-2mb-pages
    Examples: EPT page-directory entries that map pages (IA32_VMX_EPT_VPID_CAP[16])
      | size    |
      | 2-MByte |

    @requires:ept-1gb-pages
    Examples: one EPT page-directory-pointer-table entry that maps the first GiB (IA32_VMX_EPT_VPID_CAP[17])
      | size    |
      | 1-GByte |

  @sdm:29.3.3.2 @sdm:28.2.1 @exit-reason:48 @control:enable-ept @requires:enable-ept
  Scenario: A guest write to a page whose EPT entry allows read and execute but not write causes an EPT violation
    The write does not happen: the memory still holds the old value.

    Given the VMM enables EPT with an identity map of guest-physical memory
    And guest memory at 0x800010 holds the qword 0x1111
    And the VMM sets the permissions of the EPT entry mapping guest-physical address 0x800000 to R-X
    And the guest code is:
      """
      mov qword ptr [0x800010], 0x2222
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 48 ("EPT violation")
    And the bit fields of "Exit qualification" read:
      | bits | value | meaning                                                      |
      | 0    | 0     | not a data read                                              |
      | 1    | 1     | a data write                                                 |
      | 2    | 0     | not an instruction fetch                                     |
      | 3    | 1     | the guest-physical address was readable                      |
      | 4    | 0     | the guest-physical address was not writable                  |
      | 5    | 1     | the guest-physical address was executable                    |
      | 7    | 1     | the guest-linear address field is valid                      |
      | 8    | 1     | an access to the translation of a linear address             |
    And "Guest-physical address" reads 0x800010
    And "Guest-linear address" reads 0x800010
    And "Guest RIP" reads 0x400000
    And the qword at guest-physical address 0x800010 is 0x1111

  @sdm:29.3.3.2 @sdm:28.2.1 @exit-reason:48 @control:enable-ept @requires:enable-ept
  Scenario Outline: <access> a page whose EPT entry is <permissions> causes an EPT violation
    Given the VMM enables EPT with an identity map of guest-physical memory
    And the VMM sets the permissions of the EPT entry mapping guest-physical address 0x800000 to <permissions>
    And the guest code is:
      """
      <code>
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 48 ("EPT violation")
    And the bit fields of "Exit qualification" read:
      | bits | value   | meaning                                          |
      | 0    | <read>  | a data read                                      |
      | 1    | <write> | a data write                                     |
      | 2    | <fetch> | an instruction fetch                             |
      | 3    | <R>     | readable: AND of bit 0 of the EPT entries used   |
      | 4    | <W>     | writable: AND of bit 1 of the EPT entries used   |
      | 5    | <X>     | executable: AND of bit 2 of the EPT entries used |
      | 7    | 1       | the guest-linear address field is valid          |
      | 8    | 1       | an access to the translation of a linear address |
    And "Guest-physical address" reads <address>
    And "Guest-linear address" reads <address>
    And "Guest RIP" reads <rip>

    Examples:
      | access                    | permissions | code                                      | read | write | fetch | R | W | X | address  | rip      |
      | A read from               | ---         | mov rax, qword ptr [0x800010]             | 1    | 0     | 0     | 0 | 0 | 0 | 0x800010 | 0x400000 |
      | A write to                | R--         | mov qword ptr [0x800ff8], 0x2222          | 0    | 1     | 0     | 1 | 0 | 0 | 0x800ff8 | 0x400000 |
      | An instruction fetch from | RW-         | mov eax, 0x800010\n      jmp rax          | 0    | 0     | 1     | 1 | 1 | 0 | 0x800010 | 0x800010 |

  @sdm:29.3.3.2 @sdm:28.2.1 @exit-reason:48 @control:enable-ept @requires:enable-ept
  Scenario: Code in an execute-only page runs, but its read of that page causes an EPT violation
    Bits 2:0 = 100b are an execute-only translation where IA32_VMX_EPT_VPID_CAP[0] is 1. The instruction
    fetches from the page are allowed; the data read is not.

    Given the processor supports execute-only EPT translations
    And the VMM enables EPT with an identity map of guest-physical memory
    And the VMM sets the permissions of the EPT entry mapping guest-physical address 0x800000 to --X
    And the guest code is:
      """
      mov eax, 0x800000
      jmp rax
      """
    And the guest code at guest-physical address 0x800000 is:
      """
      mov rax, qword ptr [0x800010]
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 48 ("EPT violation")
    And "Guest RIP" reads 0x800000
    And "Guest-physical address" reads 0x800010
    And the bit fields of "Exit qualification" read:
      | bits | value | meaning                                          |
      | 0    | 1     | a data read                                      |
      | 1    | 0     | not a data write                                 |
      | 2    | 0     | not an instruction fetch                         |
      | 3    | 0     | not readable                                     |
      | 4    | 0     | not writable                                     |
      | 5    | 1     | executable                                       |
      | 7    | 1     | the guest-linear address field is valid          |
      | 8    | 1     | an access to the translation of a linear address |

  @sdm:29.3.3.2 @sdm:28.2.1 @exit-reason:48 @control:enable-ept @requires:enable-ept
  Scenario: An EPT violation while walking the guest's page tables reports bit 8 = 0 and the paging-structure entry's address
    The guest's PDPTE for linear addresses 40000000H–7FFFFFFFH points to a page directory at guest-physical
    800000H, which the EPT does not map. To read linear address 40000000H the processor must read entry 0 of
    that page directory, at guest-physical 800000H: that read of a paging-structure entry is the access that
    causes the EPT violation, and the linear address being translated is reported with it.

    Given the VMM enables EPT with an identity map of guest-physical memory
    And the guest's page tables translate the GiB at linear address 0x40000000 through a page directory at guest-physical address 0x800000
    And the VMM sets the permissions of the EPT entry mapping guest-physical address 0x800000 to ---
    And the guest code is:
      """
      mov rax, qword ptr [0x40000000]
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 48 ("EPT violation")
    And the bit fields of "Exit qualification" read:
      | bits | value | meaning                                                     |
      | 0    | 1     | a data read (reading a guest paging-structure entry)        |
      | 1    | 0     | not a data write                                            |
      | 2    | 0     | not an instruction fetch                                    |
      | 5:3  | 0     | the EPT entry for the page directory was not present        |
      | 7    | 1     | the guest-linear address field is valid                     |
      | 8    | 0     | an access to a guest paging-structure entry during the walk |
    And "Guest-physical address" reads 0x800000
    And "Guest-linear address" reads 0x40000000
    And "Guest RIP" reads 0x400000

  @sdm:29.3.3.1 @sdm:28.2.1 @exit-reason:49 @control:enable-ept @requires:enable-ept
  Scenario Outline: An EPT entry whose bits 2:0 are <bits> (writes allowed, reads not) is an EPT misconfiguration
    Given the VMM enables EPT with an identity map of guest-physical memory
    And the VMM sets the permissions of the EPT entry mapping guest-physical address 0x800000 to <permissions>
    And the guest code is:
      """
      mov rax, qword ptr [0x800010]
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 49 ("EPT misconfiguration")
    And "Guest-physical address" reads 0x800010
    And "Guest RIP" reads 0x400000

    Examples:
      | bits | permissions |
      | 010b | -W-         |
      | 110b | -WX         |

  @sdm:29.3.3.1 @sdm:28.2.1 @exit-reason:49 @control:enable-ept @requires:enable-ept
  Scenario Outline: An EPT entry that maps a page with the reserved memory type <type> is an EPT misconfiguration
    Given the VMM enables EPT with an identity map of guest-physical memory
    And the VMM sets the memory type of the EPT entry mapping guest-physical address 0x800000 to <type>
    And the guest code is:
      """
      mov rax, qword ptr [0x800010]
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 49 ("EPT misconfiguration")
    And "Guest-physical address" reads 0x800010

    Examples:
      | type |
      | 7    |

  @sdm:29.3.3.1 @sdm:28.2.1 @exit-reason:49 @control:enable-ept @requires:enable-ept
  Scenario: An EPT entry whose physical address sets a bit beyond MAXPHYADDR is an EPT misconfiguration
    Bits 51:12 of the entry beyond the processor's physical-address width are reserved.

    Given the VMM enables EPT with an identity map of guest-physical memory
    And the VMM sets, in the EPT entry mapping guest-physical address 0x800000, the lowest bit beyond the physical-address width
    And the guest code is:
      """
      mov rax, qword ptr [0x800010]
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 49 ("EPT misconfiguration")
    And "Guest-physical address" reads 0x800010

  @sdm:29.3.3.1 @sdm:A.10 @exit-reason:49 @control:enable-ept @requires:enable-ept
  Scenario: Without execute-only support, an EPT entry whose bits 2:0 are 100b is an EPT misconfiguration
    Given the processor does not support execute-only EPT translations
    And the VMM enables EPT with an identity map of guest-physical memory
    And the VMM sets the permissions of the EPT entry mapping guest-physical address 0x800000 to --X
    And the guest code is:
      """
      mov rax, qword ptr [0x800010]
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 49 ("EPT misconfiguration")
    And "Guest-physical address" reads 0x800010
