// Compiled validators with readable errors, and strict decoding of message bodies (UTF-8, then JSON).
import { FormatRegistry, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';

/** How many errors `errors()` reports: enough to fix a message, short enough for a header or a log line. */
const MAX_ERRORS = 10;

export class SchemaValidationError extends Error {
  override readonly name = 'SchemaValidationError';
  readonly code = 'SCHEMA_VALIDATION';

  constructor(
    readonly errors: readonly string[],
    readonly schemaId?: string,
  ) {
    super(`invalid ${schemaId ?? 'value'}: ${errors.join('; ')}`);
  }
}

export interface Validator<S extends TSchema> {
  check(value: unknown): value is Static<S>;
  /** Human-readable errors, e.g. '/jobs/0/sha256: Expected string' (at most 10); empty when valid. */
  errors(value: unknown): string[];
  /** Returns the value typed, or throws SchemaValidationError. */
  parse(value: unknown): Static<S>;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * TypeBox rejects formats it does not know, so the ones the schemas use are registered before compiling.
 * Exported for code that checks with `Value.Check` instead of `validator()`.
 */
export function registerFormats(): void {
  if (!FormatRegistry.Has('date-time')) {
    FormatRegistry.Set('date-time', (v) => RFC3339.test(v) && !Number.isNaN(Date.parse(v)));
  }
  if (!FormatRegistry.Has('uri')) FormatRegistry.Set('uri', (v) => URL.canParse(v));
}

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

function compile<S extends TSchema>(schema: S): TypeCheck<S> {
  let check = compiled.get(schema) as TypeCheck<S> | undefined;
  if (!check) {
    registerFormats();
    check = TypeCompiler.Compile(schema);
    compiled.set(schema, check);
  }
  return check;
}

export function validator<S extends TSchema>(schema: S): Validator<S> {
  const compiledCheck = compile(schema);
  const schemaId = typeof schema.$id === 'string' ? schema.$id : undefined;
  const errors = (value: unknown): string[] => {
    const out: string[] = [];
    const seen = new Set<string>();
    for (const error of compiledCheck.Errors(value)) {
      // A missing property also fails its type check; one line per path is enough.
      if (seen.has(error.path)) continue;
      seen.add(error.path);
      out.push(`${error.path || '/'}: ${describe(error)}`);
      if (out.length >= MAX_ERRORS) break;
    }
    return out;
  };
  return {
    check: (value): value is Static<S> => compiledCheck.Check(value),
    errors,
    parse(value) {
      if (compiledCheck.Check(value)) return value;
      throw new SchemaValidationError(errors(value), schemaId);
    },
  };
}

/** TypeBox says 'Expected union value'; naming the alternatives makes the error actionable. */
function describe(error: ValueError): string {
  if (error.type !== ValueErrorType.Union) return error.message;
  const options = (error.schema as { anyOf?: Array<{ const?: unknown; type?: unknown }> }).anyOf ?? [];
  if (options.length > 0 && options.every((o) => o.const !== undefined)) {
    return `Expected one of ${options.map((o) => JSON.stringify(o.const)).join(', ')}`;
  }
  if (options.length > 0 && options.every((o) => typeof o.type === 'string')) {
    return `Expected ${options.map((o) => o.type as string).join(' or ')}`;
  }
  return error.message;
}

export type ParsedBody = { ok: true; value: unknown } | { ok: false; reason: string };

/** Decodes a message body strictly: invalid UTF-8 is an error, not replacement characters. */
export function parseJson(bytes: Uint8Array): ParsedBody {
  if (bytes.length === 0) return { ok: false, reason: 'body is empty' };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, reason: 'body is not valid UTF-8' };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, reason: `body is not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
}
