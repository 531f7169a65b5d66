// The REST API's bodies (results-api `serve`, /api/v1): query strings, path parameters, resources and errors.
// fastify validates requests and serialises replies with these objects, and @fastify/swagger documents them.
import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { BACKENDS, JOB_STATUSES, REASON_CODES, requestIdProp } from './common.js';
import { OUTPUT_STREAMS, STEP_KINDS } from './output.js';

/** Largest id the API accepts: ids are int8 in PostgreSQL and numbers in JSON. */
export const MAX_API_ID = Number.MAX_SAFE_INTEGER;
/** Largest page of a list (composes, jobs). */
export const MAX_API_PAGE = 500;
/** Largest page of output lines. */
export const MAX_API_OUTPUT_PAGE = 5000;

export const COMPOSE_STATUSES = ['queued', 'running', 'complete'] as const;

/**
 * A string from a fixed list, as a JSON Schema `enum`: validators then report the allowed values, which a union of
 * literals does not do as readably.
 */
function oneOf<const T extends readonly string[]>(values: T, description: string) {
  return Type.Unsafe<T[number]>(Type.String({ enum: [...values], description }));
}

/**
 * The schema or null, as a type list (`type: ['string', 'null']`) rather than `anyOf`: fastify's serializer picks
 * an `anyOf` branch by validating each value, which costs more than the rest of a reply; @fastify/swagger writes
 * the list as `nullable: true` for OpenAPI 3.0.
 */
function nullable<S extends TSchema>(schema: S): TUnsafe<Static<S> | null> {
  const json = schema as TSchema & { type?: unknown; enum?: unknown[] };
  if (typeof json.type !== 'string') throw new TypeError('nullable() needs a schema with one type');
  return Type.Unsafe<Static<S> | null>({
    ...json,
    type: [json.type, 'null'],
    ...(json.enum ? { enum: [...json.enum, null] } : {}),
  });
}
const dateTime = (description: string) => Type.String({ format: 'date-time', description });
const idProp = (description: string) => Type.Integer({ minimum: 1, maximum: MAX_API_ID, description });
const filterText = (description: string) => Type.String({ minLength: 1, maxLength: 200, description });

// ---- errors ----

export const ApiError = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String({ description: 'Stable machine-readable code, e.g. JOB_NOT_FOUND' }),
        message: Type.String({ description: 'What went wrong, for a person' }),
      },
      { additionalProperties: false },
    ),
  },
  { description: 'Every error reply', additionalProperties: false },
);
export type ApiError = Static<typeof ApiError>;

// ---- pagination ----

export const CursorParam = Type.String({
  pattern: '^[A-Za-z0-9_-]{1,24}$',
  description: 'next_cursor of the previous page; omit for the newest page',
});
export const LimitParam = Type.Integer({
  minimum: 1,
  maximum: MAX_API_PAGE,
  default: 50,
  description: `Page size (1–${MAX_API_PAGE}, default 50)`,
});
const nextCursor = nullable(
  Type.String({ description: 'Pass as cursor for the next (older) page; null on the last page' }),
);

// ---- composes ----

export const ComposeListQuery = Type.Object(
  {
    status: Type.Optional(oneOf(COMPOSE_STATUSES, 'Compose state')),
    type: Type.Optional(filterText('Compose type: nightly, production, test, ...')),
    release: Type.Optional(filterText('Release, e.g. 41 or Rawhide')),
    limit: Type.Optional(LimitParam),
    cursor: Type.Optional(CursorParam),
  },
  { additionalProperties: false },
);
export type ComposeListQuery = Static<typeof ComposeListQuery>;

export const ComposeParams = Type.Object(
  {
    compose_id: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'Compose id (Fedora-Cloud-41-20241020.0) or its integer compose_job_id',
    }),
  },
  { additionalProperties: false },
);
export type ComposeParams = Static<typeof ComposeParams>;

