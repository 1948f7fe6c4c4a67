package runtime

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"husk/seccomp"
)

// TestSeccompSurvivesTheConfig checks that the program the parent
// compiles reaches the init unchanged through its byte encoding.
func TestSeccompSurvivesTheConfig(t *testing.T) {
	spec := &specs.Spec{Linux: &specs.Linux{Seccomp: seccomp.DefaultProfile()}}
	cfg := &initConfig{Spec: spec}
	if err := cfg.compileSeccomp(); err != nil {
		t.Fatal(err)
	}
	want, err := seccomp.Compile(spec.Linux.Seccomp)
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.seccompProgram()
	if !reflect.DeepEqual(got.Filter, want.Filter) || got.Flags != want.Flags {
		t.Fatalf("decoded program differs: %d instructions, want %d", len(got.Filter), len(want.Filter))
	}
	if (&initConfig{Spec: &specs.Spec{}}).seccompProgram() != nil {
		t.Fatal("a spec without seccomp got a program")
	}
}

func BenchmarkStateSaveLoad(b *testing.B) {
	rt, err := New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	st := &State{State: specs.State{ID: "bench", Status: specs.StateRunning, Pid: 1, Bundle: "/b"}}
	if err := checkID(st.ID); err != nil {
		b.Fatal(err)
	}
	mkdir(b, rt.dir(st.ID))
	for i := 0; i < b.N; i++ {
		if err := rt.save(st); err != nil {
			b.Fatal(err)
		}
		if _, err := rt.State(st.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuildProgram compiles the C init's program for the example
// spec with Docker's seccomp profile, over a rootfs with a passwd file:
// the parent's work between the cgroup and the clone.
func BenchmarkBuildProgram(b *testing.B) {
	root := b.TempDir()
	mkdir(b, filepath.Join(root, "etc"))
	if err := os.WriteFile(filepath.Join(root, "etc", "passwd"), []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	spec := ExampleSpec()
	spec.Root.Path = root
	spec.Linux.Seccomp = seccomp.DefaultProfile()
	cfg := &initConfig{Spec: spec, ID: "bench", WaitStart: true}
	if err := cfg.compileSeccomp(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := buildProgram(cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSeccompCache checks that a cached filter is the one the compiler
// makes, that the cache is what a later compile reads, and that an entry
// another binary wrote, or a broken one, is compiled again.
func TestSeccompCache(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	profile := seccomp.DefaultProfile()
	want, err := seccomp.Compile(profile)
	if err != nil {
		t.Fatal(err)
	}
	same := func(p *seccomp.Program, want *seccomp.Program) bool {
		return p != nil && reflect.DeepEqual(p.Filter, want.Filter) && p.Flags == want.Flags
	}
	if got, err := compileCached(profile, dir); err != nil || !same(got, want) {
		t.Fatalf("first compile: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("cache holds %v, want one entry", entries)
	}
	entry := filepath.Join(dir, entries[0].Name())
	good, err := os.ReadFile(entry)
	if err != nil {
		t.Fatal(err)
	}

	// A later compile reads the entry: one made to differ shows it.
	other := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActErrno}}}
	small, err := seccomp.Compile(other)
	if err != nil {
		t.Fatal(err)
	}
	head := good[:len(good)-8*len(want.Filter)]
	if err := os.WriteFile(entry, append(head[:len(head):len(head)], encodeFilter(small.Filter)...), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, _ := compileCached(profile, dir); !same(got, small) {
		t.Fatal("the cached filter was not read")
	}

	// Another binary's entry, and a broken one, are replaced.
	for _, bad := range [][]byte{
		[]byte(seccompCacheMagic + "1:2:3.4:5\n0\n" + string(encodeFilter(small.Filter))),
		good[:len(good)-3],
	} {
		if err := os.WriteFile(entry, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		if got, err := compileCached(profile, dir); err != nil || !same(got, want) {
			t.Fatalf("after a bad entry: %v", err)
		}
		if b, _ := os.ReadFile(entry); string(b) != string(good) {
			t.Fatal("the bad entry was not replaced")
		}
	}

	// Another profile has its own entry.
	if got, err := compileCached(other, dir); err != nil || !same(got, small) {
		t.Fatalf("other profile: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Fatalf("cache holds %v, want two entries", entries)
	}
}

// TestProfileBytesCoversTheSpec checks that the cache key writes every
// field of the seccomp types, and that a change of any field changes it.
func TestProfileBytesCoversTheSpec(t *testing.T) {
	written := map[reflect.Type][]string{
		reflect.TypeFor[specs.LinuxSeccomp](): {"DefaultAction", "DefaultErrnoRet", "Architectures",
			"Flags", "ListenerPath", "ListenerMetadata", "Syscalls"},
		reflect.TypeFor[specs.LinuxSyscall]():    {"Names", "Action", "ErrnoRet", "Args"},
		reflect.TypeFor[specs.LinuxSeccompArg](): {"Index", "Value", "ValueTwo", "Op"},
	}
	for typ, fields := range written {
		var have []string
		for f := range typ.Fields() {
			have = append(have, f.Name)
		}
		if !reflect.DeepEqual(have, fields) {
			t.Errorf("%s has fields %v; profileBytes writes %v", typ, have, fields)
		}
	}

	one := uint(1)
	base := func() *specs.LinuxSeccomp {
		return &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{
			{Names: []string{"a", "b"}, Action: specs.ActAllow,
				Args: []specs.LinuxSeccompArg{{Index: 1, Value: 2, ValueTwo: 3, Op: specs.OpEqualTo}}}}}
	}
	changes := []func(*specs.LinuxSeccomp){
		func(s *specs.LinuxSeccomp) { s.DefaultAction = specs.ActKill },
		func(s *specs.LinuxSeccomp) { s.DefaultErrnoRet = &one },
		func(s *specs.LinuxSeccomp) { s.Architectures = []specs.Arch{specs.ArchX86} },
		func(s *specs.LinuxSeccomp) { s.Flags = []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_LOG"} },
		func(s *specs.LinuxSeccomp) { s.ListenerPath = "/x" },
		func(s *specs.LinuxSeccomp) { s.ListenerMetadata = "x" },
		func(s *specs.LinuxSeccomp) { s.Syscalls[0].Names = []string{"ab"} },
		func(s *specs.LinuxSeccomp) { s.Syscalls[0].Names = []string{"a", "b", ""} },
		func(s *specs.LinuxSeccomp) { s.Syscalls[0].Action = specs.ActLog },
		func(s *specs.LinuxSeccomp) { s.Syscalls[0].ErrnoRet = &one },
		func(s *specs.LinuxSeccomp) { s.Syscalls[0].Args[0].Index = 0 },
		func(s *specs.LinuxSeccomp) { s.Syscalls[0].Args[0].Value = 0 },
		func(s *specs.LinuxSeccomp) { s.Syscalls[0].Args[0].ValueTwo = 0 },
		func(s *specs.LinuxSeccomp) { s.Syscalls[0].Args[0].Op = specs.OpNotEqual },
		func(s *specs.LinuxSeccomp) { s.Syscalls = append(s.Syscalls, specs.LinuxSyscall{}) },
	}
	seen := map[string]int{string(profileBytes(base())): -1}
	for i, change := range changes {
		s := base()
		change(s)
		key := string(profileBytes(s))
		if j, dup := seen[key]; dup {
			t.Errorf("change %d gives the same key as %d", i, j)
		}
		seen[key] = i
	}
}

// BenchmarkSeccompCached is a husk run's seccomp step once the cache holds
// the profile: the key, a file read and the decode (compare
// seccomp.BenchmarkCompileDefault).
func BenchmarkSeccompCached(b *testing.B) {
	dir := b.TempDir()
	profile := seccomp.DefaultProfile()
	if _, err := compileCached(profile, dir); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := compileCached(profile, dir); err != nil {
			b.Fatal(err)
		}
	}
}
