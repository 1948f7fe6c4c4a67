package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"husk/runtime"
	"husk/seccomp"
)

func seccompFeatures() *features.Seccomp { return seccomp.Features() }

var pauseCommand = &cli.Command{
	Name: "pause", Usage: "freeze every process of a container", ArgsUsage: "ID",
	Action: func(c *cli.Context) error { return freeze(c, true) },
}

var resumeCommand = &cli.Command{
	Name: "resume", Usage: "thaw a paused container", ArgsUsage: "ID",
	Action: func(c *cli.Context) error { return freeze(c, false) },
}

func freeze(c *cli.Context, pause bool) error {
	rt, id, err := runtimeFor(c)
	if err != nil {
		return err
	}
	cg, st, err := rt.Cgroup(id)
	if err != nil {
		return err
	}
	switch {
	case pause && st.Status != specs.StateRunning:
		return fmt.Errorf("container %q is %s: only a running container can be paused", id, st.Status)
	case !pause && st.Status != runtime.StatePaused:
		return fmt.Errorf("container %q is %s: only a paused container can be resumed", id, st.Status)
	case pause:
		return cg.Freeze()
	}
	return cg.Thaw()
}

var updateCommand = &cli.Command{
	Name: "update", Usage: "change a running container's resource limits", ArgsUsage: "ID",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "resources", Aliases: []string{"r"}, Usage: "a JSON file of linux.resources (- for stdin)"},
		&cli.StringFlag{Name: "memory", Usage: "memory limit (bytes, or with k, m, g)"},
		&cli.StringFlag{Name: "memory-reservation", Usage: "memory soft limit"},
		&cli.StringFlag{Name: "memory-swap", Usage: "memory plus swap limit (-1 for unlimited)"},
		&cli.StringFlag{Name: "kernel-memory", Usage: "ignored, as in runc: the kernel no longer limits it"},
		&cli.Uint64Flag{Name: "cpu-shares", Usage: "relative CPU weight"},
		&cli.Int64Flag{Name: "cpu-quota", Usage: "CPU time per period, in µs (-1 for none)"},
		&cli.Uint64Flag{Name: "cpu-period", Usage: "CPU period, in µs"},
		&cli.Int64Flag{Name: "cpu-rt-runtime", Usage: "realtime CPU time per period, in µs"},
		&cli.Uint64Flag{Name: "cpu-rt-period", Usage: "realtime CPU period, in µs"},
		&cli.StringFlag{Name: "cpuset-cpus", Usage: "CPUs to run on (0-3, 0,1)"},
		&cli.StringFlag{Name: "cpuset-mems", Usage: "memory nodes to use"},
		&cli.Int64Flag{Name: "pids-limit", Usage: "maximum number of processes (-1 for none)"},
		&cli.UintFlag{Name: "blkio-weight", Usage: "relative block I/O weight (10-1000)"},
		&cli.StringFlag{Name: "l3-cache-schema", Usage: "not supported (Intel RDT)"},
	},
	Action: updateAction,
}

func updateAction(c *cli.Context) error {
	rt, id, err := runtimeFor(c)
	if err != nil {
		return err
	}
	cg, st, err := rt.Cgroup(id)
	if err != nil {
		return err
	}
	if st.Status == specs.StateStopped {
		return fmt.Errorf("container %q is not running", id)
	}

	res, err := updateResources(c)
	if err != nil {
		return err
	}
	// Devices are left as created: rewriting them would deny every
	// device for a moment on cgroup v1.
	res.Devices = nil
	return cg.Apply(res)
}

// updateResources reads --resources, or builds the resources from flags.
func updateResources(c *cli.Context) (*specs.LinuxResources, error) {
	var res specs.LinuxResources
	if path := c.String("resources"); path != "" {
		var r io.Reader = os.Stdin
		if path != "-" {
			f, err := os.Open(path)
			if err != nil {
				return nil, fmt.Errorf("--resources: %w", err)
			}
			defer f.Close()
			r = f
		}
		if err := json.NewDecoder(r).Decode(&res); err != nil {
			return nil, fmt.Errorf("--resources %q: %w", path, err)
		}
		return &res, nil
	}
	if c.String("l3-cache-schema") != "" {
		return nil, errors.New("--l3-cache-schema: Intel RDT is not supported")
	}
	return resourcesFromFlags(c)
}

var eventsCommand = &cli.Command{
	Name: "events", Usage: "report a container's OOM kills and stats as JSON lines", ArgsUsage: "ID",
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "stats", Usage: "print the stats once and exit"},
		&cli.DurationFlag{Name: "interval", Value: 5 * time.Second, Usage: "time between stats"},
	},
	Action: eventsAction,
}

// event is one line of `events`, in runc's shape.
type event struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Data any    `json:"data,omitempty"`
}

func eventsAction(c *cli.Context) error {
	rt, id, err := runtimeFor(c)
	if err != nil {
		return err
	}
	cg, _, err := rt.Cgroup(id)
	if err != nil {
		return err
	}
	if d := c.Duration("interval"); d <= 0 {
		return fmt.Errorf("--interval %s: must be positive", d)
	}

	enc := json.NewEncoder(os.Stdout)
	if c.Bool("stats") {
		s, err := cg.Stats()
		if err != nil {
			return err
		}
		return enc.Encode(event{Type: "stats", ID: id, Data: s})
	}
	return streamEvents(c, rt, id, enc)
}

// streamEvents prints stats every interval and an "oom" event whenever
// the OOM kill count grows, until the container stops or a signal comes.
func streamEvents(c *cli.Context, rt *runtime.Runtime, id string, enc *json.Encoder) error {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, unix.SIGINT, unix.SIGTERM)
	tick := time.NewTicker(c.Duration("interval"))
	defer tick.Stop()

	var ooms uint64
	for {
		cg, st, err := rt.Cgroup(id)
		if err != nil || st.Status == specs.StateStopped {
			return nil
		}
		s, err := cg.Stats()
		if err != nil {
			return err
		}
		if s.OOMKills > ooms {
			ooms = s.OOMKills
			enc.Encode(event{Type: "oom", ID: id})
		}
		enc.Encode(event{Type: "stats", ID: id, Data: s})
		select {
		case <-stop:
			return nil
		case <-tick.C:
		}
	}
}
