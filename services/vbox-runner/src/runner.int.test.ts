// vbox-runner end to end on this machine. VirtualBox cannot run here, so the box is tested through the QEMU path
// (real libvirtd, QEMU, the test image's Vagrant VirtualBox box), and the VirtualBox path runs against the
// VBoxManage stand-in, which checks every argument vector and fails where it is told to.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { domains, runItem, startRig, storeImage, type RunnerRig } from '@autocloud/testing';
import { fakeVBox, FAKE_VBOXMANAGE } from '@autocloud/vbox/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const exec = promisify(execFile);

async function artifactOf(path: string) {
  return {
    path,
    sha256: createHash('sha256')
      .update(await readFile(path))
      .digest('hex'),
    size: (await stat(path)).size,
    type: 'vagrant-virtualbox' as const,
    format: 'vagrant-virtualbox.box',
    arch: 'x86_64',
  };
}

/** A .box made of the given files (tar), or of raw bytes when `files` is a Buffer. */
async function box(dir: string, name: string, files: Record<string, string> | Buffer) {
  const path = join(dir, name);
  if (Buffer.isBuffer(files)) {
    await writeFile(path, files);
  } else {
    const src = join(dir, `${name}.d`);
    await mkdir(src, { recursive: true });
    for (const [file, content] of Object.entries(files)) await writeFile(join(src, file), content);
    await exec('tar', ['-cf', path, '-C', src, ...Object.keys(files)]);
  }
  return artifactOf(path);
}

const OVF = (disk: string) =>
  `<?xml version="1.0"?><Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"><References><File ovf:id="file1" ovf:href="${disk}"/></References><DiskSection><Info>d</Info><Disk ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:capacity="1"/></DiskSection><VirtualSystem ovf:id="vm"><Info>vm</Info></VirtualSystem></Envelope>`;

describe('vbox-runner, QEMU path (no VirtualBox on this host)', { timeout: 900_000 }, () => {
  let rig: RunnerRig;
  let scratch: string;

  beforeAll(async () => {
    rig = await startRig({ backend: 'vbox' });
    scratch = await mkdtemp(join(tmpdir(), 'autocloud-boxes-'));
    await storeImage(rig.bus, rig.image.vagrantVirtualbox);
    await rig.start({ VBOX_HYPERVISOR: 'auto', VBOXMANAGE: join(scratch, 'no-such-VBoxManage') });
  }, 900_000);
  afterAll(async () => {
    await rig?.dispose();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  test("the test image's VirtualBox box boots under QEMU, passes its plan, and says QEMU tested it", async () => {
    await rig.submit(
      runItem(rig.image.vagrantVirtualbox, { jobId: 81, plan: 'debian-test-image', backend: 'vbox' }),
    );
    const done = await rig.finished(81);
    expect(done.status, done.reason).toBe('success');
    expect(done).toMatchObject({
      backend: 'vbox',
      hypervisor: 'qemu-tcg',
      summary: { failed: 0, skipped: 0 },
    });
    const steps = await rig.steps(81);
    expect(steps.length).toBe(done.summary!.total);
    expect((await rig.output(81)).some((l) => /SSH answered as vagrant/.test(l.text))).toBe(true);
    expect(await rig.artifact(81, 'serial-console.log')).toMatch(/login:/);
    expect(await rig.artifact(81, 'steps.json')).toBeDefined();
    expect(domains().filter((d) => d.includes(rig.runnerName))).toEqual([]);
  });

  test('a malformed box (not a tar, no OVF, a missing disk) ends image.aborted with the reason', async () => {
    const cases = [
      {
        jobId: 91,
        a: await box(scratch, 'not-a-tar.box', Buffer.from('this is not an archive\n'.repeat(100))),
        why: /not a tar/i,
      },
      {
        jobId: 92,
        a: await box(scratch, 'no-ovf.box', {
          'metadata.json': '{"provider":"virtualbox"}',
          'box-disk001.vmdk': 'x',
        }),
        why: /box\.ovf/,
      },
      {
        jobId: 93,
        a: await box(scratch, 'missing-disk.box', {
          'metadata.json': '{"provider":"virtualbox"}',
          'box.ovf': OVF('box-disk001.vmdk'),
        }),
        why: /box-disk001\.vmdk.*not in the box/,
      },
    ];
    for (const c of cases) {
      await storeImage(rig.bus, c.a);
      await rig.submit(runItem(c.a, { jobId: c.jobId, plan: 'debian-test-image', backend: 'vbox' }));
    }
    for (const c of cases) {
      const done = await rig.finished(c.jobId, 120_000);
      expect(done).toMatchObject({ status: 'aborted', reason_code: 'boot' });
      expect(done.reason).toMatch(c.why);
    }
  });
});

describe('vbox-runner, VirtualBox path (against the VBoxManage stand-in)', { timeout: 300_000 }, () => {
  let rig: RunnerRig;
  let scratch: string;

  beforeAll(async () => {
    rig = await startRig({ backend: 'vbox' });
    scratch = await mkdtemp(join(tmpdir(), 'autocloud-vbox-'));
    await storeImage(rig.bus, rig.image.vagrantVirtualbox);
  }, 300_000);
  afterAll(async () => {
    await rig?.dispose();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  for (const { step, code, why } of [
    { step: 'import', code: 'boot', why: /could not import the box/ },
    { step: 'startvm-vtx', code: 'infrastructure', why: /KVM|VT-x/ },
  ]) {
    test(`a failure at ${step} ends image.aborted (${code}) and leaves no VM behind`, async () => {
      const fake = await fakeVBox(scratch);
      await fake.fail(step);
      const runner = await rig.start({
        VBOX_HYPERVISOR: 'virtualbox',
        VBOXMANAGE: FAKE_VBOXMANAGE,
        ...fake.env,
      });
      const jobId = step === 'import' ? 101 : 102;
      await rig.submit(
        runItem(rig.image.vagrantVirtualbox, { jobId, plan: 'debian-test-image', backend: 'vbox' }),
      );
      const done = await rig.finished(jobId, 120_000);
      await runner.stop();
      expect(done).toMatchObject({ status: 'aborted', reason_code: code });
      expect(done.reason).toMatch(why);
      expect(await fake.vms()).toEqual([]);
      const calls = (await fake.invocations()).map((argv) => argv[0]);
      expect(calls).toContain('import');
    });
  }
});
