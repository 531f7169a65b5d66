// Outbox on both backends: enqueue in a transaction, claim in id order, mark published once.
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { Database, NewOutboxMessage } from '../schema.js';
import { BACKENDS, openScratchDatabase, type ScratchDatabase } from '../testing/backends.js';
import { claimUnpublished, enqueueOutbox, markPublished } from './outbox.repository.js';

const message = (n: number): NewOutboxMessage => ({
  subject: 'autocloud.image.queued',
  msg_id: `image.queued.${n}`,
  body: { job_id: n, status: 'queued', artifacts: [{ name: 'serial.log' }] },
  headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
});

describe.each(BACKENDS)('outbox on %s', (kind) => {
  let scratch: ScratchDatabase;
  let db: Kysely<Database>;
  beforeAll(async () => {
    scratch = await openScratchDatabase(kind);
    db = scratch.handle.db;
  });
  beforeEach(async () => {
    await sql`delete from outbox`.execute(db);
  });
  afterAll(() => scratch.drop());

  test('enqueue, claim in id order, mark published: each message is handed out until published', async () => {
    const added = await db.transaction().execute((trx) => enqueueOutbox(trx, [1, 2, 3].map(message)));
    expect(added.map((m) => m.msg_id)).toEqual(['image.queued.1', 'image.queued.2', 'image.queued.3']);
    expect(added[0]).toMatchObject({
      body: message(1).body,
      headers: message(1).headers,
      published_at: null,
    });

    // The same msg_id enqueued again (the same event derived twice) is not added.
    const again = await db.transaction().execute((trx) => enqueueOutbox(trx, [message(3), message(4)]));
    expect(again.map((m) => m.msg_id)).toEqual(['image.queued.4']);
    expect(await db.transaction().execute((trx) => enqueueOutbox(trx, []))).toEqual([]);

    const firstTwo = await claimUnpublished(db, 2);
    expect(firstTwo.map((m) => m.msg_id)).toEqual(['image.queued.1', 'image.queued.2']);
    expect(
      await markPublished(
        db,
        firstTwo.map((m) => m.id),
      ),
    ).toBe(2);
    expect(
      await markPublished(
        db,
        firstTwo.map((m) => m.id),
      ),
    ).toBe(0);
    expect(await markPublished(db, [])).toBe(0);

    const rest = await claimUnpublished(db, 100);
    expect(rest.map((m) => m.msg_id)).toEqual(['image.queued.3', 'image.queued.4']);
    await markPublished(
      db,
      rest.map((m) => m.id),
    );
    expect(await claimUnpublished(db, 100)).toEqual([]);

    const published = await db.selectFrom('outbox').select('published_at').execute();
    expect(published.every((row) => row.published_at instanceof Date)).toBe(true);
  });

  test.runIf(kind === 'postgres')('relays claiming inside transactions never get the same row', async () => {
    await db.transaction().execute((trx) => enqueueOutbox(trx, [1, 2, 3, 4, 5].map(message)));
    await db.transaction().execute(async (first) => {
      const mine = await claimUnpublished(first, 2);
      expect(mine.map((m) => m.msg_id)).toEqual(['image.queued.1', 'image.queued.2']);
      const theirs = await db.transaction().execute((second) => claimUnpublished(second, 10));
      expect(theirs.map((m) => m.msg_id)).toEqual(['image.queued.3', 'image.queued.4', 'image.queued.5']);
      await markPublished(
        first,
        mine.map((m) => m.id),
      );
    });
    expect((await claimUnpublished(db, 10)).map((m) => m.msg_id)).toEqual([
      'image.queued.3',
      'image.queued.4',
      'image.queued.5',
    ]);
  });
});