export const ComposeResource = Type.Object(
  {
    compose_job_id: idProp('Integer id of the compose (the original compose_job_id)'),
    compose_id: Type.String({ description: 'Compose id, e.g. Fedora-Cloud-41-20241020.0' }),
    location: Type.String({ description: 'URL of the compose directory' }),
    release: Type.String(),
    date: Type.String({ description: 'YYYYMMDD' }),
    respin: Type.Integer({ minimum: 0 }),
    type: Type.String({ description: 'nightly, production, test, ...' }),
    label: nullable(Type.String()),
    pungi_status: Type.String(),
    status: oneOf(COMPOSE_STATUSES, 'queued → running → complete'),
    reason: nullable(Type.String({ description: 'Why the compose has no or fewer jobs' })),
    job_count: Type.Integer({ minimum: 0 }),
    passed: Type.Integer({ minimum: 0 }),
    failed: Type.Integer({ minimum: 0 }),
    aborted: Type.Integer({ minimum: 0 }),
    trace_id: nullable(Type.String()),
    created_at: dateTime('When it was recorded'),
    started_at: nullable(dateTime('When its first job ran')),
    completed_at: nullable(dateTime('When its last job ended')),
  },
  { description: 'A compose under test', additionalProperties: false },
);
export type ComposeResource = Static<typeof ComposeResource>;

export const ComposePage = Type.Object(
  { items: Type.Array(ComposeResource), next_cursor: nextCursor },
  { description: 'Composes, newest first', additionalProperties: false },
);
export type ComposePage = Static<typeof ComposePage>;

export const SubmitComposeBody = Type.Object(
  {
    location: Type.String({
      format: 'uri',
      pattern: '^https?://[^\\s]+$',
      maxLength: 2000,
      description: 'http(s) URL of the compose directory (it holds metadata/images.json)',
    }),
    compose_id: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'Expected compose id' }),
    ),
    request_id: Type.Optional(requestIdProp('Idempotency key; a new one is chosen when absent')),
  },
  { description: 'Test a compose by hand', additionalProperties: false },
);
export type SubmitComposeBody = Static<typeof SubmitComposeBody>;

export const Accepted = Type.Object(
  {
    request_id: Type.String({ description: 'Id of the command, as recorded on the bus' }),
    status: Type.Literal('accepted'),
  },
  { description: 'The command was published; it is carried out asynchronously', additionalProperties: false },
);
export type Accepted = Static<typeof Accepted>;

// ---- jobs ----

export const JobListQuery = Type.Object(
  {
    compose_id: Type.Optional(filterText('Compose id, e.g. Fedora-Cloud-41-20241020.0')),
    compose_job_id: Type.Optional(idProp('Integer compose id')),
    status: Type.Optional(oneOf(JOB_STATUSES, 'Job state')),
    arch: Type.Optional(filterText('Architecture, e.g. x86_64')),
    family: Type.Optional(filterText('Image family, e.g. Base')),
    image_type: Type.Optional(filterText('productmd image type, e.g. qcow2, vagrant-libvirt')),
    backend: Type.Optional(oneOf(BACKENDS, 'Runner backend')),
    release: Type.Optional(filterText('Release, e.g. 41 or Rawhide')),
    image_name: Type.Optional(filterText('Exact image name, e.g. Fedora-Cloud-Base-Generic-41-20241020.0')),
    image: Type.Optional(filterText('Image across composes, e.g. Fedora-Cloud-Base-Generic')),
    limit: Type.Optional(LimitParam),
    cursor: Type.Optional(CursorParam),
  },
  { additionalProperties: false },
);
export type JobListQuery = Static<typeof JobListQuery>;

export const JobParams = Type.Object({ job_id: idProp('Job id') }, { additionalProperties: false });
export type JobParams = Static<typeof JobParams>;

