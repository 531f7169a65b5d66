import { expect, test } from 'vitest';
import { isProgressLine, JobProgress } from './progress.js';

// Lines as the fetcher and the runners write them (seen in a demo run).
const LINES = [
  'fetch: http://127.0.0.1:8081/D/compose/Cloud/x86_64/images/D.x86_64.qcow2 (120.9 MiB, sha256 d119)',
  'fetch: 60.4 MiB of 120.9 MiB (50%) at 31.8 MiB/s',
  'fetch: verified image stored as images/d119',
  'runner vm (libvirt) took the job, delivery 1',
  'image: 66 of 121 MiB copied to this host',
  'boot: autocloud-vm-job-1 started under qemu-tcg; SSH on 127.0.0.1:35617',
  'boot: SSH answered as autocloud after 52.3 s',
];

test('phases, fractions and milestones from the output lines', () => {
  const p = new JobProgress();
  const milestones = [];
  const seen: [string, number | undefined][] = [];
  for (const [i, line] of LINES.entries()) {
    const m = p.line(line, 1_000 * i);
    if (m) milestones.push(m);
    seen.push([p.phase, p.fraction]);
  }
  expect(seen).toEqual([
    ['fetch', 0],
    ['fetch', 0.5],
    ['waiting', 1],
    ['copy', undefined],
    ['copy', 66 / 121],
    ['boot', undefined],
    ['test', undefined],
  ]);
  // Progress lines are not milestones; everything else that says where the job is, is.
  expect(milestones).toEqual([LINES[0], LINES[2], LINES[3], LINES[5], LINES[6]]);
  expect(p.hypervisor).toBe('qemu-tcg');
  expect(p.bootSeconds).toBe(52.3);
  expect(isProgressLine(LINES[1]!)).toBe(true);
  expect(isProgressLine(LINES[4]!)).toBe(true);
  expect(isProgressLine(LINES[5]!)).toBe(false);
});

test('bars: a fraction fills it, a boot counts seconds, steps are counted', () => {
  const p = new JobProgress();
  p.line('fetch: 30.0 MiB of 120.0 MiB (25%) at 10.0 MiB/s');
  expect(p.render(60)).toBe(
    `[${'█'.repeat(5)}${'░'.repeat(15)}]  25% fetch 30.0 MiB of 120.0 MiB at 10.0 MiB/s`,
  );
  p.line('boot: vm-1 started under qemu-tcg; SSH on 127.0.0.1:1', 10_000);
  expect(p.render(60, 33_000)).toMatch(/^\[[█░]{20}\] {6}boot under qemu-tcg \(23 s\)$/);
  p.line('boot: SSH answered as vagrant after 20.0 s');
  expect(p.step({ idx: 0, command: 'true', state: 'passed', passed: true })).toBe('step 0 passed: true');
  expect(p.step({ idx: 1, command: 'false', state: 'failed', passed: false })).toBe('step 1 FAILED: false');
  expect(p.render(60)).toMatch(/step 1 failed: false \[1 passed, 1 failed\]$/);
  p.end('failed');
  expect(p.render(60)).toBe(`[${'█'.repeat(20)}] 100% failed`);
});
