import { LRUCache } from 'lru-cache';
import type { ChatMessage } from '../language-model-provider.ts';
import { countO200kTokens } from './o200k-token-count.ts';

/** Tokens the chat format adds around each message (role markers), per OpenAI's cookbook. */
const perMessageOverhead = 4;
const replyPrimer = 3;

/**
 * Text is counted in slices of at most this many characters, cut at whitespace where one is near: a
 * run without spaces is one piece for the merge, whose time and scratch tables grow faster than the
 * piece (see o200k-token-count.ts), and short slices let `prepareTokenCounts` give the event loop a
 * turn. Linear in the length, and never fewer tokens than counting it whole (a cut can only split a
 * token, not merge two).
 */
const sliceCharacters = 2_000;

/**
 * The last long texts counted, with their counts: one execution counts its prompt for the estimate
 * and again for the answer's usage (the mock's, or a stream's), and at ~0.4 s per 900,000
 * characters on the event loop, the second count is worth keeping. Short texts are not kept.
 */
const recentLongCounts: Array<{ text: string; tokens: number }> = [];
const longText = 20_000;

/**
 * Counts of texts that come back on every call of an agent version (its system prompt, a
 * template's fixed part): tokenizing them again costs more than the lookup. Short texts only.
 */
const repeatedCounts = new LRUCache<string, number>({ max: 2_000 });
const memoisedUpTo = 16_000;

/** Tokens of a text that recurs (a system prompt): memoised, otherwise as `countTokensLinear`. */
export function countRepeatedTokens(text: string): number {
  if (text.length > memoisedUpTo) return countTokensLinear(text);
  const cached = repeatedCounts.get(text);
  if (cached !== undefined) return cached;
  const count = countTokensLinear(text);
  repeatedCounts.set(text, count);
  return count;
}

/** Tokens of any length of text, in time linear in its length. */
export function countTokensLinear(text: string): number {
  if (text.length <= sliceCharacters) return text === '' ? 0 : countO200kTokens(text);
  const recent = recentLongCounts.find((entry) => entry.text === text);
  if (recent) return recent.tokens;
  let tokens = 0;
  for (const slice of slicesOf(text)) tokens += countO200kTokens(slice);
  remember(text, tokens);
  return tokens;
}

function remember(text: string, tokens: number): void {
  if (text.length < longText) return;
  recentLongCounts.unshift({ text, tokens });
  recentLongCounts.length = Math.min(recentLongCounts.length, 8);
}

/** Slices of at most `sliceCharacters`, cut at whitespace where one is near. */
function* slicesOf(text: string): Generator<string> {
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + sliceCharacters);
    if (end < text.length) {
      const space = text.lastIndexOf(' ', end);
      if (space > start + sliceCharacters / 2) end = space;
    }
    yield text.slice(start, end);
    start = end;
  }
}

/** Slices counted between turns of the event loop: about 50,000 characters, some 20 ms. */
const slicesPerTurn = 25;

/**
 * Counts the long texts of a prompt ahead of the synchronous estimate, giving the event loop a turn
 * every `slicesPerTurn` slices, and keeps the counts for `countTokensLinear`: a 900,000-character
 * input then holds the loop for ~20 ms at a time instead of ~0.4 s at once. Same counts, same slices.
 */
export async function prepareTokenCounts(texts: ReadonlyArray<string | undefined>): Promise<void> {
  for (const text of texts) {
    if (text === undefined || text.length < longText) continue;
    if (recentLongCounts.some((entry) => entry.text === text)) continue;
    let tokens = 0;
    let counted = 0;
    for (const slice of slicesOf(text)) {
      tokens += countO200kTokens(slice);
      if (++counted % slicesPerTurn === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    remember(text, tokens);
  }
}

/**
 * Counts prompt tokens with the o200k tokenizer (GPT-4o and later). For other model families it is an
 * approximation within a few percent, which is what a budget reservation needs.
 */
export function countPromptTokens(prompt: { system?: string; messages: ChatMessage[] }): number {
  let total = replyPrimer;
  if (prompt.system) total += countRepeatedTokens(prompt.system) + perMessageOverhead;
  for (const message of prompt.messages) total += countTokensLinear(message.content) + perMessageOverhead;
  return total;
}

/** Tokens in an answer text. */
export function countTextTokens(text: string): number {
  return countTokensLinear(text);
}
