#!/usr/bin/env bash
# End-to-end test of the lesson player in a real terminal (tmux): open,
# step, step back, play, knob change, help, quit, the picker, drills, Ctrl-C,
# SIGTERM, SIGINT, SIGHUP, SIGQUIT, a closed terminal and a too-small
# window; presenter mode (PageDown, a class question revealed, blank,
# quit) with the speaker notes following it in a second terminal; after
# each exit the terminal must be restored (alternate screen
# off, canonical mode and echo back on) and the exit code 0, or 128 + the
# signal after a signal.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
bin="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/debug/workbench"
session="wb-e2e-$$"
failures=0
# Progress goes to a scratch directory: the learner's own is never read
# or written, and every run starts as a new learner.
data="$(mktemp -d)"

cleanup() { tmux kill-session -t "$session" 2>/dev/null || true; }
notes_session="$session-notes"
trap 'cleanup; tmux kill-session -t "$notes_session" 2>/dev/null || true; rm -rf "$data"' EXIT

screen() { tmux capture-pane -p -t "$session"; }

# wait_for TEXT [SECONDS]: poll the pane until TEXT shows.
wait_for() {
  local text=$1 limit=${2:-10} i
  for ((i = 0; i < limit * 10; i++)); do
    if screen | grep -qF -- "$text"; then return 0; fi
    sleep 0.1
  done
  echo "FAIL: timed out waiting for: $text"
  screen | sed 's/^/    | /'
  failures=$((failures + 1))
  return 1
}

expect() { # expect TEXT DESCRIPTION
  if screen | grep -qF -- "$1"; then
    echo "ok    $2"
  else
    echo "FAIL  $2 (no '$1' on screen)"
    screen | sed 's/^/    | /'
    failures=$((failures + 1))
  fi
}

restored() { # restored WHAT [EXIT]: exit line shown, terminal modes back
  local code=${2:-0}
  wait_for "WORKBENCH_EXIT=$code." 10 && echo "ok    $1: exit code $code"
  if [ "$(tmux display -p -t "$session" '#{alternate_on}')" = "0" ]; then
    echo "ok    $1: alternate screen off"
  else
    echo "FAIL  $1: still on the alternate screen"
    failures=$((failures + 1))
  fi
  wait_for "TTY=icanon echo" 5 && echo "ok    $1: canonical mode and echo on"
}

start() { # start ARGS...: run workbench in a fresh session
  cleanup
  # Killing the last session ends tmux's server, and a session created
  # while it is ending fails ("server exited unexpectedly"): try again.
  local attempt
  for attempt in 1 2 3 4 5; do
    tmux new-session -d -s "$session" -x 160 -y 48 \
      "WORKBENCH_DATA_DIR='$data' $bin $*; echo WORKBENCH_EXIT=\$?.; echo TTY=\$(stty -a | grep -oE '(^| )-?icanon' | tr -d ' ') \$(stty -a | grep -oE '(^| )-?echo( |\$)' | tr -d ' '); sleep 120" \
      2>/dev/null && return 0
    sleep 0.2
  done
  echo "FAIL  tmux cannot start a session"
  exit 1
}

event_number() { screen | head -1 | sed -E 's/.*event ([0-9]+)\/.*/\1/'; }

# --- open, step, step back, play, knobs, help, quit ---
start lesson event-loop
wait_for "The event loop, phase by phase" && echo "ok    opens the lesson"
expect "event 1/" "starts at the first event"
tmux send-keys -t "$session" l l l
sleep 0.3
expect "event 4/" "l steps forward"
tmux send-keys -t "$session" h
sleep 0.3
expect "event 3/" "h steps back"
tmux send-keys -t "$session" Space
sleep 1.2
tmux send-keys -t "$session" Space
sleep 0.3
n=$(event_number)
if [ "${n:-0}" -gt 3 ]; then echo "ok    space plays (now at event $n)"; else echo "FAIL  space did not play"; failures=$((failures + 1)); fi
# Playing stops at a narration step with a question: answer it.
if screen | grep -qF "Press the number of your answer"; then
  tmux send-keys -t "$session" 3
  wait_for "Right." 5 && echo "ok    a question is answered and explained"
  tmux send-keys -t "$session" x
  sleep 0.3
fi
tmux send-keys -t "$session" k
wait_for "knobs:" 5 && echo "ok    k opens the knobs"
tmux send-keys -t "$session" Down Right
wait_for "chain = 3" 5 && echo "ok    a knob changes and the lesson re-runs"
tmux send-keys -t "$session" k
sleep 0.3
tmux send-keys -t "$session" '?'
wait_for "keys (? or esc closes)" 5 && echo "ok    ? shows the key bindings"
tmux send-keys -t "$session" Escape
sleep 0.3
if screen | grep -qF "keys (? or esc closes)"; then echo "FAIL  esc did not close help"; failures=$((failures + 1)); else echo "ok    esc closes help"; fi
tmux send-keys -t "$session" q
restored "quit with q"

