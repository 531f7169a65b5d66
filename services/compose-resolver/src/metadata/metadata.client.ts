// Reads a compose's productmd metadata (images.json, composeinfo.json) from allowed hosts only, with a size cap,
// timeouts and retries of transient failures, and says whether a failure is worth another delivery.
import { type TSchema, type Static } from '@sinclair/typebox';
import {
  fetchJson,
  FetchError,
  HostNotAllowedError,
  TooLargeError,
  withRetries,
  type HostAllowList,
} from '@autocloud/fetch';
import { validator } from '@autocloud/schemas';
import { type Logger } from '@autocloud/telemetry';
import { ComposeInfo, ImagesManifest } from '../productmd/productmd.schema.js';
import { checkLocation, underLocation } from './location.js';

export interface ComposeMetadata {
  images: ImagesManifest;
  composeinfo: ComposeInfo;
}

export interface MetadataClientOptions {
  allow: HostAllowList;
  /** Largest metadata file accepted (METADATA_MAX_BYTES). */
  maxBytes: number;
  /** Per file: headers and body (METADATA_TIMEOUT_MS). */
  timeoutMs: number;
  /** Attempts per file within one delivery, transient failures only (METADATA_ATTEMPTS). */
  attempts: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  log: Logger;
}

/** Why the metadata could not be read; `transient` failures may work on a later delivery. */
export class MetadataError extends Error {
  override readonly name = 'MetadataError';
  constructor(
    message: string,
    readonly code: string,
    readonly transient: boolean,
    opts: { cause?: unknown } = {},
  ) {
    super(message, opts);
  }
}

export class MetadataClient {
  constructor(private readonly opts: MetadataClientOptions) {}

  /** Both documents, validated; throws MetadataError (or the signal's reason when aborted). */
  async read(location: string, signal?: AbortSignal): Promise<ComposeMetadata> {
    const bad = checkLocation(location);
    if (bad) throw new MetadataError(bad, 'INVALID_LOCATION', false);
    const [composeinfo, images] = await Promise.allSettled([
      this.document(location, 'composeinfo.json', ComposeInfo, 'composeinfo', signal),
      this.document(location, 'images.json', ImagesManifest, 'images', signal),
    ]);
    if (composeinfo.status === 'fulfilled' && images.status === 'fulfilled') {
      return { composeinfo: composeinfo.value, images: images.value };
    }
    signal?.throwIfAborted();
    const failures = [composeinfo, images]
      .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      .map((r): unknown => r.reason);
    // A file that is broken for good decides: retrying the other one cannot help.
    throw failures.find((e) => e instanceof MetadataError && !e.transient) ?? failures[0];
  }

  private async document<S extends TSchema>(
    location: string,
    file: string,
    schema: S,
    kind: string,
    signal: AbortSignal | undefined,
  ): Promise<Static<S>> {
    const url = underLocation(location, `metadata/${file}`);
    let body: unknown;
    try {
      body = await withRetries(
        () =>
          fetchJson(url, {
            allow: this.opts.allow,
            maxBytes: this.opts.maxBytes,
            timeoutMs: this.opts.timeoutMs,
            headersTimeoutMs: this.opts.timeoutMs,
            signal,
          }),
        {
          attempts: this.opts.attempts,
          baseMs: this.opts.retryBaseMs ?? 1_000,
          maxMs: this.opts.retryMaxMs ?? 10_000,
          signal,
          onRetry: (err, attempt, delayMs) =>
            this.opts.log.warn({ err: (err as Error).message, file, attempt, delay_ms: delayMs }, 'retrying'),
        },
      );
    } catch (err) {
      if (signal?.aborted || !(err instanceof FetchError)) throw err;
      // Name the setting an operator would change.
      const hint =
        err instanceof HostNotAllowedError
          ? ' (ALLOWED_HOSTS)'
          : err instanceof TooLargeError
            ? ' (METADATA_MAX_BYTES)'
            : '';
      throw new MetadataError(
        `cannot read metadata/${file}: ${err.message}${hint}`,
        err.code,
        err.retryable,
        {
          cause: err,
        },
      );
    }
    const check = validator(schema);
    if (check.check(body)) return body;
    throw new MetadataError(
      `metadata/${file} is not productmd ${kind} metadata: ${check.errors(body).slice(0, 5).join('; ')}`,
      'METADATA_SHAPE',
      false,
    );
  }
}
