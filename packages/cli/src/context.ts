// What every command gets: the environment, its output streams, the interrupt signals and the settings shared by
// all commands (API URL, token, --json), passed in so tests run commands in-process.
import { type Env } from './paths.js';

export interface Output {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface CliIo {
  env: Env;
  /** The process's working directory (state lives relative to it). */
  cwd: string;
  stdout: Output;
  stderr: Output;
  /** Aborted by the first Ctrl-C or SIGTERM. */
  interrupt: AbortSignal;
  /** Aborted by a second Ctrl-C: stop waiting for anything. */
  forceInterrupt: AbortSignal;
}

export interface CliContext extends CliIo {
  /** --json: machine-readable output on stdout. */
  json: boolean;
  /** --url, AUTOCLOUD_URL, the running `up`, or http://127.0.0.1:8080. */
  apiUrl: string;
  /** AUTOCLOUD_HOME, absolute. */
  home: string;
  /** Writes a line to stdout. */
  out(line?: string): void;
  /** Writes a line to stderr (progress, notes, warnings). */
  note(line?: string): void;
}
