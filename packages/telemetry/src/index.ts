// Logging, tracing and trace propagation shared by every service.
export { createLogger, type Logger, type LoggerConfig } from './logger.js';
export { activeTraceId, extractTraceContext, injectTraceContext, type HeaderCarrier } from './propagation.js';
export { shutdownTelemetry, startTelemetry, type TelemetryHandle } from './sdk.js';
