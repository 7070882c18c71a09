@area:non-root
Feature: MOV to and from CR3 and CR8: CR3-load/store exiting, CR3-target values, CR8 exiting and the TPR shadow
  MOV to CR3 causes a VM exit unless "CR3-load exiting" is 0 or the source operand equals one of the first n
  CR3-target values, n being the CR3-target count (with count 0 it always exits). MOV from CR3 exits if
  "CR3-store exiting" is 1. On processors without the TRUE capability MSRs both controls are default1 and
  cannot be 0 (Appendix A.3.2), so scenarios that clear them need @requires:true-controls.

  MOV to CR8 exits if "CR8-load exiting" is 1, MOV from CR8 if "CR8-store exiting" is 1. Otherwise, with
  "use TPR shadow" = 1 both access the virtual TPR (VTPR, offset 80H of the virtual-APIC page) instead of
  the APIC: MOV from CR8 returns VTPR[7:4] in bits 3:0; MOV to CR8 writes bits 3:0 of the source to
  VTPR[7:4] and clears VTPR[3:0] and bits 31:8 of the VTPR dword; and when "virtual-interrupt delivery" is 0,
  a MOV to CR8 that leaves VTPR[7:4] below bits 3:0 of the TPR threshold causes a trap-like VM exit, "TPR
  below threshold" (basic exit reason 43), after the instruction completed.

  The guest loads CR3 with 303000H, a copy of its own PML4 (so the mapping stays valid), and ends with VMCALL
  as a marker. VM-exit information for these exits is in features/vm-exit/exit-information.feature.

  Sources: SDM Vol. 3C 25.6.2 "Processor-Based VM-Execution Controls"; 25.6.7 "CR3-Target Controls";
  25.6.8 "Controls for APIC Virtualization"; 26.1.1 "Relative Priority of Faults and VM Exits"; 26.1.3
  "Instructions That Cause VM Exits Conditionally" (MOV from CR3, MOV from CR8, MOV to CR3, MOV to CR8);
  26.3 "Changes to Instruction Behavior in VMX Non-Root Operation" (MOV from CR8, MOV to CR8); 30.1.1
  "Virtualized APIC Registers"; 30.1.2 "TPR Virtualization"; 30.3 "Virtualizing CR8-Based TPR Accesses";
  27.2.1.1 "VM-Execution Control Fields" (TPR threshold checks); Appendix A.3.2 "Primary Processor-Based
  VM-Execution Controls"; A.6 "Miscellaneous Data" (number of CR3-target values).

  Background:
    Given a VMCS set up for a 64-bit guest
    And a copy of the guest PML4 at 0x303000

  @sdm:26.1.3 @sdm:25.6.7 @control:cr3-load-exiting @requires:cr3-load-exiting
  Scenario Outline: MOV to CR3 with "CR3-load exiting" = 1, CR3-target count <count> and <targets>: <outcome>
    Given the "CR3-load exiting" control is set
    And the processor supports at least <count> CR3-target values
    And the VMM has written <count> to "CR3-target count"
    And the VMM has written <value 0> to "CR3-target value 0"
    And the VMM has written <value 1> to "CR3-target value 1"
    And the VMM has written <value 3> to "CR3-target value 3"
    And the guest code is:
      """
      mov eax, 0x303000
      mov cr3, rax
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason <reason> ("<name>")
    And "Guest CR3" reads <cr3>

    @exit-reason:28
    Examples: VM exit
      | count | targets                               | value 0  | value 1  | value 3  | outcome                                  | reason | name                      | cr3      |
      | 0     | no target values                      | 0x303000 | 0x0      | 0x0      | exits: count 0, targets ignored          | 28     | Control-register accesses | 0x300000 |
      | 1     | a different target value 0            | 0x304000 | 0x0      | 0x0      | exits: no match                          | 28     | Control-register accesses | 0x300000 |
      | 1     | the value only in target value 1      | 0x304000 | 0x303000 | 0x0      | exits: only the first 1 value counts     | 28     | Control-register accesses | 0x300000 |

    @exit-reason:18
    Examples: no VM exit, CR3 loaded
      | count | targets                               | value 0  | value 1  | value 3  | outcome                                  | reason | name   | cr3      |
      | 1     | the value in target value 0           | 0x303000 | 0x0      | 0x0      | loads CR3 without exiting                | 18     | VMCALL | 0x303000 |
      | 2     | the value in target value 1           | 0x304000 | 0x303000 | 0x0      | loads CR3 without exiting                | 18     | VMCALL | 0x303000 |
      | 4     | the value in target value 3           | 0x304000 | 0x305000 | 0x303000 | loads CR3 without exiting                | 18     | VMCALL | 0x303000 |

  @sdm:26.1.3 @control:cr3-load-exiting @exit-reason:18 @requires:no-cr3-load-exiting @requires:true-controls
  Scenario: MOV to CR3 with "CR3-load exiting" = 0 loads CR3 without a VM exit
    Given the "CR3-load exiting" control is clear
    And the VMM has written 0 to "CR3-target count"
    And the guest code is:
      """
      mov eax, 0x303000
      mov cr3, rax
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And "Guest CR3" reads 0x303000

  @sdm:26.1.3 @control:cr3-store-exiting @exit-reason:28 @requires:cr3-store-exiting
  Scenario: MOV from CR3 causes a VM exit when "CR3-store exiting" is 1
    Given the "CR3-store exiting" control is set
    And the guest code is:
      """
      mov rax, cr3
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 28 ("Control-register accesses")
    And "Guest RIP" reads 0x400000
    And "VM-exit instruction length" reads 3

  @sdm:26.1.3 @control:cr3-store-exiting @exit-reason:18 @requires:no-cr3-store-exiting @requires:true-controls
  Scenario: MOV from CR3 with "CR3-store exiting" = 0 returns CR3 without a VM exit
    Given the "CR3-store exiting" control is clear
    And the guest code is:
      """
      mov rax, cr3
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest's RAX is 0x300000

  @sdm:26.1.1 @exception:GP @exit-reason:0 @control:cr3-load-exiting @requires:cr3-load-exiting @requires:cpl
  Scenario: MOV to CR3 at CPL 3 raises #GP(0), which takes priority over "CR3-load exiting"
    Given the "CR3-load exiting" control is set
    And the VMM has written 0 to "CR3-target count"
    And the guest starts at CPL 3
    And the exception bitmap intercepts #GP
    And the guest code is:
      """
      mov eax, 0x303000
      mov cr3, rax
      """
    When the VMM launches the guest
    Then the guest exits because of a #GP(0) hardware exception
    And "Guest RIP" reads 0x400005

  @sdm:26.1.3 @exit-reason:28
  Scenario Outline: <instruction> causes a VM exit when "<control>" is 1
    Given the "<control>" control is set
    And the guest code is:
      """
      mov eax, 5
      <code>
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 28 ("Control-register accesses")
    And "Guest RIP" reads 0x400005
    And "VM-exit instruction length" reads 4

    @control:cr8-load-exiting @requires:cr8-load-exiting
    Examples:
      | instruction   | control          | code         |
      | MOV to CR8    | CR8-load exiting | mov cr8, rax |

    @control:cr8-store-exiting @requires:cr8-store-exiting
    Examples:
      | instruction   | control           | code         |
      | MOV from CR8  | CR8-store exiting | mov rcx, cr8 |

  @sdm:26.1.3 @control:cr8-load-exiting @control:cr8-store-exiting @control:use-tpr-shadow @exit-reason:18
  @requires:no-cr8-load-exiting @requires:no-cr8-store-exiting @requires:no-use-tpr-shadow
  Scenario: Without CR8 exiting or the TPR shadow, MOV to CR8 and MOV from CR8 reach the task-priority register
    Given the "CR8-load exiting" control is clear
    And the "CR8-store exiting" control is clear
    And the "Use TPR shadow" control is clear
    And the guest code is:
      """
      mov eax, 5
      mov cr8, rax
      mov rcx, cr8
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest's RCX is 5

  @sdm:26.3 @sdm:30.3 @control:use-tpr-shadow @exit-reason:18 @requires:use-tpr-shadow
  @requires:no-cr8-load-exiting @requires:no-cr8-store-exiting
  Scenario: With "use TPR shadow", MOV from CR8 reads VTPR[7:4] and MOV to CR8 writes the virtual-APIC page
    VTPR is 5AH, so the guest reads 5; it then writes 9: VTPR becomes 90H (bits 3:0 cleared). The TPR
    threshold is 0, so nothing is below it.

    Given the "CR8-load exiting" control is clear
    And the "CR8-store exiting" control is clear
    And the virtual-APIC page at 0x218000 holds VTPR 0x5a
    And the VMM has written 0 to "TPR threshold"
    And the "Use TPR shadow" control is set
    And the guest code is:
      """
      mov rcx, cr8
      mov eax, 9
      mov cr8, rax
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest's RCX is 5
    And the dword at guest-physical address 0x218080 is 0x90

  @sdm:30.1.2 @sdm:30.3 @control:use-tpr-shadow @exit-reason:43 @requires:use-tpr-shadow
  @requires:no-cr8-load-exiting @requires:no-virtual-interrupt-delivery
  Scenario: MOV to CR8 that lowers VTPR[7:4] below the TPR threshold causes a trap-like "TPR below threshold" VM exit
    The VM exit follows the instruction: Guest RIP is the next instruction and the VTPR already holds 30H.

    Given the "CR8-load exiting" control is clear
    And the virtual-APIC page at 0x218000 holds VTPR 0x50
    And the VMM has written 4 to "TPR threshold"
    And the "Use TPR shadow" control is set
    And the guest code is:
      """
      mov eax, 3
      mov cr8, rax
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 43 ("TPR below threshold")
    And "Guest RIP" reads 0x400009
    And the dword at guest-physical address 0x218080 is 0x30

  @sdm:30.1.2 @sdm:30.3 @control:use-tpr-shadow @exit-reason:18 @requires:use-tpr-shadow
  @requires:no-cr8-load-exiting @requires:no-virtual-interrupt-delivery
  Scenario: MOV to CR8 that leaves VTPR[7:4] equal to the TPR threshold does not exit
    Given the "CR8-load exiting" control is clear
    And the virtual-APIC page at 0x218000 holds VTPR 0x50
    And the VMM has written 4 to "TPR threshold"
    And the "Use TPR shadow" control is set
    And the guest code is:
      """
      mov eax, 4
      mov cr8, rax
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the dword at guest-physical address 0x218080 is 0x40

  @sdm:26.1.1 @exception:GP @exit-reason:0 @control:cr8-load-exiting @requires:cr8-load-exiting @requires:cpl
  Scenario: MOV to CR8 at CPL 3 raises #GP(0), which takes priority over "CR8-load exiting"
    Given the "CR8-load exiting" control is set
    And the guest starts at CPL 3
    And the exception bitmap intercepts #GP
    And the guest code is:
      """
      mov eax, 5
      mov cr8, rax
      """
    When the VMM launches the guest
    Then the guest exits because of a #GP(0) hardware exception
    And "Guest RIP" reads 0x400005
