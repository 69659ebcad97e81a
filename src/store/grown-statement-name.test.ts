import { describe, expect, it } from 'vitest';
import { createGrownStatementName } from './grown-statement-name.ts';

describe('createGrownStatementName', () => {
  it('answers unnamed until the rows written reach the bound, then the name', () => {
    const nameFor = createGrownStatementName('finish', 10);
    expect([nameFor(4), nameFor(4), nameFor(4)]).toEqual(['', '', '']);
    expect([nameFor(1), nameFor(200)]).toEqual(['finish', 'finish']);
  });

  it('names from the first row with a bound of 0', () => {
    expect(createGrownStatementName('settle', 0)(1)).toBe('settle');
  });
});
