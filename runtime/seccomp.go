package runtime

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"husk/internal/fsutil"
	"husk/seccomp"
)

// compileSeccomp puts the spec's seccomp profile, compiled in the parent,
// into the config; the init only loads it. It takes the result of
// startSeccomp when one was started.
func (c *initConfig) compileSeccomp() error {
	if c.Spec.Linux == nil || c.Spec.Linux.Seccomp == nil {
		return nil
	}
	compiled := c.seccomp
	if compiled == nil {
		compiled = startSeccomp(c.Spec.Linux.Seccomp, "")
	}
	r := <-compiled
	c.seccomp = nil
	if r.err != nil {
		return fmt.Errorf("linux.seccomp: %w", r.err)
	}
	c.SeccompBPF, c.SeccompFlags = encodeFilter(r.p.Filter), r.p.Flags
	return nil
}

type compiledSeccomp struct {
	p   *seccomp.Program
	err error
}

// startSeccomp compiles s on another goroutine: Docker's profile takes
// about half a millisecond here, which a create overlaps with making the
// cgroup. With a cache dir, a profile compiled before by this binary is
// read from there instead (see compileCached).
func startSeccomp(s *specs.LinuxSeccomp, cache string) chan compiledSeccomp {
	ch := make(chan compiledSeccomp, 1)
	go func() {
		p, err := compileCached(s, cache)
		ch <- compiledSeccomp{p, err}
	}()
	return ch
}

// seccompCacheMagic starts a cached filter file; the number changes with
// the file's layout.
const seccompCacheMagic = "husk seccomp 1\n"

// compileCached compiles s, keeping the filter in dir under a hash of the
// profile: every husk run compiled the same default profile again, which
// took its goroutine ~0.4 ms of the 2 CPUs here and held up the init's
// program now and then (husk run -0.4 ms, p50, with the cache). An entry
// also names the binary that compiled it (its inode and modification
// time), since another build may compile the profile differently; an
// entry that does not match or does not parse is compiled again and
// replaced. A cached program leaves Unknown empty. An empty dir compiles
// without a cache.
func compileCached(s *specs.LinuxSeccomp, dir string) (*seccomp.Program, error) {
	if dir == "" {
		return seccomp.Compile(s)
	}
	path, exe, err := seccompCacheEntry(s, dir)
	if err != nil {
		slog.Debug("seccomp cache unused", "error", err)
		return seccomp.Compile(s)
	}
	if p := readCachedFilter(path, exe); p != nil {
		return p, nil
	}

	p, err := seccomp.Compile(s)
	if err != nil {
		return nil, err
	}
	data := fmt.Appendf(nil, "%s%s\n%d\n", seccompCacheMagic, exe, p.Flags)
	data = append(data, encodeFilter(p.Filter)...)
	if err := os.MkdirAll(dir, 0o700); err == nil {
		err = fsutil.WriteFile(path, data, 0o600, false)
	}
	if err != nil {
		slog.Debug("seccomp cache not written", "error", err)
	}
	return p, nil
}

// seccompCacheEntry returns the cache file for s in dir and the identity
// of this binary that an entry must carry.
func seccompCacheEntry(s *specs.LinuxSeccomp, dir string) (path, exe string, err error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &st); err != nil {
		return "", "", fmt.Errorf("stat own binary: %w", err)
	}
	exe = fmt.Sprintf("%d:%d:%d.%d:%d", st.Dev, st.Ino, st.Mtim.Sec, st.Mtim.Nsec, st.Size)
	sum := sha256.Sum256(profileBytes(s))
	return filepath.Join(dir, hex.EncodeToString(sum[:16])), exe, nil
}

// profileBytes writes out every field of s, each string with its length,
// for the cache key: encoding/json took ~0.2 ms of reflection over the
// profile's types in a fresh process. TestProfileBytesCoversTheSpec
// fails when runtime-spec grows a field this does not write.
func profileBytes(s *specs.LinuxSeccomp) []byte {
	b := []byte(goruntime.GOARCH)
	str := func(v string) { b = append(strconv.AppendInt(append(b, ' '), int64(len(v)), 10), v...) }
	num := func(v uint64) { b = strconv.AppendUint(append(b, ' '), v, 10) }
	errno := func(p *uint) {
		if p == nil {
			str("-")
			return
		}
		num(uint64(*p))
	}

	str(string(s.DefaultAction))
	errno(s.DefaultErrnoRet)
	num(uint64(len(s.Architectures)))
	for _, a := range s.Architectures {
		str(string(a))
	}
	num(uint64(len(s.Flags)))
	for _, f := range s.Flags {
		str(string(f))
	}
	str(s.ListenerPath)
	str(s.ListenerMetadata)
	num(uint64(len(s.Syscalls)))
	for _, sc := range s.Syscalls {
		num(uint64(len(sc.Names)))
		for _, n := range sc.Names {
			str(n)
		}
		str(string(sc.Action))
		errno(sc.ErrnoRet)
		num(uint64(len(sc.Args)))
		for _, a := range sc.Args {
			num(uint64(a.Index))
			num(a.Value)
			num(a.ValueTwo)
			str(string(a.Op))
		}
	}
	return b
}

// readCachedFilter reads a filter compileCached wrote, or returns nil.
func readCachedFilter(path, exe string) *seccomp.Program {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	rest, ok := bytes.CutPrefix(data, []byte(seccompCacheMagic))
	if !ok {
		return nil
	}
	id, rest, ok := bytes.Cut(rest, []byte("\n"))
	if !ok || string(id) != exe {
		return nil
	}
	flags, filter, ok := bytes.Cut(rest, []byte("\n"))
	n, err := strconv.ParseUint(string(flags), 10, 32)
	if !ok || err != nil || len(filter) == 0 || len(filter)%8 != 0 {
		return nil
	}
	return &seccomp.Program{Filter: decodeFilter(filter), Flags: uint(n)}
}

// seccompProgram returns the program the parent compiled, or nil when the
// container has no profile.
func (c *initConfig) seccompProgram() *seccomp.Program {
	if len(c.SeccompBPF) == 0 {
		return nil
	}
	return &seccomp.Program{Filter: decodeFilter(c.SeccompBPF), Flags: c.SeccompFlags}
}

// encodeFilter packs instructions as struct sock_filter lays them out,
// eight bytes each, far smaller in the JSON config than one object each.
func encodeFilter(f []unix.SockFilter) []byte {
	b := make([]byte, 8*len(f))
	for i, in := range f {
		binary.LittleEndian.PutUint16(b[8*i:], in.Code)
		b[8*i+2], b[8*i+3] = in.Jt, in.Jf
		binary.LittleEndian.PutUint32(b[8*i+4:], in.K)
	}
	return b
}

func decodeFilter(b []byte) []unix.SockFilter {
	f := make([]unix.SockFilter, len(b)/8)
	for i := range f {
		f[i] = unix.SockFilter{
			Code: binary.LittleEndian.Uint16(b[8*i:]), Jt: b[8*i+2], Jf: b[8*i+3],
			K: binary.LittleEndian.Uint32(b[8*i+4:]),
		}
	}
	return f
}
