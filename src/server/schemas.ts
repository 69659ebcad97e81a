import { z } from 'zod';

/** The error body every failure shares. */
export const errorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown(),
  }),
});

/** Documented error answers; the error handler produces them all with `errorSchema`. */
export const errorResponses = {
  400: errorSchema,
  401: errorSchema,
  403: errorSchema,
  404: errorSchema,
  409: errorSchema,
  429: errorSchema,
};

/** The list envelope every collection answers with. */
export function listOf<Item extends z.ZodType>(item: Item) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

export const workspaceIdParams = z.object({ workspaceId: z.string().min(1).max(64) });

/** Security requirement for routes that accept a session cookie or an API token. */
export const authenticated: Array<Record<string, string[]>> = [{ bearerToken: [] }, { sessionCookie: [] }];

export const emailSchema = z.string().trim().max(320).email({ message: 'must be an email address' });
export const nameSchema = z.string().trim().min(1, { message: 'must not be empty' }).max(200);

/**
 * A date and time in a query (`from`, `to`). Years 1–9999 only: JavaScript accepts ±275760, which
 * PostgreSQL cannot store or compare, so an extreme date was a 500 instead of a 400.
 */
export const queryDateSchema = z.coerce
  .date({ message: 'must be an ISO 8601 date and time' })
  .refine((date) => date.getUTCFullYear() >= 1 && date.getUTCFullYear() <= 9999, {
    message: 'must be an ISO 8601 date and time between the years 1 and 9999',
  });
