#!/bin/sh
# Builds, once, the Debian 12 root filesystem the nspawn provider's box and
# the end-to-end tier's systemd guests are made from, and prints its path.
# Cached in $ROC_NSPAWN_CACHE (or $ROC_E2E_CACHE; default /var/cache/roc-e2e)
# between runs on the same machine.
set -eu

cache=${ROC_NSPAWN_CACHE:-${ROC_E2E_CACHE:-/var/cache/roc-e2e}}
mirror=${ROC_E2E_MIRROR:-http://deb.debian.org/debian}
# Bump when the package list changes, so an old cache is not reused.
rootfs=$cache/bookworm-v2

if [ -f "$rootfs/.roc-ready" ]; then
  echo "$rootfs"
  exit 0
fi
mkdir -p "$cache"
rm -rf "$rootfs.partial"
# nodejs is bookworm's 18.x: install-node.sh then keeps it, as on a Debian 12 Vagrant box.
# nftables, as a standard Debian 12 install has it: the nemesis makes its faults with it.
debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,nodejs,iproute2,procps,nftables \
  bookworm "$rootfs.partial" "$mirror" >&2
# Nothing in the guests needs a login prompt.
ln -sf /dev/null "$rootfs.partial/etc/systemd/system/console-getty.service"
echo 'guest' >"$rootfs.partial/etc/hostname"
date -u >"$rootfs.partial/.roc-ready"
mv "$rootfs.partial" "$rootfs"
echo "$rootfs"
