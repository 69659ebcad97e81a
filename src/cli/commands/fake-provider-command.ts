import { startFakeProvider } from '../../llm/fake-provider/index.ts';

/** `flightdeck fake-provider`: an offline OpenAI/Anthropic-compatible server for demos and CI. */
export async function fakeProviderCommand(options: {
  port: string;
  host: string;
  apiKey?: string;
}): Promise<void> {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error('--port must be a whole number from 0 to 65535');
  }
  const server = await startFakeProvider({ port, host: options.host, apiKey: options.apiKey });
  process.stdout.write(
    `Fake provider listening on ${server.url}\n` +
      `  OpenAI-compatible base URL: ${server.url}/v1\n` +
      `  Anthropic base URL:         ${server.url}/v1\n` +
      `  Faults per request: header "x-fake-fault: rate_limit;retryAfterSeconds=1" (see docs/llm.md)\n`,
  );
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}
