package engine

import (
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"husk/capabilities"
	"husk/image/oci"
	"husk/internal/names"
	"husk/namespaces"
	"husk/rootfs"
	"husk/seccomp"
)

// defaultPath is the PATH of a container whose image sets none.
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// ProcessOptions are the command-line overrides of an image's config.
type ProcessOptions struct {
	Command    []string // replaces the image's Cmd
	Entrypoint *string  // replaces the image's Entrypoint; "" clears it
	Env        []string // KEY=VALUE, or KEY to take the value from husk's environment
	Workdir    string
	User       string
	Hostname   string
	TTY        bool
	// ReadOnly mounts the rootfs read-only, as Docker's --read-only: the
	// mounts on it (/dev, /dev/shm, /etc/hosts...) stay writable.
	ReadOnly  bool
	Resources ResourceOptions
}

// buildSpec makes the OCI spec of a container of img: the defaults Docker
// and runc use (namespaces, mounts, masked and read-only paths,
// capabilities, no_new_privs), the image's process, and the overrides.
func buildSpec(cfg oci.ImageConfig, o ProcessOptions, rootPath string) (*specs.Spec, error) {
	args, err := processArgs(cfg, o)
	if err != nil {
		return nil, err
	}
	if o.Hostname != "" {
		if err := names.Check(o.Hostname, 64); err != nil {
			return nil, fmt.Errorf("--hostname %q: %w", o.Hostname, err)
		}
	}
	cwd := cfg.WorkingDir
	if o.Workdir != "" {
		cwd = o.Workdir
	}
	if cwd == "" {
		cwd = "/"
	}
	if !strings.HasPrefix(cwd, "/") {
		return nil, fmt.Errorf("working directory %q: must be an absolute path", cwd)
	}
	env, err := mergeEnv(cfg.Env, o.Env, o.TTY)
	if err != nil {
		return nil, err
	}
	if o.Hostname != "" && !hasKey(env, "HOSTNAME") {
		// As Docker does, after PATH, which mergeEnv puts first.
		env = append(env[:1:1], append([]string{"HOSTNAME=" + o.Hostname}, env[1:]...)...)
	}

	caps := append([]string(nil), capabilities.Default...)
	spec := &specs.Spec{
		Version:  specs.Version,
		Hostname: o.Hostname,
		Root:     &specs.Root{Path: rootPath, Readonly: o.ReadOnly},
		Process: &specs.Process{
			Terminal: o.TTY,
			Args:     args,
			Env:      env,
			Cwd:      cwd,
			Capabilities: &specs.LinuxCapabilities{
				Bounding: caps, Effective: caps, Permitted: caps,
			},
			NoNewPrivileges: true,
		},
		Mounts: rootfs.DefaultMounts(),
		Linux: &specs.Linux{
			Namespaces:    namespaces.Default(),
			MaskedPaths:   rootfs.DefaultMaskedPaths(),
			ReadonlyPaths: rootfs.DefaultReadonlyPaths(),
			Seccomp:       seccomp.DefaultProfile(),
		},
	}
	if err := applyResources(spec, o.Resources); err != nil {
		return nil, err
	}
	return spec, nil
}

// applyResources puts the limits and --device nodes into the spec.
func applyResources(spec *specs.Spec, o ResourceOptions) error {
	res, err := o.Resources()
	if err != nil {
		return err
	}
	for _, arg := range o.Devices {
		dev, rule, err := parseDevice(arg)
		if err != nil {
			return err
		}
		if res == nil {
			res = &specs.LinuxResources{}
		}
		spec.Linux.Devices = append(spec.Linux.Devices, dev)
		res.Devices = append(res.Devices, rule)
	}
	spec.Linux.Resources = res
	return nil
}

// processArgs is Entrypoint + Cmd, each taken from the options when given.
// As in Docker, a new entrypoint drops the image's Cmd.
func processArgs(cfg oci.ImageConfig, o ProcessOptions) ([]string, error) {
	entry, cmd := cfg.Entrypoint, cfg.Cmd
	if o.Entrypoint != nil {
		entry, cmd = nil, nil
		if *o.Entrypoint != "" {
			entry = []string{*o.Entrypoint}
		}
	}
	if len(o.Command) > 0 {
		cmd = o.Command
	}

	args := append(append([]string(nil), entry...), cmd...)
	if len(args) == 0 {
		return nil, fmt.Errorf("no command: the image has no Entrypoint or Cmd and none was given")
	}
	if args[0] == "" {
		return nil, fmt.Errorf("command: empty name")
	}
	return args, nil
}

// mergeEnv applies the overrides to the image's environment, key by key,
// keeping the image's order and appending new keys.
func mergeEnv(image, overrides []string, tty bool) ([]string, error) {
	env := append([]string(nil), image...)
	if !hasKey(env, "PATH") {
		env = append([]string{defaultPath}, env...)
	}
	if tty && !hasKey(env, "TERM") {
		env = append(env, "TERM=xterm")
	}
	for _, kv := range overrides {
		key, _, ok := strings.Cut(kv, "=")
		if key == "" {
			return nil, fmt.Errorf("environment variable %q: empty name", kv)
		}
		if !ok {
			continue // KEY alone is resolved by the CLI from its own environment
		}
		env = setKey(env, key, kv)
	}
	return env, nil
}

func hasKey(env []string, key string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, key+"=") {
			return true
		}
	}
	return false
}

func setKey(env []string, key, kv string) []string {
	for i, old := range env {
		if strings.HasPrefix(old, key+"=") {
			env[i] = kv
			return env
		}
	}
	return append(env, kv)
}
