@area:events
Feature: Interrupt-window and NMI-window exiting, the VMX-preemption timer and the monitor trap flag
  These VM exits come from the VMM's own controls, not from guest instructions:
  - "interrupt-window exiting": a VM exit (basic exit reason 7) before any instruction at which RFLAGS.IF = 1
    and there is no blocking by STI or by MOV SS — so right after VM entry if that holds then;
  - "NMI-window exiting" (requires "virtual NMIs"): a VM exit (8) before any instruction at which there is
    no virtual-NMI blocking (and no blocking by MOV SS); IRET removes virtual-NMI blocking;
  - "activate VMX-preemption timer": the timer counts down from "VMX-preemption timer value" at the TSC
    rate divided by 2^X (X = IA32_VMX_MISC[4:0]) and causes a VM exit (52) when it reaches 0 — before the
    first instruction if it is 0 at VM entry, and also from the HLT state; "save VMX-preemption timer value"
    stores the remaining count on VM exits (0 when the timer expired);
  - "monitor trap flag": a VM exit (37) at the instruction boundary after the first instruction the guest
    executes; VM entry can also inject a pending MTF VM exit (interruption type 7, vector 0) that happens
    before any instruction.

  Sources: SDM Vol. 3C 25.4.2 "Guest Non-Register State"; 25.6.1 "Pin-Based VM-Execution Controls"; 25.6.2
  "Processor-Based VM-Execution Controls"; 26.2 "Other Causes of VM Exits" (interrupt-window and NMI-window
  exiting); 26.5.1 "VMX-Preemption Timer"; 26.5.2 "Monitor Trap Flag"; 27.6.2 "Injection of Pending MTF VM
  Exits"; 27.7.4 "VMX-Preemption Timer"; 27.7.5 "Interrupt-Window Exiting and Virtual-Interrupt Delivery";
  27.7.6 "NMI-Window Exiting"; 28.3.4 "Saving Non-Register State"; Appendix A.6 "Miscellaneous Data".

  Background:
    Given a VMCS set up for a 64-bit guest

  @sdm:26.2 @sdm:27.7.5 @control:interrupt-window-exiting @exit-reason:7 @requires:interrupt-window-exiting
  Scenario: With RFLAGS.IF = 1 and no blocking at VM entry, interrupt-window exiting causes a VM exit before the first instruction
    Given the VMM has written 0x202 to "Guest RFLAGS"
    And the "Interrupt-window exiting" control is set
    And the guest code is:
      """
      nop
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 7 ("Interrupt window")
    And "Guest RIP" reads 0x400000

  @sdm:26.2 @control:interrupt-window-exiting @exit-reason:7 @requires:interrupt-window-exiting
  Scenario: After STI the interrupt window opens only once the instruction after STI has completed
    STI sets IF and blocks interrupts for one instruction ("blocking by STI"); the VM exit comes before the
    second NOP, and the interruptibility state saved then shows no blocking.

    Given the VMM has written 0x2 to "Guest RFLAGS"
    And the "Interrupt-window exiting" control is set
    And the guest code is:
      """
      sti
      nop
      nop
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 7 ("Interrupt window")
    And "Guest RIP" reads 0x400002
    And "Guest interruptibility state" reads 0

  @sdm:27.7.5 @control:interrupt-window-exiting @exit-reason:7 @requires:interrupt-window-exiting
  Scenario: Blocking by STI in the guest's interruptibility state at VM entry delays the interrupt window by one instruction
    Given the VMM has written 0x202 to "Guest RFLAGS"
    And the VMM has written 1 to "Guest interruptibility state"
    And the "Interrupt-window exiting" control is set
    And the guest code is:
      """
      nop
      nop
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 7 ("Interrupt window")
    And "Guest RIP" reads 0x400001

  @sdm:26.2 @control:interrupt-window-exiting @exit-reason:18 @requires:interrupt-window-exiting
  Scenario: While RFLAGS.IF = 0 the interrupt window stays closed
    Given the VMM has written 0x2 to "Guest RFLAGS"
    And the "Interrupt-window exiting" control is set
    And the guest code is:
      """
      nop
      nop
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")

  @sdm:26.2 @sdm:27.7.6 @control:nmi-window-exiting @control:virtual-nmis @exit-reason:8
  @requires:nmi-window-exiting @requires:virtual-nmis @requires:nmi-exiting
  Scenario: Without virtual-NMI blocking at VM entry, NMI-window exiting causes a VM exit before the first instruction
    Given the "NMI exiting" control is set
    And the "Virtual NMIs" control is set
    And the "NMI-window exiting" control is set
    And the guest code is:
      """
      nop
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 8 ("NMI window")
    And "Guest RIP" reads 0x400000

  @sdm:26.2 @sdm:26.3 @control:nmi-window-exiting @control:virtual-nmis @exit-reason:8
  @requires:nmi-window-exiting @requires:virtual-nmis @requires:nmi-exiting
  Scenario: With virtual-NMI blocking the NMI window opens at the IRET that removes it
    The guest starts with "blocking by NMI" (bit 3 of the interruptibility state), which with virtual NMIs
    means virtual-NMI blocking. It runs until an IRETQ to its next instruction (400013H) removes the blocking;
    the VM exit comes before that instruction.

    Given the "NMI exiting" control is set
    And the "Virtual NMIs" control is set
    And the "NMI-window exiting" control is set
    And the VMM has written 8 to "Guest interruptibility state"
    And the guest code is:
      """
      mov rax, rsp
      push 0x10
      push rax
      pushfq
      push 0x08
      lea rax, [after]
      push rax
      iretq
      after:
      nop
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 8 ("NMI window")
    And "Guest RIP" reads 0x400013

  @sdm:26.5.1 @sdm:27.7.4 @control:activate-vmx-preemption-timer @exit-reason:52 @requires:activate-vmx-preemption-timer
  Scenario: A VMX-preemption timer value of 0 causes a VM exit before the guest's first instruction
    Given the VMM has written 0 to "VMX-preemption timer value"
    And the "Activate VMX-preemption timer" control is set
    And the guest code is:
      """
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 52 ("VMX-preemption timer expired")
    And "Guest RIP" reads 0x400000

  @sdm:26.5.1 @control:activate-vmx-preemption-timer @control:save-vmx-preemption-timer-value @exit-reason:52
  @requires:activate-vmx-preemption-timer @requires:save-vmx-preemption-timer-value
  Scenario: The VMX-preemption timer counts down while the guest spins and causes a VM exit; the saved value is 0
    Given the VMM has written 100 to "VMX-preemption timer value"
    And the "Activate VMX-preemption timer" control is set
    And the "Save VMX-preemption timer value" control is set
    And the guest code is:
      """
      spin:
      jmp spin
      """
    When the VMM launches the guest for at most 10000000 instructions
    Then the guest exits with basic exit reason 52 ("VMX-preemption timer expired")
    And "Guest RIP" reads 0x400000
    And "VMX-preemption timer value" reads 0

  @sdm:26.5.1 @sdm:28.3.4 @control:activate-vmx-preemption-timer @control:save-vmx-preemption-timer-value @exit-reason:18
  @requires:activate-vmx-preemption-timer @requires:save-vmx-preemption-timer-value
  Scenario: On a VM exit for another reason, "save VMX-preemption timer value" stores the remaining count
    A thousand loop iterations take at least a thousand TSC ticks, enough for the timer to count down at
    least once even at the slowest rate IA32_VMX_MISC[4:0] can report (2^31 ticks is not reached; the
    count starts at FFFFFFFFH so it cannot expire).

    Given the VMM has written 0xffffffff to "VMX-preemption timer value"
    And the "Activate VMX-preemption timer" control is set
    And the "Save VMX-preemption timer value" control is set
    And the guest code is:
      """
      mov ecx, 1000
      spin:
      dec ecx
      jnz spin
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And "VMX-preemption timer value" is less than 0xffffffff

  @sdm:26.5.1 @sdm:28.3.4 @control:activate-vmx-preemption-timer @control:hlt-exiting @exit-reason:52
  @requires:activate-vmx-preemption-timer @requires:no-hlt-exiting @requires:activity-hlt
  Scenario: The VMX-preemption timer also counts in the HLT state and its VM exit saves the HLT activity state
    Given the VMM has written 100 to "VMX-preemption timer value"
    And the "Activate VMX-preemption timer" control is set
    And the "HLT exiting" control is clear
    And the guest code is:
      """
      hlt
      vmcall
      """
    When the VMM launches the guest for at most 10000000 instructions
    Then the guest exits with basic exit reason 52 ("VMX-preemption timer expired")
    And "Guest activity state" reads 1
    And "Guest RIP" reads 0x400001

  @sdm:26.5.2 @control:monitor-trap-flag @exit-reason:37 @requires:monitor-trap-flag
  Scenario: With the monitor trap flag the guest exits after its first instruction
    Given the "Monitor trap flag" control is set
    And the guest code is:
      """
      mov eax, 1
      mov ebx, 2
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 37 ("Monitor trap flag")
    And "Guest RIP" reads 0x400005
    And the guest's RAX is 1

  @sdm:26.5.2 @control:monitor-trap-flag @exit-reason:37 @requires:monitor-trap-flag
  Scenario: Single-stepping with the monitor trap flag: each VMRESUME runs one more instruction
    Given the "Monitor trap flag" control is set
    And the guest code is:
      """
      mov eax, 1
      mov ebx, 2
      vmcall
      """
    When the VMM launches the guest
    And the VMM resumes the guest
    Then the guest exits with basic exit reason 37 ("Monitor trap flag")
    And "Guest RIP" reads 0x40000a
    And the guest's RBX is 2

  @sdm:27.6.2 @control:monitor-trap-flag @exit-reason:37 @requires:monitor-trap-flag
  Scenario: VM entry can inject a pending MTF VM exit, which happens before the first instruction
    Interruption type 7 ("other event") with vector 0 in the VM-entry interruption-information field.

    Given the VMM has written 0x80000700 to "VM-entry interruption-information field"
    And the guest code is:
      """
      mov eax, 1
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 37 ("Monitor trap flag")
    And "Guest RIP" reads 0x400000
