module VagrantPlugins
  module Nspawn
    class Config < Vagrant.plugin("2", :config)
      # The box: a folder holding a Debian root filesystem with sshd, sudo,
      # ifupdown and the vagrant user (roc vagrant nspawn install makes one).
      attr_accessor :rootfs

      def initialize
        @rootfs = UNSET_VALUE
      end

      def finalize!
        @rootfs = ENV["ROC_NSPAWN_BOX"] if @rootfs == UNSET_VALUE
      end

      def validate(_machine)
        errors = []
        if !@rootfs || @rootfs.empty?
          errors << "nspawn: no box: set nspawn.rootfs or ROC_NSPAWN_BOX to a root filesystem folder (roc vagrant nspawn install makes one)"
        elsif !File.exist?(File.join(@rootfs, "usr/sbin/sshd"))
          errors << "nspawn: #{@rootfs} is not a box root filesystem (no usr/sbin/sshd)"
        end
        { "nspawn provider" => errors }
      end
    end
  end
end
