// The Autocloud test image (tests/images): built once per content hash by tests/images/build.sh and read from its
// cache directory. Its manifest describes each artifact as images.json would.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../../..');

export interface TestImageArtifact {
  path: string;
  type: 'qcow2' | 'vagrant-libvirt' | 'vagrant-virtualbox';
  format: string;
  arch: string;
  size: number;
  sha256: string;
}

export interface TestImage {
  dir: string;
  name: string;
  release: string;
  qcow2: TestImageArtifact;
  vagrantLibvirt: TestImageArtifact;
  vagrantVirtualbox: TestImageArtifact;
}

interface Manifest {
  name: string;
  release: { version: string };
  images: {
    path: string;
    type: string;
    format: string;
    arch: string;
    size: number;
    checksums: { sha256: string };
  }[];
}

let built: Promise<string> | undefined;

/** Builds the test image if this machine has not yet (root; minutes), or finds it in the cache (instant). */
export async function testImage(): Promise<TestImage> {
  built ??= new Promise<string>((res, rej) => {
    const dir = process.env.AUTOCLOUD_TEST_IMAGE_DIR;
    if (dir) return res(dir);
    execFile(
      'bash',
      [join(root, 'tests/images/build.sh')],
      { maxBuffer: 1 << 20, timeout: 20 * 60_000 },
      (err, stdout, stderr) => {
        if (err) rej(new Error(`tests/images/build.sh failed: ${stderr.slice(-2000)}`, { cause: err }));
        else res(stdout.trim());
      },
    );
  });
  const dir = await built;
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const artifact = (type: TestImageArtifact['type']): TestImageArtifact => {
    const image = manifest.images.find((i) => i.type === type);
    if (!image) throw new Error(`the test image in ${dir} has no ${type}`);
    return {
      path: join(dir, image.path),
      type,
      format: image.format,
      arch: image.arch,
      size: image.size,
      sha256: image.checksums.sha256,
    };
  };
  return {
    dir,
    name: manifest.name,
    release: manifest.release.version,
    qcow2: artifact('qcow2'),
    vagrantLibvirt: artifact('vagrant-libvirt'),
    vagrantVirtualbox: artifact('vagrant-virtualbox'),
  };
}
