// The errors of @autocloud/fetch: each has a stable `code` and says whether trying again may help (`retryable`).
// Messages name hosts and paths, never query strings or credentials (signed URLs carry secrets there).

export abstract class FetchError extends Error {
  abstract readonly code: string;
  abstract readonly retryable: boolean;
}

/** The URL, or a redirect target, is not on the allow list, or is not an http/https URL at all. */
export class HostNotAllowedError extends FetchError {
  override readonly name = 'HostNotAllowedError';
  override readonly code = 'HOST_NOT_ALLOWED';
  override readonly retryable = false;
  constructor(
    /** host[:port] as the URL names it ('' when there is no URL). */
    readonly host: string,
    opts: { redirectedFrom?: URL; detail?: string } = {},
  ) {
    const via = opts.redirectedFrom ? ` (redirect from ${displayUrl(opts.redirectedFrom)})` : '';
    super(`${opts.detail ?? `host ${host} is not allowed`}${via}`);
  }
}

/** The server answered with a status we do not follow: 4xx, 5xx, or a redirect without a usable Location. */
export class HttpStatusError extends FetchError {
  override readonly name = 'HttpStatusError';
  override readonly code = 'HTTP_STATUS';
  override readonly retryable: boolean;
  /** Redacted URL: no credentials, query or fragment. */
  readonly url: string;
  /** From Retry-After, when the server sent one. */
  readonly retryAfterMs: number | undefined;
  constructor(
    readonly status: number,
    url: URL,
    opts: { detail?: string; retryAfterMs?: number } = {},
  ) {
    const shown = displayUrl(url);
    super(`HTTP ${status} from ${shown}${opts.detail ? `: ${opts.detail}` : ''}`);
    this.url = shown;
    this.retryable = status >= 500 || status === 429 || status === 408;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

export class TooManyRedirectsError extends FetchError {
  override readonly name = 'TooManyRedirectsError';
  override readonly code = 'TOO_MANY_REDIRECTS';
  override readonly retryable = false;
  constructor(url: URL, detail: string) {
    super(`${detail} (last ${displayUrl(url)})`);
  }
}

/** No response headers, or not the whole body, in time. */
export class FetchTimeoutError extends FetchError {
  override readonly name = 'FetchTimeoutError';
  override readonly code = 'FETCH_TIMEOUT';
  override readonly retryable = true;
}

/** The connection failed: refused, reset, DNS, TLS, closed in the middle of the body. */
export class FetchNetworkError extends FetchError {
  override readonly name = 'FetchNetworkError';
  override readonly code = 'FETCH_NETWORK';
  override readonly retryable = true;
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, opts);
  }
}

/** The body is larger than the caller accepts; reading stopped at the cap. */
export class TooLargeError extends FetchError {
  override readonly name = 'TooLargeError';
  override readonly code = 'TOO_LARGE';
  override readonly retryable = false;
  constructor(
    readonly maxBytes: number,
    what: string,
  ) {
    super(`${what} is over the ${maxBytes}-byte limit`);
  }
}

/** The body is not JSON (or not UTF-8), truncated JSON included. */
export class InvalidJsonError extends FetchError {
  override readonly name = 'InvalidJsonError';
  override readonly code = 'INVALID_JSON';
  override readonly retryable = false;
  constructor(what: string, detail: string) {
    super(`${what} is not JSON: ${detail}`);
  }
}

/** Whether trying again may help: only errors that say so (`retryable: true`). */
export function isRetryable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retryable?: unknown }).retryable === true;
}

/** A URL as it may appear in logs and messages: scheme, host, port and path only. */
export function displayUrl(url: URL | string): string {
  if (typeof url === 'string') {
    if (!URL.canParse(url)) return '(invalid URL)';
    url = new URL(url);
  }
  return `${url.protocol}//${url.host}${url.pathname}`;
}
