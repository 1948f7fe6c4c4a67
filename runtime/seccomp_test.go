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
