#!/bin/sh
# Makes sure Node.js 18 or later is on this guest, for the ROC agent:
#   1. keep a Node.js >= 18 that is already installed;
#   2. else install the distribution's package when its candidate is >= 18;
#   3. else unpack a Node.js tarball found in the synced folder into /usr/local;
#   4. else stop and say what to do.
# Tarballs are looked for in $ROC_NODE_TARBALL_DIRS (default: the folder of
# this script, /vagrant/provisioning and /vagrant): node-v*-linux-<arch>.tar.xz or .tar.gz.
set -eu

MIN_MAJOR=18
here=$(cd "$(dirname "$0")" && pwd)
tarball_dirs=${ROC_NODE_TARBALL_DIRS:-"$here /vagrant/provisioning /vagrant"}

say() { echo "install-node: $*"; }

major_of() { # the major version of a node binary, or 0
  "$1" -e 'process.stdout.write(process.versions.node.split(".")[0])' 2>/dev/null || echo 0
}

for candidate in /usr/local/bin/node /usr/bin/node "$(command -v node 2>/dev/null || true)"; do
  if [ -z "$candidate" ] || [ ! -x "$candidate" ]; then continue; fi
  if [ "$(major_of "$candidate")" -ge "$MIN_MAJOR" ]; then
    say "keeping $candidate ($("$candidate" --version))"
    exit 0
  fi
done

if command -v apt-get >/dev/null 2>&1; then
  # apt-get update exits 0 even when it fetched nothing (an offline guest keeps
  # its old lists), so its candidate may be one that cannot be downloaded: the
  # install itself decides, and a failed install falls through to a tarball.
  apt-get update -qq || say "apt-get update failed; using the package lists as they are"
  version=$(apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ { print $2 }')
  # 18.19.0+dfsg-6~deb12u2, or 1:18.x with an epoch
  major=$(echo "${version:-none}" | sed -e 's/^[0-9]*://' -e 's/[^0-9].*//')
  if [ -n "$major" ] && [ "$major" -ge "$MIN_MAJOR" ]; then
    say "installing the distribution's nodejs $version"
    if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs >/dev/null && [ "$(major_of /usr/bin/node)" -ge "$MIN_MAJOR" ]; then
      say "installed /usr/bin/node ($(/usr/bin/node --version))"
      exit 0
    fi
    say "the distribution's nodejs $version could not be installed (offline, or its packages cannot be fetched); looking for a tarball"
  else
    say "the distribution offers nodejs ${version:-(none)}, older than $MIN_MAJOR"
  fi
fi

case $(uname -m) in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  armv7l) arch=armv7l ;;
  *) arch=$(uname -m) ;;
esac
for dir in $tarball_dirs; do
  for tarball in "$dir"/node-v*-linux-"$arch".tar.xz "$dir"/node-v*-linux-"$arch".tar.gz; do
    [ -f "$tarball" ] || continue
    major=$(basename "$tarball" | sed -e 's/^node-v//' -e 's/\..*//')
    [ "$major" -ge "$MIN_MAJOR" ] || continue
    say "unpacking $tarball into /usr/local"
    tar -xf "$tarball" -C /usr/local --strip-components=1 --exclude='*/share/doc' --exclude='*/include' --exclude='*/CHANGELOG.md' --exclude='*/README.md' --exclude='*/LICENSE'
    say "installed /usr/local/bin/node $(/usr/local/bin/node --version)"
    exit 0
  done
done

echo "install-node: no Node.js $MIN_MAJOR or later here, the distribution has none, and no tarball was found in: $tarball_dirs" >&2
echo "install-node: download node-v18 (or later) for linux-$arch from nodejs.org into provisioning/ next to this script, or install Node.js $MIN_MAJOR+ yourself, then provision again" >&2
exit 1
