@area:non-root
Feature: IN, INS, OUT and OUTS: unconditional I/O exiting and the I/O bitmaps
  With "use I/O bitmaps" = 0, every I/O instruction exits if "unconditional I/O exiting" is 1 and none does if
  it is 0. With "use I/O bitmaps" = 1, "unconditional I/O exiting" is ignored and an I/O instruction exits if
  the bit of any port it accesses is 1: I/O bitmap A has one bit per port 0000H–7FFFH, I/O bitmap B one bit
  per port 8000H–FFFFH (bit n of B is port 8000H + n). An access of 2 or 4 bytes touches 2 or 4 consecutive
  ports, possibly in both bitmaps; an access that wraps around the 16-bit port space (touches FFFFH and
  0000H) always exits. The VM exit has basic exit reason 30 ("I/O instruction").

  The fault checked before the VM exit (26.1.1): a #GP(0) "based on checking I/O permission bits in the
  TSS" (CPL > IOPL and the TSS denies the port; the guest's TSS has no I/O permission bitmap, so it denies
  every port).

  Every guest below first sets ECX = 1, RDI = RSI = 501000H and EDX to the port (20 bytes of code), so the
  I/O instruction is at 400014H; VMCALL after it is the marker that it did not exit.

  Sources: SDM Vol. 3C 25.6.2 "Processor-Based VM-Execution Controls"; 25.6.4 "I/O-Bitmap Addresses";
  26.1.1 "Relative Priority of Faults and VM Exits"; 26.1.3 "Instructions That Cause VM Exits
  Conditionally" (IN, INS/INSB/INSW/INSD, OUT, OUTS/OUTSB/OUTSW/OUTSD); Vol. 1 19.5 "Protected-Mode I/O"
  (I/O permission bit map). Exit qualifications: features/vm-exit/exit-information.feature.

  Background:
    Given a VMCS set up for a 64-bit guest

  @sdm:26.1.3 @control:unconditional-i-o-exiting @exit-reason:30 @requires:unconditional-i-o-exiting @requires:no-use-i-o-bitmaps
  Scenario Outline: <instruction> exits when "unconditional I/O exiting" is 1 and "use I/O bitmaps" is 0
    Given the "Use I/O bitmaps" control is clear
    And the "Unconditional I/O exiting" control is set
    And the guest code is:
      """
      mov ecx, 1
      mov edi, 0x501000
      mov esi, 0x501000
      mov edx, 0x3f8
      <code>
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 30 ("I/O instruction")
    And "Guest RIP" reads 0x400014
    And "VM-exit instruction length" reads <length>

    Examples:
      | instruction      | code        | length |
      | IN AL, imm8      | in al, 0x60 | 2      |
      | OUT DX, AX       | out dx, ax  | 2      |
      | INSB             | insb        | 1      |
      | REP OUTSD        | rep outsd   | 2      |

  @sdm:26.1.3 @control:unconditional-i-o-exiting @exit-reason:18 @requires:no-unconditional-i-o-exiting @requires:no-use-i-o-bitmaps
  Scenario: Without I/O exiting the guest's string I/O runs: RCX, RSI and RDI advance
    REP OUTSB sends 4 bytes, INSB reads one; neither exits.

    Given the "Use I/O bitmaps" control is clear
    And the "Unconditional I/O exiting" control is clear
    And the guest code is:
      """
      mov ecx, 4
      mov edi, 0x501000
      mov esi, 0x502000
      mov edx, 0x80
      rep outsb
      insb
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And the guest's RCX is 0
    And the guest's RSI is 0x502004
    And the guest's RDI is 0x501001

  @sdm:26.1.3 @control:use-i-o-bitmaps @control:unconditional-i-o-exiting @exit-reason:18
  @requires:use-i-o-bitmaps @requires:unconditional-i-o-exiting
  Scenario: "use I/O bitmaps" = 1 overrides "unconditional I/O exiting": with clear bitmaps OUT does not exit
    Given the VMCS points to I/O bitmap A and I/O bitmap B, every bit clear
    And the "Unconditional I/O exiting" control is set
    And the "Use I/O bitmaps" control is set
    And the guest code is:
      """
      mov ecx, 1
      mov edi, 0x501000
      mov esi, 0x501000
      mov edx, 0x3f8
      out dx, al
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 18 ("VMCALL")
    And "Guest RIP" reads 0x400015

  @sdm:26.1.3 @sdm:25.6.4 @control:use-i-o-bitmaps @requires:use-i-o-bitmaps
  Scenario Outline: <access> with <bit> set: <outcome>
    Given the VMCS points to I/O bitmap A and I/O bitmap B, every bit clear
    And <bit> is set
    And the "Use I/O bitmaps" control is set
    And the guest code is:
      """
      mov ecx, 1
      mov edi, 0x501000
      mov esi, 0x501000
      mov edx, <port>
      <code>
      vmcall
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason <reason> ("<name>")
    And "Guest RIP" reads <rip>

    @exit-reason:30
    Examples: the bit of an accessed port is 1: VM exit
      | access                            | port   | code         | bit                         | outcome                           | reason | name            | rip      |
      | byte OUT to port 80H              | 0x80   | out 0x80, al | bit 0x80 of I/O bitmap A    | exits                             | 30     | I/O instruction | 0x400014 |
      | word OUT to ports 80H-81H         | 0x80   | out 0x80, ax | bit 0x81 of I/O bitmap A    | exits: the second port's bit      | 30     | I/O instruction | 0x400014 |
      | dword IN from port 9000H          | 0x9000 | in eax, dx   | bit 0x1000 of I/O bitmap B  | exits: 9000H is bit 1000H of B    | 30     | I/O instruction | 0x400014 |
      | word OUT to ports 7FFFH-8000H     | 0x7fff | out dx, ax   | bit 0 of I/O bitmap B       | exits: 8000H is bit 0 of B        | 30     | I/O instruction | 0x400014 |
      | word OUT to ports 7FFFH-8000H     | 0x7fff | out dx, ax   | bit 0x7fff of I/O bitmap A  | exits: 7FFFH is bit 7FFFH of A    | 30     | I/O instruction | 0x400014 |
      | byte OUT to port FFFFH            | 0xffff | out dx, al   | bit 0x7fff of I/O bitmap B  | exits: FFFFH is bit 7FFFH of B    | 30     | I/O instruction | 0x400014 |
      | dword OUT to ports FFFEH-0001H    | 0xfffe | out dx, eax  | bit 0x7000 of I/O bitmap A  | exits: the access wraps around    | 30     | I/O instruction | 0x400014 |
      | word IN from ports FFFFH-0000H    | 0xffff | in ax, dx    | bit 0x7000 of I/O bitmap A  | exits: the access wraps around    | 30     | I/O instruction | 0x400014 |
      | INSB from port 3F8H               | 0x3f8  | insb         | bit 0x3f8 of I/O bitmap A   | exits                             | 30     | I/O instruction | 0x400014 |

    @exit-reason:18
    Examples: no accessed port has its bit set: no VM exit
      | access                            | port   | code         | bit                         | outcome                           | reason | name   | rip      |
      | byte OUT to port 80H              | 0x80   | out 0x80, al | bit 0x81 of I/O bitmap A    | no exit: 81H is not accessed      | 18     | VMCALL | 0x400016 |
      | dword IN from port 9000H          | 0x9000 | in eax, dx   | bit 0x1000 of I/O bitmap A  | no exit: that bit is port 1000H   | 18     | VMCALL | 0x400015 |
      | word OUT to ports 7FFEH-7FFFH     | 0x7ffe | out dx, ax   | bit 0 of I/O bitmap B       | no exit: 8000H is not accessed    | 18     | VMCALL | 0x400016 |

  @sdm:26.1.1 @exception:GP @exit-reason:0 @control:unconditional-i-o-exiting
  @requires:unconditional-i-o-exiting @requires:no-use-i-o-bitmaps @requires:cpl
  Scenario: At CPL 3 with IOPL 0 the TSS check raises #GP(0), which takes priority over the I/O exit
    Given the "Use I/O bitmaps" control is clear
    And the "Unconditional I/O exiting" control is set
    And the guest starts at CPL 3
    And the exception bitmap intercepts #GP
    And the guest code is:
      """
      out 0x80, al
      """
    When the VMM launches the guest
    Then the guest exits because of a #GP(0) hardware exception
    And "Guest RIP" reads 0x400000

  @sdm:26.1.1 @control:unconditional-i-o-exiting @exit-reason:30
  @requires:unconditional-i-o-exiting @requires:no-use-i-o-bitmaps @requires:cpl
  Scenario: At CPL 3 with IOPL 3 there is no TSS check and the I/O instruction exits
    Given the "Use I/O bitmaps" control is clear
    And the "Unconditional I/O exiting" control is set
    And the guest starts at CPL 3
    And the VMM has written 0x3002 to "Guest RFLAGS"
    And the exception bitmap intercepts #GP
    And the guest code is:
      """
      out 0x80, al
      """
    When the VMM launches the guest
    Then the guest exits with basic exit reason 30 ("I/O instruction")
    And "Guest RIP" reads 0x400000
