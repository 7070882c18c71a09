/** Every instruction form the assembler test list names is executable: none binds to `unsupported`. */
import { describe, it } from 'node:test';
import { expect } from 'chai';
import { assemble } from '../../src/asm';
import { decodeBytes } from '../../src/emulator/x86/decode';
import { bind, unsupported, invalidOpcode } from '../../src/emulator/x86/dispatch';
import { FORMS } from '../asm/forms';

describe('interpreter coverage of the assembler forms', () => {
  it('binds every form to a handler', () => {
    const missing: string[] = [];
    for (const [src] of FORMS) {
      const bytes = assemble(src, 0x1000).bytes;
      const ins = decodeBytes(bytes, 64, bind);
      if (ins.exec === unsupported || ins.exec === invalidOpcode) missing.push(src);
    }
    expect(missing).to.deep.equal([]);
  });
});
