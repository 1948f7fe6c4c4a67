package seccomp

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestTablesMatchXSys compares the x86_64 table with golang.org/x/sys,
// which is generated from newer kernel headers than Debian's, for a sample
// that includes the late syscalls the generator adds by hand.
func TestTablesMatchXSys(t *testing.T) {
	for name, want := range map[string]uint32{
		"read": unix.SYS_READ, "mkdir": unix.SYS_MKDIR, "getpid": unix.SYS_GETPID,
		"personality": unix.SYS_PERSONALITY, "clone3": unix.SYS_CLONE3,
		"futex_waitv": unix.SYS_FUTEX_WAITV, "cachestat": unix.SYS_CACHESTAT,
		"fchmodat2": unix.SYS_FCHMODAT2, "map_shadow_stack": unix.SYS_MAP_SHADOW_STACK,
		"futex_wake": unix.SYS_FUTEX_WAKE, "futex_wait": unix.SYS_FUTEX_WAIT,
		"futex_requeue": unix.SYS_FUTEX_REQUEUE, "statmount": unix.SYS_STATMOUNT,
		"listmount": unix.SYS_LISTMOUNT, "lsm_get_self_attr": unix.SYS_LSM_GET_SELF_ATTR,
		"lsm_set_self_attr": unix.SYS_LSM_SET_SELF_ATTR,
		"lsm_list_modules":  unix.SYS_LSM_LIST_MODULES, "mseal": unix.SYS_MSEAL,
		"setxattrat": unix.SYS_SETXATTRAT, "getxattrat": unix.SYS_GETXATTRAT,
		"listxattrat": unix.SYS_LISTXATTRAT, "removexattrat": unix.SYS_REMOVEXATTRAT,
		"open_tree_attr": unix.SYS_OPEN_TREE_ATTR, "file_getattr": unix.SYS_FILE_GETATTR,
		"file_setattr": unix.SYS_FILE_SETATTR, "listns": unix.SYS_LISTNS,
	} {
		if got, ok := sysX86_64()[name]; !ok || got != want {
			t.Errorf("x86_64 %s = %d (present %v), x/sys says %d", name, got, ok, want)
		}
	}
}
