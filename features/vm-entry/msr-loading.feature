@area:vm-entry
Feature: Loading MSRs on VM entry: a bad entry fails VM entry with basic exit reason 34
  After loading guest state, VM entry processes the VM-entry MSR-load area in order, each 16-byte entry
  loading the MSR named by bits 31:0 with bits 127:64 as WRMSR would (27.4). Processing an entry fails when
  bits 31:0 are C0000100H (IA32_FS_BASE) or C0000101H (IA32_GS_BASE), when bits 31:8 are 000008H (the
  x2APIC MSR range 800H–8FFH), when bits 63:32 are not zero, or when WRMSR of that value to that MSR would
  raise #GP at CPL 0 (among other, model-specific cases). Such a failure is a VM-entry failure (27.8): exit
  reason 34 with bit 31 set, and the exit qualification is the 1-based index of the failing entry. Entries
  before it may or may not have been loaded; the scenarios do not look.

  The first entry in each failing area below is valid (IA32_KERNEL_GS_BASE, a canonical value), so the
  exit qualification must name the second.

  Sources: SDM Vol. 3C 27.4 "Loading MSRs"; 27.8 "VM-Entry Failures During or After Loading Guest State";
  25.8.2 "VM-Entry Controls for MSRs"; Appendix C "VMX Basic Exit Reasons".

  Background:
    Given a VMCS set up for a 64-bit guest
    And the guest code is:
      """
      vmcall
      """

  @sdm:27.4 @sdm:27.8 @exit-reason:34
  Scenario Outline: Entry 2 of the VM-entry MSR-load area loads <MSR> with bits 63:32 = <bits 63:32> and value <value>: <rule>
    Given the VM-entry MSR-load area holds:
      | MSR                 | bits 63:32   | value   |
      | IA32_KERNEL_GS_BASE | 0            | 0       |
      | <MSR>               | <bits 63:32> | <value> |
    When the VMM launches the guest
    Then VM entry fails with basic exit reason 34 ("VM-entry failure due to MSR loading")
    And "Exit reason" reads 0x8000_0022
    And "Exit qualification" reads 2

    Examples:
      | MSR                 | bits 63:32 | value                 | rule                                          |
      | IA32_FS_BASE        | 0          | 0                     | IA32_FS_BASE may not be loaded this way       |
      | IA32_GS_BASE        | 0          | 0                     | IA32_GS_BASE may not be loaded this way       |
      | 0x808               | 0          | 0                     | an x2APIC MSR (bits 31:8 = 000008H)           |
      | 0x8ff               | 0          | 0                     | an x2APIC MSR (bits 31:8 = 000008H)           |
      | IA32_KERNEL_GS_BASE | 1          | 0                     | bits 63:32 of the entry are reserved          |
      | IA32_KERNEL_GS_BASE | 0          | 0x8000_0000_0000_0000 | WRMSR of a non-canonical address would #GP    |

  @sdm:27.4 @sdm:27.8 @exit-reason:34
  Scenario: A failing first entry gives exit qualification 1
    Given the VM-entry MSR-load area holds:
      | MSR          | value |
      | IA32_FS_BASE | 0     |
      | IA32_PAT     | 0x0007_0406_0007_0406 |
    When the VMM launches the guest
    Then VM entry fails with basic exit reason 34 ("VM-entry failure due to MSR loading")
    And "Exit qualification" reads 1

  @sdm:27.4 @exit-reason:18 @control:use-msr-bitmaps @requires:use-msr-bitmaps
  Scenario: A valid VM-entry MSR-load area loads the guest's MSR
    The guest reads IA32_KERNEL_GS_BASE with RDMSR (no VM exit: the MSR bitmap is all zeros) and stops with
    VMCALL; RDMSR returns the value in EDX:EAX.

    Given the guest may execute RDMSR and WRMSR without VM exits
    And the VM-entry MSR-load area holds:
      | MSR                 | value                 |
      | IA32_KERNEL_GS_BASE | 0xffff_8000_1234_5000 |
    And the guest code is:
      """
      mov ecx, 0xc0000102      ; IA32_KERNEL_GS_BASE
      rdmsr
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest left 0x1234_5000 in rax
    And the guest left 0xffff_8000 in rdx
