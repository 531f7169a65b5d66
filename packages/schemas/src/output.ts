// Live output of a job (autocloud.job.<job_id>.output): batches of numbered lines, for the UI and the recorder.
import { Type, type Static } from '@sinclair/typebox';
import { jobIdProp, literalUnion, timestampProp } from './common.js';

export const OUTPUT_STREAMS = ['fetch', 'boot', 'console', 'test', 'system'] as const;

/** A size as output lines, the CLI and the UI show it: `512 B`, `54.0 MiB`, `2.1 GiB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** Most lines a message carries, so a batch stays far below NATS's max payload. */
export const MAX_LINES_PER_MESSAGE = 500;

export const OutputLine = Type.Object(
  {
    n: Type.Integer({ minimum: 1, description: 'Line number within the job, from 1 (the UI anchors #n)' }),
    ts: timestampProp('When the line was produced (RFC 3339)'),
    text: Type.String({ pattern: '^[^\\r\\n]*$', description: 'The line, without its newline' }),
    step: Type.Optional(Type.Integer({ minimum: 0, description: 'Index of the plan step that produced it' })),
    stream: Type.Optional(
      literalUnion(OUTPUT_STREAMS, {
        description: 'Source: fetch, boot, console (serial), test (plan command) or system (runner notes)',
      }),
    ),
  },
  { $id: 'OutputLine', description: 'One line of job output', additionalProperties: false },
);
export type OutputLine = Static<typeof OutputLine>;

export const OutputLines = Type.Object(
  {
    job_id: jobIdProp(),
    lines: Type.Array(OutputLine, {
      minItems: 1,
      maxItems: MAX_LINES_PER_MESSAGE,
      description: 'Consecutive lines, in order',
    }),
  },
  { $id: 'OutputLines', description: 'A batch of output lines of one job', additionalProperties: false },
);
export type OutputLines = Static<typeof OutputLines>;

export const STEP_KINDS = [
  'command',
  'non-gating',
  'expected-fail',
  'sleep',
  'poll',
  'host-command',
  'host-test',
] as const;

export const JobStep = Type.Object(
  {
    idx: Type.Integer({ minimum: 0, description: 'Position in the plan, from 0' }),
    command: Type.String({ description: 'The command as written in the plan (without its ## or @@ prefix)' }),
    kind: literalUnion(STEP_KINDS, { description: 'How the plan line is run and judged' }),
    exit_code: Type.Optional(
      Type.Integer({ description: 'Exit status (absent while running or when killed)' }),
    ),
    passed: Type.Boolean({ description: 'Whether the step met its expectation (false while running)' }),
    started_at: timestampProp('When the step started (RFC 3339)'),
    finished_at: Type.Optional(timestampProp('When the step ended (absent while running)')),
    duration_ms: Type.Optional(
      Type.Integer({ minimum: 0, description: 'How long the step took, ms (absent while running)' }),
    ),
    first_line: Type.Optional(Type.Integer({ minimum: 1, description: 'First output line of the step' })),
    last_line: Type.Optional(Type.Integer({ minimum: 1, description: 'Last output line of the step' })),
  },
  {
    $id: 'JobStep',
    description: 'One test plan step of a job, as the runner saw it',
    additionalProperties: false,
  },
);
export type JobStep = Static<typeof JobStep>;

export const JobSteps = Type.Object(
  {
    job_id: jobIdProp(),
    run: Type.Optional(
      Type.Integer({
        minimum: 1,
        description:
          'Which delivery of the job to a runner produced these records (a job taken again after a runner died runs its steps again)',
      }),
    ),
    steps: Type.Array(JobStep, { minItems: 1, maxItems: 1000, description: 'Steps started or ended' }),
  },
  {
    $id: 'JobSteps',
    description:
      'Step records of a job (autocloud.job.<job_id>.steps): sent when a step starts and when it ends',
    additionalProperties: false,
  },
);
export type JobSteps = Static<typeof JobSteps>;
