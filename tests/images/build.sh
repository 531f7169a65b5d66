#!/usr/bin/env bash
# Builds the Autocloud test image: a small Debian cloud image (cloud-init, sshd) as a qcow2
# disk, a Vagrant libvirt box and a Vagrant VirtualBox box, from Debian's packages.
#
# The result is cached outside the repository, keyed by a hash of this script and every
# file it reads from tests/images/. Prints the cache directory as its only stdout line;
# everything else goes to stderr. Needs root (debootstrap, loop devices, mount).
#
#   AUTOCLOUD_IMAGE_CACHE   cache root (default /var/cache/autocloud/test-images)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly CACHE_ROOT=${AUTOCLOUD_IMAGE_CACHE:-/var/cache/autocloud/test-images}

readonly RELEASE=bookworm RELEASE_VERSION=12 DEB_ARCH=amd64 ARCH=x86_64
readonly NAME=debian-test-image.$ARCH
readonly DISK_GIB=2
readonly PART_OFFSET=$((1024 * 1024)) # the one partition starts at 1 MiB
readonly BOX_HOSTNAME=debian-test

# Files of tests/images/ the build reads: they and this script make the content hash.
readonly INPUTS=(build.sh packages.txt rootfs vagrant-insecure-key.pub)

log() { printf '%s build.sh: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Host tools, by the package that provides them. Only what this script runs.
ensure_tools() {
  local -A need=(
    [debootstrap]=debootstrap [qemu-img]=qemu-utils [sfdisk]=fdisk [extlinux]=extlinux
    [/usr/lib/syslinux/mbr/mbr.bin]=syslinux-common [mkfs.ext4]=e2fsprogs [tar]=tar
    [flock]=util-linux [losetup]=mount
  )
  local tool missing=()
  for tool in "${!need[@]}"; do
    if [[ $tool == /* ]]; then [[ -e $tool ]] || missing+=("${need[$tool]}")
    else command -v "$tool" >/dev/null || missing+=("${need[$tool]}"); fi
  done
  ((${#missing[@]} == 0)) && return
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

content_hash() {
  (cd "$HERE" && find "${INPUTS[@]}" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) |
    sha256sum | cut -d' ' -f1
}

# Debian archives this machine's apt uses for $RELEASE, $RELEASE-updates and
# $RELEASE-security (component main), as "URI SUITE" lines, read from
# /etc/apt/sources.list and /etc/apt/sources.list.d/*.{list,sources} (one-line and deb822).
host_archives() {
  local files=()
  [[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
  shopt -s nullglob
  files+=(/etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources)
  shopt -u nullglob
  ((${#files[@]})) || return 0
  awk -v rel="$RELEASE" '
    function want(suite) { return suite == rel || suite == rel "-updates" || suite == rel "-security" }
    function has(list, word,   n, a, i) { n = split(list, a, /[ \t]+/); for (i = 1; i <= n; i++) if (a[i] == word) return 1; return 0 }
    function flush(   n, u, s, i, j) {
      if (types != "" && has(types, "deb") && has(comps, "main") && tolower(enabled) != "no") {
        n = split(uris, u, /[ \t]+/); split(suites, s, /[ \t]+/)
        for (i = 1; i <= n; i++) for (j in s) if (u[i] != "" && want(s[j])) print u[i], s[j]
      }
      types = uris = suites = comps = enabled = ""
    }
    FNR == 1 { flush() }
    FILENAME ~ /\.sources$/ {
      if ($0 ~ /^[ \t]*$/) { flush(); next }
      if ($0 ~ /^#/) next
      key = tolower($1); sub(/^[^:]*:[ \t]*/, "")
      if (key == "types:") types = $0; else if (key == "uris:") uris = $0
      else if (key == "suites:") suites = $0; else if (key == "components:") comps = $0
      else if (key == "enabled:") enabled = $0
      next
    }
    $1 == "deb" {
      i = 2
      if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
      if (want($(i + 1)) && has(substr($0, index($0, $(i + 1))), "main")) print $i, $(i + 1)
    }
    END { flush() }
  ' "${files[@]}" | sed 's#/* # #' | awk '!seen[$0]++' # no trailing "/" on URIs; no duplicates
}

# --- cleanup of mounts, loop devices and work directories, also on failure -----------
# A work directory is removed only after whatever is mounted below it is unmounted and the
# loop devices on its files are detached (also those a killed earlier build left behind);
# rm --one-file-system never follows into a mount that is still there.
remove_tree() {
  local dir=$1 target loop
  for target in $(findmnt -rn -o TARGET | awk -v d="$dir/" 'index($0, d) == 1' | sort -r); do
    umount -l "$target"
  done
  for loop in $(losetup -n -O NAME,BACK-FILE | awk -v d="$dir/" 'index($2, d) == 1 { print $1 }'); do
    losetup -d "$loop"
  done
  rm -rf --one-file-system "$dir"
}
WORK=
cleanup() { if [[ -n $WORK && -d $WORK ]]; then remove_tree "$WORK" || log "could not remove $WORK"; fi; }

in_chroot() { LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive chroot "$ROOTFS" "$@"; }

# --- the root filesystem --------------------------------------------------------------
build_rootfs() {
  local archives mirror
  archives=$(host_archives)
  mirror=$(awk -v rel="$RELEASE" '$2 == rel { print $1; exit }' <<<"$archives")
  [[ -n $mirror ]] || die "no apt source for $RELEASE main in /etc/apt/sources.list*"
  log "debootstrap $RELEASE from $mirror"

  # The kernel is installed later with apt-get, once -updates and -security are enabled,
  # so the image gets one (current) kernel instead of the release kernel plus an update.
  debootstrap --variant=minbase --arch="$DEB_ARCH" \
    --include=systemd-sysv,openssh-server,udev \
    "$RELEASE" "$ROOTFS" "$mirror"

  # The image's apt sources: the same archives as this machine, in deb822 form.
  local uri suite
  while read -r uri suite; do
    printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n' \
      "$uri" "$suite"
  done <<<"$archives" >"$ROOTFS/etc/apt/sources.list.d/debian.sources"
  rm -f "$ROOTFS/etc/apt/sources.list"

  # Configuration files first: dpkg's path-excludes must be in place before packages land.
  cp -rT --no-preserve=ownership "$HERE/rootfs" "$ROOTFS"
  # initramfs-tools skips hooks that are not executable, whatever the checkout did.
  chmod 0755 "$ROOTFS"/etc/initramfs-tools/hooks/*

  mount -t proc proc "$ROOTFS/proc"
  mount -t sysfs sysfs "$ROOTFS/sys"
  mount -t devpts devpts "$ROOTFS/dev/pts"
  # No daemon starts inside the chroot.
  printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d"
  chmod 755 "$ROOTFS/usr/sbin/policy-rc.d"

  local packages
  mapfile -t packages < <(sed 's/#.*//; /^[[:space:]]*$/d' "$HERE/packages.txt")
  log "apt-get install ${packages[*]}"
  in_chroot apt-get update -qq
  in_chroot apt-get -y -qq dist-upgrade
  in_chroot apt-get install -y -qq --no-install-recommends "${packages[@]}"
  in_chroot apt-get -y -qq autoremove --purge

  configure_guest
  shrink_rootfs

  rm -f "$ROOTFS/usr/sbin/policy-rc.d"
  umount "$ROOTFS/dev/pts" "$ROOTFS/sys" "$ROOTFS/proc"
}

configure_guest() {
  KERNEL_VERSION=$(find "$ROOTFS/boot" -name 'vmlinuz-*' -printf '%f\n' | sed 's/^vmlinuz-//')
  [[ $(wc -l <<<"$KERNEL_VERSION") -eq 1 && -n $KERNEL_VERSION ]] ||
    die "expected one kernel in /boot, found: ${KERNEL_VERSION:-none}"
  echo "$BOX_HOSTNAME" >"$ROOTFS/etc/hostname"
  printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' \
    "$BOX_HOSTNAME" >"$ROOTFS/etc/hosts"
  # No DNS server is known in advance (user-mode networking, VirtualBox NAT and libvirt
  # networks differ) and nothing in the image needs one: an empty resolv.conf, not the
  # build machine's.
  : >"$ROOTFS/etc/resolv.conf"

  # DHCP with systemd-networkd on any NIC (rootfs/etc/systemd/network/).
  systemctl --root="$ROOTFS" enable systemd-networkd.service autocloud-ssh-hostkeys.service
  # Nothing periodic in a short-lived test VM, and none of the boot-time units that serve
  # hardware or features a test VM lacks (binfmt, debugfs/tracefs, hugepages, DRM, EFI):
  # under TCG each costs CPU the boot's critical path (cloud-init) needs.
  systemctl --root="$ROOTFS" mask apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
    e2scrub_all.timer e2scrub_reap.service fstrim.timer \
    systemd-binfmt.service proc-sys-fs-binfmt_misc.automount sys-kernel-debug.mount \
    sys-kernel-tracing.mount dev-hugepages.mount modprobe@drm.service modprobe@efi_pstore.service \
    systemd-pstore.service

  # First boot is really first: a new machine-id (hence DHCP client id), host keys and
  # cloud-init instance per VM.
  : >"$ROOTFS/etc/machine-id"
  rm -f "$ROOTFS"/etc/ssh/ssh_host_*
  rm -rf "$ROOTFS/var/lib/cloud"/*
}

shrink_rootfs() {
  in_chroot apt-get clean
  rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/cache/debconf/*-old \
    "$ROOTFS"/var/log/*.log "$ROOTFS"/var/log/apt/* "$ROOTFS"/tmp/* "$ROOTFS"/var/tmp/* "$ROOTFS"/root/.bash_history
  # What debootstrap installed before dpkg's path-excludes existed.
  find "$ROOTFS/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$ROOTFS/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$ROOTFS"/usr/share/{man,info,lintian}/*
  find "$ROOTFS/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
}

# The Vagrant conventions: user vagrant (password vagrant, passwordless sudo) with Vagrant's
# well-known insecure public key, and cloud-init off: boxes boot without a seed.
make_vagrant_guest() {
  in_chroot useradd --create-home --shell /bin/bash vagrant
  echo 'vagrant:vagrant' | in_chroot chpasswd
  install -m 0440 /dev/stdin "$ROOTFS/etc/sudoers.d/vagrant" <<<'vagrant ALL=(ALL) NOPASSWD: ALL'
  install -d -m 0700 "$ROOTFS/home/vagrant/.ssh"
  install -m 0600 "$HERE/vagrant-insecure-key.pub" "$ROOTFS/home/vagrant/.ssh/authorized_keys"
  in_chroot chown -R vagrant:vagrant /home/vagrant/.ssh
  touch "$ROOTFS/etc/cloud/cloud-init.disabled"
}

# --- a self-booting disk: one bootable ext4 partition, extlinux, syslinux's MBR --------
# Writes a raw disk image of $DISK_GIB GiB holding $ROOTFS to $1.
make_disk() {
  local raw=$1 size=$((DISK_GIB * 1024 * 1024 * 1024)) uuid loop mnt
  uuid=$(cat /proc/sys/kernel/random/uuid)
  rm -f "$raw"
  truncate -s "$size" "$raw"
  echo "start=$((PART_OFFSET / 512)), type=83, bootable" | sfdisk -q --label dos "$raw"

  # No fsck pass: the filesystem is new, the journal covers crashes, and it saves a second
  # of every boot under TCG.
  cat >"$ROOTFS/etc/fstab" <<EOF
UUID=$uuid / ext4 rw,errors=remount-ro 0 0
EOF
  mkdir -p "$ROOTFS/boot/extlinux"
  # console=ttyS0 last: it becomes /dev/console, so boot progress, cloud-init's messages
  # and a getty (systemd's getty generator starts one on the console) are on the serial
  # port the runner records.
  cat >"$ROOTFS/boot/extlinux/extlinux.conf" <<EOF
SERIAL 0 115200
DEFAULT debian
LABEL debian
  LINUX /boot/vmlinuz-$KERNEL_VERSION
  INITRD /boot/initrd.img-$KERNEL_VERSION
  APPEND root=UUID=$uuid ro console=tty0 console=ttyS0,115200n8 quiet
EOF

  loop=$(losetup --find --show --offset "$PART_OFFSET" --sizelimit "$((size - PART_OFFSET))" "$raw")
  # -d copies the tree straight into the new filesystem; no mount needed for that.
  mkfs.ext4 -q -L root -U "$uuid" -d "$ROOTFS" "$loop"
  mnt=$(mktemp -d "$WORK/mnt.XXXXXX")
  mount "$loop" "$mnt"
  extlinux --install "$mnt/boot/extlinux"
  umount "$mnt"
  losetup -d "$loop"
  dd if=/usr/lib/syslinux/mbr/mbr.bin of="$raw" bs=440 count=1 conv=notrunc status=none
}

# --- artifacts -----------------------------------------------------------------------
make_libvirt_box() {
  local raw=$1 box=$2 dir
  dir=$(mktemp -d "$WORK/libvirt-box.XXXXXX")
  qemu-img convert -c -f raw -O qcow2 "$raw" "$dir/box.img"
  printf '{"provider":"libvirt","format":"qcow2","virtual_size":%d}\n' "$DISK_GIB" >"$dir/metadata.json"
  cat >"$dir/Vagrantfile" <<'EOF'
# Defaults for the Autocloud test box (vagrant-libvirt); a project's Vagrantfile overrides them.
Vagrant.configure("2") do |config|
  # No rsync in the image: nothing is synced into the guest.
  config.vm.synced_folder ".", "/vagrant", disabled: true
  config.vm.provider :libvirt do |libvirt|
    libvirt.driver = "kvm"
    libvirt.memory = 1024
  end
end
EOF
  # box.img is already compressed qcow2: gzip would only cost time.
  tar -C "$dir" -cf "$box" metadata.json Vagrantfile box.img
}

# A box as `vagrant package` makes from a VirtualBox VM: box.ovf (what `VBoxManage export`
# writes: OVF 1.0 with VirtualBox's own <vbox:Machine> section), the disk as a
# streamOptimized VMDK, metadata.json and a Vagrantfile carrying the NIC's MAC.
make_virtualbox_box() {
  local raw=$1 box=$2 hash=$3 dir disk=box-disk001.vmdk vm_uuid disk_uuid mac
  dir=$(mktemp -d "$WORK/virtualbox-box.XXXXXX")
  qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$raw" "$dir/$disk"
  vm_uuid=$(cat /proc/sys/kernel/random/uuid)
  disk_uuid=$(cat /proc/sys/kernel/random/uuid)
  # VirtualBox's OUI 08:00:27; the rest from the content hash, stable per build input.
  mac=080027${hash:0:6}
  mac=${mac^^}
  printf '{"provider":"virtualbox"}\n' >"$dir/metadata.json"
  cat >"$dir/Vagrantfile" <<EOF
# Defaults for the Autocloud test box (VirtualBox); a project's Vagrantfile overrides them.
Vagrant.configure("2") do |config|
  config.vm.base_mac = "$mac"
  # No VirtualBox guest additions in the image: nothing is synced into the guest.
  config.vm.synced_folder ".", "/vagrant", disabled: true
end
EOF
  write_ovf "$dir/box.ovf" "$disk" "$(stat -c %s "$dir/$disk")" "$vm_uuid" "$disk_uuid" "$mac"
  tar -C "$dir" -cf "$box" box.ovf "$disk" metadata.json Vagrantfile
}

# OVF 1.0 envelope for one VM: 2 CPUs, 1024 MB, BIOS boot, the disk on a PIIX4 IDE
# controller, one NAT NIC of type virtio, a serial port. IDE and virtio-net because Debian's
# cloud kernel has drivers for them (ata_piix, virtio_net) but none for AHCI or e1000, the
# VirtualBox defaults.
write_ovf() {
  local out=$1 disk=$2 disk_size=$3 vm_uuid=$4 disk_uuid=$5 mac=$6
  local capacity=$((DISK_GIB * 1024 * 1024 * 1024)) vm=autocloud-debian-test
  cat >"$out" <<EOF
<?xml version="1.0"?>
<Envelope ovf:version="1.0" xml:lang="en-US" xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:vbox="http://www.virtualbox.org/ovf/machine">
  <References>
    <File ovf:id="file1" ovf:href="$disk" ovf:size="$disk_size"/>
  </References>
  <DiskSection>
    <Info>List of the virtual disks used in the package</Info>
    <Disk ovf:capacity="$capacity" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized" vbox:uuid="$disk_uuid"/>
  </DiskSection>
  <NetworkSection>
    <Info>Logical networks used in the package</Info>
    <Network ovf:name="NAT">
      <Description>Logical network used by this appliance.</Description>
    </Network>
  </NetworkSection>
  <VirtualSystem ovf:id="$vm">
    <Info>A virtual machine</Info>
    <OperatingSystemSection ovf:id="96">
      <Info>The kind of installed guest operating system</Info>
      <Description>Debian_64</Description>
      <vbox:OSType ovf:required="false">Debian_64</vbox:OSType>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements for a virtual machine</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>$vm</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>virtualbox-2.2</vssd:VirtualSystemType>
      </System>
      <Item>
        <rasd:Caption>2 virtual CPU</rasd:Caption>
        <rasd:Description>Number of virtual CPUs</rasd:Description>
        <rasd:ElementName>2 virtual CPU</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>2</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:AllocationUnits>MegaBytes</rasd:AllocationUnits>
        <rasd:Caption>1024 MB of memory</rasd:Caption>
        <rasd:Description>Memory Size</rasd:Description>
        <rasd:ElementName>1024 MB of memory</rasd:ElementName>
        <rasd:InstanceID>2</rasd:InstanceID>
        <rasd:ResourceType>4</rasd:ResourceType>
        <rasd:VirtualQuantity>1024</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:Address>0</rasd:Address>
        <rasd:Caption>ideController0</rasd:Caption>
        <rasd:Description>IDE Controller</rasd:Description>
        <rasd:ElementName>ideController0</rasd:ElementName>
        <rasd:InstanceID>3</rasd:InstanceID>
        <rasd:ResourceSubType>PIIX4</rasd:ResourceSubType>
        <rasd:ResourceType>5</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AddressOnParent>0</rasd:AddressOnParent>
        <rasd:Caption>disk1</rasd:Caption>
        <rasd:Description>Disk Image</rasd:Description>
        <rasd:ElementName>disk1</rasd:ElementName>
        <rasd:HostResource>/disk/vmdisk1</rasd:HostResource>
        <rasd:InstanceID>4</rasd:InstanceID>
        <rasd:Parent>3</rasd:Parent>
        <rasd:ResourceType>17</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>
        <rasd:Caption>Ethernet adapter on 'NAT'</rasd:Caption>
        <rasd:Connection>NAT</rasd:Connection>
        <rasd:ElementName>Ethernet adapter on 'NAT'</rasd:ElementName>
        <rasd:InstanceID>5</rasd:InstanceID>
        <rasd:ResourceSubType>virtio</rasd:ResourceSubType>
        <rasd:ResourceType>10</rasd:ResourceType>
      </Item>
    </VirtualHardwareSection>
    <vbox:Machine ovf:required="false" version="1.16-linux" uuid="{$vm_uuid}" name="$vm" OSType="Debian_64" snapshotFolder="Snapshots">
      <ovf:Info>Complete VirtualBox machine configuration in VirtualBox format</ovf:Info>
      <Hardware>
        <CPU count="2">
          <PAE enabled="true"/>
          <LongMode enabled="true"/>
        </CPU>
        <Memory RAMSize="1024"/>
        <Boot>
          <Order position="1" device="HardDisk"/>
          <Order position="2" device="None"/>
          <Order position="3" device="None"/>
          <Order position="4" device="None"/>
        </Boot>
        <BIOS>
          <IOAPIC enabled="true"/>
        </BIOS>
        <Network>
          <Adapter slot="0" enabled="true" MACAddress="$mac" type="virtio">
            <NAT/>
          </Adapter>
        </Network>
        <UART>
          <Port slot="0" enabled="true" IOBase="0x3f8" IRQ="4" hostMode="Disconnected"/>
        </UART>
      </Hardware>
      <StorageControllers>
        <StorageController name="IDE Controller" type="PIIX4" PortCount="2" useHostIOCache="true" Bootable="true">
          <AttachedDevice type="HardDisk" hotpluggable="false" port="0" device="0">
            <Image uuid="{$disk_uuid}"/>
          </AttachedDevice>
        </StorageController>
      </StorageControllers>
    </vbox:Machine>
  </VirtualSystem>
</Envelope>
EOF
}

# One manifest entry, productmd-like (type/format as in a compose's images.json).
image_json() {
  local dir=$1 file=$2 type=$3 format=$4
  printf '    {"path": "%s", "type": "%s", "format": "%s", "arch": "%s", "size": %d, "virtual_size": %d, "checksums": {"sha256": "%s"}}' \
    "$file" "$type" "$format" "$ARCH" "$(stat -c %s "$dir/$file")" "$((DISK_GIB * 1024 * 1024 * 1024))" \
    "$(awk -v f="$file" '$2 == f { print $1 }' "$dir/SHA256SUMS")"
}

write_manifest() {
  local dir=$1 hash=$2 build_date=$3
  (cd "$dir" && sha256sum "$NAME.qcow2" "$NAME.vagrant-libvirt.box" "$NAME.vagrant-virtualbox.box" >SHA256SUMS)
  {
    printf '{\n  "name": "debian-test-image",\n  "release": {"name": "Debian", "version": "%s", "codename": "%s"},\n' \
      "$RELEASE_VERSION" "$RELEASE"
    printf '  "arch": "%s",\n  "kernel": "%s",\n  "build_date": "%s",\n  "content_hash": "%s",\n  "images": [\n' \
      "$ARCH" "$KERNEL_VERSION" "$build_date" "$hash"
    image_json "$dir" "$NAME.qcow2" qcow2 qcow2
    printf ',\n'
    image_json "$dir" "$NAME.vagrant-libvirt.box" vagrant-libvirt vagrant-libvirt.box
    printf ',\n'
    image_json "$dir" "$NAME.vagrant-virtualbox.box" vagrant-virtualbox vagrant-virtualbox.box
    printf '\n  ]\n}\n'
  } >"$dir/manifest.json.tmp"
  # Written last: a cache entry with manifest.json is complete.
  mv "$dir/manifest.json.tmp" "$dir/manifest.json"
}

main() {
  # stdout carries only the result; every tool's output goes to stderr.
  exec 3>&1 1>&2
  local hash dest started
  hash=$(content_hash)
  dest=$CACHE_ROOT/$hash
  if [[ -f $dest/manifest.json ]]; then echo "$dest" >&3; return; fi
  [[ $EUID -eq 0 ]] || die "run as root to build (debootstrap, loop devices and mount need it)"

  mkdir -p "$CACHE_ROOT"
  # One build per hash at a time; a second run waits, then finds the finished entry.
  exec 9>"$CACHE_ROOT/.$hash.lock"
  if ! flock -n 9; then log "waiting for another build of $hash"; flock 9; fi
  if [[ -f $dest/manifest.json ]]; then echo "$dest" >&3; return; fi

  ensure_tools
  started=$(date +%s)
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  # Holding the lock, any earlier work directory of this hash is from a build that died.
  local stale
  for stale in "$CACHE_ROOT/.$hash.build."*; do if [[ -d $stale ]]; then remove_tree "$stale"; fi; done
  if [[ -e $dest ]]; then remove_tree "$dest"; fi
  # Same filesystem as the cache, so the finished directory is renamed into place.
  WORK=$(mktemp -d "$CACHE_ROOT/.$hash.build.XXXXXX")
  ROOTFS=$WORK/rootfs
  local out=$WORK/out raw=$WORK/disk.raw
  mkdir -p "$out"

  build_rootfs
  log "disk image"
  make_disk "$raw"
  qemu-img convert -c -f raw -O qcow2 "$raw" "$out/$NAME.qcow2"

  log "Vagrant boxes"
  make_vagrant_guest
  make_disk "$raw"
  make_libvirt_box "$raw" "$out/$NAME.vagrant-libvirt.box"
  make_virtualbox_box "$raw" "$out/$NAME.vagrant-virtualbox.box" "$hash"
  rm -f "$raw"

  write_manifest "$out" "$hash" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  chmod 0755 "$out"
  mv -T "$out" "$dest"
  log "built in $(($(date +%s) - started)) s: $dest"
  echo "$dest" >&3
}

main "$@"
