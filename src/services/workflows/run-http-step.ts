import { type ErrorKind, FlightdeckError } from '../../core/errors.ts';

/** An http step's request after the engine rendered its templates (secrets included). */
export interface HttpStepRequest {
  url: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers: Record<string, string>;
  body: unknown;
}

export interface HttpStepResult {
  output: unknown;
  statusCode: number;
  latencyMs: number;
}

/** Answers larger than this are refused: a step output is stored and shown, not streamed. */
export const maxHttpStepResponseBytes = 1024 * 1024;
const excerptLength = 200;
const secretPlaceholder = '[secret]';

/**
 * Sends the request through the injected (SSRF-guarded) fetch with a timeout; a JSON answer becomes
 * the output, other text answers become `{ status, text }`. Every failure is a FlightdeckError with
 * a stable `http_step_*` code whose message and details have each secret value replaced by `[secret]`,
 * and so does the output.
 */
export async function runHttpStep(input: {
  request: HttpStepRequest;
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
  abortSignal?: AbortSignal;
  secretValues: readonly string[];
}): Promise<HttpStepResult> {
  const { request, timeoutMs, abortSignal } = input;
  const scrub = (text: string) => scrubSecrets(text, input.secretValues);
  const target = `${request.method} ${scrub(request.url)}`;
  const init = buildRequestInit(request, scrub);
  if (abortSignal?.aborted) throw cancelledError(target);
  const timeoutSignal = AbortSignal.timeout(timeoutMs);
  const signal = abortSignal ? AbortSignal.any([abortSignal, timeoutSignal]) : timeoutSignal;

  // Whatever went wrong, an abort says why better than the error it caused.
  const failure = (error: unknown, whileReading: boolean): FlightdeckError => {
    if (abortSignal?.aborted) return cancelledError(target);
    if (timeoutSignal.aborted) {
      return stepError('http_step_timeout', 'timeout', `${target} did not answer within ${timeoutMs} ms.`, {
        timeoutMs,
      });
    }
    if (FlightdeckError.isInstance(error)) {
      if (error.code === 'provider_url_refused') {
        const reason = /is refused: (.*?)\.?$/s.exec(error.message)?.[1] ?? error.message;
        return stepError('http_step_blocked', 'invalid', `${target} is refused: ${scrub(reason)}.`, {
          url: scrub(request.url),
        });
      }
      if (error.code.startsWith('http_step_')) return error;
    }
    const reason = connectionReason(error);
    return stepError(
      'http_step_unreachable',
      'unavailable',
      whileReading
        ? `The connection to ${target} broke off while reading the answer (${scrub(reason)}).`
        : `${target} could not be reached (${scrub(reason)}).`,
      { reason: scrub(reason) },
    );
  };

  const started = performance.now();
  let response: Response;
  try {
    response = await input.fetch(request.url, { ...init, signal });
  } catch (error) {
    throw failure(error, false);
  }
  let text: string;
  try {
    text = await readCappedText(response, target);
  } catch (error) {
    throw failure(error, true);
  }
  const latencyMs = Math.round(performance.now() - started);

  if (response.status < 200 || response.status >= 300) {
    const excerpt = scrub(text).slice(0, excerptLength).trim();
    throw stepError(
      'http_step_failed',
      'bad_gateway',
      `${target} answered ${response.status}${excerpt ? `: ${excerpt}` : ' with no body'}.`,
      { statusCode: response.status },
    );
  }
  return {
    output: scrubValue(parseAnswer(response, text), scrub),
    statusCode: response.status,
    latencyMs,
  };
}

/** The request as views show it: every header whose template used a secret replaced by '[secret]'. */
export function maskHttpRequest(
  request: HttpStepRequest,
  secretHeaderNames: ReadonlySet<string>,
): HttpStepRequest {
  const masked = new Set([...secretHeaderNames].map((name) => name.toLowerCase()));
  return {
    ...request,
    headers: Object.fromEntries(
      Object.entries(request.headers).map(([name, value]) => [
        name,
        masked.has(name.toLowerCase()) ? secretPlaceholder : value,
      ]),
    ),
  };
}

/**
 * Replaces every occurrence of each secret value, as written and in the escaped forms it takes in a
 * URL or a JSON string (a server may echo it either way), with `[secret]`.
 */
