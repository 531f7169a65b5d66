// libvirt-runner settings (DESIGN §10).
import { Type, type Static } from '@sinclair/typebox';
import { checkNatsUrl, CommonConfig, healthPort, hostArch, list } from '@autocloud/service';

export const LibvirtRunnerConfig = Type.Composite([
  CommonConfig,
  Type.Object({
    HEALTH_PORT: healthPort(9104),
    PLANS_DIR: Type.String({ default: 'plans', description: 'directory of test plans' }),
    LIBVIRT_URI: Type.String({ default: 'qemu:///system', description: 'libvirt connection URI' }),
    LIBVIRT_DOMAIN_TYPE: Type.Union([Type.Literal('kvm'), Type.Literal('qemu'), Type.Literal('auto')], {
      default: 'auto',
      description: 'kvm, qemu (TCG) or auto',
    }),
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
  }),
]);
export type LibvirtRunnerConfig = Static<typeof LibvirtRunnerConfig>;

export const libvirtRunnerChecks = [
  checkNatsUrl,
  (c: LibvirtRunnerConfig) =>
    list(c.RUNNER_ARCHES).length === 0 ? 'RUNNER_ARCHES: name at least one architecture' : undefined,
];
