// A guest on a libvirt network is reached at the address its DHCP lease gives it.
import { setTimeout as sleep } from 'node:timers/promises';
import { BackendError } from '@autocloud/runner-core';
import { type Virsh } from './virsh.js';

export async function leaseAddress(
  virsh: Virsh,
  domain: string,
  mac: string,
  signal: AbortSignal,
  timeoutMs = 300_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const out = await virsh
      .run(['domifaddr', domain, '--source', 'lease'], { timeoutMs: 15_000, signal })
      .catch(() => '');
    for (const line of out.split('\n')) {
      const cols = line.trim().split(/\s+/);
      if (cols[1]?.toLowerCase() === mac.toLowerCase() && cols[2] === 'ipv4' && cols[3])
        return cols[3].split('/')[0]!;
    }
    if (signal.aborted) break;
    await sleep(1_000, undefined, { signal }).catch(() => undefined);
  }
  throw new BackendError(
    'boot',
    `the guest got no DHCP lease on its libvirt network within ${Math.round(timeoutMs / 1000)} s`,
  );
}
