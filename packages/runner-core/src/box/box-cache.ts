// Unpacks each Vagrant box once per image (sha256) into <cacheDir>/boxes/<sha256>/, shared by every job that boots
// it. An unpack goes into a temporary directory beside the entry and is renamed into place, so an entry that exists
// is complete. Concurrent callers wait for one unpack: in this process through a promise per image, across
// processes through a flock on <cacheDir>/boxes/.<sha256>.lock; whoever holds the lock removes the temporary
// directories of unpacks that died.
import { chmod, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type UnpackedBox, describeBox, unpackBox } from './box.js';
import { BoxError } from './box-error.js';
import { lockFile } from './file-lock.js';

export interface BoxCacheOptions {
  /** The runner's cache directory; boxes go to its `boxes/` subdirectory. */
  cacheDir: string;
  /** Most bytes one box may unpack to (default 32 GiB). */
  maxBytes?: number;
  /** Most members one box may have (default 1000). */
  maxMembers?: number;
  /** How long to wait for another process's unpack of the same image (default 30 min). */
  lockTimeoutMs?: number;
}

const SHA256 = /^[0-9a-f]{64}$/;

export class BoxCache {
  /** Where the unpacked boxes are: one directory per image sha256. */
  readonly dir: string;
  private readonly pending = new Map<string, Promise<UnpackedBox>>();

  constructor(private readonly opts: BoxCacheOptions) {
    this.dir = join(opts.cacheDir, 'boxes');
  }

  /** The directory the box of this image is (or will be) unpacked to. */
  pathFor(sha256: string): string {
    if (!SHA256.test(sha256))
      throw new Error(`BoxCache: ${JSON.stringify(sha256)} is not a lowercase sha256`);
    return join(this.dir, sha256);
  }

  /**
   * The unpacked box of the image `sha256` (the file at `boxPath`), unpacking it first if no caller has. Aborting
   * `signal` stops this caller's wait; an unpack already running goes on for the others and the next job.
   */
  async get(boxPath: string, sha256: string, opts: { signal?: AbortSignal } = {}): Promise<UnpackedBox> {
    const final = this.pathFor(sha256);
    opts.signal?.throwIfAborted();
    let shared = this.pending.get(sha256);
    if (!shared) {
      shared = this.load(boxPath, sha256, final).finally(() => this.pending.delete(sha256));
      this.pending.set(sha256, shared);
    }
    return opts.signal ? abortable(shared, opts.signal) : shared;
  }

  /** Removes the unpacked box of this image (for eviction); false when there was none. */
  async remove(sha256: string): Promise<boolean> {
    const final = this.pathFor(sha256);
    await mkdir(this.dir, { recursive: true });
    const lock = await lockFile(this.lockPath(sha256), { timeoutMs: this.lockTimeoutMs });
    try {
      const existed = await exists(final);
      await rm(final, { recursive: true, force: true });
      return existed;
    } finally {
      await lock.release();
    }
  }

  private async load(boxPath: string, sha256: string, final: string): Promise<UnpackedBox> {
    const label = basename(boxPath);
    const cached = await this.cached(final, label);
    if (cached) return cached;
    await mkdir(this.dir, { recursive: true });
    const lock = await lockFile(this.lockPath(sha256), { timeoutMs: this.lockTimeoutMs });
    try {
      // Another process may have finished while this one waited for the lock.
      const done = await this.cached(final, label);
      if (done) return done;
      // Holding the lock, any temporary directory of this image is from an unpack that died; an entry that does
      // not describe as a box was damaged after the fact.
      await this.removeLeftovers(sha256);
      await rm(final, { recursive: true, force: true });
      const tmp = await mkdtemp(join(this.dir, `.${sha256}.tmp-`));
      try {
        await unpackBox(boxPath, tmp, {
          ...(this.opts.maxBytes !== undefined ? { maxBytes: this.opts.maxBytes } : {}),
          ...(this.opts.maxMembers !== undefined ? { maxMembers: this.opts.maxMembers } : {}),
        });
        // Readable by the hypervisor's user (QEMU may not run as the runner's user).
        await chmod(tmp, 0o755);
        await rename(tmp, final);
      } catch (err) {
        await rm(tmp, { recursive: true, force: true });
        throw err;
      }
      return await describeBox(final, label);
    } finally {
      await lock.release();
    }
  }

  /** The entry's description, or undefined when there is none (or it is damaged: the caller unpacks again). */
  private async cached(final: string, label: string): Promise<UnpackedBox | undefined> {
    if (!(await exists(final))) return undefined;
    try {
      return await describeBox(final, label);
    } catch (err) {
      if (err instanceof BoxError) return undefined;
      throw err;
    }
  }

  private async removeLeftovers(sha256: string): Promise<void> {
    const prefix = `.${sha256}.tmp-`;
    for (const name of await readdir(this.dir)) {
      if (name.startsWith(prefix)) await rm(join(this.dir, name), { recursive: true, force: true });
    }
  }

  private lockPath(sha256: string): string {
    return join(this.dir, `.${sha256}.lock`);
  }

  private get lockTimeoutMs(): number {
    return this.opts.lockTimeoutMs ?? 30 * 60_000;
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passes the rejection on as is
        reject(err);
      },
    );
  });
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}
