package bench

import (
	"encoding/json"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"husk/namespaces"
	"husk/rootfs"
)

// bundleVersion is the ociVersion of the benchmark's bundles. crun 1.8.1
// refuses a config newer than the runtime-spec it was built with
// ("unknown version specified" for huskrt's 1.3.0), and every runtime
// here accepts 1.0.2.
const bundleVersion = "1.0.2"

// writeSpec writes the config.json of a bundle in dir whose root is
// rootPath, running args: what `runc spec` and `huskrt spec` give, without
// a terminal. Each runtime applies the same config, so each pays for the
// same namespaces, mounts and masked paths; none gets a network but its
// own loopback.
func writeSpec(dir, rootPath string, args []string) error {
	caps := []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}
	spec := &specs.Spec{
		Version:  bundleVersion,
		Root:     &specs.Root{Path: rootPath, Readonly: true},
		Hostname: "husk-bench",
		Process: &specs.Process{
			Args: args,
			Env:  []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			Cwd:  "/",
			Capabilities: &specs.LinuxCapabilities{
				Bounding: caps, Effective: caps, Permitted: caps,
			},
			Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}},
			NoNewPrivileges: true,
		},
		Mounts: rootfs.DefaultMounts(),
		Linux: &specs.Linux{
			Namespaces:    namespaces.Default(),
			MaskedPaths:   rootfs.DefaultMaskedPaths(),
			ReadonlyPaths: rootfs.DefaultReadonlyPaths(),
			Resources: &specs.LinuxResources{
				Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
			},
		},
	}
	data, err := json.MarshalIndent(spec, "", "\t")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644)
}
