import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.ts';
import { roleAllows, roles } from '../../src/security/permissions.ts';
import { type RouteEntry, routeTableOf } from '../../src/server/create-app.ts';
import {
  type Credentials,
  createWorkspaceFixture,
  headersFor,
  type WorkspaceFixture,
} from '../support/identity-fixture.ts';
import { storeTargets } from '../support/store-targets.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Every workspace route × every kind of caller × own and foreign ids, generated from the app's
 * route table: a route added later is covered without touching this file.
 */
describe.each(storeTargets)('authorization matrix on $name', (target) => {
  let testApp: TestApp;
  let dispose: () => Promise<void>;
  let foreign: WorkspaceFixture;

  beforeAll(async () => {
    const opened = await target.open();
    dispose = opened.dispose;
    // With the workflow queue running, so routes that start runs answer as they do in production.
    testApp = await createTestApp({ store: opened.store, workflows: { workers: 1 } });
    foreign = await createWorkspaceFixture(testApp.services, 'foreign');
  });
  afterAll(async () => {
    await testApp.app.close();
    await dispose();
  });

  const fixtureIds: Record<string, (ids: WorkspaceFixture) => string> = {
    userId: (ids) => ids.targetUserId,
    tokenId: (ids) => ids.targetTokenId,
    providerKeyId: (ids) => ids.targetProviderKeyId,
    agentId: (ids) => ids.targetAgentId,
    executionId: (ids) => ids.targetExecutionId,
  };

  function pathFor(route: RouteEntry, workspace: WorkspaceFixture, ids: WorkspaceFixture): string {
    return route.url.replace(/:(\w+)/g, (_match, name: string) => {
      if (name === 'workspaceId') return workspace.workspaceId;
      // A parameter this suite has no fixture for yet gets an id that exists nowhere.
      return fixtureIds[name]?.(ids) ?? newId();
    });
  }

  /** True when every path parameter of the route points at a real fixture row. */
  function allParametersKnown(route: RouteEntry): boolean {
    return [...route.url.matchAll(/:(\w+)/g)].every(
      ([, name]) => name === 'workspaceId' || (name ?? '') in fixtureIds,
    );
  }

  async function call(route: RouteEntry, path: string, credentials: Credentials) {
    const hasBody = route.method === 'POST' || route.method === 'PATCH' || route.method === 'PUT';
    return testApp.app.inject({
      method: route.method as 'GET',
      url: path,
      headers: headersFor(credentials),
      ...(hasBody ? { payload: {} } : {}),
    });
  }

  it('finds the workspace routes to test', () => {
    const workspaceRoutes = routeTableOf(testApp.app).filter((route) => route.url.includes(':workspaceId'));
    expect(workspaceRoutes.length).toBeGreaterThanOrEqual(10);
  });

  it('answers 401 on every non-public /api route without credentials', async () => {
    const routes = routeTableOf(testApp.app).filter(
      (route) => route.url.startsWith('/api/') && !route.public,
    );
    const own = await createWorkspaceFixture(testApp.services, 'anonymous');
    for (const route of routes) {
      if (route.url.startsWith('/api/docs') || route.url === '/api/openapi.json') continue;
      const response = await call(route, pathFor(route, own, own), { kind: 'none' });
      expect(response.statusCode, `${route.method} ${route.url}`).toBe(401);
    }
  });

  it('keeps every workspace route to its members and their permissions', async () => {
    const routes = routeTableOf(testApp.app).filter((route) => route.url.includes(':workspaceId'));
    let crossWorkspaceSuccesses = 0;
    for (const route of routes) {
      const destructive = route.method === 'DELETE';
      let shared: WorkspaceFixture | undefined;
      // A destructive route gets a fresh workspace per caller, so one caller's success cannot hide another's answer.
      const fixture = async (): Promise<WorkspaceFixture> => {
        if (destructive) return createWorkspaceFixture(testApp.services, 'own');
        shared ??= await createWorkspaceFixture(testApp.services, 'own');
        return shared;
      };
      const label = `${route.method} ${route.url}`;

      // Another workspace's owner, with our ids: 404, never 403 or 2xx.
      for (const credentials of [foreign.sessions.owner, foreign.tokens.owner]) {
        const own = await fixture();
        const response = await call(route, pathFor(route, own, own), credentials);
        if (response.statusCode < 300) crossWorkspaceSuccesses++;
        expect(response.statusCode, `${label} as foreign ${credentials.kind}`).toBe(404);
      }

      // Our owner, our workspace, but another workspace's member or token ids: 404 (or the body's
      // validation error, which comes before any lookup since the matrix sends an empty body).
      if (/:(?!workspaceId)\w+/.test(route.url)) {
        const own = await fixture();
        const response = await call(route, pathFor(route, own, foreign), own.sessions.owner);
        if (response.statusCode < 300) crossWorkspaceSuccesses++;
        if (response.statusCode === 400) expect(response.json().error.code).toBe('validation_failed');
        else expect(response.statusCode, `${label} with foreign ids`).toBe(404);
      }

      // Each role, by session and by token: 403 without the permission, otherwise past authorization.
      for (const role of roles) {
        for (const kind of ['sessions', 'tokens'] as const) {
          const own = await fixture();
          const response = await call(route, pathFor(route, own, own), own[kind][role]);
          const caseLabel = `${label} as ${role} (${kind})`;
          expect(response.statusCode, caseLabel).toBeLessThan(500);
          if (route.permission && !roleAllows(role, route.permission)) {
            expect(response.statusCode, caseLabel).toBe(403);
            expect(response.json().error.code, caseLabel).toBe('permission_denied');
          } else {
            expect(response.statusCode, caseLabel).not.toBe(401);
            if (allParametersKnown(route)) expect(response.statusCode, caseLabel).not.toBe(404);
          }
        }
      }
    }
    expect(crossWorkspaceSuccesses).toBe(0);
  }, 180_000);
});
