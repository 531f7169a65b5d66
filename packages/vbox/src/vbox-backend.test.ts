import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { BackendError, BoxCache, BoxError, type BootSpec } from '@autocloud/runner-core';
import {
  fakeVBox,
  findTestImageDir,
  makeBox,
  type FakeVBox,
  virtualBoxBoxFiles,
} from './testing/fake-vbox.js';
import { defaultVmPrefix, SERIAL_LOG, VirtualBoxBackend, WORK_DIR_MARKER } from './vbox-backend.js';
import { VBoxManage } from './vboxmanage.js';

const PREFIX = 'autocloud-vbox-test';
const SHA = 'c'.repeat(64);

let root: string;
let goodBox: string;
let sharedBoxes: BoxCache; // unpacking once per image is BoxCache's business; here it saves time
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vbox-backend-test-'));
  goodBox = await makeBox(root, 'good.box', virtualBoxBoxFiles());
  sharedBoxes = new BoxCache({ cacheDir: join(root, 'cache') });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Setup {
  fake: FakeVBox;
  backend: VirtualBoxBackend;
  workRoot: string;
  boxes: BoxCache;
  spec: (jobId: number, over?: Partial<BootSpec>) => BootSpec;
}

let n = 0;
async function setup(
  opts: { prefix?: string; vboxManage?: VBoxManage; workRoot?: string; boxes?: BoxCache } = {},
) {
  const dir = await mkdtemp(join(root, `case-${++n}-`));
  const fake = await fakeVBox(dir);
  const workRoot = opts.workRoot ?? join(dir, 'work');
  await mkdir(workRoot, { recursive: true });
  const boxes = opts.boxes ?? sharedBoxes;
  const backend = new VirtualBoxBackend({
    vboxManage: opts.vboxManage ?? fake.vboxManage(),
    boxes,
    prefix: opts.prefix ?? PREFIX,
    workRoot,
    sshPort: () => Promise.resolve(2222),
    unlockTimeoutMs: 10_000,
  });
  const spec = (jobId: number, over: Partial<BootSpec> = {}): BootSpec => ({
    jobId,
    imagePath: goodBox,
    imageType: 'vagrant-virtualbox',
    sha256: SHA,
    arch: 'x86_64',
    login: { username: 'vagrant', privateKey: 'unused', publicKey: 'unused' },
    cloudInit: false,
    workDir: join(workRoot, `job-${jobId}`),
    memoryMiB: 1024,
    cpus: 2,
    ...over,
  });
  return { fake, backend, workRoot, boxes, spec } satisfies Setup;
}

const never = () => new AbortController().signal;

async function rejection(p: Promise<unknown>): Promise<BackendError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BackendError);
  return err as BackendError;
}

