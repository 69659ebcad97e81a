import { sql } from 'drizzle-orm';
import {
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();

export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    /** Null until an invited user sets a password. */
    passwordHash: text('password_hash'),
    /**
     * When the holder proved control of the address (a link that was emailed to it was used);
     * null until then. Unverified accounts join other workspaces only by accepting an invitation.
     */
    emailVerifiedAt: timestamp('email_verified_at', { withTimezone: true, mode: 'date' }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex('users_email_unique').on(sql`lower(${table.email})`)],
);

export interface WorkspaceSettingsColumn {
  rateLimitPerMinute: number;
  monthlyBudgetUsd: number | null;
  alertThresholds: number[];
  alertWebhookUrl: string | null;
  /** Roles that may decide approvals (owners always may); all but viewers when absent. */
  approverRoles?: Array<'admin' | 'member'>;
  /** Prompts and outputs go on trace spans only when true (secrets never do). */
  traceContent?: boolean;
  /** Every live execution and workflow run records its provider exchanges for replay (`record: true` for all). */
  recordExecutions?: boolean;
  /**
   * False: executions keep no rendered request and no raw model text (inputs and outputs stay, since
   * workflow steps, idempotent replays and approvals read them). Default true.
   */
  storeExecutionContent?: boolean;
  /** Days after which finished executions lose their input, output, raw text and request; null keeps them. */
  executionRetentionDays?: number | null;
  /** The workspace's own prices for models the catalog does not know (USD per million tokens). */
  priceOverrides?: Array<{
    model: string;
    provider?: 'openai' | 'anthropic' | 'openai-compatible';
    inputPerMillionUsd: number;
    outputPerMillionUsd: number;
    cachedInputPerMillionUsd?: number;
  }>;
}

export const workspaces = pgTable('workspaces', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  settings: jsonb('settings').$type<WorkspaceSettingsColumn>().notNull(),
  createdAt: createdAt(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/** `pending`: an invitation of an existing, unverified account waits for its holder to accept it. */
export const membershipStatuses = ['active', 'pending'] as const;
export type MembershipStatus = (typeof membershipStatuses)[number];

export const memberships = pgTable(
  'memberships',
  {
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role').notNull(),
    /**
     * `active`, or `pending` while an invitation of an existing, unverified account waits for its
     * holder to accept it; a pending membership grants nothing.
     */
    status: text('status', { enum: membershipStatuses }).notNull().default('active'),
    /** Who added the member (null for the first owner and for rows older than this column). */
    invitedBy: text('invited_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (table) => [
    primaryKey({ columns: [table.workspaceId, table.userId] }),
    index('memberships_user').on(table.userId),
  ],
);

export const sessions = pgTable(
  'sessions',
  {
    /** SHA-256 of the cookie value; the value itself is never stored. */
    idHash: text('id_hash').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    csrfToken: text('csrf_token').notNull(),
    createdAt: createdAt(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    address: text('address'),
    userAgent: text('user_agent'),
  },
  (table) => [index('sessions_user').on(table.userId)],
);

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    role: text('role').notNull(),
    /** The first characters of the token, shown in lists so users can tell tokens apart. */
    prefix: text('prefix').notNull(),
    /** Optional own limit on execution requests a minute, inside the workspace's. */
    rateLimitPerMinute: integer('rate_limit_per_minute'),
    tokenHash: text('token_hash').notNull().unique(),
    createdBy: text('created_by')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  },
  (table) => [index('api_tokens_workspace').on(table.workspaceId)],
);

/** One-time links: set a password (an invitation or a reset), or verify an email address. */
export const passwordTokens = pgTable('password_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  userId: text('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  /** `password` (invitation or reset) or `email_verification`. */
  purpose: text('purpose').notNull().default('password'),
  /**
   * True when the link went only to the user's mailbox; using such a link proves control of the
   * address. False when it was handed to the admin who invited (no SMTP, or the send failed).
   */
  emailed: boolean('emailed').notNull().default(false),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true, mode: 'date' }),
  createdAt: createdAt(),
});

/** Failed sign-in counters, per account and per address, shared by every node. */
export const loginThrottles = pgTable('login_throttles', {
  key: text('key').primaryKey(),
  failures: integer('failures').notNull(),
  windowStartedAt: timestamp('window_started_at', { withTimezone: true, mode: 'date' }).notNull(),
});
