@area:vm-entry
Feature: VM-entry controls that decide what VM entry loads: IA-32e mode guest, load IA32_EFER, load IA32_PAT
  VM entry loads the guest's processor state from the guest-state area (27.3.2). With "IA-32e mode guest" 1
  the guest runs in IA-32e mode; if "load IA32_EFER" is 0, VM entry loads only IA32_EFER.LMA and LME, each
  with the setting of "IA-32e mode guest", and leaves the other EFER bits as they were; if it is 1, IA32_EFER
  is loaded from the "Guest IA32_EFER" field. With "load IA32_PAT" 1, IA32_PAT is loaded from "Guest
  IA32_PAT". VM entry loads RIP, RSP and RFLAGS from their fields every time, so a VMM that changes them
  between exits changes what the guest sees.

  The guest reads MSRs with RDMSR without causing VM exits (an all-zero MSR bitmap) and reports through its
  registers: RDMSR returns the MSR in EDX:EAX, and the VMM reads RAX and RDX directly after the VMCALL exit,
  since VM exits neither save nor load them.

  Sources: SDM Vol. 3C 27.3.2 "Loading Guest State" (27.3.2.1 "Loading Guest Control Registers, Debug
  Registers, and MSRs", 27.3.2.3 "Loading Guest RIP, RSP, RFLAGS, and SSP"); 25.8.1 "VM-Entry Controls";
  25.6.9 "MSR-Bitmap Address"; 28.3 "Saving Guest State"; 28.5 "Loading Host State".

  Background:
    Given a VMCS set up for a 64-bit guest

  @sdm:27.3.2.1 @sdm:25.8.1 @exit-reason:18 @control:ia-32e-mode-guest @requires:ia-32e-mode-guest @requires:use-msr-bitmaps
  Scenario: With "IA-32e mode guest" 1 and "load IA32_EFER" 0, the guest runs with IA32_EFER.LMA and LME set
    Given the guest may execute RDMSR and WRMSR without VM exits
    And the guest code is:
      """
      mov rbx, 0x1122334455667788   ; a 64-bit immediate: the guest executes 64-bit code
      mov ecx, 0xc0000080           ; IA32_EFER
      rdmsr
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest left 0x1122334455667788 in rbx
    And bit 8 of the value the guest left in rax is set
    And bit 10 of the value the guest left in rax is set

  @sdm:27.3.2.1 @sdm:25.8.1 @exit-reason:18 @control:entry-load-ia32-efer @requires:entry-load-ia32-efer @requires:use-msr-bitmaps
  Scenario: With "load IA32_EFER" 1, the guest's IA32_EFER is the "Guest IA32_EFER" field
    Given the "VM-entry: Load IA32_EFER" control is set
    And the VMM has written 0x501 to "Guest IA32_EFER"
    And the guest may execute RDMSR and WRMSR without VM exits
    And the guest code is:
      """
      mov ecx, 0xc0000080           ; IA32_EFER
      rdmsr
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest left 0x501 in rax
    And the guest left 0 in rdx

  @sdm:27.3.2.1 @sdm:25.8.1 @exit-reason:18 @control:entry-load-ia32-pat @requires:entry-load-ia32-pat @requires:use-msr-bitmaps
  Scenario: With "load IA32_PAT" 1, the guest's IA32_PAT is the "Guest IA32_PAT" field
    Given the "VM-entry: Load IA32_PAT" control is set
    And the VMM has written 0x0007_0506_0007_0106 to "Guest IA32_PAT"
    And the guest may execute RDMSR and WRMSR without VM exits
    And the guest code is:
      """
      mov ecx, 0x277                ; IA32_PAT
      rdmsr
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest left 0x0007_0106 in rax
    And the guest left 0x0007_0506 in rdx

  @sdm:27.3.2.3 @sdm:28.3 @exit-reason:18
  Scenario: VM entry loads RSP and RFLAGS from the guest-state area that the VMM changed after an exit
    Given the guest code is:
      """
      vmcall
      mov rax, rsp
      pushfq
      pop rbx
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And "Guest RSP" reads 0x3f0000
    Given the VMM has written 0x3e_0000 to "Guest RSP"
    And the VMM has written 0x403 to "Guest RFLAGS"
    When the VMM skips the exiting instruction and resumes the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest left 0x3e_0000 in rax
    And the guest left 0x403 in rbx
