// Where things are in the repository, and what each service's package.json says about starting it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const deployDir = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const repoRoot = resolve(deployDir, '..');
export const kustomizeDir = join(deployDir, 'kustomize');
export const OVERLAYS = ['staging', 'production'] as const;
export type Overlay = (typeof OVERLAYS)[number];

export interface PackageJson {
  name: string;
  packageManager?: string;
  engines?: Record<string, string>;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** The service directories under services/ (each one a workspace package with a start script). */
export function serviceNames(): string[] {
  return readdirSync(join(repoRoot, 'services'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(repoRoot, 'services', d.name, 'package.json')))
    .map((d) => d.name)
    .sort();
}

export function servicePackage(service: string): PackageJson {
  return readJson<PackageJson>(join(repoRoot, 'services', service, 'package.json'));
}

/** Every workspace package name, from the directories pnpm-workspace.yaml lists. */
export function workspacePackageNames(): Set<string> {
  const names = new Set<string>();
  for (const dir of ['packages', 'services']) {
    for (const entry of readdirSync(join(repoRoot, dir), { withFileTypes: true })) {
      const manifest = join(repoRoot, dir, entry.name, 'package.json');
      if (entry.isDirectory() && existsSync(manifest)) names.add(readJson<PackageJson>(manifest).name);
    }
  }
  names.add(readJson<PackageJson>(join(deployDir, 'package.json')).name);
  return names;
}

export interface StartCommand {
  /** Variables the script sets before the command (`A=${A-default} node ...`), with their default values. */
  env: Record<string, string>;
  /** The command itself, split on spaces: ['node', '--enable-source-maps', ...]. */
  argv: string[];
}

/** Splits a package.json `start` script into its leading variable assignments and the command. */
export function parseStartScript(script: string): StartCommand {
  const words = script.trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (words.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(words[0]!)) {
    const [name, ...rest] = words.shift()!.split('=');
    const value = rest.join('=');
    // ${NAME-default} keeps a value given from outside and otherwise uses the default.
    const fallback = /^\$\{[A-Z0-9_]+:?-(.*)\}$/.exec(value);
    env[name!] = fallback ? fallback[1]! : value;
  }
  return { env, argv: words };
}

export function startCommand(service: string): StartCommand {
  const script = servicePackage(service).scripts?.start;
  if (!script) throw new Error(`services/${service}/package.json has no start script`);
  return parseStartScript(script);
}

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}
