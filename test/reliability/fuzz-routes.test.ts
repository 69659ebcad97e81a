import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspaceFixture, headersFor, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { storeTargets } from '../support/store-targets.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import {
  type HostileRequest,
  hostileRequestsFor,
  type OperationShape,
  operationsOf,
} from './hostile-requests.ts';

/** Fixed, so a failure reproduces; change it to explore further. */
const seed = 19_019;
const requestsPerOperation = 80;
const requestTimeoutMs = 15_000;

/** Requests whose success would end the fuzz's own access; only hostile ids are sent to them. */
const destructive = new Set(['DELETE /api/workspaces/{workspaceId}', 'POST /api/auth/logout']);

interface Failure {
  request: string;
  label: string;
  status: number | 'timeout';
  body: string;
}

describe.each(storeTargets)('fuzzing every route on $name', (target) => {
  let testApp: TestApp;
  let dispose: () => Promise<void>;
  let fixture: WorkspaceFixture;
  let operations: OperationShape[];

  beforeAll(async () => {
    const opened = await target.open();
    dispose = opened.dispose;
    testApp = await createTestApp({
      store: opened.store,
      // Hostnames resolve to link-local, which the SSRF guard refuses at once: no request leaves the host.
      providerLookup: async () => [{ address: '169.254.0.1', family: 4 }],
    });
    fixture = await createWorkspaceFixture(testApp.services, 'fuzz');
    const document = (await testApp.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    operations = operationsOf(document);
  });
  afterAll(async () => {
    await testApp.app.close();
    await dispose();
  });

  it('answers every hostile request without a 500, and every 4xx with a stable error code', async () => {
    expect(operations.length).toBeGreaterThan(50);
    const owner = {
      workspaceId: fixture.workspaceId,
      role: 'owner' as const,
      userId: fixture.users.owner,
      tokenId: null,
    };
    const validSegments: Record<string, string> = {
      workspaceId: fixture.workspaceId,
      agentId: fixture.targetAgentId,
      executionId: fixture.targetExecutionId,
      userId: fixture.targetUserId,
      tokenId: fixture.targetTokenId,
      providerKeyId: fixture.targetProviderKeyId,
    };
    const failures: Failure[] = [];
    const statuses = new Map<string, number>();
    let sent = 0;
    for (const [index, operation] of operations.entries()) {
      const name = `${operation.method} ${operation.path}`;
      const requests = fc.sample(hostileRequestsFor(operation, destructive.has(name) ? {} : validSegments), {
        seed: seed + index,
        numRuns: requestsPerOperation,
      });
      for (const request of requests) {
        // Sessions for user routes (the CSRF token included), the token for the OpenAI-compatible ones.
        const credentials =
          operation.path.startsWith('/v1/') || name === 'POST /api/auth/logout'
            ? fixture.tokens.owner
            : fixture.sessions.owner;
        const answer = await send(testApp, request, headersFor(credentials));
        sent++;
        const status = answer === 'timeout' ? 'timeout' : String(answer.statusCode);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        const problem = judge(answer);
        if (problem)
          failures.push({
            request: `${request.method} ${request.url.slice(0, 200)}`,
            label: request.label,
            ...problem,
          });
        if (name === 'PATCH /api/workspaces/{workspaceId}') {
          // Keep the fuzz's own rate limit and budget out of the way of the next requests.
          await testApp.services.workspaces.update(owner, {
            settings: { rateLimitPerMinute: 1_000_000, monthlyBudgetUsd: null },
          });
        }
      }
    }
    console.info(
      `fuzz on ${target.name}: ${sent} requests over ${operations.length} operations, ${failures.filter((failure) => failure.status === 500).length} answers of 500, ${failures.length} problems; answers by status ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`,
    );
    if (process.env.FUZZ_REPORT) {
      writeFileSync(`${process.env.FUZZ_REPORT}-${target.name}.json`, JSON.stringify(failures, null, 2));
    }
    expect(failures).toEqual([]);
  }, 600_000);
});

async function send(testApp: TestApp, request: HostileRequest, headers: Record<string, string>) {
  const body = request.body;
  const injected = testApp.app.inject({
    method: request.method as 'GET',
    url: request.url,
    headers: {
      ...headers,
      ...(body.kind === 'raw' && body.contentType ? { 'content-type': body.contentType } : {}),
    },
    ...(body.kind === 'json'
      ? { payload: JSON.stringify(body.value), headers: { ...headers, 'content-type': 'application/json' } }
      : {}),
    ...(body.kind === 'raw' ? { payload: body.payload } : {}),
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), requestTimeoutMs);
  });
  try {
    return await Promise.race([injected, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What is wrong with an answer, if anything: a 500, a hang, or a 4xx without a stable code. */
function judge(
  answer: 'timeout' | { statusCode: number; body: string; headers: Record<string, unknown> },
): Omit<Failure, 'request' | 'label'> | undefined {
  if (answer === 'timeout') return { status: 'timeout', body: '' };
  const { statusCode, body } = answer;
  if (statusCode === 500) return { status: statusCode, body: body.slice(0, 300) };
  if (statusCode < 400 || statusCode >= 500) return undefined;
  let code: unknown;
  try {
    code = (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;
  } catch {
    return { status: statusCode, body: `not JSON: ${body.slice(0, 200)}` };
  }
  if (typeof code !== 'string' || !/^[a-z][a-z0-9_]*$/.test(code)) {
    return { status: statusCode, body: `no stable error.code: ${body.slice(0, 200)}` };
  }
  return undefined;
}
