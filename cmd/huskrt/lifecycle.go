package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"husk/runtime"
)

func specVersion() string { return specs.Version }

var createFlags = []cli.Flag{
	&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Usage: "the bundle directory (default: the current one)"},
	&cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master"},
	&cli.StringFlag{Name: "pid-file", Usage: "write the init's pid here"},
	&cli.BoolFlag{Name: "no-pivot", Usage: "not supported: huskrt always uses pivot_root"},
	&cli.BoolFlag{Name: "no-new-keyring", Usage: "keep the caller's session keyring"},
	&cli.IntFlag{Name: "preserve-fds", Usage: "pass this many fds after stderr to the process"},
}

var createCommand = &cli.Command{
	Name: "create", Usage: "create a container, held before its process runs",
	ArgsUsage: "ID", Flags: createFlags,
	Action: func(c *cli.Context) error {
		_, err := create(c, false)
		return err
	},
}

var startCommand = &cli.Command{
	Name: "start", Usage: "run the process of a created container", ArgsUsage: "ID",
	Action: func(c *cli.Context) error {
		rt, id, err := runtimeFor(c)
		if err != nil {
			return err
		}
		return rt.Start(id)
	},
}

var runCommand = &cli.Command{
	Name: "run", Usage: "create and start a container", ArgsUsage: "ID",
	Flags: append(append([]cli.Flag(nil), createFlags...),
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "do not wait for the container"},
		&cli.BoolFlag{Name: "keep", Usage: "do not delete the container after it exits"}),
	Action: runAction,
}

// create loads the bundle and creates the container; foreground keeps it
// a child of this process, to be waited for.
func create(c *cli.Context, foreground bool) (*runtime.Process, error) {
	id, err := oneID(c)
	if err != nil {
		return nil, err
	}
	if c.Bool("no-pivot") {
		return nil, errors.New("--no-pivot: not supported, huskrt always uses pivot_root")
	}
	bundle, spec, raw, err := loadBundle(c.String("bundle"))
	if err != nil {
		return nil, err
	}
	rt, err := openRuntime(c)
	if err != nil {
		return nil, err
	}

	p, err := rt.Create(runtime.CreateOptions{
		ID: id, Bundle: bundle, Spec: spec, SpecJSON: raw,
		Stdio:         runtime.Stdio{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr},
		ConsoleSocket: c.String("console-socket"), PidFile: c.String("pid-file"),
		PreserveFDs: c.Int("preserve-fds"), NoNewKeyring: c.Bool("no-new-keyring"),
		Foreground: foreground,
	})
	if err != nil {
		return nil, err
	}
	if !foreground {
		p.Release()
	}
	return p, nil
}

// loadBundle reads BUNDLE/config.json and makes the root path absolute.
// It returns the file's bytes too, which the runtime keeps as the spec.
func loadBundle(dir string) (string, *specs.Spec, []byte, error) {
	if dir == "" {
		dir = "."
	}
	bundle, err := filepath.Abs(dir)
	if err != nil {
		return "", nil, nil, fmt.Errorf("bundle %q: %w", dir, err)
	}
	data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		return "", nil, nil, fmt.Errorf("bundle %q: %w", bundle, err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		return "", nil, nil, fmt.Errorf("bundle %q: config.json: %w", bundle, err)
	}
	if spec.Root != nil && spec.Root.Path != "" && !filepath.IsAbs(spec.Root.Path) {
		spec.Root.Path = filepath.Join(bundle, spec.Root.Path)
	}
	return bundle, &spec, data, nil
}

var stateCommand = &cli.Command{
	Name: "state", Usage: "print a container's OCI state as JSON", ArgsUsage: "ID",
	Action: func(c *cli.Context) error {
		rt, id, err := runtimeFor(c)
		if err != nil {
			return err
		}
		st, err := rt.State(id)
		if err != nil {
			return err
		}
		return printJSON(stateJSON(st))
	},
}

// runcState is the state as `runc state` prints it, which containerd's
// go-runc parses.
type runcState struct {
	Version     string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	Status      string            `json:"status"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     string            `json:"created"`
	Owner       string            `json:"owner"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

func stateJSON(st *runtime.State) runcState {
	pid := st.Pid
	if st.Status == specs.StateStopped {
		pid = 0
	}
	return runcState{
		Version: st.Version, ID: st.ID, Pid: pid, Status: string(st.Status),
		Bundle: st.Bundle, Rootfs: st.Rootfs, Created: st.Created.Format("2006-01-02T15:04:05.999999999Z"),
		Owner: "", Annotations: st.Annotations,
	}
}

func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

var killCommand = &cli.Command{
	Name: "kill", Usage: "send a signal to a container's init (default SIGTERM)", ArgsUsage: "ID [SIGNAL]",
	Flags: []cli.Flag{&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "signal every process of the container"}},
	Action: func(c *cli.Context) error {
		id, err := oneID(c)
		if err != nil {
			return err
		}
		sig := unix.SIGTERM
		if c.NArg() > 1 {
			if sig, err = parseSignal(c.Args().Get(1)); err != nil {
				return err
			}
		}
		rt, err := openRuntime(c)
		if err != nil {
			return err
		}
		return rt.Kill(id, sig, c.Bool("all"))
	},
}

// parseSignal accepts "TERM", "SIGTERM", "15" and "SIGRTMIN+3".
func parseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, fmt.Errorf("signal %q: out of range", s)
		}
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if rest, ok := strings.CutPrefix(name, "SIGRTMIN+"); ok {
		n, err := strconv.Atoi(rest)
		if err == nil && n >= 0 && 34+n <= 64 {
			return syscall.Signal(34 + n), nil
		}
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("signal %q: unknown", s)
}

var deleteCommand = &cli.Command{
	Name: "delete", Usage: "delete a container", ArgsUsage: "ID",
	Flags: []cli.Flag{&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "kill a running container first"}},
	Action: func(c *cli.Context) error {
		rt, id, err := runtimeFor(c)
		if err != nil {
			return err
		}
		err = rt.Delete(id, c.Bool("force"))
		if errors.Is(err, runtime.ErrNotExist) && c.Bool("force") {
			return nil // runc's delete --force of a missing container succeeds
		}
		return err
	},
}
