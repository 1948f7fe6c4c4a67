package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"sync"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// pageSizeRE is the spec's hugepage size format: a number and KB, MB or
// GB ("2MB", "1GB"), as the kernel names the hugetlb files.
// pageSizeRE compiles on first use, not at every start of a runtime.
var pageSizeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[1-9][0-9]*[KMG]B$`) })

// setHugetlb writes each page size's limit to hugetlb.<size>.<limitFile>
// (v1 "limit_in_bytes", v2 "max"), and to the reservation limit
// hugetlb.<size>.<rsvdFile> where the kernel has it (Linux 5.7): the spec
// says the limit applies to reservations when supported, which stops a
// mmap that could not be backed instead of SIGBUS-ing at fault time.
func setHugetlb(dir string, limits []specs.LinuxHugepageLimit, limitFile, rsvdFile string) error {
	for i, l := range limits {
		field := fmt.Sprintf("hugepageLimits[%d]", i)
		if !pageSizeRE().MatchString(l.Pagesize) {
			return fieldError(field, fmt.Errorf("page size %q: want a size like 2MB or 1GB", l.Pagesize))
		}
		v := strconv.FormatUint(l.Limit, 10)
		err := writeFile(dir, "hugetlb."+l.Pagesize+"."+limitFile, v)
		if errors.Is(err, fs.ErrNotExist) {
			return fieldError(field, fmt.Errorf("page size %q is not supported by this kernel: %w", l.Pagesize, err))
		}
		if err != nil {
			return fieldError(field, err)
		}
		rsvd := "hugetlb." + l.Pagesize + "." + rsvdFile
		if exists(dir, rsvd) {
			if err := writeFile(dir, rsvd, v); err != nil {
				return fieldError(field, err)
			}
		}
	}
	return nil
}
