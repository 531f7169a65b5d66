import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fakeVBox, makeBox, virtualBoxBoxFiles, type FakeVBox } from './testing/fake-vbox.js';
import {
  VBoxManage,
  VBoxManageCommandError,
  VBoxManageNotInstalledError,
  VBoxManageTimeoutError,
} from './vboxmanage.js';

let root: string;
let fake: FakeVBox;
let ovf: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vboxmanage-test-'));
  fake = await fakeVBox(root);
  const box = await makeBox(root, 'box.box', virtualBoxBoxFiles());
  const dir = await mkdtemp(join(root, 'unpacked-'));
  await promisify(execFile)('tar', ['-xf', box, '-C', dir]);
  ovf = join(dir, 'box.ovf');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A stand-in VBoxManage written as a shell script, for behaviour the fake does not model. */
async function script(name: string, body: string): Promise<string> {
  const path = join(root, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

describe('VBoxManage', () => {
  test('imports, lists and describes VMs; vmState is undefined for a VM that is not registered', async () => {
    const vbox = fake.vboxManage();
    expect(await vbox.version()).toBe('7.0.20r163906');
    await vbox.importOvf(ovf, { vmName: 'vm "one"', baseFolder: join(root, 'vms') });
    const [entry] = await vbox.listVms();
    expect(entry).toEqual({ name: 'vm "one"', uuid: expect.stringMatching(/^[0-9a-f-]{36}$/) as string });
    await vbox.modifyVm('vm "one"', ['--natpf1', 'ssh,tcp,127.0.0.1,2200,,22']);
    const info = await vbox.showVmInfo(entry!.uuid);
    expect(info).toMatchObject({
      name: 'vm "one"',
      VMState: 'poweroff',
      memory: '1024',
      'Forwarding(0)': 'ssh,tcp,127.0.0.1,2200,,22',
    });
    expect(await vbox.vmState('vm "one"')).toBe('poweroff');
    expect(await vbox.vmState('nobody')).toBeUndefined();
  });

  test("a failure carries VirtualBox's message and status codes, without the Details and Context lines", async () => {
    const err = await fake
      .vboxManage()
      .powerOff('nobody')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VBoxManageCommandError);
    const e = err as VBoxManageCommandError;
    expect(e).toMatchObject({
      code: 'VBOXMANAGE_FAILED',
      exitCode: 1,
      args: ['controlvm', 'nobody', 'poweroff'],
      detail: "Could not find a registered machine named 'nobody'",
      statusCodes: ['VBOX_E_OBJECT_NOT_FOUND'],
      vmNotFound: true,
      syntax: false,
    });
    expect(e.message).toBe(
      "VBoxManage controlvm nobody poweroff failed: Could not find a registered machine named 'nobody'",
    );
  });

  test('a command line VBoxManage rejects is a syntax error (exit 2)', async () => {
    const err = (await fake
      .vboxManage()
      .run(['modifyvm', 'x', '--natpf1', 'ssh,tcp,,2222,22'])
      .catch((e: unknown) => e)) as VBoxManageCommandError;
    expect(err).toMatchObject({
      exitCode: 2,
      syntax: true,
      detail: "Missing or invalid argument to '--natpf1'",
    });
  });

  test('VT-x held by KVM is recognised from the status code', async () => {
    const vbox = new VBoxManage({
      path: await script(
        'vtx',
        `echo "VBoxManage: error: VT-x is being used by another hypervisor (VERR_VMX_IN_VMX_ROOT_MODE)." >&2; exit 1`,
      ),
    });
    const err = (await vbox.startVm('x').catch((e: unknown) => e)) as VBoxManageCommandError;
    expect(err.hardwareVirtualizationBusy).toBe(true);
  });

  test('a missing binary, a call that hangs, and an aborted call', async () => {
    const missing = new VBoxManage({ path: join(root, 'nowhere', 'VBoxManage') });
    await expect(missing.version()).rejects.toBeInstanceOf(VBoxManageNotInstalledError);

    const hang = new VBoxManage({ path: await script('hang', 'exec sleep 30'), timeoutMs: 200 });
    const timedOut = await hang.listVms().catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(VBoxManageTimeoutError);
    expect((timedOut as Error).message).toBe('VBoxManage list vms did not finish within 200 ms');

    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('cancelled')), 100);
    await expect(hang.listVms({ signal: controller.signal, timeoutMs: 10_000 })).rejects.toThrow('cancelled');
  });

  test('the version line is found after warnings; the environment reaches VBoxManage', async () => {
    const vbox = new VBoxManage({
      path: await script(
        'warns',
        'echo "WARNING: The vboxdrv kernel module is not loaded."; echo "7.1.4r165100 $LC_ALL $EXTRA"',
      ),
      env: { EXTRA: 'yes' },
    });
    expect(await vbox.version()).toBe('7.1.4r165100 C.UTF-8 yes');
  });
});
