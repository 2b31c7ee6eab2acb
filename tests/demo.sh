#!/bin/bash
# make demo: build a busybox bundle in $BUILD/demo and run one container that
# prints its hostname, its PID 1 and its mounts. Non-interactive (terminal
# false); the container and its state are removed afterwards.
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$(pwd)
build=${BUILD:-build}
nook=${NOOK:-$repo/$build/nook}
demo=$repo/$build/demo
root=$demo/state
id=nook-demo-$$

if [ ! -x "$nook" ]; then
	echo "demo: $nook not found; run make first" >&2
	exit 1
fi

cleanup() {
	"$nook" --root "$root" delete -f "$id" >/dev/null 2>&1 || true
	rm -rf "$demo"
}
trap cleanup EXIT

rm -rf "$demo"
mkdir -p "$demo/bundle"
NOOK_ROOTFS_CACHE='' tests/lib/mkrootfs.sh "$demo/bundle/rootfs"
"$nook" spec -b "$demo/bundle"

# Edit the default config: no terminal, a hostname, and a script to run.
script='echo "hostname: $(hostname)"
echo "PID 1:    $(cat /proc/1/comm) (this shell is pid $$)"
echo "mounts:"
awk "{ for (i = 7; \$i != \"-\"; i++); printf \"  %-16s %-8s %s\\n\", \$5, \$(i + 1), \$6 }" /proc/self/mountinfo'
jq --arg s "$script" '
	.process.terminal = false
	| .hostname = "nook-demo"
	| .process.args = ["sh", "-c", $s]' \
	"$demo/bundle/config.json" >"$demo/bundle/config.json.new"
mv "$demo/bundle/config.json.new" "$demo/bundle/config.json"

echo "+ nook run -b $demo/bundle $id"
"$nook" --root "$root" run -b "$demo/bundle" "$id" </dev/null
