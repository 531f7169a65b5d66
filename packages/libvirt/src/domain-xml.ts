// The transient libvirt domain of one job: the overlay disk, the NoCloud seed, the serial console to a file, and
// networking either through a libvirt network or QEMU user-mode networking with SSH forwarded to 127.0.0.1.
export type DiskBus = 'virtio' | 'ide' | 'sata';

export type Networking =
  { mode: 'user'; sshPort: number } | { mode: 'network'; network: string; mac: string };

export interface DomainSpec {
  name: string;
  type: 'kvm' | 'qemu';
  arch: string;
  memoryMiB: number;
  cpus: number;
  disk: { path: string; bus: DiskBus };
  seedIso?: string;
  serialLog: string;
  networking: Networking;
  jobId: number;
  runner: string;
}

const QEMU_NS = 'http://libvirt.org/schemas/domain/qemu/1.0';
export const METADATA_NS = 'https://fedoraproject.org/autocloud/xmlns/job/1';

export function xmlEscape(value: string): string {
  return value.replace(
    /[<>&'"]/g,
    (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', "'": 'apos', '"': 'quot' }[c]};`,
  );
}

const DEV_PREFIX: Record<DiskBus, string> = { virtio: 'vd', ide: 'hd', sata: 'sd' };

export function domainXml(d: DomainSpec): string {
  const e = xmlEscape;
  const x86 = d.arch === 'x86_64' || d.arch === 'i686';
  const machine = x86 ? 'pc' : 'virt';
  const diskDev = `${DEV_PREFIX[d.disk.bus]}a`;
  // The seed goes on a bus every guest can read a cdrom from: IDE on the PC machine, virtio-scsi elsewhere.
  const seedTarget = x86 ? `dev='hdc' bus='ide'` : `dev='sdb' bus='scsi'`;
  const lines = [
    `<domain type='${d.type}' xmlns:qemu='${QEMU_NS}'>`,
    `  <name>${e(d.name)}</name>`,
    `  <metadata><autocloud:job xmlns:autocloud='${METADATA_NS}' id='${d.jobId}' runner='${e(d.runner)}'/></metadata>`,
    `  <memory unit='MiB'>${d.memoryMiB}</memory>`,
    `  <vcpu>${d.cpus}</vcpu>`,
    // useserial: SeaBIOS prints to the serial port too, so "Boot failed: not a bootable disk" reaches the log.
    x86
      ? `  <os><type arch='${e(d.arch)}' machine='${machine}'>hvm</type><boot dev='hd'/><bios useserial='yes' rebootTimeout='-1'/></os>`
      : `  <os firmware='efi'><type arch='${e(d.arch)}' machine='${machine}'>hvm</type><boot dev='hd'/></os>`,
    `  <features><acpi/>${x86 ? '<apic/>' : ''}</features>`,
    d.type === 'kvm' ? `  <cpu mode='host-passthrough'/>` : '',
    `  <clock offset='utc'/>`,
    `  <on_poweroff>destroy</on_poweroff>`,
    `  <on_reboot>restart</on_reboot>`,
    `  <on_crash>destroy</on_crash>`,
    `  <devices>`,
    `    <disk type='file' device='disk'>`,
    `      <driver name='qemu' type='qcow2' discard='unmap'/>`,
    `      <source file='${e(d.disk.path)}'/>`,
    `      <target dev='${diskDev}' bus='${d.disk.bus}'/>`,
    `    </disk>`,
    ...(d.seedIso
      ? [
          `    <disk type='file' device='cdrom'>`,
          `      <driver name='qemu' type='raw'/>`,
          `      <source file='${e(d.seedIso)}'/>`,
          `      <target ${seedTarget}/>`,
          `      <readonly/>`,
          `    </disk>`,
        ]
      : []),
    ...(d.seedIso && !x86 ? [`    <controller type='scsi' model='virtio-scsi'/>`] : []),
    `    <serial type='file'>`,
    `      <source path='${e(d.serialLog)}' append='off'/>`,
    `      <target port='0'/>`,
    `    </serial>`,
    // Entropy for the guest's first boot (sshd host keys) without waiting on a slow TCG guest's own pool.
    `    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>`,
    ...(d.networking.mode === 'network'
      ? [
          `    <interface type='network'>`,
          `      <source network='${e(d.networking.network)}'/>`,
          `      <mac address='${e(d.networking.mac)}'/>`,
          `      <model type='virtio'/>`,
          `    </interface>`,
        ]
      : []),
    `    <memballoon model='none'/>`,
    `  </devices>`,
    `  <qemu:commandline>`,
    ...(d.networking.mode === 'user'
      ? [
          `    <qemu:arg value='-netdev'/>`,
          `    <qemu:arg value='user,id=n0,hostfwd=tcp:127.0.0.1:${d.networking.sshPort}-:22'/>`,
          `    <qemu:arg value='-device'/>`,
          // A fixed PCI slot: without one QEMU may pick the disk's.
          `    <qemu:arg value='virtio-net-pci,netdev=n0,addr=0x10'/>`,
        ]
      : []),
    `  </qemu:commandline>`,
    `</domain>`,
  ];
  return lines.filter((l) => l !== '').join('\n') + '\n';
}
