#!/usr/bin/env bash
# The project's test command: the whole test suite, including the tests
# against real node (tests/node; `$WORKBENCH_NODE`, else `node` on PATH).
# Without node those are reported as ignored, and this script says so at
# the end; WORKBENCH_REQUIRE_NODE=1 makes them fail instead (CI). First
# the npm packages those tests load (scripts/node-deps.sh, package.json).
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
# The npm packages node loads in the node-backed tests (autocannon):
# installed from package-lock.json unless already there.
if ! scripts/node-deps.sh; then
  if [ "${WORKBENCH_REQUIRE_NODE:-}" = 1 ]; then
    echo "scripts/test.sh: scripts/node-deps.sh could not install node_modules/ (npm missing or failing) and WORKBENCH_REQUIRE_NODE=1: failing" >&2
    status=1
  else
    echo "scripts/test.sh: NOTE: scripts/node-deps.sh could not install node_modules/ (npm missing or failing): the autocannon-backed tests will fail (or, without node, be skipped) and say so" >&2
  fi
fi
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
