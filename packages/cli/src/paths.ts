// Where things are: this repository (services, rules, the test image scripts), the local state directory
// (AUTOCLOUD_HOME) and the directory the user typed the command in.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: src/paths.ts and dist/paths.js both sit two levels below packages/cli. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export type Env = Record<string, string | undefined>;

/**
 * Local state: the embedded database, the NATS store, the API token, local composes. `./.autocloud` by default,
 * relative to the working directory (the repository root under `pnpm autocloud`, which runs there).
 */
export function autocloudHome(env: Env, cwd: string = process.cwd()): string {
  return resolve(cwd, env.AUTOCLOUD_HOME || './.autocloud');
}

/**
 * Where the user typed the command: pnpm runs the root script in the repository root and records the caller's
 * directory in INIT_CWD, so `pnpm autocloud submit ./compose` means the user's ./compose.
 */
export function userCwd(env: Env, cwd: string = process.cwd()): string {
  return env.npm_lifecycle_event === 'autocloud' && env.INIT_CWD ? env.INIT_CWD : cwd;
}

/** A path under the repository. */
export function repoPath(...parts: string[]): string {
  return resolve(REPO_ROOT, ...parts);
}
