import { FlightdeckError, notFoundError } from '../../core/errors.ts';
import type { JsonSchema, ProviderKind } from '../../llm/index.ts';
import type { AgentRow, AgentVersionRow, Repositories } from '../../store/repositories/index.ts';
import { type AgentDefinition, readDefinition } from '../agents/agent-definition.ts';
import {
  type AgentVersionSelector,
  findAgentVersion,
  labelPattern,
} from '../agents/agent-version-selector.ts';
import type { ExecuteRequest, ExecutionService, PreparedExecution } from '../executions/execution-service.ts';
import type { WorkspaceAccess } from '../identity/principal.ts';
import { invalidParam, messagesToInput, type OpenAiChatMessage } from './messages-to-input.ts';
import { modelIdOf, parseModelId } from './parse-model-id.ts';

/** An agent as `GET /v1/models` lists it. */
export interface OpenAiModel {
  id: string;
  object: 'model';
  /** Epoch seconds. */
  created: number;
  owned_by: string;
  name: string;
  description: string;
  /** The version this model runs: the current one, or the one `agent/<slug>@<n>` pins. */
  version: number;
}

export type OpenAiResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; schema?: JsonSchema } };

/** The parts of a chat completion request that change what runs. */
export interface ChatCompletionRequest {
  model: string;
  messages: readonly OpenAiChatMessage[];
  temperature?: number | null;
  /** `max_completion_tokens`, else `max_tokens`, with the name the caller used (for errors). */
  maxTokens?: { value: number; param: string } | null;
  responseFormat?: OpenAiResponseFormat | null;
}

export interface PreparedCompletion {
  prepared: PreparedExecution;
  /** True when the answer is the agent's validated JSON output: stream it only once it is complete. */
  structured: boolean;
}

/** OpenAI's own temperature range; Anthropic's models take 0 to 1. */
const temperatureCeiling = (provider: ProviderKind) => (provider === 'anthropic' ? 1 : 2);
const pageSize = 200;

export const modelNotFound = (model: string) =>
  notFoundError(
    'model_not_found',
    `The model "${model}" does not exist in this workspace. Use agent/<slug> (optionally agent/<slug>@<version>); GET /v1/models lists them.`,
    { param: 'model' },
  );

/**
 * The OpenAI-compatible face of agents: each agent of the token's workspace is a model
 * `agent/<slug>`, and a chat completion is one execution of it (trigger `openai-compat`).
 */
export function createOpenAiCompatibleService(dependencies: {
  repositories: Repositories;
  executions: () => ExecutionService;
}) {
  const { repositories } = dependencies;

  /** `pinned`: the version was named, so the id says which one. */
  const toModel = (agent: AgentRow, version: AgentVersionRow, pinned: boolean): OpenAiModel => {
    const definition = readDefinition(version.definition);
    return {
      id: pinned ? `${modelIdOf(agent.slug)}@${version.number}` : modelIdOf(agent.slug),
      object: 'model',
      created: Math.floor(agent.createdAt.getTime() / 1000),
      owned_by: 'flightdeck',
      name: definition.name,
      description: definition.description,
      // Unpinned, the model runs the published version, whichever version the row was read with.
      version: pinned ? version.number : (agent.publishedVersion ?? version.number),
    };
  };

  /** `agent/<slug>` runs the published version; `@<number>`, `@<label>` or `@<version id>` pins one. */
  async function resolveModel(
    workspaceId: string,
    model: string,
  ): Promise<{ agent: AgentRow; version: AgentVersionRow }> {
    const reference = parseModelId(model);
    if (!reference) throw modelNotFound(model);
    const { version } = reference;
    const selector: AgentVersionSelector =
      version.kind === 'current'
        ? { kind: 'published' }
        : version.kind === 'number'
          ? { kind: 'number', number: version.number }
          : // Version ids are UUIDv7s, which start with a digit for centuries; labels start with a letter.
            labelPattern.test(version.id)
            ? { kind: 'label', label: version.id }
            : { kind: 'id', id: version.id };
    try {
      const found = await findAgentVersion(repositories, workspaceId, reference.slug, selector);
      // Agents are found by id or slug; a model names them by slug only.
      if (found.agent.slug !== reference.slug) throw modelNotFound(model);
      return found;
    } catch (error) {
      if (FlightdeckError.isInstance(error) && error.code === 'agent_not_published') throw error;
      throw modelNotFound(model);
    }
  }

  return {
    /** Every live agent of the workspace, newest first. */
    async listModels(access: WorkspaceAccess): Promise<OpenAiModel[]> {
      const models: OpenAiModel[] = [];
      let after: { createdAt: Date; id: string } | undefined;
      for (;;) {
        const rows = await repositories.agents.list(access.workspaceId, { limit: pageSize, after });
        for (const row of rows) models.push(toModel(row.agent, row.version, false));
        const last = rows.at(-1);
        if (rows.length < pageSize || !last) return models;
        after = { createdAt: last.agent.createdAt, id: last.agent.id };
      }
    },

    async getModel(access: WorkspaceAccess, model: string): Promise<OpenAiModel> {
      const { agent, version } = await resolveModel(access.workspaceId, model);
      return toModel(agent, version, parseModelId(model)?.version.kind !== 'current');
    },

    /**
     * Maps the request onto the agent version it names and records the execution as running;
     * the caller runs it. Budgets are reserved here (402), like any execution.
     */
    async prepareCompletion(
      access: WorkspaceAccess,
      request: ChatCompletionRequest,
    ): Promise<PreparedCompletion> {
      const { agent, version } = await resolveModel(access.workspaceId, request.model);
      const definition = readDefinition(version.definition);
      const conversation = messagesToInput(request.messages, definition);
      const execute: ExecuteRequest = {
        input: conversation.input,
        history: conversation.history,
        mode: 'live',
        // Pinned: the input was mapped against this version, so a newer one must not run it.
        versionId: version.id,
      };
      if (request.temperature !== undefined && request.temperature !== null) {
        execute.temperature = checkTemperature(request.temperature, definition);
      }
      if (request.maxTokens) execute.maxTokens = checkMaxTokens(request.maxTokens, definition);
      const responseFormat = readResponseFormat(request.responseFormat, definition);
      if (responseFormat) execute.responseFormat = responseFormat;
      const prepared = await dependencies
        .executions()
        .prepare(access, agent.id, execute, { trigger: 'openai-compat' })
        .catch((error: unknown) => {
          throw withParam(error);
        });
      return { prepared, structured: definition.outputSchema !== null };
    },
  };
}

