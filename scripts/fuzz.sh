#!/usr/bin/env bash
# Random-program hunt: generate COUNT scenarios from START_SEED on, compare
# the model with real node, print each minimised disagreement. Each seed is
# checked as CommonJS and as an ES module (with top-level awaits) unless
# FUZZ_MODULE says cjs or esm.
#   scripts/fuzz.sh [COUNT] [START_SEED]
# Environment: FUZZ_THREADS (default: all cores), FUZZ_PROFILE (dev|release,
# default dev), FUZZ_MODULE (cjs|esm|both, default both), WORKBENCH_NODE
# (node executable).
# Exit code: 0 all agree, 1 a disagreement (or a broken program), 2 usage.
set -euo pipefail

count="${1:-1000}"
start="${2:-1}"
profile="${FUZZ_PROFILE:-dev}"
module="${FUZZ_MODULE:-both}"

cd "$(dirname "$0")/.."
if [ "$profile" = release ]; then
    cargo build --quiet --release --bin fuzz
    exec ./target/release/fuzz "$count" "$start" --module "$module"
else
    cargo build --quiet --bin fuzz
    exec ./target/debug/fuzz "$count" "$start" --module "$module"
fi
