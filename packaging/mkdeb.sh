#!/bin/bash
# mkdeb.sh VERSION OUT.deb: a Debian package of nook, with Debian's own tools:
# `make install` into a staging tree (PREFIX=/usr), dpkg-shlibdeps for the
# library dependencies, dpkg-deb to build it. `make deb` calls this.
set -euo pipefail
version=$1 out=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
worktree=$(cd "$here/.." && pwd)
stage=$(mktemp -d "${TMPDIR:-/tmp}/nook-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT

root=$stage/root
make -s -C "$worktree" install DESTDIR="$root" PREFIX=/usr BUILD="${BUILD:-build}"
# Debian ships binaries stripped (the debug info stays in the build tree),
# manual pages compressed, and its copyright file in the doc dir.
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/nook"
gzip -9n "$root"/usr/share/man/man8/*.8
install -m 0644 "$here/copyright" "$root/usr/share/doc/nook/copyright"

# dpkg-shlibdeps reads debian/control: a minimal one in the staging dir.
mkdir -p "$stage/debian" "$root/DEBIAN"
printf 'Source: nook\n\nPackage: nook\nArchitecture: any\n' >"$stage/debian/control"
depends=$(cd "$stage" && dpkg-shlibdeps -O -e"root/usr/bin/nook" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
arch=$(dpkg --print-architecture)
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<CONTROL
Package: nook
Version: $version
Architecture: $arch
Maintainer: nook developers <nook@localhost>
Installed-Size: $size
Depends: $depends
Section: admin
Priority: optional
Description: OCI container runtime with runc's command line
 nook runs OCI bundles (a config.json and a root filesystem) like runc and
 crun, and sits under podman, containerd, Docker and Kubernetes in their
 place: namespaces, cgroup v1, v2 and hybrid hosts, seccomp, capabilities,
 rootless containers and hooks. Configuration snippets for those tools are in
 /usr/share/doc/nook/examples.
CONTROL
(cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
mkdir -p "$(dirname "$out")"
dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "$out"
