import { stableStringify } from '../../core/stable-stringify.ts';
import type { AgentVersionRow } from '../../store/repositories/index.ts';
import { type AgentField, agentFields, readDefinition } from '../agents/agent-definition.ts';
import type { ExecutionView } from './execution-view.ts';

export type ChangeGroup = 'prompt' | 'model' | 'parameters' | 'schemas' | 'identity';

const groups: Record<AgentField, ChangeGroup> = {
  slug: 'identity',
  name: 'identity',
  description: 'identity',
  tags: 'identity',
  provider: 'model',
  model: 'model',
  providerKeyId: 'model',
  fallbacks: 'model',
  systemPrompt: 'prompt',
  promptTemplate: 'prompt',
  temperature: 'parameters',
  maxTokens: 'parameters',
  retry: 'parameters',
  timeoutMs: 'parameters',
  inputSchema: 'schemas',
  outputSchema: 'schemas',
  approval: 'parameters',
  artifactType: 'schemas',
  tools: 'parameters',
  maxToolCalls: 'parameters',
};

export interface MetricDelta {
  a: number | null;
  b: number | null;
  /** b − a; null when either is missing. */
  delta: number | null;
}

export interface ExecutionComparison {
  a: ExecutionView;
  b: ExecutionView;
  versionDiff: {
    sameAgent: boolean;
    sameVersion: boolean;
    changes: Array<{ field: AgentField; group: ChangeGroup; a: unknown; b: unknown }>;
  };
  metrics: {
    latencyMs: MetricDelta;
    timeToFirstTokenMs: MetricDelta;
    costUsd: MetricDelta;
    inputTokens: MetricDelta;
    outputTokens: MetricDelta;
    totalTokens: MetricDelta;
    retries: MetricDelta;
  };
  sameOutput: boolean;
}

function delta(a: number | null, b: number | null): MetricDelta {
  return { a, b, delta: a === null || b === null ? null : b - a };
}

/** Two executions side by side: what differs in the versions they ran, and how their metrics moved. */
export function compareExecutions(
  first: { execution: ExecutionView; version: AgentVersionRow | undefined },
  second: { execution: ExecutionView; version: AgentVersionRow | undefined },
): ExecutionComparison {
  const a = first.execution;
  const b = second.execution;
  const changes: ExecutionComparison['versionDiff']['changes'] = [];
  if (first.version && second.version && first.version.id !== second.version.id) {
    const before = readDefinition(first.version.definition);
    const after = readDefinition(second.version.definition);
    for (const field of agentFields) {
      if (stableStringify(before[field]) !== stableStringify(after[field])) {
        changes.push({ field, group: groups[field], a: before[field] ?? null, b: after[field] ?? null });
      }
    }
  }
  return {
    a,
    b,
    versionDiff: {
      sameAgent: a.agentId === b.agentId,
      sameVersion: a.agentVersionId === b.agentVersionId,
      changes,
    },
    metrics: {
      latencyMs: delta(a.latencyMs, b.latencyMs),
      timeToFirstTokenMs: delta(a.timeToFirstTokenMs, b.timeToFirstTokenMs),
      costUsd: delta(a.costUsd, b.costUsd),
      inputTokens: delta(a.usage.inputTokens, b.usage.inputTokens),
      outputTokens: delta(a.usage.outputTokens, b.usage.outputTokens),
      totalTokens: delta(a.usage.totalTokens, b.usage.totalTokens),
      retries: delta(a.retries, b.retries),
    },
    sameOutput: stableStringify(a.output) === stableStringify(b.output),
  };
}
