// @autocloud/fetch: HTTP from configured hosts only (redirects included), with timeouts, size caps, named errors
// and retries of what is transient. Used for compose metadata and image downloads.
export { HostAllowList } from './allow-list.js';
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_MAX_REDIRECTS,
  fetchChecked,
  type FetchCheckedOptions,
} from './fetch-checked.js';
export { fetchJson, readBodyCapped, type FetchJsonOptions } from './body.js';
export { retryDelay, withRetries, type RetryOptions } from './retry.js';
export {
  displayUrl,
  FetchError,
  FetchNetworkError,
  FetchTimeoutError,
  HostNotAllowedError,
  HttpStatusError,
  InvalidJsonError,
  isRetryable,
  TooLargeError,
  TooManyRedirectsError,
} from './errors.js';
