#!/usr/bin/env bash
# Makes the two base images the Dockerfile needs, without pulling from a registry (for machines
# that cannot reach Docker Hub): a minimal Debian 12 made with debootstrap, plus this machine's
# Node 20 binary, npm and headers. The "-build" image also has python3, make and g++ (better-sqlite3
# compiles from source when its prebuilt binary cannot be downloaded).
#
#   sudo scripts/container/make-local-base.sh [workdir]
#   podman build --build-arg BUILD_IMAGE=localhost/node20-bookworm-build-local \
#                --build-arg RUNTIME_IMAGE=localhost/node20-bookworm-local -t vipps-psp-emulator .
#
# Where Docker Hub is reachable, skip this: the Dockerfile's defaults are node:20-bookworm and
# node:20-bookworm-slim.
set -euo pipefail
WORK=${1:-/tmp/vipps-psp-emulator-base}
ENGINE=${ENGINE:-podman}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
NODE_BIN=$(command -v node)
NODE_PREFIX=$(dirname "$(dirname "$(readlink -f "$NODE_BIN")")")
"$NODE_BIN" -e 'if (!process.version.startsWith("v20.")) { console.error("need Node 20, have " + process.version); process.exit(1) }'
mkdir -p "$WORK"
if [ ! -x "$WORK/rootfs/bin/sh" ]; then
  debootstrap --variant=minbase bookworm "$WORK/rootfs" "$MIRROR"
fi
# Node: the binary, npm, and the headers node-gyp compiles native modules against.
install -D -m 0755 "$NODE_BIN" "$WORK/rootfs/usr/local/bin/node"
rm -rf "$WORK/rootfs/usr/local/lib/node_modules" "$WORK/rootfs/usr/local/include/node"
mkdir -p "$WORK/rootfs/usr/local/lib" "$WORK/rootfs/usr/local/include"
cp -a "$NODE_PREFIX/lib/node_modules" "$WORK/rootfs/usr/local/lib/node_modules"
cp -a "$NODE_PREFIX/include/node" "$WORK/rootfs/usr/local/include/node"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$WORK/rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$WORK/rootfs/usr/local/bin/npx"
rm -rf "$WORK/rootfs/var/cache/apt/archives/"*.deb "$WORK/rootfs/var/lib/apt/lists/"*
tar -C "$WORK/rootfs" -c . | "$ENGINE" import --change 'CMD ["node"]' - localhost/node20-bookworm-local
# The build image: the same plus a compiler.
if [ ! -x "$WORK/rootfs-build/usr/bin/g++" ]; then
  rm -rf "$WORK/rootfs-build"
  cp -a "$WORK/rootfs" "$WORK/rootfs-build"
  cp /etc/resolv.conf "$WORK/rootfs-build/etc/resolv.conf"
  chroot "$WORK/rootfs-build" /bin/sh -c 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*'
fi
# The build reaches the npm registry: it trusts what this machine trusts (a proxy's CA, if any).
# node-gyp finds the headers copied above (npm_config_nodedir) instead of downloading them.
mkdir -p "$WORK/rootfs-build/etc/ssl/certs"
cp /etc/ssl/certs/ca-certificates.crt "$WORK/rootfs-build/etc/ssl/certs/ca-certificates.crt"
tar -C "$WORK/rootfs-build" -c . | "$ENGINE" import --change 'CMD ["node"]' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'ENV npm_config_nodedir=/usr/local' - localhost/node20-bookworm-build-local
"$ENGINE" images | grep node20-bookworm
