// The VBoxManage stand-in must reject what VirtualBox's VBoxManage rejects, or the backend's tests prove nothing.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fakeVBox, makeBox, virtualBoxBoxFiles, type FakeVBox } from './testing/fake-vbox.js';

let root: string;
let fake: FakeVBox;
let ovf: string;
let noDiskOvf: string;
let base: string;
const VM = 'vm1';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fake-vboxmanage-test-'));
  fake = await fakeVBox(root);
  const exec = promisify(execFile);
  const dir = join(root, 'box');
  await mkdir(dir);
  await exec('tar', ['-xf', await makeBox(root, 'b.box', virtualBoxBoxFiles()), '-C', dir]);
  ovf = join(dir, 'box.ovf');
  const { 'box-disk001.vmdk': _, ...noDisk } = virtualBoxBoxFiles();
  const dir2 = join(root, 'nodisk');
  await mkdir(dir2);
  await exec('tar', ['-xf', await makeBox(root, 'n.box', noDisk), '-C', dir2]);
  noDiskOvf = join(dir2, 'box.ovf');
  base = join(root, 'vms');
  const imported = await fake.run(['import', ovf, '--vsys', '0', '--vmname', VM, '--basefolder', base]);
  expect(imported.code).toBe(0);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the VBoxManage stand-in rejects command lines VBoxManage rejects', () => {
  const cases: { what: string; args: () => string[]; code: number; stderr: RegExp }[] = [
    {
      what: 'an unknown command',
      args: () => ['frobnicate'],
      code: 2,
      stderr: /Invalid command 'frobnicate'/,
    },
    {
      what: 'import: --vmname before --vsys',
      args: () => ['import', ovf, '--vmname', 'x', '--vsys', '0'],
      code: 2,
      stderr: /Option "--vmname" requires preceding --vsys or --cloud option\./,
    },
    {
      what: 'import: an unknown option',
      args: () => ['import', ovf, '--vsys', '0', '--name', 'x'],
      code: 2,
      stderr: /Unknown option: --name/,
    },
    {
      what: 'import: a second file',
      args: () => ['import', ovf, ovf],
      code: 2,
      stderr: /Invalid parameter '/,
    },
    {
      what: 'import: --vsys without a value',
      args: () => ['import', ovf, '--vsys'],
      code: 2,
      stderr: /--vsys: RTGetOpt: Command line option needs argument\./,
    },
    {
      what: 'import: a --vsys the OVF does not have',
      args: () => ['import', ovf, '--vsys', '1', '--vmname', 'x', '--basefolder', base],
      code: 2,
      stderr: /Invalid index 1 with -vsys option; the OVF contains only 1 virtual system\(s\)\./,
    },
    {
      what: 'import: an OVF whose disk is missing',
      args: () => ['import', noDiskOvf, '--vsys', '0', '--vmname', 'y', '--basefolder', base],
      code: 1,
      stderr:
        /Appliance import failed[\s\S]*box-disk001\.vmdk' referenced by the appliance \(VERR_FILE_NOT_FOUND\)/,
    },
    {
      what: 'modifyvm: options before the VM',
      args: () => ['modifyvm', '--memory', '512', VM],
      code: 2,
      stderr: /Not enough parameters/,
    },
    {
      what: 'modifyvm: a NAT rule with five fields',
      args: () => ['modifyvm', VM, '--natpf1', 'ssh,tcp,127.0.0.1,2222,22'],
      code: 2,
      stderr: /Missing or invalid argument to '--natpf1'/,
    },
    {
      what: 'modifyvm: a NAT rule with a bad protocol',
      args: () => ['modifyvm', VM, '--natpf1', 'ssh,sctp,127.0.0.1,2222,,22'],
      code: 1,
      stderr: /Invalid proto 'ssh,sctp,127\.0\.0\.1,2222,,22' specfied for NIC 1/,
    },
    {
      what: 'modifyvm: a NAT rule with a port out of range',
      args: () => ['modifyvm', VM, '--natpf1', 'ssh,tcp,127.0.0.1,70000,,22'],
      code: 1,
      stderr: /Invalid host port '70000'/,
    },
    {
      what: 'modifyvm: a NAT rule with a bad host address',
      args: () => ['modifyvm', VM, '--natpf1', 'ssh,tcp,localhost,2222,,22'],
      code: 1,
      stderr: /Invalid host IP address 'localhost'/,
    },
    {
      what: 'modifyvm: --natpf without its NIC number',
      args: () => ['modifyvm', VM, '--natpf', 'ssh,tcp,,2222,,22'],
      code: 2,
      stderr: /needs an index/,
    },
    {
      what: 'modifyvm: a NIC number past 8',
      args: () => ['modifyvm', VM, '--natpf9', 'ssh,tcp,,2222,,22'],
      code: 2,
      stderr: /Invalid index 9/,
    },
    {
      what: 'modifyvm: --uart1 without the IRQ',
      args: () => ['modifyvm', VM, '--uart1', '0x3F8'],
      code: 2,
      stderr: /Missing or invalid argument to '--uart1'/,
    },
    {
      what: 'modifyvm: a UART address that is not a number',
      args: () => ['modifyvm', VM, '--uart1', 'COM1', '4'],
      code: 2,
      stderr: /Error parsing UART I\/O base 'COM1'/,
    },
    {
      what: 'modifyvm: a UART mode VirtualBox does not have',
      args: () => ['modifyvm', VM, '--uartmode1', 'logfile', '/tmp/x'],
      code: 2,
      stderr: /Invalid --uartmode1 mode 'logfile'/,
    },
    {
      what: 'modifyvm: a UART file without its path',
      args: () => ['modifyvm', VM, '--uartmode1', 'file'],
      code: 2,
      stderr: /Missing or invalid argument to '--uartmode1'/,
    },
    {
      what: 'modifyvm: memory that is not a number',
      args: () => ['modifyvm', VM, '--memory', '1G'],
      code: 2,
      stderr: /--memory: RTGetOpt: The value '1G' is not an unsigned 32-bit number/,
    },
    {
      what: 'modifyvm: memory VirtualBox cannot give',
      args: () => ['modifyvm', VM, '--memory', '0'],
      code: 1,
      stderr: /Invalid RAM size: 0 MB/,
    },
    {
      what: 'modifyvm: a VM that is not registered',
      args: () => ['modifyvm', 'ghost', '--cpus', '2'],
      code: 1,
      stderr:
        /Could not find a registered machine named 'ghost'\nVBoxManage: error: Details: code VBOX_E_OBJECT_NOT_FOUND/,
    },
    {
      what: 'startvm: a frontend that does not exist',
      args: () => ['startvm', VM, '--type', 'invisible'],
      code: 2,
      stderr: /Invalid session type 'invisible'/,
    },
    {
      what: 'startvm: no VM',
      args: () => ['startvm', '--type', 'headless'],
      code: 2,
      stderr: /VM name required/,
    },
    {
      what: 'controlvm: no action',
      args: () => ['controlvm', VM],
      code: 2,
      stderr: /Not enough parameters/,
    },
    {
      what: 'controlvm: an unknown action',
      args: () => ['controlvm', VM, 'halt'],
      code: 2,
      stderr: /Invalid parameter 'halt'/,
    },
    {
      what: 'controlvm poweroff: a VM that does not run',
      args: () => ['controlvm', VM, 'poweroff'],
      code: 1,
      stderr: /Machine 'vm1' is not currently running\./,
    },
    {
      what: 'unregistervm: two VMs',
      args: () => ['unregistervm', VM, 'vm2', '--delete'],
      code: 2,
      stderr: /Invalid parameter 'vm2'/,
    },
    {
      what: 'list: an option it lacks',
      args: () => ['list', '--all', 'vms'],
      code: 2,
      stderr: /Unknown option: --all/,
    },
    {
      what: 'showvminfo: --machinereadable with a value',
      args: () => ['showvminfo', VM, '--machinereadable=yes'],
      code: 2,
      stderr: /does not take an argument/,
    },
  ];

  test.concurrent.each(cases)('$what', async ({ args, code, stderr }) => {
    const result = await fake.run(args());
    expect(result.stderr).toMatch(stderr);
    expect(result.code).toBe(code);
  });
});

