import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** One row per installation: a stable id for logs and telemetry, and when it was created. */
export const instanceMetadata = pgTable('instance_metadata', {
  id: text('id').primaryKey(),
  singleton: text('singleton').notNull().default('instance').unique(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});
