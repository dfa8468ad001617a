#!/usr/bin/env bash
# Scheduler benchmarks, side by side with node on the same JavaScript.
# Each scenario in benches/scenarios runs headless with the trace recorded;
# the best of RUNS (default 3) wall-clock times is kept for both sides.
# Usage: scripts/bench.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
cargo build --release --quiet
scripts/node-deps.sh >/dev/null
bin=target/release/workbench
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

now_ns() { date +%s%N; }

best_of() { # best_of CMD... -> seconds (min over $runs runs)
  local best=""
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(now_ns)
    "$@" >/dev/null 2>&1 || true
    t1=$(now_ns)
    local d=$((t1 - t0))
    if [ -z "$best" ] || [ "$d" -lt "$best" ]; then best=$d; fi
  done
  awk -v ns="$best" 'BEGIN { printf "%.3f", ns / 1e9 }'
}

printf '%-26s %12s %10s %8s %12s %10s\n' scenario workbench node ratio bytes/event events
for scenario in benches/scenarios/*.rhai; do
  name=$(basename "$scenario" .rhai)
  js="$tmp/$name.js"
  "$bin" js "$scenario" > "$js"
  stats=$("$bin" run --stats "$scenario" 2>&1 >/dev/null | grep '^workbench: ')
  events=$(sed -E 's/^workbench: ([0-9]+) events.*/\1/' <<<"$stats")
  bpe=$(sed -E 's/.* ([0-9.]+) trace bytes\/event.*/\1/' <<<"$stats")
  wb=$(best_of "$bin" run "$scenario")
  nd=$(NODE_PATH="$PWD/node_modules" best_of node "$js")
  ratio=$(awk -v a="$wb" -v b="$nd" 'BEGIN { printf "%.2fx", a / b }')
  printf '%-26s %11ss %9ss %8s %12s %10s\n' "$name" "$wb" "$nd" "$ratio" "$bpe" "$events"
done
echo "targets (DESIGN.md): at most 5x node's time, at most 32 trace bytes per event"
echo
# A script near the size limit (45,000 lines, 3.8 MB of `let`s and global
# names), generated here: compiling and rendering it (`workbench js`)
# against `node --check` of the same JavaScript. Parsing was quadratic in
# the number of `let`s before (16.5 s).
big="$tmp/big_script.rhai"
awk 'BEGIN { for (i = 0; i < 45000; i++) printf "let x%d = [%d, \"abc\", #{a: %d}]; if x%d.len() > 5 { console.log(x%d); }\n", i, i, i, i, i }' > "$big"
"$bin" js "$big" > "$tmp/big_script.js"
wb=$(best_of "$bin" js "$big")
nd=$(best_of node --check "$tmp/big_script.js")
printf '%-26s %11ss %9ss %8s   (%s bytes; workbench js against node --check)\n' big_script_parse "$wb" "$nd" \
  "$(awk -v a="$wb" -v b="$nd" 'BEGIN { printf "%.2fx", a / b }')" "$(wc -c < "$big")"
echo
echo "player (targets: first frame < 100 ms, frame < 2 ms at 200x60, seek < 16 ms, knob re-run < 50 ms):"
cargo run --release --quiet --example player_bench
echo
echo "presenter (same targets: first frame < 100 ms, frame < 2 ms at 200x60):"
cargo run --release --quiet --example present_bench

echo "drills (targets: open and show the first item < 100 ms, a level-5 puzzle generated and race-filtered < 50 ms):"
cargo run --release --quiet --example drill_bench
echo
echo "Real-clock pool: instrumented against bare threads (issue 5: at most 5%)"
cargo run --release --quiet --example pool_overhead
echo
echo "Real sockets (--clock real): a server and autocannon in one process, 2 s, 10 connections"
"$bin" js benches/real/http_real.rhai > "$tmp/http_real.js"
printf '%-12s %s\n' workbench "$("$bin" run --clock real --max-events 200000000 benches/real/http_real.rhai)"
printf '%-12s %s\n' node "$(NODE_PATH="$PWD/node_modules" node "$tmp/http_real.js")"
echo
echo "Real sockets, the load from outside: autocannon's CLI (node, 10 connections, 3 s) against"
echo "the same server: workbench --clock real with its trace, without it (--no-record), and node"
"$bin" js benches/real/http_server.rhai > "$tmp/http_server.js"
load() { # load PORT -> "N requests/s"
  sleep 1
  NODE_PATH="$PWD/node_modules" node node_modules/autocannon/autocannon.js -j -c 10 -d 3 \
    "http://127.0.0.1:$1/" 2>/dev/null | node -e \
    'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);console.log(`${r.requests.average} requests/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, ${r.errors} errors`)})'
}
for side in "workbench:--clock real" "workbench-no-record:--clock real --no-record" node; do
  name=${side%%:*}
  port=$((18700 + RANDOM % 200))
  case "$side" in
    node) node "$tmp/http_server.js" "$port" 6 >/dev/null 2>&1 & ;;
    *) "$bin" run ${side#*:} --max-events 200000000 benches/real/http_server.rhai "$port" 6 >/dev/null 2>&1 & ;;
  esac
  server=$!
  printf '%-20s %s\n' "$name" "$(load "$port")"
  wait "$server" || true
done
echo
echo "Recordings and the book: a lesson exported as asciicast (the whole lesson played, every"
echo "frame drawn) and as one SVG frame, at the default 120x36; every generated page of the book"
printf '%-20s %12s %12s %10s\n' lesson asciicast svg cast-bytes
for lesson in event-loop thread-pool cluster zero-downtime; do
  ac=$(best_of "$bin" export "$lesson" --format asciicast --out "$tmp/$lesson.cast")
  sv=$(best_of "$bin" export "$lesson" --format svg --out "$tmp/$lesson.svg")
  printf '%-20s %11ss %11ss %10s\n' "$lesson" "$ac" "$sv" "$(wc -c < "$tmp/$lesson.cast")"
done
printf '%-20s %11ss   (every lesson run, drawn and written as Markdown and SVG)\n' "workbench book" \
  "$(best_of "$bin" book --check)"
