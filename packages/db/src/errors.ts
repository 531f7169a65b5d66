// The database layer's error catalogue: each class has a stable `code` and keeps what went wrong as `cause`.

/** The database could not be opened or reached, or the connection settings are wrong. */
export class DatabaseError extends Error {
  override readonly name = 'DatabaseError';
  readonly code = 'DATABASE_ERROR';
}

/** A schema migration failed; `migrationName` is the one that failed (undefined: failed before any ran). */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  readonly code = 'MIGRATION_FAILED';
  readonly migrationName: string | undefined;

  constructor(message: string, options: { cause?: unknown; migrationName?: string | undefined }) {
    super(message, { cause: options.cause });
    this.migrationName = options.migrationName;
  }
}

/** A pagination cursor that this package did not issue (the API answers it with 400). */
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
  readonly code = 'INVALID_CURSOR';
}

/** A readable one-line description of any thrown value, for wrapping it in a message. */
export function describeCause(cause: unknown): string {
  // Node reports a refused dual-stack connect as an AggregateError whose own message is empty.
  if (cause instanceof AggregateError && cause.message === '') {
    return cause.errors.map(describeCause).join('; ') || 'unknown error';
  }
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    if (cause.message !== '') return cause.message;
    return typeof code === 'string' ? code : cause.name;
  }
  return String(cause);
}
