package engine

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"husk/console"
	"husk/image"
	"husk/rootfs"
	"husk/runtime"
)

// RunOptions describe `husk run`.
type RunOptions struct {
	Image string // a name in the store, or oci:DIR[:REF]
	Name  string
	// Network is bridge (the default), none, host, container:NAME or a
	// user network; Ports are -p mappings.
	Network string
	Ports   []string
	ProcessOptions
	Interactive bool
	Remove      bool

	Stdin, Stdout, Stderr *os.File
}

// Run creates a container from an image, runs it in the foreground with
// signals forwarded, and returns its exit code (128+N when it died of
// signal N). The container is removed afterwards when o.Remove is set.
func (e *Engine) Run(o RunOptions) (int, error) {
	if o.TTY && o.Interactive && !console.IsTerminal(o.Stdin) {
		return 0, errors.New("-it: the input device is not a terminal: drop -t, or run husk from a terminal")
	}
	fwd := catchSignals()
	defer fwd.stop()

	start := time.Now()
	if _, _, ok := parseOCIRef(o.Image); ok {
		fwd.armed() // an import writes to the store
	}
	img, err := e.resolveImage(o.Image)
	if err != nil {
		return 0, err
	}
	fwd.armed()
	if sig := fwd.interrupted(); sig != 0 {
		return 128 + int(sig), nil
	}
	slog.Debug("image resolved", "image", o.Image, "id", img.ID, "took", time.Since(start))
	id := newID()
	if o.Hostname == "" {
		o.Hostname = defaultHostname(o.Network, id)
	}
	spec, err := buildSpec(img.Config.Config, o.ProcessOptions, e.mountPoint())
	if err != nil {
		return 0, err
	}
	c, err := e.create(img, o, id, spec.Process.Args)
	if err != nil {
		return 0, err
	}
	slog.Debug("container record made", "container", c.ID, "name", c.Name, "took", time.Since(start))

	code, err := e.runCreated(c, img, spec, o, fwd)
	slog.Debug("container exited", "container", c.ID, "code", code, "took", time.Since(start))
	if o.Remove || err != nil {
		// Without an error the container has exited: wait saw it go.
		rmErr := e.remove(c.ID, true, err == nil)
		if rmErr != nil && o.Remove && c.Finished != nil {
			e.saveRecord(c) // it stays: say how it ended
		}
		if rmErr != nil && err == nil {
			err = rmErr
		}
		slog.Debug("container removed", "container", c.ID, "took", time.Since(start))
	} else if endErr := e.recordEnd(c); endErr != nil {
		err = endErr
	}
	return code, err
}

// recordEnd releases the network of a container that stays after its
// exit and records how it ended.
func (e *Engine) recordEnd(c *Container) error {
	if err := e.net.Detach(c.ID); err != nil {
		return err
	}
	// A `husk rm -f` from elsewhere may have removed the container.
	if _, err := os.Stat(e.containerDir(c.ID)); err != nil {
		return nil
	}
	return e.saveRecord(c)
}

// defaultHostname is the container's short id, or, for a container on
// the host's network, the host's name, as Docker has it.
func defaultHostname(network, id string) string {
	if network == NetworkHost {
		if name, err := os.Hostname(); err == nil {
			return name
		}
	}
	return ShortID(id)
}

// resolveImage finds the image in the store, importing an oci:DIR[:REF]
// layout first.
func (e *Engine) resolveImage(ref string) (*image.Image, error) {
	if dir, sel, ok := parseOCIRef(ref); ok {
		return e.Images.Import(dir, image.ImportOptions{Ref: sel, NoTag: true})
	}
	return e.Images.Get(ref)
}

// create makes the container's directories and record under the engine
// lock, so two runs cannot take the same name.
func (e *Engine) create(img *image.Image, o RunOptions, id string, cmd []string) (*Container, error) {
	unlock, err := e.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()

	c := &Container{ID: id, Name: o.Name, Image: o.Image, ImageID: string(img.ID),
		Command: cmd, Created: time.Now().UTC(), AutoRemove: o.Remove, Creator: runtime.Self()}
	if c.Name == "" {
		c.Name = "husk-" + ShortID(c.ID)
	}
	if err := checkName(c.Name); err != nil {
		return nil, err
	}
	if used, err := e.nameInUse(c.Name); err != nil {
		return nil, err
	} else if used {
		return nil, fmt.Errorf("container name %q is already in use", c.Name)
	}

	dir := e.containerDir(c.ID)
	// The upper dir's mode becomes the mode of the container's "/".
	for _, d := range []string{dir, filepath.Join(dir, "upper"), filepath.Join(dir, "work")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("create container dir: %w", err)
		}
	}
	if err := e.saveRecord(c); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

