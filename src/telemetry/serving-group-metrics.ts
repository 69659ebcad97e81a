import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

/**
 * `/metrics` when `flightdeck serve` runs several processes on one port (FLIGHTDECK_PROCESSES).
 * A scrape reaches whichever process accepted the connection, so that process asks the primary,
 * which collects every process's registries over prom-client's cluster messages and answers the
 * group's figures: counters and histograms summed, gauges by their own aggregator (database
 * state and circuit breakers take the max, the build info the first).
 */
const requestType = 'flightdeck:metrics-request';
const answerType = 'flightdeck:metrics-answer';
const answerTimeoutMs = 6_000;

interface MetricsAnswer {
  type: typeof answerType;
  id: number;
  text?: string;
  error?: string;
}

/** True in a process the serving primary forked; its metrics are the group's. */
export const inServingGroup = (): boolean => cluster.isWorker;

/** In a serving process: the registries the primary collects from it. */
export function shareRegistries(registries: Registry[]): void {
  // Constructing one is what makes prom-client answer the primary's collection in this process.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries(registries);
}

let nextId = 0;

/** In a serving process: the exposition text of the whole group, asked of the primary. */
export function groupMetricsText(): Promise<string> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error('the serving primary did not answer the metrics request'));
    }, answerTimeoutMs);
    function onMessage(message: unknown) {
      const answer = message as Partial<MetricsAnswer> | null;
      if (answer?.type !== answerType || answer.id !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      if (answer.text !== undefined) resolve(answer.text);
      else reject(new Error(answer.error ?? 'the serving primary could not collect metrics'));
    }
    process.on('message', onMessage);
    process.send?.({ type: requestType, id });
  });
}

/** In the serving primary: answers every process's metrics request with the group's figures. */
export function answerGroupMetricsRequests(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: { type?: unknown; id?: unknown } | null) => {
    if (message?.type !== requestType || typeof message.id !== 'number') return;
    const id = message.id;
    aggregator.clusterMetrics().then(
      (text) => worker.isConnected() && worker.send({ type: answerType, id, text } satisfies MetricsAnswer),
      (error: unknown) =>
        worker.isConnected() &&
        worker.send({ type: answerType, id, error: String(error) } satisfies MetricsAnswer),
    );
  });
}
