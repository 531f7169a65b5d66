// The demo compose: the test image's qcow2, Vagrant libvirt box and Vagrant VirtualBox box as a compose with real
// productmd metadata, laid out as pungi lays out a compose (<dir>/<compose id>/compose/{metadata,Cloud/...}), so the
// whole system tests it as it would a Fedora compose. Exported for the end-to-end test.
import { copyFile, link, mkdir, readdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  composeDate,
  composeIdFor,
  composeInfoDocument,
  imageEntry,
  imagesDocument,
  productmdJson,
  type ComposeIdentity,
  type ProductmdImageEntry,
} from '../productmd/productmd.js';
import { type DemoImage, type DemoImageArtifact } from './test-image.js';

/** The release short name of demo composes, and the subvariant its images carry (rules match it). */
export const DEMO_SHORT = 'Debian-Test';
export const DEMO_SUBVARIANT = 'Debian_Test';
export const DEMO_VARIANT = 'Cloud';

export interface DemoComposeOptions {
  /**
   * The compose id, `Debian-Test-<release>-<YYYYMMDD>.n.<respin>` (its date and respin go into the metadata);
   * default: from `date` and `respin`.
   */
  composeId?: string;
  /** Respin of the compose id (default: the next one not yet under `dir` for that date). */
  respin?: number;
  /** Compose date (default: now). */
  date?: Date;
  /** The URL `dir` is served at: `location` is then the compose's URL. */
  baseUrl?: string;
  /** How image files get into the compose: hardlink (default, falling back to symlink), symlink or copy. */
  link?: 'hardlink' | 'symlink' | 'copy';
}

export interface DemoCompose {
  composeId: string;
  /** <dir>/<compose id> */
  topDir: string;
  /** <dir>/<compose id>/compose: the compose location (it holds metadata/). */
  locationDir: string;
  /** The location relative to `dir`, `<compose id>/compose`: append it to the URL `dir` is served at. */
  path: string;
  /** The compose's location: `<baseUrl>/<compose id>/compose` when a baseUrl was given, else `path`. */
  location: string;
  images: ProductmdImageEntry[];
}

/** File names as Fedora's cloud composes name them, so image names read alike (Debian-Test-Vagrant-libvirt-12-…). */
function fileName(artifact: DemoImageArtifact, id: string, version: string): string {
  const rest = id.slice(`${DEMO_SHORT}-${version}-`.length);
  const base = artifact.type === 'qcow2' ? `${DEMO_SHORT}-${version}` : `${DEMO_SHORT}-Vagrant-${version}`;
  return `${base}-${rest}.${artifact.arch}.${artifact.format}`;
}

/** The next free respin of the demo compose of `date` under `dir` (and not `taken`). */
export async function nextDemoRespin(
  dir: string,
  release: string,
  date: Date,
  taken: (composeId: string) => Promise<boolean> = () => Promise.resolve(false),
): Promise<number> {
  const prefix = `${DEMO_SHORT}-${release}-${composeDate(date)}.n.`;
  const entries = await readdir(dir).catch(() => [] as string[]);
  let respin = 0;
  for (const entry of entries) {
    const m = entry.startsWith(prefix) ? /^(\d+)$/.exec(entry.slice(prefix.length)) : null;
    if (m) respin = Math.max(respin, Number(m[1]) + 1);
  }
  while (await taken(`${prefix}${respin}`)) respin++;
  return respin;
}

/** Writes the demo compose under `dir` (created if missing); the compose appears whole or not at all. */
export async function writeDemoCompose(
  dir: string,
  image: DemoImage,
  opts: DemoComposeOptions = {},
): Promise<DemoCompose> {
  let identity: ComposeIdentity;
  if (opts.composeId !== undefined) {
    const m = new RegExp(`^${DEMO_SHORT}-${image.release}-(\\d{8})\\.n\\.(\\d+)$`).exec(opts.composeId);
    if (!m)
      throw new Error(
        `${opts.composeId} is not a demo compose id (${DEMO_SHORT}-${image.release}-YYYYMMDD.n.N)`,
      );
    identity = {
      short: DEMO_SHORT,
      version: image.release,
      date: m[1]!,
      type: 'nightly',
      respin: Number(m[2]),
    };
  } else {
    const date = opts.date ?? new Date();
    const respin = opts.respin ?? (await nextDemoRespin(dir, image.release, date));
    identity = {
      short: DEMO_SHORT,
      version: image.release,
      date: composeDate(date),
      type: 'nightly',
      respin,
    };
  }
  const composeId = composeIdFor(identity);
  const topDir = join(dir, composeId);
  if (await stat(topDir).catch(() => undefined)) throw new Error(`${topDir} exists already`);
  // Written beside it under a hidden name (the compose server never serves those), then renamed into place.
  const work = join(dir, `.${composeId}.${process.pid}.tmp`);
  await rm(work, { recursive: true, force: true });
  try {
    const entries: Record<string, ProductmdImageEntry[]> = {};
    for (const artifact of [image.qcow2, image.vagrantLibvirt, image.vagrantVirtualbox]) {
      const path = `${DEMO_VARIANT}/${artifact.arch}/images/${fileName(artifact, composeId, image.release)}`;
      const target = join(work, 'compose', path);
      await mkdir(join(target, '..'), { recursive: true });
      await placeFile(artifact.path, target, opts.link ?? 'hardlink');
      const mtime = Math.floor((await stat(artifact.path)).mtimeMs / 1000);
      (entries[artifact.arch] ??= []).push(
        imageEntry({ ...artifact, path, subvariant: DEMO_SUBVARIANT, mtime }),
      );
    }
    const arches = Object.keys(entries);
    const metadata = join(work, 'compose', 'metadata');
    await mkdir(metadata, { recursive: true });
    await writeFile(
      join(metadata, 'composeinfo.json'),
      productmdJson(
        composeInfoDocument(
          { ...identity, releaseName: 'Debian Test Image' },
          { [DEMO_VARIANT]: { arches } },
        ),
      ),
    );
    await writeFile(
      join(metadata, 'images.json'),
      productmdJson(imagesDocument(identity, { [DEMO_VARIANT]: entries })),
    );
    await rename(work, topDir);
    const path = `${composeId}/compose`;
    return {
      composeId,
      topDir,
      locationDir: join(topDir, 'compose'),
      path,
      location: opts.baseUrl ? `${opts.baseUrl.replace(/\/+$/, '')}/${path}` : path,
      images: Object.values(entries).flat(),
    };
  } catch (err) {
    await rm(work, { recursive: true, force: true });
    throw err;
  }
}

async function placeFile(
  source: string,
  target: string,
  how: 'hardlink' | 'symlink' | 'copy',
): Promise<void> {
  if (how === 'copy') return copyFile(source, target);
  if (how === 'hardlink') {
    try {
      return await link(source, target);
    } catch {
      // Another filesystem, or hardlinks to others' files not allowed: a symlink serves as well.
    }
  }
  await symlink(source, target);
}
