#!/bin/bash
# mkrootfs.sh DIR: make DIR a minimal busybox root filesystem, built from the
# host's busybox-static package (no network, no image download).
#
#   bin/busybox plus one symlink per applet where busybox says it lives
#   (bin/sh, usr/bin/env, sbin/...), etc/passwd and etc/group with root and a
#   user 1000, empty proc sys dev tmp run dirs.
#
# Building the tree costs a few hundred symlinks; the test suite builds it once
# per run into a cache ($NOOK_ROOTFS_CACHE, else $BATS_RUN_TMPDIR/rootfs-cache,
# else a fresh temp dir) and copies the cache with cp -a for every bundle, so
# containers that write into their rootfs never touch the cache.
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi
dest=$1

busybox_bin() {
	local b
	for b in /bin/busybox /usr/bin/busybox; do
		# Only a static busybox works inside an empty root (no libc there).
		if [ -x "$b" ] && ! LC_ALL=C ldd "$b" >/dev/null 2>&1; then
			echo "$b"
			return 0
		fi
	done
	echo "$0: no static busybox found (apt-get install busybox-static)" >&2
	return 1
}

# build_tree DIR: the rootfs itself, into an empty or absent DIR.
build_tree() {
	local d=$1 bb applet dir rel
	bb=$(busybox_bin)
	mkdir -p "$d"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,root,home/user,var/tmp}
	chmod 1777 "$d/tmp" "$d/var/tmp"
	cp "$bb" "$d/bin/busybox"
	chmod 755 "$d/bin/busybox"
	# Relative links ("../../bin/busybox") keep working wherever the tree is
	# mounted or copied.
	while read -r applet; do
		case "$applet" in
		'' | bin/busybox | linuxrc) continue ;;
		esac
		dir=$(dirname "$applet")
		case "$dir" in
		bin | sbin) rel=../bin/busybox ;;
		usr/bin | usr/sbin) rel=../../bin/busybox ;;
		*) continue ;;
		esac
		[ -d "$d/$dir" ] || mkdir -p "$d/$dir"
		ln -sf "$rel" "$d/$applet"
	done < <("$bb" --list-full)
	# Some images put bin under usr; make both spellings of sh work.
	[ -e "$d/bin/sh" ] || ln -s busybox "$d/bin/sh"

	cat >"$d/etc/passwd" <<-'EOF'
		root:x:0:0:root:/root:/bin/sh
		user:x:1000:1000:user:/home/user:/bin/sh
		nobody:x:65534:65534:nobody:/nonexistent:/bin/false
	EOF
	cat >"$d/etc/group" <<-'EOF'
		root:x:0:
		user:x:1000:
		nogroup:x:65534:
	EOF
	chown 1000:1000 "$d/home/user" 2>/dev/null || true
	echo "nook-test" >"$d/etc/hostname"
	: >"$d/etc/hosts"
	: >"$d/etc/resolv.conf"
}

cache=${NOOK_ROOTFS_CACHE:-}
if [ -z "$cache" ] && [ -n "${BATS_RUN_TMPDIR:-}" ]; then
	cache=$BATS_RUN_TMPDIR/rootfs-cache
fi

if [ -z "$cache" ]; then
	build_tree "$dest"
	exit 0
fi

# Build the cache once: into a private temp dir, then rename into place, so
# parallel test jobs never see a half-built cache.
if [ ! -d "$cache" ]; then
	tmp=$(mktemp -d "$cache.tmp.XXXXXX")
	build_tree "$tmp/tree"
	if ! mv -T "$tmp/tree" "$cache" 2>/dev/null; then
		: # another job won the race; its tree is identical
	fi
	rm -rf "$tmp"
fi

mkdir -p "$dest"
cp -a "$cache/." "$dest/"
