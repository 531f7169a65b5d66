// Which NATS a home's embedded database belongs with. JetStream remembers, for two days, the Nats-Msg-Id of every
// event published through it (fetch.<job_id>, ...); a fresh PGlite database numbers its jobs from 1 again, so on a
// NATS that served another database its events would be dropped as duplicates and its jobs never run. So `up`
// records the NATS a home uses ($AUTOCLOUD_HOME/nats-pairing.json: the URL and when its AUTOCLOUD stream was made)
// and will not join one whose AUTOCLOUD stream belongs to another database.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

export const PAIRING_FILE = 'nats-pairing.json';
const STREAM = 'AUTOCLOUD';

export interface NatsPairing {
  nats_url: string;
  /** When the AUTOCLOUD stream was created (JetStream's `created`). */
  stream_created: string;
}

/** When the NATS at `url` made its AUTOCLOUD stream, or null when it has none. */
export async function autocloudStreamCreated(url: string): Promise<string | null> {
  const nc = await connect({ servers: url, timeout: 5_000, reconnect: false, name: 'autocloud-cli' });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 5_000 });
    const info = await jsm.streams.info(STREAM).catch((err: unknown) => {
      if (/not found/i.test((err as Error).message)) return null;
      throw err;
    });
    return info ? info.created : null;
  } finally {
    await nc.close();
  }
}

export function readPairing(home: string): NatsPairing | undefined {
  try {
    return JSON.parse(readFileSync(join(home, PAIRING_FILE), 'utf8')) as NatsPairing;
  } catch {
    return undefined;
  }
}

export async function writePairing(home: string, pairing: NatsPairing): Promise<void> {
  await writeFile(join(home, PAIRING_FILE), `${JSON.stringify(pairing, null, 2)}\n`);
}

/**
 * Whether this home's database may use the NATS at `url`: it has no Autocloud streams yet, or they were made
 * while this home used it.
 */
export async function pairedWith(home: string, url: string): Promise<boolean> {
  const created = await autocloudStreamCreated(url);
  if (created === null) return true;
  const pairing = readPairing(home);
  return pairing?.nats_url === url && pairing.stream_created === created;
}
