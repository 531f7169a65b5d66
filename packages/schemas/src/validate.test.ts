// The validator's contract (typed check, readable errors, throwing parse) and strict body decoding.
import { Type } from '@sinclair/typebox';
import { describe, expect, test } from 'vitest';
import { ComposeResolved } from './resolved.js';
import { SchemaValidationError, parseJson, validator } from './validate.js';

const encode = (s: string) => new TextEncoder().encode(s);

describe('parseJson', () => {
  test('decodes a JSON object', () => {
    expect(parseJson(encode('{"status":"FINISHED","name":"Fedora ☁"}'))).toEqual({
      ok: true,
      value: { status: 'FINISHED', name: 'Fedora ☁' },
    });
  });

  test('returns any JSON value: rejecting non-objects is the schema check’s job', () => {
    expect(parseJson(encode('[1,2]'))).toEqual({ ok: true, value: [1, 2] });
    expect(parseJson(encode('null'))).toEqual({ ok: true, value: null });
  });

  test('rejects invalid UTF-8 instead of replacing it', () => {
    // A lone continuation byte, then a truncated multi-byte sequence, inside otherwise valid JSON.
    expect(parseJson(Uint8Array.from([0x7b, 0x22, 0x80, 0x22, 0x3a, 0x31, 0x7d]))).toEqual({
      ok: false,
      reason: 'body is not valid UTF-8',
    });
    expect(parseJson(Uint8Array.from([0x22, 0xe2, 0x98, 0x22]))).toEqual({
      ok: false,
      reason: 'body is not valid UTF-8',
    });
  });

  test('rejects text that is not JSON, with the parser’s message', () => {
    const result = parseJson(encode('{"status": FINISHED}'));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/^body is not JSON: .+/);
    expect(parseJson(encode('   ')).ok).toBe(false);
  });

  test('rejects an empty body', () => {
    expect(parseJson(new Uint8Array())).toEqual({ ok: false, reason: 'body is empty' });
  });
});

describe('validator', () => {
  const sha = 'a'.repeat(64);
  const resolved = {
    compose_id: 'Fedora-Rawhide-20250101.n.0',
    location: 'https://kojipkgs.fedoraproject.org/compose/rawhide/Fedora-Rawhide-20250101.n.0/compose',
    pungi_status: 'FINISHED',
    release: 'Rawhide',
    date: '20250101',
    respin: 0,
    type: 'nightly',
    label: null,
    jobs: [
      {
        image_url: 'https://kojipkgs.fedoraproject.org/x.qcow2',
        path: 'Cloud/x86_64/images/x.qcow2',
        sha256: 42,
        size: 1,
        type: 'qcow2',
        format: 'qcow2',
        variant: 'Cloud',
        arch: 'x86_64',
        subvariant: 'Cloud_Base',
        family: 'Base',
        image_name: 'x',
        backend: 'libvirt',
        plan: 'fedora-cloud-base',
      },
    ],
  };

  test('reports errors by JSON pointer', () => {
    expect(validator(ComposeResolved).errors(resolved)).toEqual(['/jobs/0/sha256: Expected string']);
    expect(
      validator(ComposeResolved).check({ ...resolved, jobs: [{ ...resolved.jobs[0], sha256: sha }] }),
    ).toBe(true);
  });

  test('parse throws a SchemaValidationError that lists the errors', () => {
    let caught: unknown;
    try {
      validator(ComposeResolved).parse(resolved);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SchemaValidationError);
    const error = caught as SchemaValidationError;
    expect(error.errors).toEqual(['/jobs/0/sha256: Expected string']);
    expect(error.schemaId).toBe('ComposeResolved');
    expect(error.message).toBe('invalid ComposeResolved: /jobs/0/sha256: Expected string');
    expect(error.name).toBe('SchemaValidationError');
  });

  test('reports at most ten errors, one per path', () => {
    const wide = Type.Object(
      Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`f${i}`, Type.String()])),
    );
    const errors = validator(wide).errors({});
    expect(errors).toHaveLength(10);
    expect(errors[0]).toBe('/f0: Expected required property');
    expect(new Set(errors).size).toBe(10);
  });

  test('names the root for a value of the wrong kind', () => {
    expect(validator(ComposeResolved).errors([])).toEqual(['/: Expected object']);
    expect(validator(ComposeResolved).errors('x')).toEqual(['/: Expected object']);
  });

  test('spells out unions', () => {
    expect(validator(ComposeResolved).errors({ ...resolved, label: 1, jobs: [] })).toEqual([
      '/label: Expected string or null',
    ]);
  });
});
