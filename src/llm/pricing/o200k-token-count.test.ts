import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { countTokens, encode } from 'gpt-tokenizer';
import { describe, expect, it } from 'vitest';
import { countO200kTokens } from './o200k-token-count.ts';

// gpt-tokenizer's own encoder is the reference: ours reads its vocabulary file and must count
// exactly as it does, with special-token text taken as text (its `disallowedSpecial: none`).
const reference = (text: string) => countTokens(text, { disallowedSpecial: new Set() });

describe('countO200kTokens', () => {
  it('counts as gpt-tokenizer does on prose, code and tables', () => {
    for (const path of ['README.md', 'docs/benchmarks.md', 'src/llm/pricing/o200k-token-count.ts']) {
      const text = readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
      expect(countO200kTokens(text), path).toBe(reference(text));
    }
  });

  it('counts as gpt-tokenizer does on any string, including lone surrogates and emoji sequences', () => {
    const texts = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.string({ unit: 'grapheme', maxLength: 80 }),
      fc
        .array(
          fc.constantFrom(
            'the',
            ' cat',
            "'s",
            'ЖЖ',
            ' 東京',
            '12345',
            '\n\n',
            '  ',
            '🌍',
            '\t',
            'Ünïcode',
            '—',
          ),
          {
            maxLength: 40,
          },
        )
        .map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(texts, (text) => {
        expect(countO200kTokens(text)).toBe(reference(text));
      }),
      { numRuns: 3_000 },
    );
  });

  it('merges long pieces without spaces as the reference does', () => {
    for (const text of [
      'a'.repeat(2_000),
      'ж'.repeat(2_000),
      '🌍'.repeat(700),
      '1'.repeat(2_000),
      'ab1'.repeat(700),
    ]) {
      expect(countO200kTokens(text), text.slice(0, 6)).toBe(reference(text));
    }
  });

  it('counts special-token text as text, where the library refused it', () => {
    const text = 'before <|endoftext|> after';
    expect(() => countTokens(text)).toThrow(/special token/);
    expect(countO200kTokens(text)).toBe(encode(text, { disallowedSpecial: new Set() }).length);
    expect(countO200kTokens(text)).toBeGreaterThan(4);
  });

  it('counts nothing in the empty string and one token in a single byte', () => {
    expect(countO200kTokens('')).toBe(0);
    expect(countO200kTokens('x')).toBe(1);
    expect(countO200kTokens('\u0000')).toBe(1);
  });
});
