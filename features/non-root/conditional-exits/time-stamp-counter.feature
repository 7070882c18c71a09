@area:non-root
Feature: RDTSC, RDTSCP and the TSC offset and multiplier
  RDTSC causes a VM exit (basic exit reason 16) if "RDTSC exiting" is 1. Otherwise it returns, in EDX:EAX:
  the TSC, if "use TSC offsetting" is 0; the TSC plus the signed "TSC offset", if "use TSC offsetting" is 1
  and "use TSC scaling" is 0; and ((TSC × "TSC multiplier") >> 48) plus the offset if both are 1. The same
  value is what RDMSR of IA32_TIME_STAMP_COUNTER (10H) returns to the guest when it does not exit.
  RDTSCP raises #UD unless "enable RDTSCP" is 1; then it behaves like RDTSC (exit reason 51) and also loads
  ECX with IA32_TSC_AUX. The #GP that CR4.TSD = 1 raises at CPL > 0 takes priority over the VM exit.

  No scenario asserts an absolute TSC value: the VMM reads the TSC itself (RDMSR 10H in root operation, where
  no offset applies) before the guest runs and again afterwards, and the guest's value must lie between the
  two readings transformed as the rule says. The guest combines EDX:EAX into RAX before its VMCALL marker.

  Sources: SDM Vol. 3C 25.6.2 "Processor-Based VM-Execution Controls"; 25.6.5 "Time-Stamp Counter Offset
  and Multiplier"; 26.1.1 "Relative Priority of Faults and VM Exits"; 26.1.3 "Instructions That Cause VM
  Exits Conditionally" (RDTSC, RDTSCP); 26.3 "Changes to Instruction Behavior in VMX Non-Root Operation"
  (RDMSR, RDTSC, RDTSCP); Vol. 3B 18.17 "Time-Stamp Counter".

  Background:
    Given a VMCS set up for a 64-bit guest

  @sdm:26.1.3 @control:rdtsc-exiting @exit-reason:16 @requires:rdtsc-exiting
  Scenario: RDTSC causes a VM exit when "RDTSC exiting" is 1
    Given the "RDTSC exiting" control is set
    And the guest code is:
      """
      rdtsc
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 16 ("RDTSC")
    And "Guest RIP" reads 0x400000
    And "VM-exit instruction length" reads 2

  @sdm:26.3 @control:rdtsc-exiting @control:use-tsc-offsetting @exit-reason:18
  @requires:no-rdtsc-exiting @requires:no-use-tsc-offsetting
  Scenario: Without RDTSC exiting or offsetting the guest reads the TSC itself
    Given the "RDTSC exiting" control is clear
    And the "Use TSC offsetting" control is clear
    And the VMM reads the TSC
    And the guest code is:
      """
      rdtsc
      shl rdx, 32
      or rax, rdx
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest's RAX is a TSC value between the VMM's readings plus 0

  @sdm:26.3 @sdm:25.6.5 @control:rdtsc-exiting @control:use-tsc-offsetting @exit-reason:18
  @requires:no-rdtsc-exiting @requires:use-tsc-offsetting
  Scenario Outline: With "use TSC offsetting" the guest's RDTSC returns the TSC plus the offset <offset>
    Given the "RDTSC exiting" control is clear
    And the VMM has written <offset> to "TSC offset"
    And the "Use TSC offsetting" control is set
    And the VMM reads the TSC
    And the guest code is:
      """
      rdtsc
      shl rdx, 32
      or rax, rdx
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest's RAX is a TSC value between the VMM's readings plus <offset>

    Examples:
      | offset             |
      | 0x100000000000     |
      | 0x4000000000000000 |

  @sdm:26.3 @sdm:25.6.5 @control:use-tsc-offsetting @control:use-msr-bitmaps @exit-reason:18
  @requires:use-tsc-offsetting @requires:use-msr-bitmaps
  Scenario: The TSC offset also applies to the guest's RDMSR of IA32_TIME_STAMP_COUNTER
    Given the VMCS points to the MSR bitmaps, every bit clear
    And the "Use MSR bitmaps" control is set
    And the VMM has written 0x100000000000 to "TSC offset"
    And the "Use TSC offsetting" control is set
    And the VMM reads the TSC
    And the guest code is:
      """
      mov ecx, 0x10
      rdmsr
      shl rdx, 32
      or rax, rdx
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest's RAX is a TSC value between the VMM's readings plus 0x100000000000

  @sdm:26.3 @sdm:25.6.5 @control:use-tsc-scaling @control:use-tsc-offsetting @exit-reason:18
  @requires:use-tsc-scaling @requires:use-tsc-offsetting @requires:no-rdtsc-exiting
  Scenario: With "use TSC scaling" as well, RDTSC returns (TSC × multiplier) >> 48 plus the offset
    The multiplier 2_0000_0000_0000H is 2.0 in the field's fixed-point format (48 fraction bits).

    Given the "RDTSC exiting" control is clear
    And the VMM has written 0x2000000000000 to "TSC multiplier"
    And the "Use TSC scaling" control is set
    And the VMM has written 0x100000000000 to "TSC offset"
    And the "Use TSC offsetting" control is set
    And the VMM reads the TSC
    And the guest code is:
      """
      rdtsc
      shl rdx, 32
      or rax, rdx
      mov qword ptr [0x501000], rax
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the qword at guest-physical address 0x501000 is a TSC value between the VMM's readings scaled by 0x2000000000000 plus 0x100000000000

  @sdm:26.3 @control:use-tsc-scaling @control:use-tsc-offsetting @exit-reason:18
  @requires:use-tsc-scaling @requires:no-use-tsc-offsetting @requires:no-rdtsc-exiting
  Scenario: "use TSC scaling" has no effect while "use TSC offsetting" is 0
    Given the "RDTSC exiting" control is clear
    And the VMM has written 0x2000000000000 to "TSC multiplier"
    And the "Use TSC scaling" control is set
    And the "Use TSC offsetting" control is clear
    And the VMM reads the TSC
    And the guest code is:
      """
      rdtsc
      shl rdx, 32
      or rax, rdx
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest's RAX is a TSC value between the VMM's readings plus 0

  @sdm:26.3 @exception:UD @exit-reason:0 @control:enable-rdtscp @requires:no-enable-rdtscp
  Scenario: RDTSCP raises #UD when "enable RDTSCP" is 0
    Given the "Enable RDTSCP" control is clear
    And the exception bitmap intercepts #UD
    And the guest code is:
      """
      rdtscp
      """
    When the VMM launches the guest
    Then the guest exits because of a #UD hardware exception
    And "Guest RIP" reads 0x400000

  @sdm:26.3 @sdm:26.1.1 @exception:UD @exit-reason:0 @control:enable-rdtscp @control:rdtsc-exiting
  @requires:no-enable-rdtscp @requires:rdtsc-exiting
  Scenario: Without "enable RDTSCP", RDTSCP raises #UD even when "RDTSC exiting" is 1
    Given the "Enable RDTSCP" control is clear
    And the "RDTSC exiting" control is set
    And the exception bitmap intercepts #UD
    And the guest code is:
      """
      rdtscp
      """
    When the VMM launches the guest
    Then the guest exits because of a #UD hardware exception

  @sdm:26.1.3 @control:enable-rdtscp @control:rdtsc-exiting @exit-reason:51 @requires:enable-rdtscp @requires:rdtsc-exiting
  Scenario: RDTSCP causes a VM exit with basic exit reason 51 when "enable RDTSCP" and "RDTSC exiting" are 1
    Given the "Enable RDTSCP" control is set
    And the "RDTSC exiting" control is set
    And the guest code is:
      """
      rdtscp
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 51 ("RDTSCP")
    And "Guest RIP" reads 0x400000
    And "VM-exit instruction length" reads 3

  @sdm:26.3 @sdm:25.6.5 @control:enable-rdtscp @control:use-tsc-offsetting @exit-reason:18
  @requires:enable-rdtscp @requires:use-tsc-offsetting @requires:no-rdtsc-exiting
  Scenario: With "enable RDTSCP" and offsetting, RDTSCP returns the offset TSC and IA32_TSC_AUX
    Given the VMM has set MSR 0xc0000103 to 0x2a
    And the "Enable RDTSCP" control is set
    And the "RDTSC exiting" control is clear
    And the VMM has written 0x100000000000 to "TSC offset"
    And the "Use TSC offsetting" control is set
    And the VMM reads the TSC
    And the guest code is:
      """
      rdtscp
      shl rdx, 32
      or rax, rdx
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest's RAX is a TSC value between the VMM's readings plus 0x100000000000
    And the guest's RCX is 0x2a

  @sdm:26.1.1 @exception:GP @exit-reason:0 @control:rdtsc-exiting @requires:rdtsc-exiting @requires:cpl
  Scenario: RDTSC at CPL 3 with CR4.TSD = 1 raises #GP(0), which takes priority over "RDTSC exiting"
    Given guest CR4.TSD is set
    And the "RDTSC exiting" control is set
    And the guest starts at CPL 3
    And the exception bitmap intercepts #GP
    And the guest code is:
      """
      rdtsc
      """
    When the VMM launches the guest
    Then the guest exits because of a #GP(0) hardware exception
    And "Guest RIP" reads 0x400000

  @sdm:26.1.3 @control:rdtsc-exiting @exit-reason:16 @requires:rdtsc-exiting @requires:cpl
  Scenario: RDTSC at CPL 3 with CR4.TSD = 0 causes the VM exit
    Given guest CR4.TSD is clear
    And the "RDTSC exiting" control is set
    And the guest starts at CPL 3
    And the exception bitmap intercepts #GP
    And the guest code is:
      """
      rdtsc
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 16 ("RDTSC")
    And "Guest RIP" reads 0x400000
