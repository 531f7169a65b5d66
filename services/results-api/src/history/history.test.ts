import { describe, expect, test } from 'vitest';
import { findTurningPoint } from './history.js';

const h = (...statuses: string[]) => statuses.map((status, i) => ({ id: i, status }));

describe('findTurningPoint (newest first)', () => {
  test('the first failure after the last success', () => {
    const entries = h('failed', 'failed', 'aborted', 'failed', 'success', 'failed', 'success');
    expect(findTurningPoint(entries)).toEqual({ lastGood: entries[4], firstBad: entries[3] });
  });

  test('still passing: no bad compose', () => {
    const entries = h('success', 'failed', 'success');
    expect(findTurningPoint(entries)).toEqual({ lastGood: entries[0], firstBad: undefined });
  });

  test('aborted runs do not count as bad', () => {
    const entries = h('aborted', 'aborted', 'success');
    expect(findTurningPoint(entries).firstBad).toBeUndefined();
  });

  test('never passed in view: the oldest failure shown', () => {
    const entries = h('failed', 'running', 'failed', 'queued');
    expect(findTurningPoint(entries)).toEqual({ lastGood: undefined, firstBad: entries[2] });
  });

  test('nothing at all', () => {
    expect(findTurningPoint([])).toEqual({ lastGood: undefined, firstBad: undefined });
  });
});
