// Test fixtures: real Vagrant box archives made with the system tar, and the OVF descriptor VBoxManage export
// writes (as tests/images/build.sh does), trimmed to what a runner reads.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A qcow2 header's magic and version, enough for the box's check of box.img. */
export const QCOW2_BYTES = Buffer.concat([
  Buffer.from('QFI\xfb\x00\x00\x00\x03', 'latin1'),
  Buffer.alloc(504),
]);

export function ovfXml(opts: { disks?: string[]; vmName?: string } = {}): string {
  const disks = opts.disks ?? ['box-disk001.vmdk'];
  const files = disks
    .map((d, i) => `    <File ovf:id="file${i + 1}" ovf:href="${d}" ovf:size="1024"/>`)
    .join('\n');
  const diskElems = disks
    .map(
      (_, i) =>
        `    <Disk ovf:capacity="2147483648" ovf:diskId="vmdisk${i + 1}" ovf:fileRef="file${i + 1}" ` +
        `ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>`,
    )
    .join('\n');
  const vm = opts.vmName ?? 'autocloud-debian-test';
  return `<?xml version="1.0"?>
<Envelope ovf:version="1.0" xml:lang="en-US" xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:vbox="http://www.virtualbox.org/ovf/machine">
  <References>
${files}
  </References>
  <DiskSection>
    <Info>List of the virtual disks used in the package</Info>
${diskElems}
  </DiskSection>
  <NetworkSection>
    <Info>Logical networks used in the package</Info>
    <Network ovf:name="NAT"><Description>Logical network used by this appliance.</Description></Network>
  </NetworkSection>
  <VirtualSystem ovf:id="${vm}">
    <Info>A virtual machine</Info>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements for a virtual machine</Info>
      <Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></Item>
      <Item><rasd:AllocationUnits>MegaBytes</rasd:AllocationUnits><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>1024</rasd:VirtualQuantity></Item>
      <Item><rasd:Connection>NAT</rasd:Connection><rasd:InstanceID>5</rasd:InstanceID><rasd:ResourceSubType>virtio</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType></Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
`;
}

export type BoxFiles = Record<string, string | Buffer>;

export function libvirtBoxFiles(): BoxFiles {
  return {
    'metadata.json': '{"provider":"libvirt","format":"qcow2","virtual_size":2}\n',
    Vagrantfile: 'Vagrant.configure("2") do |config|\nend\n',
    'box.img': QCOW2_BYTES,
  };
}

export function virtualBoxBoxFiles(): BoxFiles {
  return {
    'box.ovf': ovfXml(),
    'box-disk001.vmdk': Buffer.from('# Disk DescriptorFile\n'),
    'metadata.json': '{"provider":"virtualbox"}\n',
    Vagrantfile: 'Vagrant.configure("2") do |config|\nend\n',
  };
}

/**
 * Writes `files` into a fresh directory under `root` and archives them with tar as `name` (members `./<file>`, as
 * `tar -C dir .` stores them). Returns the archive's path.
 */
export async function makeBox(
  root: string,
  name: string,
  files: BoxFiles,
  opts: { gzip?: boolean; tarArgs?: string[] } = {},
): Promise<string> {
  const src = await mkdtemp(join(root, 'src-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(src, path)), { recursive: true });
    await writeFile(join(src, path), content);
  }
  const out = join(root, name);
  await run('tar', [opts.gzip ? '-czf' : '-cf', out, ...(opts.tarArgs ?? []), '-C', src, '.']);
  return out;
}

/** Runs tar with these arguments in `cwd` (for archives the helpers above do not make). */
export async function tarIn(cwd: string, args: string[]): Promise<void> {
  await run('tar', args, { cwd });
}
