// The errors a handler throws to tell the consumer loop what to do with a message.

/** Try again later: the message is nak'ed with a delay (a dependency was down, a lock was busy). */
export class RetryableError extends Error {
  override readonly name = 'RetryableError';
  readonly code: string;
  readonly delayMs: number | undefined;
  constructor(message: string, opts: { cause?: unknown; code?: string; delayMs?: number } = {}) {
    super(message, { cause: opts.cause });
    this.code = opts.code ?? 'RETRYABLE';
    this.delayMs = opts.delayMs;
  }
}

/** Never going to work: the message goes to the dead letter stream with this reason and is term()ed. */
export class PermanentError extends Error {
  override readonly name = 'PermanentError';
  readonly code: string;
  constructor(message: string, opts: { cause?: unknown; code?: string } = {}) {
    super(message, { cause: opts.cause });
    this.code = opts.code ?? 'PERMANENT';
  }
}

/** A body we were about to publish does not match its schema: a bug in the publisher, never sent. */
export class PublishValidationError extends Error {
  override readonly name = 'PublishValidationError';
  readonly code = 'PUBLISH_INVALID';
  constructor(
    readonly subject: string,
    readonly errors: string[],
  ) {
    super(`refusing to publish an invalid ${subject}: ${errors.join('; ')}`);
  }
}

/** The subject is not in the catalogue, so nothing knows its shape or stream. */
export class UnknownSubjectError extends Error {
  override readonly name = 'UnknownSubjectError';
  readonly code = 'UNKNOWN_SUBJECT';
  constructor(readonly subject: string) {
    super(`subject ${subject} is not in the catalogue`);
  }
}

/** The topology on the server contradicts ours in a way that cannot be updated in place. */
export class TopologyError extends Error {
  override readonly name = 'TopologyError';
  readonly code = 'TOPOLOGY_CONFLICT';
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, opts);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
