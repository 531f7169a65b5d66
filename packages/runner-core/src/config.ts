// Settings every runner shares (DESIGN §10): where plans live, the libvirt connection, slots and architectures.
import { Type } from '@sinclair/typebox';
import { hostArch, list } from '@autocloud/service';

export const RunnerSettings = Type.Object({
  PLANS_DIR: Type.String({ default: 'plans', description: 'directory of test plans' }),
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
});

export function checkRunnerArches(c: { RUNNER_ARCHES: string }): string | undefined {
  return list(c.RUNNER_ARCHES).length === 0 ? 'RUNNER_ARCHES: name at least one architecture' : undefined;
}
