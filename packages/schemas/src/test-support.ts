// Test helpers: reading the shared fixtures, and mutating a valid body to prove each required field is enforced.
import { readFileSync } from 'node:fs';
import { type TSchema } from '@sinclair/typebox';

/** /work/shared/fixtures, i.e. `../shared/fixtures` from the repository root. */
export const FIXTURES = new URL('../../../../shared/fixtures/', import.meta.url);

export function readFixture(path: string): unknown {
  return JSON.parse(readFileSync(new URL(path, FIXTURES), 'utf8')) as unknown;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

interface ObjectLike {
  required?: string[];
  properties?: Record<string, TSchema>;
  patternProperties?: Record<string, TSchema>;
  items?: TSchema;
}

/** Paths (as tokens) of every required property the schema demands of `value`, nested objects and arrays included. */
export function requiredPaths(schema: TSchema, value: unknown, path: string[] = []): string[][] {
  const s = schema as ObjectLike;
  if (Array.isArray(value)) {
    // The first element stands for all: they share one item schema.
    return s.items && value.length > 0 ? requiredPaths(s.items, value[0], [...path, '0']) : [];
  }
  if (!isObject(value)) return [];
  const out = (s.required ?? []).map((key) => [...path, key]);
  for (const [key, sub] of Object.entries(s.properties ?? {})) {
    if (key in value) out.push(...requiredPaths(sub, value[key], [...path, key]));
  }
  for (const sub of Object.values(s.patternProperties ?? {})) {
    for (const [key, v] of Object.entries(value)) out.push(...requiredPaths(sub, v, [...path, key]));
  }
  return out;
}

/** A deep copy of `value` with the property at `path` changed by `edit`. */
export function editAt(value: unknown, path: string[], edit: (parent: Json, key: string) => void): unknown {
  const copy = structuredClone(value);
  let parent: unknown = copy;
  for (const key of path.slice(0, -1)) parent = (parent as Json)[key];
  edit(parent as Json, path.at(-1)!);
  return copy;
}

export const pointer = (path: string[]) => `/${path.join('/')}`;

/** A value of the wrong JSON type for whatever is there now. */
export const wrongType = (v: unknown): unknown => (typeof v === 'string' ? 42 : 'wrong type');
