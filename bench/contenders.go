package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// The contenders' names, as the report shows them.
const (
	NameHusk      = "husk run --rm"
	NameHuskrt    = "huskrt create+start+delete"
	NameHuskrtRun = "huskrt run"
	NameRunc      = "runc run"
	NameCrun      = "crun run"
	NameFloor     = "unshare (floor)"
	NameVM        = "qemu microvm"

	// The memory test's fleets of idle containers.
	NameHuskIdle   = "husk run (background)"
	NameHuskrtIdle = "huskrt run -d"
	NameRuncIdle   = "runc run -d"
	NameCrunIdle   = "crun run -d"
)

// Contender is one way of running /bin/true, measured from the command
// being issued to the process's exit.
type Contender struct {
	Name    string
	Command string // what runs, for the report
	// Runs is how many times it runs; 0 means once per round.
	Runs int
	// Timeout bounds one run.
	Timeout time.Duration
	// Run runs /bin/true once, to its end, and cleans up after itself.
	Run func(ctx context.Context) error
}

// env is what the contenders run on: the binaries, the image and bundles
// prepared in the benchmark's temp dir.
type env struct {
	tag     string // in every container id, so leftovers are recognizable
	tmp     string
	husk    string
	huskrt  string
	tools   Tools
	store   string // husk --root
	image   string // the image's name in store
	bundle  string // rootfs plus config.json running /bin/true
	sleeper string // the same rootfs, config.json running sleep 3600
	rt      *runner
	seq     atomic.Int64
}

// id returns a new container id for kind.
func (e *env) id(kind string) string {
	return fmt.Sprintf("husk-bench-%s-%s-%d", e.tag, kind, e.seq.Add(1))
}

// stateRoot is the --root of an OCI runtime: a directory of the
// benchmark's own, so a force-delete of all its containers at the end
// touches no one else's.
func (e *env) stateRoot(runtime string) string {
	return filepath.Join(e.tmp, "state", runtime)
}

func (e *env) huskContender() Contender {
	// --network none: a loopback only, as the OCI bundle gives the
	// other runtimes; the default bridge would add a veth, an address and
	// NAT rules to every run, and touch the host's network.
	argv := []string{e.husk, "--root", e.store, "run", "--rm", "--network", "none", e.image, "/bin/true"}
	return Contender{
		Name: NameHusk, Command: "husk run --rm --network none IMAGE /bin/true", Timeout: 30 * time.Second,
		Run: func(ctx context.Context) error { return e.rt.run(ctx, argv...) },
	}
}

// huskrtContender runs the container in the four steps a container
// manager takes (containerd's shim does): create, start, wait for the
// init's exit, delete.
func (e *env) huskrtContender() Contender {
	root := e.stateRoot("huskrt")
	pidFile := filepath.Join(e.tmp, "huskrt.pid")
	return Contender{
		Name: NameHuskrt, Command: "huskrt create; huskrt start; wait; huskrt delete", Timeout: 30 * time.Second,
		Run: func(ctx context.Context) error {
			id := e.id("huskrt")
			if err := e.rt.run(ctx, e.huskrt, "--root", root, "create", "--bundle", e.bundle, "--pid-file", pidFile, id); err != nil {
				e.forceDelete(e.huskrt, root, id)
				return err
			}
			pid, err := readPid(pidFile)
			if err == nil {
				err = e.rt.run(ctx, e.huskrt, "--root", root, "start", id)
			}
			if err == nil {
				err = waitExit(ctx, pid)
			}
			if err != nil {
				e.forceDelete(e.huskrt, root, id)
				return err
			}
			return e.rt.run(ctx, e.huskrt, "--root", root, "delete", id)
		},
	}
}

// ociRunContender runs `RUNTIME run`, which creates, starts, waits and
// deletes in one command, as runc's users most often call it.
func (e *env) ociRunContender(name, binary, kind string) Contender {
	root := e.stateRoot(kind)
	return Contender{
		Name: name, Command: kind + " run --bundle BUNDLE ID", Timeout: 30 * time.Second,
		Run: func(ctx context.Context) error {
			id := e.id(kind)
			err := e.rt.run(ctx, binary, "--root", root, "run", "--bundle", e.bundle, id)
			if err != nil {
				e.forceDelete(binary, root, id)
			}
			return err
		},
	}
}

// floorContender is the least any container can cost here: unshare(1)
// creating the same namespaces and a /proc, with no rootfs, cgroup or
// state at all (DESIGN.md).
func (e *env) floorContender() Contender {
	argv := []string{e.tools.Unshare, "-mpuinf", "--mount-proc", "/bin/true"}
	return Contender{
		Name: NameFloor, Command: "unshare -mpuinf --mount-proc /bin/true", Timeout: 30 * time.Second,
		Run: func(ctx context.Context) error { return e.rt.run(ctx, argv...) },
	}
}

// forceDelete removes a container whatever its state, ignoring errors:
// it is the clean-up after a failed run.
func (e *env) forceDelete(binary, root, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e.rt.run(ctx, binary, "--root", root, "delete", "--force", id)
}

// refusal turns a contender's first failure into a skip reason, naming
// the known cause when there is one.
func refusal(name string, err error) string {
	msg := err.Error()
	if name == NameCrun && strings.Contains(msg, "hybrid") {
		return "crun refuses hybrid cgroup hosts (" + lastLine(msg) + ")"
	}
	return msg
}

func lastLine(s string) string {
	if i := strings.LastIndex(s, " | "); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.LastIndex(s, ": "); i >= 0 && len(s)-i < 200 {
		return strings.TrimSpace(s[i+2:])
	}
	return s
}
