// Matching images against rules: every field a rule names must match (a string or any of a list, `*` globs);
// the first rule that matches decides.
import { type Backend, type Limits } from '@autocloud/schemas';

/** The metadata fields rules select on: productmd's, plus the compose's release. Never the file name. */
export const MATCH_FIELDS = ['variant', 'arch', 'subvariant', 'type', 'format', 'release'] as const;
export type MatchField = (typeof MATCH_FIELDS)[number];
export type ImageFacts = Record<MatchField, string>;

export type TestAction = {
  skip: false;
  backend: Backend;
  plan: string;
  limits?: Limits;
};
export type SkipAction = { skip: true; reason: string };

export interface Rule {
  /** From the file, or `rules[i]`; shown in logs. */
  name: string;
  match: Partial<Record<MatchField, RegExp[]>>;
  action: TestAction | SkipAction;
}

export interface Rules {
  /** Where they were read from. */
  source: string;
  arches: string[];
  families: Record<string, string>;
  rules: Rule[];
}

export function selectRule(rules: readonly Rule[], facts: ImageFacts): Rule | undefined {
  return rules.find((rule) =>
    MATCH_FIELDS.every((field) => {
      const patterns = rule.match[field];
      return patterns === undefined || patterns.some((p) => p.test(facts[field]));
    }),
  );
}

/** The original's family names (Base, Atomic); a subvariant not listed is its own family. */
export function familyOf(rules: Rules, subvariant: string): string {
  return rules.families[subvariant] ?? subvariant;
}

/** A whole-value, case-sensitive match where `*` stands for any run of characters. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}
