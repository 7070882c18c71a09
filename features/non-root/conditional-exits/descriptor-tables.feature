@area:non-root
Feature: LGDT, LIDT, LLDT, LTR, SGDT, SIDT, SLDT and STR under "descriptor-table exiting"
  With the secondary control "descriptor-table exiting" = 1 each of these instructions causes a VM exit:
  LGDT, LIDT, SGDT and SIDT with basic exit reason 46 ("Access to GDTR or IDTR"), LLDT, LTR, SLDT and STR
  with 47 ("Access to LDTR or TR"). With the control 0 they run as usual. The exit is fault-like and comes
  before the instruction touches memory or checks a selector; only faults based on privilege level (LGDT,
  LIDT, LLDT, LTR at CPL > 0; SGDT, SIDT, SLDT, STR at CPL > 0 when CR4.UMIP = 1) come first.

  The standard guest's GDTR is 310000H with limit 27H, its IDTR 311000H with limit FFFH, its TR selector 18H.

  Sources: SDM Vol. 3C 25.6.2 "Processor-Based VM-Execution Controls" (secondary controls); 26.1.1
  "Relative Priority of Faults and VM Exits"; 26.1.3 "Instructions That Cause VM Exits Conditionally"
  (LGDT, LIDT, LLDT, LTR, SGDT, SIDT, SLDT, STR); Appendix C "VMX Basic Exit Reasons"; Vol. 3A 2.8 "System
  Instruction Summary" (UMIP). Exit qualification and instruction information:
  features/vm-exit/exit-information.feature.

  Background:
    Given a VMCS set up for a 64-bit guest

  @sdm:26.1.3 @control:descriptor-table-exiting @requires:descriptor-table-exiting
  Scenario Outline: <instruction> causes a VM exit with basic exit reason <reason> when "descriptor-table exiting" is 1
    Given the "Descriptor-table exiting" control is set
    And the guest code is:
      """
      <code>
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason <reason> ("<name>")
    And "Guest RIP" reads 0x400000
    And "VM-exit instruction length" reads <length>

    @exit-reason:46
    Examples: GDTR and IDTR
      | instruction | code            | length | reason | name                   |
      | LGDT        | lgdt [0x501000] | 8      | 46     | Access to GDTR or IDTR |
      | LIDT        | lidt [0x501000] | 8      | 46     | Access to GDTR or IDTR |
      | SGDT        | sgdt [0x501000] | 8      | 46     | Access to GDTR or IDTR |
      | SIDT        | sidt [0x501000] | 8      | 46     | Access to GDTR or IDTR |

    @exit-reason:47
    Examples: LDTR and TR
      | instruction | code    | length | reason | name                 |
      | LLDT        | lldt ax | 4      | 47     | Access to LDTR or TR |
      | LTR         | ltr ax  | 4      | 47     | Access to LDTR or TR |
      | SLDT        | sldt ax | 4      | 47     | Access to LDTR or TR |
      | STR         | str ax  | 4      | 47     | Access to LDTR or TR |

  @sdm:26.1.3 @control:descriptor-table-exiting @exit-reason:18 @requires:no-descriptor-table-exiting
  Scenario: Without descriptor-table exiting SGDT and SIDT store the guest's own GDTR and IDTR
    Given the "Descriptor-table exiting" control is clear
    And the guest code is:
      """
      sgdt [0x501000]
      sidt [0x501010]
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the word at guest-physical address 0x501000 is 0x27
    And the qword at guest-physical address 0x501002 is 0x310000
    And the word at guest-physical address 0x501010 is 0xfff
    And the qword at guest-physical address 0x501012 is 0x311000

  @sdm:26.1.3 @control:descriptor-table-exiting @exit-reason:18 @requires:no-descriptor-table-exiting
  Scenario: Without descriptor-table exiting LGDT and LIDT load GDTR and IDTR
    The guest reloads both registers with the same bases and new limits; the VM exit saves them.

    Given the "Descriptor-table exiting" control is clear
    And guest memory at 0x501000 holds the word 0x47
    And guest memory at 0x501002 holds the qword 0x310000
    And guest memory at 0x501010 holds the word 0x7ff
    And guest memory at 0x501012 holds the qword 0x311000
    And the guest code is:
      """
      lgdt [0x501000]
      lidt [0x501010]
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And "Guest GDTR limit" reads 0x47
    And "Guest GDTR base" reads 0x310000
    And "Guest IDTR limit" reads 0x7ff
    And "Guest IDTR base" reads 0x311000

  @sdm:26.1.3 @control:descriptor-table-exiting @exit-reason:18 @requires:no-descriptor-table-exiting
  Scenario: Without descriptor-table exiting STR and SLDT return TR and LDTR, LTR loads TR and LLDT loads LDTR
    The guest's GDT holds an available 64-bit TSS descriptor at 38H. LTR loads it and marks it busy (type
    0BH, in byte 5 of the descriptor: 8BH); LLDT with a null selector makes LDTR unusable.

    Given the "Descriptor-table exiting" control is clear
    And the guest GDT limit covers the ring-3 segments and the spare TSS
    And the guest code is:
      """
      xor eax, eax
      str ax
      mov ebx, eax
      sldt cx
      movzx ecx, cx
      mov eax, 0x38
      ltr ax
      xor eax, eax
      lldt ax
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest's RBX is 0x18
    And the guest's RCX is 0
    And "Guest TR selector" reads 0x38
    And the byte at guest-physical address 0x31003d is 0x8b
    And "Guest LDTR selector" reads 0
    And the bit fields of "Guest LDTR access rights" read:
      | bits | value | meaning         |
      | 16   | 1     | segment unusable |

  @sdm:26.1.1 @exception:GP @exit-reason:0 @control:descriptor-table-exiting @requires:descriptor-table-exiting @requires:cpl
  Scenario: LGDT at CPL 3 raises #GP(0), which takes priority over descriptor-table exiting
    Given the "Descriptor-table exiting" control is set
    And the guest starts at CPL 3
    And the exception bitmap intercepts #GP
    And the guest code is:
      """
      lgdt [0x501000]
      """
    When the VMM launches the guest
    Then the guest exits because of a #GP(0) hardware exception
    And "Guest RIP" reads 0x400000

  @sdm:26.1.3 @control:descriptor-table-exiting @exit-reason:46 @requires:descriptor-table-exiting @requires:cpl
  Scenario: SGDT at CPL 3 is not privileged when CR4.UMIP = 0, so it causes the VM exit
    Given guest CR4.UMIP is clear
    And the "Descriptor-table exiting" control is set
    And the guest starts at CPL 3
    And the exception bitmap intercepts #GP
    And the guest code is:
      """
      sgdt [0x501000]
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 46 ("Access to GDTR or IDTR")
    And "Guest RIP" reads 0x400000

  @sdm:26.1.1 @exception:GP @exit-reason:0 @control:descriptor-table-exiting @requires:descriptor-table-exiting @requires:cpl
  Scenario: SGDT at CPL 3 with CR4.UMIP = 1 raises #GP(0), which takes priority over descriptor-table exiting
    Given the processor allows CR4.UMIP to be 1 in VMX operation
    And guest CR4.UMIP is set
    And the "Descriptor-table exiting" control is set
    And the guest starts at CPL 3
    And the exception bitmap intercepts #GP
    And the guest code is:
      """
      sgdt [0x501000]
      """
    When the VMM launches the guest
    Then the guest exits because of a #GP(0) hardware exception
    And "Guest RIP" reads 0x400000
