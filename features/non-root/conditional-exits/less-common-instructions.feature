@area:non-root
Feature: The remaining conditionally exiting instructions: RSM, TPAUSE, UMWAIT, PCONFIG, ENCLV, LOADIWKEY, VMFUNC
  Each row of 26.1.3's list has scenarios; these instructions depend on processor features many
  implementations lack, so most scenarios here are skipped as unsupported on such processors. Where the
  VMX rule also says what happens without the control (26.3), that half runs everywhere.

  - RSM causes a VM exit only when executed in SMM (which needs the dual-monitor treatment of SMM); in VMX
    non-root operation outside SMM it raises #UD as everywhere outside SMM.
  - TPAUSE and UMWAIT cause VM exits (68 and 67) if "RDTSC exiting" and "enable user wait and pause" are both
    1; with "enable user wait and pause" = 0 they raise #UD.
  - PCONFIG causes a VM exit (65) if "enable PCONFIG" is 1 and the PCONFIG-exiting bitmap has the bit of the
    leaf (EAX < 63: bit EAX; EAX ≥ 63: bit 63); with "enable PCONFIG" = 0 it raises #UD.
  - ENCLV causes a VM exit (70) if "enable ENCLV exiting" is 1 and the ENCLV-exiting bitmap has the bit of the
    leaf, chosen like PCONFIG's.
  - LOADIWKEY causes a VM exit (69) if the tertiary control "LOADIWKEY exiting" is 1.
  - VMFUNC raises #UD if "enable VM functions" is 0; with it 1, a function EAX whose bit in the VM-function
    controls is 0 (or EAX ≥ 64) causes a VM exit (59).

  Sources: SDM Vol. 3C 25.6.2 "Processor-Based VM-Execution Controls"; 25.6.14 "VM-Function Controls"; 26.1.3
  "Instructions That Cause VM Exits Conditionally" (ENCLV, LOADIWKEY, PCONFIG, RSM, TPAUSE, UMWAIT); 26.3
  "Changes to Instruction Behavior in VMX Non-Root Operation" (PCONFIG, TPAUSE, UMWAIT, VMFUNC); 26.5.5
  "VM Functions"; Vol. 2B RSM ("#UD if the processor is not in SMM").

  Background:
    Given a VMCS set up for a 64-bit guest

  @sdm:26.1.3 @exception:UD @exit-reason:0
  Scenario: RSM in VMX non-root operation outside SMM raises #UD, not a VM exit
    Given the exception bitmap intercepts #UD
    And the guest code is:
      """
      rsm
      """
    When the VMM launches the guest
    Then the guest exits because of a #UD hardware exception
    And "Guest RIP" reads 0x400000

  @sdm:26.3 @exception:UD @exit-reason:0 @control:enable-user-wait-and-pause @requires:no-enable-user-wait-and-pause
  Scenario Outline: <instruction> raises #UD when "enable user wait and pause" is 0
    Given the processor supports WAITPKG
    And the "Enable user wait and pause" control is clear
    And the exception bitmap intercepts #UD
    And the guest code is:
      """
      xor ecx, ecx
      xor eax, eax
      xor edx, edx
      <code>
      """
    When the VMM launches the guest
    Then the guest exits because of a #UD hardware exception
    And "Guest RIP" reads 0x400006

    Examples:
      | instruction | code       |
      | TPAUSE      | tpause ecx |
      | UMWAIT      | umwait ecx |

  @sdm:26.1.3 @control:enable-user-wait-and-pause @control:rdtsc-exiting
  @requires:enable-user-wait-and-pause @requires:rdtsc-exiting
  Scenario Outline: <instruction> causes a VM exit when "enable user wait and pause" and "RDTSC exiting" are 1
    Given the processor supports WAITPKG
    And the "Enable user wait and pause" control is set
    And the "RDTSC exiting" control is set
    And the guest code is:
      """
      xor ecx, ecx
      xor eax, eax
      xor edx, edx
      <code>
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason <reason> ("<instruction>")
    And "Guest RIP" reads 0x400006
    And "VM-exit instruction length" reads 4

    @exit-reason:68
    Examples:
      | instruction | code       | reason |
      | TPAUSE      | tpause ecx | 68     |

    @exit-reason:67
    Examples:
      | instruction | code       | reason |
      | UMWAIT      | umwait ecx | 67     |

  @sdm:26.3 @exception:UD @exit-reason:0 @control:enable-pconfig @requires:no-enable-pconfig
  Scenario: PCONFIG raises #UD when "enable PCONFIG" is 0
    Given the processor supports PCONFIG
    And the "Enable PCONFIG" control is clear
    And the exception bitmap intercepts #UD
    And the guest code is:
      """
      xor eax, eax
      pconfig
      """
    When the VMM launches the guest
    Then the guest exits because of a #UD hardware exception
    And "Guest RIP" reads 0x400002

  @sdm:26.1.3 @control:enable-pconfig @exit-reason:65 @requires:enable-pconfig
  Scenario: PCONFIG causes a VM exit when "enable PCONFIG" is 1 and the leaf's bit of the PCONFIG-exiting bitmap is 1
    Given the processor supports PCONFIG
    And the VMM has written 0x1 to "PCONFIG-exiting bitmap"
    And the "Enable PCONFIG" control is set
    And the guest code is:
      """
      xor eax, eax
      pconfig
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 65 ("PCONFIG")
    And "Guest RIP" reads 0x400002
    And "VM-exit instruction length" reads 3

  @sdm:26.1.3 @control:enable-enclv-exiting @exit-reason:70 @requires:enable-enclv-exiting
  Scenario Outline: ENCLV with leaf <leaf> causes a VM exit when bit <bit> of the ENCLV-exiting bitmap is 1
    Given the processor supports SGX1
    And the VMM has written <bitmap> to "ENCLV-exiting bitmap"
    And the "Enable ENCLV exiting" control is set
    And the guest code is:
      """
      mov eax, <leaf>
      enclv
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 70 ("ENCLV")
    And "Guest RIP" reads 0x400005
    And "VM-exit instruction length" reads 3

    Examples:
      | leaf | bit | bitmap             |
      | 0    | 0   | 0x1                |
      | 64   | 63  | 0x8000000000000000 |

  @sdm:26.1.3 @control:loadiwkey-exiting @exit-reason:69 @requires:loadiwkey-exiting
  Scenario: LOADIWKEY causes a VM exit when "LOADIWKEY exiting" is 1
    LOADIWKEY XMM0, XMM1 is F3 0F 38 DC C1. It raises #UD unless CR4.KL = 1.

    Given the processor supports KEYLOCKER
    And the processor allows CR4.KL to be 1 in VMX operation
    And guest CR4.KL is set
    And the "LOADIWKEY exiting" control is set
    And the guest code is:
      """
      xor eax, eax
      db 0xf3, 0x0f, 0x38, 0xdc, 0xc1
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 69 ("LOADIWKEY")
    And "Guest RIP" reads 0x400002
    And "VM-exit instruction length" reads 5

  @sdm:26.3 @exception:UD @exit-reason:0 @control:enable-vm-functions @requires:no-enable-vm-functions
  Scenario: VMFUNC raises #UD when "enable VM functions" is 0
    Given the "Enable VM functions" control is clear
    And the exception bitmap intercepts #UD
    And the guest code is:
      """
      xor eax, eax
      vmfunc
      """
    When the VMM launches the guest
    Then the guest exits because of a #UD hardware exception
    And "Guest RIP" reads 0x400002

  @sdm:26.5.5 @control:enable-vm-functions @exit-reason:59 @requires:enable-vm-functions
  Scenario: VMFUNC of a function the VM-function controls do not enable causes a VM exit
    Function 0 (EPTP switching) is disabled: bit 0 of the VM-function controls is 0.

    Given the VMM has written 0 to "VM-function controls"
    And the "Enable VM functions" control is set
    And the guest code is:
      """
      xor eax, eax
      xor ecx, ecx
      vmfunc
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 59 ("VMFUNC")
    And "Guest RIP" reads 0x400004
    And "VM-exit instruction length" reads 3
