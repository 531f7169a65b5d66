// Image selection rules: a YAML file (RULES_FILE, or the shipped rules/default.yaml), checked as a whole so that
// start-up names every problem at once. The format is documented at the top of rules/default.yaml.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { BACKENDS, Limits, validator, type Backend } from '@autocloud/schemas';
import { globToRegExp, MATCH_FIELDS, type MatchField, type Rule, type Rules } from './rules.match.js';

/** The shipped defaults. src/rules and dist/rules are both two levels below the package, so this resolves alike. */
export const DEFAULT_RULES_FILE = fileURLToPath(new URL('../../rules/default.yaml', import.meta.url));

export class RulesError extends Error {
  override readonly name = 'RulesError';
  readonly code = 'RULES_INVALID';
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid rules file ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export function loadRules(path: string = DEFAULT_RULES_FILE): Rules {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RulesError(path, [`cannot read the file: ${(err as Error).message}`]);
  }
  return parseRules(text, path);
}

export function parseRules(text: string, source: string): Rules {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new RulesError(
      source,
      doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`),
    );
  }
  const problems: string[] = [];
  const checked = checkDocument(doc.toJS() as unknown, problems);
  if (problems.length > 0) throw new RulesError(source, problems);
  return { source, ...checked };
}

const ARCH = /^[A-Za-z0-9_-]+$/;
const PLAN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const TOP_KEYS = ['arches', 'families', 'rules'];
const RULE_KEYS = ['name', 'match', 'backend', 'plan', 'limits', 'skip', 'reason'];

/** Problems with a list of architectures (they become NATS subject tokens: autocloud.work.run.<backend>.<arch>). */
export function archProblems(arches: readonly string[], what: string): string[] {
  if (arches.length === 0) return [`${what}: expected at least one architecture`];
  return arches
    .filter((a) => !ARCH.test(a))
    .map((a) => `${what}: ${JSON.stringify(a)} is not an architecture (letters, digits, _ and -)`);
}

type Problems = string[];
type Json = Record<string, unknown>;
const isMap = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkDocument(doc: unknown, problems: Problems): Omit<Rules, 'source'> {
  if (!isMap(doc)) {
    problems.push('expected a mapping with arches, families and rules');
    return { arches: [], families: {}, rules: [] };
  }
  unknownKeys(doc, TOP_KEYS, 'top level', problems);
  return {
    arches: checkArches(doc.arches, problems),
    families: checkFamilies(doc.families, problems),
    rules: checkRuleList(doc.rules, problems),
  };
}

function checkArches(raw: unknown, problems: Problems): string[] {
  const arches = Array.isArray(raw) ? (raw as unknown[]) : undefined;
  if (!arches?.every((a): a is string => typeof a === 'string')) {
    problems.push('arches: expected a list of architectures, e.g. [x86_64]');
    return [];
  }
  problems.push(...archProblems(arches, 'arches'));
  return arches;
}

function checkFamilies(raw: unknown, problems: Problems): Record<string, string> {
  if (raw === undefined) return {};
  if (!isMap(raw)) {
    problems.push('families: expected a mapping of subvariant to family, e.g. {Cloud_Base: Base}');
    return {};
  }
  const families: Record<string, string> = {};
  for (const [subvariant, family] of Object.entries(raw)) {
    if (typeof family === 'string' && family !== '') families[subvariant] = family;
    else problems.push(`families.${subvariant}: expected a family name`);
  }
  return families;
}

function checkRuleList(raw: unknown, problems: Problems): Rule[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.push('rules: expected a non-empty list of rules');
    return [];
  }
  return raw.flatMap((r, i) => checkRule(r, i, problems) ?? []);
}

function checkRule(raw: unknown, i: number, problems: Problems): Rule | undefined {
  const at = `rules[${i}]`;
  if (!isMap(raw)) {
    problems.push(`${at}: expected a mapping`);
    return undefined;
  }
  const named = typeof raw.name === 'string' && raw.name !== '' ? raw.name : undefined;
  const label = named ? `${at} (${named})` : at;
  if (raw.name !== undefined && !named) problems.push(`${label}: name must be a non-empty string`);
  unknownKeys(raw, RULE_KEYS, label, problems);
  const match = checkMatch(raw.match, label, problems);

  if (raw.skip !== undefined && raw.skip !== true) {
    problems.push(`${label}: skip must be true (leave it out for a rule that tests)`);
  }
  if (raw.skip === true) {
    for (const key of ['backend', 'plan', 'limits'] as const) {
      if (raw[key] !== undefined) problems.push(`${label}: a skip rule has no ${key}`);
    }
    const reason = typeof raw.reason === 'string' ? raw.reason.trim() : '';
    if (reason === '') problems.push(`${label}: a skip rule needs a reason`);
    return { name: named ?? at, match, action: { skip: true, reason } };
  }

  if (raw.reason !== undefined) problems.push(`${label}: reason is only for skip rules`);
  const backends = BACKENDS.join(', ');
  if (raw.backend === undefined) problems.push(`${label}: backend is missing (one of ${backends})`);
  else if (!(BACKENDS as readonly unknown[]).includes(raw.backend)) {
    problems.push(`${label}: unknown backend ${JSON.stringify(raw.backend)} (one of ${backends})`);
  }
  if (raw.plan === undefined) problems.push(`${label}: plan is missing (the name of a test plan in plans/)`);
  else if (typeof raw.plan !== 'string' || !PLAN.test(raw.plan)) {
    problems.push(`${label}: plan ${JSON.stringify(raw.plan)} is not a plan name (letters, digits, . _ -)`);
  }
  if (raw.limits !== undefined) {
    problems.push(
      ...validator(Limits)
        .errors(raw.limits)
        .map((e) => `${label}: limits${e}`),
    );
  }
  return {
    name: named ?? at,
    match,
    action: {
      skip: false,
      backend: raw.backend as Backend,
      plan: raw.plan as string,
      ...(raw.limits !== undefined ? { limits: raw.limits as Limits } : {}),
    },
  };
}

function checkMatch(raw: unknown, label: string, problems: Problems): Rule['match'] {
  if (raw === undefined) return {}; // matches every image: a catch-all
  if (!isMap(raw)) {
    problems.push(`${label}: match must be a mapping of ${MATCH_FIELDS.join(', ')}`);
    return {};
  }
  const match: Rule['match'] = {};
  for (const [field, value] of Object.entries(raw)) {
    if (!(MATCH_FIELDS as readonly string[]).includes(field)) {
      problems.push(`${label}: match.${field} is not a field rules match on (${MATCH_FIELDS.join(', ')})`);
      continue;
    }
    const values = (Array.isArray(value) ? (value as unknown[]) : [value]).map((v) =>
      // `release: 27` is a number in YAML; it means the release "27".
      Number.isInteger(v) ? String(v) : v,
    );
    if (values.length === 0 || !values.every((v) => typeof v === 'string' && v !== '')) {
      problems.push(`${label}: match.${field} must be a string or a list of strings (* matches anything)`);
      continue;
    }
    match[field as MatchField] = (values as string[]).map(globToRegExp);
  }
  return match;
}

function unknownKeys(raw: Json, known: readonly string[], label: string, problems: Problems): void {
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) {
      problems.push(`${label}: unknown key ${JSON.stringify(key)} (expected ${known.join(', ')})`);
    }
  }
}
