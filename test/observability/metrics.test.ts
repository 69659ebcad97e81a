import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { apiClient } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture } from '../support/identity-fixture.ts';
import {
  binaries,
  eventually,
  missingBinaries,
  type ObservedServer,
  parseSamples,
  runTool,
  startObservedServer,
  sumOf,
} from './observability-kit.ts';
import { runWorkload, type WorkloadResult } from './workload.ts';

const metricsToken = 'metrics-token-for-tests-0001';
const missing = missingBinaries();

describe('GET /metrics', () => {
  let server: ObservedServer;
  let fake: FakeProvider;
  let workload: WorkloadResult;
  const scrape = async (token: string | null = metricsToken) => {
    const response = await fetch(`${server.url}/metrics`, {
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      text: await response.text(),
    };
  };

  beforeAll(async () => {
    server = await startObservedServer({ metricsToken });
    fake = await startFakeProvider();
    workload = await runWorkload(server, fake);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  it('asks for the bearer token when FLIGHTDECK_METRICS_TOKEN is set', async () => {
    expect((await scrape(null)).status).toBe(401);
    const wrong = await scrape('not-the-token');
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.text).error.code).toBe('metrics_token_invalid');
    const right = await scrape();
    expect(right.status).toBe(200);
    expect(right.type).toContain('text/plain');
  });

  it('keeps the Alertmanager receiver off without FLIGHTDECK_ALERTMANAGER_SECRET', async () => {
    const response = await fetch(`${server.url}/api/alerts/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer anything-at-all-0000' },
      body: JSON.stringify({ alerts: [] }),
    });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      'alert_receiver_disabled',
    );
  });

  it.skipIf(missing !== null)(
    `passes promtool check metrics${missing ? ` (skipped: ${missing})` : ''}`,
    async () => {
      const { text } = await scrape();
      const checked = await runTool(binaries.promtool, ['check', 'metrics'], { input: text });
      expect(checked.output).toBe('');
      expect(checked.code).toBe(0);
    },
  );

  it('serves every figure the issue names, with the workload in them', async () => {
    const { text } = await scrape();
    const names = new Set(parseSamples(text).map((sample) => sample.name));
    for (const name of [
      'flightdeck_workflow_runs_total',
      'flightdeck_workflow_duration_seconds_bucket',
      'flightdeck_workflows_active',
      'flightdeck_workflow_approval_wait_time_seconds_bucket',
      'flightdeck_workflow_approvals_pending',
      'flightdeck_workflow_approval_oldest_pending_seconds',
      'flightdeck_agent_runs_total',
      'flightdeck_agent_duration_seconds_bucket',
      'flightdeck_agent_errors_total',
      'flightdeck_agent_retries_total',
      'flightdeck_llm_tokens_total',
      'flightdeck_llm_cost_usd_total',
      'flightdeck_llm_attempts_total',
      'flightdeck_budget_used_ratio',
      'flightdeck_rate_limit_refusals_total',
      'flightdeck_provider_circuit_state',
      'flightdeck_queue_depth',
      'flightdeck_queue_oldest_job_age_seconds',
      'flightdeck_queue_stale_jobs',
      'flightdeck_http_request_duration_seconds_bucket',
      'flightdeck_nodejs_eventloop_lag_p99_seconds',
      'flightdeck_process_cpu_user_seconds_total',
      'flightdeck_process_resident_memory_bytes',
      'flightdeck_build_info',
    ]) {
      expect(names, name).toContain(name);
    }
    const { executions, runs } = workload;
    // Direct executions plus the workflow steps' own (3 mock runs × 2 steps, 1 failed, 1 approved, 1 cancelled).
    expect(sumOf(text, 'flightdeck_agent_runs_total', { mode: 'live' })).toBeGreaterThanOrEqual(
      executions.completed + executions.failed,
    );
    expect(
      sumOf(text, 'flightdeck_agent_errors_total', { code: 'provider_bad_request' }),
    ).toBeGreaterThanOrEqual(2);
    expect(sumOf(text, 'flightdeck_agent_retries_total')).toBeGreaterThanOrEqual(2 + 2 * 2);
    expect(sumOf(text, 'flightdeck_workflow_runs_total', { status: 'completed' })).toBe(runs.completed);
    expect(sumOf(text, 'flightdeck_workflow_runs_total', { status: 'failed' })).toBe(runs.failed);
    expect(sumOf(text, 'flightdeck_workflow_runs_total', { status: 'cancelled' })).toBe(runs.cancelled);
    expect(
      sumOf(text, 'flightdeck_workflow_approval_wait_time_seconds_count', { decision: 'approved' }),
    ).toBe(1);
    expect(sumOf(text, 'flightdeck_workflow_approvals_pending')).toBe(1);
    expect(sumOf(text, 'flightdeck_workflows_active', { status: 'waiting_approval' })).toBe(1);
    expect(sumOf(text, 'flightdeck_rate_limit_refusals_total', { limit: 'execution' })).toBe(2);
    expect(sumOf(text, 'flightdeck_provider_circuit_state', { provider: 'openai' })).toBe(2);
    expect(sumOf(text, 'flightdeck_llm_tokens_total', { provider: 'openai', type: 'input' })).toBeGreaterThan(
      0,
    );
    expect(sumOf(text, 'flightdeck_llm_cost_usd_total', { provider: 'openai' })).toBeGreaterThan(0);
    expect(sumOf(text, 'flightdeck_budget_used_ratio')).toBeGreaterThan(0);
    expect(
      sumOf(text, 'flightdeck_http_request_duration_seconds_count', {
        route: '/api/workspaces/:workspaceId/agents/:agentId/executions',
        method: 'POST',
      }),
    ).toBeGreaterThan(0);
  });

  it('moves agent_runs_total by exactly N for N executions', async () => {
    const fixture = await createWorkspaceFixture(server.services, 'counted');
    const api = apiClient(server, fixture);
    const labels = { workspace: await server.services.telemetry.labels.workspace(fixture.workspaceId) };
    const before = sumOf((await scrape()).text, 'flightdeck_agent_runs_total', labels);
    const count = 25;
    for (let index = 0; index < count; index++) {
      const response = await api.post(`/agents/${fixture.targetAgentId}/executions`, {
        input: { n: index },
        mode: 'mock',
      });
      expect(response.statusCode).toBe(201);
    }
    // Replays of an idempotency key run nothing and count nothing.
    for (let index = 0; index < 3; index++) {
      await api.post(
        `/agents/${fixture.targetAgentId}/executions`,
        { input: {}, mode: 'mock' },
        { 'idempotency-key': 'same' },
      );
    }
    const after = sumOf((await scrape()).text, 'flightdeck_agent_runs_total', labels);
    expect(after - before).toBe(count + 1);
  });

  it('counts executions of a model without a price apart, never as $0 of cost', async () => {
    const fixture = await createWorkspaceFixture(server.services, 'unpriced');
    const api = apiClient(server, fixture);
    const key = await api.addFakeKey(fake, 'openai-compatible');
    const agent = await api.createAgent({
      name: 'House model',
      provider: 'openai-compatible',
      model: 'house-model-7b',
      providerKeyId: key.id,
    });
    for (let index = 0; index < 2; index++) {
      const response = await api.post(`/agents/${agent.id}/executions`, { input: {}, mode: 'live' });
      expect(response.json()).toMatchObject({ status: 'completed', costPriced: false });
    }
    const labels = {
      workspace: await server.services.telemetry.labels.workspace(fixture.workspaceId),
      model: 'house-model-7b',
    };
    const { text } = await scrape();
    expect(sumOf(text, 'flightdeck_llm_unpriced_executions_total', labels)).toBe(2);
    expect(
      parseSamples(text).filter(
        (sample) =>
          sample.name === 'flightdeck_llm_cost_usd_total' && sample.labels.model === 'house-model-7b',
      ),
    ).toEqual([]);
    expect(sumOf(text, 'flightdeck_llm_tokens_total', labels)).toBeGreaterThan(0);
  });

  it('keeps label cardinality bounded after 1,000 runs of distinct inputs', async () => {
    const fixture = await createWorkspaceFixture(server.services, 'cardinality');
    const api = apiClient(server, fixture);
    const own = (name: string) => !/^flightdeck_(nodejs|process)_/.test(name);
    const seriesCount = (text: string) => parseSamples(text).filter((sample) => own(sample.name)).length;
    for (let index = 0; index < 10; index++)
      await api.post(`/agents/${fixture.targetAgentId}/executions`, {
        input: { id: `warm-${index}` },
        mode: 'mock',
      });
    const before = await scrape();
    for (let batch = 0; batch < 50; batch++) {
      await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          api.post(`/agents/${fixture.targetAgentId}/executions`, {
            input: { id: `distinct-${batch}-${index}-${Math.random()}` },
            mode: 'mock',
          }),
        ),
      );
    }
    const after = await eventually(async () => {
      const scraped = await scrape();
      const total = sumOf(scraped.text, 'flightdeck_agent_runs_total', {
        workspace: await server.services.telemetry.labels.workspace(fixture.workspaceId),
      });
      return total >= 1_010 ? scraped : undefined;
    }, '1,010 counted executions');
    // Process figures (GC kinds, handles) may come and go; Flightdeck's own series do not grow.
    expect(seriesCount(after.text)).toBe(seriesCount(before.text));
    // No label value anywhere is an id of a run, an execution or a user.
    const ids = /^[0-9a-z]{20,}$/i;
    for (const sample of parseSamples(after.text)) {
      for (const [label, value] of Object.entries(sample.labels)) {
        expect(ids.test(value), `${sample.name}{${label}="${value}"}`).toBe(false);
      }
    }
  }, 120_000);
});
