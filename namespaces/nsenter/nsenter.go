// Package nsenter joins namespaces by path before the Go runtime starts.
//
// setns(2) refuses to move a multithreaded process into a mount or user
// namespace, and every Go program has several threads by the time main
// runs. So a small C constructor, linked into the binary by importing this
// package, runs first: when the environment names a sync fd (see
// namespaces.EnvJoin), it reads the namespaces to join from it, joins them
// (the user namespace first), and, when one is a pid namespace, forks once
// more with CLONE_PARENT so the child is really inside it and is a child
// of the caller; the intermediate reports that child's pid and exits.
// Without the variable it returns at once and costs nothing.
//
// Import it for its side effect from every binary that starts containers:
//
//	import _ "husk/namespaces/nsenter"
package nsenter

// #cgo CFLAGS: -Wall -Wextra -O2
// extern void husk_nsenter(void);
// void __attribute__((constructor)) husk_nsenter_init(void) { husk_nsenter(); }
import "C"
