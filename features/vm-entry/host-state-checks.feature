@area:vm-entry
Feature: Checks on the host-state area: VM entry fails with VMfailValid and error 8
  VM entry checks that the host-state area would give the VMM a consistent processor after the next VM exit
  (27.2.2–27.2.4); any failure makes VMLAUNCH or VMRESUME fail with VMfailValid, error 8 "VM entry with
  invalid host-state field(s)". The order of these checks and of the control checks (error 7) is not
  defined, so each scenario breaks exactly one host-state rule and nothing else.

  The rules stated: CR0 and CR4 hold a value VMX operation supports (every VMX-fixed bit at its fixed
  value) and CR3 sets no bit beyond the physical-address width (27.2.2); the selector fields have RPL and TI
  0, CS and TR selectors are not 0000H, and the FS, GS, GDTR, IDTR and TR base addresses are canonical
  (27.2.3); IA32_SYSENTER_ESP/EIP are canonical (27.2.2); with the "load IA32_EFER"/"load IA32_PAT" VM-exit
  controls the loaded values must be valid (27.2.2); and, the processor being in IA-32e mode, "host
  address-space size" must be 1, CR4.PAE 1 and RIP canonical (27.2.4). 8000000000000000H is used as the
  non-canonical address: bits 63:N differ for any linear-address width N below 64.

  Sources: SDM Vol. 3C 27.2.2 "Checks on Host Control Registers, MSRs, and SSP"; 27.2.3 "Checks on Host
  Segment and Descriptor-Table Registers"; 27.2.4 "Checks Related to Address-Space Size"; 25.5 "Host-State
  Area"; 24.8 "Restrictions on VMX Operation"; 31.4 "VM Instruction Error Numbers"; Appendix A.7 "VMX-Fixed
  Bits in CR0", A.8 "VMX-Fixed Bits in CR4".

  Background:
    Given a VMCS set up for a 64-bit guest
    And the guest code is:
      """
      vmcall
      """

  @sdm:27.2.2 @sdm:A.7 @sdm:A.8 @vm-error:8
  Scenario Outline: <bit> clear in "<field>", a bit VMX operation fixes to 1
    Given the VMX capability MSRs fix <bit> to 1
    And the VMM clears <bit> in "<field>"
    When the VMM launches the guest
    Then the instruction fails with VMfailValid and VM-instruction error 8 ("VM entry with invalid host-state field(s)")

    Examples:
      | bit      | field    |
      | CR0.NE   | Host CR0 |
      | CR0.PG   | Host CR0 |
      | CR4.VMXE | Host CR4 |

  @sdm:27.2.2 @vm-error:8
  Scenario: "Host CR3" with a bit set beyond the physical-address width
    Given the VMM sets, in "Host CR3", the lowest bit beyond the physical-address width
    When the VMM launches the guest
    Then the instruction fails with VMfailValid and VM-instruction error 8 ("VM entry with invalid host-state field(s)")

  @sdm:27.2.2 @sdm:27.2.3 @sdm:27.2.4 @vm-error:8
  Scenario Outline: "<field>" = <value>: <rule>
    Given the VMM has written <value> to "<field>"
    When the VMM launches the guest
    Then the instruction fails with VMfailValid and VM-instruction error 8 ("VM entry with invalid host-state field(s)")

    Examples: selector fields (27.2.3)
      | field             | value | rule                                  |
      | Host CS selector  | 0     | the CS selector must not be 0000H     |
      | Host TR selector  | 0     | the TR selector must not be 0000H     |
      | Host CS selector  | 0x0b  | RPL (bits 1:0) must be 0              |
      | Host ES selector  | 0x13  | RPL (bits 1:0) must be 0              |
      | Host DS selector  | 0x14  | TI (bit 2) must be 0                  |

    Examples: base addresses (27.2.3) and MSRs (27.2.2) must be canonical
      | field                  | value                 | rule                   |
      | Host FS base           | 0x8000_0000_0000_0000 | not canonical          |
      | Host GDTR base         | 0x8000_0000_0000_0000 | not canonical          |
      | Host IDTR base         | 0x8000_0000_0000_0000 | not canonical          |
      | Host TR base           | 0x8000_0000_0000_0000 | not canonical          |
      | Host IA32_SYSENTER_EIP | 0x8000_0000_0000_0000 | not canonical          |

    Examples: address-space size (27.2.4), "host address-space size" being 1
      | field     | value                 | rule                                 |
      | Host RIP  | 0x8000_0000_0000_0000 | RIP must be canonical                |

  @sdm:27.2.4 @vm-error:8
  Scenario: "Host CR4" with CR4.PAE clear while "host address-space size" is 1
    Given the VMM clears CR4.PAE in "Host CR4"
    When the VMM launches the guest
    Then the instruction fails with VMfailValid and VM-instruction error 8 ("VM entry with invalid host-state field(s)")

  @sdm:27.2.4 @vm-error:8 @control:host-address-space-size @requires:no-host-address-space-size @requires:no-ia-32e-mode-guest
  Scenario: "Host address-space size" 0 while the processor is in IA-32e mode
    A VMM in IA-32e mode (IA32_EFER.LMA = 1, as after reset) must return to IA-32e mode. "IA-32e mode guest"
    is cleared too, so that the rule "IA-32e mode guest must be 0 if host address-space size is 0" is not
    broken as well; any other 27.2.4 rule a 32-bit host would break (host RIP bits 63:32, CR4.PCIDE) is a
    host-state check with the same error number.

    Given the "Host address-space size" control is clear
    And the "IA-32e mode guest" control is clear
    When the VMM launches the guest
    Then the instruction fails with VMfailValid and VM-instruction error 8 ("VM entry with invalid host-state field(s)")

  @sdm:27.2.2 @vm-error:8
  Scenario Outline: With the VM-exit control "Load IA32_EFER" 1, "Host IA32_EFER" = <value>: <rule>
    Given the "VM-exit: Load IA32_EFER" control is set
    And the VMM has written <value> to "Host IA32_EFER"
    When the VMM launches the guest
    Then the instruction fails with VMfailValid and VM-instruction error 8 ("VM entry with invalid host-state field(s)")

    @control:exit-load-ia32-efer @requires:exit-load-ia32-efer
    Examples:
      | value | rule                                                                   |
      | 0x502 | reserved bit 1 set (LME and LMA equal "host address-space size")       |
      | 0x100 | LMA (bit 10) differs from "host address-space size", which is 1        |

  @sdm:27.2.2 @vm-error:8 @control:exit-load-ia32-pat @requires:exit-load-ia32-pat
  Scenario: With the VM-exit control "Load IA32_PAT" 1, a "Host IA32_PAT" entry with memory type 2 is invalid
    Each byte of the value must be a memory type WRMSR would accept for IA32_PAT: 0, 1, 4, 5, 6 or 7.

    Given the "VM-exit: Load IA32_PAT" control is set
    And the VMM has written 0x0007_0406_0007_0402 to "Host IA32_PAT"
    When the VMM launches the guest
    Then the instruction fails with VMfailValid and VM-instruction error 8 ("VM entry with invalid host-state field(s)")
