package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Message types exchanged between the parent and the init.
const (
	msgConfig  = "config"  // parent -> init: the initConfig
	msgConsole = "console" // init -> parent: pty master attached as SCM_RIGHTS
	msgReady   = "ready"   // init -> parent: set up, waiting for msgStart
	msgStart   = "start"   // parent -> init: go on to exec
	msgExec    = "exec"    // init -> parent: about to execve the user process
	msgError   = "error"   // init -> parent: a step failed
	msgHooks   = "hooks"   // init -> parent: mounts done, run prestart and createRuntime hooks
	msgHooksOK = "hooksOK" // parent -> init: they ran, go on
)

// message is one typed packet on the sync socket.
type message struct {
	Type  string `json:"type"`
	Step  string `json:"step,omitempty"`
	Error string `json:"error,omitempty"`
	Exit  int    `json:"exit,omitempty"`
	Pid   int    `json:"pid,omitempty"`
	// Times is the init's own account of its steps, for --debug.
	Times  string          `json:"times,omitempty"`
	Config json.RawMessage `json:"config,omitempty"`
}

// initError is the failure an msgError message reports.
func (m message) initError() error {
	return &InitError{Step: m.Step, Msg: m.Error, Exit: m.Exit}
}

// syncSocket is one end of the parent/init socket pair.
type syncSocket struct{ fd int }

// newSyncPair returns the parent's end and the init's end as a file, both
// close-on-exec; the init's end is handed over as an extra file.
func newSyncPair() (*syncSocket, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, os.NewSyscallError("socketpair", err)
	}
	return &syncSocket{fd: fds[0]}, os.NewFile(uintptr(fds[1]), "husk-sync"), nil
}

// send writes m as one packet, passing fds along with it.
func (s *syncSocket) send(m message, fds ...int) error {
	data, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode %s message: %w", m.Type, err)
	}

	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	// MSG_NOSIGNAL: a parent that has gone (huskrt create exits once the
	// init is ready) is an EPIPE error, not a signal.
	if err := unix.Sendmsg(s.fd, data, oob, nil, unix.MSG_NOSIGNAL); err != nil {
		return fmt.Errorf("send %s message: %w", m.Type, os.NewSyscallError("sendmsg", err))
	}
	return nil
}

// recv reads one packet. It returns io.EOF once the other end is closed,
// which for the parent means the init has exec'd or died.
func (s *syncSocket) recv() (message, []int, error) {
	size, err := s.peekSize()
	if err != nil {
		return message{}, nil, err
	}

	buf := make([]byte, size)
	oob := make([]byte, unix.CmsgSpace(4*4))
	n, oobn, _, _, err := unix.Recvmsg(s.fd, buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return message{}, nil, os.NewSyscallError("recvmsg", err)
	}
	if n == 0 {
		return message{}, nil, io.EOF
	}

	fds, err := parseRights(oob[:oobn])
	if err != nil {
		return message{}, nil, err
	}
	var m message
	if err := json.Unmarshal(buf[:n], &m); err != nil {
		return message{}, nil, fmt.Errorf("decode sync message: %w", err)
	}
	m.Error = errnoWords(m.Error)
	return m, fds, nil
}

// errnoWords puts words in place of the error numbers in a message from
// the C code (cmd/husk-init), which marks number N as
// "\x01N\x02": Go's words for it, so both inits word an error alike
// whatever libc husk-init is linked with.
func errnoWords(msg string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(msg, '\x01')
		j := strings.IndexByte(msg[i+1:], '\x02')
		if i < 0 || j < 0 {
			break
		}
		n, err := strconv.Atoi(msg[i+1 : i+1+j])
		if err != nil {
			break
		}
		b.WriteString(msg[:i])
		b.WriteString(syscall.Errno(n).Error())
		msg = msg[i+1+j+1:]
	}
	b.WriteString(msg)
	return b.String()
}

// peekSize returns the size of the next packet without consuming it, so a
// large config is read whole into a buffer of the right size.
func (s *syncSocket) peekSize() (int, error) {
	for {
		n, _, err := unix.Recvfrom(s.fd, nil, unix.MSG_PEEK|unix.MSG_TRUNC)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return 0, os.NewSyscallError("recvfrom", err)
		}
		if n == 0 {
			return 0, io.EOF
		}
		return n, nil
	}
}

func parseRights(oob []byte) ([]int, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	cmsgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("parse control message: %w", err)
	}
	var fds []int
	for _, c := range cmsgs {
		got, err := unix.ParseUnixRights(&c)
		if err != nil {
			return nil, fmt.Errorf("parse SCM_RIGHTS: %w", err)
		}
		fds = append(fds, got...)
	}
	return fds, nil
}

func (s *syncSocket) close() {
	if s.fd >= 0 {
		unix.Close(s.fd)
		s.fd = -1
	}
}

// InitError is a failure inside the container's init, reported by the init
// over the sync socket. Step names what it was doing.
type InitError struct {
	Step string
	Msg  string
	// Exit is the status the caller should exit with: 127 when the
	// command was not found, 126 when it could not be executed, else 0.
	Exit int
}

func (e *InitError) Error() string {
	return fmt.Sprintf("container init: %s: %s", e.Step, e.Msg)
}
