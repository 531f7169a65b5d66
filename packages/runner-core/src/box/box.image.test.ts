// The real Vagrant boxes of the test image (tests/images/build.sh), when it is built: both unpack through the cache
// and describe as their runners will boot them.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { BoxCache } from './box-cache.js';

interface Manifest {
  images: { path: string; type: string; checksums: { sha256: string } }[];
}

const imageDir = findTestImage();
const cacheDir = imageDir ? await mkdtemp(join(tmpdir(), 'box-image-test-')) : '';
afterAll(async () => {
  if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
});

describe.skipIf(!imageDir)('the test image boxes', () => {
  if (!imageDir) {
    console.warn(
      'skipping the test image box tests: the test image is not built (run `sudo bash tests/images/build.sh`, ' +
        'or set AUTOCLOUD_TEST_IMAGE_DIR to its directory)',
    );
  }

  const image = async (type: string) => {
    const manifest = JSON.parse(await readFile(join(imageDir!, 'manifest.json'), 'utf8')) as Manifest;
    const entry = manifest.images.find((i) => i.type === type)!;
    return { path: join(imageDir!, entry.path), sha256: entry.checksums.sha256 };
  };

  test('the vagrant-libvirt box: box.img, qcow2', async () => {
    const { path, sha256 } = await image('vagrant-libvirt');
    const box = await new BoxCache({ cacheDir }).get(path, sha256);
    expect(box).toMatchObject({ provider: 'libvirt', format: 'qcow2', virtualSizeGiB: 2 });
    expect(box.provider === 'libvirt' && (await stat(box.disk)).size).toBeGreaterThan(10 * 1024 * 1024);
  });

  test('the vagrant-virtualbox box: box.ovf and its streamOptimized VMDK', async () => {
    const { path, sha256 } = await image('vagrant-virtualbox');
    const box = await new BoxCache({ cacheDir }).get(path, sha256);
    expect(box.provider).toBe('virtualbox');
    if (box.provider !== 'virtualbox') return;
    expect(box.ovf).toBe(join(cacheDir, 'boxes', sha256, 'box.ovf'));
    expect(box.disks).toEqual([join(box.dir, 'box-disk001.vmdk')]);
    const vmdk = await readFile(box.disks[0]!);
    expect(vmdk.subarray(0, 4).toString('latin1')).toBe('KDMV');
    expect((await readdir(box.dir)).sort()).toEqual([
      'Vagrantfile',
      'box-disk001.vmdk',
      'box.ovf',
      'metadata.json',
    ]);
  });
});

/** $AUTOCLOUD_TEST_IMAGE_DIR, or build.sh's cache entry for the current inputs when it is complete. */
function findTestImage(): string | undefined {
  const fromEnv = process.env.AUTOCLOUD_TEST_IMAGE_DIR;
  if (fromEnv) return fromEnv;
  const here = fileURLToPath(new URL('../../../../tests/images/', import.meta.url));
  const cacheRoot = process.env.AUTOCLOUD_IMAGE_CACHE ?? '/var/cache/autocloud/test-images';
  const dir = join(cacheRoot, contentHash(here));
  return existsSync(join(dir, 'manifest.json')) ? dir : undefined;
}

// build.sh's content_hash: sha256sum of every input file, sorted by path (bytewise), hashed again.
function contentHash(imagesDir: string): string {
  const files: string[] = [];
  const walk = (path: string) => {
    if (!existsSync(path)) return;
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path)) walk(join(path, entry));
    } else if (statSync(path).isFile()) {
      files.push(relative(imagesDir, path));
    }
  };
  for (const input of ['build.sh', 'packages.txt', 'rootfs', 'vagrant-insecure-key.pub'])
    walk(join(imagesDir, input));
  files.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const lines = files.map((f) => `${sha256(readFileSync(join(imagesDir, f)))}  ${f}\n`).join('');
  return sha256(Buffer.from(lines));
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
