// The HTTP error catalogue and its one handler: every error reply is `{error: {code, message}}` with a stable code
// (an HTML page for the web UI), validation failures name the parameter and what is allowed, and a database or
// NATS outage is a 503, never a 500.
import { InvalidCursorError } from '@autocloud/db';
import { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';

export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    options: { cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, { cause: options.cause });
    this.headers = options.headers ?? {};
  }
  readonly headers: Record<string, string>;
}

export const errors = {
  validation: (message: string) => new HttpError(400, 'VALIDATION_FAILED', message),
  invalidCursor: (cause: unknown) =>
    new HttpError(400, 'INVALID_CURSOR', 'cursor: not a cursor this API issued (use next_cursor as given)', {
      cause,
    }),
  unauthorized: (message: string) =>
    new HttpError(401, 'UNAUTHORIZED', message, {
      headers: { 'www-authenticate': 'Bearer realm="autocloud"' },
    }),
  writesDisabled: () =>
    new HttpError(
      403,
      'WRITES_DISABLED',
      'this server accepts no API tokens (API_TOKEN_HASHES is empty), so every write is refused',
    ),
  forbidden: (message: string) => new HttpError(403, 'FORBIDDEN', message),
  composeNotFound: (id: string) => new HttpError(404, 'COMPOSE_NOT_FOUND', `no compose ${id}`),
  jobNotFound: (id: number) => new HttpError(404, 'JOB_NOT_FOUND', `no job ${id}`),
  artifactNotFound: (id: number, name: string) =>
    new HttpError(404, 'ARTIFACT_NOT_FOUND', `job ${id} has no artifact ${name}`),
  imageNotFound: () =>
    new HttpError(404, 'IMAGE_NOT_FOUND', 'no results for this image, arch, type and release'),
  routeNotFound: (method: string, url: string) =>
    new HttpError(404, 'NOT_FOUND', `no route ${method} ${url.split('?')[0] ?? url}`),
  jobNotFinished: (id: number, status: string) =>
    new HttpError(409, 'JOB_NOT_FINISHED', `job ${id} is ${status}; only a finished job can be rerun`),
  jobFinished: (id: number, status: string) =>
    new HttpError(409, 'JOB_FINISHED', `job ${id} already ended (${status}); there is nothing to cancel`),
  jobNotRunning: (id: number, why: string) =>
    new HttpError(409, 'JOB_NOT_RUNNING', `job ${id} is not running on any runner: ${why}`),
  cancelRefused: (id: number, message: string) =>
    new HttpError(409, 'CANCEL_REFUSED', `the runner holding job ${id} refused to cancel it: ${message}`),
  badRunnerReply: (id: number, why: string) =>
    new HttpError(502, 'BAD_RUNNER_REPLY', `the runner holding job ${id} answered nonsense: ${why}`),
  rateLimited: (after: string) =>
    new HttpError(429, 'RATE_LIMITED', `too many writes; try again in ${after}`),
  tooManyStreams: () =>
    new HttpError(503, 'TOO_MANY_STREAMS', 'too many live output streams are open; try again shortly', {
      headers: { 'retry-after': '5' },
    }),
  databaseUnavailable: (cause: unknown) =>
    new HttpError(503, 'DATABASE_UNAVAILABLE', 'the results database is unreachable; try again shortly', {
      cause,
      headers: { 'retry-after': '5' },
    }),
  natsUnavailable: (cause: unknown) =>
    new HttpError(503, 'BUS_UNAVAILABLE', 'the message bus (NATS) is unreachable; try again shortly', {
      cause,
      headers: { 'retry-after': '5' },
    }),
  internal: () => new HttpError(500, 'INTERNAL', 'internal error; it has been logged'),
} as const;

interface AjvError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

const PARTS: Record<string, string> = {
  querystring: 'query',
  params: 'path',
  body: 'body',
  headers: 'header',
};

/** One readable sentence per failed rule: `query parameter status: must be one of queued, running, …`. */
export function describeValidation(validation: readonly AjvError[], context: string | undefined): string {
  const part = PARTS[context ?? ''] ?? context ?? 'request';
  const seen = new Set<string>();
  const sentences: string[] = [];
  for (const e of validation) {
    const field = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const where = field ? `${part} parameter ${field}` : part;
    let what: string;
    switch (e.keyword) {
      case 'enum':
        what = `must be one of ${(e.params.allowedValues as unknown[]).map(String).join(', ')}`;
        break;
      case 'additionalProperties':
        what = `has an unknown parameter ${String(e.params.additionalProperty)}`;
        break;
      case 'required':
        what = `needs ${String(e.params.missingProperty)}`;
        break;
      case 'pattern':
        what = 'is not in the expected format';
        break;
      case 'format':
        what = `must be a valid ${String(e.params.format)}`;
        break;
      default:
        what = e.message ?? 'is invalid';
    }
    const sentence = `${where}: ${what}`;
    if (!seen.has(sentence)) {
      seen.add(sentence);
      sentences.push(sentence);
    }
    if (sentences.length >= 5) break;
  }
  return sentences.join('; ') || `invalid ${part}`;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '57014', // query_canceled (statement_timeout)
]);

/** An error that means PostgreSQL cannot be reached or answer now, as opposed to a bug in a query. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08'))) return true;
    if (e instanceof AggregateError && e.errors.some(isDatabaseUnavailable)) return true;
    if (/timeout exceeded when trying to connect|Connection terminated|connection .*closed/i.test(e.message))
      return true;
  }
  return false;
}

/** Maps anything thrown in a route to an HttpError; unexpected ones become INTERNAL (and are logged). */
export function toHttpError(err: unknown): { error: HttpError; unexpected: boolean } {
  if (err instanceof HttpError) return { error: err, unexpected: false };
  if (err instanceof InvalidCursorError) return { error: errors.invalidCursor(err), unexpected: false };
  const fe = err as FastifyError & { validation?: AjvError[]; validationContext?: string };
  if (Array.isArray(fe.validation)) {
    return {
      error: errors.validation(describeValidation(fe.validation, fe.validationContext)),
      unexpected: false,
    };
  }
  if (isDatabaseUnavailable(err)) return { error: errors.databaseUnavailable(err), unexpected: false };
  if (fe.statusCode === 429) return { error: errors.rateLimited('a minute'), unexpected: false };
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // fastify's own client errors (bad JSON, body too large, wrong content type): keep their status and code.
    return {
      error: new HttpError(fe.statusCode, fe.code ?? 'BAD_REQUEST', fe.message, { cause: err }),
      unexpected: false,
    };
  }
  return { error: errors.internal(), unexpected: true };
}

/** Whether the reply should be a page (the web UI) rather than JSON. */
export function wantsHtml(request: FastifyRequest): boolean {
  const path = request.url.split('?')[0] ?? '';
  if (path.startsWith('/api/') || path === '/openapi.json' || path.startsWith('/docs')) return false;
  return /text\/html/.test(request.headers.accept ?? '') || request.method === 'POST';
}

export function sendError(reply: FastifyReply, error: HttpError): FastifyReply {
  return reply
    .code(error.statusCode)
    .headers(error.headers)
    .type('application/json; charset=utf-8')
    .send({ error: { code: error.code, message: error.message } });
}
