// Package engine is husk's daemonless container manager: it turns an image
// from the store into an OCI spec, runs it through package runtime, and
// keeps a record of each container (name, image, command, exit status)
// until it is removed.
//
// Everything of one container lives in two directories: ROOT/containers/ID
// (the record, the overlay's upper and work dirs and the rootfs mount
// point) and ROOT/run/ID (the runtime's state). The rootfs overlay is
// mounted inside the container's own mount namespace, so it disappears
// with the container even if husk is killed; a container run with --rm
// whose husk died is removed by the next husk command.
//
// Policy that belongs to husk and not to the OCI runtime lives here: the
// default spec, signal forwarding to a foreground container, and the
// terminal of `husk run -t`.
package engine
