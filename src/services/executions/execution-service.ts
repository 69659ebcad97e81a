import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { FlightdeckError, invalidError, notFoundError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import { describeProblems } from '../../core/json-schema.ts';
import { stableStringify } from '../../core/stable-stringify.ts';
import { renderTemplate } from '../../core/template.ts';
import {
  type ChatMessage,
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
import type { AgentVersionRow, ExecutionRow, Repositories } from '../../store/repositories/index.ts';
import { findAgentVersion, selectorOf } from '../agents/agent-version-selector.ts';
import { decodeCursor, encodeCursor } from '../agents/cursor.ts';
import type { Clock } from '../identity/identity-clock.ts';
import type { WorkspaceAccess } from '../identity/principal.ts';
import type { KeyedProviderKind, ProviderCredentialResolver } from '../provider-keys/provider-credentials.ts';
import type { ToolResolvers } from '../tools/tool.ts';
import { compareExecutions, type ExecutionComparison } from './compare-executions.ts';
import { createCompiledVersionCache } from './compiled-version-cache.ts';
import {
  createPromptTokenCalibration,
  type ExecutionBudget,
  estimateExecutionCost,
  partialStreamCost,
  type Reservation,
  unlimitedBudget,
} from './execution-budget.ts';
import {
  createReplayModelCaller,
  loadReplayOf,
  type ReplayOf,
  recordingDisabled,
  replayTargets,
  saveRecording,
} from './execution-recording.ts';
import { buildExecutionStats, type ExecutionStats, type StatsQuery } from './execution-stats.ts';
import { createLoopBudget, planToolLoop, type ToolLoopResume } from './execution-tools.ts';
import {
  type ExecutionMode,
  type ExecutionTrigger,
  type ExecutionView,
  toExecutionView,
} from './execution-view.ts';
import { recordingTools, replayTools } from './record-tools.ts';
import { renderedRequestOf } from './rendered-request.ts';
import { runExecution } from './run-execution.ts';
import { runToolLoop, type ToolLoopEvent } from './run-tool-loop.ts';

export interface ExecuteRequest {
  input: unknown;
  mode: ExecutionMode;
  /** Which version runs: at most one of these; without any, the published version. */
  versionId?: string | null;
  version?: number | null;
  versionLabel?: string | null;
  /** Earlier turns of a conversation, sent before the rendered prompt (OpenAI-compatible callers). */
  history?: ChatMessage[];
  /** Text added after the rendered prompt, e.g. a reviewer's feedback on a previous answer. */
  promptAddition?: string;
  /** Context documents by name, for `{{ context.<name> }}` in the prompt template (workflow runs). */
  context?: Readonly<Record<string, string>>;
  /** Per-call overrides within what the agent allows (the caller checks the bounds). */
  temperature?: number;
  maxTokens?: number;
  /**
   * Asks the provider for JSON when the agent has no output schema (OpenAI's `response_format`):
   * with a schema as structured output, without one as JSON mode. The answer is kept as text and
   * not validated; an agent's own output schema always wins.
   */
  responseFormat?: { type: 'json'; schema?: JsonSchema; name?: string };
  /** Live runs: store every provider exchange for replay (the workspace's `recordExecutions` does it for all). */
  record?: boolean;
  /** Mode `replay`: the recording that answers the provider calls (execution-recording.ts). */
  replayOf?: ReplayOf;
  /** Continue the tool loop of an execution that stopped for an approval, with the decision. */
  resume?: ToolLoopResume;
}

export interface ExecuteOptions {
  trigger: ExecutionTrigger;
  idempotencyKey?: string;
  /** The workflow run and step this execution belongs to (trigger `workflow`). */
  workflowRunId?: string;
  workflowStepId?: string;
  /** The execution whose agent tool made this one. */
  parentExecutionId?: string;
  /** How deep in agent tools this execution is (0 when a caller started it). */
  toolDepth?: number;
}

export interface RunHandlers {
  /** Stream the answer: text deltas go to `onTextDelta` as they arrive. */
  stream: boolean;
  onTextDelta?: (text: string) => void;
  /** The tool loop's calls and results as they happen (streamed to the test panel). */
  onToolEvent?: (event: ToolLoopEvent) => void;
  /** Aborted when the client goes away: the provider call stops and the record ends `client_closed`. */
  abortSignal?: AbortSignal;
}

/** A validated execution, recorded as `running`, waiting to call the provider — or a replay. */
export type PreparedExecution =
  | { kind: 'replay'; execution: ExecutionView }
  | { kind: 'run'; execution: ExecutionView; run(handlers: RunHandlers): Promise<ExecutionView> };

export interface ExecutionListQuery {
  limit: number;
  cursor?: string;
  agentId?: string;
  agentVersionId?: string;
  status?: string;
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

/** How long an `Idempotency-Key` keeps answering with its first execution. */
export const idempotencyWindowMs = 24 * 60 * 60 * 1000;

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

  /** Replays the first execution of a key, or refuses: another request, or one still running. */
  function judgeIdempotent(
    existing: ExecutionRow,
    requestHash: string,
    now: Date,
  ): ExecutionView | 'expired' {
    if (existing.createdAt.getTime() <= now.getTime() - idempotencyWindowMs) return 'expired';
    if (existing.requestHash !== requestHash) {
      throw new FlightdeckError({
        code: 'idempotency_key_reused',
        kind: 'conflict',
        message:
          'This Idempotency-Key was already used with a different request in the last 24 hours. Use a new key for a new request.',
        details: { executionId: existing.id },
      });
    }
    if (existing.status === 'running') {
      throw new FlightdeckError({
        code: 'idempotency_request_in_progress',
        kind: 'conflict',
        message:
          'The first request with this Idempotency-Key is still running. Retry in a moment to get its result.',
        details: { executionId: existing.id },
        retryAfterSeconds: 1,
      });
    }
    if (existing.status === 'failed' && existing.errorCode === 'interrupted') {
      // Replaying it would answer 503 for the key's whole window, though nothing is unavailable:
      // the run was cut off. Say so once, with its id, and let a new key run it again.
      throw new FlightdeckError({
        code: 'interrupted',
        kind: 'conflict',
        message:
          'The first request with this Idempotency-Key was interrupted (the process running it stopped) and will not finish. Send the request again with a new Idempotency-Key to run it again.',
        details: { executionId: existing.id },
      });
    }
    return toExecutionView(existing);
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
      const versionId = request.versionId ?? null;
      const { agent, version } = await loadAgent(workspaceId, agentReference, request);
      // A replay answers from a recording (404 recording_not_found before anything is written);
      // without an input it replays the recorded one.
      const replay = await loadReplayOf(repositories, workspaceId, agent.id, request);
      const input = request.input === undefined ? (replay?.input ?? {}) : request.input;
      let requestHash: string | null = null;
      if (options.idempotencyKey !== undefined) {
        requestHash = createHash('sha256')
          .update(
            // The extras join the hash only when given, so keys used before they existed still replay.
            stableStringify({
              agentId: agent.id,
              versionId,
              ...(request.version == null ? {} : { version: request.version }),
              ...(request.versionLabel == null ? {} : { versionLabel: request.versionLabel }),
              mode: request.mode,
              input,
              ...(request.history === undefined ? {} : { history: request.history }),
              ...(request.promptAddition === undefined ? {} : { promptAddition: request.promptAddition }),
              ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
              ...(request.maxTokens === undefined ? {} : { maxTokens: request.maxTokens }),
              ...(request.context === undefined ? {} : { context: request.context }),
              ...(request.responseFormat === undefined ? {} : { responseFormat: request.responseFormat }),
              ...(request.record === undefined ? {} : { record: request.record }),
              ...(request.replayOf === undefined ? {} : { replayOf: request.replayOf }),
            }),
          )
          .digest('hex');
        const existing = await repositories.executions.findByIdempotencyKey(
          workspaceId,
          options.idempotencyKey,
        );
        if (existing) {
          const judged = judgeIdempotent(existing, requestHash, clock.now());
          if (judged !== 'expired') return { kind: 'replay', execution: judged };
          await repositories.executions.releaseIdempotencyKey(
            workspaceId,
            existing.id,
            new Date(clock.now().getTime() - idempotencyWindowMs),
          );
        }
      }

      // A recorded live run keeps every exchange its targets make — prompts and answers, so never in
      // a workspace that keeps no execution content.
      const recorder =
        request.mode === 'live' &&
        (await recordingAllowed(workspaceId, request.record, await recordsExecutionsOf(workspaceId)))
          ? createExchangeRecorder()
          : null;
      const { compiled, definition, targets, callRequest } = await planCall(
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
        agentId: agent.id,
        definition,
        mode: request.mode,
        trigger: options.trigger,
        depth: options.toolDepth ?? 0,
        resume: request.resume,
      });
      // A continued loop's first call sends the stored conversation: that is what is estimated.
      if (loop?.resume) callRequest.messages = loop.resume.state.messages;
      // Long prompts are tokenized in slices between event-loop turns, so the estimate below finds
      // their counts made instead of holding the loop for the whole text.
      await prepareTokenCounts([
        callRequest.system,
        ...callRequest.messages.map((message) => message.content),
      ]);
      const now = clock.now();
      const executionId = newId(now.getTime());
      // Live runs hold their most expensive outcome against the budget before any provider call
      // (402 budget_exceeded here); mock runs cost nothing and are never blocked.
      let reservation: Reservation | null = null;
      let estimate: ReturnType<typeof estimateExecutionCost> | null = null;
      const overrides = request.mode === 'live' ? await priceOverridesOf(workspaceId) : [];
      if (request.mode === 'live') {
        estimate = estimateExecutionCost(
          targets,
          callRequest,
          compiled.output !== null,
          overrides,
          promptTokens,
        );
        if (!estimate.priced && (await budget.isLimited(workspaceId, agent.id))) {
          // Nothing can be held for a model without a price, so a limit could not be kept: refuse.
          throw new FlightdeckError({
            code: 'price_unknown',
            kind: 'unprocessable',
            message: `The price of ${definition.model} is not in the catalog, and this workspace or agent has a spending limit that could not be kept without one. Add a price override for "${definition.model}" in Settings › Model prices (or PATCH the workspace with settings.priceOverrides), or run in mock mode.`,
            details: { model: definition.model, provider: definition.provider },
          });
        }
        reservation = await budget.reserve({
          workspaceId,
          agentId: agent.id,
          providerKeyId: targets[0]?.providerKeyId ?? null,
          executionId,
          estimateUsd: estimate.maxCostUsd,
          holdMs: definition.timeoutMs * (compiled.output ? 2 : 1) + 60_000,
        });
      }
      const releaseHold = async () => {
        if (reservation) await budget.release(reservation);
      };
      const keepsContent = await storesContentOf(workspaceId);
      const row = await repositories.executions
        .insertRunning({
          id: executionId,
          workspaceId,
          agentId: agent.id,
          agentVersionId: version.id,
          agentVersion: version.number,
          status: 'running',
          mode: request.mode,
          trigger: options.trigger,
          input,
          idempotencyKey: options.idempotencyKey ?? null,
          requestHash,
          nodeId,
          deadlineAt: new Date(now.getTime() + definition.timeoutMs),
          createdBy: access.userId,
          tokenId: access.tokenId,
          workflowRunId: options.workflowRunId ?? null,
          workflowStepId: options.workflowStepId ?? null,
          parentExecutionId: options.parentExecutionId ?? null,
          replayOf: replay?.replayOf ?? null,
          // Stored with the running row, so even an interrupted run shows what it sent.
          request: keepsContent ? renderedRequestOf(callRequest, targets) : null,
          createdAt: now,
        })
        .catch(async (error: unknown) => {
          await releaseHold();
          throw error;
        });
      if (!row) {
        await releaseHold();
        // Another request with the same key got in between our check and our insert.
        const existing = await repositories.executions.findByIdempotencyKey(
          workspaceId,
          options.idempotencyKey ?? '',
        );
        const judged = existing ? judgeIdempotent(existing, requestHash ?? '', clock.now()) : 'expired';
        if (judged === 'expired') {
          throw new FlightdeckError({
            code: 'idempotency_request_in_progress',
            kind: 'conflict',
            message: 'Another request with this Idempotency-Key is starting. Retry in a moment.',
            retryAfterSeconds: 1,
          });
        }
        return { kind: 'replay', execution: judged };
      }

      return {
        kind: 'run',
        execution: toExecutionView(row),
        async run(handlers) {
          let streamedText = '';
          const runHandlers: RunHandlers = {
            ...handlers,
            onTextDelta: (text) => {
              streamedText += text;
              handlers.onTextDelta?.(text);
            },
          };
          const loopBudget = createLoopBudget({
            budget,
            first: reservation,
            workspaceId,
            agentId: agent.id,
            executionId,
            providerKeyId: targets[0]?.providerKeyId ?? null,
            targets,
            overrides,
            holdMs: definition.timeoutMs + 60_000,
            live: request.mode === 'live',
          });
          const finish = await (loop
            ? runToolLoop({
                caller: replay ? replayCaller : caller,
                priceOverrides: overrides,
                request: callRequest,
                baseUrls: targets.map((target) => target.baseUrl),
                output: compiled.output,
                handlers: runHandlers,
                // Recorded runs keep every tool answer; replays answer tools from the recording.
                tools: recorder
                  ? recordingTools(loop.tools, recorder)
                  : replay
                    ? replayTools(loop.tools, replay.cursor)
                    : loop.tools,
                maxToolCalls: loop.maxToolCalls,
                workspaceId,
                executionId,
                mode: request.mode === 'live' ? 'live' : 'mock',
                timeoutMs: definition.timeoutMs,
                reserveNextCall: loopBudget.reserveNextCall,
                // Only a workflow step (a work session's included) can wait for a person.
                approvals: options.workflowRunId ? 'pause' : 'refuse',
                resume: loop.resume,
              })
            : runExecution({
                caller: replay ? replayCaller : caller,
                priceOverrides: overrides,
                request: callRequest,
                baseUrls: targets.map((target) => target.baseUrl),
                output: compiled.output,
                handlers: runHandlers,
              })
          ).catch(async (error: unknown) => {
            await loopBudget.release();
            throw error;
          });
          if (reservation && finish.errorCode === 'client_closed' && estimate) {
            // A stream cut by the client was still paid for as far as it went.
            const partial = partialStreamCost(targets[0], estimate.inputTokens, streamedText, overrides);
            finish.costUsd = (finish.costUsd ?? 0) + partial;
          }
          // Settling the hold and finishing the record touch different rows: on PostgreSQL they
          // go out side by side instead of one round trip after the other.
          // A replay used no tokens and spent nothing (stats and budgets must not count them twice);
          // what the original used stays in its own record and the recording.
          if (replay)
            Object.assign(finish, {
              costUsd: 0,
              costPriced: true,
              inputTokens: 0,
              outputTokens: 0,
              totalTokens: 0,
            });
          if (estimate && !replay && (finish.attempts ?? []).length === 1 && !finish.repaired) {
            // One provider call: what it reported is comparable with the bound reserved for it.
            const index = targets.findIndex(
              (target) => target.model === finish.model && target.provider.kind === finish.provider,
            );
            const bound = estimate.inputTokenBounds[index];
            if (bound !== undefined && finish.model && finish.provider)
              promptTokens.record(finish.provider, finish.model, bound, finish.inputTokens ?? 0);
          }
          const [finished] = await Promise.all([
            repositories.executions.finish(workspaceId, row.id, {
              ...finish,
              ...(keepsContent ? {} : { rawOutput: null }),
              finishedAt: clock.now(),
            }),
            loopBudget.settle(finish.costUsd ?? 0),
            recorder
              ? saveRecording(
                  repositories,
                  {
                    workspaceId,
                    executionId: row.id,
                    runId: options.workflowRunId ?? null,
                    stepId: options.workflowStepId ?? null,
                  },
                  recorder,
                  clock.now(),
                )
              : undefined,
          ]);
          // Not running any more: the interrupted sweep got there first; the stored record wins.
          const stored = finished ?? (await repositories.executions.findById(workspaceId, row.id)) ?? row;
          return toExecutionView(stored);
        },
      };
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