export function scrubSecrets(text: string, secretValues: readonly string[]): string {
  if (secretValues.length === 0 || text === '') return text;
  const forms = new Set<string>();
  for (const value of secretValues) {
    if (value === '') continue;
    forms.add(value);
    forms.add(encodeURIComponent(value));
    forms.add(encodeURI(value));
    forms.add(JSON.stringify(value).slice(1, -1));
  }
  // Longest first, so a secret that contains another is replaced whole.
  let scrubbed = text;
  for (const form of [...forms].sort((a, b) => b.length - a.length)) {
    if (form !== '') scrubbed = scrubbed.split(form).join(secretPlaceholder);
  }
  return scrubbed;
}

function buildRequestInit(request: HttpStepRequest, scrub: (text: string) => string): RequestInit {
  const target = `${request.method} ${scrub(request.url)}`;
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    throw invalidRequest(`The http step's URL ${scrub(request.url)} is not a valid URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalidRequest(`The http step's URL ${scrub(request.url)} is not http or https.`);
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    try {
      headers.set(name, value);
    } catch {
      // The platform's message quotes the value, which may be a secret: say what is wrong instead.
      throw invalidRequest(
        `${target}: the header ${JSON.stringify(scrub(name))} has a name or value HTTP does not allow (line breaks or control characters).`,
      );
    }
  }
  if (!headers.has('accept')) headers.set('accept', 'application/json, text/plain;q=0.9, */*;q=0.8');
  if (request.method === 'GET' || request.method === 'DELETE' || request.body === undefined) {
    return { method: request.method, headers };
  }
  if (typeof request.body === 'string' && headers.has('content-type')) {
    return { method: request.method, headers, body: request.body };
  }
  // A content type the step set (say application/vnd.api+json) is kept; the body is JSON either way.
  if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  return { method: request.method, headers, body: JSON.stringify(request.body) };
}

/** Reads the answer as text, refusing (and cancelling) it once it passes the size cap. */
async function readCappedText(response: Response, target: string): Promise<string> {
  const tooLarge = () =>
    stepError(
      'http_step_response_too_large',
      'bad_gateway',
      `${target} answered with more than ${maxHttpStepResponseBytes} bytes; an http step's answer may be at most 1 MiB.`,
      { limitBytes: maxHttpStepResponseBytes },
    );
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxHttpStepResponseBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxHttpStepResponseBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

function parseAnswer(response: Response, text: string): unknown {
  const contentType = response.headers.get('content-type') ?? '';
  if (/[/+]json\b/i.test(contentType) && text.trim() !== '') {
    try {
      return JSON.parse(text);
    } catch {
      // Labelled JSON that is not: the text is still worth keeping.
    }
  }
  return { status: response.status, text };
}

/** Scrubs every string (keys included) of a parsed answer: a server may echo what it was sent. */
function scrubValue(value: unknown, scrub: (text: string) => string): unknown {
  if (typeof value === 'string') return scrub(value);
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, scrub));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [scrub(key), scrubValue(item, scrub)]),
    );
  }
  return value;
}

/** The most specific reason a connection failed: undici puts the system error in `cause`. */
function connectionReason(error: unknown): string {
  for (let current = error, depth = 0; current && depth < 4; depth++) {
    const candidate = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (candidate.cause === undefined || candidate.cause === null) {
      const code = typeof candidate.code === 'string' ? candidate.code : undefined;
      const message = typeof candidate.message === 'string' ? candidate.message : String(current);
      if (!code || message.includes(code)) return message || 'connection failed';
      return message ? `${code}: ${message}` : code;
    }
    current = candidate.cause;
  }
  return 'connection failed';
}

function cancelledError(target: string): FlightdeckError {
  // `conflict`: the run was cancelled under the step, nothing the remote end did.
  return stepError('http_step_cancelled', 'conflict', `${target} was cancelled before it finished.`);
}

function invalidRequest(message: string): FlightdeckError {
  return stepError('http_step_invalid_request', 'invalid', message);
}

/** No `cause`: the underlying errors quote URLs and header values, and causes end up in logs. */
function stepError(code: string, kind: ErrorKind, message: string, details?: unknown): FlightdeckError {
  return new FlightdeckError({ code, kind, message, details });
}
