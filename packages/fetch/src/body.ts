// Reading bodies safely: a hard byte cap enforced while streaming (a huge body is never buffered), and JSON
// documents fetched in one call with a deadline covering headers and body.
import { fetchChecked, networkError, type FetchCheckedOptions } from './fetch-checked.js';
import { displayUrl, FetchError, FetchTimeoutError, InvalidJsonError, TooLargeError } from './errors.js';

/**
 * Reads the whole body, throwing TooLargeError as soon as more than `maxBytes` arrived (or at once when
 * Content-Length already says so). `signal` is the one the request was made with: its abort is rethrown as is.
 */
export async function readBodyCapped(
  res: Response,
  maxBytes: number,
  opts: { signal?: AbortSignal } = {},
): Promise<Uint8Array> {
  const what = `body of ${res.url ? displayUrl(res.url) : 'the response'}`;
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new TooLargeError(maxBytes, what);
  }
  if (!res.body) return new Uint8Array(0);
  const reader: ReadableStreamDefaultReader<Uint8Array> = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) throw new TooLargeError(maxBytes, what);
      chunks.push(value);
    }
  } catch (err) {
    await reader.cancel().catch(() => undefined);
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (err instanceof FetchError) throw err;
    throw networkError(err, res.url ? new URL(res.url).host : 'the server', 'reading the body from');
  }
  return Buffer.concat(chunks, total);
}

export interface FetchJsonOptions extends FetchCheckedOptions {
  maxBytes: number;
  /** Deadline for the whole exchange, redirects and body included (default: none beyond the per-hop limits). */
  timeoutMs?: number;
}

/** GETs a JSON document: allowed hosts, capped size, strict UTF-8 and JSON (truncated JSON is InvalidJsonError). */
export async function fetchJson(url: string | URL, opts: FetchJsonOptions): Promise<unknown> {
  const deadline = new AbortController();
  const timer =
    opts.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          const shown = displayUrl(url);
          deadline.abort(new FetchTimeoutError(`${shown} not received within ${opts.timeoutMs} ms`));
        }, opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([deadline.signal, opts.signal]) : deadline.signal;
  try {
    const res = await fetchChecked(url, {
      ...opts,
      signal,
      headers: { accept: 'application/json', ...opts.headers },
    });
    const bytes = await readBodyCapped(res, opts.maxBytes, { signal });
    return parseJsonBytes(bytes, displayUrl(res.url || url));
  } finally {
    clearTimeout(timer);
  }
}

function parseJsonBytes(bytes: Uint8Array, what: string): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InvalidJsonError(what, 'not valid UTF-8');
  }
  if (text.trim() === '') throw new InvalidJsonError(what, 'the body is empty');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InvalidJsonError(what, (err as Error).message);
  }
}
