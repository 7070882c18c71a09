@area:vmcs
Feature: VMCS shadowing: VMREAD and VMWRITE in the guest reach the shadow VMCS
  With the "VMCS shadowing" VM-execution control 1, VMREAD and VMWRITE in VMX non-root operation do not
  necessarily cause VM exits (26.1.3): an instruction whose encoding operand sets any of bits 63:15, or
  whose bit (bits 14:0 of the encoding) is 1 in the VMREAD bitmap or VMWRITE bitmap, exits with basic exit
  reason 23 or 25; otherwise it reads or writes the VMCS that the VMCS link pointer references, never the
  current VMCS (31.3). That VMCS must be a shadow VMCS: bit 31 of its region's first dword set (25.10).
  VM entry checks this (27.3.1.5, exit qualification 4 for an invalid VMCS link pointer) and checks that the
  bitmap addresses are 4-KiB aligned (27.2.1.1). A guest VMREAD or VMWRITE that does not exit while the link
  pointer is FFFFFFFF_FFFFFFFFH fails with VMfailInvalid.

  In the guest code below, `vmread rax, rbx` reads the field whose encoding is in RBX into RAX, and
  `vmwrite rbx, rax` writes RAX into it; the guest saves its RFLAGS into RCX and stops with VMCALL, and the
  VMM reads RAX and RCX directly (a VM exit does not change them).

  Sources: SDM Vol. 3C 25.4.2 "Guest Non-Register State" (VMCS link pointer); 25.6.2 "Processor-Based
  VM-Execution Controls"; 25.6.15 "VMCS Shadowing Bitmap Addresses"; 25.10 "VMCS Types: Ordinary and
  Shadow"; 26.1.3 "Instructions That Cause VM Exits Conditionally"; 27.2.1.1 "VM-Execution Control Fields";
  27.3.1.5 "Checks on Guest Non-Register State"; 27.8 "VM-Entry Failures During or After Loading Guest
  State"; 31.3 "VMX Instructions" (VMREAD, VMWRITE).

  Background:
    Given a VMCS set up for a 64-bit guest
    And the "VMCS shadowing" control is set
    And a shadow VMCS, cleared, whose address the VMM has written to the VMCS link pointer
    And the VMREAD bitmap and the VMWRITE bitmap are all zeros

  @sdm:31.3 @sdm:25.10 @sdm:26.1.3 @exit-reason:18 @control:vmcs-shadowing @requires:vmcs-shadowing
  Scenario: A guest VMREAD whose bitmap bit is clear reads the shadow VMCS, not the current VMCS
    Given the VMM has written 0x1234_abcd to "Guest RIP" of the shadow VMCS
    And the guest code is:
      """
      mov rbx, 0x681e          ; encoding of "Guest RIP"
      vmread rax, rbx
      pushfq
      pop rcx
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest left 0x1234_abcd in rax
    And the flags the guest saved in rcx show VMsucceed

  @sdm:31.3 @sdm:25.10 @sdm:26.1.3 @exit-reason:18 @control:vmcs-shadowing @requires:vmcs-shadowing
  Scenario: A guest VMWRITE whose bitmap bit is clear writes the shadow VMCS, not the current VMCS
    Given the guest code is:
      """
      mov rbx, 0x4004          ; encoding of "Exception bitmap"
      mov rax, 0xdead
      vmwrite rbx, rax
      pushfq
      pop rcx
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the flags the guest saved in rcx show VMsucceed
    And "Exception bitmap" of the shadow VMCS reads 0xdead
    And "Exception bitmap" reads 0

  @sdm:26.1.3 @sdm:25.6.15 @exit-reason:23 @control:vmcs-shadowing @requires:vmcs-shadowing
  Scenario: A guest VMREAD whose bit is set in the VMREAD bitmap causes a VM exit
    Given the VMREAD bitmap has the bit for "Guest RIP" set
    And the guest code is:
      """
      mov rbx, 0x681e
      vmread rax, rbx
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 23 ("VMREAD")
    And "Guest RIP" reads the address of the guest's "vmread" instruction
    And "VM-exit instruction length" reads 3

  @sdm:26.1.3 @sdm:25.6.15 @exit-reason:25 @control:vmcs-shadowing @requires:vmcs-shadowing
  Scenario: A guest VMWRITE whose bit is set in the VMWRITE bitmap causes a VM exit
    Given the VMWRITE bitmap has the bit for "Exception bitmap" set
    And the guest code is:
      """
      mov rbx, 0x4004
      mov rax, 0xdead
      vmwrite rbx, rax
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 25 ("VMWRITE")
    And "Guest RIP" reads the address of the guest's "vmwrite" instruction
    And "Exception bitmap" of the shadow VMCS reads 0

  @sdm:26.1.3 @exit-reason:23 @control:vmcs-shadowing @requires:vmcs-shadowing
  Scenario: A guest VMREAD whose encoding operand sets a bit in 63:15 causes a VM exit whatever the bitmap
    Given the guest code is:
      """
      mov rbx, 0x1_0000_681e   ; "Guest RIP" with bit 32 set
      vmread rax, rbx
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 23 ("VMREAD")

  @sdm:31.3 @sdm:27.3.1.5 @exit-reason:18 @control:vmcs-shadowing @requires:vmcs-shadowing
  Scenario: A guest VMREAD that does not exit fails with VMfailInvalid when the VMCS link pointer is FFFFFFFF_FFFFFFFFH
    VM entry accepts FFFFFFFF_FFFFFFFFH in the VMCS link pointer even with "VMCS shadowing" 1 (27.3.1.5
    checks other values only); the guest's VMREAD then has no VMCS to read.

    Given the VMM has written 0xffff_ffff_ffff_ffff to "VMCS link pointer"
    And the guest code is:
      """
      mov rbx, 0x681e
      vmread rax, rbx
      pushfq
      pop rcx
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the flags the guest saved in rcx show VMfailInvalid

  @sdm:27.3.1.5 @sdm:27.8 @sdm:25.10 @exit-reason:33 @control:vmcs-shadowing @requires:vmcs-shadowing
  Scenario: With "VMCS shadowing" 1, a VMCS link pointer to an ordinary VMCS fails VM entry
    Bit 31 of the referenced region's first dword must equal the "VMCS shadowing" control (27.3.1.5).

    Given a VMCS region B with the processor's VMCS revision identifier
    And the VMM has written the address of VMCS B to "VMCS link pointer"
    And the guest code is:
      """
      vmcall
      """
    When the VMM launches the guest
    Then VM entry fails with basic exit reason 33 ("VM-entry failure due to invalid guest state")
    And "Exit qualification" reads 4

  @sdm:27.2.1.1 @sdm:25.6.15 @vm-error:7 @control:vmcs-shadowing @requires:vmcs-shadowing
  Scenario Outline: With "VMCS shadowing" 1, a <bitmap> address that is not 4-KiB aligned fails VM entry with error 7
    Given the VMM has written <address> to "<bitmap> address"
    And the guest code is:
      """
      vmcall
      """
    When the VMM launches the guest
    Then the instruction fails with VMfailValid and VM-instruction error 7 ("VM entry with invalid control field(s)")

    Examples:
      | bitmap         | address  |
      | VMREAD-bitmap  | 0x213800 |
      | VMWRITE-bitmap | 0x214010 |

  @sdm:25.10 @sdm:31.3 @control:vmcs-shadowing @requires:vmcs-shadowing
  Scenario: In VMX root operation the VMM reads and writes a shadow VMCS made current with VMPTRLD
    When the VMM executes VMPTRLD with the pointer 0x20f000
    Then the instruction succeeds
    When the VMM executes VMWRITE of 0x5555 to "Guest RIP"
    Then the instruction succeeds
    And "Guest RIP" reads 0x5555
    When the VMM executes VMPTRST
    Then VMPTRST stores 0x20f000
