package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestEvalCond(t *testing.T) {
	macros := map[string]string{"__BITS_PER_LONG": "64", "WANT": "", "ONE": "1"}
	for expr, want := range map[string]bool{
		"__BITS_PER_LONG == 64":                                        true,
		"__BITS_PER_LONG != 32":                                        true,
		"__BITS_PER_LONG == 32 || defined(__SYSCALL_COMPAT)":           false,
		"defined(WANT) || __BITS_PER_LONG != 32":                       true,
		"__BITS_PER_LONG == 64 && !defined(__SYSCALL_COMPAT)":          true,
		"defined WANT && (ONE == 2 || !(UNDEFINED))":                   true,
		"defined(__ARCH_WANT_NEW_STAT) || defined(__ARCH_WANT_STAT64)": false,
	} {
		got, err := evalCond(expr, macros)
		if err != nil || got != want {
			t.Errorf("%s = %v, %v; want %v", expr, got, err, want)
		}
	}
	for _, bad := range []string{"(ONE", "ONE ==", "ONE ONE", "1 + 2"} {
		if _, err := evalCond(bad, macros); err == nil {
			t.Errorf("%q evaluated without error", bad)
		}
	}
}

const genericHeader = `#include <asm/bitsperlong.h>
#ifndef __SYSCALL
#define __SYSCALL(x, y)
#endif
#define __NR_io_setup 0
__SC_COMP(__NR_io_setup, sys_io_setup, \
	compat_sys_io_setup)
#define __NR3264_fcntl 25
#ifdef __ARCH_WANT_RENAMEAT
#define __NR_renameat 38
#endif
#if defined(__ARCH_WANT_TIME32_SYSCALLS) || __BITS_PER_LONG != 32
#define __NR_io_getevents 4
#else
#define __NR_wrong 99
#endif
#define __NR_syscalls 451
#define __NR_arch_specific_syscall 244
#if __BITS_PER_LONG == 64 && !defined(__SYSCALL_COMPAT)
#define __NR_fcntl __NR3264_fcntl
#ifdef __NR3264_stat
#define __NR_stat __NR3264_stat
#endif
#else
#define __NR_fcntl64 __NR3264_fcntl
#endif
`

func TestParseGeneric(t *testing.T) {
	path := filepath.Join(t.TempDir(), "unistd.h")
	if err := os.WriteFile(path, []byte(genericHeader), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := parseGeneric(path, []string{"__ARCH_WANT_RENAMEAT"}, 64)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]uint32{"io_setup": 0, "renameat": 38, "io_getevents": 4, "fcntl": 25}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("64-bit: got %v, want %v", got, want)
	}
	got, err = parseGeneric(path, nil, 32)
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]uint32{"io_setup": 0, "wrong": 99, "fcntl64": 25}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("32-bit: got %v, want %v", got, want)
	}
}

func TestParseFlat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "unistd_x32.h")
	src := "#ifndef _X\n#define _X\n\n#define __NR_read (__X32_SYSCALL_BIT + 0)\n" +
		"#define __NR_execve (__X32_SYSCALL_BIT + 520)\n#define __NR_exit 60\n#endif\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := parseFlat(path)
	want := map[string]uint32{"read": x32Bit, "execve": x32Bit + 520, "exit": 60}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, %v; want %v", got, err, want)
	}
}
