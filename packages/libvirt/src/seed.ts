// The NoCloud seed a cloud-init image reads at first boot: a small ISO labelled `cidata` with user-data (a user
// with passwordless sudo and the job's public key) and meta-data (instance id, host name).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './tools.js';

export interface SeedOptions {
  username: string;
  publicKey: string;
  instanceId: string;
  hostname: string;
}

export function userData(o: SeedOptions): string {
  return [
    '#cloud-config',
    'users:',
    '  - default',
    `  - name: ${o.username}`,
    '    shell: /bin/bash',
    '    sudo: "ALL=(ALL) NOPASSWD:ALL"',
    '    lock_passwd: true',
    '    ssh_authorized_keys:',
    `      - ${JSON.stringify(o.publicKey.trim())}`,
    '',
  ].join('\n');
}

export function metaData(o: SeedOptions): string {
  return `instance-id: ${o.instanceId}\nlocal-hostname: ${o.hostname}\n`;
}

/** Writes `<dir>/seed/{user-data,meta-data}` and `<dir>/seed.iso`; returns the ISO's path. */
export async function makeSeedIso(dir: string, o: SeedOptions, signal?: AbortSignal): Promise<string> {
  const seedDir = join(dir, 'seed');
  await mkdir(seedDir, { recursive: true });
  await writeFile(join(seedDir, 'user-data'), userData(o));
  await writeFile(join(seedDir, 'meta-data'), metaData(o));
  const iso = join(dir, 'seed.iso');
  await run(
    'genisoimage',
    [
      '-quiet',
      '-output',
      iso,
      '-volid',
      'cidata',
      '-joliet',
      '-rock',
      join(seedDir, 'user-data'),
      join(seedDir, 'meta-data'),
    ],
    { timeoutMs: 30_000, signal },
  );
  return iso;
}
