// The API token of a local system: `up` makes one at first start ($AUTOCLOUD_HOME/api-token, mode 0600) and gives
// results-api only its sha256 (API_TOKEN_HASHES); the CLI sends the token on writes.
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CliError } from '../errors.js';
import { type Env } from '../paths.js';

export const TOKEN_FILE = 'api-token';

export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The token in `home`, made (32 random bytes, base64url, mode 0600) when there is none yet. */
export async function ensureApiToken(home: string): Promise<string> {
  const file = join(home, TOKEN_FILE);
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (existing !== '') {
      await chmod(file, 0o600);
      return existing;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(file), { recursive: true });
  const token = randomBytes(32).toString('base64url');
  await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'w' });
  await chmod(file, 0o600);
  return token;
}

/** AUTOCLOUD_TOKEN, else the token `up` wrote; a CliError that says how to get one otherwise. */
export function readApiToken(env: Env, home: string): string {
  const fromEnv = env.AUTOCLOUD_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  const file = join(home, TOKEN_FILE);
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token !== '') return token;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES') {
      throw new CliError(
        `cannot read the API token in ${file} (permission denied)`,
        1,
        'run as its owner, or set AUTOCLOUD_TOKEN',
      );
    }
    if (code !== 'ENOENT') throw err;
  }
  throw new CliError(
    `no API token: AUTOCLOUD_TOKEN is not set and ${file} does not exist`,
    1,
    'run `pnpm autocloud up` once (it writes the token), or set AUTOCLOUD_TOKEN',
  );
}
