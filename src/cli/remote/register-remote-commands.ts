import type { Command } from 'commander';
import { CliError, exitCodes, usageError } from './cli-exit.ts';
import { printJson, printTable, progress } from './cli-output.ts';
import { loadProfile, saveProfile } from './cli-profile.ts';
import { readDefinitionFiles, toDefinitionFile } from './definition-files.ts';
import { ApiError, createFlightdeckClient, type FlightdeckClient } from './flightdeck-client.ts';
import { readInputOption } from './read-input.ts';
import { type RunLike, waitForRun, watchRun } from './run-waiting.ts';

const client = async () => createFlightdeckClient(await loadProfile());
const terminal = new Set(['completed', 'failed', 'cancelled']);

/** The commands that talk to a server over its HTTP API (for people and for CI). */
export function registerRemoteCommands(program: Command): void {
  program
    .command('login')
    .description('Save the server URL and an API token (to a 0600 profile file) for the commands below')
    .requiredOption('--url <url>', 'the server, e.g. https://flightdeck.example.com')
    .requiredOption('--token <token>', 'an API token (fd_…) from Settings → API tokens')
    .action(async (options: { url: string; token: string }) => {
      const profile = { url: options.url.replace(/\/+$/, ''), token: options.token };
      const workspaceId = await createFlightdeckClient(profile).workspace();
      const path = await saveProfile(profile);
      progress(`Logged in to ${profile.url} (workspace ${workspaceId}); profile saved to ${path}.`);
    });

  const agents = program.command('agents').description('Agents on the server');
  agents
    .command('list')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const page = await (await client()).inWorkspace<{ items: Array<Record<string, unknown>> }>(
        'GET',
        '/agents?limit=200',
      );
      if (options.json) printJson(page.items);
      else printTable(page.items, ['slug', 'name', 'provider', 'model', 'version']);
    });
  agents
    .command('get <agent>')
    .option('--json', 'print JSON')
    .action(async (reference: string, options: { json?: boolean }) => {
      const agent = await (await client()).inWorkspace<Record<string, unknown>>(
        'GET',
        `/agents/${encodeURIComponent(reference)}`,
      );
      process.stdout.write(
        options.json ? `${JSON.stringify(agent, null, 2)}\n` : toDefinitionFile('agent', agent, 'yaml'),
      );
    });
  agents
    .command('run <agent>')
    .description('Run an agent once; exit code 1 when the execution fails')
    .option('--input <json|@file>', 'the input: JSON, or @file.json / @file.yaml')
    .option('--mode <mode>', 'live or mock', 'live')
    .option('--record', 'record the provider exchanges so the execution can be replayed')
    .option('--replay <executionId>', 'answer from a recorded execution: no provider call, no cost')
    .option('--json', 'print the execution as JSON')
    .action(async (reference: string, options: RunOptions) => {
      const mode = options.replay === undefined ? modeOf(options.mode) : 'replay';
      // A replay without --input replays the recorded input.
      const input =
        options.replay !== undefined && options.input === undefined
          ? undefined
          : await readInputOption(options.input);
      const api = await client();
      let execution: Record<string, unknown>;
      try {
        execution = await api.inWorkspace('POST', `/agents/${encodeURIComponent(reference)}/executions`, {
          input,
          mode,
          ...recordReplayBody(options),
        });
      } catch (error) {
        // A failed execution answers with its record's id: that is a failed run, not a usage error.
        const executionId =
          error instanceof ApiError
            ? (error.details as { executionId?: string } | null)?.executionId
            : undefined;
        if (!executionId) throw error;
        execution = await api.inWorkspace('GET', `/executions/${executionId}`);
      }
      if (options.json) printJson(execution);
      else
        process.stdout.write(
          `${typeof execution.output === 'string' ? execution.output : JSON.stringify(execution.output, null, 2)}\n`,
        );
      if (execution.status !== 'completed') {
        throw new CliError(`The execution failed: ${JSON.stringify(execution.error)}`, exitCodes.runFailed);
      }
    });

  const workflows = program.command('workflows').description('Workflows on the server');
  workflows
    .command('list')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const page = await (await client()).inWorkspace<{ items: Array<Record<string, unknown>> }>(
        'GET',
        '/workflows?limit=200',
      );
      if (options.json) printJson(page.items);
      else
        printTable(
          page.items.map((item) => ({ ...item, steps: (item.steps as unknown[]).length })),
          ['slug', 'name', 'version', 'steps'],
        );
    });
  workflows
    .command('get <workflow>')
    .option('--json', 'print JSON')
    .action(async (reference: string, options: { json?: boolean }) => {
      const workflow = await (await client()).inWorkspace<Record<string, unknown>>(
        'GET',
        `/workflows/${encodeURIComponent(reference)}`,
      );
      if (options.json) printJson(workflow);
      else process.stdout.write(toDefinitionFile('workflow', workflow, 'yaml'));
    });
  workflows
    .command('export <workflow>')
    .description('Print the workflow as a definition file that `flightdeck apply` takes back')
    .option('--format <format>', 'yaml or json', 'yaml')
    .action(async (reference: string, options: { format: string }) => {
      if (options.format !== 'yaml' && options.format !== 'json')
        throw usageError('--format is yaml or json.');
      const workflow = await (await client()).inWorkspace<Record<string, unknown>>(
        'GET',
        `/workflows/${encodeURIComponent(reference)}`,
      );
      process.stdout.write(toDefinitionFile('workflow', workflow, options.format));
    });
  workflows
    .command('run <workflow>')
    .description('Start a run; with --wait, follow it to the end (exit code 1 unless it completed)')
    .option('--input <json|@file>', 'the run input: JSON, or @file.json / @file.yaml')
    .option('--mode <mode>', 'live or mock', 'live')
    .option('--record', 'record every agent step so the run can be replayed')
    .option('--replay <runId>', 'answer every agent step from a recorded run: no provider call, no cost')
    .option('--wait', 'wait for the run to end')
    .option('--json', 'print the run as JSON')
    .action(async (reference: string, options: RunOptions & { wait?: boolean }) => {
      const api = await client();
      // A replay without --input replays the recorded run's input.
      const input =
        options.replay !== undefined && options.input === undefined
          ? undefined
          : await readInputOption(options.input);
      let run = await api.inWorkspace<RunLike>('POST', `/workflows/${encodeURIComponent(reference)}/runs`, {
        input,
        mode: options.replay === undefined ? modeOf(options.mode) : 'replay',
        ...recordReplayBody(options),
      });
      if (options.wait) run = await waitForRun(api, run.id, progress);
      reportRun(run, options.json, options.wait === true);
    });

  registerRunCommands(program);
  registerApprovalCommands(program);

  program
    .command('apply')
    .description(
      'Create or update agents and workflows from YAML/JSON files (idempotent); prints what changed',
    )
    .requiredOption('-f, --file <path>', 'a file or a folder of *.yaml, *.yml, *.json definitions')
    .option('--json', 'print the changes as JSON')
    .option('--draft', 'save agent changes as drafts instead of publishing them')
    .action(async (options: { file: string; json?: boolean; draft?: boolean }) => {
      const documents = await readDefinitionFiles(options.file);
      const api = await client();
      // Agents first: workflow steps name agents by slug, also ones defined in the same files.
      const ordered = [
        ...documents.filter((d) => d.kind === 'agent'),
        ...documents.filter((d) => d.kind === 'workflow'),
      ];
      const changes: Array<{ kind: string; slug: string; change: string; version: number; source: string }> =
        [];
      for (const document of ordered) {
        const collection = document.kind === 'agent' ? 'agents' : 'workflows';
        const path = `/${collection}/${encodeURIComponent(document.slug)}`;
        type Saved = { version: number; publishedVersion?: number | null };
        const existing = await api.inWorkspace<Saved>('GET', path).catch((error: unknown) => {
          if (error instanceof ApiError && error.status === 404) return null;
          throw error;
        });
        // What CI applies is what callers run: agents are published unless --draft.
        const body =
          document.kind === 'agent' ? { ...document.body, publish: !options.draft } : document.body;
        const saved = existing
          ? await api.inWorkspace<Saved>('PATCH', path, body)
          : await api.inWorkspace<Saved>('POST', `/${collection}`, body);
        const change = !existing
          ? 'created'
          : saved.version !== existing.version
            ? 'updated'
            : saved.publishedVersion !== existing.publishedVersion
              ? 'published'
              : 'unchanged';
        changes.push({
          kind: document.kind,
          slug: document.slug,
          change,
          version: saved.version,
          source: document.source,
        });
      }
      if (options.json) printJson(changes);
      else printTable(changes, ['kind', 'slug', 'change', 'version', 'source']);
    });
}

