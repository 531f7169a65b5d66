// Safe extraction of a (possibly gzip-compressed) tar archive with the system tar. The archive is recognised by its
// magic bytes, listed with `tar -tv` and every member checked (no absolute or `..` paths, no links out of the
// directory or through other links, no device files, a cap on members and bytes) before anything is extracted.
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { BackendError } from '../machine/machine.js';
import { BoxError } from './box-error.js';

export type Compression = 'none' | 'gzip';

export interface TarLimits {
  /** Most bytes the regular files may add up to. */
  maxBytes: number;
  /** Most members (files, directories, links). */
  maxMembers: number;
}

export interface TarMember {
  kind: 'file' | 'dir' | 'symlink' | 'hardlink';
  /** Path inside the archive: no leading `./`, no trailing `/`. */
  path: string;
  size: number;
  /** Symlink: its target as stored; hard link: the member it links to (normalised like `path`). */
  linkTarget?: string;
}

interface TarRun {
  signal?: AbortSignal;
  timeoutMs?: number;
}

const BLOCK = 512;
const LISTING_MAX_BYTES = 8 * 1024 * 1024;

/** Tells a tar (plain or gzip-compressed) from anything else; throws BoxError('not-a-tar') with a hint otherwise. */
export async function sniffArchive(file: string, label: string): Promise<Compression> {
  const head = await readHead(file, BLOCK);
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    const inner = await gunzipHead(file, BLOCK);
    if (!isTarHeader(inner)) {
      throw new BoxError('not-a-tar', label, 'is gzip-compressed but not a tar archive inside');
    }
    return 'gzip';
  }
  if (!isTarHeader(head)) {
    throw new BoxError('not-a-tar', label, `is not a tar archive${looksLike(head)}`);
  }
  return 'none';
}

/** Lists the archive's members (tar -tv) and checks each one; throws BoxError for anything unsafe. */
export async function listSafeMembers(
  file: string,
  compression: Compression,
  label: string,
  limits: TarLimits,
  run: TarRun = {},
): Promise<TarMember[]> {
  let listing: string;
  try {
    listing = await tar(
      ['--list', '--verbose', '--numeric-owner', '--quoting-style=escape', ...archiveArgs(file, compression)],
      run,
      LISTING_MAX_BYTES,
    );
  } catch (err) {
    if (err instanceof TarOutputTooLarge) {
      throw new BoxError('too-large', label, `has more members than the ${limits.maxMembers} allowed`);
    }
    throw corruptOr(err, label);
  }
  const members = parseListing(listing, label);
  checkMembers(members, label, limits);
  return members;
}

/** Extracts a listed-and-checked archive into `dir` (which must exist). Owners and modes are not restored. */
export async function extractArchive(
  file: string,
  compression: Compression,
  dir: string,
  label: string,
  run: TarRun = {},
): Promise<void> {
  try {
    await tar(
      [
        '--extract',
        '--no-same-owner',
        '--no-same-permissions',
        '--touch',
        '--warning=no-unknown-keyword',
        '--directory',
        dir,
        ...archiveArgs(file, compression),
      ],
      run,
      LISTING_MAX_BYTES,
    );
  } catch (err) {
    if (err instanceof TarFailed && /No space left on device|Disk quota exceeded/i.test(err.stderr)) {
      throw new BackendError(
        'infrastructure',
        `no space left to unpack Vagrant box ${label}: ${err.detail}`,
        {
          cause: err,
        },
      );
    }
    throw corruptOr(err, label);
  }
}

// --force-local: a file name with a colon is a file, not host:path of a remote archive.
function archiveArgs(file: string, compression: Compression): string[] {
  return [...(compression === 'gzip' ? ['--gzip'] : []), '--force-local', '--file', file];
}

function corruptOr(err: unknown, label: string): unknown {
  if (err instanceof TarFailed) {
    return new BoxError('corrupt', label, `is truncated or corrupt: ${err.detail}`, { cause: err });
  }
  return err;
}

// --- the listing -------------------------------------------------------------------------------------------------

// GNU tar's verbose listing: mode, uid/gid, size (or major,minor), date, time, name [-> target | link to target].
const LINE =
  /^([-dlhcbpDSMNV?])[-rwxsStTl]{9}\S*\s+\S+\s+(\S+)\s+\d{4}-\d\d-\d\d\s+\d\d:\d\d(?::\d\d)?\s(.*)$/;