describe('VirtualBoxBackend: a good job', () => {
  test('boot, isRunning, destroy: the exact VBoxManage commands, and nothing left afterwards', async () => {
    const { fake, backend, boxes, spec } = await setup();
    const s = spec(7);
    const name = `${PREFIX}-job-7`;
    const ovf = join(boxes.pathFor(SHA), 'box.ovf');
    const serial = join(s.workDir, SERIAL_LOG);

    const machine = await backend.boot(s, never());
    expect(machine).toMatchObject({
      name,
      ssh: { host: '127.0.0.1', port: 2222 },
      serialLogPath: serial,
      hypervisor: 'virtualbox',
    });
    expect(backend).toMatchObject({ name: 'vbox', slowdown: 1, hypervisor: 'virtualbox' });
    expect(await machine.isRunning()).toBe(true);
    expect(await readFile(serial, 'utf8')).toMatch(/powered on; serial port 1 at 0x3F8, IRQ 4/);
    const [vm] = await fake.vms();
    expect(vm).toMatchObject({ name, state: 'running', memory: 1024, cpus: 2, nics: { 1: 'nat' } });
    expect(vm!.natpf[1]).toEqual([
      { name: 'ssh', proto: 'tcp', hostIp: '127.0.0.1', hostPort: 2222, guestIp: '', guestPort: 22 },
    ]);
    expect(vm!.cfgFile).toBe(join(s.workDir, name, `${name}.vbox`));

    await machine.destroy();
    expect(await fake.invocations()).toEqual([
      ['--version'],
      ['import', ovf, '--vsys', '0', '--vmname', name, '--basefolder', s.workDir],
      [
        'modifyvm', name, '--memory', '1024', '--cpus', '2', '--uart1', '0x3F8', '4', '--uartmode1', 'file', serial,
        '--nic1', 'nat', '--natpf1', 'ssh,tcp,127.0.0.1,2222,,22',
      ], // prettier-ignore
      ['startvm', name, '--type', 'headless'],
      ['showvminfo', name, '--machinereadable'],
      ['controlvm', name, 'poweroff'],
      ['unregistervm', name, '--delete'],
    ]);
    expect(await fake.vms()).toEqual([]);
    expect(existsSync(s.workDir)).toBe(false);
    expect(existsSync(boxes.pathFor(SHA))).toBe(true); // the unpacked box stays for the next job

    // Idempotent: a second destroy (also concurrent ones) finds nothing and does not throw.
    await Promise.all([machine.destroy(), machine.destroy()]);
    expect(await machine.isRunning()).toBe(false);
  });

  test('SSH is forwarded from a free loopback port; isRunning is false once the VM is powered off behind the backend', async () => {
    const { fake, spec, workRoot } = await setup();
    const backend = new VirtualBoxBackend({
      vboxManage: fake.vboxManage(),
      boxes: sharedBoxes,
      prefix: PREFIX,
      workRoot,
    });
    const machine = await backend.boot(spec(3), never());
    expect(machine.ssh.port).toBeGreaterThan(0);
    const [vm] = await fake.vms();
    expect(vm!.natpf[1]![0]!.hostPort).toBe(machine.ssh.port);
    expect((await fake.run(['controlvm', machine.name, 'poweroff'])).code).toBe(0);
    expect(await machine.isRunning()).toBe(false);
    await machine.destroy();
    expect(await fake.vms()).toEqual([]);
  });

  test('two jobs share one unpacked box and get VMs of their own', async () => {
    const { fake, backend, spec } = await setup();
    const [a, b] = await Promise.all([backend.boot(spec(1), never()), backend.boot(spec(2), never())]);
    expect((await fake.vms()).map((v) => v.name).sort()).toEqual([`${PREFIX}-job-1`, `${PREFIX}-job-2`]);
    await Promise.all([a.destroy(), b.destroy()]);
    expect(await fake.vms()).toEqual([]);
  });
});

