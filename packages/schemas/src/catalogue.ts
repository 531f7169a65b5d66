// The subject catalogue: every subject Autocloud publishes, with its stream, schema and message-id derivation.
// The bus types publish/consume from SubjectMap and validates with the entry's schema.
import { type Static, type TSchema } from '@sinclair/typebox';
import { type Backend } from './common.js';
import { ComposeCompleteEvent, ComposeEvent } from './compose-events.js';
import { RerunCommand, SubmitComposeCommand } from './control.js';
import { ImageEvent } from './image-events.js';
import { JobSteps, OutputLines } from './output.js';
import { PungiComposeStatusChange } from './pungi.js';
import { ComposeResolved } from './resolved.js';
import { FetchWorkItem, RunWorkItem } from './work.js';

export type StreamName = 'PUNGI' | 'AUTOCLOUD' | 'WORK' | 'OUTPUT' | 'DEADLETTER';

/** The subjects each stream captures; a catalogue pattern falls under exactly one of them. */
export const STREAM_SUBJECTS: Readonly<Record<StreamName, readonly string[]>> = {
  PUNGI: ['pungi.>'],
  AUTOCLOUD: ['autocloud.compose.>', 'autocloud.image.>', 'autocloud.control.>'],
  WORK: ['autocloud.work.>'],
  OUTPUT: ['autocloud.job.*.output', 'autocloud.job.*.steps'],
  DEADLETTER: ['autocloud.deadletter.>'],
};

export interface SubjectEntry<S extends TSchema = TSchema> {
  /** NATS subject; '*' tokens for parameters. */
  pattern: string;
  stream: StreamName;
  schema: S;
  description: string;
  /**
   * Derives Nats-Msg-Id from the body when the body alone determines it (dedup of re-publishes).
   * Method syntax on purpose: its parameter is then bivariant, so a specific entry is still a `SubjectEntry`;
   * `this: void` because it is a plain function that may be passed around.
   */
  msgId?(this: void, body: Static<S>): string;
  /** true for the public events the notifier relays. */
  public?: boolean;
}

/** A NATS subject token must not be empty or contain separators, wildcards or whitespace. */
function token(value: string, what: string): string {
  if (!/^[^.*>\s]+$/.test(value))
    throw new TypeError(`${what} is not a NATS subject token: ${JSON.stringify(value)}`);
  return value;
}

function id(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new TypeError(`${what} is not a positive integer: ${value}`);
  return value;
}

export const subjects = {
  pungiStatus: 'pungi.compose.status.change',
  composeResolved: 'autocloud.compose.resolved',
  composeQueued: 'autocloud.compose.queued',
  composeRunning: 'autocloud.compose.running',
  composeComplete: 'autocloud.compose.complete',
  imageQueued: 'autocloud.image.queued',
  imageRunning: 'autocloud.image.running',
  imageSuccess: 'autocloud.image.success',
  imageFailed: 'autocloud.image.failed',
  imageAborted: 'autocloud.image.aborted',
  workFetch: 'autocloud.work.fetch',
  workRun: (backend: Backend, arch: string) =>
    `autocloud.work.run.${token(backend, 'backend') as Backend}.${token(arch, 'arch')}` as const,
  jobOutput: (jobId: number) => `autocloud.job.${id(jobId, 'job id')}.output` as const,
  jobSteps: (jobId: number) => `autocloud.job.${id(jobId, 'job id')}.steps` as const,
  jobCancel: (jobId: number) => `autocloud.job.${id(jobId, 'job id')}.cancel` as const,
  controlRerun: 'autocloud.control.rerun',
  controlSubmit: 'autocloud.control.submit',
  deadletter: (service: string) => `autocloud.deadletter.${token(service, 'service')}` as const,
} as const;

/** Keeps each entry's schema type, so `msgId` sees the typed body. */
function entry<S extends TSchema>(e: SubjectEntry<S>): SubjectEntry<S> {
  return e;
}

const composeEvent = (pattern: string, description: string) =>
  entry({
    pattern,
    stream: 'AUTOCLOUD',
    schema: ComposeEvent,
    description,
    msgId: (b) => `compose.${b.compose_job_id}.${b.status}`,
    public: true,
  });

const imageEvent = (pattern: string, description: string) =>
  entry({
    pattern,
    stream: 'AUTOCLOUD',
    schema: ImageEvent,
    description,
    msgId: (b) => `image.${b.job_id}.${b.status}`,
    public: true,
  });

