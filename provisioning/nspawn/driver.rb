require "fileutils"
require "ipaddr"
require "open3"
require "securerandom"

module VagrantPlugins
  module Nspawn
    # What the provider does on the host, as root: overlays, namespaces,
    # bridges, veth pairs, and the boot loop. Every name it makes derives
    # from the machine id, so destroy finds all of it.
    class Driver
      class CommandError < Vagrant::Errors::VagrantError
        def error_message
          @message
        end

        def initialize(message)
          @message = message
          super()
        end
      end

      # Host-wide state (management addresses, the lock) of this provider.
      RUN_DIR = "/run/roc-vagrant-nspawn".freeze
      MGMT_BRIDGE = "rvgmgmt".freeze
      # RFC 2544's benchmarking range: it exists only on bridges this provider makes.
      MGMT_NET = "198.19.254".freeze
      @@lock = Mutex.new

      attr_reader :machine

      def initialize(machine)
        @machine = machine
      end

      def id
        @machine.id
      end

      def dir
        @machine.data_dir.join("nspawn")
      end

      def root
        dir.join("root").to_s
      end

      def console_log
        dir.join("console.log").to_s
      end

      def netns
        "rocvg-#{id}"
      end

      # :not_created, :running or :poweroff.
      def state
        return :not_created if id.nil? || !dir.exist?
        running? ? :running : :poweroff
      end

      def running?
        pgid = loop_pid
        pgid && group_alive?(pgid)
      end

      def mgmt_ip
        file = dir.join("mgmt-ip")
        file.exist? ? file.read.strip : nil
      end

      # A new machine: an id and the folders of its overlay.
      def create
        @machine.id = SecureRandom.hex(3)
        %w[upper work root].each { |d| FileUtils.mkdir_p(dir.join(d)) }
        @machine.id
      end

      # Everything boot needs, then the boot loop.
      def start(rootfs, private_networks)
        with_lock do
          network_up(private_networks)
        end
        mount(rootfs)
        write_guest_config
        loop_script = File.join(ROOT, "boot-loop.sh")
        pid = Process.spawn("setsid", "sh", loop_script, @machine.name.to_s, root, netns,
                            in: "/dev/null", out: [console_log, "a"], err: [console_log, "a"])
        Process.detach(pid)
        dir.join("loop.pid").write("#{pid}\n")
      end

      # Asks the guest to power off (SIGTERM to nspawn), then kills what is left.
      def stop(grace_seconds = 30)
        pgid = loop_pid
        return unless pgid
        signal_group("TERM", pgid)
        deadline = Time.now + grace_seconds
        sleep 0.1 while group_alive?(pgid) && Time.now < deadline
        signal_group("KILL", pgid) if group_alive?(pgid)
        sleep 0.05 while group_alive?(pgid)
        dir.join("loop.pid").delete if dir.join("loop.pid").exist?
      end

      # After the guest stopped: no mount, namespace or link is left.
      def teardown
        unmount
        with_lock { network_down }
      end

      def destroy
        stop(10) if running?
        teardown
        FileUtils.rm_rf(dir)
        @machine.id = nil
      end

      private

      def run(*cmd, ok_codes: [0])
        out, err, status = Open3.capture3(*cmd)
        unless ok_codes.include?(status.exitstatus)
          raise CommandError, "nspawn provider: #{cmd.join(" ")} failed (exit #{status.exitstatus}): #{err.strip}"
        end
        out
      end

      def with_lock
        FileUtils.mkdir_p(RUN_DIR)
        @@lock.synchronize do
          File.open(File.join(RUN_DIR, "lock"), File::RDWR | File::CREAT, 0o600) do |f|
            f.flock(File::LOCK_EX)
            yield
          end
        end
      end

      def loop_pid
        file = dir.join("loop.pid")
        file.exist? ? file.read.to_i : nil
      end

      # Any live (not zombie) process left in the boot loop's process group.
      def group_alive?(pgid)
        Dir.glob("/proc/[0-9]*/stat").any? do |stat|
          fields = File.read(stat).sub(/\A.*\) /m, "").split(" ")
          fields[0] != "Z" && fields[2].to_i == pgid
        rescue Errno::ENOENT, Errno::ESRCH
          false
        end
      end

      def signal_group(signal, pgid)
        Process.kill(signal, -pgid)
      rescue Errno::ESRCH
        nil
      end

      def mounted?
        File.read("/proc/mounts").lines.any? { |l| l.split(" ")[1] == root }
      end

      def mount(rootfs)
        return if mounted?
        run("mount", "-t", "overlay", "overlay", "-o",
            "lowerdir=#{rootfs},upperdir=#{dir.join("upper")},workdir=#{dir.join("work")}", root)
      end

      def unmount
        run("umount", root) if mounted?
      end

      # The box has no address of its own: eth0's comes from here, before each boot.
      def write_guest_config
        etc = File.join(root, "etc")
        File.write(File.join(etc, "hostname"), "#{@machine.name}\n")
        FileUtils.mkdir_p(File.join(etc, "network", "interfaces.d"))
        File.write(File.join(etc, "network", "interfaces.d", "eth0"),
                   "# Written by the nspawn test provider: Vagrant's management network.\n" \
                   "auto eth0\niface eth0 inet static\n    address #{mgmt_ip}/24\n")
      end

      def link_exists?(name, ns = nil)
        cmd = ns ? ["ip", "-n", ns, "link", "show", name] : ["ip", "link", "show", name]
        _, _, status = Open3.capture3(*cmd)
        status.success?
      end

      def netns_exists?
        run("ip", "netns", "list").lines.any? { |l| l.split(" ")[0] == netns }
      end

      def ensure_bridge(name, address)
        return if link_exists?(name)
        run("ip", "link", "add", name, "type", "bridge")
        run("ip", "addr", "add", address, "dev", name)
        run("ip", "link", "set", name, "up")
      end

      # A veth pair: host side on the bridge, guest side in the namespace as eth<n>.
      def plug(host_side, bridge, index)
        guest_side = "vg#{id}g#{index}"
        run("ip", "link", "add", host_side, "type", "veth", "peer", "name", guest_side)
        run("ip", "link", "set", guest_side, "netns", netns)
        run("ip", "-n", netns, "link", "set", guest_side, "name", "eth#{index}")
        run("ip", "link", "set", host_side, "master", bridge)
        run("ip", "link", "set", host_side, "up")
      end

      def allocate_mgmt_ip
        return mgmt_ip if mgmt_ip
        taken = Dir.glob(File.join(RUN_DIR, "mgmt", "*")).map { |f| File.basename(f).to_i }
        octet = (10..250).find { |n| !taken.include?(n) } or raise CommandError, "nspawn provider: no management address left in #{MGMT_NET}.0/24"
        FileUtils.mkdir_p(File.join(RUN_DIR, "mgmt"))
        File.write(File.join(RUN_DIR, "mgmt", octet.to_s), id)
        ip = "#{MGMT_NET}.#{octet}"
        dir.join("mgmt-ip").write("#{ip}\n")
        ip
      end

      def network_up(private_networks)
        return if netns_exists?
        run("ip", "netns", "add", netns)
        run("ip", "-n", netns, "link", "set", "lo", "up")
        allocate_mgmt_ip
        ensure_bridge(MGMT_BRIDGE, "#{MGMT_NET}.1/24")
        plug("vg#{id}m", MGMT_BRIDGE, 0)
        private_networks.each_with_index do |net, i|
          subnet = IPAddr.new("#{net[:ip]}/#{net[:netmask]}")
          bridge = "rvg#{subnet.to_i.to_s(16).rjust(8, "0")}"
          host = IPAddr.new(subnet.to_i + 1, Socket::AF_INET).to_s
          raise CommandError, "nspawn provider: #{net[:ip]} is the host's address on #{subnet}/#{net[:netmask]}; give the guest another" if host == net[:ip]
          ensure_bridge(bridge, "#{host}/#{subnet.prefix}")
          plug("vg#{id}p#{i + 1}", bridge, i + 1)
        end
      end

      def network_down
        run("ip", "netns", "del", netns) if id && netns_exists?
        # Deleting the namespace deletes its veth ends, and with them the host ends.
        run("ip", "-o", "link", "show").lines.each do |line|
          name = line[/^\d+:\s+([^:@\s]+)/, 1]
          run("ip", "link", "del", name, ok_codes: [0, 1]) if name&.start_with?("vg#{id}")
        end
        if (ip = mgmt_ip)
          FileUtils.rm_f(File.join(RUN_DIR, "mgmt", ip.split(".").last))
          dir.join("mgmt-ip").delete
        end
        # A bridge with no port left belongs to no machine any more.
        run("ip", "-o", "link", "show", "type", "bridge").lines.each do |line|
          name = line[/^\d+:\s+([^:@\s]+)/, 1]
          next unless name == MGMT_BRIDGE || name&.match?(/\Arvg\h{8}\z/)
          run("ip", "link", "del", name) if run("ip", "-o", "link", "show", "master", name).strip.empty?
        end
      end
    end
  end
end
