package runtime

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// initConfig is everything the init needs, sent as the first message on the
// sync socket. The spec is used as it is: there is no second config model.
type initConfig struct {
	Spec *specs.Spec `json:"spec"`

	// RootMount, when set, is mounted at Spec.Root.Path (an overlay of an
	// image's layers); when nil the rootfs directory is bind-mounted.
	RootMount *specs.Mount `json:"rootMount,omitempty"`

	// User, when set, is a user spec ("name", "uid:gid", "name:group")
	// resolved from the container's own /etc/passwd and /etc/group; it
	// replaces Spec.Process.User's uid, gid and additional gids.
	User string `json:"user,omitempty"`

	// WaitStart makes the init report msgReady and wait for msgStart
	// before it execs, so the parent can finish host-side set-up.
	WaitStart bool `json:"waitStart,omitempty"`

	// Pdeathsig, when non-zero, is set again after the init changes its
	// credentials (which clears it), so the container dies with its parent.
	Pdeathsig int `json:"pdeathsig,omitempty"`
}