describe('the VBoxManage stand-in keeps state as VirtualBox would', () => {
  test('the spellings RTGetOpt accepts: --opt=value, VirtualBox 7 names, options after the VM name', async () => {
    const r = await fake.run([
      'modifyvm',
      VM,
      '--nat-pf1=web,tcp,,8080,,80',
      '--uart-mode1',
      'file',
      join(root, 'console.log'),
      '--uart1',
      '0x3F8',
      '4',
      '--cpus=2',
    ]);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    const vm = (await fake.vms()).find((v) => v.name === VM)!;
    expect(vm.natpf[1]).toEqual([
      { name: 'web', proto: 'tcp', hostIp: '', hostPort: 8080, guestIp: '', guestPort: 80 },
    ]);
    const dup = await fake.run(['modifyvm', VM, '--natpf1', 'web,tcp,,8081,,80']);
    expect(dup).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/A NAT rule of this name already exists/),
    });
    const port = await fake.run(['modifyvm', VM, '--natpf1', 'other,tcp,,8080,,81']);
    expect(port.stderr).toMatch(/A NAT rule for this host port and this host IP already exists/);
  });

  test('a running VM cannot be modified or unregistered; a VM without display needs --type headless', async () => {
    await fake.run(['import', ovf, '--vsys', '0', '--vmname', 'vm2', '--basefolder', base]);
    expect((await fake.run(['startvm', 'vm2'], { DISPLAY: '' })).stderr).toMatch(
      /start it with --type headless/,
    );
    expect((await fake.run(['startvm', 'vm2', '--type', 'headless'])).code).toBe(0);
    expect((await fake.run(['modifyvm', 'vm2', '--cpus', '1'])).stderr).toMatch(
      /already locked for a session/,
    );
    expect((await fake.run(['unregistervm', 'vm2', '--delete'])).stderr).toMatch(
      /Cannot unregister .* while it is locked/,
    );
    expect((await fake.run(['controlvm', 'vm2', 'poweroff'])).code).toBe(0);
    expect((await fake.run(['unregistervm', 'vm2', '--delete'])).code).toBe(0);
    expect((await fake.vms()).map((v) => v.name)).not.toContain('vm2');
  });

  test('an unknown failure step is refused, so a typo in a test cannot pass silently', async () => {
    const r = await fake.run(['--version'], { FAKE_VBOX_FAIL: 'imprt' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown failure 'imprt'/);
  });
});
