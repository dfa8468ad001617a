#!/usr/bin/env bash
# The project's test command: the whole test suite, including the
# differential tests against real node (set WORKBENCH_REQUIRE_NODE=1 to make
# a missing node an error instead of a skip).
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo test --all-targets --no-fail-fast "$@"
