/**
 * CPU per provider call, by layer, against the fake provider in its own process (so its CPU is not
 * counted): the AI SDK's generateText over Node's fetch (our adapter before), the provider's model
 * called through the specification (`doGenerate`) over Node's fetch and over our node:http fetch,
 * our OpenAI adapter as shipped (answers and streams), and the floor — a bare node:http POST and JSON.parse.
 * 16 calls in flight; CPU from process.cpuUsage(). Prints a markdown table; never fails on timing.
 *
 *   node bench/llm-transport.ts [callsPerRun]
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText } from 'ai';
import { createOpenAiProvider } from '../src/llm/create-openai-provider.ts';
import { providerHttpFetch } from '../src/llm/http-fetch.ts';

const callsPerRun = Number(process.argv[2] ?? 4_000);
const concurrency = 16;
const fakeModule = new URL('../src/llm/fake-provider/index.ts', import.meta.url).href;
const script = `import { startFakeProvider } from ${JSON.stringify(fakeModule)};
const fake = await startFakeProvider({ text: 'Breakers stop cascades. They recover on their own.' });
console.log('fake at ' + fake.url);`;
const fakeProcess = spawn(process.execPath, ['--input-type=module', '-e', script], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const fakeUrl = await new Promise<string>((resolve) => {
  fakeProcess.stdout.on('data', (chunk: Buffer) => {
    const match = /fake at (\S+)/.exec(String(chunk));
    if (match?.[1]) resolve(match[1]);
  });
});
const baseURL = `${fakeUrl}/v1`;
const text = 'Summarise the benefits of circuit breakers in two sentences.';
const messages = [{ role: 'user' as const, content: text }];
const specificationPrompt = [{ role: 'user' as const, content: [{ type: 'text' as const, text }] }];
const nodeFetchModel = createOpenAI({ apiKey: 'sk-bench', baseURL }).chat('gpt-4o-mini');
const httpFetchModel = createOpenAI({ apiKey: 'sk-bench', baseURL, fetch: providerHttpFetch }).chat(
  'gpt-4o-mini',
);
const adapter = createOpenAiProvider({ apiKey: 'sk-bench', baseUrl: baseURL });
const agent = new http.Agent({ keepAlive: true });
const rawBody = JSON.stringify({ model: 'gpt-4o-mini', messages, max_tokens: 200 });

const variants: Array<[string, () => PromiseLike<unknown>]> = [
  [
    'generateText, Node fetch (the adapter before)',
    () => generateText({ model: nodeFetchModel, messages, maxOutputTokens: 200, maxRetries: 0 }),
  ],
  [
    'doGenerate, Node fetch',
    () => nodeFetchModel.doGenerate({ prompt: specificationPrompt, maxOutputTokens: 200 }),
  ],
  [
    'doGenerate, node:http fetch',
    () => httpFetchModel.doGenerate({ prompt: specificationPrompt, maxOutputTokens: 200 }),
  ],
  [
    'our OpenAI adapter, as shipped',
    () => adapter.generate({ model: 'gpt-4o-mini', messages, maxOutputTokens: 200 }),
  ],
  [
    'streamed: streamText, Node fetch (the adapter before)',
    async () => {
      const result = streamText({ model: nodeFetchModel, messages, maxOutputTokens: 200, maxRetries: 0 });
      for await (const _part of result.fullStream);
    },
  ],
  [
    'streamed: our OpenAI adapter, as shipped',
    async () => {
      for await (const _event of adapter.stream({ model: 'gpt-4o-mini', messages, maxOutputTokens: 200 }));
    },
  ],
  [
    'floor: node:http POST and JSON.parse',
    () =>
      new Promise((resolve, reject) => {
        const request = http.request(`${baseURL}/chat/completions`, {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(rawBody) },
        });
        request.on('response', (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => {
            body += chunk;
          });
          response.on('end', () => resolve(JSON.parse(body)));
        });
        request.on('error', reject);
        request.end(rawBody);
      }),
  ],
];

async function measure(run: () => PromiseLike<unknown>): Promise<{ perSecond: number; cpuMicros: number }> {
  let next = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < callsPerRun) await run();
    }),
  );
  const cpu = process.cpuUsage(cpuBefore);
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: callsPerRun / seconds, cpuMicros: (cpu.user + cpu.system) / callsPerRun };
}

// One warm-up round, then the measured round.
const rows: string[] = [];
for (const [, run] of variants) await measure(run);
for (const [name, run] of variants) {
  const { perSecond, cpuMicros } = await measure(run);
  rows.push(`| ${name} | ${Math.round(perSecond)} | ${Math.round(cpuMicros)} |`);
}
fakeProcess.kill();
agent.destroy();

console.log(
  `### CPU per provider call, ${callsPerRun} calls, ${concurrency} in flight, Node ${process.version}\n`,
);
console.log('| path | calls/s | CPU per call (µs) |');
console.log('|---|---|---|');
for (const row of rows) console.log(row);
process.exit(0);
