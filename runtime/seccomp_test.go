package runtime

import (
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