const StepSummaryResource = Type.Object(
  {
    total: Type.Integer({ minimum: 0 }),
    passed: Type.Integer({ minimum: 0 }),
    failed: Type.Integer({ minimum: 0 }),
    skipped: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

export const JobResource = Type.Object(
  {
    job_id: idProp('Job id'),
    compose_job_id: idProp('Integer id of its compose'),
    compose_id: Type.String(),
    image_name: Type.String({ description: 'e.g. Fedora-Cloud-Base-Generic-41-20241020.0' }),
    image: Type.String({ description: 'The image across composes, e.g. Fedora-Cloud-Base-Generic' }),
    image_url: Type.String({ description: 'Where the image is downloaded from' }),
    image_path: Type.String(),
    sha256: Type.String(),
    size: Type.Integer({ minimum: 0 }),
    type: Type.String({ description: 'productmd image type (the image_type filter)' }),
    format: Type.String(),
    variant: Type.String(),
    subvariant: Type.String(),
    arch: Type.String(),
    family: Type.String(),
    release: Type.String(),
    backend: oneOf(BACKENDS, 'Runner backend'),
    plan: Type.String({ description: 'Test plan' }),
    status: oneOf(JOB_STATUSES, 'queued → running → success | failed | aborted'),
    reason: nullable(Type.String()),
    reason_code: nullable(oneOf(REASON_CODES, 'Machine-readable cause of a failure or abort')),
    attempt: Type.Integer({ minimum: 1 }),
    rerun_of: nullable(idProp('Job this one reruns')),
    superseded: Type.Boolean({ description: 'Replaced by a later attempt; left out of the compose totals' }),
    hypervisor: nullable(Type.String()),
    runner: nullable(Type.String()),
    trace_id: nullable(Type.String()),
    summary: nullable(StepSummaryResource),
    boot_ms: nullable(Type.Integer({ minimum: 0, description: 'Boot to SSH answering, ms' })),
    duration_ms: nullable(Type.Integer({ minimum: 0 })),
    output_lines: Type.Integer({ minimum: 0, description: 'Output lines recorded so far' }),
    queued_at: dateTime('When it was queued'),
    started_at: nullable(dateTime('When a runner took it')),
    finished_at: nullable(dateTime('When it reached its final state')),
  },
  { description: 'A test of one image of a compose', additionalProperties: false },
);
export type JobResource = Static<typeof JobResource>;

export const JobPage = Type.Object(
  { items: Type.Array(JobResource), next_cursor: nextCursor },
  { description: 'Jobs, newest first', additionalProperties: false },
);
export type JobPage = Static<typeof JobPage>;

export const StepResource = Type.Object(
  {
    idx: Type.Integer({ minimum: 0 }),
    command: Type.String(),
    kind: oneOf(STEP_KINDS, 'How the plan line is run and judged'),
    state: oneOf(['running', 'passed', 'failed'] as const, 'running until it ends'),
    exit_code: nullable(Type.Integer()),
    passed: Type.Boolean(),
    started_at: dateTime('When it started'),
    finished_at: nullable(dateTime('When it ended')),
    duration_ms: nullable(Type.Integer({ minimum: 0 })),
    first_line: nullable(Type.Integer({ minimum: 1 })),
    last_line: nullable(Type.Integer({ minimum: 1 })),
  },
  { description: 'One step of the test plan', additionalProperties: false },
);
export type StepResource = Static<typeof StepResource>;

export const JobDetail = Type.Composite([JobResource, Type.Object({ steps: Type.Array(StepResource) })], {
  description: 'A job with its steps',
  additionalProperties: false,
});
export type JobDetail = Static<typeof JobDetail>;

export const RerunBody = Type.Object(
  { request_id: Type.Optional(requestIdProp('Idempotency key; a new one is chosen when absent')) },
  { additionalProperties: false },
);
export type RerunBody = Static<typeof RerunBody>;

export const CancelBody = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 500, description: 'Recorded as the abort reason' })) },
  { additionalProperties: false },
);
export type CancelBody = Static<typeof CancelBody>;

export const CancelResult = Type.Object(
  {
    job_id: idProp('Job id'),
    accepted: Type.Boolean({ description: 'The runner holding the job will abort it' }),
    message: Type.Optional(Type.String()),
  },
  { description: "The runner's answer", additionalProperties: false },
);
export type CancelResult = Static<typeof CancelResult>;

// ---- output ----

export const OutputQuery = Type.Object(
  {
    from: Type.Integer({ minimum: 1, maximum: 2_147_483_647, default: 1, description: 'First line number' }),
    limit: Type.Integer({
      minimum: 1,
      maximum: MAX_API_OUTPUT_PAGE,
      default: 1000,
      description: `Lines (1–${MAX_API_OUTPUT_PAGE}, default 1000)`,
    }),
  },
  { additionalProperties: false },
);
export type OutputQuery = Static<typeof OutputQuery>;

export const OutputLineResource = Type.Object(
  {
    n: Type.Integer({ minimum: 1, description: 'Line number (the UI anchors #n)' }),
    ts: dateTime('When the line was produced'),
    text: Type.String(),
    step: nullable(Type.Integer({ minimum: 0 })),
    stream: nullable(oneOf(OUTPUT_STREAMS, 'Source of the line')),
  },
  { additionalProperties: false },
);
export type OutputLineResource = Static<typeof OutputLineResource>;

