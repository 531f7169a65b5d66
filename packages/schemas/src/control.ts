// Commands from the API and CLI: rerun a job, submit a compose by hand (stream AUTOCLOUD), cancel a job (core request).
// Closed: unknown fields mean the sender and results-api disagree, which must not pass silently.
import { Type, type Static } from '@sinclair/typebox';
import { jobIdProp, requestIdProp, urlProp } from './common.js';

const requestedBy = Type.Optional(
  Type.String({ description: 'Who asked: token name or user, for the audit trail' }),
);

export const RerunCommand = Type.Object(
  {
    job_id: jobIdProp('Job to rerun; the rerun is a new job with attempt + 1'),
    request_id: requestIdProp(),
    requested_by: requestedBy,
  },
  { $id: 'RerunCommand', description: 'Rerun a job that reached a final state', additionalProperties: false },
);
export type RerunCommand = Static<typeof RerunCommand>;

export const SubmitComposeCommand = Type.Object(
  {
    location: urlProp('URL of the compose directory (holds metadata/images.json)'),
    request_id: requestIdProp(),
    compose_id: Type.Optional(Type.String({ minLength: 1, description: 'Expected compose id, if known' })),
    requested_by: requestedBy,
  },
  { $id: 'SubmitComposeCommand', description: 'Test a compose by hand', additionalProperties: false },
);
export type SubmitComposeCommand = Static<typeof SubmitComposeCommand>;

export const CancelRequest = Type.Object(
  {
    job_id: jobIdProp('Job to cancel'),
    reason: Type.Optional(Type.String({ description: 'Why, recorded as the abort reason' })),
    requested_by: requestedBy,
  },
  {
    $id: 'CancelRequest',
    description: 'Core NATS request on autocloud.job.<job_id>.cancel, answered by the runner holding the job',
    additionalProperties: false,
  },
);
export type CancelRequest = Static<typeof CancelRequest>;

export const CancelReply = Type.Object(
  {
    accepted: Type.Boolean({ description: 'Whether the runner will abort the job' }),
    message: Type.Optional(Type.String({ description: 'Human-readable detail, e.g. why it was refused' })),
  },
  { $id: 'CancelReply', description: 'Answer to a CancelRequest', additionalProperties: false },
);
export type CancelReply = Static<typeof CancelReply>;
