#!/bin/sh
# Builds, once, the "box" the nspawn provider boots: the Debian 12 root
# filesystem of rootfs.sh (the end-to-end tier's) plus what a Vagrant base box
# has (openssh-server, sudo, rsync, ifupdown, the vagrant user with Vagrant's
# insecure key and passwordless sudo), and etcd-server for the etcd example
# (the guests have no network to fetch it; its packages: entry finds it there). Like the debian/bookworm64 box it has
# no Node.js; the distribution's nodejs packages wait in apt's cache, so
# install-node.sh can install them on a guest that has no network beyond the
# test's bridges. Prints the box's path. Cached beside the e2e root filesystem.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache=${ROC_NSPAWN_CACHE:-${ROC_E2E_CACHE:-/var/cache/roc-e2e}}
insecure_key=${1:?usage: box.sh <vagrant insecure public key file>}
# Bump when what goes into the box changes, so an old cache is not reused.
box=$cache/vagrant-box-v5

if [ -f "$box/.roc-ready" ]; then
  echo "$box"
  exit 0
fi
rootfs=$(sh "$here/rootfs.sh")
rm -rf "$box.partial"
cp -a "$rootfs" "$box.partial"
rm -f "$box.partial/.roc-ready"
mkdir -p "$box.partial/home/vagrant/.ssh"
cp "$insecure_key" "$box.partial/home/vagrant/.ssh/authorized_keys"

# Runs with the host's network (nspawn's default), which only this build uses.
systemd-nspawn -q -D "$box.partial" --register=no --keep-unit --pipe /bin/sh -eu >&2 <<'EOF'
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends openssh-server sudo rsync ifupdown etcd-server >/dev/null
# The etcd example runs its own members (as the agent's daemons), not the distribution's service.
systemctl mask etcd.service >/dev/null 2>&1 || ln -sf /dev/null /etc/systemd/system/etcd.service
apt-get purge -y -qq nodejs libnode108 >/dev/null
apt-get autoremove -y -qq --purge >/dev/null
apt-get install -y -qq --download-only --no-install-recommends nodejs >/dev/null
useradd -m -s /bin/bash vagrant 2>/dev/null || true
chown -R vagrant:vagrant /home/vagrant/.ssh
chmod 700 /home/vagrant/.ssh
chmod 600 /home/vagrant/.ssh/authorized_keys
echo 'vagrant ALL=(ALL) NOPASSWD:ALL' >/etc/sudoers.d/vagrant
chmod 440 /etc/sudoers.d/vagrant
printf 'auto lo\niface lo inet loopback\n\nsource /etc/network/interfaces.d/*\n' >/etc/network/interfaces
# A container has no udev, so the .device units ifup@.service binds to never
# appear; the same unit without them, as a VM's udev would let it run.
grep -v 'sys-subsystem-net-devices' /lib/systemd/system/ifup@.service >/etc/systemd/system/ifup@.service
EOF
# The guests reach nothing but the test's bridges: no name server either, so
# a lookup fails at once instead of after the resolver's timeouts.
echo '# no name server: this box has no network beyond the test bridges' >"$box.partial/etc/resolv.conf"
date -u >"$box.partial/.roc-ready"
mv "$box.partial" "$box"
echo "$box"
