package runtime

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// initConfig is everything the init needs, sent as the first message on the
// sync socket. The spec is used as it is: there is no second config model.
type initConfig struct {
	Spec *specs.Spec `json:"spec"`

	ID     string `json:"id"`
	Bundle string `json:"bundle"`
	// Pid is the init's pid on the host, for the state hooks receive.
	Pid int `json:"pid"`

	// RootMount, when set, is mounted at Spec.Root.Path (an overlay of an
	// image's layers); when nil the rootfs directory is bind-mounted.
	RootMount *specs.Mount `json:"rootMount,omitempty"`

	// User, when set, is a user spec ("name", "uid:gid", "name:group")
	// resolved from the container's own /etc/passwd and /etc/group; it
	// replaces Spec.Process.User's uid, gid and additional gids.
	User string `json:"user,omitempty"`

	// WaitStart makes the init report msgReady and wait for msgStart
	// on the socket before it execs (husk run, huskrt run).
	WaitStart bool `json:"waitStart,omitempty"`

	// ExecFifo, when non-zero, is the init's fd of the exec fifo (opened
	// O_PATH): after msgReady the init opens it for writing, which blocks
	// until `start` opens it for reading (huskrt create).
	ExecFifo int `json:"execFifo,omitempty"`

	// Exec marks a process joining a running container: the namespaces
	// are joined already, so no rootfs, hostname or network set-up.
	Exec bool `json:"exec,omitempty"`

	// PreserveFDs is how many fds after stderr pass to the process.
	PreserveFDs int `json:"preserveFds,omitempty"`

	// NoNewKeyring keeps the caller's session keyring instead of giving
	// the container one of its own.
	NoNewKeyring bool `json:"noNewKeyring,omitempty"`

	// SeccompBPF is the spec's seccomp profile compiled by the parent
	// (see compileSeccomp), with its flags.
	SeccompBPF   []byte `json:"seccompBpf,omitempty"`
	SeccompFlags uint   `json:"seccompFlags,omitempty"`

	// UnshareCgroup makes the init create its cgroup namespace itself,
	// after the parent has put it into its cgroup.
	UnshareCgroup bool `json:"unshareCgroup,omitempty"`

	// Pdeathsig, when non-zero, is set again after the init changes its
	// credentials (which clears it), so the container dies with its parent.
	Pdeathsig int `json:"pdeathsig,omitempty"`

	// seccomp, when set, delivers the profile compiled in the background
	// (see compileSeccomp).
	seccomp chan compiledSeccomp

	// joinTasks are the v1 cgroup "tasks" files the C init writes "0" to
	// before anything else (see cgroups.Manager.CloneJoining).
	joinTasks []string
}

// state returns the OCI state that hooks run by the init receive.
func (c *initConfig) state(status specs.ContainerState) *specs.State {
	return &specs.State{
		Version: specs.Version, ID: c.ID, Status: status, Pid: c.Pid,
		Bundle: c.Bundle, Annotations: c.Spec.Annotations,
	}
}
