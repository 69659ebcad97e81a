/**
 * The LLM layer's added time per call: the AI SDK calling the fake provider directly, against our
 * model caller (retry loop, attempt timeout, breaker, attempt records) making the same call through
 * the same SDK. Prints a markdown table; never fails on timing.
 *
 *   node bench/llm-overhead.ts [callsPerRun]
 */
import { createOpenAI } from '@ai-sdk/openai';
import { generateText } from 'ai';
import { createOpenAiProvider } from '../src/llm/create-openai-provider.ts';
import { startFakeProvider } from '../src/llm/fake-provider/index.ts';
import { createModelCaller } from '../src/llm/model-caller.ts';

const callsPerRun = Number(process.argv[2] ?? 3_000);
const rounds = 3;
const model = 'gpt-4o-mini';
const system = 'You are a concise assistant.';
const messages = [
  { role: 'user' as const, content: 'Summarise the benefits of circuit breakers in two sentences.' },
];

const fake = await startFakeProvider();
const baseURL = `${fake.url}/v1`;
const openai = createOpenAI({ apiKey: 'sk-bench', baseURL });
const caller = createModelCaller();
const provider = createOpenAiProvider({ apiKey: 'sk-bench', baseUrl: baseURL });

const direct = async () => {
  await generateText({ model: openai.chat(model), system, messages, maxRetries: 0 });
};
const layered = async () => {
  await caller.generate({ workspaceId: 'bench', targets: [{ provider, model }], system, messages });
};

async function measure(call: () => Promise<void>, concurrency: number, count: number): Promise<number[]> {
  const durations: number[] = [];
  let started = 0;
  const worker = async () => {
    while (started < count) {
      started++;
      const begin = performance.now();
      await call();
      durations.push(performance.now() - begin);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return durations;
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

const rows: string[] = [];
for (const concurrency of [1, 16]) {
  await measure(direct, concurrency, 300);
  await measure(layered, concurrency, 300);
  const directDurations: number[] = [];
  const layeredDurations: number[] = [];
  // Alternating rounds spread drift (GC, JIT, CPU frequency) over both sides.
  for (let round = 0; round < rounds; round++) {
    directDurations.push(...(await measure(direct, concurrency, callsPerRun)));
    layeredDurations.push(...(await measure(layered, concurrency, callsPerRun)));
  }
  const format = (value: number) => value.toFixed(3);
  const directP50 = percentile(directDurations, 0.5);
  const directP99 = percentile(directDurations, 0.99);
  const layeredP50 = percentile(layeredDurations, 0.5);
  const layeredP99 = percentile(layeredDurations, 0.99);
  rows.push(
    `| ${concurrency} | ${format(directP50)} | ${format(layeredP50)} | **${format(layeredP50 - directP50)}** | ${format(directP99)} | ${format(layeredP99)} | **${format(layeredP99 - directP99)}** |`,
  );
}
await fake.close();

console.log(
  `LLM layer overhead, ${rounds * callsPerRun} calls per cell, fake provider on loopback, Node ${process.version}\n`,
);
console.log(
  '| concurrency | SDK direct p50 (ms) | our layer p50 (ms) | added p50 (ms) | SDK direct p99 (ms) | our layer p99 (ms) | added p99 (ms) |',
);
console.log('|---|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
console.log('\nTarget: added p50 ≤ 0.3 ms, added p99 ≤ 1 ms.');
