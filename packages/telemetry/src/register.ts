// Preloaded with `node --import @autocloud/telemetry/register` so tracing is in place before app code loads.
// Automatic instrumentation (http, pg) needs an ESM loader hook that costs about 50 MiB per process, so it is on only
// for the instrumentations named in OTEL_NODE_ENABLED_INSTRUMENTATIONS; the spans that follow a compose across
// services come from the bus and need no hook.
import { register } from 'node:module';
import { enabledInstrumentations, startTelemetry } from './sdk.js';

const instrumentations = enabledInstrumentations();
if (process.env.OTEL_SDK_DISABLED !== 'true' && instrumentations.length > 0) {
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
}
startTelemetry();
