// fetch() that follows redirects itself, checking the allow list on the first URL and on every redirect target,
// with a time limit per hop and named errors. The body is left unread, so callers can stream gigabytes from it.
import { type HostAllowList } from './allow-list.js';
import {
  FetchError,
  FetchNetworkError,
  FetchTimeoutError,
  HostNotAllowedError,
  HttpStatusError,
  TooManyRedirectsError,
} from './errors.js';

export interface FetchCheckedOptions {
  allow: HostAllowList;
  /** Redirects followed at most (default 5); 0 refuses every redirect. */
  maxRedirects?: number;
  /**
   * Node's fetch does not expose the connect phase, so the connect and header budgets add up to one deadline per
   * hop: from sending the request until its response headers are in (DNS, connect, TLS and the server's wait).
   */
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
  /** Aborts the request and, later, the body; the fetch rejects with the signal's reason. */
  signal?: AbortSignal;
  headers?: Record<string, string>;
  method?: 'GET' | 'HEAD';
}

export const DEFAULT_MAX_REDIRECTS = 5;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_HEADERS_TIMEOUT_MS = 30_000;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Sent only to the origin they were meant for. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

/** Resolves with a 2xx response whose body is unread; throws a FetchError (or the signal's reason). */
export async function fetchChecked(url: string | URL, opts: FetchCheckedOptions): Promise<Response> {
  const maxRedirects = opts.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  let current = toUrl(url);
  let headers = { ...opts.headers };
  const seen = new Set<string>();
  let previous: URL | undefined;
  for (let redirects = 0; ; redirects++) {
    checkAllowed(opts.allow, current, previous);
    seen.add(current.href);
    const res = await fetchHop(current, headers, opts);
    if (!REDIRECTS.has(res.status)) {
      if (res.ok) return res;
      await discard(res);
      throw new HttpStatusError(res.status, current, { retryAfterMs: retryAfter(res) });
    }
    const location = res.headers.get('location');
    await discard(res);
    if (!location || !URL.canParse(location, current.href)) {
      throw new HttpStatusError(res.status, current, { detail: 'redirect without a usable Location' });
    }
    const next = new URL(location, current);
    if (seen.has(next.href)) throw new TooManyRedirectsError(next, 'redirect loop');
    if (redirects >= maxRedirects) {
      throw new TooManyRedirectsError(next, `more than ${maxRedirects} redirects`);
    }
    if (next.origin !== current.origin) headers = withoutCredentials(headers);
    previous = current;
    current = next;
  }
}

async function fetchHop(url: URL, headers: Record<string, string>, opts: FetchCheckedOptions) {
  const budget =
    (opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS) +
    (opts.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS);
  const hop = new AbortController();
  const timer = setTimeout(
    () => hop.abort(new FetchTimeoutError(`no response headers from ${url.host} within ${budget} ms`)),
    budget,
  );
  // The caller's signal is forwarded into this hop's controller rather than combined with AbortSignal.any: undici
  // holds a request's signal weakly, and on Node 20 a combined signal nobody else references is collected, losing
  // the abort (a stalled body would then hang for ever). The listener keeps this controller alive with the caller's.
  const forward = () => hop.abort(opts.signal?.reason);
  if (opts.signal?.aborted) forward();
  opts.signal?.addEventListener('abort', forward, { once: true });
  const signal = hop.signal;
  try {
    return await fetch(url, { method: opts.method ?? 'GET', headers, redirect: 'manual', signal });
  } catch (err) {
    // Our deadline or the caller's abort: fetch rejects with the signal's reason, which says it best.
    if (signal.aborted) throw signal.reason;
    throw networkError(err, url.host);
  } finally {
    clearTimeout(timer);
  }
}

function checkAllowed(allow: HostAllowList, url: URL, redirectedFrom: URL | undefined): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    const detail = `scheme ${url.protocol} is not allowed (only http: and https:)`;
    throw new HostNotAllowedError(url.host, { redirectedFrom, detail });
  }
  if (!allow.allows(url)) throw new HostNotAllowedError(url.host, { redirectedFrom });
}

/** Maps undici's failures ("fetch failed", with the socket error as cause) to our named errors. */
export function networkError(err: unknown, host: string, during = 'reaching'): FetchError {
  if (err instanceof FetchError) return err;
  const cause = (err as { cause?: unknown })?.cause ?? err;
  const code = (cause as { code?: unknown })?.code;
  const detail = cause instanceof Error ? cause.message : String(cause);
  if (typeof code === 'string' && /^UND_ERR_(CONNECT|HEADERS|BODY)_TIMEOUT$/.test(code)) {
    return new FetchTimeoutError(`timed out ${during} ${host}: ${detail}`, { cause: err });
  }
  return new FetchNetworkError(
    `network error ${during} ${host}: ${detail}${typeof code === 'string' && !detail.includes(code) ? ` (${code})` : ''}`,
    { cause: err },
  );
}

function toUrl(url: string | URL): URL {
  if (url instanceof URL) return url;
  if (!URL.canParse(url)) throw new HostNotAllowedError('', { detail: 'not a URL' });
  return new URL(url);
}

function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(([k]) => !CREDENTIAL_HEADERS.includes(k.toLowerCase())),
  );
}

/** Frees the connection of a response we will not read. */
async function discard(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => undefined);
}

function retryAfter(res: Response): number | undefined {
  const value = res.headers.get('retry-after');
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
