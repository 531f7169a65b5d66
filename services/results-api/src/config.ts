// results-api settings (DESIGN §10).
import { Type, type Static } from '@sinclair/typebox';
import { REASON_CODES } from '@autocloud/schemas';
import { checkNatsUrl, CommonConfig, healthPort, list } from '@autocloud/service';

export const ResultsApiConfig = Type.Composite([
  CommonConfig,
  Type.Object({
    HEALTH_PORT: healthPort(9106),
    DATABASE_URL: Type.Optional(
      Type.String({ description: 'postgres://…; unset: embedded PGlite under AUTOCLOUD_HOME' }),
    ),
    PORT: Type.Integer({
      minimum: 1,
      maximum: 65535,
      default: 8080,
      description: 'HTTP port of the API and UI',
    }),
    HOST: Type.String({ default: '0.0.0.0', description: 'HTTP listen address' }),
    QUEUE_TIMEOUT_HOURS: Type.Number({
      exclusiveMinimum: 0,
      default: 12,
      description: 'a job no runner took within this time is aborted, so its compose completes',
    }),
    AUTO_RETRIES: Type.Integer({
      minimum: 0,
      maximum: 10,
      default: 2,
      description: 'automatic new attempts for a job aborted for an infrastructure reason',
    }),
    AUTO_RETRY_REASONS: Type.String({
      default: 'infrastructure,download',
      description: 'reason codes that are retried automatically (never test)',
    }),
    API_TOKEN_HASHES: Type.Optional(
      Type.String({
        description: 'comma-separated sha256 hex of accepted bearer tokens; unset: writes refused',
      }),
    ),
    WRITE_RATE_LIMIT: Type.Integer({
      minimum: 1,
      default: 30,
      description: 'writes (POST) per client address per minute',
    }),
    SSE_MAX_CLIENTS: Type.Integer({
      minimum: 1,
      default: 1000,
      description: 'live output streams open at once',
    }),
    TRACING_URL_TEMPLATE: Type.Optional(
      Type.String({
        description:
          'link to a trace in the tracing UI, with {trace_id}, e.g. https://jaeger/trace/{trace_id}',
      }),
    ),
    TRUST_PROXY: Type.Boolean({
      default: false,
      description: 'trust X-Forwarded-For/-Proto (behind an ingress) for client addresses and https',
    }),
  }),
]);
export type ResultsApiConfig = Static<typeof ResultsApiConfig>;

export const resultsApiChecks = [
  checkNatsUrl,
  (c: ResultsApiConfig) =>
    c.DATABASE_URL && !/^postgres(ql)?:\/\/[^/]/.test(c.DATABASE_URL)
      ? 'DATABASE_URL: expected postgres://user@host:port/database'
      : undefined,
  (c: ResultsApiConfig) =>
    list(c.API_TOKEN_HASHES).some((h) => !/^[0-9a-f]{64}$/i.test(h))
      ? 'API_TOKEN_HASHES: every entry must be the 64-character sha256 hex of a token'
      : undefined,
  retryReasonsCheck,
  (c: ResultsApiConfig) =>
    c.TRACING_URL_TEMPLATE !== undefined &&
    !(/^https?:\/\/[^/]/.test(c.TRACING_URL_TEMPLATE) && c.TRACING_URL_TEMPLATE.includes('{trace_id}'))
      ? 'TRACING_URL_TEMPLATE: expected an http(s) URL containing {trace_id}'
      : undefined,
];

const NEVER_RETRIED = ['test', 'cancelled'];

export function retryReasonsCheck(c: ResultsApiConfig): string[] {
  return list(c.AUTO_RETRY_REASONS).flatMap((code) =>
    !(REASON_CODES as readonly string[]).includes(code)
      ? [`AUTO_RETRY_REASONS: ${code} is not a reason code (${REASON_CODES.join(', ')})`]
      : NEVER_RETRIED.includes(code)
        ? [`AUTO_RETRY_REASONS: ${code} is never retried automatically`]
        : [],
  );
}

export type Role = 'record' | 'serve' | 'all';

/** `record`, `serve`, or nothing for both in one process. */
export function parseRole(argv: string[]): Role | Error {
  const args = argv.filter((a) => a !== '--');
  if (args.length === 0) return 'all';
  if (args.length === 1 && (args[0] === 'record' || args[0] === 'serve')) return args[0];
  return new Error(`usage: results-api [record|serve] (got: ${args.join(' ')})`);
}
