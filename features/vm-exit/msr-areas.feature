@area:vm-exit
Feature: The VM-exit MSR-store and MSR-load areas
  After saving guest state, a VM exit stores the MSRs listed in the VM-exit MSR-store area, each into bits
  127:64 of its entry as RDMSR would read it (28.4); after loading host state it loads the MSRs of the
  VM-exit MSR-load area as WRMSR would write them (28.6). A VM entry that fails on guest state or on MSR
  loading stores no MSRs into the VM-exit MSR-store area (27.8).

  IA32_KERNEL_GS_BASE serves as the MSR: VM entry gives the guest its value through the VM-entry MSR-load
  area (27.4), so the scenarios need no guest code beyond VMCALL.

  Sources: SDM Vol. 3C 28.4 "Saving MSRs"; 28.6 "Loading MSRs"; 27.4 "Loading MSRs"; 27.8 "VM-Entry Failures
  During or After Loading Guest State"; 25.7.2 "VM-Exit Controls for MSRs"; 25.8.2 "VM-Entry Controls for
  MSRs".

  Background:
    Given a VMCS set up for a 64-bit guest
    And the guest code is:
      """
      vmcall
      """

  @sdm:28.4 @sdm:27.4 @exit-reason:18
  Scenario: The VM exit stores the guest's MSR into the VM-exit MSR-store area
    Given the VM-entry MSR-load area holds:
      | MSR                 | value                 |
      | IA32_KERNEL_GS_BASE | 0xffff_8000_1234_5000 |
    And the VM-exit MSR-store area lists:
      | MSR                 | value |
      | IA32_KERNEL_GS_BASE | 0     |
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And entry 1 of the VM-exit MSR-store area holds 0xffff_8000_1234_5000

  @sdm:28.6 @exit-reason:18
  Scenario: The VM exit loads the VMM's MSR from the VM-exit MSR-load area
    Given the VM-entry MSR-load area holds:
      | MSR                 | value                 |
      | IA32_KERNEL_GS_BASE | 0xffff_8000_1234_5000 |
    And the VM-exit MSR-load area holds:
      | MSR                 | value                 |
      | IA32_KERNEL_GS_BASE | 0xffff_8000_00ab_c000 |
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the logical processor's msr:0xc0000102 is 0xffff_8000_00ab_c000

  @sdm:27.8 @sdm:28.4 @exit-reason:33
  Scenario: A VM entry that fails on guest state stores no MSRs
    Given the VM-exit MSR-store area lists:
      | MSR                 | value                 |
      | IA32_KERNEL_GS_BASE | 0x5a5a_5a5a_5a5a_5a5a |
    And the VMM has written 0 to "Guest RFLAGS"
    When the VMM launches the guest
    Then VM entry fails with basic exit reason 33 ("VM-entry failure due to invalid guest state")
    And entry 1 of the VM-exit MSR-store area holds 0x5a5a_5a5a_5a5a_5a5a
