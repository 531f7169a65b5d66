// How `up` runs a service: what its package.json `start` script runs (node with its flags, from dist/, in the
// service's directory as pnpm would), or its `dev` script (tsx, from src/) when it is not built.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Env, repoPath } from '../paths.js';

export interface ServiceCommand {
  /** The service's directory (pnpm runs scripts there). */
  cwd: string;
  /** Arguments to `node` (process.execPath). */
  nodeArgs: string[];
  /** Variables the script sets. */
  env: Record<string, string>;
  source: 'dist' | 'src';
}

/**
 * A package script of the form `[NAME=value ...] node|tsx <args>`, as the services' scripts are. `${NAME-default}`
 * and `${NAME:-default}` take the variable from `env` when set. Anything else (pipes, quotes, other programs) is
 * refused: `up` runs node itself so it can signal and supervise the process.
 */
export function parseNodeScript(
  script: string,
  env: Env,
): { env: Record<string, string>; nodeArgs: string[] } {
  if (/["'`|&;<>()\\]/.test(script.replace(/\$\{[A-Z_][A-Z0-9_]*:?-[^}]*\}/g, ''))) {
    throw new Error(`cannot run the script "${script}": only [NAME=value ...] node|tsx <args> is supported`);
  }
  const tokens = script.trim().split(/\s+/);
  const vars: Record<string, string> = {};
  let i = 0;
  for (; i < tokens.length; i++) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(tokens[i]!);
    if (!m) break;
    vars[m[1]!] = expand(m[2]!, env);
  }
  const program = tokens[i];
  const rest = tokens.slice(i + 1);
  if (program === 'node') return { env: vars, nodeArgs: rest };
  if (program === 'tsx') return { env: vars, nodeArgs: ['--import', 'tsx', ...rest] };
  throw new Error(`cannot run the script "${script}": it does not start node or tsx`);
}

function expand(value: string, env: Env): string {
  return value.replace(
    /\$\{([A-Z_][A-Z0-9_]*)(:?)-([^}]*)\}/g,
    (_all, name: string, colon: string, fallback: string) => {
      const current = env[name];
      if (current === undefined || (colon === ':' && current === '')) return fallback;
      return current;
    },
  );
}

interface PackageJson {
  scripts?: Record<string, string>;
}

/** The command for service `name`: dist/ when built (and not AUTOCLOUD_FROM_SOURCE=1), src/ otherwise. */
export function serviceCommand(name: string, env: Env): ServiceCommand {
  const cwd = repoPath('services', name);
  const pkg = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as PackageJson;
  const built = existsSync(join(cwd, 'dist', 'main.js'));
  const source = env.AUTOCLOUD_FROM_SOURCE === '1' || !built ? 'src' : 'dist';
  const script = source === 'dist' ? pkg.scripts?.start : pkg.scripts?.dev;
  if (!script)
    throw new Error(`services/${name}/package.json has no ${source === 'dist' ? 'start' : 'dev'} script`);
  return { cwd, source, ...parseNodeScript(script, env) };
}

/** Whether a file under services/<name>/src is newer than its dist/main.js (the build is out of date). */
export function distOutdated(name: string): boolean {
  const dir = repoPath('services', name);
  let built: number;
  try {
    built = statSync(join(dir, 'dist', 'main.js')).mtimeMs;
  } catch {
    return false;
  }
  const newer = (path: string): boolean =>
    readdirSync(path, { withFileTypes: true }).some((entry) => {
      const full = join(path, entry.name);
      if (entry.isDirectory()) return newer(full);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && statSync(full).mtimeMs > built;
    });
  try {
    return newer(join(dir, 'src'));
  } catch {
    return false;
  }
}