export type OpenAiCompatibleService = ReturnType<typeof createOpenAiCompatibleService>;

function checkTemperature(temperature: number, definition: AgentDefinition): number {
  const providers = [definition.provider, ...definition.fallbacks.map((fallback) => fallback.provider)];
  const ceiling = Math.min(...providers.map(temperatureCeiling));
  if (temperature < 0 || temperature > ceiling) {
    throw invalidParam(
      'temperature_out_of_range',
      `temperature must be between 0 and ${ceiling} for this agent (its models: ${[...new Set(providers)].join(', ')}).`,
      'temperature',
    );
  }
  return temperature;
}

function checkMaxTokens(maxTokens: { value: number; param: string }, definition: AgentDefinition): number {
  if (definition.maxTokens !== null && maxTokens.value > definition.maxTokens) {
    throw invalidParam(
      'max_tokens_too_large',
      `${maxTokens.param} is ${maxTokens.value}; this agent allows at most ${definition.maxTokens} output tokens.`,
      maxTokens.param,
    );
  }
  return maxTokens.value;
}

/**
 * `response_format` reaches the provider only for agents without an output schema: those with one
 * already answer JSON valid against it, so `json_object` changes nothing and `json_schema` is refused
 * rather than silently answered in another shape.
 */
function readResponseFormat(
  format: OpenAiResponseFormat | null | undefined,
  definition: AgentDefinition,
): ExecuteRequest['responseFormat'] {
  if (!format || format.type === 'text') return undefined;
  if (definition.outputSchema) {
    if (format.type === 'json_object') return undefined;
    throw invalidParam(
      'response_format_conflict',
      "This agent has its own output schema and answers JSON valid against it; remove response_format.json_schema (GET the agent's outputSchema to see the shape).",
      'response_format',
    );
  }
  if (format.type === 'json_object') return { type: 'json' };
  return { type: 'json', schema: format.json_schema.schema ?? {}, name: format.json_schema.name };
}

/** Input problems found while preparing point at the message that carried the input. */
function withParam(error: unknown): unknown {
  if (!FlightdeckError.isInstance(error)) return error;
  if (error.code === 'input_invalid' || error.code === 'template_variable_missing') {
    return new FlightdeckError({
      code: error.code,
      kind: error.kind,
      message: error.message,
      details: { ...(error.details as Record<string, unknown> | null), param: 'messages' },
    });
  }
  if (error.code === 'agent_not_found' || error.code === 'agent_version_not_found') {
    return new FlightdeckError({
      code: 'model_not_found',
      kind: 'not_found',
      message: error.message,
      details: { param: 'model' },
    });
  }
  return error;
}
