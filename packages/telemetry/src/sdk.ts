// OpenTelemetry sdk-node set-up: resource, exporters from the standard OTEL_* variables, instrumentations.
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';

export interface TelemetryHandle {
  shutdown(): Promise<void>;
}

const HANDLE = Symbol.for('autocloud.telemetry');

interface GlobalWithTelemetry {
  [HANDLE]?: TelemetryHandle;
}

/**
 * Starts the SDK once per process. Traces go wherever OTEL_EXPORTER_OTLP_* points; with none of those set and no
 * OTEL_TRACES_EXPORTER, spans are still created (trace ids in logs and in jobs) but not exported.
 */
export function startTelemetry(env: NodeJS.ProcessEnv = process.env): TelemetryHandle {
  const global = globalThis as GlobalWithTelemetry;
  const existing = global[HANDLE];
  if (existing) return existing;
  if (env.OTEL_SDK_DISABLED === 'true') {
    const noop = { shutdown: () => Promise.resolve() };
    global[HANDLE] = noop;
    return noop;
  }
  const exporterConfigured =
    env.OTEL_TRACES_EXPORTER !== undefined ||
    env.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined ||
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined;
  if (!exporterConfigured) process.env.OTEL_TRACES_EXPORTER = 'none';
  if (env.OTEL_METRICS_EXPORTER === undefined) process.env.OTEL_METRICS_EXPORTER = 'none';
  if (env.OTEL_LOGS_EXPORTER === undefined) process.env.OTEL_LOGS_EXPORTER = 'none';

  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? serviceNameFromPackage(),
    instrumentations: enabledInstrumentations(env).map((name) =>
      name === 'http'
        ? new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => isProbe(req.url) })
        : new PgInstrumentation(),
    ),
  });
  sdk.start();
  const handle: TelemetryHandle = {
    shutdown: async () => {
      await sdk.shutdown();
    },
  };
  global[HANDLE] = handle;
  return handle;
}

const KNOWN_INSTRUMENTATIONS = ['http', 'pg'] as const;

/** The automatic instrumentations OTEL_NODE_ENABLED_INSTRUMENTATIONS asks for (http, pg; default none). */
export function enabledInstrumentations(env: NodeJS.ProcessEnv = process.env): ('http' | 'pg')[] {
  const wanted = (env.OTEL_NODE_ENABLED_INSTRUMENTATIONS ?? '').split(',').map((s) => s.trim());
  return KNOWN_INSTRUMENTATIONS.filter((name) => wanted.includes(name));
}

/** Flushes and stops telemetry if it was started; the last step of a service's shutdown. */
export async function shutdownTelemetry(): Promise<void> {
  await (globalThis as GlobalWithTelemetry)[HANDLE]?.shutdown();
}

function serviceNameFromPackage(): string {
  const name = process.env.npm_package_name;
  return name ? name.replace(/^@autocloud\//, 'autocloud-') : 'autocloud';
}

function isProbe(url: string | undefined): boolean {
  return url === '/healthz' || url === '/readyz' || url === '/metrics';
}
