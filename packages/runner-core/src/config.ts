// Settings every runner shares (DESIGN §10): where plans live, the libvirt connection, slots and architectures.
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Type, type Static } from '@sinclair/typebox';
import { hostArch, list } from '@autocloud/service';

/** The plans shipped in the repository's plans/ (this file is src/config.ts or dist/config.js of packages/runner-core). */
const SHIPPED_PLANS = fileURLToPath(new URL('../../../plans', import.meta.url));

export const RunnerSettings = Type.Object({
  PLANS_DIR: Type.String({
    default: SHIPPED_PLANS,
    description: 'directory of test plans (the shipped plans/)',
  }),
  LIBVIRT_URI: Type.String({ default: 'qemu:///system', description: 'libvirt connection URI' }),
  RUNNER_SLOTS: Type.Integer({
    minimum: 1,
    maximum: 64,
    default: 2,
    description: 'concurrent VMs on this host',
  }),
  RUNNER_ARCHES: Type.String({
    default: hostArch(),
    description: 'comma-separated architectures this host boots',
  }),
  RUNNER_NAME: Type.String({
    default: hostname(),
    pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$',
    description: "this runner's name: in events, VM names and its work directory (the host name)",
  }),
  RUNNER_MEMORY_MIB: Type.Integer({
    minimum: 256,
    maximum: 262_144,
    default: 1024,
    description: 'memory per VM',
  }),
  RUNNER_CPUS: Type.Integer({ minimum: 1, maximum: 64, default: 2, description: 'virtual CPUs per VM' }),
  RUNNER_CACHE_MAX_GIB: Type.Number({
    exclusiveMinimum: 0,
    default: 20,
    description: 'local image cache budget; least recently used images are evicted beyond it',
  }),
  BOOT_TIMEOUT_S: Type.Integer({
    minimum: 5,
    default: 120,
    description: 'boot to SSH deadline on KVM or VirtualBox; multiplied for TCG (several times slower)',
  }),
  SSH_GRACE_S: Type.Integer({
    minimum: 1,
    default: 60,
    description: 'how long SSH may take after the console shows a login prompt (multiplied for TCG)',
  }),
  CLOUD_INIT_TIMEOUT_S: Type.Integer({
    minimum: 5,
    default: 300,
    description: 'deadline for cloud-init to finish once SSH answers (multiplied for TCG)',
  }),
});
export type RunnerSettings = Static<typeof RunnerSettings>;

export function checkRunnerArches(c: { RUNNER_ARCHES: string }): string | undefined {
  return list(c.RUNNER_ARCHES).length === 0 ? 'RUNNER_ARCHES: name at least one architecture' : undefined;
}
