import { describe, expect, it } from 'vitest';
import { budgetPeriodEnd, budgetPeriodLabel, budgetPeriodStart, formatUsd } from './budget-period.ts';

describe('budget periods', () => {
  it('runs by UTC calendar month', () => {
    const moment = new Date('2026-11-30T23:59:59.999Z');
    expect(budgetPeriodStart(moment).toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(budgetPeriodEnd(moment).toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(budgetPeriodLabel(moment)).toBe('2026-11');
  });

  it('rolls over the year', () => {
    expect(budgetPeriodEnd(new Date('2026-12-15T00:00:00Z')).toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it('formats small and large amounts', () => {
    expect(formatUsd(0.00123)).toBe('$0.0012');
    expect(formatUsd(12.5)).toBe('$12.50');
  });
});
