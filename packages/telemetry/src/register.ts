// Preloaded with `node --import @autocloud/telemetry/register` so instrumentation is in place before app code loads.
import { register } from 'node:module';
import { startTelemetry } from './sdk.js';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
startTelemetry();
