import { describe, expect, test } from 'vitest';
import { domainXml, xmlEscape } from './domain-xml.js';
import { probeBootSector } from './domain-type.js';
import { userData } from './seed.js';

const base = {
  name: 'autocloud-r1-job-7',
  type: 'qemu' as const,
  arch: 'x86_64',
  memoryMiB: 1024,
  cpus: 2,
  disk: { path: '/w/job-7/overlay.qcow2', bus: 'virtio' as const },
  serialLog: '/w/job-7/serial-console.log',
  jobId: 7,
  runner: 'r1',
};

describe('domainXml', () => {
  test('user-mode networking forwards SSH on 127.0.0.1 with the NIC at a fixed slot; SeaBIOS talks to serial', () => {
    const xml = domainXml({
      ...base,
      seedIso: '/w/job-7/seed.iso',
      networking: { mode: 'user', sshPort: 40022 },
    });
    expect(xml).toContain("<domain type='qemu'");
    expect(xml).toContain('user,id=n0,hostfwd=tcp:127.0.0.1:40022-:22');
    expect(xml).toContain('virtio-net-pci,netdev=n0,addr=0x10');
    expect(xml).toContain("<bios useserial='yes' rebootTimeout='-1'/>");
    expect(xml).toContain("<source file='/w/job-7/seed.iso'/>");
    expect(xml).toContain("<target dev='vda' bus='virtio'/>");
    expect(xml).not.toContain('host-passthrough');
    expect(xml).not.toContain("<interface type='network'>");
  });

  test('a libvirt network replaces user-mode networking; kvm passes the host CPU through; IDE disks are hda', () => {
    const xml = domainXml({
      ...base,
      type: 'kvm',
      disk: { path: '/w/o.qcow2', bus: 'ide' },
      networking: { mode: 'network', network: 'default', mac: '52:54:00:aa:bb:cc' },
    });
    expect(xml).toContain("<source network='default'/>");
    expect(xml).toContain("<mac address='52:54:00:aa:bb:cc'/>");
    expect(xml).toContain("<cpu mode='host-passthrough'/>");
    expect(xml).toContain("<target dev='hda' bus='ide'/>");
    expect(xml).not.toContain('hostfwd');
    expect(xml).not.toContain('cdrom');
  });

  test('values are escaped', () => {
    expect(xmlEscape(`a<b>&'"`)).toBe('a&lt;b&gt;&amp;&apos;&quot;');
    const xml = domainXml({ ...base, serialLog: "/w/it's.log", networking: { mode: 'user', sshPort: 1 } });
    expect(xml).toContain("<source path='/w/it&apos;s.log' append='off'/>");
  });
});

test('the KVM probe is one boot sector that writes OK to COM1', () => {
  const sector = probeBootSector();
  expect(sector).toHaveLength(512);
  expect([sector[510], sector[511]]).toEqual([0x55, 0xaa]);
  expect(sector.subarray(0, 3)).toEqual(Buffer.from([0xba, 0xf8, 0x03])); // mov dx, 0x3f8
});

test('the NoCloud user-data creates the user with the key and passwordless sudo', () => {
  const text = userData({
    username: 'autocloud',
    publicKey: 'ssh-ed25519 AAAA job-1\n',
    instanceId: 'i',
    hostname: 'h',
  });
  expect(text.startsWith('#cloud-config\n')).toBe(true);
  expect(text).toContain('  - name: autocloud');
  expect(text).toContain('"ssh-ed25519 AAAA job-1"');
  expect(text).toContain('NOPASSWD:ALL');
});
