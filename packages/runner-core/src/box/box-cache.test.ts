import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import * as box from './box.js';
import { BoxCache } from './box-cache.js';
import { BoxError } from './box-error.js';
import { libvirtBoxFiles, makeBox, virtualBoxBoxFiles } from './box.fixtures.js';

// Counts unpacks; every call still runs the real unpackBox.
vi.mock('./box.js', async (importOriginal) => {
  const real = await importOriginal<typeof box>();
  return { ...real, unpackBox: vi.fn(real.unpackBox) };
});
const unpackBox = vi.mocked(box.unpackBox);

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'box-cache-test-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
afterEach(() => {
  unpackBox.mockClear();
});

function freshCache(): { cache: BoxCache; cacheDir: string } {
  const cacheDir = join(root, `cache-${++n}`);
  return { cache: new BoxCache({ cacheDir, lockTimeoutMs: 10_000 }), cacheDir };
}

/** Another process holding the image's lock, until the returned function is called. */
async function holdLock(lockPath: string): Promise<{ release: () => Promise<void> }> {
  await mkdir(join(lockPath, '..'), { recursive: true });
  const child = spawn('flock', ['--exclusive', lockPath, 'sh', '-c', 'echo locked; read _'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  expect(line.toString()).toBe('locked\n');
  return {
    release: async () => {
      child.stdin.end('\n');
      await once(child, 'close');
    },
  };
}

describe('BoxCache', () => {
  test('unpacks an image once, into boxes/<sha256>/, and serves later calls from there', async () => {
    const { cache, cacheDir } = freshCache();
    const file = await makeBox(root, 'one.box', libvirtBoxFiles());
    const first = await cache.get(file, SHA_A);
    expect(first).toMatchObject({ provider: 'libvirt', dir: join(cacheDir, 'boxes', SHA_A) });
    expect(first.provider === 'libvirt' && first.disk).toBe(join(cacheDir, 'boxes', SHA_A, 'box.img'));
    expect((await stat(first.dir)).mode & 0o777).toBe(0o755);
    await unlink(file); // the image may leave the image cache; the unpacked box stays
    expect(await cache.get(file, SHA_A)).toEqual(first);
    expect(unpackBox).toHaveBeenCalledTimes(1);
  });

  test('concurrent callers in one process wait for one unpack', async () => {
    const { cache } = freshCache();
    const file = await makeBox(root, 'concurrent.box', virtualBoxBoxFiles());
    const results = await Promise.all([
      cache.get(file, SHA_A),
      cache.get(file, SHA_A),
      cache.get(file, SHA_A),
    ]);
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(unpackBox).toHaveBeenCalledTimes(1);
  });

  test('waits while another process holds the image lock, and uses what that process unpacked', async () => {
    const { cache, cacheDir } = freshCache();
    const file = await makeBox(root, 'other.box', libvirtBoxFiles());
    const other = await holdLock(join(cacheDir, 'boxes', `.${SHA_A}.lock`));
    let settled = false;
    const waiting = cache.get(file, SHA_A).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false);
    // The other process finishes its unpack (into place) and releases the lock.
    await box.unpackBox(file, join(cacheDir, 'boxes', SHA_A));
    unpackBox.mockClear();
    await other.release();
    expect(await waiting).toMatchObject({ provider: 'libvirt', dir: join(cacheDir, 'boxes', SHA_A) });
    expect(unpackBox).not.toHaveBeenCalled();
  });

  test('a waiting caller can be aborted; the lock holder is not disturbed', async () => {
    const { cache, cacheDir } = freshCache();
    const file = await makeBox(root, 'abort.box', libvirtBoxFiles());
    const other = await holdLock(join(cacheDir, 'boxes', `.${SHA_A}.lock`));
    const controller = new AbortController();
    const waiting = cache.get(file, SHA_A, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('job cancelled')), 100);
    await expect(waiting).rejects.toThrow('job cancelled');
    await other.release();
    expect((await cache.get(file, SHA_A)).provider).toBe('libvirt');
  });

  test('cleans up after an unpack that crashed half-way, and replaces a damaged entry', async () => {
    const { cache, cacheDir } = freshCache();
    const boxes = join(cacheDir, 'boxes');
    const file = await makeBox(root, 'crash.box', libvirtBoxFiles());
    await mkdir(join(boxes, `.${SHA_A}.tmp-dead1`), { recursive: true });
    await writeFile(join(boxes, `.${SHA_A}.tmp-dead1`, 'box.img'), 'half');
    await mkdir(join(boxes, `.${SHA_B}.tmp-other`)); // another image's unpack: not ours to remove
    await cache.get(file, SHA_A);
    expect((await readdir(boxes)).sort()).toEqual([`.${SHA_A}.lock`, `.${SHA_B}.tmp-other`, SHA_A]);

    await unlink(join(boxes, SHA_A, 'metadata.json'));
    const again = await cache.get(file, SHA_A);
    expect(again.provider).toBe('libvirt');
    expect(unpackBox).toHaveBeenCalledTimes(2);
  });

  test('a malformed box fails with BoxError and leaves neither an entry nor a temporary directory', async () => {
    const { cache, cacheDir } = freshCache();
    const { 'box-disk001.vmdk': _, ...files } = virtualBoxBoxFiles();
    const file = await makeBox(root, 'broken.box', files);
    const err = await cache.get(file, SHA_A).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BoxError);
    expect((err as BoxError).message).toBe(
      'Vagrant box broken.box: box.ovf references box-disk001.vmdk, which is not in the box',
    );
    expect(await readdir(join(cacheDir, 'boxes'))).toEqual([`.${SHA_A}.lock`]);
  });

  test('remove() evicts an entry; sha256 values are checked before they become paths', async () => {
    const { cache } = freshCache();
    const file = await makeBox(root, 'evict.box', libvirtBoxFiles());
    await cache.get(file, SHA_A);
    expect(await cache.remove(SHA_A)).toBe(true);
    expect(await cache.remove(SHA_A)).toBe(false);
    await expect(cache.get(file, '../../etc')).rejects.toThrow('is not a lowercase sha256');
  });
});
