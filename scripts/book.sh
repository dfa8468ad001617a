#!/usr/bin/env bash
# Builds the book (book/, an mdBook) into book/build/, installing the
# pinned mdBook first when it is not there. `mdbook build` fails on a
# chapter SUMMARY.md lists that does not exist (book.toml:
# create-missing = false); the links between pages, the code blocks'
# languages, the generated lesson pages' freshness and the JavaScript
# examples are checked by the tests (tests/book.rs, tests/node/book.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

MDBOOK_VERSION=0.4.52
mdbook="${MDBOOK:-mdbook}"
if ! "$mdbook" --version 2>/dev/null | grep -qx "mdbook v$MDBOOK_VERSION"; then
  mdbook="${CARGO_HOME:-$HOME/.cargo}/bin/mdbook"
  if ! "$mdbook" --version 2>/dev/null | grep -qx "mdbook v$MDBOOK_VERSION"; then
    echo "scripts/book.sh: installing mdbook $MDBOOK_VERSION (cargo install, once)" >&2
    # Without the `serve` and `watch` features (a web server and a file
    # watcher): a third of the crates, and the build needs neither.
    cargo install mdbook --version "$MDBOOK_VERSION" --locked \
      --no-default-features --features search
  fi
fi
"$mdbook" build book
