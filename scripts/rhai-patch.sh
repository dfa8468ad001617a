#!/usr/bin/env bash
# Regenerates vendor/rhai.patch: the difference between Rhai 1.27.0 as
# published (added untouched in commit 1d18879) and vendor/rhai today.
set -euo pipefail
cd "$(dirname "$0")/.."
git diff 1d18879 -- vendor/rhai > vendor/rhai.patch
echo "vendor/rhai.patch: $(grep -c '^diff' vendor/rhai.patch) files, $(wc -l < vendor/rhai.patch) lines"
