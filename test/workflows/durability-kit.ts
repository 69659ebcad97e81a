import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { FakeProvider } from '../../src/llm/fake-provider/index.ts';
import { createKeyring } from '../../src/security/keyring.ts';
import { parseMasterKeys } from '../../src/security/keyring-master-keys.ts';
import { openStore } from '../../src/store/database.ts';
import { apiClient } from '../executions/execution-test-kit.ts';
import { type CliProcess, runCli } from '../support/cli-process.ts';
import { createWorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { workflowClient } from './workflow-kit.ts';

/**
 * What the durability suites share: a PostgreSQL node that only starts runs, `flightdeck worker`
 * child processes, a five-step DAG of live agent steps whose prompts name their run and step, and
 * the audit that reads back what ran.
 */

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The DAG a → (b ∥ c) → d → e: b and c run side by side, so a run can have two steps in flight. */
export const stepIds = ['a', 'b', 'c', 'd', 'e'] as const;
export const stepsInParallel = 2;

export interface WorkerProcess {
  process: CliProcess;
  /** The node id the worker writes on the steps it claims (from its ready log line). */
  nodeId: Promise<string>;
}

export interface DurabilityRig {
  testApp: TestApp;
  sql: pg.Pool;
  startWorker(): WorkerProcess;
  /** Starts a run tagged `tag` (the tag is in every prompt of the run). */
  startRun(tag: string): Promise<string>;
  runIdOf(tag: string): string | undefined;
  close(): Promise<void>;
}

/** The node that starts runs (in process, no workers) and the settings of the worker processes. */
export async function openDurabilityRig(options: {
  databaseUrl: string;
  fake: FakeProvider;
  callMs: number;
  workerConcurrency: number;
}): Promise<DurabilityRig> {
  const masterKey = randomBytes(32).toString('base64');
  const sql = new pg.Pool({ connectionString: options.databaseUrl, max: 2 });
  sql.on('error', () => {});
  // It must share the workers' master key so they can decrypt the provider key it stores.
  const testApp = await createTestApp({
    store: await openStore({ databaseUrl: options.databaseUrl, poolSize: 4 }),
    keyring: createKeyring(parseMasterKeys(masterKey)),
    workflows: { workers: 0 },
  });
  const fixture = await createWorkspaceFixture(testApp.services, 'durability');
  const api = apiClient(testApp, fixture);
  const flows = workflowClient(testApp.app, fixture);
  await api.addFakeKey(options.fake);
  const agent = await api.createAgent({
    name: 'Durable step',
    provider: 'openai',
    model: `fault:hang;ms=${options.callMs}`,
    // The run's tag and the step id in the prompt attribute every provider call to its step.
    promptTemplate: 'Run {{ input.tag }} step {{ input.step }} after {{ input.after }}',
    inputSchema: {
      type: 'object',
      properties: { tag: { type: 'string' }, step: { type: 'string' }, after: { type: 'string' } },
      required: ['tag', 'step', 'after'],
    },
    outputSchema: {
      type: 'object',
      properties: { token: { type: 'string' } },
      required: ['token'],
      additionalProperties: false,
    },
    // No retries inside an execution, so every provider call is one attempt of one step. The
    // default 120 s timeout keeps the interrupted sweep (deadline + 60 s) out of these tests: an
    // abandoned execution that ends interrupted was ended by the claim that took its step over.
    retry: { maxAttempts: 1 },
  });
  const input = (step: string, after: string) => ({ tag: '{{ run.input.tag }}', step, after });
  const workflow = await flows.createWorkflow({
    name: 'Durable DAG',
    steps: [
      { id: 'a', agent: agent.slug, input: input('a', 'start') },
      { id: 'b', agent: agent.slug, input: input('b', '{{ a.output.token }}') },
      { id: 'c', agent: agent.slug, input: input('c', '{{ a.output.token }}') },
      { id: 'd', agent: agent.slug, input: input('d', '{{ b.output.token }} {{ c.output.token }}') },
      { id: 'e', agent: agent.slug, input: input('e', '{{ d.output.token }}') },
    ],
  });
  const runIds = new Map<string, string>();
  const workers: WorkerProcess[] = [];
  return {
    testApp,
    sql,
    startWorker() {
      const process = runCli(['worker', '--concurrency', String(options.workerConcurrency)], {
        DATABASE_URL: options.databaseUrl,
        FLIGHTDECK_MASTER_KEY: masterKey,
        FLIGHTDECK_ALLOWED_PROVIDER_HOSTS: '127.0.0.1',
        FLIGHTDECK_QUEUE_HEARTBEAT_SECONDS: '10',
        FLIGHTDECK_QUEUE_MONITOR_SECONDS: '1',
        // Several workers share this machine: no metrics listener each.
        FLIGHTDECK_METRICS_PORT: '0',
        LOG_LEVEL: 'info',
      });
      const ready = /"nodeId":"([^"]+)"[^\n]*"msg":"workflow worker is ready"/;
      const nodeId = process.waitFor(ready, 60_000).then(() => {
        const match = ready.exec(process.output());
        if (!match?.[1]) throw new Error(`no node id in:\n${process.output()}`);
        return match[1];
      });
      nodeId.catch(() => {});
      const worker = { process, nodeId };
      workers.push(worker);
      return worker;
    },
    async startRun(tag) {
      const run = await flows.startRun(workflow.id, { input: { tag } });
      runIds.set(tag, run.id);
      return run.id;
    },
    runIdOf: (tag) => runIds.get(tag),
    async close() {
      for (const worker of workers) {
        if (worker.process.child.exitCode === null && worker.process.child.signalCode === null)
          worker.process.child.kill('SIGKILL');
        await worker.process.exited;
      }
      await testApp.close();
      await sql.end();
    },
  };
}

