// Each service's configuration schema, read from its own src/config.ts, so the checks follow the settings as the
// services add them: which variables a service reads, which have defaults, and what values they accept.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type TObject, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { repoRoot } from './repo.js';

export interface ServiceConfig {
  service: string;
  schema: TObject;
  properties: Record<string, TSchema>;
  /** Settings the service cannot start without: required and without a default. */
  mandatory: string[];
}

const cache = new Map<string, ServiceConfig>();

function isConfigSchema(value: unknown): value is TObject {
  const candidate = value as { type?: unknown; properties?: Record<string, unknown> } | null;
  return (
    candidate !== null &&
    typeof candidate === 'object' &&
    candidate.type === 'object' &&
    typeof candidate.properties === 'object' &&
    'NATS_URL' in candidate.properties
  );
}

/** The TypeBox object `services/<service>/src/config.ts` exports (the one with NATS_URL among its keys). */
export async function serviceConfig(service: string): Promise<ServiceConfig> {
  const cached = cache.get(service);
  if (cached) return cached;
  const file = join(repoRoot, 'services', service, 'src', 'config.ts');
  if (!existsSync(file)) throw new Error(`services/${service}/src/config.ts not found`);
  const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const schemas = Object.values(module).filter(isConfigSchema);
  if (schemas.length !== 1) {
    throw new Error(
      `services/${service}/src/config.ts exports ${schemas.length} configuration schemas, expected 1`,
    );
  }
  const config = describeConfig(service, schemas[0]!);
  cache.set(service, config);
  return config;
}

export function describeConfig(service: string, schema: TObject): ServiceConfig {
  const required = new Set(schema.required ?? []);
  return {
    service,
    schema,
    properties: schema.properties,
    mandatory: Object.entries(schema.properties)
      .filter(([key, property]) => required.has(key) && !('default' in property))
      .map(([key]) => key),
  };
}

/** Why a string is not a valid value of the setting (after the same conversion the service applies), or undefined. */
export function valueProblem(property: TSchema, value: string): string | undefined {
  const converted = Value.Convert(property, value);
  if (Value.Check(property, converted)) return undefined;
  const first = Value.Errors(property, converted).First();
  return first?.message ?? 'invalid';
}

/** The value a service runs with: the given one, else the schema's default. */
export function effectiveValue(
  config: ServiceConfig,
  key: string,
  given: string | undefined,
): string | undefined {
  if (given !== undefined && given !== '') return given;
  const fallback = (config.properties[key] as { default?: unknown } | undefined)?.default;
  if (fallback === undefined) return undefined;
  return typeof fallback === 'string' ? fallback : JSON.stringify(fallback);
}

/**
 * Variables a container may set that are not in a service's schema: read by Node.js or the OpenTelemetry SDK
 * (OTEL_*, DESIGN §9), not by the service's configuration.
 */
export function isProcessVariable(name: string): boolean {
  return /^OTEL_/.test(name) || ['NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS', 'TZ', 'NODE_ENV'].includes(name);
}
