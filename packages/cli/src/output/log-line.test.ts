import { expect, test } from 'vitest';
import { formatLogLine } from './log-line.js';

test('a pino line: time, service, level, message and its fields on one line', () => {
  const raw = JSON.stringify({
    level: 'warn',
    time: '2026-11-24T20:08:37.123Z',
    pid: 1,
    hostname: 'h',
    service: 'image-fetcher',
    name: 'image-fetcher',
    msg: 'image cannot be fetched',
    job_id: 2,
    reason: 'sha256 mismatch',
    err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' },
  });
  const { level, text } = formatLogLine('image-fetcher', raw, { color: false, serviceWidth: 14 });
  expect(level).toBe('warn');
  expect(text).toMatch(
    /^\d\d:\d\d:\d\d image-fetcher {2}warn {2}image cannot be fetched job_id=2 reason="sha256 mismatch" err="boom"$/,
  );
  expect(text).not.toContain('\n');
});

test("nats-server's lines and anything else", () => {
  expect(
    formatLogLine('nats-server', '[12] 2026/11/24 20:06:39.1 [WRN] low disk', { color: false }),
  ).toMatchObject({
    level: 'warn',
    text: expect.stringMatching(/nats-server +warn {2}low disk$/),
  });
  expect(formatLogLine('results-api', 'results-api: invalid configuration:', { color: false }).text).toMatch(
    /results-api +results-api: invalid configuration:$/,
  );
});

test('colours only when asked', () => {
  const raw = JSON.stringify({ level: 'info', msg: 'ready' });
  expect(formatLogLine('notifier', raw, { color: true }).text).toContain('\x1b[');
  expect(formatLogLine('notifier', raw, { color: false }).text).not.toContain('\x1b[');
});