export const OutputPage = Type.Object(
  {
    job_id: idProp('Job id'),
    lines: Type.Array(OutputLineResource),
    next_from: Type.Integer({ minimum: 1, description: 'from for the next request' }),
    complete: Type.Boolean({ description: 'The job has ended and no line follows this page' }),
  },
  { description: 'A page of output lines', additionalProperties: false },
);
export type OutputPage = Static<typeof OutputPage>;

export const StreamQuery = Type.Object(
  {
    after: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 2_147_483_647,
        description: 'Send lines after this number (as the Last-Event-ID header does)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type StreamQuery = Static<typeof StreamQuery>;

// ---- artifacts ----

export const ArtifactParams = Type.Object(
  {
    job_id: idProp('Job id'),
    name: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$',
      description: 'File name, e.g. serial-console.log',
    }),
  },
  { additionalProperties: false },
);
export type ArtifactParams = Static<typeof ArtifactParams>;

export const ArtifactResource = Type.Object(
  {
    name: Type.String({ description: 'File name, e.g. serial-console.log' }),
    size: Type.Integer({ minimum: 0 }),
    modified: dateTime('When it was stored'),
    url: Type.String({ description: 'Where to download it' }),
  },
  { additionalProperties: false },
);
export type ArtifactResource = Static<typeof ArtifactResource>;

export const ArtifactList = Type.Object(
  { items: Type.Array(ArtifactResource) },
  { description: "A job's artifacts", additionalProperties: false },
);
export type ArtifactList = Static<typeof ArtifactList>;

// ---- history ----

export const HistoryQuery = Type.Object(
  {
    image: filterText('The image across composes, e.g. Fedora-Cloud-Base-Generic'),
    arch: filterText('Architecture, e.g. x86_64'),
    type: filterText('productmd image type, e.g. qcow2'),
    release: filterText('Release, e.g. 41 or Rawhide'),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 200, default: 60, description: 'Composes (1–200, default 60)' }),
    ),
  },
  { additionalProperties: false },
);
export type HistoryQuery = Static<typeof HistoryQuery>;

export const HistoryEntry = Type.Object(
  {
    compose_job_id: idProp('Integer compose id'),
    compose_id: Type.String(),
    compose_date: Type.String({ description: 'YYYYMMDD' }),
    job_id: idProp('Job id'),
    image_name: Type.String(),
    status: oneOf(JOB_STATUSES, 'Job state'),
    reason: nullable(Type.String()),
    boot_ms: nullable(Type.Integer({ minimum: 0 })),
    duration_ms: nullable(Type.Integer({ minimum: 0 })),
    finished_at: nullable(dateTime('When the job ended')),
  },
  { additionalProperties: false },
);
export type HistoryEntry = Static<typeof HistoryEntry>;

export const FailingStep = Type.Object(
  {
    job_id: idProp('Job id'),
    idx: Type.Integer({ minimum: 0 }),
    command: Type.String(),
    kind: Type.String(),
    exit_code: nullable(Type.Integer()),
    first_line: nullable(Type.Integer({ minimum: 1 })),
  },
  { description: 'The first step that failed', additionalProperties: false },
);
export type FailingStep = Static<typeof FailingStep>;

export const ImageHistory = Type.Object(
  {
    image: Type.String(),
    arch: Type.String(),
    type: Type.String(),
    release: Type.String(),
    entries: Type.Array(HistoryEntry, { description: 'One per compose, newest first' }),
    last_good: nullable(HistoryEntry),
    first_bad: nullable(HistoryEntry),
    failing_step: nullable(FailingStep),
  },
  {
    description:
      "An image's results across composes: the last compose it passed in, the first failure after it and the step " +
      'that started failing there',
    additionalProperties: false,
  },
);
export type ImageHistory = Static<typeof ImageHistory>;

// ---- health ----

export const Readiness = Type.Object(
  {
    status: oneOf(['ready', 'not ready'] as const, 'ready when every dependency answers'),
    failures: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  { additionalProperties: false },
);
export type Readiness = Static<typeof Readiness>;
