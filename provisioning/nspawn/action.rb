require "vagrant/action/builder"

module VagrantPlugins
  module Nspawn
    # The middleware chains of each Vagrant command, built from Vagrant's own
    # steps (provisioning, synced folders, host name, waiting for ssh) and a
    # few of ours below.
    module Action
      include Vagrant::Action::Builtin

      NAMES = %i[up halt reload destroy provision ssh ssh_run].freeze

      def self.for(name)
        NAMES.include?(name) ? public_send(name) : nil
      end

      class Create
        def initialize(app, _env)
          @app = app
        end

        def call(env)
          id = env[:machine].provider.driver.create
          env[:ui].info("Creating nspawn machine #{id}")
          @app.call(env)
        end
      end

      # Namespace, NICs and overlay, then the boot loop.
      class Start
        def initialize(app, _env)
          @app = app
        end

        def call(env)
          machine = env[:machine]
          machine.ui.info("Booting #{machine.provider_config.rootfs} with systemd-nspawn")
          machine.provider.driver.start(machine.provider_config.rootfs, Action.private_networks(machine))
          machine.ui.info("Management address: #{machine.provider.driver.mgmt_ip} (console log: #{machine.provider.driver.console_log})")
          @app.call(env)
        end
      end

      # After boot: Vagrant's guest capability writes each private network's address.
      class ConfigureNetworks
        def initialize(app, _env)
          @app = app
        end

        def call(env)
          @app.call(env)
          networks = Action.private_networks(env[:machine])
          return if networks.empty?
          env[:ui].info("Configuring private networks: #{networks.map { |n| "eth#{n[:interface]} #{n[:ip]}" }.join(", ")}")
          env[:machine].guest.capability(:configure_networks, networks)
        end
      end

      class ForcedHalt
        def initialize(app, _env)
          @app = app
        end

        def call(env)
          if env[:machine].provider.driver.running?
            env[:ui].info("Stopping the guest (SIGTERM to nspawn, then SIGKILL)")
            env[:machine].provider.driver.stop
          end
          @app.call(env)
        end
      end

      class Teardown
        def initialize(app, _env)
          @app = app
        end

        def call(env)
          env[:machine].provider.driver.teardown
          @app.call(env)
        end
      end

      class Destroy
        def initialize(app, _env)
          @app = app
        end

        def call(env)
          env[:ui].info("Removing the machine's overlay, namespace and links")
          env[:machine].provider.driver.destroy
          @app.call(env)
        end
      end

      # private_network entries with an address, numbered as the guest will see them (eth1, eth2, ...).
      def self.private_networks(machine)
        machine.config.vm.networks
               .select { |type, opts| type == :private_network && opts[:ip] }
               .each_with_index.map do |(_, opts), i|
          { type: :static, ip: opts[:ip], netmask: opts[:netmask] || "255.255.255.0", interface: i + 1, auto_config: opts.fetch(:auto_config, true) }
        end
      end

      def self.boot
        Vagrant::Action::Builder.new.tap do |b|
          b.use Provision
          b.use SyncedFolderCleanup
          b.use SyncedFolders
          # Setting the host name restarts each interface, so the addresses go in first (steps run after boot inside out).
          b.use SetHostname
          b.use ConfigureNetworks
          b.use Start
          b.use WaitForCommunicator, [:running]
        end
      end

      def self.up
        Vagrant::Action::Builder.new.tap do |b|
          b.use ConfigValidate
          b.use Call, IsState, :not_created do |env, b2|
            b2.use Create if env[:result]
          end
          b.use Call, IsState, :running do |env, b2|
            if env[:result]
              b2.use Message, "Machine already running."
              b2.use Provision
            else
              b2.use boot
            end
          end
        end
      end

      def self.halt
        Vagrant::Action::Builder.new.tap do |b|
          b.use Call, IsState, :not_created do |env, b2|
            if env[:result]
              b2.use Message, "Machine not created."
              next
            end
            b2.use Call, GracefulHalt, :poweroff, :running do |env2, b3|
              b3.use ForcedHalt unless env2[:result]
            end
            b2.use Teardown
          end
        end
      end

      def self.reload
        Vagrant::Action::Builder.new.tap do |b|
          b.use ConfigValidate
          b.use Call, IsState, :not_created do |env, b2|
            if env[:result]
              b2.use Message, "Machine not created."
              next
            end
            b2.use halt
            b2.use boot
          end
        end
      end

      def self.destroy
        Vagrant::Action::Builder.new.tap do |b|
          b.use Call, IsState, :not_created do |env, b2|
            if env[:result]
              b2.use Message, "Machine not created."
              next
            end
            b2.use Call, DestroyConfirm do |env2, b3|
              unless env2[:result]
                b3.use Message, "Machine will not be destroyed."
                next
              end
              b3.use ConfigValidate
              b3.use ProvisionerCleanup, :before
              b3.use EnvSet, force_halt: true
              b3.use halt
              b3.use Destroy
              b3.use SyncedFolderCleanup
            end
          end
        end
      end

      def self.provision
        Vagrant::Action::Builder.new.tap do |b|
          b.use ConfigValidate
          b.use Call, IsState, :running do |env, b2|
            if env[:result]
              b2.use Provision
            else
              b2.use Message, "Machine is not running: vagrant up first."
            end
          end
        end
      end

      def self.ssh
        Vagrant::Action::Builder.new.tap do |b|
          b.use Call, IsState, :running do |env, b2|
            raise Vagrant::Errors::SSHNotReady unless env[:result]
            b2.use SSHExec
          end
        end
      end

      def self.ssh_run
        Vagrant::Action::Builder.new.tap do |b|
          b.use Call, IsState, :running do |env, b2|
            raise Vagrant::Errors::SSHNotReady unless env[:result]
            b2.use SSHRun
          end
        end
      end
    end
  end
end
