@area:vmcs
Feature: VMREAD and VMWRITE: field encodings, widths, read-only fields
  VMREAD and VMWRITE name a VMCS component by its 32-bit encoding (25.11.2): bit 0 access type (0 full,
  1 high, and 1 only for 64-bit fields), bits 9:1 index, bits 11:10 type, bit 12 reserved, bits 14:13 width
  (16-bit, 64-bit, 32-bit, natural-width), bits 31:15 reserved. In 64-bit mode the encoding operand has 64
  bits; an encoding that sets any bit beyond bit 31, sets a reserved bit, or names no component the
  processor supports fails with error 12. Without a current VMCS both instructions fail with
  VMfailInvalid before the encoding is looked at.

  Width (25.11.2): a VMREAD of a 16-bit or 32-bit field clears the destination's upper bits; a VMWRITE
  uses only the low 16 or 32 bits of its source. Natural-width fields have 64 bits on a processor that
  supports Intel 64. The "high" encoding of a 64-bit field reads bits 63:32 into bits 31:0 of the
  destination, and writes bits 31:0 of the source into bits 63:32 of the field, leaving bits 31:0 alone.

  VM-exit information fields are read-only: VMWRITE to one fails with error 13 unless IA32_VMX_MISC[29]
  reports that VMWRITE may write every supported field (A.6), in which case it succeeds.

  Sources: SDM Vol. 3C 25.11.2 "VMREAD, VMWRITE, and Encodings of VMCS Fields"; 25.9 "VM-Exit Information
  Fields"; 31.3 "VMX Instructions" (VMREAD—Read Field from Virtual-Machine Control Structure,
  VMWRITE—Write Field to Virtual-Machine Control Structure); 31.4 "VM Instruction Error Numbers";
  Appendix A.6 "Miscellaneous Data"; Appendix B "Field Encoding in VMCS".

  Background:
    Given the logical processor is in VMX root operation

  @sdm:31.3
  Scenario: VMREAD with no current VMCS fails with VMfailInvalid
    When the VMM executes VMREAD of "Guest RIP"
    Then the instruction fails with VMfailInvalid

  @sdm:31.3
  Scenario: VMWRITE with no current VMCS fails with VMfailInvalid, whatever the encoding
    When the VMM executes VMWRITE of 0x1 with the encoding 0xffff_ffff
    Then the instruction fails with VMfailInvalid

  @sdm:25.11.2 @sdm:31.3 @vm-error:12
  Scenario Outline: <instruction> of encoding <encoding> fails with error 12: <why>
    Given VMCS A is the current VMCS
    When the VMM executes <instruction> with the encoding <encoding>
    Then the instruction fails with VMfailValid and VM-instruction error 12 ("VMREAD/VMWRITE from/to unsupported VMCS component")

    Examples:
      | instruction   | encoding              | why                                                     |
      | VMREAD        | 0x681f                | access type high on a natural-width field (Guest RIP)   |
      | VMREAD        | 0x4403                | access type high on a 32-bit field (Exit reason)        |
      | VMREAD        | 0x0801                | access type high on a 16-bit field (Guest ES selector)  |
      | VMREAD        | 0x781e                | reserved bit 12 set (Guest RIP's encoding otherwise)    |
      | VMREAD        | 0xe81e                | reserved bit 15 set                                     |
      | VMREAD        | 0x1_0000_681e         | bit 32 of the 64-bit encoding operand set               |
      | VMREAD        | 0x6cfe                | no field has index 127 among natural-width host state  |
      | VMWRITE of 0  | 0x681f                | access type high on a natural-width field (Guest RIP)   |
      | VMWRITE of 0  | 0x1_0000_681e         | bit 32 of the 64-bit encoding operand set               |

  @sdm:25.9 @sdm:31.3 @sdm:A.6 @vm-error:13
  Scenario Outline: VMWRITE to the read-only field "<field>" fails with error 13 unless IA32_VMX_MISC[29] is 1
    Given VMCS A is the current VMCS
    When the VMM executes VMWRITE of 0x1 to "<field>"
    Then the instruction succeeds if IA32_VMX_MISC[29] allows VMWRITE to VM-exit information fields, and otherwise fails with VMfailValid and VM-instruction error 13 ("VMWRITE to read-only VMCS component")

    Examples:
      | field                      |
      | Exit reason                |
      | Exit qualification         |
      | VM-exit instruction length |
      | VM-instruction error       |

  @sdm:25.9 @sdm:31.3 @sdm:A.6 @requires:vmwrite-any-field
  Scenario: With IA32_VMX_MISC[29] = 1, VMWRITE writes a VM-exit information field
    Given VMCS A is the current VMCS
    When the VMM executes VMWRITE of 0x1234_5678 to "Exit qualification"
    Then the instruction succeeds
    And "Exit qualification" reads 0x1234_5678

  @sdm:25.11.2 @sdm:31.3
  Scenario: The high encoding of a 64-bit field reads bits 63:32
    Given VMCS A is the current VMCS
    And the VMM has written 0x1122_3344_5566_7788 to "TSC offset"
    When the VMM executes VMREAD of "TSC offset (high)"
    Then VMREAD returns 0x1122_3344
    When the VMM executes VMREAD of "TSC offset"
    Then VMREAD returns 0x1122_3344_5566_7788

  @sdm:25.11.2 @sdm:31.3
  Scenario: VMWRITE to the high encoding replaces bits 63:32 from bits 31:0 of the source and keeps bits 31:0
    Given VMCS A is the current VMCS
    And the VMM has written 0x1122_3344_5566_7788 to "TSC offset"
    When the VMM executes VMWRITE of 0xffff_ffff_aabb_ccdd to "TSC offset (high)"
    Then the instruction succeeds
    And "TSC offset" reads 0xaabb_ccdd_5566_7788
    And "TSC offset (high)" reads 0xaabb_ccdd

  @sdm:25.11.2 @sdm:31.3
  Scenario Outline: A <width> field keeps <kept> of what VMWRITE gives it (<field>)
    Given VMCS A is the current VMCS
    When the VMM executes VMWRITE of <written> to "<field>"
    Then the instruction succeeds
    When the VMM executes VMREAD of "<field>"
    Then VMREAD returns <read>

    Examples:
      | width         | field                   | written               | read                  | kept       |
      | 16-bit        | Guest ES selector       | 0x12345               | 0x2345                | bits 15:0  |
      | 32-bit        | Exception bitmap        | 0xfedc_ba98_7654_3210 | 0x7654_3210           | bits 31:0  |
      | 32-bit        | Guest ES limit          | 0x1_0000_ffff         | 0xffff                | bits 31:0  |
      | natural-width | CR0 guest/host mask     | 0xfedc_ba98_7654_3210 | 0xfedc_ba98_7654_3210 | all 64 bits |
      | 64-bit        | TSC offset              | 0xfedc_ba98_7654_3210 | 0xfedc_ba98_7654_3210 | all 64 bits |
