#!/bin/sh
# Installs the ROC agent as the systemd service roc-agent: the single-file
# bundle, the token, an environment file and the unit, then enables and
# starts it. Running it again with the same settings changes nothing.
#
#   install-agent.sh [--bundle FILE] [--port N] [--host ADDR] [--token-file FILE]
#                    [--module PATH]... [--user root|roc] [--faults] [--args "MORE AGENT ARGS"]
#   install-agent.sh --uninstall [--purge]
#
# --faults lets the nemesis make faults here: it installs nftables when it is
# missing and the distribution has it, and the roc-agent-faults.conf drop-in
# (CAP_NET_ADMIN, CAP_KILL, CAP_SYS_TIME). Without it, a --user roc agent
# refuses faults, and a root agent refuses to move the clock.
#
# The unit files (roc-agent.service, roc-agent-user.conf, roc-agent-faults.conf) are taken from
# --unit-dir, else the folder of this script, else the provisioning/ folder of
# the checkout the bundle was built in (dist/agent/../../provisioning), else
# /vagrant/provisioning: Vagrant's shell provisioner uploads this script alone.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
bundle=/vagrant/dist/agent/roc-agent.js
port=7007
host=0.0.0.0
token_file=
modules=
user=root
extra=
unit_dir=
action=install
purge=no
faults=no

usage() { sed -n '2,12p' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --bundle) bundle=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --host) host=$2; shift 2 ;;
    --token-file) token_file=$2; shift 2 ;;
    --module) modules="$modules $2"; shift 2 ;;
    --user) user=$2; shift 2 ;;
    --args) extra=$2; shift 2 ;;
    --faults) faults=yes; shift ;;
    --unit-dir) unit_dir=$2; shift 2 ;;
    --uninstall) action=uninstall; shift ;;
    --purge) purge=yes; shift ;;
    *) echo "install-agent: unknown option $1" >&2; usage ;;
  esac
done

say() { echo "install-agent: $*"; }
changed=no

# put SOURCE DEST MODE: copy only when the content differs, so a second run changes nothing.
put() {
  if [ -f "$2" ] && cmp -s "$1" "$2"; then
    chmod "$3" "$2"
    return 0
  fi
  mkdir -p "$(dirname "$2")"
  install -m "$3" "$1" "$2"
  changed=yes
  say "wrote $2"
}

# write_text DEST MODE TEXT: like put, for generated text.
write_text() {
  tmp=$(mktemp)
  printf '%s\n' "$3" >"$tmp"
  put "$tmp" "$1" "$2"
  rm -f "$tmp"
}

if [ "$action" = uninstall ]; then
  systemctl disable --now roc-agent.service 2>/dev/null || true
  rm -rf /etc/systemd/system/roc-agent.service /etc/systemd/system/roc-agent.service.d /opt/roc /etc/roc/agent.env
  systemctl daemon-reload
  if [ "$purge" = yes ]; then
    rm -rf /etc/roc /var/lib/roc
    say "removed the roc-agent service, its token and its state"
  else
    say "removed the roc-agent service (kept /etc/roc/token; --purge removes it)"
  fi
  exit 0
fi

[ "$(id -u)" = 0 ] || { echo "install-agent: run as root (it installs a systemd service)" >&2; exit 1; }
[ -f "$bundle" ] || { echo "install-agent: no agent bundle at $bundle; build it on the host with npm run build (dist/agent/roc-agent.js)" >&2; exit 1; }
command -v node >/dev/null 2>&1 || [ -x /usr/local/bin/node ] || { echo "install-agent: no Node.js; run install-node.sh first" >&2; exit 1; }
case $user in root | roc) ;; *) echo "install-agent: --user takes root or roc" >&2; exit 2 ;; esac

if [ "$user" = roc ] && ! id roc >/dev/null 2>&1; then
  useradd --system --no-create-home --home-dir /var/lib/roc --shell /usr/sbin/nologin roc
  changed=yes
  say "made the service user roc"
fi

# has_units DIR: DIR holds both unit files.
has_units() { [ -f "$1/roc-agent.service" ] && [ -f "$1/roc-agent-user.conf" ] && [ -f "$1/roc-agent-faults.conf" ]; }
if [ -n "$unit_dir" ]; then
  has_units "$unit_dir" || { echo "install-agent: --unit-dir $unit_dir does not hold roc-agent.service, roc-agent-user.conf and roc-agent-faults.conf" >&2; exit 1; }
else
  searched="$here $(dirname "$bundle")/../../provisioning /vagrant/provisioning"
  for d in $searched; do
    if has_units "$d"; then unit_dir=$(cd "$d" && pwd); break; fi
  done
  [ -n "$unit_dir" ] || { echo "install-agent: cannot find roc-agent.service, roc-agent-user.conf and roc-agent-faults.conf; looked in: $searched. Pass --unit-dir <the project's provisioning folder>" >&2; exit 1; }
