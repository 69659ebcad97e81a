import type { WorkspaceOverview } from '../api/overview-api.ts';

export interface ChecklistItem {
  id: 'key' | 'agent' | 'run' | 'workflow' | 'member';
  label: string;
  done: boolean;
  /** Where to do it, under the workspace path. */
  path: string;
  hint: string;
}

/** The first five things a team does, each ticked by what the workspace really holds. */
export function onboardingChecklist(overview: WorkspaceOverview): ChecklistItem[] {
  return [
    {
      id: 'key',
      label: 'Add a provider key',
      done: overview.providerKeys > 0,
      path: 'settings/keys',
      hint: 'An OpenAI, Anthropic or OpenAI-compatible key, stored encrypted. Mock runs need none.',
    },
    {
      id: 'agent',
      label: 'Build an agent',
      done: overview.agents > 0,
      path: 'agents',
      hint: 'Start from a template (research, content, reporting, security…) or from scratch.',
    },
    {
      id: 'run',
      label: 'Run it',
      done: overview.executions > 0,
      path: 'agents',
      hint: 'Press Run on an agent, or try it in its test panel; mock mode costs nothing.',
    },
    {
      id: 'workflow',
      label: 'Build a workflow',
      done: overview.workflows > 0,
      path: 'workflows/new',
      hint: 'Chain agents and HTTP steps into a graph, with approvals where a person should look.',
    },
    {
      id: 'member',
      label: 'Invite a member',
      // The first owner is the one member a new workspace has.
      done: overview.members > 1,
      path: 'settings/members',
      hint: 'Builders, approvers and viewers each see what their role allows.',
    },
  ];
}
