import { InvalidCursorError } from '@autocloud/db';
import { describe, expect, test } from 'vitest';
import { describeValidation, errors, isDatabaseUnavailable, toHttpError } from './errors.js';

describe('describeValidation', () => {
  test('names the parameter and what is allowed', () => {
    expect(
      describeValidation(
        [{ keyword: 'enum', instancePath: '/status', params: { allowedValues: ['queued', 'running'] } }],
        'querystring',
      ),
    ).toBe('query parameter status: must be one of queued, running');
    expect(
      describeValidation(
        [{ keyword: 'additionalProperties', instancePath: '', params: { additionalProperty: 'stauts' } }],
        'querystring',
      ),
    ).toBe('query: has an unknown parameter stauts');
    expect(
      describeValidation(
        [{ keyword: 'required', instancePath: '', params: { missingProperty: 'location' } }],
        'body',
      ),
    ).toBe('body: needs location');
  });

  test('at most five sentences, no repeats', () => {
    const many = Array.from({ length: 9 }, (_, i) => ({
      keyword: 'type',
      instancePath: `/f${i % 7}`,
      params: {},
      message: 'must be integer',
    }));
    expect(describeValidation(many, 'params').split('; ')).toHaveLength(5);
  });
});

describe('toHttpError', () => {
  test('maps the known errors to stable codes and hides the rest', () => {
    expect(toHttpError(errors.jobNotFound(3)).error.code).toBe('JOB_NOT_FOUND');
    expect(toHttpError(new InvalidCursorError('x')).error).toMatchObject({
      statusCode: 400,
      code: 'INVALID_CURSOR',
    });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(toHttpError(refused).error).toMatchObject({ statusCode: 503, code: 'DATABASE_UNAVAILABLE' });
    const bug = toHttpError(new TypeError('undefined is not a function'));
    expect(bug).toMatchObject({ unexpected: true, error: { statusCode: 500, code: 'INTERNAL' } });
    expect(bug.error.message).not.toMatch(/undefined/);
  });

  test('recognises an unreachable database through causes and aggregate errors', () => {
    expect(
      isDatabaseUnavailable(new Error('x', { cause: Object.assign(new Error(''), { code: '08006' }) })),
    ).toBe(true);
    expect(
      isDatabaseUnavailable(
        new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' })], ''),
      ),
    ).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('syntax error'), { code: '42601' }))).toBe(false);
  });
});
