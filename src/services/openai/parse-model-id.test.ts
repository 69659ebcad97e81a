import { describe, expect, it } from 'vitest';
import { modelIdOf, parseModelId } from './parse-model-id.ts';

describe('parseModelId', () => {
  it.each([
    ['agent/summarise', { slug: 'summarise', version: { kind: 'current' } }],
    ['agent/summarise@3', { slug: 'summarise', version: { kind: 'number', number: 3 } }],
    [
      'agent/summarise@0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
      { slug: 'summarise', version: { kind: 'id', id: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b' } },
    ],
  ])('reads %s', (model, expected) => {
    expect(parseModelId(model)).toEqual(expected);
  });

  it.each(['gpt-4o-mini', 'agent/', 'agent/Summarise', 'agent/a@0', 'agent/a@', 'agents/a', 'agent/a/b'])(
    'refuses %s',
    (model) => {
      expect(parseModelId(model)).toBeNull();
    },
  );

  it('round-trips the listed id', () => {
    expect(parseModelId(modelIdOf('triage-bot'))?.slug).toBe('triage-bot');
  });
});