/** Polls until every run has completed; fails at once when one ends any other way. */
export async function waitForRuns(sql: pg.Pool, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await sql.query<{ status: string; count: number }>(
      'select status, count(*)::int as count from workflow_runs group by status',
    );
    if ((rows.find((row) => row.status === 'completed')?.count ?? 0) === count) return;
    const ended = rows.filter((row) => !['completed', 'queued', 'running'].includes(row.status));
    if (ended.length > 0) throw new Error(`runs ended otherwise: ${JSON.stringify(rows)}`);
    if (Date.now() > deadline) throw new Error(`runs not done in time: ${JSON.stringify(rows)}`);
    await sleep(200);
  }
}

export interface StepAudit {
  /** Everything that contradicts "each step committed once, from one completed execution". */
  problems: string[];
  /** Provider calls beyond the first, per `${runId}/${stepId}`. */
  repeatedCalls: Map<string, number>;
  /** Attempts per step and the times each was claimed, for recovery times. */
  starts: Array<{ runId: string; stepId: string; attempt: number; createdAt: Date }>;
  abandonedExecutions: number;
  /** Steps committed from an execution an earlier (cut) attempt finished: no second call made. */
  reusedExecutions: number;
}

export const stepKey = (runId: string, stepId: string) => `${runId}/${stepId}`;

/**
 * Reads back every step of the rig's runs with its events, executions and the provider calls made
 * for it, and lists what breaks the durability claims. `allowedRepeats` says how many repeated
 * calls (and extra attempts) a step may have: one per kill that cut it; `abandonedCodes` how an
 * execution nobody committed may have ended.
 */
