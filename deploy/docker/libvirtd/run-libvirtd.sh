#!/bin/sh
# The libvirtd sidecar of a runner pod: virtlogd for the guests' logs, then libvirtd in the foreground. The runner
# reaches it through the socket in /var/run/libvirt (a volume both containers mount).
set -eu
mkdir -p /var/run/libvirt /var/log/libvirt/qemu /var/lib/libvirt/qemu /var/lib/autocloud
# Group 10001 (the runner's) may use the socket and read what QEMU writes into the shared work directory.
chgrp autocloud /var/lib/autocloud && chmod 2775 /var/lib/autocloud
virtlogd --daemon
exec libvirtd --config /etc/libvirt/libvirtd.conf
