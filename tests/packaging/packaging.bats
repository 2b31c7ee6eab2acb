#!/usr/bin/env bats
# Packaging: make install (PREFIX, DESTDIR), the manual pages, bash
# completion, the configuration snippets and make deb. Run by
# `make package-test` against the build directory $BUILD (default build).

bats_require_minimum_version 1.5.0

setup_file() {
	export WORKTREE=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	export BUILD=${BUILD:-build}
	case "$BUILD" in /*) ;; *) BUILD=$WORKTREE/$BUILD ;; esac
	export DEST=$BATS_FILE_TMPDIR/dest
	make -s -C "$WORKTREE" BUILD="$BUILD" install DESTDIR="$DEST" PREFIX=/usr >&2
	export NOOK_INSTALLED=$DEST/usr/bin/nook
}

# The commands the installed nook lists in its --help.
commands() {
	"$NOOK_INSTALLED" --help | awk '/^(commands|COMMANDS):/ { on = 1; next } on && /^$/ { on = 0 } on && /^ +[a-z]/ { print $1 }'
}

# complete WORD...: what the installed completion offers for the last word.
complete_words() {
	PATH=$DEST/usr/bin:$PATH bash -c '
		source "$0"
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		_nook
		printf "%s\n" "${COMPREPLY[@]}"' "$DEST/usr/share/bash-completion/completions/nook" "$@"
}

@test "make install: binary, man pages, completion, examples under DESTDIR/PREFIX" {
	run -0 "$NOOK_INSTALLED" --version
	[[ "$output" == "nook version "* ]]
	[ -f "$DEST/usr/share/man/man8/nook.8" ]
	[ -f "$DEST/usr/share/bash-completion/completions/nook" ]
	for f in containers.conf containerd-config.toml runtimeclass.yaml daemon.json; do
		[ -f "$DEST/usr/share/doc/nook/examples/$f" ]
	done
}

@test "a manual page for every command, from the one source" {
	local c
	for c in $(commands); do
		[ -f "$DEST/usr/share/man/man8/nook-$c.8" ] || { echo "no page for $c"; return 1; }
	done
	[ "$(ls "$DEST/usr/share/man/man8" | wc -l)" -eq $(($(commands | wc -l) + 1)) ]
}

@test "man -l renders every page without warnings" {
	local p name
	for p in "$DEST"/usr/share/man/man8/*.8; do
		run -0 env MANWIDTH=80 man --warnings -l "$p"
		name=$(basename "$p" .8)
		[[ "${lines[0]}" == "${name^^}(8)"* ]] || { echo "$p: ${lines[0]}"; return 1; }
		[[ "$output" == *NAME*"$name - "* ]]
		[[ "$output" == *SYNOPSIS* ]]
		run -0 sh -c 'MANWIDTH=80 man --warnings -l "$1" 2>&1 >/dev/null' sh "$p"
		[ -z "$output" ] || { echo "$p: $output"; return 1; }
	done
}

@test "completion: commands (nook k<TAB>), global and command flags" {
	run -0 complete_words nook k
	[ "$output" = kill ]
	run -0 complete_words nook --deb
	[ "$output" = --debug ]
	run -0 complete_words nook delete --f
	[ "$output" = --force ]
	run -0 complete_words nook --log-format j
	[ "$output" = json ]
}

@test "completion: container ids under --root, then signals for kill" {
	local root=$BATS_TEST_TMPDIR/root bundle=$BATS_TEST_TMPDIR/bundle
	mkdir -p "$bundle"
	"$WORKTREE/tests/lib/mkrootfs.sh" "$bundle/rootfs"
	"$NOOK_INSTALLED" spec -b "$bundle"
	jq '.process.terminal = false | .process.args = ["sleep", "100"]' "$bundle/config.json" >"$bundle/c" &&
		mv "$bundle/c" "$bundle/config.json"
	"$NOOK_INSTALLED" --root "$root" create -b "$bundle" pkg-ctr-$$ </dev/null >/dev/null 2>&1
	run complete_words nook --root "$root" kill pkg-
	run2=$(complete_words nook --root "$root" kill pkg-ctr-$$ KI)
	"$NOOK_INSTALLED" --root "$root" delete -f pkg-ctr-$$
	[ "$output" = pkg-ctr-$$ ]
	[ "$run2" = KILL ]
}

@test "make uninstall removes what make install put there" {
	local dest=$BATS_TEST_TMPDIR/dest
	make -s -C "$WORKTREE" BUILD="$BUILD" install DESTDIR="$dest" PREFIX=/opt/nook >&2
	[ -x "$dest/opt/nook/bin/nook" ]
	make -s -C "$WORKTREE" BUILD="$BUILD" uninstall DESTDIR="$dest" PREFIX=/opt/nook >&2
	run -0 find "$dest" -type f
	[ -z "$output" ]
}

@test "the configuration snippets parse and name nook" {
	local ex=$DEST/usr/share/doc/nook/examples
	[ "$(jq -r '.runtimes.nook.path' "$ex/daemon.json")" = /usr/bin/nook ]
	run -0 python3 -c '
import sys, tomllib
conf = tomllib.load(open(sys.argv[1], "rb"))
assert conf["engine"]["runtime"] == "nook"
assert "/usr/bin/nook" in conf["engine"]["runtimes"]["nook"]
ctd = tomllib.load(open(sys.argv[2], "rb"))
rt = ctd["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]["nook"]
assert rt["runtime_type"] == "io.containerd.runc.v2"
assert rt["options"]["BinaryName"] == "/usr/bin/nook"
' "$ex/containers.conf" "$ex/containerd-config.toml"
	grep -qx 'handler: nook' "$ex/runtimeclass.yaml"
	if command -v containerd >/dev/null; then
		run -0 containerd --config "$ex/containerd-config.toml" config dump
		[[ "$output" == *'BinaryName = "/usr/bin/nook"'* ]]
	fi
}

# dpkg -i / dpkg -r into a private root (--root) holding a copy of the
# host's package database: the package's dependencies are checked against
# the host's packages, and the host's own /usr is never touched.
@test "make deb: dpkg -i installs it, dpkg -r removes it cleanly" {
	run -0 make -s -C "$WORKTREE" BUILD="$BUILD" deb
	deb=${lines[-1]}
	[ -f "$deb" ]
	run -0 dpkg-deb -f "$deb" Package Depends
	[[ "$output" == *"Package: nook"* ]]
	[[ "$output" == *libseccomp2* ]]
	local r=$BATS_TEST_TMPDIR/dpkgroot
	mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates"
	cp /var/lib/dpkg/status "$r/var/lib/dpkg/status"
	run -0 dpkg --root="$r" -i "$deb"
	[ -x "$r/usr/bin/nook" ]
	run -0 "$r/usr/bin/nook" --version
	[ -f "$r/usr/share/man/man8/nook.8.gz" ]
	run -0 env MANWIDTH=80 man -l "$r/usr/share/man/man8/nook-run.8.gz"
	[[ "$output" == *"nook-run - create and start a container"* ]]
	[ "$(dpkg-query --admindir="$r/var/lib/dpkg" -W -f='${Status}' nook)" = "install ok installed" ]
	run -0 dpkg --root="$r" -r nook
	run -0 find "$r" -path "$r/var" -prune -o \( -type f -print \)
	[ -z "$output" ] || { echo "left behind: $output"; return 1; }
	[ "$(dpkg-query --admindir="$r/var/lib/dpkg" -W -f='${Status}' nook)" != "install ok installed" ]
}
