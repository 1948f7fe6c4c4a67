package rootfs

import (
	"fmt"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// mountOptions is an OCI mount's option list sorted by where each option
// goes: mount(2) flags, propagation changes that need their own mount(2)
// call after the mount exists, recursive attributes for mount_setattr(2),
// and everything else, which is filesystem data ("size=64k", "mode=755").
type mountOptions struct {
	// Flags are the MS_* flags for mount(2), MS_BIND and MS_REC included.
	Flags uintptr
	// Propagation lists MS_SHARED, MS_SLAVE, MS_PRIVATE or MS_UNBINDABLE
	// (each possibly with MS_REC) in the order the options named them.
	Propagation []uintptr
	// RecAttr holds the r-prefixed options ("rro", "rnosuid"), nil if none.
	RecAttr *unix.MountAttr
	// Data are the options mount(2) does not know, in their given order.
	Data []string
}

// flagOption is one mount(2) flag option: it sets or clears flag.
type flagOption struct {
	clear bool
	flag  uintptr
}

// flagOptions maps every flag option runc accepts (plus a few the kernel
// has gained since) to what it does to the flags. "defaults" is a no-op.
var flagOptions = map[string]flagOption{
	"defaults":      {false, 0},
	"ro":            {false, unix.MS_RDONLY},
	"rw":            {true, unix.MS_RDONLY},
	"suid":          {true, unix.MS_NOSUID},
	"nosuid":        {false, unix.MS_NOSUID},
	"dev":           {true, unix.MS_NODEV},
	"nodev":         {false, unix.MS_NODEV},
	"exec":          {true, unix.MS_NOEXEC},
	"noexec":        {false, unix.MS_NOEXEC},
	"sync":          {false, unix.MS_SYNCHRONOUS},
	"async":         {true, unix.MS_SYNCHRONOUS},
	"dirsync":       {false, unix.MS_DIRSYNC},
	"remount":       {false, unix.MS_REMOUNT},
	"mand":          {false, unix.MS_MANDLOCK},
	"nomand":        {true, unix.MS_MANDLOCK},
	"atime":         {true, unix.MS_NOATIME},
	"noatime":       {false, unix.MS_NOATIME},
	"diratime":      {true, unix.MS_NODIRATIME},
	"nodiratime":    {false, unix.MS_NODIRATIME},
	"bind":          {false, unix.MS_BIND},
	"rbind":         {false, unix.MS_BIND | unix.MS_REC},
	"relatime":      {false, unix.MS_RELATIME},
	"norelatime":    {true, unix.MS_RELATIME},
	"strictatime":   {false, unix.MS_STRICTATIME},
	"nostrictatime": {true, unix.MS_STRICTATIME},
	"lazytime":      {false, unix.MS_LAZYTIME},
	"nolazytime":    {true, unix.MS_LAZYTIME},
	"iversion":      {false, unix.MS_I_VERSION},
	"noiversion":    {true, unix.MS_I_VERSION},
	"silent":        {false, unix.MS_SILENT},
	"loud":          {true, unix.MS_SILENT},
	"nosymfollow":   {false, unix.MS_NOSYMFOLLOW}, // since Linux 5.10
	"symfollow":     {true, unix.MS_NOSYMFOLLOW},
}

// propagationOptions maps propagation options, as used both in mount
// options and in spec.Linux.RootfsPropagation, to mount(2) flags.
var propagationOptions = map[string]uintptr{
	"private":     unix.MS_PRIVATE,
	"rprivate":    unix.MS_PRIVATE | unix.MS_REC,
	"shared":      unix.MS_SHARED,
	"rshared":     unix.MS_SHARED | unix.MS_REC,
	"slave":       unix.MS_SLAVE,
	"rslave":      unix.MS_SLAVE | unix.MS_REC,
	"unbindable":  unix.MS_UNBINDABLE,
	"runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
}

// recAttrOption is one recursive option: attributes for mount_setattr(2)
// with AT_RECURSIVE, which (unlike a remount) reaches every submount.
type recAttrOption struct {
	set, clr uint64
}

// recAttrOptions are runc's recursive options. The atime modes share one
// field (MOUNT_ATTR__ATIME), so setting any of them clears the field first;
// MOUNT_ATTR_RELATIME is the zero value of that field.
var recAttrOptions = map[string]recAttrOption{
	"rro":            {set: unix.MOUNT_ATTR_RDONLY},
	"rrw":            {clr: unix.MOUNT_ATTR_RDONLY},
	"rnosuid":        {set: unix.MOUNT_ATTR_NOSUID},
	"rsuid":          {clr: unix.MOUNT_ATTR_NOSUID},
	"rnodev":         {set: unix.MOUNT_ATTR_NODEV},
	"rdev":           {clr: unix.MOUNT_ATTR_NODEV},
	"rnoexec":        {set: unix.MOUNT_ATTR_NOEXEC},
	"rexec":          {clr: unix.MOUNT_ATTR_NOEXEC},
	"rnodiratime":    {set: unix.MOUNT_ATTR_NODIRATIME},
	"rdiratime":      {clr: unix.MOUNT_ATTR_NODIRATIME},
	"rnosymfollow":   {set: unix.MOUNT_ATTR_NOSYMFOLLOW},
	"rsymfollow":     {clr: unix.MOUNT_ATTR_NOSYMFOLLOW},
	"rrelatime":      {set: unix.MOUNT_ATTR_RELATIME, clr: unix.MOUNT_ATTR__ATIME},
	"rnorelatime":    {set: unix.MOUNT_ATTR_STRICTATIME, clr: unix.MOUNT_ATTR__ATIME},
	"rnoatime":       {set: unix.MOUNT_ATTR_NOATIME, clr: unix.MOUNT_ATTR__ATIME},
	"ratime":         {set: unix.MOUNT_ATTR_RELATIME, clr: unix.MOUNT_ATTR__ATIME},
	"rstrictatime":   {set: unix.MOUNT_ATTR_STRICTATIME, clr: unix.MOUNT_ATTR__ATIME},
	"rnostrictatime": {set: unix.MOUNT_ATTR_RELATIME, clr: unix.MOUNT_ATTR__ATIME},
}

// parseMountOptions sorts opts into flags, propagation, recursive
// attributes and data. It never fails: an option it does not know is
// filesystem data, and the kernel judges it when the mount is made.
// Empty options are dropped. Later options win over earlier ones.
func parseMountOptions(opts []string) mountOptions {
	var mo mountOptions
	for _, o := range opts {
		if o == "" {
			continue
		}
		if f, ok := flagOptions[o]; ok {
			if f.clear {
				mo.Flags &^= f.flag
			} else {
				mo.Flags |= f.flag
			}
			continue
		}
		if p, ok := propagationOptions[o]; ok {
			mo.Propagation = append(mo.Propagation, p)
			continue
		}
		if r, ok := recAttrOptions[o]; ok {
			if mo.RecAttr == nil {
				mo.RecAttr = &unix.MountAttr{}
			}
			// A later option overrides an earlier one on the same bits.
			mo.RecAttr.Attr_set &^= r.clr | r.set
			mo.RecAttr.Attr_clr &^= r.set
			mo.RecAttr.Attr_set |= r.set
			mo.RecAttr.Attr_clr |= r.clr
			continue
		}
		mo.Data = append(mo.Data, o)
	}
	return mo
}

// rootPropagation returns the mount(2) flags for
// spec.Linux.RootfsPropagation. Empty means MS_SLAVE|MS_REC, as in runc:
// the container sees host mounts appear but cannot push its own back.
func rootPropagation(s string) (uintptr, error) {
	if s == "" {
		return unix.MS_SLAVE | unix.MS_REC, nil
	}
	p, ok := propagationOptions[s]
	if !ok {
		return 0, fmt.Errorf("rootfs propagation %q: want one of "+
			"[r]shared, [r]slave, [r]private, [r]unbindable", s)
	}
	return p, nil
}

// initialPropagation is what Setup applies to the whole tree before it
// mounts anything: the requested propagation, except that an unbindable
// one becomes private for now, because bind mounts (of the rootfs onto
// itself, of host paths into it) fail with EINVAL on unbindable sources.
// Setup applies the requested value to the new root after pivot_root.
func initialPropagation(p uintptr) uintptr {
	if p&unix.MS_UNBINDABLE != 0 {
		return unix.MS_PRIVATE | p&unix.MS_REC
	}
	return p
}

// flagNames lists the names of the mount(2) flags in f, for error
// messages: "MS_BIND|MS_REC". Bits without a name are shown in hex.
func flagNames(f uintptr) string {
	if f == 0 {
		return "0"
	}
	names := []struct {
		flag uintptr
		name string
	}{
		{unix.MS_RDONLY, "MS_RDONLY"}, {unix.MS_NOSUID, "MS_NOSUID"},
		{unix.MS_NODEV, "MS_NODEV"}, {unix.MS_NOEXEC, "MS_NOEXEC"},
		{unix.MS_SYNCHRONOUS, "MS_SYNCHRONOUS"}, {unix.MS_REMOUNT, "MS_REMOUNT"},
		{unix.MS_MANDLOCK, "MS_MANDLOCK"}, {unix.MS_DIRSYNC, "MS_DIRSYNC"},
		{unix.MS_NOSYMFOLLOW, "MS_NOSYMFOLLOW"}, {unix.MS_NOATIME, "MS_NOATIME"},
		{unix.MS_NODIRATIME, "MS_NODIRATIME"}, {unix.MS_BIND, "MS_BIND"},
		{unix.MS_MOVE, "MS_MOVE"}, {unix.MS_REC, "MS_REC"},
		{unix.MS_SILENT, "MS_SILENT"}, {unix.MS_UNBINDABLE, "MS_UNBINDABLE"},
		{unix.MS_PRIVATE, "MS_PRIVATE"}, {unix.MS_SLAVE, "MS_SLAVE"},
		{unix.MS_SHARED, "MS_SHARED"}, {unix.MS_RELATIME, "MS_RELATIME"},
		{unix.MS_I_VERSION, "MS_I_VERSION"}, {unix.MS_STRICTATIME, "MS_STRICTATIME"},
		{unix.MS_LAZYTIME, "MS_LAZYTIME"},
	}
	var parts []string
	for _, n := range names {
		if f&n.flag != 0 {
			parts = append(parts, n.name)
			f &^= n.flag
		}
	}
	if f != 0 {
		parts = append(parts, fmt.Sprintf("%#x", f))
	}
	return strings.Join(parts, "|")
}

// KnownMountOptions lists every generic mount option Setup understands,
// sorted, for `huskrt features`.
func KnownMountOptions() []string {
	var out []string
	for name := range flagOptions {
		out = append(out, name)
	}
	for name := range propagationOptions {
		out = append(out, name)
	}
	for name := range recAttrOptions {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}
