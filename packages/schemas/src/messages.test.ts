// Current bodies with every added field validate, a plan built from real productmd metadata too; message ids derive.
import { type TSchema } from '@sinclair/typebox';
import { expect, test } from 'vitest';
import { catalogue } from './catalogue.js';
import { ComposeCompleteEvent, ComposeEvent } from './compose-events.js';
import { CancelReply, CancelRequest, RerunCommand, SubmitComposeCommand } from './control.js';
import { ImageEvent } from './image-events.js';
import { OutputLines } from './output.js';
import { ComposeResolved } from './resolved.js';
import {
  composeComplete,
  composeEvent,
  imageEvent,
  location,
  output,
  resolvedFromFixture,
  run,
  work,
} from './test-samples.js';
import { validator } from './validate.js';
import { FetchWorkItem, RunWorkItem } from './work.js';

const bodies: Array<[string, TSchema, unknown]> = [
  ['ImageEvent', ImageEvent, imageEvent],
  ['ComposeEvent', ComposeEvent, composeEvent],
  ['ComposeCompleteEvent', ComposeCompleteEvent, { ...composeComplete, reason: 'one image had no runner' }],
  ['ComposeResolved', ComposeResolved, resolvedFromFixture()],
  [
    'ComposeResolved without metadata',
    ComposeResolved,
    { ...resolvedFromFixture(), jobs: [], reason: 'HTTP 404' },
  ],
  ['FetchWorkItem', FetchWorkItem, work],
  ['RunWorkItem', RunWorkItem, run],
  ['OutputLines', OutputLines, output],
  [
    'RerunCommand',
    RerunCommand,
    { job_id: 4711, request_id: 'b6f1c3d2-9f0e-4d55-8f43-3f2b2a0c9e11', requested_by: 'ops' },
  ],
  [
    'SubmitComposeCommand',
    SubmitComposeCommand,
    { location, request_id: 'cli-1', compose_id: 'Fedora-Cloud-27-20180317.0' },
  ],
  ['CancelRequest', CancelRequest, { job_id: 4711, reason: 'operator request', requested_by: 'ops' }],
  ['CancelReply', CancelReply, { accepted: false, message: 'job 4711 is not running here' }],
];

test.each(bodies)('a current %s validates', (_name, schema, body) => {
  expect(validator(schema).errors(body)).toEqual([]);
});

test('the productmd fixture plans its four images on the right backends', () => {
  const plan = resolvedFromFixture();
  expect(plan.jobs.map((j) => `${j.type}:${j.backend}`)).toEqual([
    'qcow2:libvirt',
    'raw-xz:libvirt',
    'vagrant-libvirt:libvirt',
    'vagrant-virtualbox:vbox',
  ]);
  expect(plan.jobs[0]?.image_name).toBe('Fedora-Cloud-Base-27-20180317.0');
});

test('message ids follow the documented derivations', () => {
  expect(catalogue.imageAborted.msgId!(imageEvent)).toBe('image.4711.aborted');
  expect(catalogue.composeRunning.msgId!(composeEvent)).toBe('compose.301.running');
  expect(catalogue.composeComplete.msgId!(composeComplete)).toBe('compose.301.completed');
  expect(catalogue.composeResolved.msgId!(resolvedFromFixture())).toBe('resolved.Fedora-Cloud-27-20180317.0');
  expect(catalogue.workFetch.msgId!(work)).toBe('fetch.4711');
  expect(catalogue.workRun.msgId!(run)).toBe('run.4711');
  expect(catalogue.jobOutput.msgId!(output)).toBe('output.4711.1');
  expect(catalogue.controlRerun.msgId!({ job_id: 1, request_id: 'r-9' })).toBe('rerun.r-9');
  expect(catalogue.controlSubmit.msgId!({ location, request_id: 'r-10' })).toBe('submit.r-10');
  expect(catalogue.pungiStatus.msgId).toBeUndefined();
});
