#!/usr/bin/env bash
# Installs what memkeep needs on a fresh Debian machine that has Node.js and npm: bun (from npm),
# redis-server and redis-tools (Debian; the reference server and clients for tests and benchmarks),
# openssl and iproute2 (TLS and network tests), and the project's npm dependencies. Idempotent: it
# skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
BUN_VERSION=1.4.5
if ! command -v bun >/dev/null 2>&1 || [[ "$(bun --version)" != "$BUN_VERSION" ]]; then
  npm install -g --allow-scripts=bun "bun@$BUN_VERSION" >/dev/null 2>&1 || npm install -g "bun@$BUN_VERSION"
fi
if [[ "${1:-}" != "server" ]]; then
  # openssl: scripts/dev-certs.ts and the TLS tests; iproute2: `ip netns` and `ss` in the network tests.
  if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-benchmark >/dev/null 2>&1 ||
    ! command -v openssl >/dev/null 2>&1 || ! command -v ip >/dev/null 2>&1 || ! command -v ss >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq redis-server redis-tools openssl iproute2 >/dev/null
  fi
fi
if [[ ! -d node_modules ]] || [[ package.json -nt node_modules ]]; then
  bun install --frozen-lockfile 2>/dev/null || bun install
  touch node_modules
fi
