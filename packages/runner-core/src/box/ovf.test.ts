import { describe, expect, test } from 'vitest';
import { ovfXml } from './box.fixtures.js';
import { OvfError, parseOvf } from './ovf.js';

describe('parseOvf', () => {
  test('reads References, DiskSection and the virtual systems of VBoxManage export output', () => {
    expect(parseOvf(ovfXml({ disks: ['box-disk001.vmdk', 'box-disk002.vmdk'], vmName: 'vm1' }))).toEqual({
      files: [
        { id: 'file1', href: 'box-disk001.vmdk', size: 1024 },
        { id: 'file2', href: 'box-disk002.vmdk', size: 1024 },
      ],
      disks: [
        {
          diskId: 'vmdisk1',
          fileRef: 'file1',
          capacity: '2147483648',
          format: 'http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized',
        },
        {
          diskId: 'vmdisk2',
          fileRef: 'file2',
          capacity: '2147483648',
          format: 'http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized',
        },
      ],
      virtualSystems: ['vm1'],
    });
  });

  test('namespace prefixes do not matter; entities are decoded; comments are skipped', () => {
    const xml = `<?xml version="1.0"?>
<!-- exported by hand -->
<o:Envelope xmlns:o="http://schemas.dmtf.org/ovf/envelope/2">
  <o:References><o:File o:id="f" o:href="disk &amp; co.vmdk"/></o:References>
  <o:VirtualSystemCollection o:id="all"><o:VirtualSystem o:id="a"/><o:VirtualSystem o:id="b"/></o:VirtualSystemCollection>
</o:Envelope>`;
    expect(parseOvf(xml)).toEqual({
      files: [{ id: 'f', href: 'disk & co.vmdk' }],
      disks: [],
      virtualSystems: ['a', 'b'],
    });
  });

  test('rejects what is not OVF, with the reason', () => {
    expect(() => parseOvf('<Envelope><References></Envelope>')).toThrow(/is not well-formed XML \(line 1: /);
    expect(() => parseOvf('<Appliance/>')).toThrow(new OvfError('has no OVF Envelope element at its root'));
    expect(() => parseOvf('<Envelope><References><File id="f"/></References></Envelope>')).toThrow(
      'References/File #1 has no href',
    );
    expect(() =>
      parseOvf(
        '<Envelope><References/><DiskSection><Disk diskId="d" fileRef="nope"/></DiskSection></Envelope>',
      ),
    ).toThrow('Disk d refers to file nope, which References does not list');
  });
});
