// The transactional outbox: messages are written in the same transaction as the rows they describe, and published
// after commit with their Nats-Msg-Id, so a crash in between loses nothing and a re-publish is dropped by JetStream.
import { type Bus } from '@autocloud/bus';
import {
  claimUnpublished,
  enqueueOutbox,
  markPublished,
  type Database,
  type DatabaseHandle,
  type JsonObject,
} from '@autocloud/db';
import { entryFor, type Subject, type SubjectMap } from '@autocloud/schemas';
import { type Logger } from '@autocloud/telemetry';
import { type Transaction } from 'kysely';

/** Collects a transaction's messages; `flush` writes them to the outbox table inside that transaction. */
export class OutboxBatch {
  private readonly rows: { subject: string; msg_id: string; body: JsonObject }[] = [];

  add<S extends Subject>(subject: S, body: SubjectMap[S], msgId?: string): string {
    const entry = entryFor(subject);
    const id = msgId ?? entry?.msgId?.(body);
    if (!id) throw new Error(`no msgId for ${subject}`);
    this.rows.push({ subject, msg_id: id, body: body });
    return id;
  }

  get size(): number {
    return this.rows.length;
  }

  async flush(trx: Transaction<Database>): Promise<void> {
    if (this.rows.length > 0) await enqueueOutbox(trx, this.rows);
  }
}

export interface OutboxRelayOptions {
  database: DatabaseHandle;
  bus: Bus;
  log: Logger;
  /** How often to look for rows left unpublished (another replica's, or a crash's). */
  intervalMs?: number;
  batchSize?: number;
}

/** Publishes unpublished outbox rows in id order, after each commit and periodically. */
export class OutboxRelay {
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: OutboxRelayOptions) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.opts.intervalMs ?? 5_000);
    this.kick();
  }

  /** Asks for a flush; flushes never overlap, and a kick during one runs another after it. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.flushAll()
      .catch((err: unknown) => this.opts.log.warn({ err }, 'outbox relay failed; will retry'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Publishes everything unpublished now; resolves when the outbox is empty (for tests and shutdown). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
    await this.flushAll();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  private async flushAll(): Promise<void> {
    const { database, bus } = this.opts;
    const batchSize = this.opts.batchSize ?? 100;
    for (;;) {
      const rows = await claimUnpublished(database.db, batchSize);
      if (rows.length === 0) return;
      const published: number[] = [];
      try {
        for (const row of rows) {
          await bus.publish(row.subject as Subject, row.body as unknown as SubjectMap[Subject], {
            msgId: row.msg_id,
          });
          published.push(row.id);
        }
      } finally {
        await markPublished(database.db, published);
      }
      if (rows.length < batchSize) return;
    }
  }
}
