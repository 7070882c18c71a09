@area:vm-exit
Feature: Every VM exit gives the VMM back its own state from the host-state area
  A VM exit loads CR0, CR3 and CR4, RSP and RIP, the selectors of CS, SS, DS, ES, FS, GS and TR, the bases
  of FS, GS, TR, GDTR and IDTR, and IA32_SYSENTER_CS/ESP/EIP from the host-state area (28.5.1–28.5.3). It
  establishes the rest the same way on every exit: RFLAGS is 2 (all flags clear but reserved bit 1), DR7 is
  400H, IA32_DEBUGCTL is 0, the GDTR and IDTR limits are FFFFH, TR's limit is 67H and its type a busy TSS,
  CS has base 0, limit FFFFFFFFH and is a 64-bit code segment when "host address-space size" is 1, LDTR's
  selector is 0 and LDTR is unusable. With "host address-space size" 1 (and "load IA32_EFER" 0) the exit
  sets IA32_EFER.LMA and LME.

  Here the host-state area holds the VMM's own state as the standard set-up programmed it, and the guest
  sets every arithmetic flag and DF, and DR7, before it exits, so that none of the fixed values could be
  left over from the guest.

  Sources: SDM Vol. 3C 28.5 "Loading Host State" (28.5.1 "Loading Host Control Registers, Debug Registers,
  MSRs", 28.5.2 "Loading Host Segment and Descriptor-Table Registers", 28.5.3 "Loading Host RIP, RSP, RFLAGS,
  and SSP"); 25.5 "Host-State Area"; 25.7.1 "VM-Exit Controls".

  Background:
    Given a VMCS set up for a 64-bit guest
    And the guest code is:
      """
          mov rax, 0x700               ; DR7: LE and GE set
          mov dr7, rax
          push qword ptr [flags]
          popfq                        ; CF PF AF ZF SF DF OF set
          vmcall
      flags: dq 0xcd7
      """

  @sdm:28.5.1 @sdm:28.5.2 @sdm:28.5.3 @exit-reason:18
  Scenario: After a VM exit the processor holds the host-state area's registers
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the logical processor remains in VMX root operation
    And the logical processor's state equals the host-state area:
      | rip         | Host RIP               |
      | rsp         | Host RSP               |
      | cr0         | Host CR0               |
      | cr3         | Host CR3               |
      | cr4         | Host CR4               |
      | cs.selector | Host CS selector       |
      | ss.selector | Host SS selector       |
      | ds.selector | Host DS selector       |
      | es.selector | Host ES selector       |
      | fs.selector | Host FS selector       |
      | gs.selector | Host GS selector       |
      | tr.selector | Host TR selector       |
      | fs.base     | Host FS base           |
      | gs.base     | Host GS base           |
      | tr.base     | Host TR base           |
      | gdtr.base   | Host GDTR base         |
      | idtr.base   | Host IDTR base         |
      | msr:0x174   | Host IA32_SYSENTER_CS  |
      | msr:0x175   | Host IA32_SYSENTER_ESP |
      | msr:0x176   | Host IA32_SYSENTER_EIP |

  @sdm:28.5.1 @sdm:28.5.2 @sdm:28.5.3 @exit-reason:18 @control:host-address-space-size
  Scenario: After a VM exit the registers without host-state fields have their fixed values
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the logical processor's state is:
      | rflags        | 0x2        |
      | dr7           | 0x400      |
      | msr:0x1d9     | 0          |
      | gdtr.limit    | 0xffff     |
      | idtr.limit    | 0xffff     |
      | tr.limit      | 0x67       |
      | cs.base       | 0          |
      | cs.limit      | 0xffffffff |
      | ldtr.selector | 0          |
    # CS: type 11, S 1, DPL 0, P 1; L 1, D/B 0, G 1. TR: type 11 (busy TSS), S 0, DPL 0, P 1; D/B 0, G 0.
    And bits 7:0 of the logical processor's cs.access are 0x9b
    And bits 15:13 of the logical processor's cs.access are 0x5
    And bits 7:0 of the logical processor's tr.access are 0x8b
    And bits 15:14 of the logical processor's tr.access are 0
    And bit 16 of the logical processor's ldtr.access is set

  @sdm:28.5.1 @exit-reason:18 @control:host-address-space-size
  Scenario: With "host address-space size" 1, the VM exit returns to IA-32e mode: IA32_EFER.LMA, LME and CS.L set
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And bit 8 of the logical processor's msr:0xc0000080 is set
    And bit 10 of the logical processor's msr:0xc0000080 is set
    And bit 13 of the logical processor's cs.access is set

  @sdm:28.5.1 @sdm:25.5 @exit-reason:18
  Scenario: The IA32_SYSENTER MSRs come from the host-state area, not from what the VMM had
    Given the VMM has written 0x10 to "Host IA32_SYSENTER_CS"
    And the VMM has written 0xffff_8000_0000_1000 to "Host IA32_SYSENTER_ESP"
    And the VMM has written 0xffff_8000_0000_2000 to "Host IA32_SYSENTER_EIP"
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the logical processor's state is:
      | msr:0x174 | 0x10                  |
      | msr:0x175 | 0xffff800000001000    |
      | msr:0x176 | 0xffff800000002000    |
