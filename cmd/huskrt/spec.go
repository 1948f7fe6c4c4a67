package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"husk/runtime"
)

var specCommand = &cli.Command{
	Name:  "spec",
	Usage: "write a starting config.json into the bundle",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Usage: "the bundle directory (default: the current one)"},
		&cli.BoolFlag{Name: "rootless", Usage: "a spec for a container run by an unprivileged user"},
	},
	Action: func(c *cli.Context) error {
		dir := c.String("bundle")
		if dir == "" {
			dir = "."
		}
		path := filepath.Join(dir, "config.json")
		if _, err := os.Stat(path); err == nil {
			return fmt.Errorf("spec: %q already exists: remove it first", path)
		}
		spec := runtime.ExampleSpec()
		if c.Bool("rootless") {
			makeRootless(spec, os.Getuid(), os.Getgid())
		}
		data, err := json.MarshalIndent(spec, "", "\t")
		if err != nil {
			return err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("spec: %q already exists: remove it first", path)
		}
		if err != nil {
			return fmt.Errorf("spec: %w", err)
		}
		defer f.Close()
		_, err = f.Write(append(data, '\n'))
		return err
	},
}

// makeRootless maps the caller's ids to root in a user namespace and
// drops what an unprivileged user cannot have, as `runc spec --rootless`.
func makeRootless(spec *specs.Spec, uid, gid int) {
	spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	spec.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: uint32(uid), ContainerID: 0, Size: 1}}
	spec.Linux.GIDMappings = []specs.LinuxIDMapping{{HostID: uint32(gid), ContainerID: 0, Size: 1}}
	spec.Linux.Resources = nil

	var mounts []specs.Mount
	for _, m := range spec.Mounts {
		switch m.Destination {
		case "/sys":
			m = specs.Mount{Destination: "/sys", Type: "none", Source: "/sys",
				Options: []string{"rbind", "nosuid", "noexec", "nodev", "ro"}}
		case "/sys/fs/cgroup":
			continue
		case "/dev/pts":
			var opts []string
			for _, o := range m.Options {
				if o != "gid=5" {
					opts = append(opts, o)
				}
			}
			m.Options = opts
		}
		mounts = append(mounts, m)
	}
	spec.Mounts = mounts
}
