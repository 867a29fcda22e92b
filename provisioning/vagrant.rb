# The guests of a ROC topology as Vagrant machines, one per guest, so names,
# addresses, ports and modules have one source: the same YAML the host
# library reads. Loaded by a project's Vagrantfile (roc init vagrant writes
# one; this repository's own is one too), which says where the project and
# the roc-toolkit package are:
#
#   load File.join(package, "provisioning", "vagrant.rb")
#   RocVagrant.configure(project: __dir__, package: package, topology: "roc.yml")
#
# The project folder is synced to /vagrant (rsync), so the topology's modules
# and token are there; the agent bundle and the unit files come from the
# package, uploaded to each guest, so no repository layout is assumed.
require "yaml"
require "pathname"

module RocVagrant
  # A path from the topology (relative to its folder) as the guest sees it in /vagrant.
  def self.guest_path(project, topology, path)
    abs = topology.dirname.join(path).expand_path
    rel = abs.relative_path_from(project)
    abort "Vagrantfile: #{abs} is outside #{project}; the guests see only the synced folder" if rel.to_s.start_with?("..")
    "/vagrant/#{rel}"
  end

  # project: the folder synced to the guests; package: roc-toolkit's folder;
  # topology: the default topology file (ROC_TOPOLOGY overrides it);
  # exclude: what the sync leaves out, besides .git, node_modules and lab state.
  def self.configure(project:, package:, topology: "roc.yml", exclude: [])
    project = Pathname.new(project).realpath
    package = Pathname.new(package).realpath
    file = project.join(ENV["ROC_TOPOLOGY"] || topology).expand_path
    abort "Vagrantfile: no topology at #{file}; set ROC_TOPOLOGY, or write #{topology}" unless file.exist?
    bundle = package.join("dist", "agent", "roc-agent.js")
    abort "Vagrantfile: no agent bundle at #{bundle}; build roc-toolkit (npm run build) or reinstall it" unless bundle.exist?
    doc = YAML.safe_load(file.read, aliases: true) || {}
    defaults = doc["defaults"] || {}
    guests = doc["guests"] || {}
    abort "Vagrantfile: #{file} has no guests" if guests.empty?
    units = %w[roc-agent.service roc-agent-user.conf roc-agent-faults.conf]

    Vagrant.configure("2") do |config|
      config.vm.synced_folder project.to_s, "/vagrant", type: "rsync",
        rsync__exclude: ["/.git/", "/node_modules/", ".roc/lab/"] + exclude

      guests.each do |name, g|
        setting = ->(key, fallback = nil) { g.key?(key) ? g[key] : defaults.fetch(key, fallback) }
        port = setting.call("port", 7007)
        modules = Array(defaults["modules"]) + Array(g["modules"])
        packages = Array(defaults["packages"]) + Array(g["packages"])
        token = setting.call("token_file")

        config.vm.define name do |m|
          m.vm.box = setting.call("box", "debian/bookworm64")
          m.vm.hostname = name
          m.vm.network "private_network", ip: g.fetch("host")
          m.vm.provider "virtualbox" do |vb|
            vb.memory = setting.call("memory", 512)
            vb.cpus = setting.call("cpus", 1)
          end
          m.vm.provider "libvirt" do |lv|
            lv.memory = setting.call("memory", 512)
            lv.cpus = setting.call("cpus", 1)
          end

          # The agent and its unit files, from the package, beside each other on the guest.
          m.vm.provision "roc-bundle", type: "file", source: bundle.to_s, destination: "/tmp/roc-provisioning/roc-agent.js"
          units.each do |unit|
            m.vm.provision "roc-#{unit}", type: "file", source: package.join("provisioning", unit).to_s,
              destination: "/tmp/roc-provisioning/#{unit}"
          end
          args = ["--bundle", "/tmp/roc-provisioning/roc-agent.js", "--unit-dir", "/tmp/roc-provisioning",
                  "--port", port.to_s, "--host", "0.0.0.0"]
          args += ["--token-file", guest_path(project, file, token)] if token
          modules.each { |mod| args += ["--module", guest_path(project, file, mod)] }
          # faults: true lets the nemesis cut links, pause processes and move the clock on this guest.
          args += ["--faults"] if setting.call("faults", false)
          # packages: Debian packages the guest's software needs (etcd-server, ...), installed when missing.
          unless packages.empty?
            m.vm.provision "packages", type: "shell", path: package.join("provisioning", "install-packages.sh").to_s,
              args: packages
          end
          m.vm.provision "node", type: "shell", path: package.join("provisioning", "install-node.sh").to_s
          m.vm.provision "agent", type: "shell", path: package.join("provisioning", "install-agent.sh").to_s, args: args
        end
      end
    end
  end
end
