// The newest upstream send time the bridge forwarded, kept in NATS KV so a restarted bridge knows where to resume.
import { type KV } from '@nats-io/kv';

const KEY = 'datagrepper.cursor';

export class BackfillCursor {
  private newest: number | undefined;

  constructor(private readonly kv: KV) {}

  async load(): Promise<Date | undefined> {
    const entry = await this.kv.get(KEY);
    const value = entry?.string();
    const time = value ? Date.parse(value) : NaN;
    if (!Number.isNaN(time)) this.newest = Math.max(this.newest ?? 0, time);
    return this.newest === undefined ? undefined : new Date(this.newest);
  }

  /** Moves the cursor forward (never back) to `sentAt`. */
  async advance(sentAt: string | undefined): Promise<void> {
    const time = sentAt ? Date.parse(sentAt) : NaN;
    if (Number.isNaN(time) || (this.newest !== undefined && time <= this.newest)) return;
    this.newest = time;
    await this.kv.put(KEY, new Date(time).toISOString());
  }
}
