// kvm, qemu (TCG) or auto. A host can offer /dev/kvm and still fail KVM guests (nested virtualisation gone wrong:
// hung guests, CPU features QEMU cannot set), so auto does not trust capabilities alone: it boots a 512-byte guest
// under KVM, with the CPU configuration real jobs use, that writes "OK" to its serial port, and uses KVM only when
// that text appears.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { xmlEscape } from './domain-xml.js';
import { type Virsh } from './virsh.js';

export type DomainTypeSetting = 'kvm' | 'qemu' | 'auto';

/** A boot sector: mov dx,0x3f8; out 'O','K','\n'; cli; hlt; jmp back to hlt. */
export function probeBootSector(): Buffer {
  const code = [
    0xba, 0xf8, 0x03, 0xb0, 0x4f, 0xee, 0xb0, 0x4b, 0xee, 0xb0, 0x0a, 0xee, 0xfa, 0xf4, 0xeb, 0xfd,
  ];
  const sector = Buffer.alloc(512);
  Buffer.from(code).copy(sector);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

export async function resolveDomainType(
  virsh: Virsh,
  setting: DomainTypeSetting,
  workRoot: string,
  prefix: string,
): Promise<'kvm' | 'qemu'> {
  if (setting !== 'auto') return setting;
  const caps = await virsh
    .run(['domcapabilities', '--virttype', 'kvm'], { timeoutMs: 60_000 })
    .catch(() => '');
  if (!caps.includes('<domain>kvm</domain>')) return 'qemu';
  return (await kvmBootsHere(virsh, workRoot, prefix)) ? 'kvm' : 'qemu';
}

async function kvmBootsHere(virsh: Virsh, dir: string, prefix: string): Promise<boolean> {
  const name = `${prefix}-kvm-probe`;
  const disk = join(dir, 'kvm-probe.img');
  const serial = join(dir, 'kvm-probe.log');
  const xmlPath = join(dir, 'kvm-probe.xml');
  await writeFile(disk, probeBootSector(), { mode: 0o644 });
  await rm(serial, { force: true });
  await writeFile(
    xmlPath,
    `<domain type='kvm'><name>${xmlEscape(name)}</name><memory unit='MiB'>16</memory><vcpu>1</vcpu>` +
      `<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os><cpu mode='host-passthrough'/>` +
      `<on_poweroff>destroy</on_poweroff><on_reboot>destroy</on_reboot><on_crash>destroy</on_crash><devices>` +
      `<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${xmlEscape(disk)}'/>` +
      `<target dev='hda' bus='ide'/></disk><serial type='file'><source path='${xmlEscape(serial)}'/>` +
      `<target port='0'/></serial><memballoon model='none'/></devices></domain>`,
  );
  try {
    await virsh.destroy(name);
    await virsh.run(['create', xmlPath], { timeoutMs: 60_000 });
    for (let i = 0; i < 40; i++) {
      const text = await readFile(serial, 'utf8').catch(() => '');
      if (text.includes('OK')) return true;
      await sleep(250);
    }
    return false;
  } catch {
    return false;
  } finally {
    await virsh.destroy(name).catch(() => false);
    await Promise.all([disk, serial, xmlPath].map((f) => rm(f, { force: true })));
  }
}
