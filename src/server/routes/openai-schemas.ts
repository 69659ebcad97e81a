import { z } from 'zod';

/**
 * OpenAI's wire shapes, as far as Flightdeck reads or writes them. Requests are loose objects:
 * parameters this endpoint does not use (top_p, seed, user, metadata, …) are accepted and ignored,
 * as OpenAI-compatible servers do, so existing clients work unchanged.
 */

const messageSchema = z.looseObject({
  role: z.string().min(1).max(32),
  content: z.unknown().optional(),
  name: z.string().max(256).optional(),
  tool_calls: z.unknown().optional(),
  function_call: z.unknown().optional(),
});

const responseFormatSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    json_schema: z.looseObject({
      name: z.string().min(1).max(64),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

export const chatCompletionBody = z.looseObject({
  model: z.string().min(1).max(200),
  messages: z.array(messageSchema).min(1).max(1_000),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  n: z.number().int().nullish(),
  temperature: z.number().nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  response_format: responseFormatSchema.nullish(),
  tools: z.array(z.unknown()).nullish(),
  functions: z.array(z.unknown()).nullish(),
});

export type ChatCompletionBody = z.infer<typeof chatCompletionBody>;

export const openAiErrorSchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.string(),
    param: z.string().nullable(),
    code: z.string().nullable(),
    execution_id: z.string().optional(),
  }),
});

export const openAiErrorResponses = {
  400: openAiErrorSchema,
  401: openAiErrorSchema,
  403: openAiErrorSchema,
  404: openAiErrorSchema,
  429: openAiErrorSchema,
};

export const usageSchema = z.object({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
});

export const chatCompletionSchema = z.object({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  system_fingerprint: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      message: z.object({
        role: z.literal('assistant'),
        content: z.string(),
        refusal: z.null(),
      }),
      logprobs: z.null(),
      finish_reason: z.literal('stop'),
    }),
  ),
  usage: usageSchema,
});

export const modelSchema = z.object({
  id: z.string(),
  object: z.literal('model'),
  created: z.number().int(),
  owned_by: z.string(),
  name: z.string(),
  description: z.string(),
  version: z.number().int(),
});

export const modelListSchema = z.object({ object: z.literal('list'), data: z.array(modelSchema) });
