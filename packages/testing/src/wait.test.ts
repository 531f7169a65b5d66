import { describe, expect, test } from 'vitest';
import { waitFor } from './wait.js';

describe('waitFor', () => {
  test('returns the first value the probe gives', async () => {
    let calls = 0;
    await expect(waitFor(() => (++calls >= 3 ? calls : undefined), { intervalMs: 1 })).resolves.toBe(3);
  });

  test('a probe that never answers still ends in a timeout that names what was awaited', async () => {
    const err = await waitFor(() => new Promise<never>(() => undefined), {
      timeoutMs: 50,
      what: 'the API',
    }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe('timed out waiting for the API');
    expect((err.cause as Error).message).toMatch(/probe for the API did not answer/);
  });
});
