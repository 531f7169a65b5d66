// Vagrant boxes, for both backends: a box is a tar (often gzip-compressed) with a metadata.json naming its
// provider; a libvirt box carries a qcow2 box.img, a VirtualBox box an OVF descriptor and the disks it references.
// unpackBox() extracts one safely and says what is inside; describeBox() reads an already unpacked one.
import { lstat, mkdir, open, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { BoxError, type BoxProblem } from './box-error.js';
import { OvfError, parseOvf } from './ovf.js';
import { extractArchive, listSafeMembers, sniffArchive } from './tar.js';

/** metadata.json as Vagrant reads it: `provider` and whatever else the provider keeps there. */
export interface BoxMetadata {
  provider: string;
  [key: string]: unknown;
}

export interface LibvirtBox {
  provider: 'libvirt';
  /** The unpacked box. */
  dir: string;
  metadata: BoxMetadata;
  /** box.img, the boot disk. */
  disk: string;
  format: 'qcow2';
  /** metadata.json's `virtual_size` (GiB), when it gives one. */
  virtualSizeGiB?: number;
}

export interface VirtualBoxBox {
  provider: 'virtualbox';
  dir: string;
  metadata: BoxMetadata;
  /** The OVF descriptor (box.ovf). */
  ovf: string;
  /** Every file the OVF references (References/File), in its order: the disks, boot disk first as a rule. */
  disks: string[];
}

export type UnpackedBox = LibvirtBox | VirtualBoxBox;
export type BoxProvider = UnpackedBox['provider'];

export interface UnpackOptions {
  signal?: AbortSignal;
  /** Most bytes the box may unpack to (default 32 GiB). */
  maxBytes?: number;
  /** Most members the archive may have (default 1000; a box has a handful). */
  maxMembers?: number;
  /** Time limit of each tar run (default 30 min). */
  timeoutMs?: number;
}

export const DEFAULT_BOX_MAX_BYTES = 32 * 1024 ** 3;
export const DEFAULT_BOX_MAX_MEMBERS = 1000;
const DEFAULT_TAR_TIMEOUT_MS = 30 * 60_000;
const METADATA_MAX_BYTES = 1024 * 1024;
const OVF_MAX_BYTES = 16 * 1024 * 1024;
const QCOW2_MAGIC = Buffer.from('QFI\xfb', 'latin1');

/**
 * Extracts the box at `boxPath` into `destDir` (created if missing; must be empty) and describes it. Throws BoxError
 * (reason `boot`) for a malformed or unsafe box, BackendError('infrastructure') when tar is missing or the disk is
 * full, and the signal's reason when aborted.
 */
export async function unpackBox(
  boxPath: string,
  destDir: string,
  opts: UnpackOptions = {},
): Promise<UnpackedBox> {
  const label = basename(boxPath);
  const run = {
    timeoutMs: opts.timeoutMs ?? DEFAULT_TAR_TIMEOUT_MS,
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  opts.signal?.throwIfAborted();
  const compression = await sniffArchive(boxPath, label);
  await listSafeMembers(
    boxPath,
    compression,
    label,
    {
      maxBytes: opts.maxBytes ?? DEFAULT_BOX_MAX_BYTES,
      maxMembers: opts.maxMembers ?? DEFAULT_BOX_MAX_MEMBERS,
    },
    run,
  );
  await mkdir(destDir, { recursive: true });
  if ((await readdir(destDir)).length > 0) throw new Error(`unpackBox: ${destDir} is not empty`);
  await extractArchive(boxPath, compression, destDir, label, run);
  return describeBox(destDir, label);
}

/** Describes an unpacked box; `label` names it in errors (default: the directory's name). */
export async function describeBox(dir: string, label = basename(dir)): Promise<UnpackedBox> {
  const metadata = await readMetadata(dir, label);
  switch (metadata.provider) {
    case 'libvirt':
      return describeLibvirt(dir, label, metadata);
    case 'virtualbox':
      return describeVirtualBox(dir, label, metadata);
    default:
      throw new BoxError(
        'unknown-provider',
        label,
        `metadata.json names provider ${JSON.stringify(metadata.provider)}; Autocloud boots libvirt and virtualbox boxes`,
      );
  }
}

async function readMetadata(dir: string, label: string): Promise<BoxMetadata> {
  const text = await readSmallFile(dir, 'metadata.json', METADATA_MAX_BYTES, label, 'bad-metadata', () => {
    throw new BoxError(
      'no-metadata',
      label,
      'has no metadata.json (every Vagrant box has one at its top level)',
    );
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new BoxError('bad-metadata', label, `metadata.json is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BoxError('bad-metadata', label, 'metadata.json is not a JSON object');
  }
  const provider = (parsed as Record<string, unknown>).provider;
  if (typeof provider !== 'string' || provider === '') {
    throw new BoxError('bad-metadata', label, 'metadata.json names no provider');
  }
  return parsed as BoxMetadata;
}

async function describeLibvirt(dir: string, label: string, metadata: BoxMetadata): Promise<LibvirtBox> {
  const format = metadata.format ?? 'qcow2';
  if (format !== 'qcow2') {
    throw new BoxError(
      'bad-disk',
      label,
      `metadata.json gives disk format ${JSON.stringify(format)}; vagrant-libvirt boxes carry qcow2`,
    );
  }
  const disk = join(dir, 'box.img');
  const noDisk = Array.isArray(metadata.disks)
    ? 'has no box.img (multi-disk vagrant-libvirt boxes are not supported)'
    : 'has no box.img (a vagrant-libvirt box carries its disk as box.img)';
  if (!(await isRegularFile(disk))) throw new BoxError('no-disk', label, noDisk);
  const handle = await open(disk, 'r');
  try {
    const magic = Buffer.alloc(4);
    await handle.read(magic, 0, 4, 0);
    if (!magic.equals(QCOW2_MAGIC)) throw new BoxError('bad-disk', label, 'box.img is not a qcow2 image');
  } finally {
    await handle.close();
  }
  const size = metadata.virtual_size;
  return {
    provider: 'libvirt',
    dir,
    metadata,
    disk,
    format: 'qcow2',
    ...(typeof size === 'number' && size > 0 ? { virtualSizeGiB: size } : {}),
  };
}

async function describeVirtualBox(dir: string, label: string, metadata: BoxMetadata): Promise<VirtualBoxBox> {
  const ovfName = await findOvf(dir, label);
  const text = await readSmallFile(dir, ovfName, OVF_MAX_BYTES, label, 'bad-ovf', () => {
    throw new BoxError('no-ovf', label, `has no ${ovfName}`);
  });
  let files;
  try {
    files = parseOvf(text).files;
  } catch (err) {
    if (err instanceof OvfError)
      throw new BoxError('bad-ovf', label, `${ovfName} ${err.message}`, { cause: err });
    throw err;
  }
  if (files.length === 0) throw new BoxError('bad-ovf', label, `${ovfName} references no disk image`);
  const disks: string[] = [];
  for (const { href } of files) {
    // VBoxManage import looks for the referenced files beside the descriptor, and nowhere else.
    if (
      href.includes('/') ||
      href.includes('\\') ||
      href === '.' ||
      href === '..' ||
      /^[a-z][a-z0-9+.-]*:/i.test(href)
    ) {
      throw new BoxError('bad-ovf', label, `${ovfName} references ${href}, which is not a file beside it`);
    }
    const disk = join(dir, href);
    if (!(await isRegularFile(disk))) {
      throw new BoxError('missing-disk', label, `${ovfName} references ${href}, which is not in the box`);
    }
    disks.push(disk);
  }
  return { provider: 'virtualbox', dir, metadata, ovf: join(dir, ovfName), disks };
}

/** box.ovf, as Vagrant names it; a box with another single *.ovf at its top level is accepted too. */
async function findOvf(dir: string, label: string): Promise<string> {
  if (await isRegularFile(join(dir, 'box.ovf'))) return 'box.ovf';
  const others = (await readdir(dir)).filter((n) => n.toLowerCase().endsWith('.ovf'));
  if (others.length === 1 && (await isRegularFile(join(dir, others[0]!)))) return others[0]!;
  throw new BoxError(
    'no-ovf',
    label,
    'has no box.ovf (a VirtualBox box carries its OVF descriptor as box.ovf)',
  );
}

async function readSmallFile(
  dir: string,
  name: string,
  maxBytes: number,
  label: string,
  problem: BoxProblem,
  missing: () => never,
): Promise<string> {
  const path = join(dir, name);
  const stat = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
    throw err;
  });
  if (!stat) missing();
  if (!stat.isFile()) throw new BoxError(problem, label, `${name} is not a regular file`);
  if (stat.size > maxBytes) throw new BoxError(problem, label, `${name} is larger than ${maxBytes} bytes`);
  const handle = await open(path, 'r');
  try {
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

async function isRegularFile(path: string): Promise<boolean> {
  const stat = await lstat(path).catch(() => undefined);
  return stat?.isFile() ?? false;
}
