// A runner killed in the middle of a test: its successor removes the dead job's domain and overlay before taking
// work, and the job, handed back by JetStream, runs again to its end.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { domains, runItem, startRig, storeImage, waitFor, type RunnerRig } from '@autocloud/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

describe('libvirt-runner killed mid-test', { timeout: 900_000 }, () => {
  let rig: RunnerRig;

  beforeAll(async () => {
    rig = await startRig({
      plans: { 'sleep-then-pass': ['echo started', 'sleep 15', 'echo done'].join('\n') },
    });
    await storeImage(rig.bus, rig.image.vagrantLibvirt);
  }, 900_000);
  afterAll(async () => {
    await rig?.dispose();
  });

  test('SIGKILL: on restart nothing of the dead job remains, and the job runs again', async () => {
    const first = await rig.start();
    await rig.submit(runItem(rig.image.vagrantLibvirt, { jobId: 71, plan: 'sleep-then-pass' }));
    await waitFor(async () => (await rig.steps(71)).find((s) => s.idx === 1 && !s.finished_at), {
      timeoutMs: 300_000,
      intervalMs: 250,
      what: 'the sleep step to start',
    });
    await first.kill();
    const domain = `autocloud-${rig.runnerName}-job-71`;
    const jobDir = join(rig.home, 'runner', `libvirt-${rig.runnerName}`, 'job-71');
    // The dead runner left its VM and overlay behind.
    expect(domains()).toContain(domain);
    expect(existsSync(join(jobDir, 'overlay.qcow2'))).toBe(true);

    const second = await rig.start();
    expect(second.output()).toMatch(/removed VMs and files a previous run of this runner left behind/);
    expect(domains()).not.toContain(domain);
    expect(existsSync(jobDir)).toBe(false);

    // JetStream redelivers the unacknowledged item once its ack deadline passes.
    const done = await rig.finished(71, 600_000);
    expect(done.status, done.reason).toBe('success');
    expect((await rig.events(71)).filter((e) => e.status !== 'running')).toHaveLength(1);
    expect(second.output()).toMatch(/"job_id":71.*"status":"success"/);
    // The second run's steps are told apart from the first's, and its output lines follow the first's.
    const output = await rig.output(71);
    expect(output.map((l) => l.n)).toEqual(output.map((_, i) => i + 1));
    expect(output.filter((l) => l.text === 'started')).toHaveLength(2);
  });
});