describe('VirtualBoxBackend: a failure at any step leaves nothing behind', () => {
  const cases: { step: string; reason: 'boot' | 'infrastructure'; message: RegExp; cleanup: string[][] }[] = [
    {
      step: 'version',
      reason: 'infrastructure',
      message: /^VBoxManage does not work: Failed to create the VirtualBox object!/,
      cleanup: [],
    },
    {
      step: 'import',
      reason: 'boot',
      message: /^VirtualBox could not import the box's OVF: Appliance import failed .*VERR_DISK_FULL/,
      cleanup: [['unregistervm', 'NAME', '--delete']],
    },
    {
      step: 'modifyvm',
      reason: 'infrastructure',
      message: /^VBoxManage modifyvm could not configure VM NAME: The machine 'NAME' is already locked/,
      cleanup: [['unregistervm', 'NAME', '--delete']],
    },
    {
      step: 'startvm',
      reason: 'boot',
      message: /^VirtualBox could not start VM NAME: The virtual machine 'NAME' has terminated unexpectedly/,
      cleanup: [
        ['controlvm', 'NAME', 'poweroff'],
        ['unregistervm', 'NAME', '--delete'],
      ],
    },
    {
      step: 'startvm-vtx',
      reason: 'infrastructure',
      message:
        /^VirtualBox cannot start VMs on this host: KVM holds VT-x\/AMD-V \(VERR_VMX_IN_VMX_ROOT_MODE\)\..*VBOX_HYPERVISOR=qemu$/,
      cleanup: [
        ['controlvm', 'NAME', 'poweroff'],
        ['unregistervm', 'NAME', '--delete'],
      ],
    },
    {
      step: 'startvm-amdv',
      reason: 'infrastructure',
      message: /KVM holds VT-x\/AMD-V \(VERR_SVM_IN_USE\)/,
      cleanup: [
        ['controlvm', 'NAME', 'poweroff'],
        ['unregistervm', 'NAME', '--delete'],
      ],
    },
  ];

  test.each(cases)('$step fails: reason $reason', async ({ step, reason, message, cleanup }) => {
    const { fake, backend, spec } = await setup();
    await fake.fail(step);
    const s = spec(11);
    const name = `${PREFIX}-job-11`;
    const err = await rejection(backend.boot(s, never()));
    expect(err.reasonCode).toBe(reason);
    expect(err.message).toMatch(new RegExp(message.source.replaceAll('NAME', name)));
    expect(await fake.vms()).toEqual([]);
    expect(existsSync(s.workDir)).toBe(false);
    const calls = await fake.invocations();
    const failedAt = calls.findIndex(
      (c) => c[0] === step.replace(/-.*/, '') || (step === 'version' && c[0] === '--version'),
    );
    expect(calls.slice(failedAt + 1)).toEqual(cleanup.map((c) => c.map((a) => a.replace('NAME', name))));
  });

  test('VBoxManage missing: infrastructure, saying what to install or to use QEMU', async () => {
    const { backend, spec } = await setup({
      vboxManage: new VBoxManage({ path: join(root, 'no', 'VBoxManage') }),
    });
    const s = spec(12);
    const err = await rejection(backend.boot(s, never()));
    expect(err.reasonCode).toBe('infrastructure');
    expect(err.message).toMatch(
      /^VBoxManage is not installed on this runner \(looked for .*\/no\/VBoxManage\): /,
    );
    expect(err.message).toMatch(/VBOX_HYPERVISOR=qemu/);
    expect(existsSync(s.workDir)).toBe(false);
  });

  test('aborted between import and modifyvm: the imported VM is removed, and the abort reason comes back', async () => {
    const { fake, spec, boxes, workRoot } = await setup();
    const controller = new AbortController();
    const backend = new VirtualBoxBackend({
      vboxManage: fake.vboxManage(),
      boxes,
      prefix: PREFIX,
      workRoot,
      sshPort: () => {
        controller.abort(new Error('job 13 cancelled'));
        return Promise.resolve(2222);
      },
    });
    const s = spec(13);
    await expect(backend.boot(s, controller.signal)).rejects.toThrow('job 13 cancelled');
    expect((await fake.invocations()).map((c) => c[0])).toEqual(['--version', 'import', 'unregistervm']);
    expect(await fake.vms()).toEqual([]);
    expect(existsSync(s.workDir)).toBe(false);
  });
});

