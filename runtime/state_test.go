package runtime

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestParseStartTime(t *testing.T) {
	// The command name may hold spaces and parentheses.
	stat := "4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10"
	got, err := parseStartTime(stat)
	if err != nil || got != 987654 {
		t.Fatalf("parseStartTime = %d, %v; want 987654", got, err)
	}

	zombie := "77 (sh) Z 1 77 77 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 5555 1000 10"
	if _, err := parseStartTime(zombie); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("a zombie parses as alive: %v", err)
	}
	if _, err := parseStartTime("12 (x) S 1"); err == nil {
		t.Fatal("a short stat line parsed")
	}
}

func TestStateRoundTrip(t *testing.T) {
	rt, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(rt.dir("c1"), 0o700); err != nil {
		t.Fatal(err)
	}
	start, err := processStartTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}

	st := &State{State: specs.State{ID: "c1", Status: specs.StateRunning, Pid: os.Getpid()}, StartTime: start}
	if err := rt.save(st); err != nil {
		t.Fatal(err)
	}
	got, err := rt.State("c1")
	if err != nil || got.Status != specs.StateRunning {
		t.Fatalf("State = %+v, %v; want running (our own pid)", got, err)
	}

	st.StartTime = start + 1 // the pid now belongs to "another" process
	if err := rt.save(st); err != nil {
		t.Fatal(err)
	}
	if got, _ := rt.State("c1"); got.Status != specs.StateStopped {
		t.Fatalf("a reused pid reads as %q, want stopped", got.Status)
	}

	if err := rt.Delete("c1", false); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.State("c1"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("after Delete: %v, want ErrNotExist", err)
	}
}

func TestCheckID(t *testing.T) {
	for _, bad := range []string{"", "../x", "a/b", ".hidden", string(make([]byte, 200))} {
		if checkID(bad) == nil {
			t.Errorf("id %q accepted", bad)
		}
	}
	for _, good := range []string{"abc", "c1.web-2_x", "0123456789abcdef"} {
		if err := checkID(good); err != nil {
			t.Errorf("id %q refused: %v", good, err)
		}
	}
}

func mkdir(tb testing.TB, dir string) {
	tb.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
}

// TestHooksFromState runs a container's poststop hook at delete from its
// state, and, for a state written before hooks were kept there, from
// the spec copy.
func TestHooksFromState(t *testing.T) {
	for _, kept := range []bool{true, false} {
		rt, err := New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(rt.dir("c1"), 0o700); err != nil {
			t.Fatal(err)
		}
		mark := filepath.Join(t.TempDir(), "ran")
		hooks := &specs.Hooks{Poststop: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "touch " + mark}}}}
		st := &State{State: specs.State{ID: "c1", Status: specs.StateStopped}}
		if kept {
			st.Hooks, st.HooksKept = hooks, true
		} else if err := rt.saveSpec("c1", &specs.Spec{Hooks: hooks}, nil); err != nil {
			t.Fatal(err)
		}
		if err := rt.save(st); err != nil {
			t.Fatal(err)
		}
		if err := rt.Delete("c1", false); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(mark); err != nil {
			t.Errorf("hooks kept in state %v: the poststop hook did not run: %v", kept, err)
		}
	}
}
