package user

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// maxID is the largest uid or gid Docker and runc accept; the kernel
// reserves (uid_t)-1 and many tools break on ids that do not fit an int32.
const maxID = 1<<31 - 1

// User is the result of resolving a user spec.
type User struct {
	UID, GID       uint32
	AdditionalGids []uint32 // supplementary groups: GID first, then the rest sorted
	Name           string   // passwd name, "" for a numeric uid without an entry
	Home           string   // passwd home, "/" when there is no entry or it is empty
}

// Resolve turns spec into ids with Docker's rules, reading passwd and group
// as the container's /etc/passwd and /etc/group (nil reads as empty):
//
//   - "" is uid 0: root's passwd entry if there is one, else uid 0, gid 0.
//   - "name" must have a passwd entry; it supplies uid, gid and home.
//   - "uid" (all digits) uses the first entry with that uid if any, else
//     gid 0 and home "/". A number is never looked up as a name.
//   - "user:group" takes the user as above and the group by gid or name; a
//     numeric gid needs no entry, a group name must have one.
//
// The supplementary groups start with the primary gid, the explicit group's
// when one is given, as Docker's do (`docker run alpine id` shows
// groups=0(root),1(bin),...): the process then stays in its primary group,
// and under permissions that deny that group, even after a setgid program
// changes its gid (Docker's fix for CVE-2022-36109). The groups whose member
// list names the user follow, sorted and without repeating the primary gid;
// they need a passwd entry, and an explicit group does not remove them. Ids
// above 2147483647 or negative are an error naming the value.
func Resolve(spec string, passwd, group io.Reader) (User, error) {
	userPart, groupPart, err := splitSpec(spec)
	if err != nil {
		return User{}, err
	}
	users, err := ParsePasswd(passwd)
	if err != nil {
		return User{}, fmt.Errorf("parse /etc/passwd: %w", err)
	}
	groups, err := ParseGroup(group)
	if err != nil {
		return User{}, fmt.Errorf("parse /etc/group: %w", err)
	}

	u, err := findUser(users, userPart)
	if err != nil {
		return User{}, err
	}
	if groupPart != "" {
		if u.GID, err = findGroup(groups, groupPart); err != nil {
			return User{}, err
		}
	}
	var others []uint32
	if u.Name != "" {
		if others, err = memberOf(groups, u.Name, u.GID); err != nil {
			return User{}, err
		}
	}
	u.AdditionalGids = append([]uint32{u.GID}, others...)
	return u, nil
}

// ResolveInRoot resolves spec against root/etc/passwd and root/etc/group
// (see Resolve). A missing file reads as empty, so numeric specs work in
// images without /etc.
func ResolveInRoot(spec, root string) (User, error) {
	passwd, err := openOptional(filepath.Join(root, "etc/passwd"))
	if err != nil {
		return User{}, err
	}
	defer passwd.Close()
	group, err := openOptional(filepath.Join(root, "etc/group"))
	if err != nil {
		return User{}, err
	}
	defer group.Close()
	return Resolve(spec, passwd, group)
}

// openOptional opens path, or returns an empty reader if it does not exist.
func openOptional(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return io.NopCloser(strings.NewReader("")), nil
	}
	return f, err
}

// splitSpec splits "user[:group]".
func splitSpec(spec string) (userPart, groupPart string, err error) {
	userPart, groupPart, _ = strings.Cut(spec, ":")
	if strings.Contains(groupPart, ":") {
		return "", "", fmt.Errorf("user spec %q: want user[:group]", spec)
	}
	return userPart, groupPart, nil
}

// numericID reports whether s is a number, and if so checks its range.
func numericID(kind, s string) (id uint32, numeric bool, err error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if errors.Is(err, strconv.ErrSyntax) {
		return 0, false, nil
	}
	if err != nil || n < 0 || n > maxID {
		return 0, true, fmt.Errorf("%s %s out of range 0 to %d", kind, s, maxID)
	}
	return uint32(n), true, nil
}

// checkRange rejects an id from a file entry that is past maxID.
func checkRange(kind, name string, id uint32) error {
	if id > maxID {
		return fmt.Errorf("%s %q: id %d out of range 0 to %d", kind, name, id, maxID)
	}
	return nil
}

// findUser resolves the user half of a spec.
func findUser(users []PasswdEntry, spec string) (User, error) {
	uid, numeric, err := numericID("uid", spec)
	if err != nil {
		return User{}, err
	}
	if spec == "" {
		numeric = true
	}
	i := slices.IndexFunc(users, func(e PasswdEntry) bool {
		if numeric {
			return e.UID == uid
		}
		return e.Name == spec
	})
	if i < 0 {
		if !numeric {
			return User{}, fmt.Errorf("user %q: no such user in /etc/passwd", spec)
		}
		return User{UID: uid, Home: "/"}, nil
	}
	e := users[i]
	if err := checkRange("user", e.Name, e.UID); err != nil {
		return User{}, err
	}
	if err := checkRange("group of user", e.Name, e.GID); err != nil {
		return User{}, err
	}
	home := e.Home
	if home == "" {
		home = "/"
	}
	return User{UID: e.UID, GID: e.GID, Name: e.Name, Home: home}, nil
}

// findGroup resolves the group half of a spec.
func findGroup(groups []GroupEntry, spec string) (uint32, error) {
	gid, numeric, err := numericID("gid", spec)
	if err != nil || numeric {
		return gid, err
	}
	i := slices.IndexFunc(groups, func(g GroupEntry) bool { return g.Name == spec })
	if i < 0 {
		return 0, fmt.Errorf("group %q: no such group in /etc/group", spec)
	}
	if err := checkRange("group", spec, groups[i].GID); err != nil {
		return 0, err
	}
	return groups[i].GID, nil
}

// memberOf returns the sorted, distinct gids of the groups listing name,
// without primary.
func memberOf(groups []GroupEntry, name string, primary uint32) ([]uint32, error) {
	var gids []uint32
	for _, g := range groups {
		if g.GID == primary || !slices.Contains(g.Members, name) {
			continue
		}
		if err := checkRange("group", g.Name, g.GID); err != nil {
			return nil, err
		}
		gids = append(gids, g.GID)
	}
	slices.Sort(gids)
	return slices.Compact(gids), nil
}
