// vbox-runner settings (DESIGN §10); LIBVIRT_URI serves the QEMU path.
import { Type, type Static } from '@sinclair/typebox';
import { checkRunnerArches, RunnerSettings } from '@autocloud/runner-core';
import { checkNatsUrl, CommonConfig, healthPort } from '@autocloud/service';

export const VboxRunnerConfig = Type.Composite([
  CommonConfig,
  RunnerSettings,
  Type.Object({
    HEALTH_PORT: healthPort(9105),
    VBOX_HYPERVISOR: Type.Union([Type.Literal('virtualbox'), Type.Literal('qemu'), Type.Literal('auto')], {
      default: 'auto',
      description: 'virtualbox, qemu or auto (VirtualBox when VBoxManage works)',
    }),
    VBOXMANAGE: Type.String({
      default: 'VBoxManage',
      minLength: 1,
      description: 'the VBoxManage binary (path or name on PATH)',
    }),
    LIBVIRT_DOMAIN_TYPE: Type.Union([Type.Literal('kvm'), Type.Literal('qemu'), Type.Literal('auto')], {
      default: 'auto',
      description: 'QEMU path: kvm, qemu (TCG) or auto',
    }),
    LIBVIRT_NETWORK: Type.String({
      default: 'user',
      minLength: 1,
      description: 'QEMU path: user-mode networking, or a libvirt network name',
    }),
  }),
]);
export type VboxRunnerConfig = Static<typeof VboxRunnerConfig>;

export const vboxRunnerChecks = [checkNatsUrl, checkRunnerArches];
