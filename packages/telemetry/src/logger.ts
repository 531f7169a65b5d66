// pino JSON logs that carry the active trace and span ids, so a log line leads to its trace.
import { trace } from '@opentelemetry/api';
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

export interface LoggerConfig {
  service: string;
  level?: string;
  /** Extra paths to redact (secrets must never reach a log). */
  redact?: string[];
  destination?: pino.DestinationStream;
}

const DEFAULT_REDACT = [
  'password',
  'token',
  '*.password',
  '*.token',
  'config.DATABASE_URL',
  'config.API_TOKEN_HASHES',
  'config.FEDORA_MESSAGING_URL',
  'headers.authorization',
];

export function createLogger(config: LoggerConfig): Logger {
  const options: LoggerOptions = {
    name: config.service,
    level: config.level ?? 'info',
    base: { service: config.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: [...DEFAULT_REDACT, ...(config.redact ?? [])], censor: '[redacted]' },
    mixin() {
      const span = trace.getActiveSpan();
      if (!span) return {};
      const { traceId, spanId } = span.spanContext();
      return { trace_id: traceId, span_id: spanId };
    },
  };
  return config.destination ? pino(options, config.destination) : pino(options);
}