function registerRunCommands(program: Command): void {
  const runs = program.command('runs').description('Workflow runs');
  runs
    .command('list')
    .option('--workflow <workflow>', 'only this workflow (id or slug)')
    .option('--status <status>', 'only runs in this status')
    .option('--json', 'print JSON')
    .action(async (options: { workflow?: string; status?: string; json?: boolean }) => {
      const query = new URLSearchParams({ limit: '50' });
      if (options.workflow) query.set('workflowId', options.workflow);
      if (options.status) query.set('status', options.status);
      const page = await (await client()).inWorkspace<{ items: Array<Record<string, unknown>> }>(
        'GET',
        `/runs?${query}`,
      );
      if (options.json) printJson(page.items);
      else printTable(page.items, ['id', 'workflowId', 'status', 'mode', 'trigger', 'costUsd', 'createdAt']);
    });
  runs
    .command('get <runId>')
    .option('--json', 'print JSON')
    .action(async (runId: string, options: { json?: boolean }) => {
      const run = await (await client()).inWorkspace<RunLike>('GET', `/runs/${encodeURIComponent(runId)}`);
      reportRun(run, options.json, false);
    });
  runs
    .command('watch <runId>')
    .description('Follow a run event by event until it ends (exit code 1 unless it completed)')
    .option('--json', 'print the final run as JSON')
    .action(async (runId: string, options: { json?: boolean }) => {
      const api = await client();
      await watchRun(api, runId, (event) =>
        progress(`${event.type}${event.stepId ? ` ${event.stepId}` : ''} ${JSON.stringify(event.data)}`),
      );
      reportRun(
        await api.inWorkspace<RunLike>('GET', `/runs/${encodeURIComponent(runId)}`),
        options.json,
        true,
      );
    });
  for (const action of ['cancel', 'retry'] as const) {
    runs
      .command(`${action} <runId>`)
      .option('--json', 'print JSON')
      .action(async (runId: string, options: { json?: boolean }) => {
        const run = await (await client()).inWorkspace<RunLike>(
          'POST',
          `/runs/${encodeURIComponent(runId)}/${action}`,
        );
        reportRun(run, options.json, false);
      });
  }
}

