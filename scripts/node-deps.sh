#!/usr/bin/env bash
# Installs the npm packages the node-backed tests load in node (package.json,
# pinned exactly by package-lock.json; today only `autocannon`) into
# ./node_modules, which `workbench::verify::NodeSandbox` lets node read.
# Does nothing when node_modules already holds the pinned autocannon, so
# repeated runs (CI, scripts/test.sh) do not reinstall. Works from any cwd.
set -euo pipefail
cd "$(dirname "$0")/.."

# The pinned version, read from the lock (no node needed for this).
pinned=$(sed -n '/"node_modules\/autocannon": {/,/}/s/^ *"version": "\([^"]*\)".*/\1/p' package-lock.json | head -n 1)
if [ -z "$pinned" ]; then
  echo "scripts/node-deps.sh: package-lock.json pins no autocannon" >&2
  exit 1
fi
installed=""
if [ -f node_modules/autocannon/package.json ]; then
  installed=$(sed -n 's/^ *"version": "\([^"]*\)".*/\1/p' node_modules/autocannon/package.json | head -n 1)
fi
if [ "$installed" = "$pinned" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "scripts/node-deps.sh: npm is not on PATH: cannot install the npm packages of package.json (autocannon) into node_modules/" >&2
  exit 127
fi

echo "scripts/node-deps.sh: installing autocannon@$pinned (found: ${installed:-none}) with npm ci" >&2
npm ci --no-audit --no-fund