export const catalogue = {
  pungiStatus: entry({
    pattern: subjects.pungiStatus,
    stream: 'PUNGI',
    schema: PungiComposeStatusChange,
    // No msgId: the upstream message id (from the envelope) is the dedup key, and the bridge passes it.
    description: 'A pungi compose changed status (bridged from the Fedora bus)',
  }),
  composeResolved: entry({
    pattern: subjects.composeResolved,
    stream: 'AUTOCLOUD',
    schema: ComposeResolved,
    description: 'compose-resolver planned the jobs of a finished compose',
    msgId: (b) => `resolved.${b.compose_id}`,
  }),
  composeQueued: composeEvent(subjects.composeQueued, 'A compose was queued for testing'),
  composeRunning: composeEvent(subjects.composeRunning, 'The first job of a compose started'),
  composeComplete: entry({
    pattern: subjects.composeComplete,
    stream: 'AUTOCLOUD',
    schema: ComposeCompleteEvent,
    description: 'Every job of a compose reached a final state',
    msgId: (b) => `compose.${b.compose_job_id}.${b.status}`,
    public: true,
  }),
  imageQueued: imageEvent(subjects.imageQueued, 'A job was queued for an image'),
  imageRunning: imageEvent(subjects.imageRunning, 'A runner started testing an image'),
  imageSuccess: imageEvent(subjects.imageSuccess, 'Every gating step passed'),
  imageFailed: imageEvent(subjects.imageFailed, 'A gating step failed'),
  imageAborted: imageEvent(subjects.imageAborted, 'The image could not be tested'),
  workFetch: entry({
    pattern: subjects.workFetch,
    stream: 'WORK',
    schema: FetchWorkItem,
    description: 'Download and verify the image of a job',
    msgId: (b) => `fetch.${b.job_id}`,
  }),
  workRun: entry({
    pattern: 'autocloud.work.run.*.*',
    stream: 'WORK',
    schema: RunWorkItem,
    description: 'Boot a verified image on <backend>/<arch> and run its plan',
    msgId: (b) => `run.${b.job_id}`,
  }),
  jobOutput: entry({
    pattern: 'autocloud.job.*.output',
    stream: 'OUTPUT',
    schema: OutputLines,
    description: 'Live output lines of a job',
    msgId: (b) => `output.${b.job_id}.${b.lines[0]?.n ?? 0}`,
  }),
  jobSteps: entry({
    pattern: 'autocloud.job.*.steps',
    stream: 'OUTPUT',
    schema: JobSteps,
    description: 'Step records of a job: each step when it starts and when it ends',
    // A step is sent twice (started, ended): the id tells them apart.
    msgId: (b) =>
      `steps.${b.job_id}.${b.run ?? 1}.` +
      b.steps.map((s) => `${s.idx}${s.finished_at ? 'e' : 's'}`).join('-'),
  }),
  controlRerun: entry({
    pattern: subjects.controlRerun,
    stream: 'AUTOCLOUD',
    schema: RerunCommand,
    description: 'Rerun a job',
    msgId: (b) => `rerun.${b.request_id}`,
  }),
  controlSubmit: entry({
    pattern: subjects.controlSubmit,
    stream: 'AUTOCLOUD',
    schema: SubmitComposeCommand,
    description: 'Test a compose by hand',
    msgId: (b) => `submit.${b.request_id}`,
  }),
} satisfies { readonly [name: string]: SubjectEntry };

export type CatalogueName = keyof typeof catalogue;

/** Concrete subject → body type, for typed publish/consume. */
export interface SubjectMap {
  'pungi.compose.status.change': PungiComposeStatusChange;
  'autocloud.compose.resolved': ComposeResolved;
  'autocloud.compose.queued': ComposeEvent;
  'autocloud.compose.running': ComposeEvent;
  'autocloud.compose.complete': ComposeCompleteEvent;
  'autocloud.image.queued': ImageEvent;
  'autocloud.image.running': ImageEvent;
  'autocloud.image.success': ImageEvent;
  'autocloud.image.failed': ImageEvent;
  'autocloud.image.aborted': ImageEvent;
  'autocloud.work.fetch': FetchWorkItem;
  'autocloud.control.rerun': RerunCommand;
  'autocloud.control.submit': SubmitComposeCommand;
  [s: `autocloud.work.run.${string}.${string}`]: RunWorkItem;
  [s: `autocloud.job.${string}.output`]: OutputLines;
  [s: `autocloud.job.${string}.steps`]: JobSteps;
}
export type Subject = keyof SubjectMap;

/** The public events, exactly those the notifier relays. */
export const PUBLIC_SUBJECTS = [
  subjects.composeQueued,
  subjects.composeRunning,
  subjects.composeComplete,
  subjects.imageQueued,
  subjects.imageRunning,
  subjects.imageSuccess,
  subjects.imageFailed,
  subjects.imageAborted,
] as const satisfies readonly Subject[];

/** NATS subject matching: '*' matches one token, a trailing '>' one or more. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const want = p[i];
    const got = s[i];
    if (want === '>') return i === p.length - 1 && s.length > i;
    if (got === undefined || got === '') return false;
    if (want !== '*' && want !== got) return false;
  }
  return p.length === s.length;
}

const entries: readonly SubjectEntry[] = Object.values(catalogue);

/** The catalogue entry whose pattern matches a concrete subject, if any (dead letters and cancel have none). */
export function entryFor(subject: string): SubjectEntry | undefined {
  return entries.find((e) => subjectMatches(e.pattern, subject));
}
