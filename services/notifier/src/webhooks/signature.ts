// Webhook signatures: HMAC-SHA256 of the exact request body with the shared secret, as `sha256=<hex>`.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Autocloud-Signature';

export function sign(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** What a receiver does: recompute and compare in constant time. */
export function verify(body: string | Buffer, secret: string, signature: string): boolean {
  const expected = Buffer.from(sign(body, secret));
  const got = Buffer.from(signature);
  return expected.length === got.length && timingSafeEqual(expected, got);
}
