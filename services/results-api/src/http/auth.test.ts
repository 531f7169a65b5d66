import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { checkCsrf, csrfToken, parseCookies, TokenVerifier } from './auth.js';

const sha = (t: string) => createHash('sha256').update(t).digest('hex');

describe('TokenVerifier', () => {
  const verifier = new TokenVerifier([sha('alpha'), sha('beta').toUpperCase()]);

  test('accepts the tokens whose hashes are configured, naming them by hash prefix', () => {
    expect(verifier.verify('alpha')).toBe(`token:${sha('alpha').slice(0, 8)}`);
    expect(verifier.verify('beta')).toBe(`token:${sha('beta').slice(0, 8)}`);
  });

  test('refuses anything else, the hash itself included', () => {
    expect(verifier.verify('gamma')).toBeUndefined();
    expect(verifier.verify('')).toBeUndefined();
    expect(verifier.verify(sha('alpha'))).toBeUndefined();
    expect(verifier.verify('x'.repeat(10_000))).toBeUndefined();
  });

  test('is disabled without hashes (and ignores malformed ones)', () => {
    expect(new TokenVerifier([]).enabled).toBe(false);
    expect(new TokenVerifier(['nothex']).enabled).toBe(false);
    expect(verifier.enabled).toBe(true);
  });
});

describe('cookies and CSRF', () => {
  test('parses a Cookie header, skipping what it cannot decode', () => {
    expect(parseCookies('a=1; autocloud_token=t%20k; bad=%E0%A4%A; =x')).toEqual({
      a: '1',
      autocloud_token: 't k',
    });
    expect(parseCookies(undefined)).toEqual({});
  });

  test('the CSRF token depends on the session token and is checked exactly', () => {
    const session = { who: 'token:1', csrf: csrfToken('alpha') };
    expect(csrfToken('alpha')).not.toBe(csrfToken('beta'));
    expect(checkCsrf(session, csrfToken('alpha'))).toBe(true);
    expect(checkCsrf(session, csrfToken('beta'))).toBe(false);
    expect(checkCsrf(session, undefined)).toBe(false);
    expect(checkCsrf(session, '')).toBe(false);
  });
});
