# nook: an OCI container runtime.
#   make            build build/nook
#   make demo       build and run a busybox container (README, first command)
#   make test       everything CI checks (README, second command)
#   make unit | bats | cgroup-test | vm-test | vm-test-v1 | check-asan | valgrind | bench
#   make integration | package-test | install | deb
# Set BUILD=dir to build elsewhere (parallel work trees), NOOK=path to test
# another binary.

CC      ?= cc
BUILD   ?= build
PKGS     = jansson libseccomp libcap
CFLAGS  ?= -O2 -g
override CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
           -MMD -MP
CPPFLAGS += $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -ljansson -lseccomp -lcap) -lm

VERSION := 0.1.0
CPPFLAGS += -DNOOK_VERSION='"$(VERSION)"'
# `nook --version` names the commit, as runc's does ("unknown" outside git).
COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
CPPFLAGS += -DNOOK_COMMIT='"$(COMMIT)"'

# Library code: every folder but the CLI entry point.
LIB_SRCS  := $(wildcard util/*.c spec/*.c ns/*.c rootfs/*.c cgroup/*.c security/*.c) \
             $(filter-out runtime/main.c,$(wildcard runtime/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPER_BINS := $(HELPER_SRCS:tests/helpers/%.c=$(BUILD)/helpers/%)
# Static helpers run inside busybox containers (no libc there).
STATIC_HELPER_SRCS := $(wildcard tests/helpers/static/*.c)
HELPER_BINS += $(STATIC_HELPER_SRCS:tests/helpers/static/%.c=$(BUILD)/helpers/static/%)

NOOK ?= $(abspath $(BUILD)/nook)
export NOOK

.PHONY: all deps demo test unit bats cgroup-test vm-test vm-test-v1 check-asan valgrind bench clean oom-test oom-stress demo-oom

all: $(BUILD)/nook $(HELPER_BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/nook: $(BUILD)/runtime/main.o $(LIB_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# tests/unit/test_<folder>[_x].c links util/, spec/ and <folder>/ only, so one
# folder's tests build while another folder is being edited; test_runtime*
# links everything.
folder_objs = $(patsubst %.c,$(BUILD)/%.o,$(if $(filter runtime,$(1)),$(LIB_SRCS),\
              $(sort $(wildcard util/*.c spec/*.c $(1)/*.c))))
.SECONDEXPANSION:
$(BUILD)/tests/test_%: tests/unit/test_%.c tests/unit/unit.h \
		$$(call folder_objs,$$(firstword $$(subst _, ,$$*)))
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Itests/unit -o $@ $< \
	  $(call folder_objs,$(firstword $(subst _, ,$*))) $(LDLIBS)

$(BUILD)/helpers/static/%: tests/helpers/static/%.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -static -o $@ $<

$(BUILD)/helpers/%: tests/helpers/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# Packages the build and the tests need, installed only when missing.
DEB_PKGS = build-essential pkg-config libjansson-dev libseccomp-dev libcap-dev \
           bats busybox-static iproute2 valgrind jq strace criu \
           man-db groff-base python3
VM_DEB_PKGS = qemu-system-x86 linux-image-amd64 busybox-static
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

vm-deps:
	@missing=$$(for p in $(VM_DEB_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

demo: deps all
	tests/demo.sh

unit: $(UNIT_BINS)
	@fail=0; for t in $(UNIT_BINS); do $$t || fail=1; done; exit $$fail

bats: all
	bats --tap tests/bats

# The cgroup behaviour suite on this host's own kind of cgroups (the CI
# machine: hybrid); the VMs run it on pure v2 and pure v1.
cgroup-test: all
	bats --tap tests/cgroup

vm-test: vm-deps all
	tests/vm/run-vm-suite.sh v2

vm-test-v1: vm-deps all
	tests/vm/run-vm-suite.sh v1

test: deps
	tests/run-all.sh

# The same unit and bats suites against an ASan+UBSan build.
ASAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
check-asan: deps
	$(MAKE) BUILD=build-asan CFLAGS="$(ASAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" unit all
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 NOOK=$(abspath build-asan/nook) \
	  bats --tap tests/bats tests/oom

valgrind: all $(UNIT_BINS)
	tests/valgrind.sh

bench: all
	tests/bench/run.sh

# OOM freeze (issue 8): the suite on this host, 50 rounds of each hog here
# and in the cgroup v2 VM, and the demo (in the VM where this host cannot
# freeze at the memory limit).
oom-test: all
	bats --tap tests/oom

oom-stress: vm-deps all
	tests/oom/stress.sh

demo-oom: deps all
	@if $(BUILD)/nook oom --help | grep -Eq '^  cgroup (v2, root|v1 / hybrid): +yes'; then \
	  tests/oom/demo.sh; \
	else \
	  echo "demo-oom: this host cannot freeze at the memory limit; running the demo in the cgroup v2 VM"; \
	  $(MAKE) --no-print-directory vm-deps && tests/vm/run-in-vm.sh -t 600 tests/oom/demo.sh; \
	fi

.PHONY: man install uninstall deb integration package-test

# Packaging: the manual pages (nook(8), nook-COMMAND(8)) are written from one
# source, docs/man/nook.man; `make install` honours PREFIX and DESTDIR.
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DOCDIR  ?= $(PREFIX)/share/doc/nook
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

man: $(BUILD)/man/nook.8
$(BUILD)/man/nook.8: docs/man/nook.man docs/man/mkman.sh
	rm -rf $(BUILD)/man
	docs/man/mkman.sh docs/man/nook.man $(BUILD)/man $(VERSION)

install: $(BUILD)/nook man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR) \
	  $(DESTDIR)$(DOCDIR)/examples
	install -m 0755 $(BUILD)/nook $(DESTDIR)$(BINDIR)/nook
	install -m 0644 $(BUILD)/man/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 packaging/nook.bash-completion $(DESTDIR)$(BASHCOMPDIR)/nook
	install -m 0644 docs/examples/* $(DESTDIR)$(DOCDIR)/examples/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/nook $(DESTDIR)$(BASHCOMPDIR)/nook
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(wildcard $(BUILD)/man/*.8)))
	rm -rf $(DESTDIR)$(DOCDIR)

# A .deb built with dpkg's tools (packaging/mkdeb.sh), in $(BUILD)/.
deb: all
	packaging/mkdeb.sh $(VERSION) $(abspath $(BUILD))/nook_$(VERSION)_$$(dpkg --print-architecture).deb

# nook under podman, containerd (ctr) and Docker (tests/integration/run.sh;
# then under runc (INTEG_REFERENCE), which shows the checks are right).
integration: all
	tests/integration/run.sh

package-test: all
	bats --tap tests/packaging

clean:
	rm -rf build build-asan build-*
