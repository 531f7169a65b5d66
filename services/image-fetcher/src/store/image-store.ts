// The images bucket: verified images keyed by sha256, readable by any runner with a NATS connection. Old images are
// evicted by age and by total size, oldest first.
import { BUCKETS, type Bus, type ObjectUpload } from '@autocloud/bus';
import { type Logger } from '@autocloud/telemetry';

export interface ImageStoreOptions {
  maxBytes: number;
  maxAgeMs: number;
  log: Logger;
}

export class ImageStore {
  readonly bucket = BUCKETS.images.name;

  constructor(
    private readonly bus: Bus,
    private readonly opts: ImageStoreOptions,
  ) {}

  /** True when a complete object of this sha256 and size is stored. */
  async has(sha256: string, size: number): Promise<boolean> {
    const os = await this.bus.objectStore('images');
    const info = await os.info(sha256);
    return info !== null && !info.deleted && info.size === size;
  }

  /** A new object upload; nothing is visible until it is committed. */
  begin(): ObjectUpload {
    return this.bus.objectUpload('images');
  }

  /** Deletes images past the age limit, then the oldest until the total fits; `keep` is never deleted. */
  async evict(keep?: string, now = Date.now()): Promise<string[]> {
    const os = await this.bus.objectStore('images');
    const objects = (await os.list())
      .filter((o) => !o.deleted)
      .sort((a, b) => Date.parse(a.mtime) - Date.parse(b.mtime));
    let total = objects.reduce((sum, o) => sum + o.size, 0);
    const evicted: string[] = [];
    for (const o of objects) {
      if (o.name === keep) continue;
      const tooOld = now - Date.parse(o.mtime) > this.opts.maxAgeMs;
      if (!tooOld && total <= this.opts.maxBytes) continue;
      await os.delete(o.name);
      total -= o.size;
      evicted.push(o.name);
    }
    if (evicted.length > 0) this.opts.log.info({ evicted, total_bytes: total }, 'evicted images');
    return evicted;
  }
}
