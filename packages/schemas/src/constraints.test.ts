// What the schemas refuse: public events stay open to additions, internal messages are closed, and values are checked.
import { type TSchema } from '@sinclair/typebox';
import { describe, expect, test } from 'vitest';
import { ComposeCompleteEvent, ComposeEvent } from './compose-events.js';
import { RerunCommand, SubmitComposeCommand } from './control.js';
import { ImageEvent } from './image-events.js';
import { OutputLines } from './output.js';
import { ComposeResolved } from './resolved.js';
import {
  composeComplete,
  composeEvent,
  imageEvent,
  output,
  resolvedFromFixture,
  run,
  sha,
  work,
} from './test-samples.js';
import { validator } from './validate.js';
import { FetchWorkItem, RunWorkItem } from './work.js';

describe('public events stay open, internal messages are closed', () => {
  test.each([
    ['ImageEvent', ImageEvent, imageEvent],
    ['ComposeEvent', ComposeEvent, composeEvent],
    ['ComposeCompleteEvent', ComposeCompleteEvent, composeComplete],
    ['ComposeResolved', ComposeResolved, resolvedFromFixture()],
  ] as const)('%s accepts an added field', (_name, schema, body) => {
    expect(validator(schema).check({ ...body, added_later: true })).toBe(true);
  });

  test.each([
    ['FetchWorkItem', FetchWorkItem, work],
    ['RunWorkItem', RunWorkItem, run],
    ['OutputLines', OutputLines, output],
    ['RerunCommand', RerunCommand, { job_id: 1, request_id: 'r1' }],
  ] as const)('%s rejects an unknown field', (_name, schema, body) => {
    expect(validator(schema).errors({ ...body, jobid: 1 })).toEqual(['/jobid: Unexpected property']);
  });

  test('nested work fields are closed too', () => {
    const errors = validator(RunWorkItem).errors({ ...run, image: { ...run.image, checksum: sha } });
    expect(errors).toEqual(['/image/checksum: Unexpected property']);
  });
});

describe('constraints a consumer relies on', () => {
  const invalid: Array<[string, TSchema, unknown, string]> = [
    [
      'an unknown image status',
      ImageEvent,
      { ...imageEvent, status: 'done' },
      '/status: Expected one of "queued"',
    ],
    [
      'a relative image URL',
      ImageEvent,
      { ...imageEvent, compose_url: 'images/x.qcow2' },
      "/compose_url: Expected string to match 'uri' format",
    ],
    [
      'an unknown reason code',
      ImageEvent,
      { ...imageEvent, reason_code: 'oops' },
      '/reason_code: Expected one of',
    ],
    [
      'a job id of 0',
      ImageEvent,
      { ...imageEvent, job_id: 0 },
      '/job_id: Expected integer to be greater or equal to 1',
    ],
    [
      'a bad timestamp',
      ImageEvent,
      { ...imageEvent, at: 'yesterday' },
      "/at: Expected string to match 'date-time' format",
    ],
    [
      'a compose date with dashes',
      ComposeEvent,
      { ...composeEvent, date: '2018-03-17' },
      '/date: Expected string to match',
    ],
    [
      'a complete event not "completed"',
      ComposeCompleteEvent,
      { ...composeComplete, status: 'complete' },
      "/status: Expected 'completed'",
    ],
    [
      'an artifact keyed by name',
      ComposeCompleteEvent,
      {
        ...composeComplete,
        results: {
          ...composeComplete.results,
          artifacts: { qcow2: composeComplete.results.artifacts['4711'] },
        },
      },
      '/results/artifacts/qcow2: Unexpected property',
    ],
    [
      'an uppercase sha256',
      FetchWorkItem,
      { ...work, image: { ...work.image, sha256: sha.toUpperCase() } },
      '/image/sha256: Expected string to match',
    ],
    [
      'an arch that is not a subject token',
      FetchWorkItem,
      { ...work, image: { ...work.image, arch: 'x86.64' } },
      '/image/arch: Expected string to match',
    ],
    [
      'an unknown backend',
      RunWorkItem,
      { ...run, backend: 'docker' },
      '/backend: Expected one of "libvirt", "vbox"',
    ],
    [
      'an unknown limit',
      FetchWorkItem,
      { ...work, limits: { boot_timeout: 5 } },
      '/limits/boot_timeout: Unexpected property',
    ],
    [
      'attempt 0',
      FetchWorkItem,
      { ...work, attempt: 0 },
      '/attempt: Expected integer to be greater or equal to 1',
    ],
    [
      'an empty batch',
      OutputLines,
      { job_id: 1, lines: [] },
      '/lines: Expected array length to be greater or equal to 1',
    ],
    [
      'a line with a newline',
      OutputLines,
      { job_id: 1, lines: [{ n: 1, ts: '2018-03-17T09:15:02Z', text: 'a\nb' }] },
      '/lines/0/text: Expected string to match',
    ],
    [
      'line number 0',
      OutputLines,
      { job_id: 1, lines: [{ n: 0, ts: '2018-03-17T09:15:02Z', text: 'a' }] },
      '/lines/0/n: Expected integer to be greater or equal to 1',
    ],
    [
      'a submit without a URL',
      SubmitComposeCommand,
      { location: 'not a url', request_id: 'r1' },
      "/location: Expected string to match 'uri' format",
    ],
    [
      'a request id with spaces',
      RerunCommand,
      { job_id: 1, request_id: 'a b' },
      '/request_id: Expected string to match',
    ],
  ];

  test.each(invalid)('rejects %s', (_name, schema, body, error) => {
    expect(validator(schema).errors(body)[0]).toContain(error);
  });

  test('a batch holds at most 500 lines', () => {
    const lines = (count: number) =>
      Array.from({ length: count }, (_, i) => ({
        n: i + 1,
        ts: '2018-03-17T09:15:02Z',
        text: `line ${i + 1}`,
      }));
    expect(validator(OutputLines).check({ job_id: 1, lines: lines(500) })).toBe(true);
    expect(validator(OutputLines).check({ job_id: 1, lines: lines(501) })).toBe(false);
  });
});
