@area:vm-exit
Feature: Guest state round-trips through VM exits and VM entries
  At every VM exit the processor saves the guest's control registers, RSP, RIP, RFLAGS, segment registers,
  descriptor-table registers and non-register state into the guest-state area (28.3) and loads the VMM's
  state from the host-state area (28.5); the next VM entry loads the guest's state back from the
  guest-state area (27.3.2). General-purpose registers other than RSP are neither saved nor loaded: after a
  VM exit the VMM sees the guest's values in them, and whatever the VMM leaves there the guest sees after
  VM entry. A VMM therefore sees exactly the guest's state at every exit, and a guest that is resumed
  continues with exactly the state it had.

  The long scenario checks this from both sides. The guest puts a pattern in every general-purpose
  register but RSP, counts its exits in R15, sets CR0, CR4 and RFLAGS to known values, and alternates
  VMCALL and CPUID (both always exit; the VMM skips CPUID without emulating it, so RAX–RDX keep the guest's
  patterns). After each resume the guest itself compares RFLAGS, RSP, CR0, CR4 and every pattern register
  with what it set and executes UD2 on any difference; #UD is in the exception bitmap, so a corruption ends
  the run with an exception exit that the first check reports. The VMM checks, at each exit, the registers,
  the guest-state area and its own restored state.

  Sources: SDM Vol. 3C 28.3 "Saving Guest State" (28.3.1 "Saving Control Registers, Debug Registers, and
  MSRs", 28.3.2 "Saving Segment Registers and Descriptor-Table Registers", 28.3.3 "Saving RIP, RSP, RFLAGS,
  and SSP", 28.3.4 "Saving Non-Register State"); 28.5 "Loading Host State"; 27.3.2 "Loading Guest State";
  28.2.1 "Basic VM-Exit Information"; 26.1.2 "Instructions That Cause VM Exits Unconditionally"; 25.6.3
  "Exception Bitmap".

  Background:
    Given a VMCS set up for a 64-bit guest
    # Bit 6 of the exception bitmap: #UD causes a VM exit, so a guest that finds a corrupted register stops.
    And the VMM has written 0x40 to "Exception bitmap"

  @sdm:28.3 @sdm:28.5 @sdm:27.3.2 @exit-reason:18 @exit-reason:10
  Scenario: Twenty exits in a row: the guest's registers survive, and each exit saves the guest's state and restores the VMM's
    Given the guest code is:
      """
          mov rax, 0x80010033          ; CR0: PG WP NE ET MP PE
          mov cr0, rax
          mov rax, 0x2220              ; CR4: VMXE OSFXSR PAE
          mov cr4, rax
          mov rax, 0x1111111111111111
          mov rbx, 0x2222222222222222
          mov rcx, 0x3333333333333333
          mov rdx, 0x4444444444444444
          mov rsi, 0x5555555555555555
          mov rdi, 0x6666666666666666
          mov rbp, 0x7777777777777777
          mov r8, 0x8888888888888888
          mov r9, 0x9999999999999999
          mov r10, 0xaaaaaaaaaaaaaaaa
          mov r11, 0xbbbbbbbbbbbbbbbb
          mov r12, 0xcccccccccccccccc
          mov r13, 0xdddddddddddddddd
          mov r14, 0xeeeeeeeeeeeeeeee
          xor r15, r15                 ; R15 counts the exits
      next:
          inc r15
          push qword ptr [flags]
          popfq                        ; RFLAGS = CF PF AF ZF SF DF OF
          vmcall                       ; exit, basic reason 18
          call check
          inc r15
          push qword ptr [flags]
          popfq
          cpuid                        ; exit, basic reason 10 (the VMM skips it)
          call check
          jmp next
      check:
          pushfq
          cmp qword ptr [rsp], 0xcd7
          jne corrupted
          popfq
          cmp rsp, 0x3efff8            ; the stack top, less this call's return address
          jne corrupted
          push rax
          mov rax, cr0
          cmp rax, [cr0_value]
          pop rax
          jne corrupted
          push rax
          mov rax, cr4
          cmp rax, [cr4_value]
          pop rax
          jne corrupted
          cmp rax, [patterns]
          jne corrupted
          cmp rbx, [patterns + 8]
          jne corrupted
          cmp rcx, [patterns + 16]
          jne corrupted
          cmp rdx, [patterns + 24]
          jne corrupted
          cmp rsi, [patterns + 32]
          jne corrupted
          cmp rdi, [patterns + 40]
          jne corrupted
          cmp rbp, [patterns + 48]
          jne corrupted
          cmp r8, [patterns + 56]
          jne corrupted
          cmp r9, [patterns + 64]
          jne corrupted
          cmp r10, [patterns + 72]
          jne corrupted
          cmp r11, [patterns + 80]
          jne corrupted
          cmp r12, [patterns + 88]
          jne corrupted
          cmp r13, [patterns + 96]
          jne corrupted
          cmp r14, [patterns + 104]
          jne corrupted
          ret
      corrupted:
          ud2                          ; #UD: an exception exit the VMM reports
      flags:     dq 0xcd7
      cr0_value: dq 0x80010033
      cr4_value: dq 0x2220
      patterns:  dq 0x1111111111111111, 0x2222222222222222, 0x3333333333333333, 0x4444444444444444
                 dq 0x5555555555555555, 0x6666666666666666, 0x7777777777777777, 0x8888888888888888
                 dq 0x9999999999999999, 0xaaaaaaaaaaaaaaaa, 0xbbbbbbbbbbbbbbbb, 0xcccccccccccccccc
                 dq 0xdddddddddddddddd, 0xeeeeeeeeeeeeeeee
      """
    When the VMM launches the guest and handles 20 VM exits, each time skipping the exiting instruction and resuming the guest
    Then the run had 20 VM exits, each with basic exit reason 18 ("VMCALL") or 10 ("CPUID") at the guest's instruction of that name
    And at each of those exits the general-purpose registers held:
      | rax | 0x1111111111111111 |
      | rbx | 0x2222222222222222 |
      | rcx | 0x3333333333333333 |
      | rdx | 0x4444444444444444 |
      | rsi | 0x5555555555555555 |
      | rdi | 0x6666666666666666 |
      | rbp | 0x7777777777777777 |
      | r8  | 0x8888888888888888 |
      | r9  | 0x9999999999999999 |
      | r10 | 0xaaaaaaaaaaaaaaaa |
      | r11 | 0xbbbbbbbbbbbbbbbb |
      | r12 | 0xcccccccccccccccc |
      | r13 | 0xdddddddddddddddd |
      | r14 | 0xeeeeeeeeeeeeeeee |
      | r15 | the exit's number  |
    And at each of those exits the guest-state area held:
      | Guest RSP                    | 0x3f0000   |
      | Guest RFLAGS                 | 0xcd7      |
      | Guest CR0                    | 0x80010033 |
      | Guest CR3                    | 0x300000   |
      | Guest CR4                    | 0x2220     |
      | Guest CS selector            | 0x8        |
      | Guest CS base                | 0          |
      | Guest CS limit               | 0xffffffff |
      | Guest CS access rights       | 0xa09b     |
      | Guest SS selector            | 0x10       |
      | Guest SS access rights       | 0xc093     |
      | Guest DS selector            | 0x10       |
      | Guest DS access rights       | 0xc093     |
      | Guest ES selector            | 0x10       |
      | Guest FS selector            | 0x10       |
      | Guest GS selector            | 0x10       |
      | Guest TR selector            | 0x18       |
      | Guest TR base                | 0x312000   |
      | Guest TR limit               | 0x67       |
      | Guest TR access rights       | 0x8b       |
      | Guest GDTR base              | 0x310000   |
      | Guest GDTR limit             | 0x27       |
      | Guest IDTR base              | 0x311000   |
      | Guest IDTR limit             | 0xfff      |
      | Guest interruptibility state | 0          |
      | Guest activity state         | 0          |
    And at each of those exits the logical processor's state equalled the host-state area:
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

  @sdm:28.3.1 @sdm:28.3.2 @sdm:28.3.3 @sdm:27.3.2 @exit-reason:18 @exit-reason:10
  Scenario: The guest-state area holds the state the guest changed, and VM entry gives it back
    The guest sets CR0.MP and CR4.OSFXSR, moves RSP, sets RFLAGS, and loads a null selector into DS (making
    DS unusable: access-rights bit 16 is saved as 1, 28.3.2). After the VMM resumes it, the guest checks
    that it still has that state and ends with CPUID; on any difference it executes UD2 instead.

    Given the guest code is:
      """
          mov rax, 0x80010033          ; CR0.MP set
          mov cr0, rax
          mov rax, 0x2220              ; CR4.OSFXSR set
          mov cr4, rax
          xor eax, eax
          mov ds, ax                   ; DS unusable
          sub rsp, 0x100
          push qword ptr [flags]
          popfq
          vmcall
          pushfq
          cmp qword ptr [rsp], 0xcd7
          jne corrupted
          popfq
          cmp rsp, 0x3eff00
          jne corrupted
          mov rax, cr0
          cmp rax, [cr0_value]
          jne corrupted
          mov rax, cr4
          cmp rax, [cr4_value]
          jne corrupted
          mov ax, ds
          test ax, ax
          jnz corrupted
          cpuid
      corrupted:
          ud2
      flags:     dq 0xcd7
      cr0_value: dq 0x80010033
      cr4_value: dq 0x2220
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And "Guest RIP" reads the address of the guest's "vmcall" instruction
    And "VM-exit instruction length" reads 3
    And "Guest RSP" reads 0x3eff00
    And "Guest RFLAGS" reads 0xcd7
    And "Guest CR0" reads 0x80010033
    And "Guest CR4" reads 0x2220
    And "Guest DS selector" reads 0
    And "Guest DS access rights" has bit 16 set
    When the VMM skips the exiting instruction and resumes the guest
    Then the guest exits with basic exit reason 10 ("CPUID")
    And "Guest RIP" reads the address of the guest's "cpuid" instruction
