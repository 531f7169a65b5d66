// Processed events on both backends: an event id is new exactly once.
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Database } from '../schema.js';
import { BACKENDS, openScratchDatabase, type ScratchDatabase } from '../testing/backends.js';
import { markEventProcessed } from './processed-event.repository.js';

describe.each(BACKENDS)('processed events on %s', (kind) => {
  let scratch: ScratchDatabase;
  let db: Kysely<Database>;
  beforeAll(async () => {
    scratch = await openScratchDatabase(kind);
    db = scratch.handle.db;
  });
  afterAll(() => scratch.drop());

  test('markEventProcessed is true the first time and false for every redelivery', async () => {
    const mark = (id: string) =>
      db.transaction().execute((trx) => markEventProcessed(trx, id, 'autocloud.image.success'));
    expect(await mark('7f1c2a9e-msg-1')).toBe(true);
    expect(await mark('7f1c2a9e-msg-1')).toBe(false);
    expect(await mark('7f1c2a9e-msg-1')).toBe(false);
    expect(await mark('7f1c2a9e-msg-2')).toBe(true);

    const row = await db
      .selectFrom('processed_events')
      .selectAll()
      .where('event_id', '=', '7f1c2a9e-msg-1')
      .executeTakeFirst();
    expect(row).toMatchObject({ subject: 'autocloud.image.success' });
    expect(row!.processed_at).toBeInstanceOf(Date);
  });
});
