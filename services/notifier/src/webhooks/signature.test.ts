import { createHmac } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { sign, verify } from './signature.js';

describe('webhook signature', () => {
  test('is HMAC-SHA256 of the body, hex, prefixed sha256=', () => {
    const body = '{"a":1}';
    expect(sign(body, 'k')).toBe(`sha256=${createHmac('sha256', 'k').update(body).digest('hex')}`);
  });

  test('verifies only the same body with the same secret', () => {
    const s = sign('{"a":1}', 'k');
    expect(verify('{"a":1}', 'k', s)).toBe(true);
    expect(verify('{"a":2}', 'k', s)).toBe(false);
    expect(verify('{"a":1}', 'other', s)).toBe(false);
    expect(verify('{"a":1}', 'k', 'sha256=short')).toBe(false);
  });
});
