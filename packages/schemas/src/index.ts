// @autocloud/schemas: every message schema (TypeBox), the subject catalogue, validators and JSON Schema export.
export {
  BACKENDS,
  Backend,
  JOB_STATUSES,
  JobStatus,
  Limits,
  REASON_CODES,
  ReasonCode,
  TerminalJobStatus,
  literalUnion,
} from './common.js';
export * from './pungi.js';
export * from './fedmsg.js';
export * from './image-events.js';
export * from './compose-events.js';
export * from './resolved.js';
export * from './work.js';
export * from './output.js';
export * from './control.js';
export * from './api.js';
export * from './deadletter.js';
export * from './catalogue.js';
export * from './validate.js';
export * from './json-schema.js';
