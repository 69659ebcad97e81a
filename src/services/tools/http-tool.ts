import { isIP } from 'node:net';
import { FlightdeckError, invalidError } from '../../core/errors.ts';
import { parseTemplate } from '../../core/template.ts';
import { type AllowedHosts, checkProviderUrl } from '../../security/ssrf-guard.ts';
import { runHttpStep } from '../workflows/run-http-step.ts';
import {
  headerSecretNames,
  renderBodyTemplate,
  renderHeader,
  renderUrlTemplate,
} from './render-tool-template.ts';
import type { Tool, ToolEntryCheck, ToolResolver } from './tool.ts';
import { defaultToolTimeoutMs, type HttpToolEntry } from './tool-definition.ts';

export interface HttpToolDependencies {
  /** The SSRF-guarded fetch (every redirect re-checked), the one http workflow steps use. */
  fetch: typeof globalThis.fetch;
  /** Decrypts the workspace secrets a tool's headers name, at call time only. */
  resolveSecrets: (workspaceId: string, names: readonly string[]) => Promise<Record<string, string>>;
}

const bodyMethods = new Set(['POST', 'PUT', 'PATCH']);

/**
 * The `http` tool kind: renders the request from the arguments, sends it through the guarded fetch
 * with the workflow http step's sender (timeout, 1 MiB cap, secrets scrubbed from every error and
 * answer), and answers the JSON it got back. Secrets live only in the request's headers: never in
 * the arguments that are recorded, never in a log line or a span.
 */
export function createHttpToolResolver(dependencies: HttpToolDependencies): ToolResolver {
  return async (entry) => {
    const definition = entry as HttpToolEntry;
    const urlTemplate = parseTemplate(definition.url);
    const headers = definition.headers ?? {};
    const secretNames = [
      ...new Set(
        Object.entries(headers).flatMap(([name, value]) =>
          headerSecretNames(name, value, `tools.${definition.name}.headers`),
        ),
      ),
    ];
    const tool: Tool = {
      kind: 'http',
      name: definition.name,
      description: definition.description,
      parameters: definition.parameters,
      resultSchema: definition.resultSchema ?? null,
      approval: definition.approval,
      timeoutMs: definition.timeoutMs ?? defaultToolTimeoutMs,
      async call(args, context) {
        const secrets =
          secretNames.length > 0 ? await dependencies.resolveSecrets(context.workspaceId, secretNames) : {};
        const body =
          definition.body !== undefined
            ? renderBodyTemplate(definition.body, args)
            : bodyMethods.has(definition.method)
              ? args
              : undefined;
        const result = await runHttpStep({
          request: {
            url: renderUrlTemplate(urlTemplate, args),
            method: definition.method,
            headers: Object.fromEntries(
              Object.entries(headers).map(([name, value]) => [name, renderHeader(value, secrets)]),
            ),
            body,
          },
          fetch: dependencies.fetch,
          timeoutMs: context.timeoutMs,
          abortSignal: context.abortSignal,
          secretValues: Object.values(secrets),
        });
        return { value: result.output };
      },
    };
    return [tool];
  };
}

/**
 * The save-time SSRF check of an http tool's URL: a host written as an address (or `localhost`)
 * is judged now, with the allow list of provider base URLs — 400 `tool_url_refused` naming the
 * field. A name is judged on every call, on what it resolves to then (it may change).
 */
export function createHttpToolCheck(settings: { allowedHosts: AllowedHosts }): ToolEntryCheck {
  return async (entry, field) => {
    if (entry.kind !== 'http') return;
    const url = new URL(entry.url.replace(/\{\{[^{}]*\}\}/g, 'x'));
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (isIP(host) === 0 && host !== 'localhost' && !host.endsWith('.localhost')) return;
    try {
      await checkProviderUrl(url, {
        allowedHosts: settings.allowedHosts,
        lookup: async () => [{ address: '127.0.0.1', family: 4 }],
        subject: `${field}.url:`,
        code: 'tool_url_refused',
      });
    } catch (error) {
      if (!FlightdeckError.isInstance(error)) throw error;
      throw invalidError('tool_url_refused', error.message, { field: `${field}.url` });
    }
  };
}
