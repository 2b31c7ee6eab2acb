#!/bin/bash
# mkimages.sh DIR: the test image, a busybox root filesystem built from the
# host's busybox-static (tests/lib/mkrootfs.sh), as
#   DIR/rootfs.tar   a plain tar for `podman import` and `docker import`
#   DIR/oci.tar      an OCI image layout archive for `ctr images import`,
#                    named localhost/bb:latest (there is no registry).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
W=$1

"$here/../lib/mkrootfs.sh" "$W/rootfs"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$W/rootfs" -cf "$W/rootfs.tar" .

oci=$W/oci
mkdir -p "$oci/blobs/sha256"
# blob FILE: store FILE under its digest, print "sha256:<hex> <size>".
blob() {
    local hex size
    hex=$(sha256sum "$1" | cut -d' ' -f1)
    size=$(stat -c %s "$1")
    cp "$1" "$oci/blobs/sha256/$hex"
    echo "sha256:$hex $size"
}
read -r layer layer_size < <(blob "$W/rootfs.tar")
jq -n --arg l "$layer" '{architecture: "amd64", os: "linux",
    config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"]},
    rootfs: {type: "layers", diff_ids: [$l]}}' >"$W/config.json"
read -r config config_size < <(blob "$W/config.json")
jq -n --arg c "$config" --argjson cs "$config_size" --arg l "$layer" --argjson ls "$layer_size" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
      layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $l, size: $ls}]}' \
    >"$W/manifest.json"
read -r manifest manifest_size < <(blob "$W/manifest.json")
jq -n --arg m "$manifest" --argjson ms "$manifest_size" \
    '{schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest: $m, size: $ms, platform: {architecture: "amd64", os: "linux"},
      annotations: {"io.containerd.image.name": "localhost/bb:latest",
                    "org.opencontainers.image.ref.name": "latest"}}]}' >"$oci/index.json"
echo '{"imageLayoutVersion": "1.0.0"}' >"$oci/oci-layout"
tar -C "$oci" -cf "$W/oci.tar" oci-layout index.json blobs
rm -rf "$oci" "$W/config.json" "$W/manifest.json"
