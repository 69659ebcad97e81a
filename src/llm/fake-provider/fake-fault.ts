/** A failure the fake provider can play for one request. */
export type FakeFault =
  | { fault: 'none' }
  | { fault: 'rate_limit'; retryAfterSeconds?: number; retryAfterMs?: number }
  | { fault: 'server_error' }
  | { fault: 'unavailable'; retryAfterSeconds?: number }
  | { fault: 'unauthorized' }
  | { fault: 'bad_request' }
  | { fault: 'content_filter' }
  /** Never answers; the client's timeout (or abort) ends the request. `ms` answers normally after that long. */
  | { fault: 'hang'; ms?: number }
  | { fault: 'reset' }
  | { fault: 'malformed_json' }
  /**
   * Answers a streaming request as if it had not asked to stream: 200, `application/json` and a
   * truncated body (a misconfigured proxy or base URL does this). A JSON request gets the same cut body.
   */
  | { fault: 'json_for_stream' }
  /** Streams `afterChunks` chunks (default 2), then destroys the socket; a JSON answer is cut mid-body. */
  | { fault: 'stream_cut'; afterChunks?: number };

export type FakeFaultName = FakeFault['fault'];

const faultNames: readonly FakeFaultName[] = [
  'none',
  'rate_limit',
  'server_error',
  'unavailable',
  'unauthorized',
  'bad_request',
  'content_filter',
  'hang',
  'reset',
  'malformed_json',
  'json_for_stream',
  'stream_cut',
];

/**
 * Parses the text form used by the `x-fake-fault` header and `fault:` model names:
 * `name[;key=value…]`, e.g. `rate_limit;retry-after=1`, `hang;ms=500`, `stream_cut;after-chunks=3`.
 * Undefined when the name is unknown.
 */
export function parseFakeFault(text: string): FakeFault | undefined {
  const [rawName, ...parameters] = text.split(';').map((part) => part.trim());
  const name = (rawName ?? '').replace(/-/g, '_') as FakeFaultName;
  if (!faultNames.includes(name)) return undefined;
  const values: Record<string, number> = {};
  for (const parameter of parameters) {
    const [key, value] = parameter.split('=').map((part) => part.trim());
    const number = Number(value);
    if (key && Number.isFinite(number)) values[key.toLowerCase()] = number;
  }
  switch (name) {
    case 'rate_limit':
      return {
        fault: name,
        retryAfterSeconds: values['retry-after'],
        retryAfterMs: values['retry-after-ms'],
      };
    case 'unavailable':
      return { fault: name, retryAfterSeconds: values['retry-after'] };
    case 'hang':
      return { fault: name, ms: values.ms };
    case 'stream_cut':
      return { fault: name, afterChunks: values['after-chunks'] };
    default:
      return { fault: name } as FakeFault;
  }
}
