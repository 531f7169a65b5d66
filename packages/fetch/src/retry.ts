// Retrying what may work next time: only errors marked `retryable: true`, with exponential backoff and jitter.
import { isRetryable } from './errors.js';

export interface RetryOptions {
  /** Attempts in all, the first included (1: no retry). */
  attempts: number;
  baseMs: number;
  maxMs: number;
  /** Stops waiting and rethrows the signal's reason when aborted. */
  signal?: AbortSignal;
  /** Called before each wait, e.g. to log the failure. */
  onRetry?(err: unknown, attempt: number, delayMs: number): void;
}

export async function withRetries<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    opts.signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= opts.attempts || !isRetryable(err) || opts.signal?.aborted) throw err;
      const delay = retryDelay(attempt, opts, err);
      opts.onRetry?.(err, attempt, delay);
      await sleep(delay, opts.signal);
    }
  }
}

/** Half fixed, half random ("equal jitter"), so replicas that failed together do not retry together; a server's
 * Retry-After is honoured up to `maxMs`. */
export function retryDelay(attempt: number, opts: { baseMs: number; maxMs: number }, err?: unknown): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** (attempt - 1));
  const delay = exp / 2 + Math.random() * (exp / 2);
  const asked = (err as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  return Math.round(typeof asked === 'number' ? Math.max(delay, Math.min(asked, opts.maxMs)) : delay);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
