//! Scripts read like the JavaScript they stand for. Each test here guards
//! one change of the patched Rhai in `vendor/rhai` (see vendor/README.md)
//! and fails without it: the expected outputs are what node prints for the
//! JavaScript each script stands for (the same programs, checked against
//! node, are in the differential corpus as `tests/scenarios/lang_*.rhai`).

use std::path::PathBuf;

use workbench::script::{RunOptions, Scenario, run};

/// Runs a script and returns its stdout, stderr and exit code.
fn run_text(text: &str) -> (String, String, i32) {
    let scenario = Scenario::compile(PathBuf::from("/tmp/language_test.rhai"), text.to_string())
        .unwrap_or_else(|e| panic!("does not compile: {}", e.report));
    let result = run(&scenario, &RunOptions::default());
    (result.stdout(), result.stderr(), result.outcome.exit_code)
}

fn stdout_of(text: &str) -> String {
    let (out, err, code) = run_text(text);
    assert_eq!(code, 0, "exit code; stderr:\n{err}");
    out
}

// vendor/rhai/src/eval/target.rs: a method call on a shared object does not
// hold its variable locked.

#[test]
fn a_listener_uses_the_emitter_that_is_emitting() {
    let out = stdout_of(
        r#"
let e = EventEmitter.create();
e.on("x", || console.log(e.listenerCount("x")));
e.emit("x");
"#,
    );
    assert_eq!(out, "1\n");
}

#[test]
fn an_emit_inside_a_listener_recurses_several_levels() {
    let out = stdout_of(
        r#"
let e = EventEmitter.create();
e.on("down", |n| {
  console.log("down " + n);
  if n > 0 { e.emit("down", n - 1); }
});
e.emit("down", 3);
"#,
    );
    assert_eq!(out, "down 3\ndown 2\ndown 1\ndown 0\n");
}

#[test]
fn a_worker_listener_terminates_its_own_worker() {
    let out = stdout_of(
        r#"
fn echo() {
  worker_threads.parentPort.on("message", |m| worker_threads.parentPort.postMessage(m));
}
let w = worker_threads.Worker.create("echo");
w.on("message", |m| {
  console.log("got " + m);
  w.terminate().then(|code| console.log("terminated " + code));
});
w.postMessage("hi");
"#,
    );
    assert_eq!(out, "got hi\nterminated 1\n");
}

#[test]
fn a_drain_listener_reads_its_own_stream() {
    let out = stdout_of(
        r#"
let w = stream.Writable.create(#{
  highWaterMark: 4,
  write: |chunk, enc, cb| setImmediate(cb),
});
w.on("drain", || console.log("drain, buffered " + w.writableLength));
console.log(w.write("abcdef"));
"#,
    );
    assert_eq!(out, "false\ndrain, buffered 0\n");
}

// vendor/rhai/src/parser.rs and src/eval/stmt.rs: `let` is visible to the
// closures of its own initializer (ASTFlags::RECURSIVE).

#[test]
fn an_interval_clears_itself_through_its_own_variable() {
    let out = stdout_of(
        r#"
let n = 0;
let t = setInterval(|| {
  n += 1;
  console.log("tick " + n);
  if n == 3 { clearInterval(t); }
}, 10);
"#,
    );
    assert_eq!(out, "tick 1\ntick 2\ntick 3\n");
}

#[test]
fn a_timeout_refreshes_itself() {
    let out = stdout_of(
        r#"
let left = 2;
let t = setTimeout(|| {
  console.log("fired at " + Date.now() % 1000);
  if left > 0 { left -= 1; t.refresh(); }
}, 5);
"#,
    );
    assert_eq!(out.lines().count(), 3, "{out}");
}

#[test]
fn a_recursive_arrow_calls_itself_by_name() {
    let out = stdout_of(
        r#"
let countdown = |n| {
  if n == 0 { console.log("liftoff"); return; }
  console.log(n);
  countdown.call(n - 1);
};
countdown.call(3);
let fib = |n| if n < 2 { n } else { fib.call(n - 1) + fib.call(n - 2) };
console.log(fib.call(12));
"#,
    );
    assert_eq!(out, "3\n2\n1\nliftoff\n144\n");
}

#[test]
fn a_promise_step_schedules_itself() {
    let out = stdout_of(
        r#"
let step = |i| {
  console.log("step " + i);
  if i < 2 { Promise.resolve(i + 1).then(step); }
};
step.call(0);
"#,
    );
    assert_eq!(out, "step 0\nstep 1\nstep 2\n");
}

