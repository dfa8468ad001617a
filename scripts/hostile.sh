#!/usr/bin/env bash
# Hostile-program hunt: mutate the project's own scripts (lessons,
# tests/scenarios, tests/hostile) with hostile numbers, strings and
# statements, run each under the virtual and the real clock, and fail on
# any panic, abort, kill by signal, run past the time limit, budget message
# without a location, or write outside the scenario's sandbox (a canary
# directory). Failing programs are kept in target/hostile/ for replay.
#   scripts/hostile.sh [COUNT] [START_SEED]
# Environment: HOSTILE_THREADS (default 2), HOSTILE_LIMIT_SECS (default 30).
# Exit code: 0 nothing got through, 1 something did.
set -euo pipefail

count="${1:-200}"
start="${2:-1}"

cd "$(dirname "$0")/.."
cargo build --quiet --release --bin workbench --bin hostile
exec ./target/release/hostile "$count" "$start"
