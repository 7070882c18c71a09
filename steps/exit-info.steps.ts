/**
 * Steps for VM-exit information (SDM 28.2 "Recording VM-Exit Information and Updating VM-Entry Control
 * Fields"): a field's bit fields checked one by one against a table the feature writes by hand from the SDM's
 * tables (exit qualification, VM-exit instruction information, interruption information), so each row says
 * which bits mean what.
 */
import { Then, type DataTable } from '@cucumber/cucumber';
import { expect } from 'chai';
import type { VmcsField } from '../src/arch/vmcs-fields';
import { creditControls } from './outcomes.steps';
import { hexOf, parseNumber } from './support/format';
import { bitsOf, parseBits } from './support/nonroot';
import { vmread } from './support/vmm';
import type { VmxWorld } from './support/world';

/**
 * Reads the field with VMREAD and checks each row: `| bits | value | meaning |`, bits as the SDM writes them
 * ("11:8", "31"). Bits no row names are not checked (the SDM leaves many undefined); a value "-" marks a
 * field the SDM calls undefined for these operands, also not checked.
 */
Then('the bit fields of {field} read:', async function (this: VmxWorld, field: VmcsField, table: DataTable) {
  const v = await vmread(this, field);
  const rows = table.hashes();
  if (rows.length === 0 || !('bits' in rows[0]) || !('value' in rows[0])) {
    throw new Error('the table needs the columns | bits | value | meaning |');
  }
  const problems: string[] = [];
  for (const row of rows) {
    const { high, low } = parseBits(row.bits);
    if (row.value.trim() === '-') continue; // undefined by the SDM for these operands
    const want = parseNumber(row.value);
    const got = bitsOf(v, high, low);
    if (got !== want) problems.push(`bits ${row.bits} (${row.meaning ?? ''}) are ${hexOf(got)}, expected ${hexOf(want)}`);
  }
  expect(problems, `"${field.name}" = ${hexOf(v)}`).to.deep.equal([]);
  creditControls(this);
});
