/**
 * Compile-time check that the console's hand-written API types name exactly the fields the server
 * answers (web/src/api/openapi-types.gen.ts, generated from /api/openapi.json; `npm run check` fails
 * when that file is stale). A field added to or removed from an answer breaks `tsc -p web` here until
 * the console's type says so too. Nothing imports this file at run time.
 */
import type { Agent, ApiToken, Execution, Member, ProviderKey, Workspace } from './api-types.ts';
import type { Approval, ApprovalDetail } from './approval-types.ts';
import type { paths } from './openapi-types.gen.ts';
import type { Run, Workflow } from './workflow-types.ts';

type JsonOf<Response> = Response extends { content: { 'application/json': infer Body } } ? Body : never;
type Answer<Path extends keyof paths, Status extends number> = paths[Path] extends {
  get: { responses: Record<Status, infer Response> };
}
  ? JsonOf<Response>
  : never;
type ItemOf<List> = List extends { items: Array<infer Item> } ? Item : never;

/** `true` only when both sides have the same keys; otherwise the missing keys show in the error. */
type SameKeys<Server, Console> = [
  Exclude<keyof Server, keyof Console>,
  Exclude<keyof Console, keyof Server>,
] extends [never, never]
  ? true
  : {
      onlyOnServer: Exclude<keyof Server, keyof Console>;
      onlyInConsole: Exclude<keyof Console, keyof Server>;
    };

export const sameFields: {
  agent: SameKeys<Answer<'/api/workspaces/{workspaceId}/agents/{agentId}', 200>, Agent>;
  execution: SameKeys<Answer<'/api/workspaces/{workspaceId}/executions/{executionId}', 200>, Execution>;
  workspace: SameKeys<Answer<'/api/workspaces/{workspaceId}', 200>, Workspace>;
  member: SameKeys<ItemOf<Answer<'/api/workspaces/{workspaceId}/members', 200>>, Member>;
  token: SameKeys<ItemOf<Answer<'/api/workspaces/{workspaceId}/tokens', 200>>, ApiToken>;
  providerKey: SameKeys<ItemOf<Answer<'/api/workspaces/{workspaceId}/provider-keys', 200>>, ProviderKey>;
  workflow: SameKeys<Answer<'/api/workspaces/{workspaceId}/workflows/{workflowId}', 200>, Workflow>;
  run: SameKeys<Answer<'/api/workspaces/{workspaceId}/runs/{runId}', 200>, Run>;
  approval: SameKeys<ItemOf<Answer<'/api/workspaces/{workspaceId}/approvals', 200>>, Approval>;
  approvalDetail: SameKeys<
    Answer<'/api/workspaces/{workspaceId}/approvals/{approvalId}', 200>,
    ApprovalDetail
  >;
} = {
  agent: true,
  execution: true,
  workspace: true,
  member: true,
  token: true,
  providerKey: true,
  workflow: true,
  run: true,
  approval: true,
  approvalDetail: true,
};
