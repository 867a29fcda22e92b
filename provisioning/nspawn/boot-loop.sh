#!/bin/sh
# boot-loop.sh NAME ROOT NETNS: boots the guest with systemd-nspawn, and boots
# it again each time it reboots from inside (nspawn then exits with 133), as
# the systemd-nspawn@ unit does. Ends when the guest powers off or is killed.
# CAP_NET_ADMIN lets the guest's ifupdown configure the interfaces of its
# own network namespace.
set -u
name=$1 root=$2 netns=$3
while :; do
  systemd-nspawn -q -b -D "$root" --register=no --keep-unit --machine="$name" --hostname="$name" \
    --network-namespace-path="/run/netns/$netns" --capability=CAP_NET_ADMIN --console=pipe
  rc=$?
  [ "$rc" = 133 ] || exit "$rc"
  echo "boot-loop: $name rebooted; booting it again"
done
