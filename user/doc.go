// Package user turns a container's user spec ("", "name", "uid",
// "user:group" and so on) into numeric ids, the way Docker does, by parsing
// the container's /etc/passwd and /etc/group.
//
// Parsing is pure: ParsePasswd, ParseGroup and Resolve read from io.Readers
// and touch nothing else, so they are tested without a root filesystem.
// ResolveInRoot is the only function that opens files; the init process
// calls it after pivot_root(2) with root "/", so it does no symlink-safe
// path resolution and must not be pointed at an untrusted root from the
// host side.
//
// The package does not consult NSS (LDAP, systemd-userdb and the like) or
// /etc/shadow, and does not switch credentials; package capabilities does
// that on the init thread.
package user
