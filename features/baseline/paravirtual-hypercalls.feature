@area:baseline
Feature: A paravirtual guest calls its VMM with VMCALL
  A paravirtualized guest does not wait to be trapped: it asks its VMM for services explicitly, the way a
  process makes a system call. VMCALL always causes a VM exit in VMX non-root operation (basic exit reason
  18), and the VMM's hypercall ABI gives it meaning (docs/hypercalls.md): RAX = call number (0 "echo",
  1 "add"), RBX and RCX = arguments, result in RAX; unknown calls return −1, callers at CPL > 0 get −2.
  The VMM reads the guest's registers right after the VM exit (VM exits do not switch general-purpose
  registers other than RSP and RIP), writes RAX, advances "Guest RIP" by the VM-exit instruction length and
  resumes; the guest stores each result in memory.

  VMCALL reaches the VMM from CPL 3 too: in VMX non-root operation its "VM exit" step comes before its CPL
  check (31.3, VMCALL "Operation"), which is why the ABI has the VMM check the caller's CPL (SS.DPL).

  Sources: SDM Vol. 3C 26.1.2 "Instructions That Cause VM Exits Unconditionally"; 28.2.5 "Information for VM
  Exits Due to Instruction Execution" (VM-exit instruction length); 28.3 "Saving Guest State"; 28.5 "Loading
  Host State"; 25.4.1 "Guest Register State" (CPL = SS.DPL); 31.3 "VMX Instructions" (VMCALL).

  Background:
    Given a VMCS set up for a 64-bit guest
    And the "HLT exiting" control is set

  @sdm:26.1.2 @exit-reason:18 @exit-reason:12 @control:hlt-exiting @requires:hlt-exiting
  Scenario: The guest adds two numbers, echoes a value and calls an unknown service through the VMM
    Given the guest code is:
      """
      mov eax, 1
      mov ebx, 40
      mov ecx, 2
      vmcall
      mov qword ptr [0x501000], rax
      xor eax, eax
      mov rbx, 0x1122334455667788
      vmcall
      mov qword ptr [0x501008], rax
      mov eax, 99
      vmcall
      mov qword ptr [0x501010], rax
      mov qword ptr [0x501018], rbx
      hlt
      """
    When the VMM launches the guest
    And the VMM serves the guest's hypercalls until the guest exits for another reason
    Then the VMM served 3 hypercalls
    And the guest exits with basic exit reason 12 ("HLT")
    And the qword at guest-physical address 0x501000 is 42
    And the qword at guest-physical address 0x501008 is 0x1122334455667788
    And the qword at guest-physical address 0x501010 is 0xffffffffffffffff
    And the qword at guest-physical address 0x501018 is 0x1122334455667788

  @sdm:26.1.2 @sdm:31.3 @exit-reason:18 @control:hlt-exiting @requires:hlt-exiting @requires:cpl
  Scenario: A guest application at CPL 3 reaches the VMM with VMCALL, and the VMM refuses the call
    The application then executes HLT, which faults at CPL 3; the guest kernel's #GP handler halts, and
    that HLT exits.
    Given the guest starts at CPL 3
    And the guest code is:
      """
      mov eax, 1
      mov ebx, 40
      mov ecx, 2
      vmcall
      mov qword ptr [0x501000], rax
      hlt
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    When the VMM serves the guest's hypercalls until the guest exits for another reason
    Then the VMM served 1 hypercall
    And the qword at guest-physical address 0x501000 is 0xfffffffffffffffe
