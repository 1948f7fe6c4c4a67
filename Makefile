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

.PHONY: all build deps test unit e2e bench lint demo demo-image clean

all: build

deps:
	scripts/install-deps test

build:
	$(GO) build -tags $(TAGS) -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/husk ./cmd/husk
	$(GO) build -tags $(TAGS) -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/huskrt ./cmd/huskrt

# The whole suite: unit and end-to-end tests, as root.
test: deps build
	$(GO) vet ./...
	HUSK_BIN=$(CURDIR)/$(BIN)/husk HUSKRT_BIN=$(CURDIR)/$(BIN)/huskrt $(GO) test -count=1 -timeout 20m ./...

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
	$(BIN)/husk --root $(ROOT) run --rm busybox:latest sh -c 'echo "hello from $$(hostname), pid $$$$, in a husk container"; uname -a'

demo-image:
	scripts/install-deps demo
	scripts/mkimage-busybox $(DEMO_IMG)

clean:
	rm -rf $(BIN) build
