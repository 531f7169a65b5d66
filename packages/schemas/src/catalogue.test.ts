// The catalogue: subject matching, one stream per subject, public events, and the compile-time SubjectMap.
import { type Static } from '@sinclair/typebox';
import { describe, expect, expectTypeOf, test } from 'vitest';
import {
  PUBLIC_SUBJECTS,
  STREAM_SUBJECTS,
  catalogue,
  entryFor,
  subjectMatches,
  subjects,
  type StreamName,
  type Subject,
  type SubjectMap,
} from './catalogue.js';
import { type ComposeCompleteEvent, type ComposeEvent } from './compose-events.js';
import { type ImageEvent } from './image-events.js';
import { type OutputLines } from './output.js';
import { type PungiComposeStatusChange } from './pungi.js';
import { type FetchWorkItem, type RunWorkItem } from './work.js';

describe('subjectMatches', () => {
  test.each([
    ['pungi.compose.status.change', 'pungi.compose.status.change', true],
    ['pungi.compose.status.change', 'pungi.compose.status', false],
    ['autocloud.work.run.*.*', 'autocloud.work.run.libvirt.x86_64', true],
    ['autocloud.work.run.*.*', 'autocloud.work.run.libvirt', false],
    ['autocloud.work.run.*.*', 'autocloud.work.run.libvirt.x86_64.extra', false],
    ['autocloud.job.*.output', 'autocloud.job.42.output', true],
    ['autocloud.job.*.output', 'autocloud.job.42.cancel', false],
    ['autocloud.job.*.output', 'autocloud.job..output', false],
    ['autocloud.>', 'autocloud.image.queued', true],
    ['autocloud.>', 'autocloud', false],
    ['autocloud.deadletter.>', 'autocloud.deadletter.notifier', true],
    ['pungi.>', 'autocloud.image.queued', false],
    ['>', 'anything.at.all', true],
  ])('%s ~ %s: %s', (pattern, subject, expected) => {
    expect(subjectMatches(pattern, subject)).toBe(expected);
  });
});

describe('entryFor', () => {
  test('finds literal and parameterised subjects', () => {
    expect(entryFor('pungi.compose.status.change')).toBe(catalogue.pungiStatus);
    expect(entryFor('autocloud.image.failed')).toBe(catalogue.imageFailed);
    expect(entryFor(subjects.workRun('libvirt', 'x86_64'))).toBe(catalogue.workRun);
    expect(entryFor(subjects.workRun('vbox', 'aarch64'))).toBe(catalogue.workRun);
    expect(entryFor(subjects.jobOutput(4711))).toBe(catalogue.jobOutput);
  });

  test('has nothing for subjects outside the catalogue', () => {
    expect(entryFor(subjects.deadletter('notifier'))).toBeUndefined();
    expect(entryFor(subjects.jobCancel(4711))).toBeUndefined();
    expect(entryFor('autocloud.image.exploded')).toBeUndefined();
    expect(entryFor('autocloud.work.run.libvirt')).toBeUndefined();
    expect(entryFor('')).toBeUndefined();
  });
});

describe('subjects', () => {
  test('build the documented subjects', () => {
    expect(subjects.workRun('libvirt', 'x86_64')).toBe('autocloud.work.run.libvirt.x86_64');
    expect(subjects.jobOutput(7)).toBe('autocloud.job.7.output');
    expect(subjects.jobCancel(7)).toBe('autocloud.job.7.cancel');
    expect(subjects.deadletter('image-fetcher')).toBe('autocloud.deadletter.image-fetcher');
  });

  test('refuse parameters that would change the subject structure', () => {
    expect(() => subjects.workRun('libvirt', 'x86.64')).toThrow(/arch/);
    expect(() => subjects.workRun('libvirt', '*')).toThrow(TypeError);
    expect(() => subjects.workRun('libvirt', '')).toThrow(TypeError);
    expect(() => subjects.deadletter('a b')).toThrow(/service/);
    expect(() => subjects.jobOutput(0)).toThrow(/job id/);
    expect(() => subjects.jobCancel(1.5)).toThrow(TypeError);
  });
});

