@area:non-root
Feature: HLT, MONITOR, MWAIT, PAUSE and PAUSE-loop exiting
  HLT exits if "HLT exiting" is 1, MONITOR if "MONITOR exiting" is 1, MWAIT if "MWAIT exiting" is 1, PAUSE if
  "PAUSE exiting" is 1. When "PAUSE exiting" is 0 and "PAUSE-loop exiting" is 1, a PAUSE at CPL 0 exits when
  it belongs to a loop that has lasted longer than PLE_Window: a PAUSE less than PLE_Gap TSC ticks after the
  previous one continues a loop, any other PAUSE (and the first after VM entry) starts one, and a PAUSE more
  than PLE_Window ticks after the start of its loop causes the VM exit.

  For MWAIT the exit qualification says whether the address-range monitoring hardware was armed (1) or not
  (0) when MWAIT exited. Without MWAIT exiting, an MWAIT that no MONITOR armed does not wait: execution
  continues with the next instruction (Vol. 2B MWAIT). HLT is scenario'd both ways in
  features/non-root/cpuid-and-hlt.feature; here its fault priority at CPL 3.

  Sources: SDM Vol. 3C 25.6.2 "Processor-Based VM-Execution Controls"; 25.6.13 "Controls for PAUSE-Loop
  Exiting"; 26.1.3 "Instructions That Cause VM Exits Conditionally" (HLT, MONITOR, MWAIT, PAUSE); 26.1.1 "Relative Priority of Faults and VM Exits"; 28.2.1 "Basic VM-Exit Information"
  (MWAIT exit qualification); Vol. 2B MWAIT and MONITOR.

  Background:
    Given a VMCS set up for a 64-bit guest

  @sdm:26.1.1 @exception:GP @exit-reason:0 @control:hlt-exiting @requires:hlt-exiting @requires:cpl
  Scenario: HLT at CPL 3 raises #GP(0), which takes priority over "HLT exiting"
    Given the "HLT exiting" control is set
    And the guest starts at CPL 3
    And the exception bitmap intercepts #GP
    And the guest code is:
      """
      hlt
      """
    When the VMM launches the guest
    Then the guest exits because of a #GP(0) hardware exception
    And "Guest RIP" reads 0x400000

  @sdm:26.1.3 @control:hlt-exiting @exit-reason:12 @requires:hlt-exiting
  Scenario: A HLT that exits leaves the guest in the active state, at the HLT
    The VM exit is fault-like: the guest has not halted, so the saved activity state is active (0).

    Given the "HLT exiting" control is set
    And the guest code is:
      """
      nop
      hlt
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 12 ("HLT")
    And "Guest RIP" reads 0x400001
    And "Guest activity state" reads 0

  @sdm:26.1.3 @control:monitor-exiting @exit-reason:39 @requires:monitor-exiting
  Scenario: MONITOR causes a VM exit when "MONITOR exiting" is 1
    Given the processor supports MONITOR/MWAIT
    And the "MONITOR exiting" control is set
    And the guest code is:
      """
      mov eax, 0x501000
      xor ecx, ecx
      xor edx, edx
      monitor
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 39 ("MONITOR")
    And "Guest RIP" reads 0x400009
    And "VM-exit instruction length" reads 3

  @sdm:26.1.3 @control:monitor-exiting @exit-reason:18 @requires:no-monitor-exiting
  Scenario: MONITOR does not exit when "MONITOR exiting" is 0
    Given the processor supports MONITOR/MWAIT
    And the "MONITOR exiting" control is clear
    And the guest code is:
      """
      mov eax, 0x501000
      xor ecx, ecx
      xor edx, edx
      monitor
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And "Guest RIP" reads 0x40000c

  @sdm:26.1.3 @sdm:28.2.1 @control:mwait-exiting @exit-reason:36 @requires:mwait-exiting @requires:no-monitor-exiting
  Scenario Outline: MWAIT exits when "MWAIT exiting" is 1; the exit qualification says whether a MONITOR armed it (<armed>)
    Given the processor supports MONITOR/MWAIT
    And the "MONITOR exiting" control is clear
    And the "MWAIT exiting" control is set
    And the guest code is:
      """
      mov eax, 0x501000
      xor ecx, ecx
      xor edx, edx
      <first>
      xor eax, eax
      mwait
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 36 ("MWAIT")
    And "Guest RIP" reads 0x40000e
    And "VM-exit instruction length" reads 3
    And "Exit qualification" reads <qualification>

    Examples:
      | armed                      | first               | qualification |
      | armed by MONITOR           | monitor             | 1             |
      | nothing armed (no MONITOR) | nop dword ptr [rax] | 0             |

  @sdm:26.1.3 @control:mwait-exiting @exit-reason:18 @requires:no-mwait-exiting
  Scenario: MWAIT without a preceding MONITOR does not exit and does not wait when "MWAIT exiting" is 0
    Given the processor supports MONITOR/MWAIT
    And the "MWAIT exiting" control is clear
    And the guest code is:
      """
      xor eax, eax
      xor ecx, ecx
      mwait
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And "Guest RIP" reads 0x400007

  @sdm:26.1.3 @control:pause-exiting @exit-reason:40 @requires:pause-exiting
  Scenario: PAUSE causes a VM exit when "PAUSE exiting" is 1
    Given the "PAUSE exiting" control is set
    And the guest code is:
      """
      pause
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 40 ("PAUSE")
    And "Guest RIP" reads 0x400000
    And "VM-exit instruction length" reads 2

  @sdm:26.1.3 @control:pause-exiting @control:pause-loop-exiting @exit-reason:18
  @requires:no-pause-exiting @requires:no-pause-loop-exiting
  Scenario: PAUSE does not exit when "PAUSE exiting" and "PAUSE-loop exiting" are 0
    Given the "PAUSE exiting" control is clear
    And the "PAUSE-loop exiting" control is clear
    And the guest code is:
      """
      mov ecx, 100
      spin:
      pause
      dec ecx
      jnz spin
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest's RCX is 0

  @sdm:26.1.3 @control:pause-loop-exiting @exit-reason:40 @requires:pause-loop-exiting @requires:no-pause-exiting
  Scenario: With PLE_Window = 0 a spin loop of PAUSEs at CPL 0 causes a VM exit at a PAUSE after the first
    Every PAUSE follows the previous one by far less than PLE_Gap, so the first PAUSE starts the loop and
    any later PAUSE at least one TSC tick after it exceeds PLE_Window = 0. The first PAUSE never exits.

    Given the VMM has written 0xffffffff to "PLE_Gap"
    And the VMM has written 0 to "PLE_Window"
    And the "PAUSE exiting" control is clear
    And the "PAUSE-loop exiting" control is set
    And the guest code is:
      """
      mov ecx, 1000
      spin:
      pause
      dec ecx
      jnz spin
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 40 ("PAUSE")
    And "Guest RIP" reads 0x400005
    And the guest's RCX is not 1000

  @sdm:26.1.3 @control:pause-loop-exiting @exit-reason:18 @requires:pause-loop-exiting @requires:no-pause-exiting
  Scenario: A short PAUSE loop that stays within PLE_Window does not exit
    A thousand PAUSEs last far fewer than 2^32 - 1 TSC ticks.

    Given the VMM has written 0xffffffff to "PLE_Gap"
    And the VMM has written 0xffffffff to "PLE_Window"
    And the "PAUSE exiting" control is clear
    And the "PAUSE-loop exiting" control is set
    And the guest code is:
      """
      mov ecx, 1000
      spin:
      pause
      dec ecx
      jnz spin
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest's RCX is 0

  @sdm:26.1.3 @control:pause-loop-exiting @exit-reason:18 @requires:pause-loop-exiting @requires:no-pause-exiting @requires:cpl
  Scenario: PAUSE-loop exiting watches only PAUSE at CPL 0
    The same spin loop as above with PLE_Window = 0, at CPL 3: no PAUSE exits, and the VMCALL (which exits
    at any CPL) is reached.

    Given the VMM has written 0xffffffff to "PLE_Gap"
    And the VMM has written 0 to "PLE_Window"
    And the "PAUSE exiting" control is clear
    And the "PAUSE-loop exiting" control is set
    And the guest starts at CPL 3
    And the guest code is:
      """
      mov ecx, 1000
      spin:
      pause
      dec ecx
      jnz spin
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest's RCX is 0
