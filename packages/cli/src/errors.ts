// The CLI's errors: each carries the exit code it ends the command with and, where one helps, what to do next.

/** A failure the user can act on; printed as `autocloud: <message>` (and the hint), never with a stack. */
export class CliError extends Error {
  override readonly name: string = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
    readonly hint?: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

/** Bad command line: exit 2 with the usage of the command (or of autocloud). */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message, 2);
  }
}

/** An `{error: {code, message}}` reply of the API. */
export class ApiError extends CliError {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    hint?: string,
  ) {
    super(`${message} (HTTP ${status} ${code})`, 1, hint);
  }
}

/** Nothing answers at the API's URL. */
export class ApiUnreachableError extends CliError {
  override readonly name = 'ApiUnreachableError';
  constructor(url: string, cause: unknown) {
    super(
      `no Autocloud API answers at ${url}`,
      1,
      'start it with `pnpm autocloud up` (or point AUTOCLOUD_URL at a running one)',
      { cause },
    );
  }
}

/** The command was interrupted (Ctrl-C, SIGTERM): exit 130 as shells report it. */
export class InterruptedError extends CliError {
  override readonly name = 'InterruptedError';
  constructor() {
    super('interrupted', 130);
  }
}
