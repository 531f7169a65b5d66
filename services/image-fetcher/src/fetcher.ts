// The fetch handler: make the job's image available in the images bucket (downloading it at most once), then hand
// the job to a runner; or say, in image.aborted, why the image cannot be had.
import { OutputWriter, type Bus, type HandlerContext } from '@autocloud/bus';
import { displayUrl, type HostAllowList } from '@autocloud/fetch';
import { formatBytes, imageEventForWork, subjects, type FetchWorkItem } from '@autocloud/schemas';
import { type Logger } from '@autocloud/telemetry';
import { Counter, Gauge, type Registry } from 'prom-client';
import { type FetcherConfig } from './config.js';
import { download, FetchAborted, type DownloadProgress } from './download/download.js';
import { type ImageStore } from './store/image-store.js';

export interface FetcherDeps {
  bus: Bus;
  store: ImageStore;
  allow: HostAllowList;
  config: FetcherConfig;
  log: Logger;
  metrics: Registry;
}

type Outcome = 'stored' | 'cached';

export class Fetcher {
  /** Downloads under way, by sha256: a second job of the same image waits for the first download. */
  private readonly inFlight = new Map<string, Promise<Outcome>>();
  private readonly bytes: Counter;
  private readonly results: Counter<'result'>;
  private readonly rate: Gauge;

  constructor(private readonly deps: FetcherDeps) {
    this.bytes = new Counter({
      name: 'autocloud_fetch_bytes_total',
      help: 'Image bytes downloaded',
      registers: [deps.metrics],
    });
    this.rate = new Gauge({
      name: 'autocloud_fetch_rate_bytes_per_second',
      help: 'Download rate of the last completed download',
      registers: [deps.metrics],
    });
    this.results = new Counter({
      name: 'autocloud_fetch_results_total',
      help: 'Fetch work items by result: downloaded, cached, joined (same image downloading), or the abort code',
      labelNames: ['result'],
      registers: [deps.metrics],
    });
  }

  async handle(item: FetchWorkItem, ctx: HandlerContext): Promise<void> {
    const { bus, log } = this.deps;
    const { image } = item;
    const out = new OutputWriter(bus, item.job_id, { log });
    out.write(`fetch: ${displayUrl(image.url)} (${formatBytes(image.size)}, sha256 ${image.sha256})`, {
      stream: 'fetch',
    });
    try {
      const joined = this.inFlight.get(image.sha256);
      let outcome: Outcome | 'joined';
      if (joined) {
        out.write('fetch: the same image is being downloaded for another job; waiting for it', {
          stream: 'fetch',
        });
        await joined;
        outcome = 'joined';
      } else {
        const task = this.fetchOnce(item, out, ctx);
        this.inFlight.set(image.sha256, task);
        try {
          outcome = await task;
        } finally {
          this.inFlight.delete(image.sha256);
        }
      }
      this.results.inc({ result: outcome === 'stored' ? 'downloaded' : outcome });
      out.write(`fetch: verified image stored as ${this.deps.store.bucket}/${image.sha256}`, {
        stream: 'fetch',
      });
      await out.flush();
      await bus.publish(subjects.workRun(item.backend, image.arch), {
        ...item,
        object: { bucket: this.deps.store.bucket, name: image.sha256 },
        next_output_line: out.nextLine,
      });
      ctx.log.info({ job_id: item.job_id, outcome }, 'image ready; handed to the runners');
    } catch (err) {
      if (!(err instanceof FetchAborted)) {
        await out.flush();
        throw err; // NATS trouble or shutdown: the work item comes back
      }
      this.results.inc({ result: err.reasonCode });
      out.write(`fetch: failed: ${err.message}`, { stream: 'fetch' });
      await out.flush();
      await bus.publish(
        'autocloud.image.aborted',
        imageEventForWork(item, 'aborted', { reason: err.message, reason_code: err.reasonCode }),
      );
      ctx.log.warn({ job_id: item.job_id, reason: err.message }, 'image cannot be fetched');
    }
  }

  private async fetchOnce(item: FetchWorkItem, out: OutputWriter, ctx: HandlerContext): Promise<Outcome> {
    const { store, config } = this.deps;
    const { image } = item;
    if (await store.has(image.sha256, image.size)) {
      out.write('fetch: already stored; no download needed', { stream: 'fetch' });
      return 'cached';
    }
    let upload = store.begin();
    const report = progressReporter(out);
    try {
      const result = await download(
        {
          write: async (chunk) => {
            await upload.write(chunk);
            this.bytes.inc(chunk.byteLength);
          },
          restart: async () => {
            await upload.abort();
            upload = store.begin();
          },
        },
        {
          url: image.url,
          sha256: image.sha256,
          size: image.size,
          allow: this.deps.allow,
          maxBytes: config.FETCH_MAX_BYTES,
          attempts: config.FETCH_ATTEMPTS,
          idleTimeoutMs: config.FETCH_IDLE_TIMEOUT_MS,
          connectTimeoutMs: config.FETCH_CONNECT_TIMEOUT_MS,
          signal: ctx.signal,
          onProgress: report,
          onResume: ({ offset, attempt, error }) =>
            out.write(`fetch: ${error}; resuming at byte ${offset} (attempt ${attempt})`, {
              stream: 'fetch',
            }),
        },
      );
      this.rate.set(result.bytes / Math.max(0.001, result.seconds));
      await upload.commit(image.sha256, {
        sha256: result.sha256,
        description: image.image_name,
        metadata: { url: displayUrl(image.url), type: image.type, format: image.format },
      });
    } catch (err) {
      await upload.abort();
      throw err;
    }
    await store.evict(image.sha256).catch((err: unknown) => this.deps.log.warn({ err }, 'eviction failed'));
    return 'stored';
  }
}

/** A progress line every 2 s or 10%, whichever comes first. */
function progressReporter(out: OutputWriter): (p: DownloadProgress) => void {
  let lastAt = 0;
  let lastTenth = 0;
  return (p) => {
    const tenth = Math.floor((p.bytes / p.total) * 10);
    const now = Date.now();
    if (now - lastAt < 2_000 && tenth === lastTenth && p.bytes < p.total) return;
    lastAt = now;
    lastTenth = tenth;
    const percent = ((p.bytes / p.total) * 100).toFixed(0);
    out.write(
      `fetch: ${formatBytes(p.bytes)} of ${formatBytes(p.total)} (${percent}%) at ${formatBytes(p.rate)}/s`,
      { stream: 'fetch' },
    );
  };
}
