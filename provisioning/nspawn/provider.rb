require_relative "driver"
require_relative "action"

module VagrantPlugins
  module Nspawn
    class Provider < Vagrant.plugin("2", :provider)
      STATES = {
        not_created: ["not created", "The machine does not exist yet: vagrant up makes it."],
        running: ["running", "The machine is running: vagrant ssh reaches it."],
        poweroff: ["poweroff", "The machine is stopped: vagrant up boots it again."],
      }.freeze

      def self.usable?(raise_error = false)
        missing = %w[systemd-nspawn ip mount].reject { |c| system("command -v #{c} >/dev/null 2>&1") }
        ok = Process.uid.zero? && missing.empty?
        raise Vagrant::Errors::ProviderNotUsable, provider: "nspawn", machine: "", message: "needs root and #{missing.join(", ")}" if !ok && raise_error
        ok
      end

      attr_reader :driver

      def initialize(machine)
        @machine = machine
        @driver = Driver.new(machine)
      end

      def action(name)
        Action.for(name)
      end

      def state
        id = @driver.state
        short, long = STATES.fetch(id)
        Vagrant::MachineState.new(id, short, long)
      end

      def ssh_info
        return nil unless @driver.state == :running && @driver.mgmt_ip
        { host: @driver.mgmt_ip, port: 22 }
      end

      def to_s
        "nspawn (#{@machine.id || "new"})"
      end
    end
  end
end
