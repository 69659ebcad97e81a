import { invalidError } from '../../core/errors.ts';

/** An opaque cursor for lists ordered newest first by (created_at, id). */
export function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(`${createdAt.toISOString()}|${id}`).toString('base64url');
}

/** Reads a cursor from `encodeCursor`; a cursor that is not one answers 400 `cursor_invalid`. */
export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [time, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(time ?? '');
  if (!id || id.length > 64 || Number.isNaN(createdAt.getTime())) {
    throw invalidError('cursor_invalid', 'The cursor is not one this list returned. Start again without it.');
  }
  return { createdAt, id };
}

/** Reads a versions-list cursor (the last version number of the previous page), or 400 `cursor_invalid`. */
export function decodeVersionCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const beforeNumber = Number(cursor);
  if (!Number.isInteger(beforeNumber) || beforeNumber < 1) {
    throw invalidError('cursor_invalid', 'The cursor is not one this list returned. Start again without it.');
  }
  return beforeNumber;
}
