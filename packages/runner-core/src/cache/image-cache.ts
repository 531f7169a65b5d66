// The runner's local, content-addressed image cache: a verified image is copied out of the `images` object store
// once per host (checked against its sha256 on the way) and every job of it boots from an overlay on that one file.
// Least recently used images are evicted beyond a byte budget; an image a job is using is never evicted.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import { type ObjectStore } from '@nats-io/obj';
import { JobAbort } from '../job/outcome.js';

export interface ImageCacheOptions {
  dir: string;
  maxBytes: number;
  store: () => Promise<ObjectStore>;
}

export class ImageCache {
  private readonly pending = new Map<string, Promise<string>>();
  private readonly inUse = new Map<string, number>();

  constructor(private readonly opts: ImageCacheOptions) {}

  private path(sha256: string): string {
    return join(this.opts.dir, 'images', sha256);
  }

  /** The local path of the image, copying it from the store when this host does not have it yet. Call release(). */
  async acquire(
    object: { name: string },
    sha256: string,
    opts: { signal: AbortSignal; onProgress?: (bytes: number, total: number) => void },
  ): Promise<string> {
    this.inUse.set(sha256, (this.inUse.get(sha256) ?? 0) + 1);
    try {
      const path = this.path(sha256);
      if (await exists(path)) {
        const now = new Date();
        await utimes(path, now, now).catch(() => undefined);
        return path;
      }
      let task = this.pending.get(sha256);
      if (!task) {
        task = this.copy(object.name, sha256, opts).finally(() => this.pending.delete(sha256));
        this.pending.set(sha256, task);
      }
      return await task;
    } catch (err) {
      this.release(sha256);
      throw err;
    }
  }

  release(sha256: string): void {
    const n = (this.inUse.get(sha256) ?? 1) - 1;
    if (n <= 0) this.inUse.delete(sha256);
    else this.inUse.set(sha256, n);
  }

  private async copy(
    name: string,
    sha256: string,
    opts: { signal: AbortSignal; onProgress?: (bytes: number, total: number) => void },
  ): Promise<string> {
    const dir = join(this.opts.dir, 'images');
    await mkdir(dir, { recursive: true });
    await this.evict();
    const store = await this.opts.store();
    const result = await store.get(name);
    if (!result) throw new JobAbort('infrastructure', `image ${name} is not in the images bucket`);
    const total = result.info.size;
    const tmp = join(dir, `.${sha256}.${process.pid}.${Date.now()}.part`);
    const hash = createHash('sha256');
    let bytes = 0;
    let lastReport = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        bytes += chunk.length;
        if (opts.onProgress && (bytes - lastReport >= 32 * 1024 * 1024 || bytes === total)) {
          lastReport = bytes;
          opts.onProgress(bytes, total);
        }
        done(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(result.data), meter, createWriteStream(tmp), { signal: opts.signal });
      const error = await result.error;
      if (error) throw error;
      const digest = hash.digest('hex');
      if (digest !== sha256) {
        throw new JobAbort(
          'infrastructure',
          `image ${name} read from the store has sha256 ${digest}, not ${sha256}: the stored object is damaged`,
        );
      }
      await rename(tmp, this.path(sha256));
      return this.path(sha256);
    } catch (err) {
      await rm(tmp, { force: true });
      if (err instanceof JobAbort) throw err;
      if (opts.signal.aborted) throw err;
      throw new JobAbort('infrastructure', `could not copy image ${name} from the store: ${String(err)}`, {
        cause: err,
      });
    }
  }

  /** Removes least recently used images (not in use) until the cache is under its budget; drops stale partials. */
  async evict(): Promise<string[]> {
    const dir = join(this.opts.dir, 'images');
    const names = await readdir(dir).catch(() => [] as string[]);
    const files: { name: string; size: number; mtime: number }[] = [];
    for (const name of names) {
      const st = await stat(join(dir, name)).catch(() => undefined);
      if (!st) continue;
      if (name.endsWith('.part')) {
        if (Date.now() - st.mtimeMs > 3_600_000) await rm(join(dir, name), { force: true });
        continue;
      }
      files.push({ name, size: st.size, mtime: st.mtimeMs });
    }
    let total = files.reduce((sum, f) => sum + f.size, 0);
    const removed: string[] = [];
    for (const file of files.sort((a, b) => a.mtime - b.mtime)) {
      if (total <= this.opts.maxBytes) break;
      if (this.inUse.has(file.name) || this.pending.has(file.name)) continue;
      await rm(join(dir, file.name), { force: true });
      total -= file.size;
      removed.push(file.name);
    }
    return removed;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
