#!/usr/bin/env bash
# The project's test command: the whole test suite, including the tests
# against real node (tests/node; `$WORKBENCH_NODE`, else `node` on PATH).
# Without node those are reported as ignored, and this script says so at
# the end; WORKBENCH_REQUIRE_NODE=1 makes them fail instead (CI).
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
cargo test --all-targets --no-fail-fast "$@" || status=$?
node="${WORKBENCH_NODE:-node}"
if ! "$node" --version >/dev/null 2>&1; then
  if [ "${WORKBENCH_REQUIRE_NODE:-}" = 1 ]; then
    echo "scripts/test.sh: \`$node\` does not run and WORKBENCH_REQUIRE_NODE=1: the node-backed tests failed" >&2
  else
    echo "scripts/test.sh: NOTE: \`$node\` does not run: the node-backed tests (tests/node) were SKIPPED, see 'ignored' in the node summary above" >&2
  fi
fi
exit "$status"
