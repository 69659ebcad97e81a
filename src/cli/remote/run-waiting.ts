import type { FlightdeckClient } from './flightdeck-client.ts';

/** The parts of a run the CLI reads. */
export interface RunLike {
  id: string;
  status: string;
  costUsd?: number;
  error?: unknown;
  steps?: Array<Record<string, unknown>>;
}

const ended = new Set(['completed', 'failed', 'cancelled']);

/** Polls a run until it ends, saying on stderr when its status changes (and which approvals it waits for). */
export async function waitForRun(
  api: FlightdeckClient,
  runId: string,
  say: (message: string) => void,
  pollMs = 500,
): Promise<RunLike> {
  let last = '';
  for (;;) {
    const run = await api.inWorkspace<RunLike>('GET', `/runs/${encodeURIComponent(runId)}`);
    if (run.status !== last) {
      last = run.status;
      if (run.status === 'waiting_approval') {
        const pending = await api.inWorkspace<{ items: Array<{ id: string; stepId: string }> }>(
          'GET',
          `/approvals?status=pending&runId=${encodeURIComponent(runId)}`,
        );
        const list = pending.items.map(
          (approval) => `${approval.stepId} (flightdeck approvals approve ${approval.id})`,
        );
        say(`run ${runId}: waiting for approval: ${list.join(', ')}`);
      } else {
        say(`run ${runId}: ${run.status}`);
      }
    }
    if (ended.has(run.status)) return run;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Follows the run's event stream until `run-end`. */
export async function watchRun(
  api: FlightdeckClient,
  runId: string,
  onEvent: (event: { type: string; stepId: string | null; data: unknown }) => void,
): Promise<void> {
  for await (const message of api.events(`/runs/${encodeURIComponent(runId)}/events`)) {
    const event = message.data as { type: string; stepId: string | null; data: unknown };
    onEvent(event);
    if (event.type === 'run-end') return;
  }
}
