#!/bin/sh
# Installs the Debian packages a guest's topology entry lists (packages:),
# only those not installed yet: provisioning again changes nothing and needs
# no network. Vagrant's shell provisioner runs it as root.
set -eu

say() { echo "install-packages: $*"; }

[ "$#" -gt 0 ] || { say "nothing to install"; exit 0; }
missing=""
for package in "$@"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || missing="$missing $package"
done
if [ -z "$missing" ]; then
  say "already installed: $*"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # one word per package
apt-get install -y -qq --no-install-recommends $missing
say "installed$missing"
