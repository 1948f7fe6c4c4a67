package runtime

import (
	"fmt"
	"os"
	"sort"
	"strconv"
)

// pidsInNamespaceOf lists the processes that share pid's pid namespace.
func pidsInNamespaceOf(pid int) ([]int, error) {
	want, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/pid")
	if err != nil {
		return nil, fmt.Errorf("pid namespace of %d: %w", pid, err)
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var out []int
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ns, err := os.Readlink("/proc/" + e.Name() + "/ns/pid"); err == nil && ns == want {
			out = append(out, n)
		}
	}
	sort.Ints(out)
	return out, nil
}
