@area:non-root
Feature: CR0 and CR4 guest/host masks and read shadows: CLTS, LMSW, SMSW and MOV to and from CR0 and CR4
  The CR0 and CR4 guest/host masks say which bits the VMM owns. For a host-owned bit (mask bit 1) the
  guest sees the read shadow instead of the real bit, and a guest write that would give the bit a value
  different from the read shadow causes a VM exit ("Control-register accesses", basic exit reason 28).
  Guest-owned bits (mask bit 0) are read and written directly. A write that does not exit leaves every
  host-owned bit of the real register unchanged.

  The rules, instruction by instruction (26.1.3):
  - MOV to CR0/CR4 exits unless, for every bit set in the guest/host mask, the source operand's bit equals
    the read shadow's bit. With an all-zero mask it never exits.
  - CLTS exits if bit 3 (TS) is set in both the CR0 guest/host mask and the CR0 read shadow.
  - LMSW exits if bit 0 (PE) is set in the mask and in the source operand but clear in the read shadow, or
    if for any of bits 3:1 set in the mask the source operand and the read shadow differ. (LMSW never clears
    PE, so a source with PE = 0 cannot exit on bit 0.)
  The changed behaviour of the instructions that do not exit (26.3): MOV from CR0/CR4 and SMSW return the
  read shadow's bit for host-owned bits and the real bit otherwise; MOV to CR0/CR4, CLTS and LMSW leave
  host-owned bits of the real register unmodified.

  Each scenario ends the guest with VMCALL as a marker, so that "the guest exits with basic exit reason 18"
  says the instruction before it did not exit. The real CR0 and CR4 are then "Guest CR0" and "Guest CR4",
  which the VM exit saved (28.3.1); what the guest read is in its general-purpose registers, which VM exits
  do not touch. The standard guest runs with CR0 = 80010031H (PG, WP, NE, ET, PE) and CR4 = 2020H
  (VMXE, PAE).

  Sources: SDM Vol. 3C 25.6.6 "Guest/Host Masks and Read Shadows for CR0 and CR4"; 26.1.1 "Relative
  Priority of Faults and VM Exits"; 26.1.3 "Instructions That Cause VM Exits Conditionally" (CLTS, LMSW,
  MOV to CR0, MOV to CR4); 26.3 "Changes to Instruction Behavior in VMX Non-Root Operation" (CLTS, LMSW,
  MOV from CR0, MOV from CR4, MOV to CR0, MOV to CR4, SMSW); 28.2.1 "Basic VM-Exit Information" (Table
  "Exit Qualification for Control-Register Accesses"); 28.3.1 "Saving Control Registers, Debug Registers,
  and MSRs".

  Background:
    Given a VMCS set up for a 64-bit guest

  @sdm:26.1.3 @sdm:25.6.6
  Scenario Outline: MOV to CR0 writing <value> with mask <mask> and read shadow <shadow> <outcome>
    Given the VMM has written <mask> to "CR0 guest/host mask"
    And the VMM has written <shadow> to "CR0 read shadow"
    And the guest code is:
      """
      mov eax, <value>
      mov cr0, rax
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason <reason> ("<name>")
    And "Guest RIP" reads <rip>

    @exit-reason:28
    Examples: a host-owned bit would change: VM exit
      | mask       | shadow     | value      | outcome                                        | reason | name                      | rip      |
      | 0x8        | 0x0        | 0x80010039 | exits: TS is host-owned and differs             | 28     | Control-register accesses | 0x400005 |
      | 0x80000008 | 0x80000000 | 0x80010039 | exits: PG matches but TS differs                | 28     | Control-register accesses | 0x400005 |

    @exit-reason:18
    Examples: every host-owned bit matches its read shadow: no VM exit
      | mask       | shadow     | value      | outcome                                        | reason | name   | rip      |
      | 0x8        | 0x8        | 0x80010039 | does not exit: TS matches the shadow            | 18     | VMCALL | 0x400008 |
      | 0x0        | 0xffffffff | 0x80010039 | does not exit: no bit is host-owned             | 18     | VMCALL | 0x400008 |

  @sdm:26.3 @sdm:25.6.6 @exit-reason:18
  Scenario: MOV to CR0 that does not exit changes only guest-owned bits; MOV from CR0 returns the shadow for host-owned bits
    CR0.TS is host-owned (mask 8H) with read shadow TS = 1, and really 0. The guest writes TS = 1 and MP = 1:
    no VM exit (TS matches the shadow); MP, guest-owned, becomes 1; TS, host-owned, stays 0. Reading CR0 back,
    the guest sees TS = 1 from the shadow.

    Given the VMM has written 0x8 to "CR0 guest/host mask"
    And the VMM has written 0x8 to "CR0 read shadow"
    And the guest code is:
      """
      mov eax, 0x8001003b
      mov cr0, rax
      mov rcx, cr0
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And "Guest CR0" reads 0x80010033
    And the guest's RCX is 0x8001003b

  @sdm:26.3 @sdm:25.6.6 @exit-reason:18
  Scenario: A VMM hides CR4.VMXE: MOV from CR4 returns the read shadow, and a write without VMXE does not clear it
    CR4.VMXE must stay 1 in VMX operation, but the guest need not see it: with VMXE host-owned and clear in
    the read shadow, the guest reads CR4 without VMXE and may write it back (it matches the shadow), setting
    PGE, a guest-owned bit; the real CR4 keeps VMXE.

    Given the VMM has written 0x2000 to "CR4 guest/host mask"
    And the VMM has written 0x0 to "CR4 read shadow"
    And the guest code is:
      """
      mov rax, cr4
      mov rbx, rax
      or eax, 0x80
      mov cr4, rax
      mov rcx, cr4
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest's RBX is 0x20
    And the guest's RCX is 0xa0
    And "Guest CR4" reads 0x20a0

  @sdm:26.1.3 @sdm:25.6.6 @exit-reason:28
  Scenario: MOV to CR4 exits when it would set a host-owned bit that is clear in the read shadow
    Given the VMM has written 0x2000 to "CR4 guest/host mask"
    And the VMM has written 0x0 to "CR4 read shadow"
    And the guest code is:
      """
      mov eax, 0x20a0
      mov cr4, rax
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 28 ("Control-register accesses")
    And "Guest RIP" reads 0x400005
    And "Guest CR4" reads 0x2020

  @sdm:26.1.3 @sdm:26.3 @sdm:25.6.6
  Scenario Outline: CLTS with CR0 guest/host mask <mask> and read shadow <shadow> <outcome>
    The real CR0.TS is 1 when the guest starts.

    Given guest CR0.TS is set
    And the VMM has written <mask> to "CR0 guest/host mask"
    And the VMM has written <shadow> to "CR0 read shadow"
    And the guest code is:
      """
      clts
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason <reason> ("<name>")
    And the bit fields of "Guest CR0" read:
      | bits | value | meaning |
      | 3    | <ts>  | TS      |

    @exit-reason:28
    Examples: TS set in both mask and shadow
      | mask | shadow | outcome                                     | reason | name                      | ts |
      | 0x8  | 0x8    | exits                                       | 28     | Control-register accesses | 1  |

    @exit-reason:18
    Examples: no VM exit
      | mask | shadow | outcome                                     | reason | name   | ts |
      | 0x8  | 0x0    | does not exit and leaves the host-owned TS  | 18     | VMCALL | 1  |
      | 0x0  | 0x8    | does not exit and clears the guest-owned TS | 18     | VMCALL | 0  |

  @sdm:26.1.3 @sdm:25.6.6
  Scenario Outline: LMSW of <source> with CR0 guest/host mask <mask> and read shadow <shadow> <outcome>
    Given the VMM has written <mask> to "CR0 guest/host mask"
    And the VMM has written <shadow> to "CR0 read shadow"
    And the guest code is:
      """
      mov eax, <source>
      lmsw ax
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason <reason> ("<name>")
    And "Guest RIP" reads <rip>

    @exit-reason:28
    Examples: VM exit
      | mask | shadow | source | outcome                                          | reason | name                      | rip      |
      | 0x1  | 0x0    | 0x1    | exits: PE set in mask and source, clear in shadow | 28     | Control-register accesses | 0x400005 |
      | 0xe  | 0x0    | 0x3    | exits: MP (bit 1) differs from the shadow          | 28     | Control-register accesses | 0x400005 |

    @exit-reason:18
    Examples: no VM exit
      | mask | shadow | source | outcome                                          | reason | name   | rip      |
      | 0x1  | 0x1    | 0x0    | does not exit: LMSW never clears PE              | 18     | VMCALL | 0x400009 |
      | 0xe  | 0x2    | 0x3    | does not exit: bits 3:1 match the shadow         | 18     | VMCALL | 0x400009 |
      | 0x0  | 0xf    | 0x3    | does not exit: no bit is host-owned              | 18     | VMCALL | 0x400009 |

  @sdm:26.3 @sdm:25.6.6 @exit-reason:18
  Scenario: LMSW that does not exit loads only the guest-owned bits of CR0[3:0]
    TS is host-owned (mask 8H, shadow 0) and really 1. LMSW with source 3 (PE, MP; TS = 0) matches the
    shadow in TS, so no VM exit; MP becomes 1, and TS stays 1.

    Given guest CR0.TS is set
    And the VMM has written 0x8 to "CR0 guest/host mask"
    And the VMM has written 0x0 to "CR0 read shadow"
    And the guest code is:
      """
      mov eax, 0x3
      lmsw ax
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And "Guest CR0" reads 0x8001003b

  @sdm:26.3 @sdm:25.6.6 @exit-reason:18
  Scenario: SMSW returns the CR0 read shadow for host-owned bits
    TS is host-owned with read shadow TS = 1 while the real TS is 0; SMSW stores CR0[15:0] with TS from
    the shadow: PE, TS, ET, NE = 0039H.

    Given the VMM has written 0x8 to "CR0 guest/host mask"
    And the VMM has written 0x8 to "CR0 read shadow"
    And the guest code is:
      """
      smsw word ptr [0x501000]
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the word at guest-physical address 0x501000 is 0x39
    And "Guest CR0" reads 0x80010031

  @sdm:26.1.1 @exception:GP @exit-reason:0 @requires:cpl
  Scenario: MOV to CR0 at CPL 3 raises #GP(0), which takes priority over the CR0 guest/host mask
    Every CR0 bit is host-owned and the value written differs from the shadow, which would exit at CPL 0;
    at CPL 3 the privilege check comes first.

    Given the guest starts at CPL 3
    And the VMM has written 0xffffffff to "CR0 guest/host mask"
    And the VMM has written 0x0 to "CR0 read shadow"
    And the exception bitmap intercepts #GP
    And the guest code is:
      """
      mov eax, 0x80010039
      mov cr0, rax
      """
    When the VMM launches the guest
    Then the guest exits because of a #GP(0) hardware exception
    And "Guest RIP" reads 0x400005
