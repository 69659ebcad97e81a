import { describe, expect, it } from 'vitest';
import { describeWait } from './describe-wait.ts';

describe('describeWait', () => {
  it('says a wait in the largest unit that fits, rounded up', () => {
    expect(describeWait(0)).toBe('1 second');
    expect(describeWait(59.2)).toBe('60 seconds');
    expect(describeWait(60)).toBe('1 minute');
    expect(describeWait(897)).toBe('15 minutes');
    expect(describeWait(7200)).toBe('2 hours');
    expect(describeWait(90_000)).toBe('2 days');
  });
});
