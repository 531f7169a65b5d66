// Test fixtures: the VBoxManage stand-in (test-support/fake-vboxmanage.mjs) with a registry of its own, Vagrant
// VirtualBox boxes made with the system tar, and the test image's real boxes when they are built.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { VBoxManage } from '../vboxmanage.js';

const exec = promisify(execFile);

export const FAKE_VBOXMANAGE = fileURLToPath(
  new URL('../../test-support/fake-vboxmanage.mjs', import.meta.url),
);

export interface FakeVm {
  name: string;
  uuid: string;
  state: string;
  cfgFile: string;
  folder: string;
  files: string[];
  memory: number;
  cpus: number;
  nics: Record<string, string>;
  natpf: Record<
    string,
    { name: string; proto: string; hostIp: string; hostPort: number; guestPort: number }[]
  >;
}

export interface FakeResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class FakeVBox {
  constructor(
    readonly stateDir: string,
    readonly path = FAKE_VBOXMANAGE,
  ) {}

  get env(): Record<string, string> {
    return { FAKE_VBOX_STATE: this.stateDir };
  }

  /** A command layer calling the stand-in, with this registry. */
  vboxManage(opts: { timeoutMs?: number } = {}): VBoxManage {
    return new VBoxManage({ path: this.path, env: this.env, ...opts });
  }

  /** Asks for failures from now on ('' for none): steps as FAKE_VBOX_FAIL takes them. */
  async fail(spec: string): Promise<void> {
    await writeFile(join(this.stateDir, 'fail'), spec);
  }

  /** Every argument vector VBoxManage was called with, in order. */
  async invocations(): Promise<string[][]> {
    const log = await readFile(join(this.stateDir, 'invocations.log'), 'utf8').catch(() => '');
    return log
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { argv: string[] }).argv);
  }

  async clearInvocations(): Promise<void> {
    await writeFile(join(this.stateDir, 'invocations.log'), '');
  }

  /** The registry: every VM the stand-in has registered. */
  async vms(): Promise<FakeVm[]> {
    const text = await readFile(join(this.stateDir, 'state.json'), 'utf8').catch(() => '{"vms":[]}');
    return (JSON.parse(text) as { vms: FakeVm[] }).vms;
  }

  /** Runs the stand-in directly, as a person at a shell would. */
  async run(args: string[], env: Record<string, string> = {}): Promise<FakeResult> {
    try {
      const { stdout, stderr } = await exec(this.path, args, {
        env: { ...process.env, ...this.env, ...env },
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }
}

/** A stand-in with a fresh registry under `root`. */
export async function fakeVBox(root: string): Promise<FakeVBox> {
  // A checkout need not keep the executable bit.
  await chmod(FAKE_VBOXMANAGE, 0o755);
  const stateDir = await mkdtemp(join(root, 'vbox-state-'));
  return new FakeVBox(stateDir);
}

export function ovfXml(disks: string[] = ['box-disk001.vmdk']): string {
  const files = disks.map((d, i) => `<File ovf:id="file${i + 1}" ovf:href="${d}" ovf:size="4"/>`).join('');
  const diskElems = disks
    .map((_, i) => `<Disk ovf:capacity="2147483648" ovf:diskId="vmdisk${i + 1}" ovf:fileRef="file${i + 1}"/>`)
    .join('');
  return `<?xml version="1.0"?>
<Envelope ovf:version="1.0" xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
  <References>${files}</References>
  <DiskSection><Info>Disks</Info>${diskElems}</DiskSection>
  <VirtualSystem ovf:id="autocloud-debian-test">
    <Info>A virtual machine</Info>
    <VirtualHardwareSection>
      <Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></Item>
      <Item><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>1024</rasd:VirtualQuantity></Item>
      <Item><rasd:Connection>NAT</rasd:Connection><rasd:InstanceID>5</rasd:InstanceID><rasd:ResourceType>10</rasd:ResourceType></Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
`;
}

export function virtualBoxBoxFiles(): Record<string, string> {
  return {
    'box.ovf': ovfXml(),
    'box-disk001.vmdk': 'KDMV',
    'metadata.json': '{"provider":"virtualbox"}\n',
    Vagrantfile: 'Vagrant.configure("2") do |config|\nend\n',
  };
}

/** Archives `files` with tar as `<root>/<name>`; returns its path. */
export async function makeBox(
  root: string,
  name: string,
  files: Record<string, string | Buffer>,
): Promise<string> {
  const src = await mkdtemp(join(root, 'box-src-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(src, path, '..'), { recursive: true });
    await writeFile(join(src, path), content);
  }
  const out = join(root, name);
  await exec('tar', ['-cf', out, '-C', src, '.']);
  return out;
}

/**
 * The directory of a built test image (tests/images/build.sh): $AUTOCLOUD_TEST_IMAGE_DIR, or the newest complete
 * entry of the image cache. Any build's boxes will do here.
 */
export function findTestImageDir(): string | undefined {
  if (process.env.AUTOCLOUD_TEST_IMAGE_DIR) return process.env.AUTOCLOUD_TEST_IMAGE_DIR;
  const cache = process.env.AUTOCLOUD_IMAGE_CACHE ?? '/var/cache/autocloud/test-images';
  if (!existsSync(cache)) return undefined;
  return readdirSync(cache)
    .filter((name) => !name.startsWith('.') && existsSync(join(cache, name, 'manifest.json')))
    .map((name) => join(cache, name))
    .sort(
      (a, b) => statSync(join(b, 'manifest.json')).mtimeMs - statSync(join(a, 'manifest.json')).mtimeMs,
    )[0];
}
