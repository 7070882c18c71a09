@area:scheduling
Feature: Overcommit: many vCPUs time-shared on few logical processors
  A hypervisor runs more vCPUs than it has logical processors. Each vCPU has its own VMCS. Several VMCSs may
  be active on one logical processor (only one is current), but a VMCS may be active on only one logical
  processor at a time: to move a vCPU, the VMM executes VMCLEAR on the logical processor where its VMCS is
  active, then VMPTRLD on the new one. VMCLEAR leaves the launch state clear, so the next entry must be
  VMLAUNCH; VMRESUME of a clear VMCS fails. VM exits do not save general-purpose registers (other than RSP),
  so the VMM keeps them for each descheduled vCPU.

  What happens when one VMCS is made active on two logical processors at once is undefined (SDM 25.11.1);
  no scenario here asserts it.

  Sources: SDM Vol. 3C 25.1 "Overview" (current and active VMCSs, launch state); 25.11.1 "Software Use of
  Virtual-Machine Control Structures"; 25.11.3 "Initializing a VMCS"; 28.3 "Saving Guest State";
  31.3 "VMX Instructions" (VMCLEAR, VMPTRLD, VMRESUME); 31.4 "VM Instruction Error Numbers".

  @sdm:25.11.1 @sdm:25.1 @exit-reason:18 @requires:multiprocessor
  Scenario: 6 vCPUs on 2 logical processors keep their state across 60 time slices and 24 migrations
    vCPU i starts on logical processor i mod 2; every second round the VMM moves every vCPU to the other
    logical processor. Between moves a vCPU is re-entered with VMRESUME (after VMPTRLD, as other vCPUs ran
    on the same logical processor in between); after each move, with VMLAUNCH.

    Given 2 logical processors in VMX root operation
    And 6 vCPUs, each a guest that counts its time slices in RBX and yields with VMCALL
    When the VMM runs 10 rounds of round-robin scheduling, rebalancing the vCPUs every 2 rounds
    Then every vCPU counted 10 time slices in RBX and kept its own registers
    And the VMM migrated vCPUs 24 times, entering with VMLAUNCH 30 times and with VMRESUME 30 times

  @sdm:25.11.1 @sdm:31.3 @vm-error:5 @requires:multiprocessor
  Scenario: After a migration the VMCS is clear: VMRESUME fails with VMfailValid(5), VMLAUNCH enters
    Given 2 logical processors in VMX root operation
    And 1 vCPUs, each a guest that counts its time slices in RBX and yields with VMCALL
    And the VMM runs 1 rounds of round-robin scheduling, rebalancing the vCPUs every 100 rounds
    When the VMM executes VMCLEAR of vCPU 0's VMCS on logical processor 0
    Then the instruction succeeds
    When the VMM executes VMPTRLD of vCPU 0's VMCS on logical processor 1
    Then the instruction succeeds
    When the VMM rewrites the host state and executes VMRESUME on logical processor 1
    Then the instruction fails with VMfailValid and VM-instruction error 5 ("VMRESUME with non-launched VMCS")
    When the VMM rewrites the host state and executes VMLAUNCH on logical processor 1
    Then the guest exits with basic exit reason 18 ("VMCALL")
