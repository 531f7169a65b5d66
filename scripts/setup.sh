#!/usr/bin/env bash
# Prepares this machine for Autocloud from nothing: system packages, the local services the system and its tests
# talk to (PostgreSQL, NATS with JetStream, RabbitMQ), pnpm at the pinned version, dependencies, and the build.
# Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")

log "system packages"
apt_install ca-certificates curl git nats-server postgresql rabbitmq-server \
  libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils genisoimage xz-utils chromium

log "libvirt"
# libvirtd and virtlogd run without systemd on containers and CI machines; start them where they are not running.
pgrep -x virtlogd >/dev/null || as_root virtlogd -d
pgrep -x libvirtd >/dev/null || as_root libvirtd -d
# QEMU runs as root here; a /dev/kvm only root can open makes libvirt's capability probe time out for ~45 s per
# domain. Give it the group libvirt expects (KVM itself may still not work: LIBVIRT_DOMAIN_TYPE=auto falls back to TCG).
if [ -e /dev/kvm ] && [ "$(stat -c %G /dev/kvm)" != kvm ] && getent group kvm >/dev/null; then
  as_root chown root:kvm /dev/kvm && as_root chmod 0660 /dev/kvm
fi
for _ in $(seq 30); do as_root virsh -c qemu:///system version >/dev/null 2>&1 && break; sleep 1; done

log "PostgreSQL"
if ! port_open 127.0.0.1 5432; then
  cluster=$(ls /etc/postgresql | sort -V | tail -n 1)
  hba=/etc/postgresql/$cluster/main/pg_hba.conf
  # A development and CI machine: the tests connect as postgres over 127.0.0.1 without a password.
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$cluster" main start
  wait_port 127.0.0.1 5432 PostgreSQL
fi

log "NATS (JetStream)"
if ! port_open 127.0.0.1 4222; then
  as_root mkdir -p /var/lib/nats-server
  as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  wait_port 127.0.0.1 4222 nats-server
fi

log "RabbitMQ"
if ! port_open 127.0.0.1 5672; then
  as_root rabbitmq-server -detached
  wait_port 127.0.0.1 5672 RabbitMQ 120
fi

log "pnpm $PNPM_VERSION"
if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  npm install -g --no-fund --no-audit "pnpm@$PNPM_VERSION" >/dev/null
fi

log "dependencies"
pnpm install --frozen-lockfile --reporter=append-only | tail -n 3

log "build"
pnpm run build

log "test image"
# Built once per content hash and cached outside the repository (tests/images/README.md).
AUTOCLOUD_TEST_IMAGE_DIR=$(as_root bash tests/images/build.sh)
export AUTOCLOUD_TEST_IMAGE_DIR
log "test image in $AUTOCLOUD_TEST_IMAGE_DIR"
