package cgroups

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// writeFile writes value to the cgroupfs file dir/name in one write(2).
// The file must exist: cgroupfs never creates files, so a missing one means
// the kernel (or the controller) does not offer the knob, and the fake trees
// of the tests behave the same way. The error names the value and the path,
// and keeps the errno reachable for errors.Is.
// writeEach writes each value to dir/name with a write(2) of its own on
// one open file; on failure it returns the index of the value refused.
func writeEach(dir, name string, values []string) (int, error) {
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("write %q to %q: %w", values[0], path, unwrapPath(err))
	}
	for i, v := range values {
		slog.Debug("cgroup write", "path", path, "value", v)
		if _, err := f.WriteString(v); err != nil {
			f.Close()
			return i, fmt.Errorf("write %q to %q: %w", v, path, unwrapPath(err))
		}
	}
	if err := f.Close(); err != nil {
		last := len(values) - 1
		return last, fmt.Errorf("write %q to %q: %w", values[last], path, unwrapPath(err))
	}
	return 0, nil
}

func writeFile(dir, name, value string) error {
	_, err := writeEach(dir, name, []string{value})
	return err
}

// unwrapPath drops an *fs.PathError layer whose path the caller's message
// already names, keeping the errno underneath.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// readFile returns the content of dir/name without surrounding white space.
func readFile(dir, name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// exists reports whether dir/name exists.
func exists(dir, name string) bool {
	_, err := os.Stat(filepath.Join(dir, name))
	return err == nil
}

// parseUint parses a cgroup number; "max" (v2) is math.MaxUint64.
// Negative numbers, which some v1 files use for "unlimited" (-1), are
// also reported as math.MaxUint64.
func parseUint(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if s == "max" {
		return math.MaxUint64, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		if i, ierr := strconv.ParseInt(s, 10, 64); ierr == nil && i < 0 {
			return math.MaxUint64, nil
		}
		return 0, fmt.Errorf("parse %q as a cgroup number: %w", s, err)
	}
	return v, nil
}

// readUint reads a one-number file such as memory.current or pids.max.
func readUint(dir, name string) (uint64, error) {
	s, err := readFile(dir, name)
	if err != nil {
		return 0, err
	}
	v, err := parseUint(s)
	if err != nil {
		return 0, fmt.Errorf("read %q: %w", filepath.Join(dir, name), err)
	}
	return v, nil
}

// parseKeyValues parses "key value" lines, the format of memory.stat,
// cpu.stat, memory.events, cgroup.events and memory.oom_control.
func parseKeyValues(s string) (map[string]uint64, error) {
	m := make(map[string]uint64)
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, " ")
		if !ok {
			return nil, fmt.Errorf("parse %q: want \"key value\"", line)
		}
		n, err := parseUint(v)
		if err != nil {
			return nil, fmt.Errorf("parse %q: %w", line, err)
		}
		m[k] = n
	}
	return m, sc.Err()
}

// readKeyValues reads and parses a "key value" file.
func readKeyValues(dir, name string) (map[string]uint64, error) {
	s, err := readFile(dir, name)
	if err != nil {
		return nil, err
	}
	m, err := parseKeyValues(s)
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", filepath.Join(dir, name), err)
	}
	return m, nil
}

// missingHint turns the ENOENT of a write into a message that says which
// controller or kernel feature is missing; other errors pass through.
func missingHint(err error, what string) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w (%s)", err, what)
	}
	return err
}

// num formats a spec number for a v2 file: -1 is "max".
func num(v int64) string {
	if v == -1 {
		return "max"
	}
	return strconv.FormatInt(v, 10)
}
