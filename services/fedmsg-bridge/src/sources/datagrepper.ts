// datagrepper backfill: pages through /raw for the bridge's topics since a time, oldest first, so messages that
// arrived while the bridge (or its broker connection) was down are carried in too. Duplicates are dropped by
// JetStream on the upstream message id.
import { type Logger } from '@autocloud/telemetry';
import { type Outcome } from '../forward/forwarder.js';
import { fromEnvelope, type Normalized } from '../forward/upstream-message.js';

export interface DatagrepperOptions {
  baseUrl: string;
  topics: string[];
  maxBytes: number;
  log: Logger;
  forward(message: Normalized): Promise<Outcome>;
  pageSize?: number;
  timeoutMs?: number;
  attempts?: number;
}

export interface BackfillReport {
  since: string;
  pages: number;
  messages: number;
  outcomes: Partial<Record<Outcome, number>>;
}

const MAX_PAGES = 10_000;

export class DatagrepperBackfill {
  constructor(private readonly opts: DatagrepperOptions) {}

  async run(since: Date, signal?: AbortSignal): Promise<BackfillReport> {
    const report: BackfillReport = { since: since.toISOString(), pages: 0, messages: 0, outcomes: {} };
    const start = Math.floor(since.getTime() / 1000);
    const end = Math.ceil(Date.now() / 1000);
    for (let page = 1, pages = 1; page <= pages && page <= MAX_PAGES; page++) {
      signal?.throwIfAborted();
      const body = await this.fetchPage(start, end, page, signal);
      pages = body.pages;
      report.pages = page;
      for (const raw of body.raw_messages) {
        const outcome = await this.forwardWithRetry(
          fromEnvelope('datagrepper', raw, this.opts.maxBytes),
          signal,
        );
        report.messages += 1;
        report.outcomes[outcome] = (report.outcomes[outcome] ?? 0) + 1;
      }
    }
    this.opts.log.info(report, 'datagrepper backfill done');
    return report;
  }

  private async fetchPage(
    start: number,
    end: number,
    page: number,
    signal: AbortSignal | undefined,
  ): Promise<{ pages: number; raw_messages: unknown[] }> {
    const url = new URL('raw', this.opts.baseUrl.endsWith('/') ? this.opts.baseUrl : `${this.opts.baseUrl}/`);
    for (const topic of this.opts.topics) url.searchParams.append('topic', topic);
    url.searchParams.set('start', String(start));
    url.searchParams.set('end', String(end));
    url.searchParams.set('order', 'asc');
    url.searchParams.set('rows_per_page', String(this.opts.pageSize ?? 100));
    url.searchParams.set('page', String(page));
    const attempts = this.opts.attempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? 30_000);
        const res = await fetch(url, {
          headers: { accept: 'application/json' },
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
        if (!res.ok) throw new Error(`datagrepper answered ${res.status} for page ${page}`);
        const body = (await res.json()) as { pages?: unknown; raw_messages?: unknown };
        if (typeof body.pages !== 'number' || !Array.isArray(body.raw_messages)) {
          throw new Error(`datagrepper page ${page} is not a /raw page (no pages or raw_messages)`);
        }
        return { pages: body.pages, raw_messages: body.raw_messages };
      } catch (err) {
        if (attempt >= attempts || signal?.aborted) throw err;
        const delay = Math.min(30_000, 500 * 2 ** attempt);
        this.opts.log.warn({ err: (err as Error).message, retry_in_ms: delay }, 'datagrepper request failed');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async forwardWithRetry(message: Normalized, signal: AbortSignal | undefined): Promise<Outcome> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.opts.forward(message);
      } catch (err) {
        if (signal?.aborted) throw err;
        const delay = Math.min(10_000, 250 * 2 ** attempt);
        this.opts.log.warn({ err, retry_in_ms: delay }, 'could not forward a backfilled message; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}