// runCreated runs a created container to its end and records the result.
func (e *Engine) runCreated(c *Container, img *image.Image, spec *specs.Spec, o RunOptions, fwd *forwarder) (int, error) {
	dir := e.containerDir(c.ID)
	plan, err := e.planNetwork(c, o, spec)
	if err != nil {
		return 0, err
	}
	var above []string
	if targets, err := e.Images.MountTargets(img, mountTargets()); err == nil {
		above = []string{targets}
	} else {
		// The init makes the targets in the container's upper dir then.
		slog.Debug("no mount targets layer", "error", err)
	}
	mount := e.Images.RootfsMount(img, filepath.Join(dir, "upper"), filepath.Join(dir, "work"), above...)
	if o.Remove {
		// The upper dir goes with the container, so overlay need not sync
		// it: without "volatile", unmounting the rootfs when the container
		// exits syncs the whole host filesystem under the store (husk's
		// fresh state files included), which cost ~3 ms of every --rm run
		// here. podman does the same for --rm.
		mount.Options = append(mount.Options, "volatile")
	}

	// As in Docker, the default user is root as /etc/passwd and
	// /etc/group describe it, supplementary groups included.
	user := o.User
	if user == "" {
		user = img.Config.Config.User
	}
	if user == "" {
		user = "0"
	}

	term, err := console.New(o.Stdin, o.Stdout, o.TTY, o.Interactive)
	if err != nil {
		return 0, err
	}
	defer term.Restore()
	if o.TTY {
		spec.Process.ConsoleSize = term.Size()
	}

	// The parent-death signal is tied to the thread that clones the init:
	// keep this goroutine on it until the container has exited.
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()

	created := time.Now()
	ctr, err := e.runtime.Create(runtime.CreateOptions{
		ID: c.ID, Bundle: dir, Spec: spec, RootMount: &mount, User: user,
		Stdio: runtime.Stdio{Stdin: term.Stdin(), Stdout: o.Stdout, Stderr: o.Stderr},
		// husk starts, waits for and removes the container here, and has
		// no exec: no later command reads a copy of the spec.
		Foreground: true, KillWithParent: true, NoSpecCopy: true,
	})
	if err != nil {
		return exitCodeOf(err), err
	}
	slog.Debug("init ready", "container", c.ID, "took", time.Since(created))
	err = e.attach(c, plan, ctr, o.Hostname)
	slog.Debug("network attached", "container", c.ID, "took", time.Since(created))
	if err == nil {
		err = ctr.StartForeground()
	}
	slog.Debug("process started", "container", c.ID, "took", time.Since(created))
	if err != nil {
		ctr.Signal(unix.SIGKILL)
		ctr.Wait()
		return exitCodeOf(err), err
	}
	return e.wait(c, ctr, term, fwd)
}

// wait forwards signals and the terminal until the container exits.
func (e *Engine) wait(c *Container, ctr *runtime.Process, term *console.Terminal, fwd *forwarder) (int, error) {
	fwd.forward(ctr, term)
	copied := term.Attach(ctr.Console)

	code, err := ctr.Wait()
	fwd.stop()
	<-copied
	if sig := fwd.killedBy(); sig != 0 {
		code = 128 + int(sig)
	}
	if code == 128+int(unix.SIGKILL) && e.oomKilled(c.ID) {
		fmt.Fprintf(os.Stderr, "husk: container %s was killed: out of memory\n", c.Name)
	}

	now := time.Now().UTC()
	c.Finished, c.ExitCode = &now, &code
	return code, err
}

// exitCodeOf is husk's exit status for a failure to start: the shell's
// 126 or 127 when the command could not be run, else 125.
func exitCodeOf(err error) int {
	var ie *runtime.InitError
	if errors.As(err, &ie) && ie.Exit != 0 {
		return ie.Exit
	}
	return 125
}

// mountTargets are where every container of husk run has a mount on its
// overlay rootfs: the default mounts not inside another one (/proc, /dev,
// /sys) and the /etc files bindEtc mounts. The image store makes those an
// image lacks once per image (image.Store.MountTargets) rather than the
// init in each container's upper dir.
func mountTargets() []image.Target {
	defaults := rootfs.DefaultMounts()
	var targets []image.Target
	for _, m := range defaults {
		nested := false
		for _, o := range defaults {
			nested = nested || strings.HasPrefix(m.Destination, o.Destination+"/")
		}
		if !nested {
			targets = append(targets, image.Target{Path: m.Destination, Dir: true})
		}
	}
	for _, f := range etcFiles {
		targets = append(targets, image.Target{Path: f})
	}
	return targets
}
