import { json, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { workspaces } from './identity.ts';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** A header of an MCP server as answers show it: the name as typed, at most the value's last four. */
export interface McpHeaderHint {
  name: string;
  lastFour: string;
}

/** A tool as the server listed it, kept for the tool list's cache and for agent checks. */
export interface McpListedTool {
  name: string;
  title: string | null;
  description: string | null;
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown> | null;
}

/**
 * A Model Context Protocol server a workspace registered (streamable HTTP). Its header values are
 * credentials: one encrypted envelope of the header object, bound to this row like a provider key.
 * The tool list is cached on the row so every node shares it; `json` keeps the servers' schemas in
 * the order they sent them.
 */
export const mcpServers = pgTable(
  'mcp_servers',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    url: text('url').notNull(),
    /** `v1:<keyId>:<nonce>:<ciphertext>:<tag>` of the headers as a JSON object; null without headers. */
    headersEnvelope: text('headers_envelope'),
    headerHints: json('header_hints').$type<McpHeaderHint[]>().notNull(),
    tools: json('tools').$type<McpListedTool[]>(),
    toolsListedAt: at('tools_listed_at'),
    createdBy: text('created_by'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  // Also the workspace's index: every query names the workspace.
  (table) => [uniqueIndex('mcp_servers_workspace_name').on(table.workspaceId, table.name)],
);
