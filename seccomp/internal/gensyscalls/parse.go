package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// notSyscalls are __NR_ macros of asm-generic/unistd.h that are no syscall.
var notSyscalls = map[string]bool{"syscalls": true, "arch_specific_syscall": true}

// parseFlat reads a header made only of "#define __NR_name value" lines,
// where value is a number or "(__X32_SYSCALL_BIT + number)".
func parseFlat(path string) (map[string]uint32, error) {
	lines, err := readLines(path)
	if err != nil {
		return nil, err
	}
	nums := map[string]uint32{}
	for i, line := range lines {
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "#define" || !strings.HasPrefix(f[1], "__NR_") {
			continue
		}
		name := strings.TrimPrefix(f[1], "__NR_")
		val := strings.Join(f[2:], "")
		var base uint32
		if rest, ok := strings.CutPrefix(val, "(__X32_SYSCALL_BIT+"); ok {
			base, val = x32Bit, strings.TrimSuffix(rest, ")")
		}
		n, err := strconv.ParseUint(val, 0, 32)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: value of %s: %w", path, i+1, f[1], err)
		}
		nums[name] = base + uint32(n)
	}
	if len(nums) == 0 {
		return nil, fmt.Errorf("%s: no __NR_ definitions", path)
	}
	return nums, nil
}

// parseGeneric evaluates asm-generic/unistd.h as the C preprocessor would
// for an architecture that defines wants and has the given
// __BITS_PER_LONG, and returns its __NR_ macros. It understands only what
// that header uses: #if/#ifdef/#ifndef/#else/#endif with defined(), !, &&,
// ||, == and != over numbers and macros, and #define/#undef.
func parseGeneric(path string, wants []string, bitsPerLong int64) (map[string]uint32, error) {
	lines, err := readLines(path)
	if err != nil {
		return nil, err
	}
	macros := map[string]string{"__BITS_PER_LONG": strconv.FormatInt(bitsPerLong, 10)}
	for _, w := range wants {
		macros[w] = ""
	}
	type frame struct{ parent, active, taken bool }
	stack := []frame{}
	active := true
	for i, line := range lines {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], "#") {
			continue
		}
		where := fmt.Sprintf("%s:%d", path, i+1)
		rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), f[0]))
		switch f[0] {
		case "#if", "#ifdef", "#ifndef":
			var cond bool
			switch f[0] {
			case "#if":
				cond, err = evalCond(rest, macros)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", where, err)
				}
			case "#ifdef":
				_, cond = macros[rest]
			default:
				_, cond = macros[rest]
				cond = !cond
			}
			stack = append(stack, frame{parent: active, active: active && cond, taken: cond})
		case "#else":
			if len(stack) == 0 {
				return nil, fmt.Errorf("%s: #else without #if", where)
			}
			top := &stack[len(stack)-1]
			top.active = top.parent && !top.taken
			top.taken = true
		case "#endif":
			if len(stack) == 0 {
				return nil, fmt.Errorf("%s: #endif without #if", where)
			}
			stack = stack[:len(stack)-1]
		case "#define", "#undef", "#include":
		default:
			return nil, fmt.Errorf("%s: unsupported directive %s", where, f[0])
		}
		if len(stack) > 0 {
			active = stack[len(stack)-1].active
		} else {
			active = true
		}
		if !active || len(f) < 2 {
			continue
		}
		switch f[0] {
		case "#define":
			if !strings.Contains(f[1], "(") {
				macros[f[1]] = strings.Join(f[2:], " ")
			}
		case "#undef":
			delete(macros, f[1])
		}
	}
	if len(stack) != 0 {
		return nil, fmt.Errorf("%s: unterminated #if", path)
	}
	nums := map[string]uint32{}
	for m := range macros {
		name, ok := strings.CutPrefix(m, "__NR_")
		if !ok || notSyscalls[name] {
			continue
		}
		n, err := macroValue(m, macros, 0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		nums[name] = uint32(n)
	}
	return nums, nil
}

// macroValue resolves a macro to a number through chains such as
// __NR_fcntl -> __NR3264_fcntl -> 25. Undefined macros are 0, as in #if.
func macroValue(name string, macros map[string]string, depth int) (int64, error) {
	if depth > 8 {
		return 0, fmt.Errorf("macro %s: definition loop", name)
	}
	v, ok := macros[name]
	if !ok || v == "" {
		return 0, nil
	}
	if n, err := strconv.ParseInt(v, 0, 64); err == nil {
		return n, nil
	}
	if isIdent(v) {
		return macroValue(v, macros, depth+1)
	}
	return 0, fmt.Errorf("macro %s: cannot evaluate %q", name, v)
}

func isIdent(s string) bool {
	for i, r := range s {
		ok := r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9'
		if !ok {
			return false
		}
	}
	return s != ""
}

// readLines reads path and joins backslash-continued lines.
func readLines(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	raw := strings.Split(string(data), "\n")
	var lines []string
	for i := 0; i < len(raw); i++ {
		l := raw[i]
		for strings.HasSuffix(l, "\\") && i+1 < len(raw) {
			i++
			l = strings.TrimSuffix(l, "\\") + " " + raw[i]
			lines = append(lines, "") // keep line numbers aligned
		}
		lines = append(lines, l)
	}
	return lines, nil
}
