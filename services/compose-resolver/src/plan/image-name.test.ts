import { describe, expect, test } from 'vitest';
import { imageName } from './image-name.js';

const name = (path: string, type = 'qcow2', format = 'qcow2', arch = 'x86_64') =>
  imageName({ path, type, format, arch });

describe('image_name', () => {
  test('the file name without arch and extension, no trailing dot', () => {
    expect(name('CloudImages/x86_64/images/Fedora-Cloud-Base-27-20180317.0.x86_64.qcow2')).toBe(
      'Fedora-Cloud-Base-27-20180317.0',
    );
    expect(
      name('CloudImages/x86_64/images/Fedora-Cloud-Base-27-20180317.0.x86_64.raw.xz', 'raw-xz', 'raw.xz'),
    ).toBe('Fedora-Cloud-Base-27-20180317.0');
    expect(name('Cloud/x86_64/images/Fedora-Cloud-Base-Generic-43-1.6.x86_64.qcow2')).toBe(
      'Fedora-Cloud-Base-Generic-43-1.6',
    );
    expect(
      name(
        'Cloud/aarch64/images/Fedora-Cloud-Base-Generic-43-1.6.aarch64.qcow2',
        'qcow2',
        'qcow2',
        'aarch64',
      ),
    ).toBe('Fedora-Cloud-Base-Generic-43-1.6');
    expect(name('Fedora-24-20160419.n.1.x86_64.qcow2')).toBe('Fedora-24-20160419.n.1');
  });

  test('the libvirt and VirtualBox boxes of one compose get distinct names, in the Kiwi-era spelling', () => {
    const box = (provider: string, file: string) =>
      name(file, `vagrant-${provider}`, `vagrant-${provider}.box`);
    expect(box('libvirt', 'Fedora-Cloud-Base-Vagrant-27-20180317.0.x86_64.vagrant-libvirt.box')).toBe(
      'Fedora-Cloud-Base-Vagrant-libvirt-27-20180317.0',
    );
    expect(box('virtualbox', 'Fedora-Cloud-Base-Vagrant-27-20180317.0.x86_64.vagrant-virtualbox.box')).toBe(
      'Fedora-Cloud-Base-Vagrant-virtualbox-27-20180317.0',
    );
    expect(box('virtualbox', 'Fedora-Atomic-Vagrant-25-20170206.0.x86_64.vagrant-virtualbox.box')).toBe(
      'Fedora-Atomic-Vagrant-virtualbox-25-20170206.0',
    );
    // Already carrying the provider: left as it is.
    expect(box('libvirt', 'Fedora-Cloud-Base-Vagrant-libvirt-43-1.6.x86_64.vagrant.libvirt.box')).toBe(
      'Fedora-Cloud-Base-Vagrant-libvirt-43-1.6',
    );
    expect(
      box('virtualbox', 'Fedora-Cloud-Base-Vagrant-VirtualBox-43-1.6.x86_64.vagrant.virtualbox.box'),
    ).toBe('Fedora-Cloud-Base-Vagrant-VirtualBox-43-1.6');
    // No Vagrant token at all: the provider is appended.
    expect(box('libvirt', 'boxes/cloud-box-7.box')).toBe('cloud-box-7-libvirt');
  });

  test('a renamed file without its arch loses its format extension, or else its last one', () => {
    expect(name('somewhere/else/disk-image-7.qcow2')).toBe('disk-image-7');
    expect(name('somewhere/else/disk-image-7.img')).toBe('disk-image-7');
    expect(name('images/Fedora.raw.xz', 'raw-xz', 'raw.xz')).toBe('Fedora');
    expect(name('qcow2')).toBe('qcow2');
  });
});
