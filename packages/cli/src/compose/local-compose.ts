// A compose on this disk, submitted by `autocloud submit <dir>`: checked (productmd metadata present and readable),
// registered under $AUTOCLOUD_HOME/composes/<compose id> (a symlink), and served by `up`'s compose server.
import { lstat, mkdir, readFile, realpath, rm, symlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../errors.js';

export interface LocalCompose {
  composeId: string;
  /** The compose's top directory (what gets registered). */
  topDir: string;
  /** The location below the top directory: '' or 'compose' (pungi's layout: <top>/compose/metadata). */
  subdir: '' | 'compose';
}

/** A compose id that is safe as one path segment and one URL segment. */
export const COMPOSE_ID = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/;

/**
 * Checks that `dir` holds a compose: `metadata/composeinfo.json` and `metadata/images.json` in it or in its
 * `compose/` subdirectory (pungi's layout), both productmd documents naming the same compose.
 */
export async function inspectComposeDir(dir: string): Promise<LocalCompose> {
  if (!existsSync(dir)) throw new CliError(`${dir}: no such directory`);
  const subdir = existsSync(join(dir, 'metadata'))
    ? ''
    : existsSync(join(dir, 'compose', 'metadata'))
      ? 'compose'
      : undefined;
  if (subdir === undefined) {
    throw new CliError(
      `${dir} is not a compose: it has neither metadata/ nor compose/metadata/`,
      1,
      'a compose directory holds metadata/composeinfo.json and metadata/images.json (productmd)',
    );
  }
  const metadata = join(dir, subdir, 'metadata');
  const composeinfo = await readDocument(join(metadata, 'composeinfo.json'), 'productmd.composeinfo');
  const images = await readDocument(join(metadata, 'images.json'), 'productmd.images');
  const composeId = composeIdOf(composeinfo);
  if (!composeId || !COMPOSE_ID.test(composeId)) {
    throw new CliError(
      `${join(metadata, 'composeinfo.json')}: payload.compose.id is missing or not a compose id`,
    );
  }
  const imagesId = composeIdOf(images);
  if (imagesId !== composeId) {
    throw new CliError(
      `${metadata}: images.json describes compose ${String(imagesId)}, composeinfo.json ${composeId}`,
    );
  }
  return { composeId, topDir: await realpath(dir), subdir };
}

async function readDocument(file: string, type: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new CliError(`${file}: missing or unreadable`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file}: not JSON (${(err as Error).message})`);
  }
  const header = (doc as { header?: { type?: unknown } } | null)?.header;
  if (header?.type !== type) throw new CliError(`${file}: not a ${type} document (header.type)`);
  return doc as Record<string, unknown>;
}

function composeIdOf(doc: Record<string, unknown>): string | undefined {
  const id = (doc.payload as { compose?: { id?: unknown } } | undefined)?.compose?.id;
  return typeof id === 'string' ? id : undefined;
}

/**
 * Makes `composesDir`/<compose id> lead to the compose (a symlink, replaced when it led elsewhere); a compose
 * already inside `composesDir` under its id is left as it is. Returns the location path below the server's root.
 */
export async function registerLocalCompose(composesDir: string, compose: LocalCompose): Promise<string> {
  await mkdir(composesDir, { recursive: true });
  const entry = join(composesDir, compose.composeId);
  const location = [compose.composeId, ...(compose.subdir ? [compose.subdir] : [])].join('/');
  const existing = await lstat(entry).catch(() => undefined);
  if (existing?.isSymbolicLink()) {
    if ((await realpath(entry).catch(() => undefined)) === compose.topDir) return location;
    await rm(entry);
  } else if (existing) {
    if ((await realpath(entry)) === compose.topDir) return location;
    throw new CliError(
      `${entry} already holds another compose ${compose.composeId}`,
      1,
      `remove it, or give this compose another id`,
    );
  }
  await symlink(compose.topDir, entry, 'dir');
  return location;
}

/** The URL path of a location below the compose server's root (segments encoded). */
export function locationPath(location: string): string {
  return location
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}