# --- the picker ---
rm -f "$data/progress.json" # a new learner: enter opens the first lesson
start
wait_for "Pick a lesson" && echo "ok    no arguments opens the picker"
tmux send-keys -t "$session" Enter
wait_for "step 0/" 10 && echo "ok    enter opens a lesson"
tmux send-keys -t "$session" q
wait_for "Pick a lesson" 5 && echo "ok    q goes back to the picker"
tmux send-keys -t "$session" q
restored "quit from the picker"

# --- the course order, and a lesson left in the middle resumes ---
rm -f "$data/progress.json"
start
wait_for "Pick a lesson" 10
first=$(screen | grep -nF "The event loop, phase by phase" | head -1 | cut -d: -f1)
second=$(screen | grep -nF "nextTick, promises" | head -1 | cut -d: -f1)
if [ -n "$first" ] && [ -n "$second" ] && [ "$first" -lt "$second" ]; then
  echo "ok    the picker lists the lessons as a course (event-loop, then microtasks)"
else
  echo "FAIL  the picker's order: event-loop at row ${first:-?}, microtasks at row ${second:-?}"
  failures=$((failures + 1))
fi
tmux send-keys -t "$session" q
restored "quit the picker"
start lesson event-loop
wait_for "The event loop, phase by phase" 10
tmux send-keys -t "$session" n n n
sleep 0.3
# A question may be open: esc skips it; then esc asks before leaving.
tmux send-keys -t "$session" Escape
sleep 0.3
if screen | grep -qF "Leave this lesson?"; then :; else tmux send-keys -t "$session" Escape; fi
wait_for "Leave this lesson?" 5 && echo "ok    esc asks before leaving"
tmux send-keys -t "$session" y
restored "leave with esc, y"
start lesson event-loop
wait_for "Welcome back" 10 && echo "ok    reopened, the lesson offers to resume"
tmux send-keys -t "$session" Enter
sleep 0.3
if screen | head -1 | grep -qE "step [1-9]/"; then
  echo "ok    enter resumes at the step it was left at"
else
  echo "FAIL  did not resume: $(screen | head -1)"
  failures=$((failures + 1))
fi
tmux send-keys -t "$session" q
restored "quit after resuming"
start lessons
wait_for "WORKBENCH_EXIT=0." 10
expect "step " "workbench lessons shows the place left"

# --- Ctrl-C ---
start lesson microtasks
wait_for "nextTick, promises" 10
tmux send-keys -t "$session" C-c
restored "Ctrl-C"

# --- signals: each restores the terminal and exits with 128 + signal ---
for sig in TERM:143 INT:130 HUP:129 QUIT:131; do
  start lesson async-await
  wait_for "async/await, tick by tick" 10
  pid=$(pgrep -n -f "^$bin lesson async-await\$")
  kill -"${sig%%:*}" "$pid"
  restored "SIG${sig%%:*}" "${sig##*:}"
done

# --- the terminal goes away (window closed): SIGHUP with no terminal to
# read; the player must end, not spin on the closed input ---
start lesson async-await
wait_for "async/await, tick by tick" 10
pid=$(pgrep -n -f "^$bin lesson async-await\$")
tmux kill-session -t "$session"
gone=0
for _ in $(seq 50); do
  if ! kill -0 "$pid" 2>/dev/null; then gone=1; break; fi
  sleep 0.1
done
if [ "$gone" = 1 ]; then
  echo "ok    a closed terminal ends the player"
else
  echo "FAIL  the player still runs 5 s after its terminal closed"
  kill -9 "$pid" 2>/dev/null || true
  failures=$((failures + 1))
fi

# --- drills: a myth answered, why in the player and back, an output
# item refused while incomplete, then graded, the summary, stats, an
# interview's report, a bad topic ---
start drill --seed 1 --topic events --level 1
wait_for "drill · 1/2 · events · level 1 · myth" 10 && echo "ok    workbench drill opens the first item"
tmux send-keys -t "$session" 1
wait_for "node prints: pong" 5 && echo "ok    a choice is graded with node's proof"
tmux send-keys -t "$session" w
wait_for "drill: why" 10 && echo "ok    w opens the program in the player"
tmux send-keys -t "$session" q
wait_for "node prints: pong" 5 && echo "ok    q returns to the drill"
tmux send-keys -t "$session" Enter
wait_for "What does this program print?" 5 && echo "ok    enter moves to the next item"
tmux send-keys -t "$session" Enter
wait_for "still in the pool" 5 && echo "ok    an incomplete answer is refused"
tmux send-keys -t "$session" 1 1 1 1 Enter
wait_for "node prints" 5 && echo "ok    a complete answer is graded"
tmux send-keys -t "$session" w
wait_for "drill: why" 10 && echo "ok    why opens the output item's program"
tmux send-keys -t "$session" q
wait_for "node prints" 5
tmux send-keys -t "$session" q
wait_for "session over" 5 && echo "ok    q ends the session with a summary"
tmux send-keys -t "$session" q
restored "quit the drill"
start drill stats
wait_for "WORKBENCH_EXIT=0." 10
expect "events                103      2" "drill stats counts the two answers"
start drill --interview --items 2 --seed 3
wait_for "left · 0 answered" 10 && echo "ok    an interview shows its clock"
tmux send-keys -t "$session" q
wait_for "Interview set:" 5 && echo "ok    ending it gives the report"
tmux send-keys -t "$session" q
restored "quit the interview"
start drill --topic bufers
wait_for "WORKBENCH_EXIT=2." 10
expect "a similar topic exists: 'buffers'" "an unknown topic is refused with a tip"

