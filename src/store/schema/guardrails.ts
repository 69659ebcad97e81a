import { sql } from 'drizzle-orm';
import {
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { workspaces } from './identity.ts';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
/** Money as exact decimals: float sums drift, and the limit check must be exact. */
const usd = (name: string) => numeric(name, { precision: 18, scale: 9, mode: 'number' });

/**
 * One row per (workspace, scope, month): the running totals the atomic reservation checks.
 * Scope is `workspace` or `agent:<id>`. `spent + reserved <= limit` holds after every update.
 */
export const budgetPeriods = pgTable(
  'budget_periods',
  {
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    scope: text('scope').notNull(),
    periodStart: at('period_start').notNull(),
    spentUsd: usd('spent_usd').notNull().default(0),
    reservedUsd: usd('reserved_usd').notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.workspaceId, table.scope, table.periodStart] })],
);

/** A reservation is `reserved` until it is finished exactly once, as one of the other three. */
export const reservationStates = ['reserved', 'settled', 'released', 'expired'] as const;
export type ReservationState = (typeof reservationStates)[number];
export type ReservationFinish = Exclude<ReservationState, 'reserved'>;

/** A pessimistic hold taken before a provider call; settled, released or expired exactly once. */
export const budgetReservations = pgTable(
  'budget_reservations',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    periodStart: at('period_start').notNull(),
    /** The scopes this hold counts against, e.g. ['workspace', 'agent:…']. */
    scopes: jsonb('scopes').$type<string[]>().notNull(),
    agentId: text('agent_id'),
    providerKeyId: text('provider_key_id'),
    executionId: text('execution_id'),
    reservedUsd: usd('reserved_usd').notNull(),
    spentUsd: usd('spent_usd'),
    state: text('state', { enum: reservationStates }).notNull(),
    /**
     * `hold`: one execution's reservation. `lease`: a node's slice of the budget that it hands out
     * to its executions in memory (docs/decisions/2026-12-02-budget-leases.md); what they spend is
     * taken off the lease's `reserved_usd` and recorded as a settled `hold` row of its own.
     */
    kind: text('kind').notNull().default('hold'),
    createdAt: at('created_at').notNull().defaultNow(),
    expiresAt: at('expires_at').notNull(),
    finishedAt: at('finished_at'),
  },
  (table) => [
    index('budget_reservations_open').on(table.workspaceId, table.state, table.expiresAt),
    index('budget_reservations_usage').on(table.workspaceId, table.periodStart),
  ],
);

/** Per-agent monthly limits (the workspace limit lives in the workspace settings). */
export const agentBudgets = pgTable(
  'agent_budgets',
  {
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    agentId: text('agent_id').notNull(),
    monthlyLimitUsd: usd('monthly_limit_usd').notNull(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.workspaceId, table.agentId] })],
);

/** In-app notifications (budget alerts today). */
export const notifications = pgTable(
  'notifications',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    /** Makes an alert fire once: e.g. `budget:workspace:2026-11:80`. */
    dedupeKey: text('dedupe_key').notNull(),
    title: text('title').notNull(),
    body: text('body').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
    readAt: at('read_at'),
  },
  (table) => [
    uniqueIndex('notifications_dedupe').on(table.workspaceId, table.dedupeKey),
    index('notifications_workspace_time').on(table.workspaceId, table.createdAt.desc()),
  ],
);

/** `sending`: a node holds the delivery until `next_attempt_at`; past that another node may take it. */
export const webhookDeliveryStatuses = ['pending', 'sending', 'delivered', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof webhookDeliveryStatuses)[number];

/** Outgoing webhook deliveries, retried with backoff; each attempt's outcome is kept. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    notificationId: text('notification_id'),
    url: text('url').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    status: text('status', { enum: webhookDeliveryStatuses }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: at('next_attempt_at').notNull(),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    createdAt: at('created_at').notNull().defaultNow(),
    deliveredAt: at('delivered_at'),
  },
  (table) => [
    index('webhook_deliveries_due').on(table.nextAttemptAt).where(sql`${table.status} = 'pending'`),
  ],
);

/** Per-workspace secrets that are not provider keys (webhook signing), encrypted like them. */
export const workspaceSecrets = pgTable(
  'workspace_secrets',
  {
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    secretEnvelope: text('secret_envelope').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.workspaceId, table.name] })],
);