describe('streams', () => {
  const streamsOf = (pattern: string) =>
    (Object.entries(STREAM_SUBJECTS) as Array<[StreamName, readonly string[]]>)
      .filter(([, filters]) => filters.some((f) => subjectMatches(f, pattern)))
      .map(([name]) => name);

  test.each(Object.entries(catalogue))('%s falls under exactly its own stream', (_name, entry) => {
    expect(streamsOf(entry.pattern)).toEqual([entry.stream]);
  });

  test('dead letters, output and work land in their streams', () => {
    expect(streamsOf(subjects.deadletter('notifier'))).toEqual(['DEADLETTER']);
    expect(streamsOf(subjects.jobOutput(3))).toEqual(['OUTPUT']);
    expect(streamsOf(subjects.workRun('vbox', 'x86_64'))).toEqual(['WORK']);
    // Cancel is a core request: no stream may capture it, or requests would be stored.
    expect(streamsOf(subjects.jobCancel(3))).toEqual([]);
  });
});

test('the public subjects are exactly the catalogue entries marked public', () => {
  const marked = Object.values(catalogue)
    .filter((e) => e.public === true)
    .map((e) => e.pattern);
  expect([...PUBLIC_SUBJECTS].sort()).toEqual(marked.sort());
  expect(PUBLIC_SUBJECTS).toHaveLength(8);
});

test('SubjectMap types concrete subjects, parameterised ones included', () => {
  expectTypeOf<SubjectMap['autocloud.work.run.libvirt.x86_64']>().toEqualTypeOf<RunWorkItem>();
  expectTypeOf<SubjectMap['autocloud.job.42.output']>().toEqualTypeOf<OutputLines>();
  expectTypeOf<SubjectMap['autocloud.image.queued']>().toEqualTypeOf<ImageEvent>();
  expectTypeOf<SubjectMap['autocloud.compose.complete']>().toEqualTypeOf<ComposeCompleteEvent>();
  expectTypeOf<SubjectMap['pungi.compose.status.change']>().toEqualTypeOf<PungiComposeStatusChange>();
  expectTypeOf(subjects.workRun('vbox', 'aarch64')).toExtend<Subject>();
  expectTypeOf(subjects.jobOutput(1)).toExtend<Subject>();
  expectTypeOf<'autocloud.deadletter.notifier'>().not.toExtend<Subject>();
  expectTypeOf<'autocloud.image.exploded'>().not.toExtend<Subject>();
});

test('SubjectMap agrees with the catalogue schemas', () => {
  expectTypeOf<Static<typeof catalogue.composeQueued.schema>>().toEqualTypeOf<
    SubjectMap['autocloud.compose.queued']
  >();
  expectTypeOf<Static<typeof catalogue.composeRunning.schema>>().toEqualTypeOf<ComposeEvent>();
  expectTypeOf<Static<typeof catalogue.imageAborted.schema>>().toEqualTypeOf<
    SubjectMap['autocloud.image.aborted']
  >();
  expectTypeOf<Static<typeof catalogue.workFetch.schema>>().toEqualTypeOf<FetchWorkItem>();
  expectTypeOf<Static<typeof catalogue.workRun.schema>>().toEqualTypeOf<
    SubjectMap['autocloud.work.run.vbox.x86_64']
  >();
  expectTypeOf<Static<typeof catalogue.jobOutput.schema>>().toEqualTypeOf<
    SubjectMap['autocloud.job.1.output']
  >();
  expectTypeOf<Static<typeof catalogue.controlRerun.schema>>().toEqualTypeOf<
    SubjectMap['autocloud.control.rerun']
  >();
  // Every literal subject of the map has a catalogue entry (runtime half of the agreement).
  const literal: Subject[] = [
    'pungi.compose.status.change',
    'autocloud.compose.resolved',
    'autocloud.compose.queued',
    'autocloud.compose.running',
    'autocloud.compose.complete',
    'autocloud.image.queued',
    'autocloud.image.running',
    'autocloud.image.success',
    'autocloud.image.failed',
    'autocloud.image.aborted',
    'autocloud.work.fetch',
    'autocloud.control.rerun',
    'autocloud.control.submit',
  ];
  for (const s of literal) expect(entryFor(s)?.pattern).toBe(s);
});
