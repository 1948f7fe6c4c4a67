package bench

import (
	"encoding/json"
	"os"
	"path/filepath"

	"husk/runtime"
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
	spec := runtime.ExampleSpec()
	spec.Version = bundleVersion
	spec.Root.Path = rootPath
	spec.Hostname = "husk-bench"
	spec.Process.Terminal = false
	spec.Process.Args = args
	spec.Process.Env = spec.Process.Env[:1]
	data, err := json.MarshalIndent(spec, "", "\t")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644)
}
