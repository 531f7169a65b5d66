// int8 (BIGINT) parsing shared by both drivers: ids and sizes reach the code as JS numbers, never strings.

/** PostgreSQL's type oid for int8 (bigint); count(*) and identity columns return it. */
export const INT8_OID = 20;

/**
 * Parses an int8 as a number. Job ids travel as JSON integers in messages and image sizes stay far below 2^53,
 * so a number is the right type; a value beyond Number.MAX_SAFE_INTEGER would be silently rounded, so it throws
 * instead (both drivers turn a parser error into a failed query, not a crash).
 */
export function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`int8 value ${text} is outside JavaScript's safe integer range`);
  }
  return value;
}
