// Table types for results-api's database (DESIGN §4), with the row, insert and update shape of each table.
import type { ColumnType, Generated, Insertable, Kysely, Selectable, Transaction, Updateable } from 'kysely';

export type ComposeStatus = 'queued' | 'running' | 'complete';
export type JobStatus = 'queued' | 'running' | 'success' | 'failed' | 'aborted';
export type Backend = 'libvirt' | 'vbox';
export type ReasonCode =
  | 'download'
  | 'checksum'
  | 'boot'
  | 'ssh'
  | 'cloud-init'
  | 'test'
  | 'timeout'
  | 'cancelled'
  | 'infrastructure';
export type StepKind =
  'command' | 'non-gating' | 'expected-fail' | 'sleep' | 'poll' | 'host-command' | 'host-test';

/** What a job's steps came to; stored as jsonb. */
export interface StepSummary {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
}

/**
 * jsonb columns hold JSON objects only: pg serialises a JS object with JSON.stringify but a JS array as a
 * Postgres array literal, so an array at the top level would not round-trip.
 */
export type JsonObject = { [key: string]: JsonValue };
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** timestamptz: read as a Date, written as a Date or an ISO 8601 string. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** A timestamptz with a database default (now()). */
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** A column with a database default that may still be written. */
type Defaulted<T> = ColumnType<T, T | undefined, T>;

export interface ComposesTable {
  /** The public integer id (`compose_job_id` in messages); bigint identity, read as a number. */
  compose_job_id: Generated<number>;
  compose_id: string;
  location: string;
  release: string;
  /** YYYYMMDD, as pungi reports it. */
  date: string;
  respin: number;
  type: string;
  label: string | null;
  pungi_status: string;
  status: Defaulted<ComposeStatus>;
  /** Why the compose has no (or fewer) jobs, e.g. its metadata was unreadable. */
  reason: string | null;
  job_count: Defaulted<number>;
  passed: Defaulted<number>;
  failed: Defaulted<number>;
  aborted: Defaulted<number>;
  trace_id: string | null;
  created_at: DefaultTimestamp;
  started_at: Timestamp | null;
  completed_at: Timestamp | null;
  updated_at: DefaultTimestamp;
}

export interface JobsTable {
  job_id: Generated<number>;
  compose_job_id: number;
  compose_id: string;
  image_url: string;
  image_path: string;
  image_name: string;
  sha256: string;
  size: number;
  /** productmd image type (qcow2, raw-xz, vagrant-libvirt, ...); the API's `image_type` filter. */
  type: string;
  format: string;
  variant: string;
  arch: string;
  subvariant: string;
  family: string;
  release: string;
  backend: Backend;
  plan: string;
  limits: JsonObject | null;
  status: Defaulted<JobStatus>;
  reason: string | null;
  reason_code: ReasonCode | null;
  attempt: Defaulted<number>;
  rerun_of: number | null;
  /** An infrastructure abort retried as a new attempt: kept for history, left out of the compose totals. */
  superseded: Defaulted<boolean>;
  hypervisor: string | null;
  runner: string | null;
  trace_id: string | null;
  summary: StepSummary | null;
  /** Boot-to-SSH time. */
  boot_ms: number | null;
  duration_ms: number | null;
  output_lines: Defaulted<number>;
  queued_at: DefaultTimestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  updated_at: DefaultTimestamp;
}

export interface JobStepsTable {
  job_id: number;
  idx: number;
  command: string;
  kind: StepKind;
  exit_code: number | null;
  passed: boolean;
  started_at: Timestamp;
  finished_at: Timestamp | null;
  duration_ms: number | null;
  /** The step's range of output line numbers (`output_lines.n`). */
  first_line: number | null;
  last_line: number | null;
}

export interface OutputLinesTable {
  job_id: number;
  /** Line number within the job; with job_id the key, so a redelivered line is stored once. */
  n: number;
  ts: DefaultTimestamp;
  text: string;
  step: number | null;
  stream: string | null;
}

export interface ProcessedEventsTable {
  /** The event's Nats-Msg-Id. */
  event_id: string;
  subject: string;
  processed_at: DefaultTimestamp;
}

export interface OutboxTable {
  id: Generated<number>;
  subject: string;
  /** Published as Nats-Msg-Id, so JetStream drops a re-publish. */
  msg_id: string;
  body: JsonObject;
  /** Extra NATS headers, e.g. the W3C trace context. */
  headers: Record<string, string> | null;
  created_at: DefaultTimestamp;
  published_at: Timestamp | null;
}

export interface Database {
  composes: ComposesTable;
  jobs: JobsTable;
  job_steps: JobStepsTable;
  output_lines: OutputLinesTable;
  processed_events: ProcessedEventsTable;
  outbox: OutboxTable;
}

export type Compose = Selectable<ComposesTable>;
export type NewCompose = Insertable<ComposesTable>;
export type ComposeUpdate = Updateable<ComposesTable>;

export type Job = Selectable<JobsTable>;
export type NewJob = Insertable<JobsTable>;
export type JobUpdate = Updateable<JobsTable>;

export type JobStep = Selectable<JobStepsTable>;
export type NewJobStep = Insertable<JobStepsTable>;
export type JobStepUpdate = Updateable<JobStepsTable>;

export type OutputLine = Selectable<OutputLinesTable>;
export type NewOutputLine = Insertable<OutputLinesTable>;

export type ProcessedEvent = Selectable<ProcessedEventsTable>;
export type NewProcessedEvent = Insertable<ProcessedEventsTable>;

export type OutboxMessage = Selectable<OutboxTable>;
export type NewOutboxMessage = Insertable<OutboxTable>;
export type OutboxMessageUpdate = Updateable<OutboxTable>;

/** What a repository function runs on: the database or an open transaction. */
export type DbExecutor = Kysely<Database> | Transaction<Database>;
