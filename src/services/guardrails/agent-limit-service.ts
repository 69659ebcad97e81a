import type { Repositories } from '../../store/repositories/index.ts';
import { agentNotFound } from '../agents/agent-service.ts';
import type { AuditActor, AuditLog } from '../audit/audit-log.ts';
import type { BudgetService } from './budget-service.ts';

/** An agent's own monthly spending limit, within the workspace's, named by the agent's id or slug. */
export function createAgentLimitService(dependencies: {
  repositories: Repositories;
  budgets: BudgetService;
  audit: AuditLog;
}) {
  const { repositories, budgets, audit } = dependencies;

  async function agentIdOf(workspaceId: string, reference: string): Promise<string> {
    const found = await repositories.agents.find(workspaceId, reference);
    if (!found) throw agentNotFound();
    return found.agent.id;
  }

  return {
    /** The agent's limit (null: only the workspace's applies) and its spend this month. */
    async get(workspaceId: string, reference: string) {
      return budgets.agentBudget(workspaceId, await agentIdOf(workspaceId, reference));
    },

    /** Sets or clears (null) the agent's limit; audited as a settings change. */
    async set(
      workspaceId: string,
      actor: AuditActor,
      reference: string,
      monthlyLimitUsd: number | null,
    ): Promise<{ agentId: string; monthlyLimitUsd: number | null }> {
      const agentId = await agentIdOf(workspaceId, reference);
      await budgets.setAgentLimit(workspaceId, agentId, monthlyLimitUsd);
      await audit.record(
        workspaceId,
        actor,
        'workspace.settings_changed',
        { type: 'agent', id: agentId },
        { agentMonthlyLimitUsd: monthlyLimitUsd },
      );
      return { agentId, monthlyLimitUsd };
    },
  };
}

export type AgentLimitService = ReturnType<typeof createAgentLimitService>;
