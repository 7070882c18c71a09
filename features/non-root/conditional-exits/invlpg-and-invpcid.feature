@area:non-root
Feature: INVLPG and INVPCID under "INVLPG exiting" and "enable INVPCID"
  INVLPG causes a VM exit (basic exit reason 14) if "INVLPG exiting" is 1; the exit qualification holds the
  linear-address operand. INVPCID depends on two controls: if "enable INVPCID" is 0 it raises #UD; if it is
  1, INVPCID causes a VM exit (basic exit reason 58) when "INVLPG exiting" is 1 and operates normally when it
  is 0.

  The guest's memory is identity-mapped with 2-MByte pages; the page-directory entry for linear address
  1000000H is at 302040H.

  Sources: SDM Vol. 3C 25.6.2 "Processor-Based VM-Execution Controls"; 26.1.1 "Relative Priority of Faults
  and VM Exits"; 26.1.3 "Instructions That Cause VM Exits Conditionally" (INVLPG, INVPCID); 26.3 "Changes to
  Instruction Behavior in VMX Non-Root Operation" (INVPCID); 28.2.1 "Basic VM-Exit Information" (INVLPG exit
  qualification); Vol. 3A 4.10.4.1 "Operations that Invalidate TLBs and Paging-Structure Caches".

  Background:
    Given a VMCS set up for a 64-bit guest

  @sdm:26.1.3 @sdm:28.2.1 @control:invlpg-exiting @exit-reason:14 @requires:invlpg-exiting
  Scenario: INVLPG causes a VM exit when "INVLPG exiting" is 1, with the linear address as exit qualification
    Given the "INVLPG exiting" control is set
    And the guest code is:
      """
      mov eax, 0x1234000
      invlpg [rax + 0x567]
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 14 ("INVLPG")
    And "Guest RIP" reads 0x400005
    And "VM-exit instruction length" reads 7
    And "Exit qualification" reads 0x1234567

  @sdm:26.1.3 @control:invlpg-exiting @exit-reason:18 @requires:no-invlpg-exiting
  Scenario: Without "INVLPG exiting" INVLPG invalidates the guest's own translation
    The guest reads linear address 1000000H (byte 11H), remaps its 2-MByte page to physical 1200000H (byte
    22H), invalidates the page with INVLPG and reads again: it must see the new mapping.

    Given the "INVLPG exiting" control is clear
    And guest memory at 0x1000000 holds the byte 0x11
    And guest memory at 0x1200000 holds the byte 0x22
    And the guest code is:
      """
      movzx eax, byte ptr [0x1000000]
      mov ebx, 0x1200087
      mov qword ptr [0x302040], rbx
      invlpg [0x1000000]
      movzx ecx, byte ptr [0x1000000]
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest's RAX is 0x11
    And the guest's RCX is 0x22

  @sdm:26.1.1 @exception:GP @exit-reason:0 @control:invlpg-exiting @requires:invlpg-exiting @requires:cpl
  Scenario: INVLPG at CPL 3 raises #GP(0), which takes priority over "INVLPG exiting"
    Given the "INVLPG exiting" control is set
    And the guest starts at CPL 3
    And the exception bitmap intercepts #GP
    And the guest code is:
      """
      invlpg [0x1000000]
      """
    When the VMM launches the guest
    Then the guest exits because of a #GP(0) hardware exception
    And "Guest RIP" reads 0x400000

  @sdm:26.1.3 @control:enable-invpcid @control:invlpg-exiting @exit-reason:58 @requires:enable-invpcid @requires:invlpg-exiting
  Scenario: INVPCID causes a VM exit when "enable INVPCID" and "INVLPG exiting" are 1
    Given the "Enable INVPCID" control is set
    And the "INVLPG exiting" control is set
    And the guest code is:
      """
      mov eax, 2
      invpcid rax, [0x501000]
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 58 ("INVPCID")
    And "Guest RIP" reads 0x400005
    And "VM-exit instruction length" reads 10

  @sdm:26.3 @control:enable-invpcid @control:invlpg-exiting @exit-reason:18 @requires:enable-invpcid @requires:no-invlpg-exiting
  Scenario: With "enable INVPCID" = 1 and "INVLPG exiting" = 0, INVPCID operates normally
    Type 2 (all contexts, including global translations) needs no PCID support in CR4; the descriptor is zero.

    Given the "Enable INVPCID" control is set
    And the "INVLPG exiting" control is clear
    And guest memory at 0x501000 holds the qword 0
    And guest memory at 0x501008 holds the qword 0
    And the guest code is:
      """
      mov eax, 2
      invpcid rax, [0x501000]
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And "Guest RIP" reads 0x40000f

  @sdm:26.3 @exception:UD @exit-reason:0 @control:enable-invpcid @requires:invlpg-exiting
  Scenario: With "enable INVPCID" = 0, INVPCID raises #UD even when "INVLPG exiting" is 1
    Given the "INVLPG exiting" control is set
    And the exception bitmap intercepts #UD
    And the guest code is:
      """
      mov eax, 2
      invpcid rax, [0x501000]
      """
    When the VMM launches the guest
    Then the guest exits because of a #UD hardware exception
    And "Guest RIP" reads 0x400005
