import type { ModelCallRequest } from '../../llm/index.ts';

/**
 * The first model call as it was sent, for the execution drawer and "open in test panel": the
 * target, the rendered prompt and every parameter that shapes the answer. Headers, idempotency
 * keys and credentials are never part of it.
 */
export function renderedRequestOf(
  request: ModelCallRequest,
  targets: ReadonlyArray<{ provider: { kind: string }; model: string }>,
): Record<string, unknown> {
  const [primary] = targets;
  const rendered: Record<string, unknown> = {
    provider: primary?.provider.kind ?? null,
    model: primary?.model ?? null,
    system: request.system ?? null,
    messages: request.messages,
    temperature: request.temperature ?? null,
    maxOutputTokens: request.maxOutputTokens ?? null,
  };
  if (request.outputSchema) {
    rendered.outputSchema = request.outputSchema;
    rendered.outputName = request.outputName ?? null;
  }
  if (request.jsonMode) rendered.jsonMode = true;
  if (request.seed !== undefined) rendered.seed = request.seed;
  if (request.tools && request.tools.length > 0) {
    rendered.tools = request.tools.map((tool) => ({
      name: tool.name,
      description: tool.description,
      parameters: tool.parameters,
    }));
  }
  return rendered;
}
