// vbox-runner settings (DESIGN §10).
import { Type, type Static } from '@sinclair/typebox';
import { checkNatsUrl, CommonConfig, healthPort, hostArch, list } from '@autocloud/service';

export const VboxRunnerConfig = Type.Composite([
  CommonConfig,
  Type.Object({
    HEALTH_PORT: healthPort(9105),
    PLANS_DIR: Type.String({ default: 'plans', description: 'directory of test plans' }),
    LIBVIRT_URI: Type.String({ default: 'qemu:///system', description: 'libvirt URI for the QEMU path' }),
    VBOX_HYPERVISOR: Type.Union([Type.Literal('virtualbox'), Type.Literal('qemu'), Type.Literal('auto')], {
      default: 'auto',
      description: 'virtualbox, qemu or auto (VirtualBox when VBoxManage works)',
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
export type VboxRunnerConfig = Static<typeof VboxRunnerConfig>;

export const vboxRunnerChecks = [
  checkNatsUrl,
  (c: VboxRunnerConfig) =>
    list(c.RUNNER_ARCHES).length === 0 ? 'RUNNER_ARCHES: name at least one architecture' : undefined,
];
