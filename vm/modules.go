package vm

import (
	"bufio"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Modules indexes the loadable modules of one kernel: where each is and
// which modules it needs loaded first. Names are kernel module names with
// "-" read as "_", as modprobe(8) reads them.
type Modules struct {
	// Path maps a module's name to its file, relative to the modules
	// directory (lib/modules/VERSION), as modules.dep writes it.
	Path map[string]string
	// Deps maps a module's name to the names of the modules it needs
	// directly (its modinfo "depends=").
	Deps map[string][]string
	// Builtin holds the names of modules built into the kernel: asking
	// for one loads nothing.
	Builtin map[string]bool
}

// ModuleName returns the module name of a file or a name: the base name
// without ".ko" (and a compression suffix), with "-" as "_".
func ModuleName(s string) string {
	base := filepath.Base(s)
	if i := strings.Index(base, ".ko"); i >= 0 {
		base = base[:i]
	}
	return strings.ReplaceAll(base, "-", "_")
}

// ParseModulesDep reads a modules.dep file as depmod(8) writes it: one line
// per module, "FILE: DEP-FILE...". depmod lists every module a module
// needs, directly or not, which resolves to the same load order.
func ParseModulesDep(r io.Reader) (*Modules, error) {
	m := &Modules{Path: map[string]string{}, Deps: map[string][]string{}, Builtin: map[string]bool{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		file, deps, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(file) == "" {
			return nil, fmt.Errorf("modules.dep line %d: %q: want FILE: DEPS", n, line)
		}
		file = strings.TrimSpace(file)
		name := ModuleName(file)
		m.Path[name] = file
		var names []string
		for _, d := range strings.Fields(deps) {
			names = append(names, ModuleName(d))
		}
		m.Deps[name] = names
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read modules.dep: %w", err)
	}
	return m, nil
}

// ParseModinfo returns the fields of a module's .modinfo ELF section: NUL
// separated "key=value" strings, where a key may repeat.
func ParseModinfo(section []byte) map[string][]string {
	fields := map[string][]string{}
	for _, kv := range bytes.Split(section, []byte{0}) {
		k, v, ok := strings.Cut(string(kv), "=")
		if ok && k != "" {
			fields[k] = append(fields[k], v)
		}
	}
	return fields
}

// ReadModules indexes the modules under dir, a lib/modules/VERSION
// directory. It reads dir/modules.dep when there is one; Debian's kernel
// packages ship none (depmod makes it on installation), so otherwise it
// reads each module's "depends=" from its .modinfo section. Modules
// compressed as .ko.xz or .ko.zst need modules.dep. modules.builtin,
// when present, fills Builtin.
func ReadModules(dir string) (*Modules, error) {
	var m *Modules
	if f, err := os.Open(filepath.Join(dir, "modules.dep")); err == nil {
		m, err = ParseModulesDep(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
	} else if errors.Is(err, fs.ErrNotExist) {
		if m, err = scanModinfo(dir); err != nil {
			return nil, err
		}
	} else {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(dir, "modules.builtin"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, line := range strings.Fields(string(data)) {
		m.Builtin[ModuleName(line)] = true
	}
	return m, nil
}

// scanModinfo builds the index from the modules' own .modinfo sections.
func scanModinfo(dir string) (*Modules, error) {
	m := &Modules{Path: map[string]string{}, Deps: map[string][]string{}, Builtin: map[string]bool{}}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.Contains(d.Name(), ".ko") {
			return nil
		}
		if !strings.HasSuffix(d.Name(), ".ko") {
			return fmt.Errorf("module %s is compressed and %s has no modules.dep", p, dir)
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		info, err := readModinfo(p)
		if err != nil {
			return err
		}
		name := ModuleName(p)
		if n := info["name"]; len(n) > 0 {
			name = ModuleName(n[0])
		}
		m.Path[name] = filepath.ToSlash(rel)
		var deps []string
		for _, list := range info["depends"] {
			for _, d := range strings.Split(list, ",") {
				if d = strings.TrimSpace(d); d != "" {
					deps = append(deps, ModuleName(d))
				}
			}
		}
		m.Deps[name] = deps
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("index modules in %s: %w", dir, err)
	}
	return m, nil
}

// readModinfo reads the .modinfo section of the module file at path.
func readModinfo(path string) (map[string][]string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s := f.Section(".modinfo")
	if s == nil {
		return nil, fmt.Errorf("%s: no .modinfo section", path)
	}
	data, err := s.Data()
	if err != nil {
		return nil, fmt.Errorf("%s: read .modinfo: %w", path, err)
	}
	return ParseModinfo(data), nil
}

// Resolve returns the modules to load for names, every module after the
// ones it needs, each once: the order for insmod(8). Built-in modules are
// left out. An unknown name, or a dependency cycle, is an error.
func (m *Modules) Resolve(names ...string) ([]string, error) {
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var order []string
	var visit func(name string, chain []string) error
	visit = func(name string, chain []string) error {
		name = ModuleName(name)
		switch state[name] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("module dependency cycle: %s", strings.Join(append(chain, name), " -> "))
		}
		if _, ok := m.Path[name]; !ok {
			if m.Builtin[name] {
				state[name] = done
				return nil
			}
			if len(chain) > 0 {
				return fmt.Errorf("module %q, needed by %q, not found", name, chain[len(chain)-1])
			}
			return fmt.Errorf("module %q not found", name)
		}
		state[name] = visiting
		for _, d := range m.Deps[name] {
			if err := visit(d, append(chain, name)); err != nil {
				return err
			}
		}
		state[name] = done
		order = append(order, name)
		return nil
	}
	for _, n := range names {
		if err := visit(n, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// WriteModulesDep writes a modules.dep for the modules named (and only
// those), each line listing every module it needs in reverse load order,
// as depmod(8) does (modprobe(8) loads them from the last), so that
// modprobe works on a tree holding just them.
func (m *Modules) WriteModulesDep(w io.Writer, names []string) error {
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	for _, name := range sorted {
		order, err := m.Resolve(name)
		if err != nil {
			return err
		}
		var deps []string
		// order ends with name itself; its dependencies come before it,
		// and modules.dep lists them the other way round.
		for i := len(order) - 2; i >= 0; i-- {
			deps = append(deps, m.Path[order[i]])
		}
		line := m.Path[ModuleName(name)] + ":"
		if len(deps) > 0 {
			line += " " + strings.Join(deps, " ")
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	return nil
}
