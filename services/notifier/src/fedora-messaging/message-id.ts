// Deterministic message ids: a UUIDv5 (RFC 4122, SHA-1) of the event id, so every retry of one event carries the same id.
import { createHash } from 'node:crypto';

/** The namespace of autocloud's message ids (a fixed random UUID). */
export const MESSAGE_ID_NAMESPACE = '5d0b8b0e-4c6f-4a47-9d5e-6f0a3c1e2b74';

export function uuidV5(name: string, namespace = MESSAGE_ID_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