function registerApprovalCommands(program: Command): void {
  const approvals = program.command('approvals').description('The approvals inbox');
  approvals
    .command('list')
    .option('--status <status>', 'pending (default), approved, rejected, revision_requested', 'pending')
    .option('--run <runId>', 'only this run')
    .option('--json', 'print JSON')
    .action(async (options: { status: string; run?: string; json?: boolean }) => {
      const query = new URLSearchParams({ status: options.status, limit: '100' });
      if (options.run) query.set('runId', options.run);
      const page = await (await client()).inWorkspace<{ items: Array<Record<string, unknown>> }>(
        'GET',
        `/approvals?${query}`,
      );
      if (options.json) printJson(page.items);
      else printTable(page.items, ['id', 'runId', 'stepId', 'reason', 'status', 'createdAt']);
    });
  approvals
    .command('approve <approvalId>')
    .option('--comment <text>', 'a comment for the record')
    .option('--output <json|@file>', 'an edited output that replaces the proposed one')
    .option('--json', 'print JSON')
    .action(async (approvalId: string, options: { comment?: string; output?: string; json?: boolean }) => {
      const body: Record<string, unknown> = {};
      if (options.comment !== undefined) body.comment = options.comment;
      if (options.output !== undefined) body.output = await readInputOption(options.output);
      await decide(await client(), approvalId, 'approve', body, options.json);
    });
  for (const [name, route] of [
    ['reject', 'reject'],
    ['revise', 'request-revision'],
  ] as const) {
    approvals
      .command(`${name} <approvalId>`)
      .requiredOption('--feedback <text>', name === 'reject' ? 'why it is rejected' : 'what to change')
      .option('--json', 'print JSON')
      .action(async (approvalId: string, options: { feedback: string; json?: boolean }) => {
        await decide(await client(), approvalId, route, { feedback: options.feedback }, options.json);
      });
  }
}

async function decide(
  api: FlightdeckClient,
  approvalId: string,
  route: string,
  body: unknown,
  json?: boolean,
) {
  const decided = await api.inWorkspace<Record<string, unknown>>(
    'POST',
    `/approvals/${encodeURIComponent(approvalId)}/${route}`,
    body,
  );
  if (json) printJson(decided);
  else progress(`Approval ${approvalId}: ${decided.status}.`);
}

interface RunOptions {
  input?: string;
  mode: string;
  record?: boolean;
  replay?: string;
  json?: boolean;
}

/** `--record` and `--replay` as the API reads them; both at once is a usage error. */
function recordReplayBody(options: RunOptions): { record?: true; replayOf?: string } {
  if (options.record && options.replay !== undefined)
    throw usageError('--record and --replay exclude each other: a replay is not recorded again.');
  if (options.replay !== undefined) return { replayOf: options.replay };
  return options.record ? { record: true } : {};
}

function modeOf(mode: string): 'live' | 'mock' {
  if (mode !== 'live' && mode !== 'mock') throw usageError('--mode is live or mock.');
  return mode;
}

/** Prints a run; a run that ended in anything but `completed` (when waited for) exits 1. */
function reportRun(run: RunLike, json: boolean | undefined, waited: boolean): void {
  if (json) printJson(run);
  else {
    process.stdout.write(`run ${run.id}: ${run.status} ($${run.costUsd ?? 0})\n`);
    printTable(run.steps ?? [], ['stepId', 'status', 'attempts', 'costUsd', 'error']);
  }
  if (waited && terminal.has(run.status) && run.status !== 'completed') {
    throw new CliError(`The run ${run.status}: ${JSON.stringify(run.error)}`, exitCodes.runFailed);
  }
}
