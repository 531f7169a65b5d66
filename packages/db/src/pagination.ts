// Keyset pagination by descending id: opaque cursors, clamped page sizes and the page shape the API returns.
import { InvalidCursorError } from './errors.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  next_cursor: string | null;
}

/** Clamps a requested page size into 1..max; a missing or non-numeric size gets the default. */
export function clampLimit(limit: number | undefined, max = MAX_PAGE_SIZE): number {
  if (limit === undefined || !Number.isFinite(limit)) return Math.min(DEFAULT_PAGE_SIZE, max);
  return Math.min(Math.max(Math.trunc(limit), 1), max);
}

export function encodeCursor(id: number): string {
  return Buffer.from(String(id), 'utf8').toString('base64url');
}

/** The id a cursor stands for; anything this package did not issue is an InvalidCursorError. */
export function decodeCursor(cursor: string): number {
  // Node's base64url decoder skips characters it does not know, so check the alphabet first.
  const text = /^[A-Za-z0-9_-]{1,24}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const id = /^[1-9][0-9]{0,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(id) || encodeCursor(id) !== cursor) {
    throw new InvalidCursorError(`invalid cursor ${JSON.stringify(cursor.slice(0, 64))}`);
  }
  return id;
}

/** Turns limit + 1 fetched rows into a page: the extra row only says that another page exists. */
export function toPage<T>(rows: T[], limit: number, idOf: (row: T) => number): Page<T> {
  if (rows.length <= limit) return { items: rows, next_cursor: null };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next_cursor: last === undefined ? null : encodeCursor(idOf(last)) };
}
