// The base disk a job's overlay sits on, made once per image and host: a qcow2 as it is; raw.xz decompressed once;
// a Vagrant libvirt box's box.img; a Vagrant VirtualBox box's VMDK converted once to qcow2 (the QEMU path for
// VirtualBox boxes). Derived files live beside the image cache, keyed by the image's sha256.
import { readFile, rename, rm, stat, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BackendError, type BootSpec, type BoxCache } from '@autocloud/runner-core';
import { type DiskBus } from './domain-xml.js';
import { convertImage, decompressXz, qemuImgInfo, ToolError } from './tools.js';

export interface BaseDisk {
  path: string;
  format: string;
  bus: DiskBus;
}

/** Vagrant boxes, unpacked once per image (runner-core's BoxCache). */
export type BoxSource = Pick<BoxCache, 'get'>;

export class BaseImages {
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    private readonly cacheDir: string,
    private readonly boxes: BoxSource,
  ) {}

  async prepare(spec: BootSpec, signal: AbortSignal): Promise<BaseDisk> {
    switch (spec.imageType) {
      case 'vagrant-libvirt': {
        const box = await this.boxes.get(spec.imagePath, spec.sha256, { signal });
        if (box.provider !== 'libvirt')
          throw new BackendError(
            'boot',
            `the vagrant-libvirt box is for provider ${box.provider}, not libvirt`,
          );
        return this.checked({ path: box.disk, format: box.format, bus: 'virtio' }, signal);
      }
      case 'vagrant-virtualbox': {
        const box = await this.boxes.get(spec.imagePath, spec.sha256, { signal });
        if (box.provider !== 'virtualbox')
          throw new BackendError(
            'boot',
            `the vagrant-virtualbox box is for provider ${box.provider}, not virtualbox`,
          );
        const vmdk = box.disks[0];
        if (!vmdk) throw new BackendError('boot', 'the VirtualBox box has no disk');
        const path = await this.derive(spec.sha256, 'qcow2', async (tmp) => {
          await convertImage(vmdk, 'vmdk', tmp, 'qcow2', signal);
        });
        return this.checked({ path, format: 'qcow2', bus: await ovfDiskBus(box.ovf) }, signal);
      }
      default: {
        if (/\.xz$|raw-xz/.test(spec.imageType) || spec.imagePath.endsWith('.xz')) {
          const path = await this.derive(spec.sha256, 'raw', (tmp) =>
            decompressXz(spec.imagePath, tmp, signal),
          );
          return this.checked({ path, format: 'raw', bus: 'virtio' }, signal);
        }
        return this.checked({ path: spec.imagePath, format: 'qcow2', bus: 'virtio' }, signal);
      }
    }
  }

  /** A disk QEMU cannot read ends the job here, with qemu-img's words, rather than as a domain that will not start. */
  private async checked(disk: BaseDisk, signal: AbortSignal): Promise<BaseDisk> {
    try {
      const info = await qemuImgInfo(disk.path, signal);
      if (disk.format === 'qcow2' && info.format !== 'qcow2') {
        throw new BackendError('boot', `the image is not a qcow2 disk (qemu-img sees ${info.format})`);
      }
      if (info['backing-filename']) {
        throw new BackendError('boot', 'the image refers to a backing file outside it; refusing to boot it');
      }
      return disk;
    } catch (err) {
      if (err instanceof BackendError) throw err;
      const detail = err instanceof ToolError ? err.stderr.trim().split('\n').at(-1) : String(err);
      throw new BackendError('boot', `the image is not a disk QEMU can read: ${detail}`, { cause: err });
    }
  }

  /** Makes `<cacheDir>/derived/<sha256>.<ext>` once (concurrent callers share the work); returns its path. */
  private async derive(sha256: string, ext: string, make: (tmp: string) => Promise<void>): Promise<string> {
    const dir = join(this.cacheDir, 'derived');
    const path = join(dir, `${sha256}.${ext}`);
    if (
      await stat(path).then(
        () => true,
        () => false,
      )
    )
      return path;
    let task = this.pending.get(path);
    if (!task) {
      task = (async () => {
        await mkdir(dir, { recursive: true, mode: 0o755 });
        const tmp = join(dir, `.${sha256}.${ext}.${process.pid}.part`);
        try {
          await make(tmp);
          await rename(tmp, path);
          return path;
        } catch (err) {
          await rm(tmp, { force: true });
          if (err instanceof BackendError) throw err;
          throw new BackendError(
            'boot',
            `could not prepare the image: ${err instanceof Error ? err.message : String(err)}`,
            {
              cause: err,
            },
          );
        }
      })().finally(() => this.pending.delete(path));
      this.pending.set(path, task);
    }
    return task;
  }
}

/** The bus the OVF attaches its disk to (VirtualBox boxes use IDE or SATA, which the guest's initramfs expects). */
export async function ovfDiskBus(ovfPath: string): Promise<DiskBus> {
  const ovf = await readFile(ovfPath, 'utf8').catch(() => '');
  // OVF ResourceType 20 is a SATA (AHCI) controller, 5 an IDE controller.
  if (/<rasd:ResourceType>\s*20\s*<\/rasd:ResourceType>/.test(ovf)) return 'sata';
  return 'ide';
}
