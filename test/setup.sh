#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine: Debian packages when missing (as root),
# npm packages (Bun among them) from the lock file. Run by `npm test` before `bun test`.
set -euo pipefail
cd "$(dirname "$0")/.."

# package name → a file it installs
declare -A debs=(
  [busybox-static]=/bin/busybox
  [appc-spec]=/usr/bin/actool
  [gnupg]=/usr/bin/gpg
  [xz-utils]=/usr/bin/xz
  [bzip2]=/bin/bzip2
  [gcc]=/usr/bin/gcc
  [libc6-dev]=/usr/lib/x86_64-linux-gnu/libc.a
  [skopeo]=/usr/bin/skopeo
  [docker-registry]=/usr/bin/docker-registry
  [openssl]=/usr/bin/openssl
  [socat]=/usr/bin/socat
  [systemd]=/usr/bin/systemd-socket-activate
  [golang-go]=/usr/bin/go
  [golang-github-appc-spec-dev]=/usr/share/gocode/src/github.com/appc/spec/ace/validator.go
  [containernetworking-plugins]=/usr/lib/cni/ptp
  [iptables]=/usr/sbin/iptables
  [iproute2]=/usr/sbin/ip
)
missing=()
for pkg in "${!debs[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 && [ -e "${debs[$pkg]}" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "test setup: missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
    exit 1
  fi
  echo "test setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x node_modules/.bin/bun ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