# --- a terminal too small, then enlarged ---
start lesson event-loop
wait_for "The event loop, phase by phase" 10
tmux resize-window -t "$session" -x 60 -y 20
wait_for "Enlarge the terminal" 5 && echo "ok    a small terminal gets a message"
tmux resize-window -t "$session" -x 160 -y 48
wait_for "The event loop, phase by phase" 5 && echo "ok    enlarging restores the player"
tmux send-keys -t "$session" q
restored "quit after resizing"

# --- presenter mode: open, step with PageDown, a class question hidden
# then revealed, blank, quit; speaker notes follow it in a second
# terminal and end with it ---
notes_screen() { tmux capture-pane -p -t "$notes_session"; }
notes_show() { # notes_show TEXT DESCRIPTION: poll the notes' pane
  local i
  for ((i = 0; i < 50; i++)); do
    if notes_screen | grep -qF -- "$1"; then echo "ok    $2"; return 0; fi
    sleep 0.1
  done
  echo "FAIL  $2 (no '$1' in the notes)"
  notes_screen | sed 's/^/    | /'
  failures=$((failures + 1))
}
start present event-loop microtasks
wait_for "lesson 1/2 · step 0/7" 10 && echo "ok    present opens the deck's first lesson"
tmux new-session -d -s "$notes_session" -x 100 -y 60 \
  "WORKBENCH_DATA_DIR='$data' $bin notes; echo NOTES_EXIT=\$?.; sleep 120"
notes_show "before step 1/7" "workbench notes shows the presentation"
tmux send-keys -t "$session" PageDown
wait_for "lesson 1/2 · step 1/7" 5 && echo "ok    PageDown steps the narration"
notes_show "step 1/7" "the notes follow the step"
for _ in $(seq 10); do
  screen | grep -qF "a or pgdn reveals the answer" && break
  tmux send-keys -t "$session" PageDown
  sleep 0.3
done
expect "a or pgdn reveals the answer" "a class question is asked"
if screen | grep -qF "◀ the answer"; then
  echo "FAIL  the answer shows before it is revealed"
  failures=$((failures + 1))
else
  echo "ok    the answer stays hidden"
fi
notes_show "← the answer" "the notes give the speaker the answer"
tmux send-keys -t "$session" a
wait_for "◀ the answer" 5 && echo "ok    a reveals the answer"
tmux send-keys -t "$session" b
sleep 0.4
if [ -z "$(screen | tr -d ' \n')" ]; then
  echo "ok    b blanks the screen"
else
  echo "FAIL  b did not blank the screen"
  screen | sed 's/^/    | /'
  failures=$((failures + 1))
fi
notes_show "SCREEN BLANKED" "the notes say the screen is blank"
tmux send-keys -t "$session" PageDown
wait_for "◀ the answer" 5 && echo "ok    a key brings the screen back as it was"
tmux send-keys -t "$session" q
restored "quit the presenter"
notes_show "NOTES_EXIT=0." "the notes end with the presentation"
notes_show "the presentation ended." "the notes say it ended"
# The notes' session stays until the end (the trap ends it): killing it
# here, right before `start` kills the other, left tmux's server exiting
# while the next session was being created.
start notes
wait_for "WORKBENCH_EXIT=69." 10 && echo "ok    notes without a presentation: exit 69"
expect "error: no presentation is running" "notes without a presentation says so"
start lesson event-loop --present
wait_for "step 0/7" 10
tmux resize-window -t "$session" -x 60 -y 20
wait_for "Enlarge the terminal" 5 && echo "ok    presenter: a small terminal gets a message"
tmux resize-window -t "$session" -x 160 -y 48
wait_for "step 0/7" 5 && echo "ok    presenter: enlarging restores it"
tmux send-keys -t "$session" q
restored "quit the presenter after resizing"

if [ "$failures" -gt 0 ]; then
  echo "e2e: $failures check(s) failed"
  exit 1
fi
echo "e2e: all player checks passed"
