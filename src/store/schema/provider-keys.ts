import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { users, workspaces } from './identity.ts';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** A workspace's provider credentials; the secret only as an encrypted envelope bound to this row. */
export const providerKeys = pgTable(
  'provider_keys',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    label: text('label').notNull(),
    /** `v1:<keyId>:<nonce>:<ciphertext>:<tag>`, AAD = workspace id + this row's id. */
    secretEnvelope: text('secret_envelope').notNull(),
    lastFour: text('last_four').notNull(),
    baseUrl: text('base_url'),
    isDefault: boolean('is_default').notNull().default(false),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
    rotatedAt: at('rotated_at'),
    lastUsedAt: at('last_used_at'),
    lastTestedAt: at('last_tested_at'),
    lastTestOk: boolean('last_test_ok'),
    lastTestErrorCode: text('last_test_error_code'),
    lastTestLatencyMs: integer('last_test_latency_ms'),
  },
  (table) => [
    index('provider_keys_workspace').on(table.workspaceId, table.provider),
    // At most one default key per provider in a workspace.
    uniqueIndex('provider_keys_one_default')
      .on(table.workspaceId, table.provider)
      .where(sql`${table.isDefault}`),
  ],
);

/** Append-only record of security-relevant changes. Never holds secret material. */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    /** Null for events without a signed-in actor (a failed sign-in). */
    actorUserId: text('actor_user_id'),
    actorTokenId: text('actor_token_id'),
    actorEmail: text('actor_email'),
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull(),
    address: text('address'),
    userAgent: text('user_agent'),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (table) => [
    index('audit_events_workspace_time').on(table.workspaceId, table.createdAt.desc(), table.id.desc()),
  ],
);
