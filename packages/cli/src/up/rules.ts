// compose-resolver's rules for a local system: the shipped rules with the test image's rules added, so a plain
// `up` tests Fedora's composes and the demo compose alike (format: services/compose-resolver/rules/default.yaml).
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { CliError } from '../errors.js';
import { repoPath } from '../paths.js';

export const RULES_DIR = repoPath('services', 'compose-resolver', 'rules');
export const SHIPPED_RULES = {
  default: join(RULES_DIR, 'default.yaml'),
  'test-image': join(RULES_DIR, 'test-image.yaml'),
} as const;

interface RulesDocument {
  arches?: unknown[];
  families?: Record<string, unknown>;
  rules?: unknown[];
}

/**
 * One rules document from several: arches united, families merged, rules in order (the first file's first, so
 * its rules decide where both match). Only joins; compose-resolver checks the result at start-up.
 */
export function combineRules(documents: { source: string; text: string }[]): string {
  const arches: unknown[] = [];
  const families: Record<string, unknown> = {};
  const rules: unknown[] = [];
  for (const { source, text } of documents) {
    const doc = parse(text) as RulesDocument | null;
    if (typeof doc !== 'object' || doc === null || !Array.isArray(doc.rules)) {
      throw new CliError(`${source} is not a rules file (no rules: list)`);
    }
    for (const arch of doc.arches ?? []) if (!arches.includes(arch)) arches.push(arch);
    Object.assign(families, doc.families ?? {});
    rules.push(...doc.rules);
  }
  const header = [
    '# Written by `autocloud up` from these files; edit them (or set RULES_FILE), not this copy:',
    ...documents.map((d) => `#   ${d.source}`),
    '',
  ].join('\n');
  return header + stringify({ arches, families, rules });
}

/**
 * The rules file the resolver gets: `--rules` (default, test-image, combined or a path), else RULES_FILE, else
 * the combined shipped rules written to `home`/rules.yaml.
 */
export async function rulesFileFor(choice: string | undefined, home: string, cwd: string): Promise<string> {
  if (choice === 'default' || choice === 'test-image') return SHIPPED_RULES[choice];
  if (choice !== undefined && choice !== 'combined') return resolve(cwd, choice);
  const sources = Object.values(SHIPPED_RULES);
  const combined = combineRules(sources.map((source) => ({ source, text: readFileSync(source, 'utf8') })));
  const file = join(home, 'rules.yaml');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, combined);
  return file;
}
