#!/usr/bin/env bash
# The README's demo: builds rkt, makes an image on the spot from the host's static busybox with the
# appc `actool`, fetches it into a throwaway data directory, shows the store and runs the image as a
# pod (root: namespaces and mounts), then garbage-collects the pod.
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/setup.sh >/dev/null
node_modules/.bin/bun release/build.ts

work=$(mktemp -d /tmp/rkt-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
rkt=(dist/rkt --dir="$work/data" --local-config="$work/etc" --system-config="$work/lib")

mkdir -p "$work/image/rootfs/bin" "$work/image/rootfs/etc"
cp /bin/busybox "$work/image/rootfs/bin/busybox"
for applet in sh echo hostname ls cat sleep true; do ln -s busybox "$work/image/rootfs/bin/$applet"; done
echo 'root:x:0:0:root:/root:/bin/sh' > "$work/image/rootfs/etc/passwd"
echo 'root:x:0:' > "$work/image/rootfs/etc/group"
cat > "$work/image/manifest" <<'JSON'
{
  "acKind": "ImageManifest",
  "acVersion": "0.8.11",
  "name": "example.com/hello",
  "labels": [{ "name": "version", "value": "1.0" }, { "name": "os", "value": "linux" }, { "name": "arch", "value": "amd64" }],
  "app": { "exec": ["/bin/sh", "-c", "echo Hello from a pod: $(hostname)"], "user": "0", "group": "0" }
}
JSON
actool build "$work/image" "$work/hello.aci"
actool validate "$work/hello.aci"

echo "+ rkt fetch --insecure-options=image $work/hello.aci"
"${rkt[@]}" --insecure-options=image fetch "$work/hello.aci"
echo "+ rkt image list"
"${rkt[@]}" image list
echo "+ rkt run example.com/hello:1.0"
"${rkt[@]}" run example.com/hello:1.0
echo "+ rkt list"
"${rkt[@]}" list
echo "+ rkt gc --grace-period=0s"
"${rkt[@]}" gc --grace-period=0s
