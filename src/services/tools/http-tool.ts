import { parseTemplate } from '../../core/template.ts';
import { runHttpStep } from '../workflows/run-http-step.ts';
import {
  headerSecretNames,
  renderBodyTemplate,
  renderHeader,
  renderUrlTemplate,
} from './render-tool-template.ts';
import type { Tool, ToolResolver } from './tool.ts';
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
