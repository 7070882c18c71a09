/** Small formatting and parsing helpers shared by the step files. */

export function hexOf(v: bigint | number): string {
  const b = typeof v === 'bigint' ? v : BigInt(v);
  return b < 0n ? '-0x' + (-b).toString(16) : '0x' + b.toString(16);
}

/** Parse a number as written in a feature file: decimal, 0x-hex, with optional _ separators. */
export function parseNumber(text: string): bigint {
  const t = text.trim().replace(/_/g, '');
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(t)) throw new Error(`not a number: "${text}" (write decimal or 0x-prefixed hex)`);
  return BigInt(t);
}
