/** A source line the assembler cannot turn into machine code. */
export class AsmError extends Error {
  constructor(
    /** 1-based line number in the source. */
    readonly line: number,
    /** The whole source line, as written. */
    readonly lineText: string,
    /** The offending token (mnemonic, operand, label, directive). */
    readonly token: string,
    /** What is wrong with it. */
    readonly reason: string,
    /** Close valid mnemonics when the mnemonic is unknown. */
    readonly suggestions: readonly string[] = [],
  ) {
    const hint = suggestions.length > 0 ? ` (did you mean ${suggestions.join(', ')}?)` : '';
    super(`line ${line}: ${reason}: '${token}'${hint} in: ${lineText.trim()}`);
    this.name = 'AsmError';
  }
}

/** Thrown by the parsing helpers; the assembler adds the line number and text. */
export class OperandError extends Error {
  constructor(readonly token: string, readonly reason: string, readonly suggestions: readonly string[] = []) {
    super(`${reason}: '${token}'`);
  }
}
