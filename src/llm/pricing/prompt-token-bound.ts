import type { ProviderKind } from '../language-model-provider.ts';

/**
 * Which tokenizer a model counts with, as far as the prompt-token estimate can tell. Prompts are
 * counted with o200k (`o200k-token-count.ts`); other families count the same text differently.
 */
export type TokenizerFamily = 'o200k' | 'cl100k' | 'claude' | 'unknown';

/**
 * How many times the o200k count a provider can report for the same prompt, so a reservation holds
 * enough. Even o200k models report more than the text's own count (chat framing, names, output
 * format instructions, tool schemas): 25 %. cl100k (GPT-4, GPT-3.5) splits non-English text and
 * code into more tokens still. Anthropic's tokenizer is not published; Claude models report up to
 * about 30–40 % more than o200k on prose and code, so 60 %. Elsewhere (Llama, Mistral, Qwen behind
 * an OpenAI-compatible endpoint, models we cannot place) a safety factor of 2. Where a model still
 * reports more, its calibration raises later estimates (execution-budget.ts).
 */
export const tokenizerFactors: Readonly<Record<TokenizerFamily, number>> = {
  o200k: 1.25,
  cl100k: 1.4,
  claude: 1.6,
  unknown: 2,
};

/**
 * A floor under the count in characters per token: o200k merges repeated or common words into
 * whole-word tokens (8 characters and more a token), which a provider counting by another tokenizer
 * or its own rule (4 characters a token is the usual one) does not. No family averages fewer
 * characters per token than this on text outside dense scripts, where the o200k count is the
 * larger bound anyway.
 */
export const charactersPerTokenFloor: Readonly<Record<TokenizerFamily, number>> = {
  o200k: 3,
  cl100k: 3,
  claude: 2.5,
  unknown: 2,
};

/** The tokenizer family of a model, from its provider and name. */
export function tokenizerFamily(provider: ProviderKind | string, model: string): TokenizerFamily {
  const name = model.toLowerCase().replace(/^.*\//, '');
  if (/^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|chatgpt-4o|o1|o3|o4|gpt-oss)/.test(name)) return 'o200k';
  if (/^(gpt-4|gpt-3\.5)/.test(name)) return 'cl100k';
  if (provider === 'anthropic' || name.startsWith('claude')) return 'claude';
  return 'unknown';
}

/**
 * An upper bound of a prompt's tokens in the model's own tokenizer: the larger of the o200k count
 * times the family's factor and the characters over the family's floor, plus the chat overhead,
 * never above the prompt's UTF-8 bytes plus that overhead (a byte-level BPE never makes more
 * tokens than bytes, so the cap only removes slack).
 */
export function promptTokenBound(query: {
  provider: ProviderKind | string;
  model: string;
  /** o200k tokens, chat overhead included. */
  countedTokens: number;
  characters: number;
  utf8Bytes: number;
  overheadTokens: number;
}): number {
  const family = tokenizerFamily(query.provider, query.model);
  const scaled = Math.ceil(query.countedTokens * tokenizerFactors[family]);
  const byCharacters = Math.ceil(query.characters / charactersPerTokenFloor[family]) + query.overheadTokens;
  return Math.max(
    query.countedTokens,
    Math.min(Math.max(scaled, byCharacters), query.utf8Bytes + query.overheadTokens),
  );
}
