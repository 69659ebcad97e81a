import { countTokens } from 'gpt-tokenizer';
import type { ChatMessage } from '../language-model-provider.ts';

/** Tokens the chat format adds around each message (role markers), per OpenAI's cookbook. */
const perMessageOverhead = 4;
const replyPrimer = 3;

/**
 * Counts prompt tokens with the o200k tokenizer (GPT-4o and later). For other model families it is an
 * approximation within a few percent, which is what a budget reservation needs.
 */
export function countPromptTokens(prompt: { system?: string; messages: ChatMessage[] }): number {
  let total = replyPrimer;
  if (prompt.system) total += countTokens(prompt.system) + perMessageOverhead;
  for (const message of prompt.messages) total += countTokens(message.content) + perMessageOverhead;
  return total;
}

/** Tokens in an answer text. */
export function countTextTokens(text: string): number {
  return text === '' ? 0 : countTokens(text);
}
