// The results-api REST client (/api/v1, DESIGN §7): JSON in and out, the bearer token on writes, errors turned into
// CliErrors that say what to do, and the live output stream (SSE) with resumption after a broken connection.
import {
  type Accepted,
  type CancelResult,
  type ComposePage,
  type ComposeResource,
  type JobDetail,
  type JobPage,
  type JobResource,
  type OutputLineResource,
  type OutputPage,
  type StepResource,
} from '@autocloud/schemas';
import { ApiError, ApiUnreachableError, CliError } from '../errors.js';
import { sleep } from '../sleep.js';
import { bodyChunks, readSse } from './sse.js';

export type Query = Record<string, string | number | undefined>;

export interface ApiClientOptions {
  baseUrl: string;
  /** The bearer token, read only when a write needs it. */
  token?: () => string;
  /** Per request, until the reply's headers (10 s). */
  timeoutMs?: number;
}

export interface FollowHandlers {
  line?(line: OutputLineResource): void;
  step?(step: StepResource): void;
}

export class ApiClient {
  readonly baseUrl: string;

  constructor(private readonly opts: ApiClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
  }

  url(path: string, query: Query = {}): string {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  listComposes(query: Query): Promise<ComposePage> {
    return this.get('/api/v1/composes', query);
  }

  /** The compose, or undefined while it is not recorded (404). */
  async findCompose(composeId: string): Promise<ComposeResource | undefined> {
    try {
      return await this.get<ComposeResource>(`/api/v1/composes/${encodeURIComponent(composeId)}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  listJobs(query: Query): Promise<JobPage> {
    return this.get('/api/v1/jobs', query);
  }

  /** Every job matching `query`, following next_cursor. */
  async allJobs(query: Query): Promise<JobResource[]> {
    const items: JobResource[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.listJobs({ ...query, limit: 500, cursor });
      items.push(...page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return items;
  }

  job(jobId: number): Promise<JobDetail> {
    return this.get(`/api/v1/jobs/${jobId}`);
  }

  output(jobId: number, from: number, limit = 5000): Promise<OutputPage> {
    return this.get(`/api/v1/jobs/${jobId}/output`, { from, limit });
  }

  submit(location: string, composeId?: string): Promise<Accepted> {
    return this.post('/api/v1/composes', { location, ...(composeId ? { compose_id: composeId } : {}) });
  }

  rerun(jobId: number): Promise<Accepted> {
    return this.post(`/api/v1/jobs/${jobId}/rerun`, {});
  }

  cancel(jobId: number, reason?: string): Promise<CancelResult> {
    return this.post(`/api/v1/jobs/${jobId}/cancel`, reason ? { reason } : {});
  }

  /** Whether the server answers /healthz within `timeoutMs`. */
  async healthy(timeoutMs = 1_500): Promise<boolean> {
    try {
      const res = await fetch(`${this.baseUrl}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
      await res.body?.cancel();
      return res.ok;
    } catch {
      return false;
    }
  }

  async get<T>(path: string, query: Query = {}, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', this.url(path, query), undefined, signal);
  }

  async post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    return this.request<T>('POST', this.url(path), body, signal);
  }

  /**
   * Follows GET jobs/{id}/output/stream from line `after` until its `end` event; resolves with the final status.
   * A broken connection is resumed after the last line seen (a few times, then the error is thrown).
   */
  async follow(
    jobId: number,
    after: number,
    handlers: FollowHandlers,
    signal?: AbortSignal,
  ): Promise<string> {
    let last = after;
    let failures = 0;
    for (;;) {
      signal?.throwIfAborted();
      try {
        const res = await fetch(this.url(`/api/v1/jobs/${jobId}/output/stream`, { after: last }), {
          headers: { accept: 'text/event-stream' },
          ...(signal ? { signal } : {}),
        });
        if (!res.ok) throw await replyError(res);
        if (!res.body) throw new CliError(`the output stream of job ${jobId} has no body`);
        for await (const event of readSse(bodyChunks(res.body))) {
          failures = 0;
          if (event.event === 'line') {
            const line = JSON.parse(event.data) as OutputLineResource;
            if (line.n <= last) continue;
            last = line.n;
            handlers.line?.(line);
          } else if (event.event === 'step') {
            handlers.step?.(JSON.parse(event.data) as StepResource);
          } else if (event.event === 'end') {
            return (JSON.parse(event.data) as { status: string }).status;
          }
        }
        // Closed without an end event: reconnect after the last line.
        throw new Error('the output stream closed early');
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        if (err instanceof ApiError && err.status < 500) throw err;
        if (++failures > 5) {
          throw err instanceof CliError ? err : new ApiUnreachableError(this.baseUrl, err);
        }
        await sleep(Math.min(500 * 2 ** failures, 5_000), signal);
      }
    }
  }

  private async request<T>(method: string, url: string, body: unknown, signal?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (method !== 'GET') {
      headers['content-type'] = 'application/json';
      headers.authorization = `Bearer ${this.token()}`;
    }
    const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? 10_000);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw new ApiUnreachableError(this.baseUrl, err);
    }
    if (!res.ok) throw await replyError(res);
    return (await res.json()) as T;
  }

  private token(): string {
    if (!this.opts.token) throw new CliError('this command needs an API token');
    return this.opts.token();
  }
}

const HINTS: Record<string, string> = {
  UNAUTHORIZED:
    'the token (AUTOCLOUD_TOKEN or $AUTOCLOUD_HOME/api-token) is not one this server accepts; `autocloud up` writes the one its server takes',
  WRITES_DISABLED: 'start the server with API_TOKEN_HASHES set (`autocloud up` does it for its own token)',
};

async function replyError(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  let code = `HTTP_${res.status}`;
  let message = text.slice(0, 300) || res.statusText;
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === 'string') code = body.error.code;
    if (typeof body.error?.message === 'string') message = body.error.message;
  } catch {
    // Not the API's JSON (a proxy's page, say): the text is the message.
  }
  return new ApiError(res.status, code, message, HINTS[code]);
}
