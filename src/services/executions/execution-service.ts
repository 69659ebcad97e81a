import { LRUCache } from 'lru-cache';
import type { Clock } from '../../core/clock.ts';
import { decodeCursor, encodeCursor } from '../../core/cursor.ts';
import { invalidError, notFoundError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import { describeProblems } from '../../core/json-schema.ts';
import { renderTemplate } from '../../core/template.ts';
import {
  createExchangeRecorder,
  createMockProvider,
  createModelCaller,
  createProvider,
  createRecordingProvider,
  createReplayCursor,
  defaultEstimateOutputTokens,
  type ExchangeRecorder,
  type JsonSchema,
  type MockProviderSettings,
  type ModelCaller,
  type ModelCallRequest,
  type ModelTarget,
  type PriceOverride,
  prepareTokenCounts,
  type ReplayCursor,
} from '../../llm/index.ts';
import type { AllowedHosts, HostLookup } from '../../security/ssrf-guard.ts';
import type { AgentVersionRow, Repositories } from '../../store/repositories/index.ts';
import { findAgentVersion, selectorOf } from '../agents/agent-version-selector.ts';
import type { WorkspaceAccess } from '../identity/principal.ts';
import type { KeyedProviderKind, ProviderCredentialResolver } from '../provider-keys/provider-credentials.ts';
import type { ToolResolvers } from '../tools/tool.ts';
import { claimIdempotencyKey } from './claim-idempotency-key.ts';
import { compareExecutions, type ExecutionComparison } from './compare-executions.ts';
import { createCompiledVersionCache } from './compiled-version-cache.ts';
import type { ExecuteOptions, ExecuteRequest } from './execute-request.ts';
import {
  createPromptTokenCalibration,
  type ExecutionBudget,
  estimateExecutionCost,
  unlimitedBudget,
} from './execution-budget.ts';
import {
  createReplayModelCaller,
  type LoadedReplay,
  loadReplayOf,
  recordingDisabled,
  replayTargets,
} from './execution-recording.ts';
import { buildExecutionStats, type ExecutionStats, type StatsQuery } from './execution-stats.ts';
import { planToolLoop } from './execution-tools.ts';
import {
  type ExecutionMode,
  type ExecutionStatus,
  type ExecutionView,
  toExecutionView,
} from './execution-view.ts';
import type { PreparedExecution } from './prepared-execution.ts';
import { reserveBudget } from './reserve-budget.ts';
import { type StartRunDependencies, startRun } from './start-run.ts';

// The request and outcome types live in their own modules (the run step and the calls below it
// need them without importing this service); callers keep finding them here.
export { idempotencyWindowMs } from './claim-idempotency-key.ts';
export type { ExecuteOptions, ExecuteRequest } from './execute-request.ts';
export type { PreparedExecution } from './prepared-execution.ts';
export type { RunHandlers } from './run-handlers.ts';

export interface ExecutionListQuery {
  limit: number;
  cursor?: string;
  agentId?: string;
  agentVersionId?: string;
  status?: ExecutionStatus;
  mode?: string;
  trigger?: string;
  from?: Date;
  to?: Date;
  errorText?: string;
}

export interface ExecutionServiceDependencies {
  repositories: Repositories;
  clock: Clock;
  credentials: ProviderCredentialResolver;
  allowedProviderHosts?: AllowedHosts;
  providerLookup?: HostLookup;
  providerFetch?: typeof globalThis.fetch;
  modelCaller?: ModelCaller;
  mockProvider?: MockProviderSettings;
  /** Identifies this process in the records it writes. */
  nodeId?: string;
  /** Spending limits: live runs reserve before calling and settle after. */
  budget?: ExecutionBudget;
  /** The workspace's price overrides (cached by the caller); none when absent. */
  priceOverridesOf?: (workspaceId: string) => Promise<readonly PriceOverride[]>;
  /** The workspace's `recordExecutions` setting (cached by the caller); off when absent. */
  recordsExecutionsOf?: (workspaceId: string) => Promise<boolean>;
  /** The workspace's `storeExecutionContent` setting: false keeps no rendered request and no raw output. */
  storesContentOf?: (workspaceId: string) => Promise<boolean>;
  /** Answers replays; backoff does not wait and breakers never open (execution-recording.ts). */
  replayModelCaller?: ModelCaller;
  /** Turns an agent's tool entries into callable tools, by kind (http, agent, mcp). */
  toolResolvers?: ToolResolvers;
}

/** Executions: validate, record `running`, call the provider layer, validate the output, finish the record. */
export function createExecutionService(dependencies: ExecutionServiceDependencies) {
  const { repositories, clock, credentials } = dependencies;
  const caller = dependencies.modelCaller ?? createModelCaller();
  const replayCaller = dependencies.replayModelCaller ?? createReplayModelCaller();
  const recordsExecutionsOf = dependencies.recordsExecutionsOf ?? (async () => false);
  const storesContentOf = dependencies.storesContentOf ?? (async () => true);
  /** Whether this live execution records; asking for it where content is not kept is a 409. */
  const recordingAllowed = async (workspaceId: string, asked: boolean | undefined, always: boolean) => {
    if (asked !== true && !always) return false;
    if (await storesContentOf(workspaceId)) return true;
    if (asked === true) throw recordingDisabled();
    return false;
  };
  const mockProvider = createMockProvider(dependencies.mockProvider);
  const nodeId = dependencies.nodeId ?? newId();
  const compiledVersions = createCompiledVersionCache();
  // Models that reported more prompt tokens than their bound raise their own later estimates.
  const promptTokens = createPromptTokenCalibration();
  const budget = dependencies.budget ?? unlimitedBudget;
  const priceOverridesOf = dependencies.priceOverridesOf ?? (async () => []);
  const runDependencies: StartRunDependencies = {
    repositories,
    clock,
    nodeId,
    budget,
    caller,
    replayCaller,
    promptTokens,
    storesContentOf,
  };
  /**
   * Provider adapters by credentials: building one (SDK client, guarded fetch) per execution costs
   * more than the call's own bookkeeping. A rotated key or moved base URL makes a new entry.
   */
  const providers = new LRUCache<string, ReturnType<typeof createProvider>>({ max: 500 });
  const providerFor = (key: { provider: KeyedProviderKind; apiKey: string; baseUrl: string | null }) => {
    const cacheKey = `${key.provider}\n${key.baseUrl ?? ''}\n${key.apiKey}`;
    let provider = providers.get(cacheKey);
    if (!provider) {
      provider = createProvider({
        kind: key.provider,
        apiKey: key.apiKey,
        baseUrl: key.baseUrl ?? undefined,
        allowedHosts: dependencies.allowedProviderHosts,
        lookup: dependencies.providerLookup,
        fetch: dependencies.providerFetch,
      });
      providers.set(cacheKey, provider);
    }
    return provider;
  };

  async function liveTargets(
    workspaceId: string,
    specs: Array<{ provider: string; model: string; providerKeyId: string | null }>,
    recorder: ExchangeRecorder | null = null,
  ): Promise<Array<ModelTarget & { baseUrl: string | undefined; providerKeyId: string | null }>> {
    return Promise.all(
      specs.map(async (spec) => {
        if (spec.provider === 'mock') {
          // Recorded too: a replayed run's mock-backed steps answer from the recording like the rest.
          const provider = recorder ? createRecordingProvider(mockProvider, recorder) : mockProvider;
          return { provider, model: spec.model, baseUrl: undefined, providerKeyId: null };
        }
        const key = await credentials.resolve(workspaceId, {
          provider: spec.provider as KeyedProviderKind,
          providerKeyId: spec.providerKeyId,
        });
        recorder?.addSecrets([key.apiKey]);
        const provider = recorder ? createRecordingProvider(providerFor(key), recorder) : providerFor(key);
        return {
          provider,
          model: spec.model,
          baseUrl: key.baseUrl ?? undefined,
          providerKeyId: key.providerKeyId,
        };
      }),
    );
  }

  /** The agent with the version the request names (the published one when it names none). */
  const loadAgent = (workspaceId: string, agentReference: string, request: ExecuteRequest) =>
    findAgentVersion(repositories, workspaceId, agentReference, selectorOf(request));

  /** Validates the input and builds the provider call: what both a run and an estimate need. */
  async function planCall(
    workspaceId: string,
    version: AgentVersionRow,
    input: unknown,
    mode: ExecutionMode,
    extras: Pick<
      ExecuteRequest,
      'history' | 'promptAddition' | 'temperature' | 'maxTokens' | 'responseFormat' | 'context'
    > = {},
    recording: { recorder?: ExchangeRecorder | null; cursor?: ReplayCursor } = {},
  ) {
    const compiled = compiledVersions.get(version);
    const definition = compiled.definition;
    const problems = compiled.input?.validate(input) ?? [];
    if (problems.length > 0) {
      throw invalidError(
        'input_invalid',
        `The input does not match the agent's input schema: ${describeProblems(problems)}.`,
        {
          problems,
        },
      );
    }
    const rendered = renderTemplate(compiled.template, input, undefined, extras.context);
    const prompt = extras.promptAddition ? `${rendered}\n\n${extras.promptAddition}` : rendered;

    const specs = [
      { provider: definition.provider, model: definition.model, providerKeyId: definition.providerKeyId },
      ...definition.fallbacks,
    ];
    const targets =
      mode === 'mock'
        ? [{ provider: mockProvider, model: definition.model, baseUrl: undefined, providerKeyId: null }]
        : mode === 'replay'
          ? replayTargets(specs, recording.cursor ?? createReplayCursor([]))
          : await liveTargets(workspaceId, specs, recording.recorder);

    const callRequest: ModelCallRequest = {
      workspaceId,
      targets,
      system: definition.systemPrompt || undefined,
      messages: [...(extras.history ?? []), { role: 'user', content: prompt }],
      temperature: extras.temperature ?? definition.temperature ?? undefined,
      // Always the bound the reservation assumed: a provider's own default could answer longer.
      maxOutputTokens: extras.maxTokens ?? definition.maxTokens ?? defaultEstimateOutputTokens,
      ...outputRequest(definition.outputSchema, extras.responseFormat),
      retry: definition.retry,
      deadlineMs: definition.timeoutMs,
      attemptTimeoutMs: Math.min(60_000, definition.timeoutMs),
    };
    return { compiled, definition, targets, callRequest };
  }

  /** The provider call and tool loop of one run, with its recorder: all that a run needs besides its record. */
  async function planRun(
    access: WorkspaceAccess,
    agentId: string,
    version: AgentVersionRow,
    request: ExecuteRequest,
    options: ExecuteOptions,
    input: unknown,
    replay: LoadedReplay | null,
  ) {
    const { workspaceId } = access;
    // A recorded live run keeps every exchange its targets make — prompts and answers, so never in
    // a workspace that keeps no execution content.
    const recorder =
      request.mode === 'live' &&
      (await recordingAllowed(workspaceId, request.record, await recordsExecutionsOf(workspaceId)))
        ? createExchangeRecorder()
        : null;
    const { compiled, targets, callRequest } = await planCall(
      workspaceId,
      version,
      input,
      request.mode,
      request,
      { recorder, cursor: replay?.cursor },
    );
    // The key reaches the provider too, so one that dedupes requests (OpenAI accepts the header)
    // can answer a repeated call from its own record.
    if (options.idempotencyKey !== undefined) {
      callRequest.headers = { ...callRequest.headers, 'Idempotency-Key': options.idempotencyKey };
    }
    const loop = await planToolLoop({
      repositories,
      resolvers: dependencies.toolResolvers ?? {},
      access,
      agentId,
      definition: compiled.definition,
      mode: request.mode,
      trigger: options.trigger,
      depth: options.toolDepth ?? 0,
      resume: request.resume,
    });
    // A continued loop's first call sends the stored conversation: that is what is estimated.
    if (loop?.resume) callRequest.messages = loop.resume.state.messages;
    // Long prompts are tokenized in slices between event-loop turns, so the estimate below finds
    // their counts made instead of holding the loop for the whole text.
    await prepareTokenCounts([callRequest.system, ...callRequest.messages.map((message) => message.content)]);
    return { recorder, compiled, targets, callRequest, loop };
  }

  return {
    nodeId,

    /** The most a live run with this input could cost (what it would reserve); nothing is recorded. */
    async estimateFor(
      access: WorkspaceAccess,
      agentReference: string,
      request: ExecuteRequest,
    ): Promise<{ estimate: number; priced: boolean }> {
      const { version } = await loadAgent(access.workspaceId, agentReference, request);
      const input = request.input === undefined ? {} : request.input;
      const { compiled, targets, callRequest } = await planCall(
        access.workspaceId,
        version,
        input,
        request.mode,
        request,
      );
      if (request.mode !== 'live') return { estimate: 0, priced: true };
      const overrides = await priceOverridesOf(access.workspaceId);
      const estimate = estimateExecutionCost(
        targets,
        callRequest,
        compiled.output !== null,
        overrides,
        promptTokens,
      );
      return { estimate: estimate.maxCostUsd, priced: estimate.priced };
    },

    async prepare(
      access: WorkspaceAccess,
      agentReference: string,
      request: ExecuteRequest,
      options: ExecuteOptions,
    ): Promise<PreparedExecution> {
      const { workspaceId } = access;
      const { agent, version } = await loadAgent(workspaceId, agentReference, request);
      // A replay answers from a recording (404 recording_not_found before anything is written);
      // without an input it replays the recorded one.
      const replay = await loadReplayOf(repositories, workspaceId, agent.id, request);
      const input = request.input === undefined ? (replay?.input ?? {}) : request.input;
      const { requestHash, replay: answered } = await claimIdempotencyKey({
        repositories,
        clock,
        workspaceId,
        agentId: agent.id,
        request,
        input,
        idempotencyKey: options.idempotencyKey,
      });
      if (answered) return { kind: 'replay', execution: answered };

      const { recorder, compiled, targets, callRequest, loop } = await planRun(
        access,
        agent.id,
        version,
        request,
        options,
        input,
        replay,
      );
      const now = clock.now();
      const executionId = newId(now.getTime());
      const hold = await reserveBudget({
        budget,
        priceOverridesOf,
        promptTokens,
        workspaceId,
        agentId: agent.id,
        executionId,
        mode: request.mode,
        compiled,
        targets,
        callRequest,
      });
      return startRun(runDependencies, {
        access,
        agentId: agent.id,
        version,
        mode: request.mode,
        options,
        input,
        requestHash,
        replay,
        recorder,
        compiled,
        targets,
        callRequest,
        loop,
        executionId,
        now,
        hold,
      });
    },

    async get(access: WorkspaceAccess, executionId: string): Promise<ExecutionView> {
      const row = await repositories.executions.findById(access.workspaceId, executionId);
      if (!row) throw notFoundError('execution_not_found', 'No execution with this id in this workspace.');
      return toExecutionView(row);
    },

    async list(
      access: WorkspaceAccess,
      query: ExecutionListQuery,
    ): Promise<{ items: ExecutionView[]; nextCursor: string | null }> {
      let agentId = query.agentId;
      if (agentId !== undefined) {
        // The filter takes an id or a slug; a deleted agent's id still finds its history.
        const found = await repositories.agents.find(access.workspaceId, agentId);
        agentId = found?.agent.id ?? agentId;
      }
      const rows = await repositories.executions.list(
        access.workspaceId,
        { ...query, agentId },
        { limit: query.limit + 1, after: query.cursor ? decodeCursor(query.cursor) : undefined },
      );
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        items: page.map(toExecutionView),
        nextCursor: rows.length > query.limit && last ? encodeCursor(last.createdAt, last.id) : null,
      };
    },

    async stats(access: WorkspaceAccess, query: StatsQuery): Promise<ExecutionStats> {
      let agentId = query.agentId;
      if (agentId !== undefined) {
        const found = await repositories.agents.find(access.workspaceId, agentId);
        agentId = found?.agent.id ?? agentId;
      }
      const rows = await repositories.executions.stats(access.workspaceId, { ...query, agentId });
      const labels = await repositories.agents.findLabels(
        access.workspaceId,
        rows.byAgent.map((row) => row.agentId),
      );
      return buildExecutionStats({ ...query, agentId }, rows, labels);
    },

    async compare(access: WorkspaceAccess, firstId: string, secondId: string): Promise<ExecutionComparison> {
      const [first, second] = await Promise.all([
        repositories.executions.findById(access.workspaceId, firstId),
        repositories.executions.findById(access.workspaceId, secondId),
      ]);
      if (!first || !second) {
        throw notFoundError('execution_not_found', 'No execution with this id in this workspace.', {
          missing: [first ? null : firstId, second ? null : secondId].filter(Boolean),
        });
      }
      const [firstVersion, secondVersion] = await Promise.all([
        repositories.agents.findVersion(access.workspaceId, first.agentVersionId),
        repositories.agents.findVersion(access.workspaceId, second.agentVersionId),
      ]);
      return compareExecutions(
        { execution: toExecutionView(first), version: firstVersion },
        { execution: toExecutionView(second), version: secondVersion },
      );
    },
  };
}

export type ExecutionService = ReturnType<typeof createExecutionService>;

/** What the provider is asked to answer in: the agent's output schema, else the caller's JSON request. */
function outputRequest(
  agentSchema: JsonSchema | null,
  requested: ExecuteRequest['responseFormat'],
): Pick<ModelCallRequest, 'outputSchema' | 'outputName' | 'jsonMode'> {
  if (agentSchema) return { outputSchema: agentSchema, outputName: 'output' };
  if (!requested) return {};
  if (requested.schema) return { outputSchema: requested.schema, outputName: requested.name };
  return { jsonMode: true };
}
