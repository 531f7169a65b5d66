// A job's artifacts (serial console, cloud-init logs, step results) in the `artifacts` object store, named
// `<job_id>/<file>`. Listing a bucket reads every entry's metadata, so the listing is shared for a few seconds.
import { Readable } from 'node:stream';
import { type Bus } from '@autocloud/bus';
import { type ObjectInfo } from '@nats-io/obj';

export interface Artifact {
  name: string;
  size: number;
  modified: Date;
}

export interface OpenArtifact {
  info: Artifact;
  body: Readable;
  contentType: string;
}

export class ArtifactStore {
  private listing: { at: number; byJob: Promise<Map<number, Artifact[]>> } | undefined;

  constructor(
    private readonly bus: Bus,
    /** How long one listing of the bucket is reused (2 s). */
    private readonly listTtlMs = 2_000,
  ) {}

  /** The job's artifacts by file name. */
  async list(jobId: number): Promise<Artifact[]> {
    const now = Date.now();
    if (!this.listing || now - this.listing.at > this.listTtlMs) {
      const byJob = this.readListing();
      this.listing = { at: now, byJob };
      // A failed listing is not kept: the next request tries again.
      byJob.catch(() => {
        if (this.listing?.byJob === byJob) this.listing = undefined;
      });
    }
    return (await this.listing.byJob).get(jobId) ?? [];
  }

  /** The artifact's content as a stream, or undefined when the job has no such artifact. */
  async open(jobId: number, file: string): Promise<OpenArtifact | undefined> {
    const store = await this.bus.objectStore('artifacts');
    const result = await store.get(`${jobId}/${file}`);
    if (!result) return undefined;
    // A digest mismatch surfaces here after the data; the stream has been sent by then, so it is only swallowed.
    result.error.catch(() => undefined);
    return {
      info: toArtifact(result.info, file),
      body: Readable.fromWeb(result.data),
      contentType: contentTypeOf(file, result.info.headers?.get('Content-Type')),
    };
  }

  private async readListing(): Promise<Map<number, Artifact[]>> {
    const store = await this.bus.objectStore('artifacts');
    const byJob = new Map<number, Artifact[]>();
    for (const info of await store.list()) {
      if (info.deleted) continue;
      const slash = info.name.indexOf('/');
      const jobId = Number(info.name.slice(0, slash));
      if (slash < 1 || !Number.isSafeInteger(jobId)) continue;
      const entries = byJob.get(jobId) ?? [];
      entries.push(toArtifact(info, info.name.slice(slash + 1)));
      byJob.set(jobId, entries);
    }
    for (const entries of byJob.values()) entries.sort((a, b) => a.name.localeCompare(b.name));
    return byJob;
  }
}

function toArtifact(info: ObjectInfo, file: string): Artifact {
  return { name: file, size: info.size, modified: new Date(info.mtime) };
}

/** Logs open as text in the browser; anything else downloads. Never HTML: an artifact is untrusted. */
export function contentTypeOf(file: string, declared?: string | null): string {
  if (/\.(log|txt|out)$/i.test(file)) return 'text/plain; charset=utf-8';
  if (/\.json$/i.test(file)) return 'application/json; charset=utf-8';
  if (declared && /^(text\/plain|application\/json)\b/.test(declared)) return declared;
  return 'application/octet-stream';
}