describe('VirtualBoxBackend: destroy when VirtualBox misbehaves', () => {
  test('waits for VirtualBox to release a powered-off VM before unregistering it', async () => {
    const { fake, backend, spec } = await setup();
    const machine = await backend.boot(spec(21), never());
    await fake.fail('unregistervm-locked:2');
    await machine.destroy();
    const calls = (await fake.invocations()).map((c) => c[0]);
    expect(calls.slice(-4)).toEqual(['controlvm', 'unregistervm', 'unregistervm', 'unregistervm']);
    expect(await fake.vms()).toEqual([]);
  });

  test('a failed poweroff or unregister is an infrastructure error; destroy() again, or reap(), removes the VM', async () => {
    const { fake, backend, spec } = await setup();
    const a = await backend.boot(spec(22), never());
    const b = await backend.boot(spec(23), never());

    await fake.fail('poweroff');
    const poweroff = await rejection(a.destroy());
    expect(poweroff.reasonCode).toBe('infrastructure');
    expect(poweroff.message).toMatch(
      new RegExp(
        `^could not remove VirtualBox VM ${a.name} \\(poweroff failed first: Failed to power off machine\\): Cannot unregister the machine '${a.name}' while it is locked$`,
      ),
    );
    await fake.fail('unregistervm');
    const unregister = await rejection(b.destroy());
    expect(unregister.message).toMatch(
      /^could not remove VirtualBox VM .*-job-23: Could not delete the medium storage unit/,
    );
    expect((await fake.vms()).map((v) => v.name).sort()).toEqual([a.name, b.name]);

    await fake.fail('');
    await a.destroy(); // a failed destroy is not remembered: this one does the work
    expect((await fake.vms()).map((v) => v.name)).toEqual([b.name]);
    expect(existsSync(spec(22).workDir)).toBe(false);
    expect((await backend.reap()).sort()).toEqual([b.name, spec(23).workDir].sort());
    expect(await fake.vms()).toEqual([]);
    expect(existsSync(spec(23).workDir)).toBe(false);
  });
});

describe('VirtualBoxBackend.reap', () => {
  test("removes this runner's VMs and work directories, and nothing of anyone else's", async () => {
    const mine = await setup({ prefix: 'autocloud-vbox-host1' });
    const { fake, workRoot } = mine;
    const m1 = await mine.backend.boot(mine.spec(1), never());
    // A stopped leftover of ours, and VMs of another runner (whose prefix starts like ours) and of a person.
    const hand = join(root, `hand-${n}`);
    const ovf = join(mine.boxes.pathFor(SHA), 'box.ovf');
    const register = async (name: string) =>
      expect(
        (await fake.run(['import', ovf, '--vsys', '0', '--vmname', name, '--basefolder', hand])).code,
      ).toBe(0);
    await register('autocloud-vbox-host1-job-2');
    await register('autocloud-vbox-host10-job-1');
    await register('someone-else');
    // A work directory of ours whose VM is gone, one of the other runner's, and one with no marker.
    const orphan = join(workRoot, 'job-99');
    await mkdir(orphan);
    await writeFile(join(orphan, WORK_DIR_MARKER), JSON.stringify({ vm: 'autocloud-vbox-host1-job-99' }));
    const foreign = join(workRoot, 'foreign');
    await mkdir(foreign);
    await writeFile(join(foreign, WORK_DIR_MARKER), JSON.stringify({ vm: 'autocloud-vbox-host10-job-5' }));
    const unmarked = join(workRoot, 'unmarked');
    await mkdir(unmarked);

    const removed = await mine.backend.reap();
    expect(removed.sort()).toEqual(
      [m1.name, 'autocloud-vbox-host1-job-2', mine.spec(1).workDir, orphan].sort(),
    );
    expect((await fake.vms()).map((v) => v.name).sort()).toEqual([
      'autocloud-vbox-host10-job-1',
      'someone-else',
    ]);
    expect([existsSync(foreign), existsSync(unmarked)]).toEqual([true, true]);
    expect(await mine.backend.reap()).toEqual([]);
  });

  test('a VirtualBox that does not answer is an infrastructure error', async () => {
    const { fake, backend } = await setup();
    await fake.fail('list');
    const err = await rejection(backend.reap());
    expect(err.reasonCode).toBe('infrastructure');
    expect(err.message).toMatch(/^cannot list VirtualBox VMs: Failed to create the VirtualBox object!/);
  });
});

