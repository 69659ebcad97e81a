/**
 * Record and replay figures on the embedded store (PGlite), workers in process, against the fake
 * provider: the cost of recording an execution (zero-latency fake), a replayed execution against
 * a live one, and a 4-step diamond run live (150 ms per provider call) against its replay with the
 * provider stopped. Prints markdown; never fails on timing.
 *
 *   node bench/replay.ts        FLIGHTDECK_BENCH_EXECUTIONS=200 FLIGHTDECK_BENCH_RUNS=20 tune it.
 */
import { startFakeProvider } from '../src/llm/fake-provider/index.ts';
import { apiClient } from '../test/executions/execution-test-kit.ts';
import { createWorkspaceFixture } from '../test/support/identity-fixture.ts';
import { createTestApp } from '../test/support/test-app.ts';
import { workflowClient } from '../test/workflows/workflow-kit.ts';

const executions = Number(process.env.FLIGHTDECK_BENCH_EXECUTIONS ?? 200);
const runs = Number(process.env.FLIGHTDECK_BENCH_RUNS ?? 20);

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const timed = async (work: () => Promise<unknown>) => {
  const started = performance.now();
  await work();
  return performance.now() - started;
};

async function main() {
  const testApp = await createTestApp({ workflows: { workers: 4 } });
  const fake = await startFakeProvider();
  try {
    const fixture = await createWorkspaceFixture(testApp.services, 'bench-replay');
    const api = apiClient(testApp, fixture);
    const flows = workflowClient(testApp.app, fixture);
    await api.addFakeKey(fake);
    const verdict = {
      type: 'object',
      properties: { verdict: { type: 'string' }, total: { type: 'integer' } },
      required: ['verdict', 'total'],
      additionalProperties: false,
    };
    const quick = await api.createAgent({
      name: 'Quick',
      provider: 'openai',
      model: 'gpt-4o-mini',
      promptTemplate: 'Judge {{ input.repo }}',
      outputSchema: verdict,
    });
    const execute = async (body: Record<string, unknown>) => {
      const response = await api.post(`/agents/${quick.id}/executions`, body);
      if (response.statusCode !== 201) throw new Error(response.body);
      return response.json() as { id: string };
    };
    // Warm up every path once.
    const warm = await execute({ input: { repo: 'warm' }, record: true });
    await execute({ input: { repo: 'warm' } });
    await execute({ mode: 'replay', replayOf: warm.id });

    const plain: number[] = [];
    const recorded: number[] = [];
    const replayed: number[] = [];
    let last = warm;
    for (let index = 0; index < executions; index++) {
      plain.push(await timed(() => execute({ input: { repo: `r${index}` } })));
      recorded.push(
        await timed(async () => {
          last = await execute({ input: { repo: `r${index}` }, record: true });
        }),
      );
      replayed.push(await timed(() => execute({ mode: 'replay', replayOf: last.id })));
    }
    const rows = await testApp.services.repositories.recordedExchanges.listOfExecution(
      fixture.workspaceId,
      last.id,
    );
    const bytes = JSON.stringify(rows.map((row) => [row.request, row.response])).length;

    // A diamond whose provider calls take 150 ms each at the fake.
    const slow = (name: string, template: string) =>
      api.createAgent({
        name,
        provider: 'openai',
        model: 'fault:hang;ms=150',
        promptTemplate: template,
        outputSchema: verdict,
      });
    const scan = await slow('Scan', 'Scan {{ input.repo }}');
    const left = await slow('Left', 'Left {{ input.total }}');
    const right = await slow('Right', 'Right {{ input.total }}');
    const workflow = await flows.createWorkflow({
      name: 'Bench diamond',
      steps: [
        { id: 'scan', agent: scan.slug, input: { repo: '{{ run.input.repo }}' } },
        { id: 'left', agent: left.slug, input: { total: '{{ scan.output.total }}' } },
        { id: 'right', agent: right.slug, input: { total: '{{ scan.output.total }}' } },
        {
          id: 'join',
          agent: scan.slug,
          input: { repo: '{{ left.output.verdict }} {{ right.output.verdict }}' },
        },
      ],
    });
    const runOnce = async (body: Record<string, unknown>) => {
      const run = await flows.waitForRun((await flows.startRun(workflow.id, body)).id, undefined, 60_000);
      if (run.status !== 'completed') throw new Error(JSON.stringify(run));
      return run;
    };
    const liveRuns: number[] = [];
    let recordedRun = await runOnce({ input: { repo: 'bench' }, record: true });
    for (let index = 0; index < runs; index++) {
      liveRuns.push(
        await timed(async () => {
          recordedRun = await runOnce({ input: { repo: 'bench' }, record: true });
        }),
      );
    }
    await fake.close();
    const replayRuns: number[] = [];
    for (let index = 0; index < runs; index++)
      replayRuns.push(await timed(() => runOnce({ mode: 'replay', replayOf: recordedRun.id })));

    const row = (label: string, values: number[]) =>
      `| ${label} | ${values.length} | ${percentile(values, 50).toFixed(1)} | ${percentile(values, 99).toFixed(1)} |`;
    console.log('| figure (PGlite, in process, API through inject) | n | p50 ms | p99 ms |');
    console.log('|---|---|---|---|');
    console.log(row('live execution, zero-latency fake, not recorded', plain));
    console.log(row('live execution, zero-latency fake, recorded', recorded));
    console.log(row('replayed execution', replayed));
    console.log(row('4-step diamond, live and recorded, 150 ms per provider call', liveRuns));
    console.log(row('4-step diamond replayed, provider stopped', replayRuns));
    console.log(
      `\nrecording of one structured execution: ${rows.length} exchange(s), ${bytes} bytes of request and response JSON`,
    );
  } finally {
    await testApp.close();
    await fake.close().catch(() => undefined);
  }
}

await main();
