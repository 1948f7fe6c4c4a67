package engine

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"husk/image/oci"
)

func TestProcessArgs(t *testing.T) {
	empty := ""
	sh := "/bin/sh"
	cfg := oci.ImageConfig{Entrypoint: []string{"/entry"}, Cmd: []string{"default"}}
	tests := []struct {
		name string
		cfg  oci.ImageConfig
		o    ProcessOptions
		want []string
	}{
		{"image", cfg, ProcessOptions{}, []string{"/entry", "default"}},
		{"cmd override", cfg, ProcessOptions{Command: []string{"x", "y"}}, []string{"/entry", "x", "y"}},
		{"entrypoint drops cmd", cfg, ProcessOptions{Entrypoint: &sh}, []string{"/bin/sh"}},
		{"entrypoint cleared", cfg, ProcessOptions{Entrypoint: &empty, Command: []string{"ls"}}, []string{"ls"}},
	}
	for _, tt := range tests {
		got, err := processArgs(tt.cfg, tt.o)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	if _, err := processArgs(oci.ImageConfig{}, ProcessOptions{}); err == nil {
		t.Error("an image with no command ran without one")
	}
}

func TestMergeEnv(t *testing.T) {
	got, err := mergeEnv([]string{"PATH=/bin", "A=1"}, []string{"A=2", "B=3", "C"}, true)
	want := []string{"PATH=/bin", "A=2", "TERM=xterm", "B=3"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("mergeEnv = %v, %v; want %v", got, err, want)
	}
	got, _ = mergeEnv(nil, nil, false)
	if len(got) != 1 || !strings.HasPrefix(got[0], "PATH=/usr/local/sbin") {
		t.Fatalf("no PATH default: %v", got)
	}
	if _, err := mergeEnv(nil, []string{"=x"}, false); err == nil {
		t.Fatal("an empty variable name was accepted")
	}
}

func TestBuildSpecDefaults(t *testing.T) {
	spec, err := buildSpec(oci.ImageConfig{Cmd: []string{"sh"}, WorkingDir: "/srv"},
		ProcessOptions{Hostname: "h1"}, "/root/fs")
	if err != nil {
		t.Fatal(err)
	}
	if spec.Process.Cwd != "/srv" || spec.Hostname != "h1" || !spec.Process.NoNewPrivileges {
		t.Errorf("process %+v, hostname %q", spec.Process, spec.Hostname)
	}
	if len(spec.Process.Capabilities.Bounding) != 14 || len(spec.Linux.Namespaces) != 6 {
		t.Errorf("caps %v, namespaces %v", spec.Process.Capabilities.Bounding, spec.Linux.Namespaces)
	}
	if _, err := buildSpec(oci.ImageConfig{Cmd: []string{"sh"}}, ProcessOptions{Workdir: "rel"}, "/r"); err == nil {
		t.Error("a relative working directory was accepted")
	}
}

func TestParseOCIRef(t *testing.T) {
	tests := []struct{ in, dir, sel string }{
		{"oci:/images/busybox", "/images/busybox", ""},
		{"oci:/images/busybox:1.38", "/images/busybox", "1.38"},
		{"oci:/images/alpine:alpine:3.20.3", "/images/alpine", "alpine:3.20.3"},
		{"oci:/a:b/c", "/a:b/c", ""},
		{"oci:rel", "rel", ""},
	}
	for _, tt := range tests {
		dir, sel, ok := parseOCIRef(tt.in)
		if !ok || dir != tt.dir || sel != tt.sel {
			t.Errorf("parseOCIRef(%q) = %q, %q, %v", tt.in, dir, sel, ok)
		}
	}
	if _, _, ok := parseOCIRef("busybox:latest"); ok {
		t.Error("a store name parsed as an oci: ref")
	}
}

func TestSigMask(t *testing.T) {
	status := "Name:\tsh\nSigIgn:\t0000000000000004\nSigCgt:\t0000000000010002\n"
	if got := sigMask(status, "SigCgt:"); got != 0x10002 {
		t.Errorf("SigCgt = %#x", got)
	}
	if got := sigMask("Name:\tx\n", "SigCgt:"); got != ^uint64(0) {
		t.Errorf("a missing mask must count as all handled, got %#x", got)
	}
}

func BenchmarkBuildSpec(b *testing.B) {
	cfg := oci.ImageConfig{Cmd: []string{"sh"}, Env: []string{"PATH=/bin"}, WorkingDir: "/"}
	o := ProcessOptions{Hostname: "h", Env: []string{"A=1"}, Resources: ResourceOptions{Memory: "64m", CPUs: "0.5"}}
	for i := 0; i < b.N; i++ {
		if _, err := buildSpec(cfg, o, "/rootfs"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCPUList(t *testing.T) {
	for in, want := range map[string]string{"0": "[0]", "0-2,4": "[0 1 2 4]", "3,1": "[3 1]"} {
		got, err := cpuList(in)
		if err != nil || fmt.Sprint(got) != want {
			t.Errorf("cpuList(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "x", "2-1", "-1", "0-", "1,,2"} {
		if _, err := cpuList(bad); err == nil {
			t.Errorf("cpuList(%q): no error", bad)
		}
	}
}

func TestHostnameInSpec(t *testing.T) {
	spec, err := buildSpec(oci.ImageConfig{Cmd: []string{"true"}}, ProcessOptions{Hostname: "web-1"}, "/r")
	if err != nil {
		t.Fatal(err)
	}
	if spec.Process.Env[1] != "HOSTNAME=web-1" {
		t.Errorf("env %q: want HOSTNAME second, after PATH, as Docker", spec.Process.Env)
	}
	if _, err := buildSpec(oci.ImageConfig{Cmd: []string{"true"}}, ProcessOptions{Hostname: "bad host"}, "/r"); err == nil {
		t.Error(`--hostname "bad host": no error`)
	}
}
