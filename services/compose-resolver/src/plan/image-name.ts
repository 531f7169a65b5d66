// image_name, as the original Autocloud reported it and its consumers still show it.
//
// The rule: the file name without its architecture and extension, i.e. everything before the last `.<arch>.`
// (Fedora-Cloud-Base-27-20180317.0.x86_64.qcow2 -> Fedora-Cloud-Base-27-20180317.0; the original kept a trailing
// dot, we do not). A file without `.<arch>.` (renamed) loses its format extension, or else its last extension.
// Vagrant boxes get their provider, so the libvirt and VirtualBox boxes of one compose have distinct names, in the
// Kiwi-era spelling: Fedora-Cloud-Base-Vagrant-27-20180317.0 -> Fedora-Cloud-Base-Vagrant-libvirt-27-20180317.0
// (inserted after the `Vagrant` token, appended when there is none); a name that already carries the provider
// (Fedora-Cloud-Base-Vagrant-libvirt-43-1.6) is left as it is.

const VAGRANT_PROVIDERS: Readonly<Record<string, string>> = {
  'vagrant-libvirt': 'libvirt',
  'vagrant-virtualbox': 'virtualbox',
};

export function imageName(image: { path: string; arch: string; type: string; format: string }): string {
  const file = image.path.split('/').pop() || image.path;
  const name = withoutArchAndExtension(file, image.arch, image.format);
  const provider = VAGRANT_PROVIDERS[image.type];
  return (provider ? withProvider(name, provider) : name) || file;
}

function withoutArchAndExtension(file: string, arch: string, format: string): string {
  const at = file.lastIndexOf(`.${arch}.`);
  if (at > 0) return file.slice(0, at);
  if (file.endsWith(`.${format}`) && file.length > format.length + 1)
    return file.slice(0, -format.length - 1);
  return file.replace(/\.[A-Za-z0-9]+$/, '');
}

function withProvider(name: string, provider: string): string {
  const tokens = name.split('-');
  if (tokens.some((t) => t.toLowerCase() === provider)) return name;
  const vagrant = tokens.findIndex((t) => t.toLowerCase() === 'vagrant');
  if (vagrant === -1) return `${name}-${provider}`;
  tokens.splice(vagrant + 1, 0, provider);
  return tokens.join('-');
}