export async function auditSteps(
  rig: DurabilityRig,
  fake: FakeProvider,
  runIds: string[],
  allowedRepeats: (key: string) => number,
  abandonedCodes: readonly string[] = ['interrupted'],
): Promise<StepAudit> {
  const { sql } = rig;
  const steps = (
    await sql.query<{
      runId: string;
      stepId: string;
      status: string;
      attempt: number;
      output: unknown;
      executionId: string | null;
    }>(
      `select run_id as "runId", step_id as "stepId", status, attempt, output, execution_id as "executionId"
         from workflow_step_runs where run_id = any($1)`,
      [runIds],
    )
  ).rows;
  const executions = (
    await sql.query<{
      id: string;
      runId: string;
      stepId: string;
      status: string;
      errorCode: string | null;
      output: unknown;
      key: string | null;
    }>(
      `select id, workflow_run_id as "runId", workflow_step_id as "stepId", status,
              error_code as "errorCode", output, idempotency_key as "key"
         from executions where workflow_run_id = any($1)`,
      [runIds],
    )
  ).rows;
  const events = (
    await sql.query<{ type: string; runId: string; stepId: string; attempt: number; createdAt: Date }>(
      `select type, run_id as "runId", step_id as "stepId", (data->>'attempt')::int as attempt,
              created_at as "createdAt"
         from workflow_run_events where type in ('step-start', 'step-end') and run_id = any($1)`,
      [runIds],
    )
  ).rows;
  const calls = new Map<string, number>();
  for (const call of fake.calls) {
    const match = /Run (\S+) step ([a-e]) after/.exec(JSON.stringify(call.body));
    const runId = match?.[1] ? rig.runIdOf(match[1]) : undefined;
    if (!match?.[2] || !runId) throw new Error(`a provider call no step owns: ${JSON.stringify(call.body)}`);
    const key = stepKey(runId, match[2]);
    calls.set(key, (calls.get(key) ?? 0) + 1);
  }

  const problems: string[] = [];
  let reusedExecutions = 0;
  const repeatedCalls = new Map<string, number>();
  if (steps.length !== runIds.length * stepIds.length) problems.push(`${steps.length} steps`);
  for (const step of steps) {
    const key = stepKey(step.runId, step.stepId);
    const allowed = allowedRepeats(key);
    const own = (rows: typeof events) =>
      rows.filter((row) => row.runId === step.runId && row.stepId === step.stepId);
    const ends = own(events.filter((row) => row.type === 'step-end'));
    const starts = own(events.filter((row) => row.type === 'step-start'));
    const stepExecutions = executions.filter((row) => row.runId === step.runId && row.stepId === step.stepId);
    const completed = stepExecutions.filter((row) => row.status === 'completed');
    const callCount = calls.get(key) ?? 0;
    if (step.status !== 'completed') problems.push(`${key}: ${step.status}`);
    // Committed once: one step-end, for the attempt the step is on.
    if (ends.length !== 1 || ends[0]?.attempt !== step.attempt)
      problems.push(`${key}: step-end ${JSON.stringify(ends)} for attempt ${step.attempt}`);
    // Each attempt claimed once, and only a cut attempt makes another one.
    if (starts.length !== step.attempt)
      problems.push(`${key}: ${starts.length} starts, attempt ${step.attempt}`);
    if (step.attempt > 1 + allowed) problems.push(`${key}: attempt ${step.attempt}, ${allowed} cut(s)`);
    // One completed execution, the one the step points at, with the step's output.
    if (completed.length !== 1 || completed[0]?.id !== step.executionId)
      problems.push(`${key}: completed ${completed.map((row) => row.id)} but step has ${step.executionId}`);
    else if (JSON.stringify(completed[0]?.output) !== JSON.stringify(step.output))
      problems.push(`${key}: output differs from its execution's`);
    else if (!completed[0]?.key?.endsWith(`:${step.attempt}`)) reusedExecutions++;
    // An abandoned attempt's execution does not stay `running`.
    for (const row of stepExecutions.filter((execution) => execution.status !== 'completed')) {
      if (row.status !== 'failed' || !abandonedCodes.includes(row.errorCode ?? ''))
        problems.push(`${key}: abandoned execution ${row.id} is ${row.status}/${row.errorCode}`);
    }
    if (callCount < 1) problems.push(`${key}: no provider call`);
    if (callCount > 1 + allowed) problems.push(`${key}: ${callCount} provider calls, ${allowed} cut(s)`);
    if (callCount > 1) repeatedCalls.set(key, callCount - 1);
  }
  return {
    problems,
    repeatedCalls,
    starts: events.filter((row) => row.type === 'step-start'),
    abandonedExecutions: executions.filter((row) => row.status !== 'completed').length,
    reusedExecutions,
  };
}
