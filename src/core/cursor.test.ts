import { describe, expect, it } from 'vitest';
import { decodeCursor, decodeVersionCursor, encodeCursor } from './cursor.ts';
import { FlightdeckError } from './errors.ts';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof FlightdeckError) return error.code;
    throw error;
  }
  return undefined;
}

describe('list cursors', () => {
  it('reads back the position it encoded', () => {
    const createdAt = new Date('2026-12-02T08:00:00.123Z');
    const cursor = encodeCursor(createdAt, '01JEXAMPLE');
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual({ createdAt, id: '01JEXAMPLE' });
  });

  it('keeps an id that itself holds the separator', () => {
    const createdAt = new Date('2026-01-01T00:00:00.000Z');
    expect(decodeCursor(encodeCursor(createdAt, 'a|b')).id).toBe('a|b');
  });

  it('answers cursor_invalid for text it did not make', () => {
    expect(codeOf(() => decodeCursor('not a cursor'))).toBe('cursor_invalid');
    expect(codeOf(() => decodeCursor(Buffer.from('yesterday|abc').toString('base64url')))).toBe(
      'cursor_invalid',
    );
    expect(codeOf(() => decodeCursor(Buffer.from('2026-01-01T00:00:00Z|').toString('base64url')))).toBe(
      'cursor_invalid',
    );
    const longId = 'x'.repeat(65);
    expect(codeOf(() => decodeCursor(encodeCursor(new Date(), longId)))).toBe('cursor_invalid');
  });

  it('reads version cursors as positive whole numbers', () => {
    expect(decodeVersionCursor(undefined)).toBeUndefined();
    expect(decodeVersionCursor('7')).toBe(7);
    expect(codeOf(() => decodeVersionCursor('0'))).toBe('cursor_invalid');
    expect(codeOf(() => decodeVersionCursor('1.5'))).toBe('cursor_invalid');
    expect(codeOf(() => decodeVersionCursor('seven'))).toBe('cursor_invalid');
  });
});