/** Parses `tar --list --verbose --quoting-style=escape` output. Exported for tests. */
export function parseListing(listing: string, label: string): TarMember[] {
  const members: TarMember[] = [];
  for (const line of listing.split('\n')) {
    if (line === '') continue;
    const m = LINE.exec(line);
    if (!m) throw new BoxError('corrupt', label, `has a member tar cannot describe: ${JSON.stringify(line)}`);
    const [, type, size, rest] = m as unknown as [string, string, string, string];
    switch (type) {
      case '-':
        members.push({ kind: 'file', path: memberPath(rest, label), size: Number(size) });
        break;
      case 'd':
        members.push({ kind: 'dir', path: memberPath(rest, label), size: 0 });
        break;
      case 'l': {
        const [name, target] = splitOnce(rest, ' -> ', label);
        members.push({
          kind: 'symlink',
          path: memberPath(name, label),
          size: 0,
          linkTarget: unescape(target),
        });
        break;
      }
      case 'h': {
        const [name, target] = splitOnce(rest, ' link to ', label);
        members.push({
          kind: 'hardlink',
          path: memberPath(name, label),
          size: 0,
          linkTarget: memberPath(target, label),
        });
        break;
      }
      default:
        throw new BoxError(
          'unsafe-member',
          label,
          `member ${unescape(rest)} is a ${typeName(type)}, not a file`,
        );
    }
  }
  return members;
}

function checkMembers(members: TarMember[], label: string, limits: TarLimits): void {
  if (members.length > limits.maxMembers) {
    throw new BoxError(
      'too-large',
      label,
      `has ${members.length} members, more than the ${limits.maxMembers} allowed`,
    );
  }
  const total = members.reduce((sum, m) => sum + (m.kind === 'file' ? m.size : 0), 0);
  if (total > limits.maxBytes) {
    throw new BoxError(
      'too-large',
      label,
      `unpacks to ${total} bytes, more than the ${limits.maxBytes} allowed (raise the box cache's maxBytes)`,
    );
  }
  // With no member path and no link target passing through a symlink, a link's target resolves textually, so a
  // target that stays inside by text stays inside on disk.
  const symlinks = new Set(members.filter((m) => m.kind === 'symlink').map((m) => m.path));
  const unsafe = (member: string, why: string) =>
    new BoxError('unsafe-member', label, `member ${member} ${why}; refusing to unpack`);
  for (const m of members) {
    if (m.path === '') continue;
    const through = throughSymlink(m.path.split('/'), symlinks);
    if (through) throw unsafe(m.path, `lies under the symbolic link ${through}`);
    if (m.kind === 'symlink') {
      const target = m.linkTarget ?? '';
      if (target.startsWith('/')) throw unsafe(m.path, `is a symbolic link to the absolute path ${target}`);
      const dir = m.path.split('/').slice(0, -1);
      const resolved = resolveInside([...dir, ...target.split('/')], symlinks);
      if (resolved.escapes) throw unsafe(m.path, `is a symbolic link to ${target}, outside the box`);
      if (resolved.through)
        throw unsafe(m.path, `is a symbolic link through the symbolic link ${resolved.through}`);
    }
    if (m.kind === 'hardlink') {
      const target = m.linkTarget ?? '';
      const via = throughSymlink(target.split('/'), symlinks);
      if (via) throw unsafe(m.path, `is a hard link through the symbolic link ${via}`);
    }
  }
}

/** The first proper prefix of the path that is a symlink member. */
function throughSymlink(segments: string[], symlinks: Set<string>): string | undefined {
  for (let i = 1; i < segments.length; i++) {
    const prefix = segments.slice(0, i).join('/');
    if (symlinks.has(prefix)) return prefix;
  }
  return undefined;
}

function resolveInside(segments: string[], symlinks: Set<string>): { escapes: boolean; through?: string } {
  const stack: string[] = [];
  for (const [i, seg] of segments.entries()) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (stack.length === 0) return { escapes: true };
      stack.pop();
      continue;
    }
    stack.push(seg);
    // Walking on from a symlink (to a child, or to `..`) would resolve on disk through its target.
    const prefix = stack.join('/');
    if (symlinks.has(prefix) && i < segments.length - 1) return { escapes: false, through: prefix };
  }
  return { escapes: false };
}

/** A member's name as listed: escapes decoded, leading `./` and trailing `/` dropped, checked for safety. */
function memberPath(listed: string, label: string): string {
  const name = unescape(listed);
  const unsafe = (why: string) =>
    new BoxError('unsafe-member', label, `member ${JSON.stringify(name)} ${why}; refusing to unpack`);
  if (name.startsWith('/')) throw unsafe('has an absolute path');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw unsafe('has control characters in its name');
  const segments = name.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw unsafe('has a `..` path component');
  return segments.join('/');
}

