// Fedora's architecture names for the host this process runs on.
const FEDORA_ARCH: Record<string, string> = {
  x64: 'x86_64',
  arm64: 'aarch64',
  ppc64: 'ppc64le',
  s390x: 's390x',
};

export function hostArch(nodeArch: string = process.arch): string {
  return FEDORA_ARCH[nodeArch] ?? nodeArch;
}
