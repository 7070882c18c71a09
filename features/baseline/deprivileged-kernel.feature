@area:baseline
Feature: Why VMX exists: a ring-deprivileged guest kernel cannot see every sensitive instruction, a VMX guest kernel can
  Before VT-x, a monitor ran a guest kernel "deprivileged" at ring 3 (or 1) and relied on trap-and-emulate:
  every instruction that touches privileged state should fault to the monitor, which emulates it. That
  works for privileged instructions — HLT, MOV to CR3, LGDT, CLI with IOPL 0 raise #GP(0) at CPL > 0 — but
  x86 also has sensitive instructions that are not privileged: SGDT, SIDT and SMSW read system state and
  PUSHF/POPF read and (try to) write RFLAGS.IF, all without faulting at CPL 3. The deprivileged kernel then
  sees the monitor's real descriptor tables and CR0, and its POPF that should disable interrupts is silently
  ignored. (The seed articles describe this "privilege compression" and why binary translation and then VT-x
  were needed.)

  First half, the classic world: the guest kernel starts at CPL 3 inside a VMX guest whose VM-execution
  controls intercept none of these instructions, and the guest's own ring-0 IDT handlers play the monitor's
  trap handlers (each counts its vector in guest memory and halts). This is equivalent to bare metal for
  these instructions: 26.1 makes HLT, MOV to CR3 and LGDT/SGDT/SIDT exit only under "HLT exiting",
  "CR3-load exiting" and "descriptor-table exiting", and SMSW, PUSHF, POPF and CLI never; with those
  controls 0, an all-zero CR0 guest/host mask and an all-zero exception bitmap, 26.3 changes nothing about
  them, so they behave as 26.1.1 and Vol. 3A say a processor outside VMX behaves: privileged ones fault to
  the IDT, the others complete. (A processor without TRUE controls keeps "CR3-load exiting" at 1, but at CPL
  3 the #GP of MOV to CR3 comes before that exit, 26.1.1.) A marker store after the instruction tells
  whether execution went on past it.

  Second half, VMX: the same instructions executed by the guest kernel at ring 0 in VMX non-root operation,
  with the intercepting controls set, each cause a VM exit to the VMM; SMSW and POPF need no exit — the VMM
  virtualizes SMSW through the CR0 read shadow, and IF really belongs to a ring-0 guest while "external-
  interrupt exiting" keeps interrupts with the VMM whatever IF is (features/events).

  Sources: SDM Vol. 3A 2.8 "System Instruction Summary"; 5.9 "Privileged Instructions"; 6.8.1 "Masking
  Maskable Hardware Interrupts"; Vol. 2B POPF ("Operation", IF unchanged when CPL > IOPL); Vol. 3C 26.1
  "Instructions That Cause VM Exits"; 26.1.1 "Relative Priority of Faults and VM Exits"; 26.1.3 "Instructions
  That Cause VM Exits Conditionally"; 26.3 "Changes to Instruction Behavior in VMX Non-Root Operation" (SMSW);
  25.6.6 "Guest/Host Masks and Read Shadows for CR0 and CR4".

  Background:
    Given a VMCS set up for a 64-bit guest
    And the VMM has written 0 to "Exception bitmap"
    And the VMM has written 0 to "CR0 guest/host mask"

  @sdm:26.1.1 @exception:GP @control:hlt-exiting @control:descriptor-table-exiting
  @requires:cpl @requires:step-budget @requires:no-hlt-exiting @requires:no-descriptor-table-exiting
  Scenario Outline: Deprivileged at CPL 3, the guest kernel's <instruction> traps to the monitor with #GP
    Given the "HLT exiting" control is clear
    And the "Descriptor-table exiting" control is clear
    And the guest starts at CPL 3
    And the guest code is:
      """
      <code>
      mov byte ptr [0x501000], 1
      spin:
      jmp spin
      """
    When the VMM launches the guest for at most 200 instructions
    Then the guest has not exited
    And the guest's #GP handler has run 1 time
    And the byte at guest-physical address 0x501000 is 0
    And the logical processor is in the HLT activity state

    Examples:
      | instruction | code            |
      | HLT         | hlt             |
      | MOV to CR3  | mov cr3, rax    |
      | LGDT        | lgdt [0x501100] |
      | CLI         | cli             |

  @sdm:26.1 @control:descriptor-table-exiting @requires:cpl @requires:step-budget @requires:no-descriptor-table-exiting
  Scenario Outline: Deprivileged at CPL 3, the guest kernel's <instruction> silently reads the monitor's real <register>
    No fault, so the monitor never learns of it and cannot supply the value the guest kernel expects: it
    sees the GDTR and IDTR the monitor set up (GDT limit 47H once the ring-3 segments were added, IDT
    limit FFFH), not its own virtual ones.

    Given the "Descriptor-table exiting" control is clear
    And guest CR4.UMIP is clear
    And the guest starts at CPL 3
    And the guest code is:
      """
      <code>
      mov byte ptr [0x501000], 1
      spin:
      jmp spin
      """
    When the VMM launches the guest for at most 200 instructions
    Then the guest has not exited
    And the guest's #GP handler has run 0 times
    And the byte at guest-physical address 0x501000 is 1
    And the word at guest-physical address 0x501010 is <limit>
    And the qword at guest-physical address 0x501012 is <base>

    Examples:
      | instruction | register | code            | limit | base     |
      | SGDT        | GDTR     | sgdt [0x501010] | 0x47  | 0x310000 |
      | SIDT        | IDTR     | sidt [0x501010] | 0xfff | 0x311000 |

  @sdm:26.1 @requires:cpl @requires:step-budget
  Scenario: Deprivileged at CPL 3, the guest kernel's SMSW silently reads the real CR0
    The guest kernel learns that the processor is in protected mode (PE), whatever it was told: CR0[15:0] is
    0031H (PE, ET, NE).

    Given guest CR4.UMIP is clear
    And the guest starts at CPL 3
    And the guest code is:
      """
      smsw word ptr [0x501010]
      mov byte ptr [0x501000], 1
      spin:
      jmp spin
      """
    When the VMM launches the guest for at most 200 instructions
    Then the guest has not exited
    And the guest's #GP handler has run 0 times
    And the byte at guest-physical address 0x501000 is 1
    And the word at guest-physical address 0x501010 is 0x31

  @sdm:26.1 @requires:cpl @requires:step-budget
  Scenario: Deprivileged at CPL 3 with IOPL 0, the guest kernel's POPF cannot clear IF and does not trap either
    The guest kernel reads RFLAGS with PUSHF (IF = 1, IOPL = 0: the monitor's truth), then tries to disable
    interrupts with POPF of a value with IF = 0. POPF at CPL > IOPL leaves IF unchanged without a fault.

    Given the VMM has written 0x202 to "Guest RFLAGS"
    And the guest starts at CPL 3
    And the guest code is:
      """
      pushfq
      pop rax
      mov qword ptr [0x501010], rax
      and eax, 0xfffffdff
      push rax
      popfq
      pushfq
      pop rcx
      mov qword ptr [0x501018], rcx
      mov byte ptr [0x501000], 1
      spin:
      jmp spin
      """
    When the VMM launches the guest for at most 200 instructions
    Then the guest has not exited
    And the guest's #GP handler has run 0 times
    And the byte at guest-physical address 0x501000 is 1
    And the qword at guest-physical address 0x501010 is 0x202
    And the qword at guest-physical address 0x501018 is 0x202

  @sdm:26.1.3
  Scenario Outline: In VMX non-root operation at ring 0, <instruction> causes a VM exit under "<control>"
    Given the VMM has written 0 to "CR3-target count"
    And the "<control>" control is set
    And the guest code is:
      """
      <code>
      mov byte ptr [0x501000], 1
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason <reason> ("<name>")
    And "Guest RIP" reads 0x400000
    And the byte at guest-physical address 0x501000 is 0

    @control:hlt-exiting @exit-reason:12 @requires:hlt-exiting
    Examples:
      | instruction | code         | control     | reason | name |
      | HLT         | hlt          | HLT exiting | 12     | HLT  |

    @control:cr3-load-exiting @exit-reason:28 @requires:cr3-load-exiting
    Examples:
      | instruction | code         | control          | reason | name                      |
      | MOV to CR3  | mov cr3, rax | CR3-load exiting | 28     | Control-register accesses |

    @control:descriptor-table-exiting @exit-reason:46 @requires:descriptor-table-exiting
    Examples:
      | instruction | code            | control                  | reason | name                   |
      | LGDT        | lgdt [0x501100] | Descriptor-table exiting | 46     | Access to GDTR or IDTR |
      | SGDT        | sgdt [0x501010] | Descriptor-table exiting | 46     | Access to GDTR or IDTR |
      | SIDT        | sidt [0x501010] | Descriptor-table exiting | 46     | Access to GDTR or IDTR |

  @sdm:26.3 @sdm:25.6.6 @exit-reason:18
  Scenario: In VMX non-root operation SMSW needs no exit: the VMM presents CR0.PE and CR0.PG through the read shadow
    With PE and PG host-owned and clear in the read shadow, the guest kernel's SMSW sees PE = 0 although the
    processor runs in protected mode with paging.

    Given the VMM has written 0x80000001 to "CR0 guest/host mask"
    And the VMM has written 0x0 to "CR0 read shadow"
    And the guest code is:
      """
      smsw word ptr [0x501010]
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the word at guest-physical address 0x501010 is 0x30
    And "Guest CR0" reads 0x80010031

  @sdm:26.3 @exit-reason:18
  Scenario: In VMX non-root operation at ring 0, the guest kernel's POPF really clears IF
    Given the VMM has written 0x202 to "Guest RFLAGS"
    And the guest code is:
      """
      pushfq
      pop rax
      and eax, 0xfffffdff
      push rax
      popfq
      pushfq
      pop rcx
      mov qword ptr [0x501018], rcx
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the qword at guest-physical address 0x501018 is 0x2
