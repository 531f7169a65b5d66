// Live output of a job (autocloud.job.<job_id>.output): batches of numbered lines, for the UI and the recorder.
import { Type, type Static } from '@sinclair/typebox';
import { jobIdProp, literalUnion, timestampProp } from './common.js';

export const OUTPUT_STREAMS = ['fetch', 'boot', 'console', 'test', 'system'] as const;

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
