// Every real message shape in the shared fixtures validates, and loses validity when a required field goes.
import { type TSchema } from '@sinclair/typebox';
import { describe, expect, test } from 'vitest';
import { entryFor } from './catalogue.js';
import { DatagrepperPage, FedmsgEnvelope } from './fedmsg.js';
import { PungiComposeStatusChange } from './pungi.js';
import { editAt, pointer, readFixture, requiredPaths, wrongType } from './test-support.js';
import { SchemaValidationError, validator } from './validate.js';

interface Case {
  name: string;
  schema: TSchema;
  body: unknown;
}

const pungi2016 = readFixture('fedmsg/pungi-2016-datagrepper.json') as FedmsgEnvelope;
const pungi2018 = readFixture('fedmsg/pungi-2018-fedmsg.json') as FedmsgEnvelope;
const originals = Object.entries(
  readFixture('autocloud-messages/original-bodies.json') as Record<string, unknown>,
).filter(([subject]) => !subject.startsWith('_'));

const datagrepperPage = {
  arguments: {
    topic: ['org.fedoraproject.prod.pungi.compose.status.change'],
    start: 1461024000,
    order: 'asc',
  },
  count: 1,
  pages: 1,
  total: 1,
  raw_messages: [pungi2016],
};

const cases: Case[] = [
  { name: 'pungi 2016 msg', schema: PungiComposeStatusChange, body: pungi2016.msg },
  { name: 'pungi 2018 msg', schema: PungiComposeStatusChange, body: pungi2018.msg },
  { name: 'pungi 2016 envelope', schema: FedmsgEnvelope, body: pungi2016 },
  { name: 'pungi 2018 envelope', schema: FedmsgEnvelope, body: pungi2018 },
  { name: 'datagrepper page', schema: DatagrepperPage, body: datagrepperPage },
  ...originals.map(([subject, body]) => {
    const entry = entryFor(subject);
    if (!entry) throw new Error(`no catalogue entry for ${subject}`);
    return { name: `original ${subject}`, schema: entry.schema, body };
  }),
];

test('the fixtures hold every original public body', () => {
  expect(originals.map(([s]) => s).sort()).toEqual([
    'autocloud.compose.complete',
    'autocloud.compose.queued',
    'autocloud.compose.running',
    'autocloud.image.queued',
    'autocloud.image.success',
  ]);
});

describe.each(cases)('$name', ({ schema, body }) => {
  const v = validator(schema);

  test('validates', () => {
    expect(v.errors(body)).toEqual([]);
    expect(v.check(body)).toBe(true);
    expect(v.parse(body)).toBe(body);
  });

  test.each(requiredPaths(schema, body).map((path) => [pointer(path), path]))(
    'fails without %s',
    (where, path) => {
      const broken = editAt(body, path, (parent, key) => delete parent[key]);
      expect(v.check(broken)).toBe(false);
      expect(v.errors(broken)).toContain(`${where}: Expected required property`);
    },
  );

  test.each(requiredPaths(schema, body).map((path) => [pointer(path), path]))(
    'fails with a wrong type at %s',
    (where, path) => {
      const broken = editAt(body, path, (parent, key) => (parent[key] = wrongType(parent[key])));
      const errors = v.errors(broken);
      expect(errors[0]).toMatch(new RegExp(`^${where}: Expected `));
      expect(() => v.parse(broken)).toThrow(SchemaValidationError);
      expect(() => v.parse(broken)).toThrow(where);
    },
  );
});

test('the 2018 shape keeps its nullable label and typed fields', () => {
  const msg = validator(PungiComposeStatusChange).parse({ ...pungi2018.msg, compose_label: null });
  expect(msg.compose_label).toBeNull();
  expect(validator(PungiComposeStatusChange).errors({ ...pungi2018.msg, compose_respin: '0' })).toEqual([
    '/compose_respin: Expected integer',
  ]);
});

test('upstream messages may grow new fields', () => {
  expect(validator(PungiComposeStatusChange).check({ ...pungi2016.msg, new_field: 1 })).toBe(true);
  expect(validator(FedmsgEnvelope).check({ ...pungi2016, headers: { priority: 0 }, certificate: null })).toBe(
    true,
  );
});

test('a pungi status nobody has seen yet is still accepted', () => {
  expect(validator(PungiComposeStatusChange).check({ ...pungi2016.msg, status: 'PAUSED' })).toBe(true);
});
