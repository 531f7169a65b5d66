// The supervisor with real child processes (tiny node scripts): readiness from a log line, a crash restarted with
// backoff, a configuration error not restarted, and stop (SIGTERM, then SIGKILL for one that ignores it).
import { afterEach, expect, test } from 'vitest';
import { Supervisor, type ChildSpec, type SupervisorEvent } from './supervisor.js';

const running: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

function child(name: string, script: string, extra: Partial<ChildSpec> = {}): ChildSpec {
  return {
    name,
    command: process.execPath,
    args: ['-e', script],
    cwd: process.cwd(),
    env: {},
    isReadyLine: (line) => line === 'ready',
    ...extra,
  };
}

function supervisor(opts: { stopTimeoutMs?: number } = {}) {
  const events: SupervisorEvent[] = [];
  const lines: string[] = [];
  const s = new Supervisor({
    onLine: (name, line) => lines.push(`${name}: ${line}`),
    onEvent: (e) => events.push(e),
    restart: { baseMs: 50, maxMs: 200, resetAfterMs: 60_000 },
    stopTimeoutMs: opts.stopTimeoutMs ?? 5_000,
  });
  running.push(s);
  return { s, events, lines };
}

const LONG_RUNNING =
  "console.log('ready'); setInterval(() => {}, 1000); process.on('SIGTERM', () => process.exit(0));";

test('ready from its log line; stopped with SIGTERM, cleanly', async () => {
  const { s, lines } = supervisor();
  s.start(child('a', LONG_RUNNING));
  s.start(child('b', `console.error('warming up'); ${LONG_RUNNING}`));
  await s.whenReady(['a', 'b']);
  expect(lines).toContain('b: warming up');
  const pids = Object.values(s.pids());
  expect(pids.every((p) => typeof p === 'number')).toBe(true);
  expect(await s.stop()).toBe(true);
  expect(Object.values(s.pids())).toEqual([null, null]);
});

test('a crashed child is restarted with growing delays', async () => {
  const { s, events } = supervisor();
  s.start(child('crashy', "console.log('ready'); process.exit(1)"));
  const delays = () =>
    events.flatMap((e) => (e.kind === 'exited' && e.restartInMs !== undefined ? [e.restartInMs] : []));
  await expect.poll(() => delays().length, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
  expect(delays().slice(0, 4)).toEqual([50, 100, 200, 200]);
  expect(events.filter((e) => e.kind === 'started').length).toBeGreaterThanOrEqual(4);
});

test('a configuration error (a permanent exit code) is not restarted and fails whenReady', async () => {
  const { s, events } = supervisor();
  s.start(
    child('misconfigured', "console.error('bad setting'); process.exit(2)", { permanentExitCodes: [2] }),
  );
  await expect(s.whenReady(['misconfigured'])).rejects.toThrow(/misconfigured failed to start/);
  expect(events.filter((e) => e.kind === 'started')).toHaveLength(1);
  expect(events.at(-1)).toMatchObject({ kind: 'failed', name: 'misconfigured', code: 2 });
});

test('a child that ignores SIGTERM is killed after the grace period, and stop says so', async () => {
  const { s } = supervisor({ stopTimeoutMs: 300 });
  s.start(
    child('stubborn', "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)"),
  );
  await s.whenReady(['stubborn']);
  expect(await s.stop()).toBe(false);
  expect(s.pids()).toEqual({ stubborn: null });
});
