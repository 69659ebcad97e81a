import { describe, expect, it } from 'vitest';
import { promptTokenBound, tokenizerFamily } from './prompt-token-bound.ts';

describe('promptTokenBound', () => {
  it('places models in their tokenizer family', () => {
    expect(tokenizerFamily('openai', 'gpt-4o-mini')).toBe('o200k');
    expect(tokenizerFamily('openai', 'o3-mini')).toBe('o200k');
    expect(tokenizerFamily('openai', 'gpt-4-turbo')).toBe('cl100k');
    expect(tokenizerFamily('openai', 'gpt-3.5-turbo')).toBe('cl100k');
    expect(tokenizerFamily('anthropic', 'claude-3-5-haiku-latest')).toBe('claude');
    expect(tokenizerFamily('openai-compatible', 'openrouter/claude-sonnet-4')).toBe('claude');
    expect(tokenizerFamily('openai-compatible', 'meta-llama/llama-3.1-8b')).toBe('unknown');
  });

  it('scales the o200k count by the family factor, capped by the bytes', () => {
    const query = { countedTokens: 1_000, characters: 2_000, utf8Bytes: 4_000, overheadTokens: 7 };
    expect(promptTokenBound({ ...query, provider: 'openai', model: 'gpt-4o' })).toBe(1_250);
    expect(promptTokenBound({ ...query, provider: 'openai', model: 'gpt-4' })).toBe(1_400);
    expect(promptTokenBound({ ...query, provider: 'anthropic', model: 'claude-sonnet-4' })).toBe(1_600);
    expect(promptTokenBound({ ...query, provider: 'openai-compatible', model: 'llama' })).toBe(2_000);
    // Dense text (one o200k token per byte or so): the byte count is the tighter true bound.
    expect(
      promptTokenBound({
        countedTokens: 1_000,
        characters: 400,
        utf8Bytes: 1_100,
        overheadTokens: 7,
        provider: 'x',
        model: 'y',
      }),
    ).toBe(1_107);
  });

  it('never assumes fewer tokens than the characters over the family floor', () => {
    // Repeated common words: o200k makes a token of each word and space (8 characters a token).
    const query = { countedTokens: 500, characters: 4_000, utf8Bytes: 4_000, overheadTokens: 7 };
    expect(promptTokenBound({ ...query, provider: 'openai', model: 'gpt-4o' })).toBe(1_341);
    expect(promptTokenBound({ ...query, provider: 'anthropic', model: 'claude-3-5-haiku' })).toBe(1_607);
    expect(promptTokenBound({ ...query, provider: 'openai-compatible', model: 'llama' })).toBe(2_007);
  });
});