#[test]
fn a_recursive_let_keeps_its_other_variables_right() {
    // The initializer's other variables are found by name while the new
    // variable exists: none of them may be confused with it.
    let out = stdout_of(
        r#"
let a = 1;
let b = 2;
let f = |n| if n == 0 { a * 10 + b } else { f.call(n - 1) };
let c = 3;
console.log(f.call(2), a, b, c);
"#,
    );
    assert_eq!(out, "12 1 2 3\n");
}

// vendor/rhai/src/eval/stmt.rs: each iteration of a `for` loop has its own
// binding.

#[test]
fn each_loop_iteration_has_its_own_binding() {
    let out = stdout_of(
        r#"
for i in 0..3 { setTimeout(|| console.log("t " + i), 0); }
let fns = [];
for (x, k) in ["a", "b"] { fns.push(|| x + k); }
for f in fns { console.log(f.call()); }
"#,
    );
    assert_eq!(out, "a0\nb1\nt 0\nt 1\nt 2\n");
}

#[test]
fn a_variable_outside_the_loop_stays_shared() {
    let out = stdout_of(
        r#"
let last = 0;
for i in 0..3 { last = i; queueMicrotask(|| console.log("last " + last)); }
"#,
    );
    assert_eq!(out, "last 2\nlast 2\nlast 2\n");
}

// vendor/rhai/src/types/fn_ptr.rs: every evaluation of a closure literal
// makes a new function.

#[test]
fn off_removes_only_the_very_function() {
    let out = stdout_of(
        r#"
let bus = EventEmitter.create();
let handler_for = |id| |m| console.log("request " + id + " got " + m);
let h1 = handler_for.call(1);
let h2 = handler_for.call(2);
bus.on("m", h1);
bus.on("m", h2);
bus.off("m", h1);
bus.emit("m", "x");
let make = || || 1;
let a = make.call();
let b = make.call();
bus.on("y", a);
bus.off("y", b);
console.log(bus.listenerCount("y"));
let copy = a;
bus.off("y", copy);
console.log(bus.listenerCount("y"));
"#,
    );
    assert_eq!(out, "request 2 got x\n1\n0\n");
}

// vendor/rhai/src/parser.rs: `{ ...; expr; }` yields nothing, `{ expr }`
// yields expr, as a JavaScript arrow's block body returns only with
// `return`.

#[test]
fn a_terminated_last_statement_yields_undefined() {
    let out = stdout_of(
        r#"
let f = |v| { v + 1; };
let g = |v| { v + 1 };
console.log(f.call(1), g.call(1));
Promise.resolve(1).then(|v| { setImmediate(|| 1); }).then(|v| console.log(v));
"#,
    );
    assert_eq!(out, "undefined 2\nundefined\n");
}

#[test]
fn a_method_call_on_a_captured_array_still_updates_it() {
    // Plain values keep Rhai's in-place update (and its lock).
    let out = stdout_of(
        r#"
let log = [];
let e = EventEmitter.create();
e.on("v", |v| log.push(v));
e.emit("v", 1);
e.emit("v", 2);
console.log(log);
"#,
    );
    assert_eq!(out, "[ 1, 2 ]\n");
}

