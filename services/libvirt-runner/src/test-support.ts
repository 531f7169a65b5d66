// Broken images for the libvirt-runner's tests: not a disk, a qcow2 without its data, a guest without sshd.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ImageFile {
  path: string;
  sha256: string;
  size: number;
  type: 'qcow2';
  format: 'qcow2';
  arch: 'x86_64';
}

async function describeFile(path: string): Promise<ImageFile> {
  const data = await readFile(path);
  return {
    path,
    sha256: createHash('sha256').update(data).digest('hex'),
    size: (await stat(path)).size,
    type: 'qcow2',
    format: 'qcow2',
    arch: 'x86_64',
  };
}

/** Random bytes named .qcow2: not a disk image at all. */
export async function garbageImage(dir: string): Promise<ImageFile> {
  const path = join(dir, 'garbage.qcow2');
  await writeFile(path, randomBytes(1024 * 1024));
  return describeFile(path);
}

/** The first 256 KiB of a real qcow2: a valid header whose data is missing, so there is nothing to boot. */
export async function truncatedQcow2(src: string, dir: string): Promise<ImageFile> {
  const path = join(dir, 'truncated.qcow2');
  await writeFile(path, (await readFile(src)).subarray(0, 256 * 1024));
  return describeFile(path);
}

/** A copy of the test image whose sshd never starts (its units masked): it boots to a login prompt, no SSH. */
export async function imageWithoutSsh(src: string, dir: string): Promise<ImageFile> {
  const raw = join(dir, 'no-ssh.raw');
  const mnt = join(dir, 'no-ssh.mnt');
  const path = join(dir, 'no-ssh.qcow2');
  await run('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', src, raw]);
  await mkdir(mnt, { recursive: true });
  // The test image has one partition, at 1 MiB (tests/images/build.sh).
  const loop = (
    await run('losetup', ['--find', '--show', '--offset', String(1024 * 1024), raw])
  ).stdout.trim();
  try {
    await run('mount', [loop, mnt]);
    try {
      for (const unit of ['ssh.service', 'ssh.socket', 'sshd.service']) {
        await rm(join(mnt, 'etc/systemd/system', unit), { force: true });
        await run('ln', ['-s', '/dev/null', join(mnt, 'etc/systemd/system', unit)]);
      }
    } finally {
      await run('umount', [mnt]);
    }
  } finally {
    await run('losetup', ['-d', loop]);
  }
  await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, path]);
  await rm(raw, { force: true });
  return describeFile(path);
}
