import { CliError, exitCodes, usageError } from './cli-exit.ts';
import type { CliProfile } from './cli-profile.ts';

/** An error answer of the API: its stable code, message and status. */
export class ApiError extends CliError {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  constructor(status: number, code: string, message: string, details: unknown) {
    super(`${message} (${code}, HTTP ${status})`, status >= 500 ? exitCodes.unreachable : exitCodes.usage);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/**
 * The public HTTP API as the CLI uses it: the token's workspace resolved once, JSON in and out,
 * errors as ApiError, a server that does not answer as exit code 3.
 */
export function createFlightdeckClient(profile: CliProfile, fetchImplementation: typeof fetch = fetch) {
  let workspaceId: string | undefined;

  async function call<Result>(method: string, path: string, body?: unknown): Promise<Result> {
    let response: Response;
    try {
      response = await fetchImplementation(`${profile.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${profile.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new CliError(
        `Cannot reach ${profile.url}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`,
        exitCodes.unreachable,
      );
    }
    if (response.status === 204) return undefined as Result;
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      throw new CliError(
        `${profile.url} answered ${response.status} with something that is not JSON.`,
        exitCodes.unreachable,
      );
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string; details?: unknown } } | null)
        ?.error;
      throw new ApiError(
        response.status,
        error?.code ?? 'http_error',
        error?.message ?? text.slice(0, 200),
        error?.details,
      );
    }
    return parsed as Result;
  }

  /** The workspace the token belongs to (a token is scoped to exactly one). */
  async function workspace(): Promise<string> {
    if (workspaceId) return workspaceId;
    const me = await call<{ workspaces?: Array<{ id: string }>; token?: { workspaceId: string } }>(
      'GET',
      '/api/me',
    );
    workspaceId = me.token?.workspaceId ?? me.workspaces?.[0]?.id;
    if (!workspaceId) throw usageError('The token belongs to no workspace.');
    return workspaceId;
  }

  return {
    call,
    workspace,
    /** Opens a server-sent event stream under the token's workspace; yields each event's data. */
    async *events(path: string): AsyncGenerator<{ event: string; data: unknown }> {
      const url = `${profile.url}/api/workspaces/${await workspace()}${path}`;
      let response: Response;
      try {
        response = await fetchImplementation(url, {
          headers: { authorization: `Bearer ${profile.token}`, accept: 'text/event-stream' },
        });
      } catch (error) {
        throw new CliError(`Cannot reach ${profile.url}: ${(error as Error).message}`, exitCodes.unreachable);
      }
      if (!response.ok || !response.body) {
        const text = await response.text();
        throw new ApiError(response.status, 'http_error', text.slice(0, 200), null);
      }
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (data !== undefined) yield { event, data: JSON.parse(data) as unknown };
          end = buffer.indexOf('\n\n');
        }
      }
    },
    /** `method` on a path under the token's workspace. */
    async inWorkspace<Result>(method: string, path: string, body?: unknown): Promise<Result> {
      return call<Result>(method, `/api/workspaces/${await workspace()}${path}`, body);
    },
  };
}

export type FlightdeckClient = ReturnType<typeof createFlightdeckClient>;
