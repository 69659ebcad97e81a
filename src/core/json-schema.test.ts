import { describe, expect, it } from 'vitest';
import { FlightdeckError } from './errors.ts';
import { compileJsonSchema } from './json-schema.ts';

describe('compileJsonSchema with user patterns', () => {
  it('matches a catastrophic pattern in linear time', () => {
    const validator = compileJsonSchema({ type: 'string', pattern: '^(a+)+$' }, 'inputSchema');
    const started = performance.now();
    const problems = validator.validate(`${'a'.repeat(50_000)}!`);
    const elapsedMs = performance.now() - started;
    expect(problems.map((problem) => problem.keyword)).toEqual(['pattern']);
    // The built-in engine needs longer than the age of the universe for this input; RE2 a blink.
    expect(elapsedMs).toBeLessThan(5_000);
    expect(validator.validate('aaaa')).toEqual([]);
  });

  it('keeps patternProperties working', () => {
    const validator = compileJsonSchema(
      { type: 'object', patternProperties: { '^x-': { type: 'number' } } },
      'outputSchema',
    );
    expect(validator.validate({ 'x-a': 1 })).toEqual([]);
    expect(validator.validate({ 'x-a': 'no' })).toHaveLength(1);
  });

  it('refuses at save a pattern the linear engine cannot run, with the reason', () => {
    let caught: unknown;
    try {
      compileJsonSchema({ type: 'string', pattern: '^(?=a)a$' }, 'inputSchema');
    } catch (error) {
      caught = error;
    }
    expect(FlightdeckError.isInstance(caught)).toBe(true);
    expect((caught as FlightdeckError).code).toBe('schema_invalid');
    expect((caught as FlightdeckError).message).toContain('inputSchema');
  });
});
