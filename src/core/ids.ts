import { randomUUID } from 'node:crypto';

/**
 * A UUIDv7: time-ordered, so ids sort by creation and index well in B-trees,
 * while 74 random bits keep them unguessable enough for ids (never for secrets).
 *
 * The random part comes from `randomUUID` (a v4: its variant bits are v7's too), which draws from
 * a pooled buffer; a `randomBytes(16)` per id was a call into the system's generator every time,
 * and every request and execution makes several ids.
 */
export function newId(now: number = Date.now()): string {
  const random = randomUUID();
  const timestamp = now.toString(16).padStart(12, '0');
  // v4 layout: 8-4-4-4-12 with the version nibble at index 14; keep the 3 random hex after it.
  return `${timestamp.slice(0, 8)}-${timestamp.slice(8, 12)}-7${random.slice(15)}`;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when the text has the shape of a UUID (any version). */
export function isUuid(text: string): boolean {
  return uuidPattern.test(text);
}
