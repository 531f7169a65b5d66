// Streams an image from its URL into a sink, hashing as it goes: size and sha256 are checked against the compose
// metadata in the same pass, with no second read. A broken or stalled connection is resumed with Range where it
// broke off; the bytes already hashed and written stay.
import { createHash, type Hash } from 'node:crypto';
import { displayUrl, fetchChecked, isRetryable, retryDelay, type HostAllowList } from '@autocloud/fetch';

export type AbortCode = 'download' | 'checksum';

/** Why an image cannot be fetched; its message is what a person reads in the job. */
export class FetchAborted extends Error {
  override readonly name = 'FetchAborted';
  constructor(
    readonly reasonCode: AbortCode,
    message: string,
    opts: { cause?: unknown } = {},
  ) {
    super(message, opts);
  }
}

/** Where the verified bytes go; `restart` drops what was written (a server that ignored Range). */
export interface DownloadSink {
  write(chunk: Uint8Array): Promise<void>;
  restart(): Promise<void>;
}

export interface DownloadProgress {
  bytes: number;
  total: number;
  /** Bytes per second over the download so far. */
  rate: number;
  attempt: number;
}

export interface DownloadOptions {
  url: string;
  sha256: string;
  size: number;
  allow: HostAllowList;
  maxBytes: number;
  attempts: number;
  idleTimeoutMs: number;
  connectTimeoutMs: number;
  signal?: AbortSignal;
  onProgress?(p: DownloadProgress): void;
  /** A connection broke and is being resumed. */
  onResume?(info: { offset: number; attempt: number; error: string }): void;
  backoff?: { baseMs: number; maxMs: number };
}

export interface DownloadResult {
  bytes: number;
  seconds: number;
  sha256: string;
  attempts: number;
  resumedAt: number[];
}

class IdleTimeout extends Error {
  override readonly name = 'IdleTimeout';
}

export async function download(sink: DownloadSink, opts: DownloadOptions): Promise<DownloadResult> {
  const shown = displayUrl(opts.url);
  if (opts.size > opts.maxBytes) {
    throw new FetchAborted(
      'download',
      `the image is ${opts.size} bytes by the compose metadata, over this fetcher's limit of ${opts.maxBytes} (FETCH_MAX_BYTES)`,
    );
  }
  let hash: Hash = createHash('sha256');
  let offset = 0;
  const resumedAt: number[] = [];
  const started = performance.now();
  let lastError: unknown;

  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    opts.signal?.throwIfAborted();
    // One controller per connection: the idle timer and the caller's signal both abort it. (Nested AbortSignal.any
    // chains lose their abort on Node 20 once the intermediate signal is collected.)
    const idle = new AbortController();
    const forward = () => idle.abort(opts.signal?.reason);
    opts.signal?.addEventListener('abort', forward, { once: true });
    const signal = idle.signal;
    try {
      const res = await fetchChecked(opts.url, {
        allow: opts.allow,
        signal,
        // One deadline until the response headers (the fetch package adds the two budgets).
        connectTimeoutMs: opts.connectTimeoutMs,
        headersTimeoutMs: 0,
        headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
      });
      if (offset > 0 && !resumesAt(res, offset)) {
        // The server ignored Range: start over rather than trust bytes that may not line up.
        await res.body?.cancel();
        await sink.restart();
        hash = createHash('sha256');
        offset = 0;
        lastError = new Error('the server does not resume (no Range support); started over');
        continue;
      }
      const declared = Number(res.headers.get('content-length') ?? NaN);
      if (offset === 0 && Number.isFinite(declared) && declared !== opts.size) {
        await res.body?.cancel();
        throw new FetchAborted(
          'checksum',
          `${shown} is ${declared} bytes, the compose metadata says ${opts.size}`,
        );
      }
      if (!res.body) throw new Error(`no body from ${shown}`);
      let timer = setTimeout(() => idle.abort(new IdleTimeout()), opts.idleTimeoutMs);
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          clearTimeout(timer);
          if (offset + chunk.byteLength > opts.size) {
            throw new FetchAborted(
              'checksum',
              `${shown} sent more than the ${opts.size} bytes the compose metadata lists`,
            );
          }
          hash.update(chunk);
          await sink.write(chunk);
          offset += chunk.byteLength;
          opts.onProgress?.({ bytes: offset, total: opts.size, rate: rate(offset, started), attempt });
          timer = setTimeout(() => idle.abort(new IdleTimeout()), opts.idleTimeoutMs);
        }
      } finally {
        clearTimeout(timer);
      }
      if (offset < opts.size) throw new Error(`connection closed at ${offset} of ${opts.size} bytes`);
      const digest = hash.digest('hex');
      if (digest !== opts.sha256) {
        throw new FetchAborted(
          'checksum',
          `sha256 mismatch for ${shown}: got ${digest}, the compose metadata says ${opts.sha256}`,
        );
      }
      return {
        bytes: offset,
        seconds: (performance.now() - started) / 1000,
        sha256: digest,
        attempts: attempt,
        resumedAt,
      };
    } catch (err) {
      opts.signal?.removeEventListener('abort', forward);
      if (err instanceof FetchAborted) throw err;
      if (opts.signal?.aborted) throw opts.signal.reason;
      const stalled = idle.signal.reason instanceof IdleTimeout;
      const cause = stalled ? new Error(`no data for ${opts.idleTimeoutMs} ms`) : err;
      if (!stalled && !isRetryable(err) && !isBrokenStream(err)) {
        throw new FetchAborted('download', describe(err, shown), { cause: err });
      }
      lastError = cause;
      if (attempt < opts.attempts) {
        resumedAt.push(offset);
        opts.onResume?.({ offset, attempt: attempt + 1, error: describe(cause, shown) });
        await sleep(retryDelay(attempt, opts.backoff ?? { baseMs: 500, maxMs: 30_000 }, err), opts.signal);
      }
    }
  }
  throw new FetchAborted(
    'download',
    `download of ${shown} failed after ${opts.attempts} attempts: ${describe(lastError, shown)}`,
    { cause: lastError },
  );
}

function resumesAt(res: Response, offset: number): boolean {
  const range = res.headers.get('content-range');
  return res.status === 206 && range !== null && new RegExp(`^bytes ${offset}-`).test(range);
}

/** A body that broke off mid-stream (undici's "terminated", a reset socket): resumable. */
function isBrokenStream(err: unknown): boolean {
  const text = `${(err as Error)?.name} ${(err as Error)?.message} ${String((err as { cause?: unknown })?.cause)}`;
  return /terminated|ECONNRESET|socket|closed|aborted|other side closed|premature/i.test(text);
}

function describe(err: unknown, shown: string): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/HTTP 404/.test(message)) return `image not found (HTTP 404) at ${shown}`;
  return message;
}

function rate(bytes: number, started: number): number {
  const seconds = (performance.now() - started) / 1000;
  return seconds > 0 ? bytes / seconds : 0;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });
}
