#!/usr/bin/env bash
# Proves the test image boots: each artifact of a build.sh cache directory is booted as a
# transient libvirt domain (TCG unless BOOT_CHECK_DOMAIN_TYPE=kvm) with user-mode networking
# and SSH forwarded to 127.0.0.1, logged into, checked, and destroyed.
#
#   boot-check.sh CACHE_DIR [qcow2|vagrant-libvirt|vagrant-virtualbox ...]   (default: all three)
#
#   LIBVIRT_URI             default qemu:///system (libvirtd and virtlogd are started if
#                           that is the URI and they are not running)
#   BOOT_TIMEOUT            seconds from `virsh create` to SSH answering, default 300
#   BOOT_CHECK_DOMAIN_TYPE  qemu (TCG, default) or kvm
#   BOOT_CHECK_KEEP=1       keep the work directory (consoles, domain XML) and print its path
#
# Prints, per artifact, the seconds from `virsh create` to SSH answering and to
# `systemctl is-system-running --wait` returning. Exits non-zero if any artifact fails.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly URI=${LIBVIRT_URI:-qemu:///system}
readonly BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
readonly DOMAIN_TYPE=${BOOT_CHECK_DOMAIN_TYPE:-qemu}
readonly KEEP=${BOOT_CHECK_KEEP:-}
readonly NAME=debian-test-image.x86_64
readonly SSH_OPTS=(-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
  -o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=10)
# What a test plan's first steps rely on: cloud-init done, the system fully up without
# failed units, and passwordless sudo.
readonly CHECK='cloud-init status --wait || true; set -e; uname -a; systemctl is-system-running --wait; sudo -n true'

