import { FlightdeckError, invalidError, notFoundError } from '../../core/errors.ts';
import type { AgentWithVersion, Repositories } from '../../store/repositories/index.ts';

/**
 * Which version of an agent a caller runs. Without one, callers (API, workflow, OpenAI-compatible)
 * run the published version — the `production` label — never an unpublished draft. The console's
 * test panel names the draft it shows by `versionId`.
 */
export type AgentVersionSelector =
  | { kind: 'published' }
  | { kind: 'id'; id: string }
  | { kind: 'number'; number: number }
  | { kind: 'label'; label: string };

/** The label callers get by default; setting it is publishing. */
export const publishedLabel = 'production';

/** Labels are short lowercase words, so they never collide with version numbers. */
export const labelPattern = /^[a-z][a-z0-9_-]{0,39}$/;

export const agentNotFound = () =>
  notFoundError('agent_not_found', 'No agent with this id or slug in this workspace.');

const versionNotFound = (selector: AgentVersionSelector) => {
  switch (selector.kind) {
    case 'label':
      return notFoundError(
        'agent_label_not_found',
        `This agent has no label "${selector.label}". Set it with PUT …/agents/{id}/labels/${selector.label}, or list the agent's labels with GET …/agents/{id}.`,
        { versionLabel: selector.label },
      );
    case 'number':
      return notFoundError(
        'agent_version_not_found',
        `This agent has no version ${selector.number}. List them at …/versions.`,
        { version: selector.number },
      );
    default:
      return notFoundError(
        'agent_version_not_found',
        'This agent has no version with this id. List them at …/versions.',
        { versionId: selector.kind === 'id' ? selector.id : null },
      );
  }
};

/** One selector from a request's optional `versionId`, `version` and `versionLabel`; 400 when several. */
export function selectorOf(request: {
  versionId?: string | null;
  version?: number | null;
  versionLabel?: string | null;
}): AgentVersionSelector {
  const given = [
    request.versionId != null ? ({ kind: 'id', id: request.versionId } as const) : null,
    request.version != null ? ({ kind: 'number', number: request.version } as const) : null,
    request.versionLabel != null ? ({ kind: 'label', label: request.versionLabel } as const) : null,
  ].filter((selector) => selector !== null);
  if (given.length > 1) {
    throw invalidError(
      'version_selector_conflict',
      'Name at most one of versionId, version and versionLabel; without any, the published version runs.',
    );
  }
  return given[0] ?? { kind: 'published' };
}

/** The agent (by id or slug) with the version the selector names; 404 with a stable code otherwise. */
export async function findAgentVersion(
  repositories: Repositories,
  workspaceId: string,
  reference: string,
  selector: AgentVersionSelector,
): Promise<AgentWithVersion> {
  if (selector.kind === 'published' || (selector.kind === 'label' && selector.label === publishedLabel)) {
    const { agent, version } = await repositories.agents.findPublished(workspaceId, reference);
    if (!agent) throw agentNotFound();
    if (!version) {
      throw new FlightdeckError({
        code: 'agent_not_published',
        kind: 'conflict',
        message:
          'This agent has no published version yet. Publish one with POST …/agents/{id}/publish, or name a version (versionId, version or versionLabel).',
        details: { agentId: agent.id },
      });
    }
    return { agent, version };
  }
  if (selector.kind === 'id') {
    const { agent, version } = await repositories.agents.findWithVersion(workspaceId, reference, selector.id);
    if (!agent) throw agentNotFound();
    if (!version) throw versionNotFound(selector);
    return { agent, version };
  }
  const found = await repositories.agents.find(workspaceId, reference);
  if (!found) throw agentNotFound();
  const number = selector.kind === 'number' ? selector.number : found.agent.labels[selector.label];
  if (number === undefined) throw versionNotFound(selector);
  if (number === found.version.number) return found;
  const version = await repositories.agents.findVersionByNumber(workspaceId, found.agent.id, number);
  if (!version) throw versionNotFound(selector);
  return { agent: found.agent, version };
}
