import type { Agent } from '../api/api-types.ts';
import { useAgents } from './use-agents.ts';
import { useWorkflow } from './use-workflows.ts';

/**
 * The agent a workflow step runs (by the step's slug or id), for its output schema and artifact
 * type; null for http steps or while loading. Work sessions' hidden workflows read the same way.
 */
export function useStepAgent(workspaceId: string, workflowId: string, stepId: string): Agent | null {
  const workflow = useWorkflow(workspaceId, workflowId);
  const agents = useAgents(workspaceId, { limit: 200 });
  const step = workflow.data?.steps.find((candidate) => candidate.id === stepId);
  if (!step || step.kind === 'http') return null;
  return agents.data?.items.find((agent) => agent.id === step.agent || agent.slug === step.agent) ?? null;
}
