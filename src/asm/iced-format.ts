/**
 * The one iced-x86 formatter configuration used for instruction text everywhere (assembler listings,
 * decoded-instruction text in emulator messages, round-trip tests): Intel syntax, lower case, 0x-prefixed
 * hexadecimal, `op1, op2`, no `short`/`near` branch decorations.
 */
import { Formatter, FormatterSyntax } from 'iced-x86';

export function newIntelFormatter(): Formatter {
  const f = new Formatter(FormatterSyntax.Intel);
  f.hexPrefix = '0x';
  f.hexSuffix = '';
  f.uppercaseHex = false;
  f.spaceAfterOperandSeparator = true;
  f.showBranchSize = false;
  f.branchLeadingZeros = false;
  return f;
}
