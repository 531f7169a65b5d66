// Checks a DATABASE_URL and names its target for messages and logs without ever repeating the password.
import { DatabaseError } from './errors.js';

const POSTGRES_SCHEMES = new Set(['postgres:', 'postgresql:']);

/**
 * Returns `host:port/database` for a postgres:// URL, or throws a DatabaseError for anything else.
 * The URL itself is never echoed: it may carry a password, in the userinfo or as a query parameter.
 */
export function describePostgresUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new DatabaseError(
      'the database URL is not a valid URL (expected postgres://user@host:port/database)',
      {
        cause,
      },
    );
  }
  if (!POSTGRES_SCHEMES.has(parsed.protocol)) {
    throw new DatabaseError(
      `unsupported database URL scheme "${parsed.protocol}" (host ${parsed.hostname || 'none'}): ` +
        'expected postgres:// or postgresql://',
    );
  }
  // A Unix socket is given as ?host=/path, with the authority left empty.
  const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
  const port = parsed.port || '5432';
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || '(default database)';
  return `${host}:${port}/${database}`;
}
