// Package cinit encodes programs for the C init, husk-init
// (cmd/husk-init): a container's set-up as a list of system calls that
// husk-init runs before it execs the container's process, so that the
// container starts without a second Go runtime. The runtime package
// builds the programs (runtime/program.go) and decides when one can
// express a container's set-up; anything it cannot goes to the Go init.
package cinit

import (
	"encoding/binary"
	"strconv"
)

// Env is the variable that makes husk-init run a program from the sync fd
// it names.
const Env = "_HUSK_CINIT"

// Op is one operation of a program; cmd/husk-init/program.h documents
// each one's arguments.
type Op int

// The operations, numbered as in cmd/husk-init/program.h.
const (
	OpStep Op = iota + 1
	OpUnshare
	OpKeyring
	OpMount
	OpRoot
	OpMountIn
	OpChangeIn
	OpSetattrIn
	OpMknodIn
	OpSymlinkDev
	OpPivot
	OpReadonly
	OpMask
	OpRemountRO
	OpHostname
	OpDomainname
	OpLoopback
	OpWrite
	OpRlimit
	OpCwd
	OpLookup
	OpBounding
	OpSeccomp
	OpUmask
	OpUser
	OpNNP
	OpPdeathsig
	OpCloseFDs
	OpWaitStart
	OpWaitFifo
	OpExec
)

// Program is a sequence of operations for the C init, encoded as it reads
// them: "HUSKPROG", then strings, each a little-endian uint32 length, the
// bytes and a NUL; an operation is its number, its argument count and its
// arguments.
type Program struct {
	buf []byte
	ops int
}

// New returns an empty program.
func New() *Program {
	return &Program{buf: []byte("HUSKPROG")}
}

// Add appends op with its arguments.
func (p *Program) Add(op Op, args ...string) {
	p.str(strconv.Itoa(int(op)))
	p.str(strconv.Itoa(len(args)))
	for _, a := range args {
		p.str(a)
	}
	p.ops++
}

// Len returns the number of operations.
func (p *Program) Len() int { return p.ops }

// Bytes returns the encoded program.
func (p *Program) Bytes() []byte { return p.buf }

func (p *Program) str(s string) {
	p.buf = binary.LittleEndian.AppendUint32(p.buf, uint32(len(s)))
	p.buf = append(append(p.buf, s...), 0)
}

// Num formats an unsigned number argument.
func Num[T ~int | ~int64 | ~uint | ~uint32 | ~uint64 | ~uintptr](n T) string {
	return strconv.FormatUint(uint64(n), 10)
}