function splitOnce(rest: string, sep: string, label: string): [string, string] {
  const at = rest.indexOf(sep);
  if (at < 0 || rest.indexOf(sep, at + 1) >= 0) {
    throw new BoxError('unsafe-member', label, `has a link whose name or target is ambiguous: ${rest}`);
  }
  return [rest.slice(0, at), rest.slice(at + sep.length)];
}

const SIMPLE_ESCAPES: Record<string, number> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  '\\': 92,
  '?': 63,
};

/** Decodes gnulib's `escape` quoting (C escapes, octal bytes) back into the UTF-8 name. */
function unescape(s: string): string {
  if (!s.includes('\\')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\' || i + 1 >= s.length) {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = s[i + 1]!;
    const octal = /^[0-7]{1,3}/.exec(s.slice(i + 1));
    if (octal) {
      bytes.push(parseInt(octal[0], 8) & 0xff);
      i += octal[0].length;
    } else {
      bytes.push(SIMPLE_ESCAPES[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function typeName(type: string): string {
  const names: Record<string, string> = {
    c: 'character device',
    b: 'block device',
    p: 'FIFO',
    D: 'directory dump',
    S: 'sparse multi-volume file',
    M: 'multi-volume continuation',
    N: 'renamed-file record',
    V: 'volume label',
  };
  return names[type] ?? 'special file';
}

// --- magic bytes -------------------------------------------------------------------------------------------------

function isTarHeader(block: Buffer): boolean {
  return block.length >= BLOCK && block.subarray(257, 262).toString('latin1') === 'ustar';
}

function looksLike(head: Buffer): string {
  const starts = (magic: string) => head.subarray(0, magic.length).equals(Buffer.from(magic, 'latin1'));
  if (head.length === 0) return ' (the file is empty)';
  if (starts('PK\x03\x04')) return ' (it is a zip archive)';
  if (starts('\xfd7zXZ\x00')) return ' (it is xz-compressed; Vagrant boxes are tar or tar.gz)';
  if (starts('BZh')) return ' (it is bzip2-compressed; Vagrant boxes are tar or tar.gz)';
  if (starts('\x28\xb5\x2f\xfd')) return ' (it is zstd-compressed; Vagrant boxes are tar or tar.gz)';
  if (starts('QFI\xfb')) return ' (it is a bare qcow2 disk image)';
  if (head.length < BLOCK) return ` (it has only ${head.length} bytes)`;
  return '';
}

async function readHead(file: string, n: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await handle.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The first `n` decompressed bytes of a gzip file (fewer if it is shorter or corrupt). */
async function gunzipHead(file: string, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let have = 0;
  const source = createReadStream(file, { highWaterMark: 64 * 1024 });
  const gunzip = createGunzip();
  // A read error ends the gunzip stream early; what came out before decides.
  source.on('error', () => gunzip.end());
  try {
    for await (const chunk of source.pipe(gunzip)) {
      chunks.push(chunk as Buffer);
      have += (chunk as Buffer).length;
      if (have >= n) break;
    }
  } catch {
    // Corrupt or truncated gzip: whatever came out before decides.
  } finally {
    source.destroy();
    gunzip.destroy();
  }
  return Buffer.concat(chunks).subarray(0, n);
}

// --- running tar -------------------------------------------------------------------------------------------------

class TarFailed extends Error {
  constructor(
    readonly stderr: string,
    readonly detail: string,
  ) {
    super(`tar failed: ${detail}`);
  }
}

class TarOutputTooLarge extends Error {}

function tar(args: string[], run: TarRun, maxBuffer: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'tar',
      args,
      {
        env: { ...process.env, LC_ALL: 'C' },
        maxBuffer,
        timeout: run.timeoutMs ?? 0,
        killSignal: 'SIGKILL',
        ...(run.signal ? { signal: run.signal } : {}),
      },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        if (run.signal?.aborted) return reject(run.signal.reason as Error);
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          return reject(
            new BackendError('infrastructure', 'tar is not installed on this runner', { cause: err }),
          );
        }
        if (code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return reject(new TarOutputTooLarge());
        if ((err as { killed?: boolean }).killed) {
          return reject(
            new BackendError('infrastructure', `tar took longer than ${run.timeoutMs} ms`, { cause: err }),
          );
        }
        const detail =
          stderr
            .split('\n')
            .map((l) => l.replace(/^tar: /, '').trim())
            .filter((l) => l !== '' && !/^Exiting with failure status/.test(l))
            .slice(0, 3)
            .join('; ') || err.message;
        reject(new TarFailed(stderr, detail));
      },
    );
  });
}
