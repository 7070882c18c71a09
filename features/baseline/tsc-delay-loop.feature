@area:baseline
Feature: A guest delay loop that reads the TSC: one VM exit per RDTSC, or none with TSC offsetting
  The seed article's example of why VM-execution controls exist: a delay loop calls RDTSC over and over. If
  every RDTSC traps to the VMM ("RDTSC exiting" = 1, basic exit reason 16) the loop costs a VM exit per
  iteration and the VMM must emulate the counter; with "RDTSC exiting" = 0 and "use TSC offsetting" = 1 the
  guest reads the real TSC plus the VMM's offset with no VM exit at all.

  The guest waits until the TSC has advanced by 3000: it reads a start value, computes a deadline, and reads
  again until it reaches it, storing the first and last values at 501000H and 501008H; VMCALL ends it. In the
  first scenario the VMM answers each RDTSC exit with a virtual TSC that advances by 1000 per read (1000,
  2000, …): the start is 1000, the deadline 4000, so the loop reads 4 times and the VMM sees exactly 4 RDTSC
  exits. In the second the guest's values lie between the VMM's own TSC readings before and after the run,
  plus the offset (no absolute TSC value is ever asserted).

  Sources: SDM Vol. 3C 25.6.2 "Processor-Based VM-Execution Controls"; 25.6.5 "Time-Stamp Counter Offset and
  Multiplier"; 26.1.3 "Instructions That Cause VM Exits Conditionally" (RDTSC); 26.3 "Changes to
  Instruction Behavior in VMX Non-Root Operation" (RDTSC); 28.2.5 "Information for VM Exits Due to
  Instruction Execution" (instruction length, used to skip the RDTSC).

  Background:
    Given a VMCS set up for a 64-bit guest
    And the guest code is:
      """
      rdtsc
      shl rdx, 32
      or rax, rdx
      mov qword ptr [0x501000], rax
      lea rbx, [rax + 3000]
      wait:
      rdtsc
      shl rdx, 32
      or rax, rdx
      cmp rax, rbx
      jb wait
      mov qword ptr [0x501008], rax
      vmcall
      """

  @sdm:26.1.3 @control:rdtsc-exiting @exit-reason:16 @exit-reason:18 @requires:rdtsc-exiting
  Scenario: With RDTSC exiting the delay loop exits once per RDTSC and sees the VMM's virtual TSC
    Given the "RDTSC exiting" control is set
    When the VMM launches the guest
    And the VMM answers every RDTSC exit with a virtual TSC advancing by 1000 per read, until the guest exits for another reason
    Then the VMM answered 4 RDTSC exits
    And the guest exits with basic exit reason 18 ("VMCALL")
    And the qword at guest-physical address 0x501000 is 1000
    And the qword at guest-physical address 0x501008 is 4000

  @sdm:26.3 @sdm:25.6.5 @control:rdtsc-exiting @control:use-tsc-offsetting @exit-reason:18
  @requires:no-rdtsc-exiting @requires:use-tsc-offsetting
  Scenario: With TSC offsetting the delay loop runs without any VM exit and sees the TSC plus the offset
    Given the "RDTSC exiting" control is clear
    And the VMM has written 0x100000000000 to "TSC offset"
    And the "Use TSC offsetting" control is set
    And the VMM reads the TSC
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the qword at guest-physical address 0x501000 is a TSC value between the VMM's readings plus 0x100000000000
    And the qword at guest-physical address 0x501008 is a TSC value between the VMM's readings plus 0x100000000000
    And the guest waited at least 3000 TSC ticks between the qwords at 0x501000 and 0x501008
