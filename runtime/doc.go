// Package runtime runs containers from an OCI runtime spec: it starts each
// container's init, keeps the container's state on disk, and holds the code
// that runs inside the init until the user process is exec'd.
//
// The process model has three stages. The parent is the husk or huskrt
// process: it clones the init with the spec's CLONE_NEW* flags, executing
// husk-init (cmd/husk-init, which runs a program of system calls, see
// package cinit) or its own binary (the Go init), in each case through a
// read-only clone of the binary, so the container can never write to the
// host binary through /proc/PID/exe; it talks to the init over one
// SOCK_SEQPACKET socket with typed JSON messages. The Go init reads its
// config from that socket, sets up the root filesystem
// (package rootfs), hostname, console, rlimits, user and capabilities, and
// execve's the user process, which is then pid 1 of the container. Every
// failure in the init reaches the parent as an error naming its step.
//
// A binary that uses this package must call IsInit and Init at the very
// start of main, before doing anything else.
//
// State lives in one directory per container under the runtime's root:
// state.json (written atomically) and a lock file taken with flock for
// every change.
package runtime
