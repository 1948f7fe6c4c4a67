// Package cinit is a container's init in C. Importing it links a
// constructor into the binary that, when the environment names a sync fd
// (_HUSK_CINIT), reads a program of system calls from it, runs them and
// execs the container's process, all before the Go runtime starts: the
// container then costs no second Go runtime. The runtime package builds
// the programs (program.go) and decides when one can express a
// container's set-up; anything it cannot goes to the Go init. Without the
// variable the constructor returns at once.
package cinit

// #cgo CFLAGS: -Wall -Wextra -O2
// extern void husk_cinit(void);
// void __attribute__((constructor)) husk_cinit_init(void) { husk_cinit(); }
import "C"