fi

put "$bundle" /opt/roc/roc-agent.js 0755

# module_type PATH: "module" or "commonjs", as Node decides it for PATH's .js files
# from the nearest package.json; a copy elsewhere must keep that choice.
module_type() {
  d=$(dirname "$1")
  while :; do
    if [ -f "$d/package.json" ]; then
      if grep -q '"type"[[:space:]]*:[[:space:]]*"module"' "$d/package.json"; then echo module; else echo commonjs; fi
      return
    fi
    [ "$d" = / ] && break
    d=$(dirname "$d")
  done
  echo commonjs
}

# Each module gets a folder of its own under /opt/roc/modules, with a
# package.json that keeps its module type.
served=
for m in $modules; do
  [ -e "$m" ] || { echo "install-agent: module $m does not exist" >&2; exit 1; }
  name=$(basename "$m")
  home=/opt/roc/modules/${name%.*}
  write_text "$home/package.json" 0644 "{ \"type\": \"$(module_type "$m")\" }"
  if [ -d "$m" ]; then
    dest=$home/$name
    mkdir -p "$dest"
    if ! diff -r "$m" "$dest" >/dev/null 2>&1; then rm -rf "$dest"; cp -r "$m" "$dest"; changed=yes; say "copied $m to $dest"; fi
  else
    dest=$home/$name
    put "$m" "$dest" 0644
  fi
  served="$served -m $dest"
done

args="-p $port --host $host$served"
if [ -n "$token_file" ]; then
  [ -f "$token_file" ] || { echo "install-agent: token file $token_file does not exist (make one on the host with: roc token)" >&2; exit 1; }
  put "$token_file" /etc/roc/token 0600
  if [ "$user" = roc ]; then chown roc:roc /etc/roc/token; fi
  args="$args --token-file /etc/roc/token"
fi
[ -z "$extra" ] || args="$args $extra"
write_text /etc/roc/agent.env 0644 "# Written by install-agent.sh; roc-agent.service reads it.
ROC_AGENT_ARGS=$args"

put "$unit_dir/roc-agent.service" /etc/systemd/system/roc-agent.service 0644
if [ "$user" = roc ]; then
  put "$unit_dir/roc-agent-user.conf" /etc/systemd/system/roc-agent.service.d/user.conf 0644
elif [ -e /etc/systemd/system/roc-agent.service.d/user.conf ]; then
  rm -f /etc/systemd/system/roc-agent.service.d/user.conf
  changed=yes
fi

if [ "$faults" = yes ]; then
  put "$unit_dir/roc-agent-faults.conf" /etc/systemd/system/roc-agent.service.d/with-faults.conf 0644
  if ! command -v nft >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nftables >/dev/null 2>&1; then
      changed=yes
      say "installed nftables"
    elif command -v iptables >/dev/null 2>&1; then
      say "nftables could not be installed; the nemesis uses iptables"
    else
      say "warning: neither nftables nor iptables is installed; network faults will be refused (install nftables)"
    fi
  fi
elif [ -e /etc/systemd/system/roc-agent.service.d/with-faults.conf ]; then
  rm -f /etc/systemd/system/roc-agent.service.d/with-faults.conf
  changed=yes
fi

# Provisioning ends only once the agent answers: `vagrant up` and then `roc ping` at once finds it
# listening. A unit that fails, or no answer within 30 s, stops provisioning with the unit's journal.
wait_for_agent() {
  probe=$host
  case $probe in 0.0.0.0) probe=127.0.0.1 ;; ::) probe=::1 ;; esac
  node_bin=$(command -v node || echo /usr/local/bin/node)
  deadline=$(($(date +%s) + 30))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if "$node_bin" -e 'const s = require("net").connect(Number(process.argv[1]), process.argv[2]); s.on("connect", () => process.exit(0)); s.on("error", () => process.exit(1));' "$port" "$probe" 2>/dev/null; then
      say "roc-agent answers on $probe:$port"
      return 0
    fi
    if systemctl is-failed --quiet roc-agent.service; then break; fi
    sleep 0.2
  done
  say "roc-agent does not answer on $probe:$port (it is $(systemctl is-active roc-agent.service || true)); its journal:" >&2
  journalctl -u roc-agent.service -n 30 --no-pager >&2 || true
  exit 1
}

if [ "$changed" = yes ]; then
  systemctl daemon-reload
  systemctl enable roc-agent.service >/dev/null 2>&1
  systemctl restart roc-agent.service
  say "roc-agent enabled and (re)started: $args (as $user)"
else
  systemctl is-enabled --quiet roc-agent.service || systemctl enable roc-agent.service >/dev/null 2>&1
  systemctl is-active --quiet roc-agent.service || systemctl start roc-agent.service
  say "no change; roc-agent is $(systemctl is-active roc-agent.service)"
fi
wait_for_agent
