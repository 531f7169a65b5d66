// Configuration from the environment: one TypeBox object whose keys are the variable names, checked all at once.
import { type Static, type TObject, type TSchema, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';

/** Every problem with the configuration, so an operator fixes them in one go. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export interface ConfigCheck<T> {
  (config: T): string | string[] | undefined;
}

/**
 * Reads `schema`'s keys from `env`, converts strings to the declared types, applies defaults, validates, and runs
 * the extra `checks`. Throws a ConfigError listing every problem; never echoes a value (it may be a secret).
 */
export function loadConfig<S extends TObject>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
  checks: ConfigCheck<Static<S>>[] = [],
): Static<S> {
  const raw: Record<string, unknown> = {};
  // TypeBox's conversion would read RUNNER_SLOTS=1.5 as 1 and 1e3 as 1: numbers are read strictly here, and a value
  // that is not one stays a string for validation to reject.
  const numbers: Record<string, number | string> = {};
  for (const [key, property] of Object.entries<TSchema>(schema.properties)) {
    const value = env[key];
    if (value === undefined || value === '') continue;
    if (property.type === 'integer' || property.type === 'number')
      numbers[key] = strictNumber(value, property.type === 'integer');
    else raw[key] = value;
  }
  const converted = { ...(Value.Convert(schema, Value.Default(schema, raw)) as object), ...numbers };
  const compiled = TypeCompiler.Compile(schema);
  const problems: string[] = [];
  for (const error of compiled.Errors(converted)) {
    const key = error.path.replace(/^\//, '').split('/')[0] ?? error.path;
    const property: TSchema | undefined = schema.properties[key];
    const hint = property?.description ? ` (${property.description})` : '';
    problems.push(`${key || 'configuration'}: ${error.message}${hint}`);
  }
  if (problems.length === 0) {
    for (const check of checks) {
      const result = check(converted);
      if (result) problems.push(...(Array.isArray(result) ? result : [result]));
    }
  }
  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);
  return converted;
}

/** A decimal number (an integer where one is expected), or the text unchanged. */
function strictNumber(value: string, integer: boolean): number | string {
  const text = value.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return value;
  const n = Number(text);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) return value;
  return n;
}

/** Settings every service shares (DESIGN §10). */
export const CommonConfig = Type.Object({
  NATS_URL: Type.String({
    default: 'nats://127.0.0.1:4222',
    description: 'NATS server URL(s), comma-separated nats:// or tls://',
  }),
  AUTOCLOUD_HOME: Type.String({ default: './.autocloud', description: 'local state: caches, embedded DB' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info', description: 'fatal, error, warn, info, debug, trace or silent' },
  ),
  HEALTH_HOST: Type.String({ default: '0.0.0.0', description: 'address of the health and metrics endpoint' }),
  NATS_STREAM_REPLICAS: Type.Integer({
    minimum: 1,
    maximum: 5,
    default: 1,
    description: 'JetStream replicas for the streams this service declares (3 in production)',
  }),
});
export type CommonConfig = Static<typeof CommonConfig>;

/** A health port setting with a per-service default, so services on one host do not collide. */
export function healthPort(defaultPort: number) {
  return Type.Integer({
    minimum: 0,
    maximum: 65535,
    default: defaultPort,
    description: 'port of /healthz, /readyz and /metrics (0: off)',
  });
}

/** Checks NATS_URL: every comma-separated entry must be a nats://, tls://, ws:// or wss:// URL with a host. */
export function checkNatsUrl(config: { NATS_URL: string }): string | undefined {
  const bad = config.NATS_URL.split(',')
    .map((s) => s.trim())
    .filter((entry) => !isNatsUrl(entry));
  if (bad.length === 0) return undefined;
  return `NATS_URL: expected nats://host:port (comma-separated for several servers), got ${bad.length === 1 ? 'an entry' : `${bad.length} entries`} that is not such a URL`;
}

function isNatsUrl(entry: string): boolean {
  try {
    const url = new URL(entry);
    return ['nats:', 'tls:', 'ws:', 'wss:'].includes(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Splits a comma-separated setting into trimmed, non-empty entries. */
export function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
