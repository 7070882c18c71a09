@area:vm-exit
Feature: VM-exit controls that decide what a VM exit saves, loads and reports
  "Save IA32_EFER" and "save IA32_PAT" make the VM exit store the guest's MSR into the guest-state area
  (28.3.1); "load IA32_EFER" and "load IA32_PAT" make it load the MSR from the host-state area (28.5.1).
  Without "load IA32_PAT" a VM exit leaves IA32_PAT as the guest left it; without "load IA32_EFER" it loads
  only LMA and LME (from "host address-space size"). "Acknowledge interrupt on exit" decides whether a VM
  exit caused by an external interrupt acknowledges it and reports its vector in the VM-exit
  interruption-information field (valid, type 0) or leaves that field invalid (28.2.2).

  The guest uses RDMSR and WRMSR without VM exits (an all-zero MSR bitmap). A value the guest computes is
  left in a general-purpose register for the VMM, which reads it after the exit (VM exits do not change
  general-purpose registers other than RSP).

  Sources: SDM Vol. 3C 25.7.1 "VM-Exit Controls"; 28.2.2 "Information for VM Exits Due to Vectored Events";
  28.3.1 "Saving Control Registers, Debug Registers, and MSRs"; 28.5.1 "Loading Host Control Registers,
  Debug Registers, MSRs"; 26.2 "Other Causes of VM Exits" (external interrupts); 25.6.9 "MSR-Bitmap Address".

  Background:
    Given a VMCS set up for a 64-bit guest

  @sdm:28.3.1 @sdm:25.7.1 @exit-reason:18 @control:save-ia32-efer @requires:save-ia32-efer @requires:use-msr-bitmaps
  Scenario: With "save IA32_EFER" 1, the VM exit stores the guest's IA32_EFER in "Guest IA32_EFER"
    The guest toggles IA32_EFER.SCE, so the value saved differs from the one VM entry gave it.

    Given the "Save IA32_EFER" control is set
    And the guest may execute RDMSR and WRMSR without VM exits
    And the guest code is:
      """
      mov ecx, 0xc0000080      ; IA32_EFER
      rdmsr
      xor eax, 1               ; toggle SCE
      wrmsr
      mov ebx, eax
      shl rdx, 32
      or rbx, rdx              ; RBX = the guest's IA32_EFER
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And "Guest IA32_EFER" reads the value the guest left in rbx

  @sdm:28.3.1 @sdm:25.7.1 @exit-reason:18 @control:save-ia32-pat @requires:save-ia32-pat @requires:use-msr-bitmaps
  Scenario: With "save IA32_PAT" 1, the VM exit stores the guest's IA32_PAT in "Guest IA32_PAT"
    Given the "Save IA32_PAT" control is set
    And the guest may execute RDMSR and WRMSR without VM exits
    And the guest code is:
      """
      mov ecx, 0x277           ; IA32_PAT
      mov eax, 0x00070106
      mov edx, 0x00050406
      wrmsr
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And "Guest IA32_PAT" reads 0x0005_0406_0007_0106

  @sdm:28.5.1 @sdm:25.7.1 @exit-reason:18 @control:exit-load-ia32-efer @requires:exit-load-ia32-efer @requires:use-msr-bitmaps
  Scenario: With "load IA32_EFER" 1 on VM exits, the VMM gets back the IA32_EFER of the host-state area
    The guest toggles IA32_EFER.SCE; without the control the VM exit would leave SCE as the guest set it.

    Given the "VM-exit: Load IA32_EFER" control is set
    And the VMM has written its own IA32_EFER to "Host IA32_EFER"
    And the guest may execute RDMSR and WRMSR without VM exits
    And the guest code is:
      """
      mov ecx, 0xc0000080
      rdmsr
      xor eax, 1               ; toggle SCE
      wrmsr
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the logical processor's state equals the host-state area:
      | msr:0xc0000080 | Host IA32_EFER |

  @sdm:28.5.1 @sdm:25.7.1 @exit-reason:18 @control:exit-load-ia32-pat @requires:exit-load-ia32-pat @requires:use-msr-bitmaps
  Scenario: With "load IA32_PAT" 1 on VM exits, the VMM gets back the IA32_PAT of the host-state area
    Given the "VM-exit: Load IA32_PAT" control is set
    And the VMM has written its own IA32_PAT to "Host IA32_PAT"
    And the guest may execute RDMSR and WRMSR without VM exits
    And the guest code is:
      """
      mov ecx, 0x277           ; IA32_PAT
      mov eax, 0x00070106
      mov edx, 0x00050406
      wrmsr
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the logical processor's state equals the host-state area:
      | msr:0x277 | Host IA32_PAT |

  @sdm:28.5.1 @sdm:25.7.1 @exit-reason:18 @control:exit-load-ia32-pat @requires:no-exit-load-ia32-pat @requires:use-msr-bitmaps
  Scenario: With "load IA32_PAT" 0 on VM exits, IA32_PAT keeps the value the guest gave it
    Given the "VM-exit: Load IA32_PAT" control is clear
    And the guest may execute RDMSR and WRMSR without VM exits
    And the guest code is:
      """
      mov ecx, 0x277           ; IA32_PAT
      mov eax, 0x00070106
      mov edx, 0x00050406
      wrmsr
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the logical processor's msr:0x277 is 0x0005_0406_0007_0106

  @sdm:28.2.2 @sdm:25.7.1 @exit-reason:1 @control:acknowledge-interrupt-on-exit @requires:events @requires:external-interrupt-exiting @requires:acknowledge-interrupt-on-exit
  Scenario: With "acknowledge interrupt on exit" 1, the exit reports the interrupt's vector
    Given the "External-interrupt exiting" control is set
    And the "Acknowledge interrupt on exit" control is set
    And the guest code is:
      """
      nop
      vmcall
      """
    # The VMM runs with RFLAGS.IF = 0, so the interrupt stays pending in VMX root operation until VM entry.
    And bit 9 of the logical processor's rflags is clear
    And the platform has made external interrupt 65 pending before the VM entry
    When the VMM launches the guest
    Then the guest exits with basic exit reason 1 ("External interrupt")
    And "VM-exit interruption information" reads 0x8000_0041

  @sdm:28.2.2 @sdm:25.7.1 @exit-reason:1 @control:acknowledge-interrupt-on-exit @requires:events @requires:external-interrupt-exiting @requires:no-acknowledge-interrupt-on-exit
  Scenario: With "acknowledge interrupt on exit" 0, the exit leaves the VM-exit interruption-information field invalid
    Given the "External-interrupt exiting" control is set
    And the "Acknowledge interrupt on exit" control is clear
    And the guest code is:
      """
      nop
      vmcall
      """
    # The VMM runs with RFLAGS.IF = 0, so the interrupt stays pending in VMX root operation until VM entry.
    And bit 9 of the logical processor's rflags is clear
    And the platform has made external interrupt 65 pending before the VM entry
    When the VMM launches the guest
    Then the guest exits with basic exit reason 1 ("External interrupt")
    And "VM-exit interruption information" has bit 31 clear
