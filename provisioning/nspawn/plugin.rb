# A Vagrant provider for Linux hosts and CI runners without virtualization:
# each machine is a Debian root filesystem booted with systemd-nspawn in a
# network namespace of its own (root). It runs a project's unmodified
# Vagrantfile and provisioners with the real Vagrant where VirtualBox and
# libvirt cannot run; the guests share the host's kernel, so it is not a VM.
# `roc vagrant nspawn install` builds its box and loads it from a
# Vagrantfile in VAGRANT_HOME, never from the project's Vagrantfile.
#
# What a machine is:
# - its root: an overlay of the box (a root filesystem folder) with its own
#   upper layer in the machine's data folder, so each machine keeps its
#   changes across reboots and destroy removes them;
# - its network namespace, with eth0 on a management bridge (Vagrant's ssh
#   and rsync) and one ethN per private_network on a bridge per /24 with the
#   host at .1, as VirtualBox's host-only networks; Vagrant's own Debian
#   guest capability writes the addresses into /etc/network/interfaces;
# - a boot loop (boot-loop.sh): a reboot from inside makes nspawn exit 133,
#   and the loop boots the guest again.
require "vagrant"

module VagrantPlugins
  module Nspawn
    ROOT = File.expand_path(__dir__)

    class Plugin < Vagrant.plugin("2")
      name "nspawn (ROC)"
      description "systemd-nspawn machines for ROC guests on Linux hosts without virtualization"

      provider(:nspawn, box_optional: true, parallel: true, defaultable: true) do
        require_relative "provider"
        Provider
      end

      config(:nspawn, :provider) do
        require_relative "config"
        Config
      end
    end
  end
end
