// libvirt-runner settings (DESIGN §10).
import { Type, type Static } from '@sinclair/typebox';
import { checkRunnerArches, RunnerSettings } from '@autocloud/runner-core';
import { checkNatsUrl, CommonConfig, healthPort } from '@autocloud/service';

export const LibvirtRunnerConfig = Type.Composite([
  CommonConfig,
  RunnerSettings,
  Type.Object({
    HEALTH_PORT: healthPort(9104),
    LIBVIRT_DOMAIN_TYPE: Type.Union([Type.Literal('kvm'), Type.Literal('qemu'), Type.Literal('auto')], {
      default: 'auto',
      description: 'kvm, qemu (TCG) or auto (KVM when a probe guest boots under it, else TCG)',
    }),
    LIBVIRT_NETWORK: Type.String({
      default: 'user',
      minLength: 1,
      description:
        'user: QEMU user-mode networking with SSH forwarded to 127.0.0.1; otherwise a libvirt network name (address from its DHCP leases)',
    }),
  }),
]);
export type LibvirtRunnerConfig = Static<typeof LibvirtRunnerConfig>;

export const libvirtRunnerChecks = [checkNatsUrl, checkRunnerArches];
