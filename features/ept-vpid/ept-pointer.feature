@area:ept-vpid
Feature: The EPT pointer: what VM entry checks, and the accessed and dirty flags it enables
  The EPT pointer (EPTP, VMCS field 201AH) holds, in bits 2:0, the memory type of the EPT paging structures;
  in bits 5:3 the EPT page-walk length minus 1; in bit 6 the enable for accessed and dirty flags for EPT; in
  bits 51:12 the physical address of the EPT PML4 table. With "enable EPT" 1, VM entry checks the EPTP
  (27.2.1.1) and fails with VMfailValid and VM-instruction error 7 unless:
    - the memory type is one IA32_VMX_EPT_VPID_CAP reports as supported: UC (0) if bit 8 is 1, WB (6) if bit 14
      is 1; no other value can be reported, so 1 to 5 and 7 always fail;
    - bits 5:3 give a supported page-walk length: 3 (4 levels) if bit 6 is 1, 4 (5 levels) if bit 7 is 1;
    - bit 6 is 0 unless accessed and dirty flags for EPT are supported (bit 21);
    - the reserved bits 11:8 are 0, and so are bits 63:N, N being the physical-address width.

  With bit 6 set, the processor sets the accessed flag (bit 8) in every EPT paging-structure entry it uses
  to translate a guest-physical address, and for a write it sets the dirty flag (bit 9) in the entry that
  maps the page (29.3.4).

  The valid EPTP the VMM starts from names a 4-level walk and memory type WB (UC where WB is not supported);
  each scenario changes one part of it.

  Sources: SDM Vol. 3C 25.6.11 "Extended-Page-Table Pointer (EPTP)"; 27.2.1.1 "VM-Execution Control Fields";
  29.3.4 "Accessed and Dirty Flags for EPT"; Appendix A.10 "VPID and EPT Capabilities"; 31.4 "VM Instruction
  Error Numbers".

  Background:
    Given a VMCS set up for a 64-bit guest
    And the VMM enables EPT with an identity map of guest-physical memory
    And the guest code is:
      """
      mov qword ptr [0x800010], 0x2222
      vmcall
      """

  @sdm:27.2.1.1 @sdm:25.6.11 @vm-error:7 @control:enable-ept @requires:enable-ept
  Scenario Outline: VM entry with "enable EPT" 1 fails when the EPT pointer <rule>
    Given the VMM sets bits <bits> of the EPT pointer to <value>
    When the VMM launches the guest
    Then the instruction fails with VMfailValid and VM-instruction error 7 ("VM entry with invalid control field(s)")

    Examples:
      | rule                                                                       | bits | value |
      | names memory type 1 (WC), which the EPT paging structures cannot have      | 2:0  | 1     |
      | gives a page-walk length of 3 (bits 5:3 = 2)                               | 5:3  | 2     |
      | sets reserved bit 8                                                        | 11:8 | 1     |

  @sdm:27.2.1.1 @sdm:25.6.11 @sdm:A.10 @vm-error:7 @control:enable-ept @requires:enable-ept
  Scenario: VM entry fails when EPTP bit 6 enables accessed and dirty flags the processor does not support
    Given the processor does not support accessed and dirty flags for EPT
    And the VMM sets bit 6 of the EPT pointer
    When the VMM launches the guest
    Then the instruction fails with VMfailValid and VM-instruction error 7 ("VM entry with invalid control field(s)")

  @sdm:27.2.1.1 @sdm:25.6.11 @vm-error:7 @control:enable-ept @requires:enable-ept
  Scenario: VM entry fails when the EPT pointer sets a bit beyond the physical-address width
    Given the VMM sets, in "EPT pointer", the lowest bit beyond the physical-address width
    When the VMM launches the guest
    Then the instruction fails with VMfailValid and VM-instruction error 7 ("VM entry with invalid control field(s)")

  @sdm:29.3.4 @sdm:25.6.11 @exit-reason:18 @control:enable-ept @requires:enable-ept @requires:ept-accessed-dirty
  Scenario: With EPTP bit 6 set, a guest write sets the EPT accessed flags along the walk and the dirty flag of the page
    Given the VMM sets bit 6 of the EPT pointer
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the accessed flag is set in every EPT entry used to translate guest-physical address 0x800010
    And the dirty flag is set in the EPT entry mapping guest-physical address 0x800010