describe('VirtualBoxBackend: boxes it cannot boot fail before any import', () => {
  const boxCases: { what: string; files?: Record<string, string | Buffer>; raw?: string; message: RegExp }[] =
    [
      {
        what: 'not a tar archive',
        raw: 'hello\n'.repeat(200),
        message: /^Vagrant box bad\.box: is not a tar archive$/,
      },
      {
        what: 'no OVF',
        files: { 'metadata.json': '{"provider":"virtualbox"}', 'box-disk001.vmdk': 'x' },
        message: /^Vagrant box bad\.box: has no box\.ovf/,
      },
      {
        what: 'a disk missing',
        files: { 'metadata.json': '{"provider":"virtualbox"}', 'box.ovf': virtualBoxBoxFiles()['box.ovf']! },
        message: /^Vagrant box bad\.box: box\.ovf references box-disk001\.vmdk, which is not in the box$/,
      },
      {
        what: 'a libvirt box',
        files: { 'metadata.json': '{"provider":"libvirt"}', 'box.img': Buffer.from('QFI\xfb', 'latin1') },
        message: /^Vagrant box bad\.box: is a libvirt box, not a virtualbox one$/,
      },
    ];

  test.each(boxCases.map((c, i) => ({ ...c, sha256: String(i + 1).repeat(64) })))(
    '$what',
    async ({ files, raw, message, sha256 }) => {
      const { fake, backend, spec } = await setup();
      const dir = await mkdtemp(join(root, 'bad-'));
      let box = join(dir, 'bad.box');
      if (raw !== undefined) await writeFile(box, raw);
      else box = await makeBox(dir, 'bad.box', files!);
      const s = spec(31, { imagePath: box, sha256 });
      const err = await rejection(backend.boot(s, never()));
      expect(err).toBeInstanceOf(BoxError);
      expect(err.reasonCode).toBe('boot');
      expect(err.message).toMatch(message);
      expect(await fake.invocations()).toEqual([['--version']]);
      expect(existsSync(s.workDir)).toBe(false);
    },
  );

  test('an image that is not a VirtualBox box is refused without calling VBoxManage', async () => {
    const { fake, backend, spec } = await setup();
    const err = await rejection(backend.boot(spec(32, { imageType: 'qcow2' }), never()));
    expect(err.message).toBe('the VirtualBox backend boots vagrant-virtualbox boxes, not qcow2 images');
    expect(await fake.invocations()).toEqual([]);
  });
});

describe('VM names', () => {
  test('carry the prefix and the job id; the default prefix names the host', () => {
    expect(defaultVmPrefix('Runner_7.example.org')).toBe('autocloud-vbox-runner-7-example-org');
    expect(
      () => new VirtualBoxBackend({ vboxManage: new VBoxManage(), boxes: {} as BoxCache, prefix: 'a b' }),
    ).toThrow('invalid VM name prefix');
  });
});

const imageDir = findTestImageDir();
describe.skipIf(!imageDir)('the test image', () => {
  beforeEach(() => {
    if (!imageDir) console.warn('skipping: the test image is not built (sudo bash tests/images/build.sh)');
  });

  test("its VirtualBox box imports: the stand-in reads the box's real OVF and finds its VMDK", async () => {
    const manifest = JSON.parse(await readFile(join(imageDir!, 'manifest.json'), 'utf8')) as {
      images: { path: string; type: string; checksums: { sha256: string } }[];
    };
    const image = manifest.images.find((i) => i.type === 'vagrant-virtualbox')!;
    const { fake, backend, spec } = await setup();
    const machine = await backend.boot(
      spec(41, { imagePath: join(imageDir!, image.path), sha256: image.checksums.sha256 }),
      never(),
    );
    const [vm] = await fake.vms();
    expect(vm!.files.map((f) => f.slice(vm!.folder.length + 1))).toEqual([
      `${machine.name}.vbox`,
      'box-disk001.vmdk',
      'Logs/VBox.log',
    ]);
    expect(vm!.nics[1]).toBe('nat');
    await machine.destroy();
    expect(await fake.vms()).toEqual([]);
  });
});