log() { printf '%s boot-check: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

WORK='' DOMAINS=() RESULTS=()
cleanup() {
  local domain
  for domain in "${DOMAINS[@]}"; do
    if [[ -n $domain ]]; then virsh -q -c "$URI" destroy "$domain" >/dev/null 2>&1 || true; fi
  done
  if [[ -n $KEEP ]]; then log "kept $WORK"; elif [[ -n $WORK ]]; then rm -rf "$WORK"; fi
  return 0
}

ensure_tools() {
  local -A need=([virsh]=libvirt-clients [qemu-img]=qemu-utils [genisoimage]=genisoimage
    [ssh]=openssh-client [ssh-keygen]=openssh-client [ss]=iproute2)
  [[ $URI == qemu:///system ]] && need+=([libvirtd]=libvirt-daemon-system [qemu-system-x86_64]=qemu-system-x86)
  local tool missing=()
  for tool in "${!need[@]}"; do command -v "$tool" >/dev/null || missing+=("${need[$tool]}"); done
  ((${#missing[@]} == 0)) && return
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Without systemd (containers, these machines) nothing starts libvirtd for us.
ensure_libvirt() {
  # Without udev, /dev/kvm stays root-only (0600). QEMU's capability probe opens it as root
  # and records KVM as available, but libvirt then finds it unusable for the QEMU user and
  # re-probes QEMU on every `virsh create`: about 50 s per domain here. Debian's udev gives
  # it group kvm, mode 0660 (libvirt-qemu is in group kvm); do the same. TCG domains still
  # do not use it.
  if [[ $URI == qemu:///system && -c /dev/kvm ]] && getent group kvm >/dev/null &&
    [[ $(stat -c %G:%a /dev/kvm) != kvm:660 ]]; then
    log "giving /dev/kvm udev's usual group kvm and mode 0660 (libvirt re-probes QEMU on every start otherwise)"
    chgrp kvm /dev/kvm
    chmod 0660 /dev/kvm
  fi
  virsh -q -c "$URI" uri >/dev/null 2>&1 && return
  [[ $URI == qemu:///system ]] || die "libvirt at $URI does not answer"
  log "starting virtlogd and libvirtd"
  virtlogd -d
  libvirtd -d
  local i
  for ((i = 0; i < 30; i++)); do
    virsh -q -c "$URI" uri >/dev/null 2>&1 && return
    sleep 1
  done
  die "libvirtd did not come up"
}

free_port() {
  local port i
  for ((i = 0; i < 100; i++)); do
    port=$((20000 + RANDOM % 30000))
    [[ -z $(ss -Htln "sport = :$port") ]] && { echo "$port"; return; }
  done
  die "no free TCP port found"
}

# NoCloud seed: a per-run user with a fresh key, as the runner delivers one per job.
make_seed() {
  local dir=$1 user=$2 pubkey=$3
  mkdir -p "$dir/seed"
  cat >"$dir/seed/user-data" <<EOF
#cloud-config
users:
  - name: $user
    shell: /bin/bash
    sudo: "ALL=(ALL) NOPASSWD:ALL"
    lock_passwd: true
    ssh_authorized_keys:
      - $pubkey
EOF
  printf 'instance-id: boot-check-%s\nlocal-hostname: boot-check\n' "$(basename "$dir")" >"$dir/seed/meta-data"
  genisoimage -quiet -output "$dir/seed.iso" -volid cidata -joliet -rock "$dir/seed/user-data" "$dir/seed/meta-data"
}

# A transient domain: overlay disk on $disk_bus, optional seed cdrom, serial console to a
# file, and user-mode networking with SSH on 127.0.0.1:$port (the NIC at a fixed PCI slot:
# without one QEMU puts it in the disk's).
domain_xml() {
  local name=$1 overlay=$2 disk_bus=$3 seed=$4 console=$5 port=$6 dev=vda
  [[ $disk_bus == ide ]] && dev=hda
  cat <<EOF
<domain type='$DOMAIN_TYPE' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$name</name>
  <memory unit='MiB'>1024</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <features><acpi/><apic/></features>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$overlay'/>
      <target dev='$dev' bus='$disk_bus'/>
    </disk>
$(if [[ -n $seed ]]; then cat <<SEED
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='$seed'/>
      <target dev='hdc' bus='ide'/>
      <readonly/>
    </disk>
SEED
fi)
    <serial type='file'>
      <source path='$console'/>
      <target port='0'/>
    </serial>
    <memballoon model='none'/>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-netdev'/>
    <qemu:arg value='user,id=n0,hostfwd=tcp:127.0.0.1:$port-:22'/>
    <qemu:arg value='-device'/>
    <qemu:arg value='virtio-net-pci,netdev=n0,addr=0x10'/>
  </qemu:commandline>
</domain>
EOF
}

box_provider() { sed -n 's/.*"provider" *: *"\([^"]*\)".*/\1/p' "$1/metadata.json"; }

# Boots one artifact; on success appends "ARTIFACT SSH_SECONDS READY_SECONDS" to RESULTS.
# (Runs in the main shell, not a $(...) subshell, so the EXIT trap sees its domain.)
check_artifact() {
  local kind=$1 dir=$WORK/$1 base user key seed='' disk_bus=virtio
  mkdir -p "$dir"
  case $kind in
    qcow2)
      base=$CACHE_DIR/$NAME.qcow2 user=autocloud key=$dir/id_ed25519
      ssh-keygen -q -t ed25519 -N '' -C boot-check -f "$key"
      make_seed "$dir" "$user" "$(cat "$key.pub")"
      seed=$dir/seed.iso
      ;;
    vagrant-libvirt)
      tar -xf "$CACHE_DIR/$NAME.vagrant-libvirt.box" -C "$dir"
      [[ $(box_provider "$dir") == libvirt ]] || die "$kind: metadata.json is not for provider libvirt"
      base=$dir/box.img user=vagrant key=$dir/vagrant-insecure-key
      ;;
    vagrant-virtualbox)
      tar -xf "$CACHE_DIR/$NAME.vagrant-virtualbox.box" -C "$dir"
      [[ $(box_provider "$dir") == virtualbox ]] || die "$kind: metadata.json is not for provider virtualbox"
      local vmdk
      vmdk=$(sed -n 's/.*<File [^>]*ovf:href="\([^"]*\)".*/\1/p' "$dir/box.ovf")
      [[ -f $dir/$vmdk ]] || die "$kind: box.ovf names disk '$vmdk', not in the box"
      # VirtualBox cannot run here: boot the box's disk under QEMU, on IDE as box.ovf says.
      qemu-img convert -f vmdk -O qcow2 "$dir/$vmdk" "$dir/disk.qcow2"
      base=$dir/disk.qcow2 user=vagrant key=$dir/vagrant-insecure-key disk_bus=ide
      ;;
    *) die "unknown artifact '$kind' (qcow2, vagrant-libvirt, vagrant-virtualbox)" ;;
  esac
  # ssh refuses a private key others can read; a git checkout does not keep mode 0600.
  [[ $user == vagrant ]] && install -m 0600 "$HERE/../../packages/runner-core/keys/vagrant-insecure-key" "$key"

  local overlay=$dir/overlay.qcow2 console=$dir/console.log port name
  qemu-img create -q -f qcow2 -b "$base" -F qcow2 "$overlay"
  port=$(free_port)
  name=autocloud-boot-check-$kind-$$
  domain_xml "$name" "$overlay" "$disk_bus" "$seed" "$console" "$port" >"$dir/domain.xml"

  local started answered ready deadline
  log "$kind: virsh create ($DOMAIN_TYPE), SSH on 127.0.0.1:$port, console $console"
  started=$(now)
  virsh -q -c "$URI" create "$dir/domain.xml" >/dev/null
  DOMAINS+=("$name")
  deadline=$(($(date +%s) + BOOT_TIMEOUT))
  # A short ConnectTimeout (it also bounds the wait for sshd's banner): before the guest's
  # network is up, QEMU accepts the connection and nothing answers on it.
  until timeout 20 ssh -o ConnectTimeout=5 "${SSH_OPTS[@]}" -i "$key" -p "$port" "$user@127.0.0.1" true 2>/dev/null; do
    if [[ $(virsh -q -c "$URI" domstate "$name" 2>/dev/null) != running ]]; then
      tail -n 40 "$console" >&2 || true
      die "$kind: domain stopped before SSH answered"
    fi
    if (($(date +%s) > deadline)); then
      tail -n 40 "$console" >&2 || true
      die "$kind: SSH did not answer within $BOOT_TIMEOUT s"
    fi
    sleep 1
  done
  answered=$(now)
  log "$kind: SSH answered after $(elapsed "$started" "$answered") s"

  if ! timeout "$BOOT_TIMEOUT" ssh "${SSH_OPTS[@]}" -i "$key" -p "$port" "$user@127.0.0.1" "$CHECK" 2>&1 |
    sed "s/^/  [$kind] /" >&2; then
    ssh "${SSH_OPTS[@]}" -i "$key" -p "$port" "$user@127.0.0.1" \
      'systemctl --failed --no-pager; sudo -n journalctl -b -p warning --no-pager | tail -n 40' 2>&1 |
      sed "s/^/  [$kind] /" >&2 || true
    die "$kind: checks failed"
  fi
  ready=$(now)
  ssh "${SSH_OPTS[@]}" -i "$key" -p "$port" "$user@127.0.0.1" 'systemd-analyze time' 2>&1 |
    sed "s/^/  [$kind] /" >&2 || true

  virsh -q -c "$URI" destroy "$name" >/dev/null
  DOMAINS=("${DOMAINS[@]/$name/}")
  [[ -n $KEEP ]] || rm -rf "$dir"
  RESULTS+=("$kind $(elapsed "$started" "$answered") $(elapsed "$started" "$ready")")
}

main() {
  (($# >= 1)) || die "usage: $0 CACHE_DIR [qcow2|vagrant-libvirt|vagrant-virtualbox ...]"
  CACHE_DIR=$(cd "$1" && pwd)
  shift
  [[ -f $CACHE_DIR/manifest.json ]] || die "$CACHE_DIR has no manifest.json: not a finished build"
  (cd "$CACHE_DIR" && sha256sum --quiet -c SHA256SUMS) || die "$CACHE_DIR: files do not match SHA256SUMS"
  local kinds=("$@")
  ((${#kinds[@]})) || kinds=(qcow2 vagrant-libvirt vagrant-virtualbox)

  ensure_tools
  ensure_libvirt
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  WORK=$(mktemp -d /var/tmp/autocloud-boot-check.XXXXXX)
  # QEMU runs as an unprivileged user: it must reach the overlays, seeds and consoles.
  chmod 0755 "$WORK"

  local kind
  for kind in "${kinds[@]}"; do check_artifact "$kind"; done
  printf '%-20s %14s %16s\n' artifact ssh_seconds ready_seconds
  # shellcheck disable=SC2068 # each result is three fields
  printf '%-20s %14s %16s\n' ${RESULTS[@]}
}

main "$@"
