#!/bin/bash
# make demo-oom: a container with a 32 MiB limit and org.nook.oom=freeze runs
# a hog that needs 48 MiB. At the limit nook freezes it instead of letting
# the kernel kill it; the demo prints the snapshot (`nook oom --wait`),
# raises the limit (`nook update --memory 64M`), resumes, and the hog
# finishes with every page it wrote read back intact.
#
# Needs a host where `nook oom --help` says yes; `make demo-oom` runs this in
# the cgroup v2 test VM otherwise.
set -euo pipefail

cd "$(dirname "$0")/../.."
repo=$(pwd)
build=${BUILD:-build}
nook=${NOOK:-$repo/$build/nook}
demo=$(mktemp -d "${TMPDIR:-/tmp}/nook-demo-oom.XXXXXX")
root=$demo/state
id=nook-demo-oom-$$

cleanup() {
	"$nook" --root "$root" delete -f "$id" >/dev/null 2>&1 || true
	rm -rf "$demo"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

mkdir -p "$demo/bundle"
NOOK_ROOTFS_CACHE=${NOOK_ROOTFS_CACHE:-} tests/lib/mkrootfs.sh "$demo/bundle/rootfs"
cp "$(dirname "$nook")/helpers/static/oomhog" "$demo/bundle/rootfs/oomhog"
"$nook" spec -b "$demo/bundle"
jq '.process.terminal = false
	| del(.process.capabilities.ambient)
	| .process.args = ["/oomhog", "proc", "48"]
	| .linux.resources.memory = {limit: 33554432}
	| .annotations["org.nook.oom"] = "freeze"' \
	"$demo/bundle/config.json" >"$demo/bundle/config.json.new"
mv "$demo/bundle/config.json.new" "$demo/bundle/config.json"

step "a container limited to 32 MiB runs a hog that needs 48 MiB (org.nook.oom=freeze)"
"$nook" --root "$root" create -b "$demo/bundle" "$id" >"$demo/out" 2>&1 </dev/null
"$nook" --root "$root" start "$id"

step "nook oom --wait $id: frozen at the limit, nobody killed; the snapshot"
"$nook" --root "$root" oom --wait "$id" | tee "$demo/snapshot"
echo "state: $("$nook" --root "$root" state "$id" | jq -r .status)"

step "the user decides: nook update --memory 64M $id && nook resume $id"
"$nook" --root "$root" update --memory 64M "$id"
"$nook" --root "$root" resume "$id"

step "the workload finishes, its data intact"
for _ in $(seq 300); do
	grep -q '^oomhog:' "$demo/out" && break
	sleep 0.1
done
cat "$demo/out"
grep -q '^oomhog: verified' "$demo/out"
