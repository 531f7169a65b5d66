// libvirt-runner end to end on this machine: real libvirtd, QEMU (TCG), the built test image, a real nats-server.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CancelReply } from '@autocloud/schemas';
import { domains, runItem, startRig, storeImage, waitFor, type RunnerRig } from '@autocloud/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { garbageImage, imageWithoutSsh, truncatedQcow2 } from './test-support.js';

const PLANS = {
  // A non-gating failure, a reboot and reconnect, then a gating failure: the job fails there and stops.
  'reboot-then-fail': [
    '## false',
    'echo before-reboot',
    '@@ sudo reboot',
    'POLL',
    'cat /proc/sys/kernel/random/boot_id',
    'false',
    'echo never-runs',
  ].join('\n'),
  'sleep-long': ['# autocloud: timeout=900', 'echo going-to-sleep', 'sleep 600'].join('\n'),
};

describe('libvirt-runner', { timeout: 900_000 }, () => {
  let rig: RunnerRig;
  let scratch: string;

  beforeAll(async () => {
    rig = await startRig({ plans: PLANS });
    scratch = await mkdtemp(join(tmpdir(), 'autocloud-images-'));
    await storeImage(rig.bus, rig.image.qcow2);
    await storeImage(rig.bus, rig.image.vagrantLibvirt);
    // Under TCG the test image answers SSH ~30 s after boot: these deadlines leave room and still end a broken guest
    // in about a minute.
    await rig.start({ RUNNER_SLOTS: '2', BOOT_TIMEOUT_S: '60', SSH_GRACE_S: '10' });
  }, 900_000);
  afterAll(async () => {
    await rig?.dispose();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  test('two jobs of the qcow2 run at once on one base file, stream output, record steps and artifacts, and succeed', async () => {
    await rig.submit(runItem(rig.image.qcow2, { jobId: 11, plan: 'debian-test-image' }));
    await rig.submit(runItem(rig.image.qcow2, { jobId: 12, plan: 'debian-test-image' }));
    // While both run, both domains exist and their overlays sit on the same cached base file.
    const backing = await waitFor(
      () => {
        const ours = domains().filter((d) => d.startsWith(`autocloud-${rig.runnerName}-job-1`));
        if (ours.length < 2) return undefined;
        return ours.map((d) => {
          const overlay = join(
            rig.home,
            'runner',
            `libvirt-${rig.runnerName}`,
            `job-${d.split('-').at(-1)}`,
            'overlay.qcow2',
          );
          const info = JSON.parse(
            execFileSync('qemu-img', ['info', '-U', '--output=json', overlay], { encoding: 'utf8' }),
          ) as {
            'backing-filename'?: string;
          };
          return info['backing-filename'];
        });
      },
      { timeoutMs: 120_000, intervalMs: 250, what: 'both domains to run' },
    );
    expect(backing[0]).toBe(join(rig.home, 'runner-cache', 'images', rig.image.qcow2.sha256));
    expect(backing[1]).toBe(backing[0]);

    const [a, b] = await Promise.all([rig.finished(11), rig.finished(12)]);
    expect(a.status, a.reason).toBe('success');
    expect(b.status, b.reason).toBe('success');
    expect(a).toMatchObject({
      hypervisor: 'qemu-tcg',
      runner: rig.runnerName,
      summary: { failed: 0, skipped: 0 },
    });
    expect((a as { boot_ms?: number }).boot_ms).toBeGreaterThan(0);

    const steps = await rig.steps(11);
    expect(steps).toHaveLength(a.summary!.total);
    expect(steps.every((s) => s.passed && s.finished_at && s.first_line && s.last_line)).toBe(true);
    const output = await rig.output(11);
    expect(output.map((l) => l.n)).toEqual(output.map((_, i) => i + 1));
    expect(output.some((l) => l.stream === 'console')).toBe(true);
    expect(output.find((l) => l.stream === 'test' && l.text === 'active')?.step).toBe(2);
    expect(await rig.artifact(11, 'serial-console.log')).toMatch(/login:/);
    expect(await rig.artifact(11, 'cloud-init.log')).toMatch(/Cloud-init v\./);
    expect(JSON.parse((await rig.artifact(11, 'steps.json')) ?? '[]')).toHaveLength(steps.length);

    expect(domains().filter((d) => d.includes(rig.runnerName))).toEqual([]);
    const work = readdirSync(join(rig.home, 'runner', `libvirt-${rig.runnerName}`));
    expect(work.filter((d) => d.startsWith('job-'))).toEqual([]);
  });

  test('the Vagrant libvirt box boots from its box.img, logs in as vagrant and succeeds', async () => {
    await rig.submit(runItem(rig.image.vagrantLibvirt, { jobId: 21, plan: 'debian-test-image' }));
    const done = await rig.finished(21);
    expect(done.status, done.reason).toBe('success');
    const output = await rig.output(21);
    expect(output.some((l) => /SSH answered as vagrant/.test(l.text))).toBe(true);
    expect(await rig.artifact(21, 'serial-console.log')).toMatch(/login:/);
  });

  test('a gating failure fails the job at that step; non-gating failures do not; @@ reboot + POLL reconnects', async () => {
    await rig.submit(runItem(rig.image.vagrantLibvirt, { jobId: 31, plan: 'reboot-then-fail' }));
    const done = await rig.finished(31);
    expect(done.status).toBe('failed');
    expect(done.reason_code).toBe('test');
    expect(done.reason).toMatch(/step 6 failed \(plan line 6\): false/);
    expect(done.summary).toEqual({ total: 7, passed: 4, failed: 2, skipped: 1 });
    const steps = await rig.steps(31);
    expect(steps.map((s) => [s.kind, s.passed])).toEqual([
      ['non-gating', false],
      ['command', true],
      ['expected-fail', true],
      ['poll', true],
      ['command', true],
      ['command', false],
    ]);
    expect(steps[5]!.exit_code).toBe(1);
    const text = (await rig.output(31)).map((l) => l.text);
    expect(text).toContain('before-reboot');
    expect(text).toContain('SSH answers again');
    expect(text.some((t) => t.includes('never-runs'))).toBe(false);
  });

  test('an image that is not a disk, and a qcow2 whose data is missing, end image.aborted (boot)', async () => {
    const garbage = await garbageImage(scratch);
    const truncated = await truncatedQcow2(rig.image.qcow2.path, scratch);
    await storeImage(rig.bus, garbage);
    await storeImage(rig.bus, truncated);
    await rig.submit(runItem(garbage, { jobId: 41, plan: 'debian-test-image' }));
    await rig.submit(runItem(truncated, { jobId: 42, plan: 'debian-test-image' }));
    const notADisk = await rig.finished(41);
    expect(notADisk).toMatchObject({ status: 'aborted', reason_code: 'boot' });
    expect(notADisk.reason).toMatch(/not a qcow2 disk|not a disk QEMU can read/);
    const noBoot = await rig.finished(42);
    expect(noBoot).toMatchObject({ status: 'aborted', reason_code: 'boot' });
    expect(noBoot.reason).toMatch(/serial console|boot/);
    expect(noBoot.duration_ms).toBeLessThan(60 * 4 * 1000);
    expect(await rig.artifact(42, 'serial-console.log')).toMatch(/Boot failed|bootable/);
  });

  test('a guest whose sshd never starts ends image.aborted (ssh) soon after its login prompt, console kept', async () => {
    const noSsh = await imageWithoutSsh(rig.image.qcow2.path, scratch);
    await storeImage(rig.bus, noSsh);
    await rig.submit(runItem(noSsh, { jobId: 51, plan: 'debian-test-image' }));
    const done = await rig.finished(51);
    expect(done).toMatchObject({ status: 'aborted', reason_code: 'ssh' });
    expect(done.reason).toMatch(/login prompt/);
    // Within the boot deadline (60 s × 4 under TCG), not at it.
    expect(done.duration_ms).toBeLessThan(60 * 4 * 1000);
    expect(await rig.artifact(51, 'serial-console.log')).toMatch(/login:/);
    expect(domains().filter((d) => d.includes(rig.runnerName))).toEqual([]);
  });

  test('cancel through NATS stops the VM within 10 s and ends image.aborted (cancelled)', async () => {
    await rig.submit(runItem(rig.image.vagrantLibvirt, { jobId: 61, plan: 'sleep-long' }));
    await waitFor(async () => (await rig.steps(61)).find((s) => s.idx === 1 && !s.finished_at), {
      timeoutMs: 300_000,
      intervalMs: 500,
      what: 'the sleep step to start',
    });
    const domain = `autocloud-${rig.runnerName}-job-61`;
    expect(domains()).toContain(domain);
    const asked = Date.now();
    const reply = await rig.bus.nc.request(
      'autocloud.job.61.cancel',
      JSON.stringify({ job_id: 61, reason: 'test over', requested_by: 'vitest' }),
      { timeout: 5_000 },
    );
    expect(reply.json<CancelReply>()).toEqual({ accepted: true });
    await waitFor(() => !domains().includes(domain), {
      timeoutMs: 10_000,
      intervalMs: 100,
      what: 'the domain to go',
    });
    expect(Date.now() - asked).toBeLessThan(10_000);
    const done = await rig.finished(61, 30_000);
    expect(done).toMatchObject({ status: 'aborted', reason_code: 'cancelled' });
    expect(done.reason).toMatch(/vitest: test over/);
  });

  test('a cancel request for a job no runner holds gets no answer', async () => {
    await expect(
      rig.bus.nc.request('autocloud.job.999.cancel', JSON.stringify({ job_id: 999 }), { timeout: 1_000 }),
    ).rejects.toThrow();
  });
});
