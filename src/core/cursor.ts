import { invalidError } from './errors.ts';

/** The position a page ends at in a list ordered newest first by (created_at, id). */
export interface CursorPosition {
  createdAt: Date;
  id: string;
}

const cursorInvalid = () =>
  invalidError('cursor_invalid', 'The cursor is not one this list returned. Start again without it.');

/** An opaque cursor for lists ordered newest first by (created_at, id). */
export function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(`${createdAt.toISOString()}|${id}`).toString('base64url');
}

/** Reads a cursor from `encodeCursor`; a cursor that is not one answers 400 `cursor_invalid`. */
export function decodeCursor(cursor: string): CursorPosition {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const separator = text.indexOf('|');
  const createdAt = new Date(separator < 0 ? Number.NaN : text.slice(0, separator));
  const id = text.slice(separator + 1);
  // Ids are ours and short; anything longer was not made by `encodeCursor`.
  if (separator < 0 || !id || id.length > 64 || Number.isNaN(createdAt.getTime())) throw cursorInvalid();
  return { createdAt, id };
}

/** Reads a versions-list cursor (the last version number of the previous page), or 400 `cursor_invalid`. */
export function decodeVersionCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const beforeNumber = Number(cursor);
  if (!Number.isInteger(beforeNumber) || beforeNumber < 1) throw cursorInvalid();
  return beforeNumber;
}
