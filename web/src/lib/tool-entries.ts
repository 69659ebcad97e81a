import type { AgentToolEntry, HttpToolEntry, McpToolEntry, ToolEntry, ToolKind } from '../api/tool-types.ts';

export const toolKindLabels: Record<ToolKind, string> = {
  http: 'HTTP request',
  agent: 'Another agent',
  mcp: 'MCP server tool',
};

const objectSchema = { type: 'object', properties: {}, required: [] };

/** A fresh entry of a kind, named so it does not clash with the agent's other tools. */
export function newToolEntry(kind: ToolKind, taken: readonly string[]): ToolEntry {
  let index = taken.length + 1;
  while (taken.includes(`${kind}_tool_${index}`)) index++;
  const name = `${kind}_tool_${index}`;
  if (kind === 'http') {
    const entry: HttpToolEntry = {
      kind,
      name,
      description: '',
      parameters: objectSchema,
      method: 'GET',
      url: 'https://',
    };
    return entry;
  }
  if (kind === 'agent') {
    const entry: AgentToolEntry = { kind, name, description: '', parameters: objectSchema, agent: '' };
    return entry;
  }
  const entry: McpToolEntry = { kind, name, server: '', tool: '' };
  return entry;
}

/** The model-facing name rule the server checks (what OpenAI and Anthropic accept). */
export const toolNamePattern = /^[a-zA-Z0-9_-]{1,64}$/;

/** A name the model can use for a server's tool: unsupported characters become `_`. */
export function modelNameFor(serverToolName: string): string {
  return serverToolName.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64) || 'tool';
}
