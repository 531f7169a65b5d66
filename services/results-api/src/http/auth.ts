// Who may write: bearer tokens checked against configured sha256 hashes (the tokens themselves are never stored),
// and the web UI's sign-in, which keeps the token in an HttpOnly, SameSite=Strict cookie with a CSRF token per form.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { errors } from './errors.js';

export const SESSION_COOKIE = 'autocloud_token';
const SESSION_MAX_AGE_S = 7 * 24 * 3600;

export class TokenVerifier {
  private readonly hashes: Buffer[];

  constructor(hexHashes: readonly string[]) {
    this.hashes = hexHashes.map((h) => Buffer.from(h.toLowerCase(), 'hex')).filter((b) => b.length === 32);
  }

  /** Whether any token is configured; without one every write is refused. */
  get enabled(): boolean {
    return this.hashes.length > 0;
  }

  /** The principal a token stands for (`token:<first 8 hex of its hash>`, for audit), or undefined. */
  verify(token: string): string | undefined {
    if (token === '' || token.length > 4096) return undefined;
    const digest = createHash('sha256').update(token, 'utf8').digest();
    // Compare against every hash, in constant time each, so timing tells nothing about which nearly matched.
    let match: Buffer | undefined;
    for (const hash of this.hashes) if (timingSafeEqual(hash, digest)) match = hash;
    return match ? `token:${match.toString('hex').slice(0, 8)}` : undefined;
  }

  /** The API's check: `Authorization: Bearer <token>`; throws 401 or 403 with a clear message. */
  requireBearer(request: FastifyRequest): string {
    if (!this.enabled) throw errors.writesDisabled();
    const header = request.headers.authorization;
    if (!header) throw errors.unauthorized('this request needs Authorization: Bearer <token>');
    const match = /^Bearer +(\S+) *$/i.exec(header);
    if (!match?.[1]) throw errors.unauthorized('Authorization must be "Bearer <token>"');
    const who = this.verify(match[1]);
    if (!who) throw errors.unauthorized('the bearer token is not valid');
    return who;
  }

  /** The web UI's signed-in user: the token from the session cookie, if it is still valid. */
  session(request: FastifyRequest): Session | undefined {
    const token = parseCookies(request.headers.cookie)[SESSION_COOKIE];
    if (!token) return undefined;
    const who = this.verify(token);
    return who ? { who, csrf: csrfToken(token) } : undefined;
  }
}

export interface Session {
  who: string;
  /** Goes into every form of the page and must come back with the POST. */
  csrf: string;
}

/** Derived from the token, so a page from another site (which cannot read our cookie or pages) cannot know it. */
export function csrfToken(token: string): string {
  return createHmac('sha256', token).update('autocloud-ui-csrf').digest('base64url');
}

export function checkCsrf(session: Session, submitted: unknown): boolean {
  if (typeof submitted !== 'string') return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(submitted);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';').map((p) => p.trim())) {
    const eq = part.indexOf('=');
    if (eq < 1) continue;
    const name = part.slice(0, eq).trim();
    try {
      out[name] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      // A cookie we did not set; ignore it.
    }
  }
  return out;
}

export function setSessionCookie(reply: FastifyReply, request: FastifyRequest, token: string): void {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  reply.header(
    'set-cookie',
    `${SESSION_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MAX_AGE_S}${secure}`,
  );
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
}
