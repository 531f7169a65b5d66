import { describe, expect, test } from 'vitest';
import { FetchTimeoutError, HttpStatusError, InvalidJsonError } from './errors.js';
import { retryDelay, withRetries } from './retry.js';

const fast = { baseMs: 1, maxMs: 5 };

describe('withRetries', () => {
  test('retries retryable errors until one attempt succeeds', async () => {
    const seen: number[] = [];
    const result = await withRetries(
      (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw new HttpStatusError(503, new URL('http://h/x'));
        return Promise.resolve('ok');
      },
      { attempts: 5, ...fast },
    );
    expect(result).toBe('ok');
    expect(seen).toEqual([1, 2, 3]);
  });

  test('never retries an error that is not retryable', async () => {
    let calls = 0;
    const fn = () => {
      calls += 1;
      throw new HttpStatusError(404, new URL('http://h/x'));
    };
    await expect(withRetries(fn, { attempts: 5, ...fast })).rejects.toThrow(/HTTP 404/);
    expect(calls).toBe(1);
    let plain = 0;
    const notOurs = () => {
      plain += 1;
      throw new Error('boom');
    };
    await expect(withRetries(notOurs, { attempts: 5, ...fast })).rejects.toThrow('boom');
    expect(plain).toBe(1);
    await expect(
      withRetries(() => Promise.reject(new InvalidJsonError('x', 'y')), { attempts: 3, ...fast }),
    ).rejects.toBeInstanceOf(InvalidJsonError);
  });

  test('gives up after the last attempt with the last error', async () => {
    let calls = 0;
    const fn = () => {
      calls += 1;
      return Promise.reject(new FetchTimeoutError(`timeout ${calls}`));
    };
    await expect(withRetries(fn, { attempts: 3, ...fast })).rejects.toThrow('timeout 3');
  });

  test('stops waiting when aborted', async () => {
    const abort = new AbortController();
    const fn = () => Promise.reject(new FetchTimeoutError('slow'));
    const running = withRetries(fn, { attempts: 10, baseMs: 10_000, maxMs: 10_000, signal: abort.signal });
    setTimeout(() => abort.abort(new Error('shutting down')), 20);
    await expect(running).rejects.toThrow('shutting down');
  });

  test('backs off exponentially with jitter, capped, honouring Retry-After', () => {
    const opts = { baseMs: 100, maxMs: 1_000 };
    for (let i = 0; i < 50; i++) {
      const first = retryDelay(1, opts);
      expect(first).toBeGreaterThanOrEqual(50);
      expect(first).toBeLessThanOrEqual(100);
      const third = retryDelay(3, opts);
      expect(third).toBeGreaterThanOrEqual(200);
      expect(third).toBeLessThanOrEqual(400);
      expect(retryDelay(20, opts)).toBeLessThanOrEqual(1_000);
    }
    const busy = new HttpStatusError(503, new URL('http://h/'), { retryAfterMs: 800 });
    expect(retryDelay(1, opts, busy)).toBe(800);
    const tooLong = new HttpStatusError(429, new URL('http://h/'), { retryAfterMs: 60_000 });
    expect(retryDelay(1, opts, tooLong)).toBe(1_000);
  });
});