#[test]
fn the_rhai_patch_file_describes_the_vendored_source() {
    // `git apply` works outside a repository too; the check reverses the
    // patch in memory only.
    let root = env!("CARGO_MANIFEST_DIR");
    let out = std::process::Command::new("git")
        .args(["apply", "-R", "--check", "vendor/rhai.patch"])
        .current_dir(root)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "vendor/rhai.patch is out of date with vendor/rhai (run scripts/rhai-patch.sh):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// vendor/rhai/src/func/builtin.rs and the engine's `to_string`s: numbers
// and string conversion as JavaScript has them.

#[test]
fn integer_division_gives_javascript_numbers() {
    let out = stdout_of(
        r#"
let x = 7;
console.log(x / 2, 8 / 2, 1 / 0, -1 / 0, -7 % 3, x % 0);
let y = 9;
y /= 2;
console.log(y);
"#,
    );
    assert_eq!(out, "3.5 4 Infinity -Infinity -1 NaN\n4.5\n");
}

#[test]
fn strings_are_made_as_javascript_makes_them() {
    let out = stdout_of(
        r#"
let u = ();
console.log("a" + u, `${u}`, "f=" + 1.0, "arr " + [1, (), 2], "m " + #{x: 1}, () + "y");
let s = "x";
s += ();
s += 2.0;
console.log(s);
"#,
    );
    assert_eq!(
        out,
        "aundefined undefined f=1 arr 1,,2 m [object Object] undefinedy\nxundefined2\n"
    );
}

// vendor/rhai/src/eval/indexing.rs: arrays read and grow as JavaScript's.

#[test]
fn reading_past_the_end_of_an_array_gives_undefined() {
    let out = stdout_of(
        r#"
let a = [1, 2];
console.log(a[5], a[-1], a.len());
a[3] = 9;
console.log(a.len(), a[2], a[3]);
"#,
    );
    assert_eq!(out, "undefined undefined 2\n4 undefined 9\n");
}

// vendor/rhai/src/func/func_call.rs: a property a value does not have.

#[test]
fn a_property_an_array_string_or_number_lacks_is_undefined() {
    // A message that may be an array or an object: `m.last` is undefined
    // on the array, as in JavaScript (Rhai raised "Unknown property").
    let out = stdout_of(
        r#"
for m in [[1, 2], #{ last: true }, "text", 5, true] {
  console.log(`${m.last}`);
}
console.log([1, 2].length, "abc".length);
"#,
    );
    assert_eq!(
        out,
        "undefined\ntrue\nundefined\nundefined\nundefined\n2 3\n"
    );
    // A model object's unknown property is still an error that names it
    // (an API the model does not have, not a silent undefined).
    let (_, err, code) = run_text("console.log(http.createServer().nothingHere);");
    assert_ne!(code, 0);
    assert!(err.contains("nothingHere"), "{err}");
}

#[test]
fn a_recursive_let_inside_a_callback_captures_itself_there() {
    let out = stdout_of(
        r#"
process.nextTick(|| {
  console.log("tick");
  let again = |n| {
    console.log("again " + n);
    if n > 0 { queueMicrotask(|| again.call(n - 1)); }
  };
  again.call(2);
});
"#,
    );
    assert_eq!(out, "tick\nagain 2\nagain 1\nagain 0\n");
}

// vendor/rhai/src/lib.rs `Map`: object maps keep insertion order.

#[test]
fn an_object_map_keeps_its_keys_in_insertion_order() {
    let out = stdout_of(
        r#"
let user = #{ name: "ada", age: 36, city: "london" };
user.id = 7;
console.log(user, user.keys());
"#,
    );
    assert_eq!(
        out,
        "{ name: 'ada', age: 36, city: 'london', id: 7 } [ 'name', 'age', 'city', 'id' ]\n"
    );
}

// vendor/rhai/src/parser.rs `parse_finally`, src/eval/stmt.rs: `finally`.

#[test]
fn a_finally_block_runs_however_the_try_ends() {
    let out = stdout_of(
        r#"
let f = |x| {
  try {
    if x == 1 { return "early"; }
    if x == 2 { throw "boom"; }
  } catch (e) {
    console.log("caught", e);
  } finally {
    console.log("finally", x);
  }
  "end"
};
console.log(f.call(1), f.call(2), f.call(3));
"#,
    );
    assert_eq!(
        out,
        "finally 1\ncaught boom\nfinally 2\nfinally 3\nearly end end\n"
    );
}

// vendor/rhai: `Engine::js_truthy` (conditions, `&&`, `||`) and the
// conditional operator (`parse_conditional`).

#[test]
fn conditions_follow_javascript_truthiness() {
    let out = stdout_of(
        r#"
let x = 5;
console.log(x > 3 ? "big" : "small", x == 0 ? "zero" : x < 0 ? "neg" : "pos");
console.log(() || "default", 0 || "", "a" && "b", !(), !"", !x);
let e = ();
if e { console.log("never"); } else { console.log("no error"); }
while "" { console.log("never"); }
"#,
    );
    assert_eq!(out, "big pos\ndefault  b true true false\nno error\n");
}

#[test]
fn a_captured_variable_holding_an_object_can_be_assigned_again() {
    // A debounce: the closure clears and replaces the timer it captured.
    let out = stdout_of(
        r#"
let debounce = |f, ms| {
  let t = ();
  |x| {
    if t != () { clearTimeout(t); }
    t = setTimeout(|| f.call(x), ms);
  }
};
let d = debounce.call(|x| console.log("debounced", x), 20);
d.call(1);
d.call(2);
setTimeout(|| d.call(3), 5);
setTimeout(|| d.call(4), 100);
"#,
    );
    assert_eq!(out, "debounced 3\ndebounced 4\n");
}

// vendor/rhai: `let` is hoisted for the closures above it
// (`ASTFlags::HOISTED`).

#[test]
fn a_closure_may_name_a_let_further_down_its_block() {
    let out = stdout_of(
        r#"
let isEven = |n| if n == 0 { true } else { isOdd.call(n - 1) };
let isOdd = |n| if n == 0 { false } else { isEven.call(n - 1) };
console.log(isEven.call(10), isOdd.call(7));
process.nextTick(|| {
  let f = || console.log("inner", g.call());
  let g = || "g";
  f.call();
});
"#,
    );
    assert_eq!(out, "true true\ninner g\n");
}

// vendor/rhai/src/func/builtin.rs: float comparisons are exact (IEEE 754),
// not within Rhai's epsilon.

#[test]
fn floats_compare_exactly_as_javascript_numbers_do() {
    let out = stdout_of(
        r#"
console.log(0.1 + 0.2 == 0.3, Infinity > 5, Infinity > 1e308, 1 + 1e-16 == 1);
console.log(NaN == NaN, 2 > 1.9999999999999998);
"#,
    );
    assert_eq!(out, "false true true true\nfalse true\n");
}

// vendor/rhai/src/func/script.rs: a budget error keeps the position of the
// operation that hit it (Rhai overwrote it with the outermost call site,
// none for a callback the host calls).

#[test]
fn a_budget_hit_in_a_callback_names_the_operation() {
    let (_, err, code) = run_text(
        r#"
setTimeout(|| {
    let s = "ab";
    for i in 0..40 { s += s; }
}, 0);
"#,
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("language_test.rhai:4:24"), "{err}");
    assert!(err.contains("for i in 0..40 { s += s; }"), "{err}");
}

// vendor/rhai/src/func/script.rs: the native stack guard and the host's
// error for a call too deep (`set_stack_floor`, `set_stack_overflow_error`):
// recursion thousands of levels deep, on whatever thread runs the scenario,
// and a runaway one is node's catchable RangeError.

#[test]
fn a_runaway_recursion_is_a_catchable_range_error() {
    let out = stdout_of(
        r#"
fn sum_to(n) { if n == 0 { 0 } else { n + sum_to(n - 1) } }
fn forever(n) { forever(n + 1) }
console.log(sum_to(5000));
try { forever(0); } catch (e) { console.log(e.name, e.message); }
"#,
    );
    assert_eq!(
        out,
        "12502500\nRangeError Maximum call stack size exceeded\n"
    );
}

// vendor/rhai/src/func/func_call.rs: `native_call_line`, the line of the
// native call running, which every trace event records (the player's
// script marker follows it).

#[test]
fn every_event_the_script_causes_records_its_line() {
    let text = "console.log(\"one\");\nlet t = 1;\nsetTimeout(|| {\n    console.log(\"two\");\n}, 0);\nconsole.log(\"three\");\n";
    let scenario = Scenario::compile(PathBuf::from("/tmp/language_test.rhai"), text.to_string())
        .unwrap_or_else(|e| panic!("does not compile: {}", e.report));
    let result = run(&scenario, &RunOptions::default());
    let trace = &result.trace;
    let line_of = |printed: &str| -> Option<u32> {
        let seq = trace.events.iter().position(|e| {
            matches!(e.kind, workbench::trace::Kind::Console { text, .. } if trace.text(text) == printed)
        })?;
        trace.line_at(seq as u32)
    };
    assert_eq!(line_of("one"), Some(1));
    assert_eq!(line_of("three"), Some(6));
    // Inside a callback the loop runs: the callback's own line.
    assert_eq!(line_of("two"), Some(4));
    // The loop's own events (a phase starting) have no script line.
    let phase = trace
        .events
        .iter()
        .position(|e| matches!(e.kind, workbench::trace::Kind::PhaseEnter(_)))
        .expect("the loop ran");
    assert_eq!(trace.line_at(phase as u32), None);
    // The timer was queued by the call on line 3.
    let queued = trace
        .events
        .iter()
        .position(|e| matches!(e.kind, workbench::trace::Kind::Queued { .. }))
        .expect("queued");
    assert_eq!(trace.line_at(queued as u32), Some(3));
}

// vendor/rhai/src/tokenizer.rs: a back-tick string is a template literal,
// with JavaScript's escapes (Rhai's back-tick strings are verbatim).

#[test]
fn template_literals_read_their_escapes_as_javascript_does() {
    let out = stdout_of(
        "let n = 1;\nconsole.log(`a\\nb\\t${n}\\`\\$\\\\\\u0041`);\nconsole.log(`one \\\ntwo`);\nconsole.log(`x\ny`);",
    );
    assert_eq!(out, "a\nb\t1`$\\A\none two\nx\ny\n");
}
