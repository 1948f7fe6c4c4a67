# husk: build, test, benchmark and demo. Run as root on Debian.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)

GO       ?= go
# urfave_cli_no_docs drops the CLI's man-page generator (and its markdown
# parser's start-up cost) from every husk process.
TAGS     := urfave_cli_no_docs
BIN      := bin
ROOT     ?= /var/lib/husk
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
DEMO_IMG := build/busybox-oci

.PHONY: all build deps test unit e2e bench lint demo demo-image clean vmtest

all: build

deps:
	scripts/install-deps test

# husk and huskrt are static pure-Go binaries: no libc start-up and no
# cgo, whose thread start-up cost every husk command 0.17 ms. The
# container's init, husk-init, is C: it must run before any Go runtime
# could (setns into a mount namespace wants one thread), and a container
# then starts without a second Go runtime. It is linked statically with
# musl, whose start-up costs half of glibc's here (0.32 against 0.67 ms
# per exec of a tiny program). husk and huskrt run it from beside
# themselves. osusergo and netgo keep the C library's user and DNS
# lookups out: husk reads the container's own /etc and has no use for the
# host's NSS.
GOSTATIC := CGO_ENABLED=0 $(GO) build -tags $(TAGS),osusergo,netgo -trimpath -ldflags '$(LDFLAGS)'
CSTATIC  := musl-gcc -static -s -O2 -Wall -Wextra -Werror

# husk-zstd decompresses zstd layers for husk, which runs it from beside
# itself: husk does not link the zstd decoder, whose start-up tables would
# cost every husk process, each container start included, 0.3 ms.
# husk-bench is `husk bench`, a plugin husk execs, for the same reason.
#
# Go's linker writes its output through mmap, which leaves a new binary in
# the page cache as 4 KiB pages until it is evicted. A binary installed by
# copy (install(1), dpkg) or read from disk after a reboot is cached in
# large folios, and every exec of it takes fewer page faults: 0.15-0.25 ms
# of a husk run here. So the Go binaries are linked in build/link and
# copied into bin/, where they are what an installed husk would be.
LINK := build/link
build:
	$(GOSTATIC) -o $(LINK)/husk ./cmd/husk
	$(GOSTATIC) -o $(LINK)/huskrt ./cmd/huskrt
	$(GOSTATIC) -o $(LINK)/husk-bench ./cmd/husk-bench
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o $(LINK)/husk-zstd ./cmd/husk-zstd
	$(CSTATIC) -o $(LINK)/husk-init cmd/husk-init/*.c
	install -d $(BIN)
	install -m 0755 $(LINK)/husk $(LINK)/huskrt $(LINK)/husk-bench $(LINK)/husk-zstd $(LINK)/husk-init $(BIN)/

# The whole suite, as root: unit and end-to-end tests on this host, then
# the cgroup end-to-end tests again in a pure cgroup v2 guest (vmtest).
# Packages run one at a time (-p 1): several start real containers and
# check afterwards that none of their cgroups, veths or processes remain,
# which another package's containers running meanwhile would confuse.
test: deps build
	$(GO) vet ./...
	HUSK_BIN=$(CURDIR)/$(BIN)/husk HUSKRT_BIN=$(CURDIR)/$(BIN)/huskrt $(GO) test -p 1 -count=1 -timeout 20m ./...
	$(MAKE) vmtest

unit: build
	$(GO) test -count=1 $$($(GO) list ./... | grep -v /tests)

e2e: build
	HUSK_BIN=$(CURDIR)/$(BIN)/husk HUSKRT_BIN=$(CURDIR)/$(BIN)/huskrt $(GO) test -count=1 -v ./tests/

bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); [ -z "$$out" ] || { echo "gofmt: $$out"; exit 1; }
	$(GO) vet ./...

# The main job on the default image: busybox from Debian's busybox-static,
# made into an OCI layout by scripts/mkimage-busybox, imported and run.
demo: build demo-image
	$(BIN)/husk --root $(ROOT) image import $(DEMO_IMG) busybox:latest
	$(BIN)/husk --root $(ROOT) run --rm --network none busybox:latest sh -c 'echo "hello from $$(hostname), pid $$$$, in a husk container"; uname -a'

demo-image:
	scripts/install-deps demo
	scripts/mkimage-busybox $(DEMO_IMG)

# The cgroup end-to-end tests on a pure cgroup v2 host: a qemu guest
# (cmd/husk-vmtest, vm/) booting Debian's cloud kernel with the static
# binaries and the compiled tests package in its initramfs. Needs
# qemu-system-x86, busybox-static and apt (the kernel is downloaded once
# into build/vm). Exits with the suite's status. The guest has no C
# library: every binary is static.
VMBIN := build/vm/bin
vmtest:
	$(GOSTATIC) -o $(VMBIN)/husk ./cmd/husk
	$(GOSTATIC) -o $(VMBIN)/huskrt ./cmd/huskrt
	$(CSTATIC) -o $(VMBIN)/husk-init cmd/husk-init/*.c
	CGO_ENABLED=0 $(GO) test -c -trimpath -ldflags '-s -w' -o $(VMBIN)/tests.test ./tests/
	$(GO) build -o $(VMBIN)/husk-vmtest ./cmd/husk-vmtest
	$(VMBIN)/husk-vmtest -cache build/vm -bin $(VMBIN)

clean:
	rm -rf $(BIN) build
