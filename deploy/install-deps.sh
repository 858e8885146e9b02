#!/usr/bin/env bash
# Installs the Debian packages the project needs, only those missing (root: apt-get; otherwise
# sudo if available). Safe to run again: it does nothing when everything is there.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git ca-certificates tzdata
  librdkafka-dev libjansson-dev libpq-dev libcurl4-openssl-dev libmicrohttpd-dev libssl-dev
  libsodium-dev libxml2-dev libgnutls28-dev
  libpango1.0-dev libcairo2-dev libqrencode-dev fonts-dejavu-core poppler-utils zbar-tools
  libcmocka-dev
  postgresql postgresql-contrib
  python3 python3-jsonschema python3-yaml python3-aiosmtpd
  clang clang-format clang-tidy cppcheck libclang-rt-14-dev
  docker-compose
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node.js runs only the tests' CloudEvents SDK check: Debian's, unless a Node.js is there.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "install-deps: done"
fi

# The CloudEvents SDK the tests parse produced events with (the version the lock file pins).
ce="$(cd "$(dirname "$0")/.." && pwd)/tests/proto/cloudevents"
if ! cmp -s "$ce/package-lock.json" "$ce/node_modules/.installed-lock.json" 2>/dev/null; then
  npm ci --prefix "$ce" --no-audit --no-fund --loglevel=error >/dev/null
  cp "$ce/package-lock.json" "$ce/node_modules/.installed-lock.json"
  echo "install-deps: CloudEvents SDK installed for the tests"
fi
