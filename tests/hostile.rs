//! Hostile scenarios (`tests/hostile/*.rhai`): budgets hit inside
//! callbacks name the exact place of the operation that hit them (file,
//! line, column, the source line), and recursion is as deep as node's
//! (at least 1,000 levels wherever a script runs) and ends a runaway
//! recursion with node's catchable `RangeError`, never a crash. Each run is
//! killed after 60 s (a hang fails the test).

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(name: &str) -> Run {
    let path = format!("tests/hostile/{name}.rhai");
    let mut child = Command::new(env!("CARGO_BIN_EXE_workbench"))
        .args(["run", &path])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("workbench starts");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{path}: still running after 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code(),
        stdout: reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

/// A budget error: exit 3, the message, `FILE:LINE:COL` and the source
/// line of the operation that hit it.
fn located(name: &str, message: &str, line_col: &str, source: &str) {
    let r = run(name);
    assert_eq!(r.code, Some(3), "{name}: {}", r.stderr);
    assert!(r.stderr.contains(message), "{name}: {}", r.stderr);
    let at = format!("{name}.rhai:{line_col}");
    assert!(
        r.stderr.contains(&at),
        "{name}: wanted {at} in\n{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(source),
        "{name}: wanted the source line {source:?} in\n{}",
        r.stderr
    );
}

#[test]
fn a_string_too_long_in_a_timer_names_its_place() {
    located(
        "timer_string_size",
        "Length of string exceeds the size limit",
        "3:24",
        "for i in 0..40 { s += s; }",
    );
}

#[test]
fn a_string_too_long_in_a_promise_reaction_names_its_place() {
    located(
        "then_string_size",
        "Length of string exceeds the size limit",
        "3:24",
        "for i in 0..40 { s += s; }",
    );
}

#[test]
fn an_endless_loop_in_a_timer_names_the_loop_not_the_closure() {
    located(
        "timer_endless_loop",
        "operations budget exceeded",
        "3:14",
        "loop { x += 1; }",
    );
}

#[test]
fn an_endless_loop_in_a_listener_names_the_loop() {
    located(
        "listener_endless_loop",
        "operations budget exceeded",
        "4:20",
        "while true { x += 1; }",
    );
}

#[test]
fn an_array_too_long_in_an_immediate_names_its_place() {
    located(
        "immediate_array_size",
        "Size of array/BLOB exceeds the size limit",
        "3:28",
        "for i in 0..100000 { a.push(i); }",
    );
}

#[test]
fn an_array_too_long_in_an_async_body_names_its_place() {
    located(
        "async_body_array_size",
        "Size of array/BLOB exceeds the size limit",
        "4:28",
        "for i in 0..100000 { a.push(i); }",
    );
}

#[test]
fn a_next_tick_storm_names_the_call_that_schedules_it() {
    located(
        "next_tick_storm",
        "Starvation",
        "1:20",
        "let f = || process.nextTick(f);",
    );
}

#[test]
fn the_clock_horizon_in_a_timer_names_the_busy_call() {
    located(
        "timer_busy_horizon",
        "the virtual clock reached its limit",
        "1:15",
        "setTimeout(|| busy(1e300), 5);",
    );
}

#[test]
fn a_string_too_long_in_a_worker_names_its_place() {
    let r = run("worker_string_size");
    assert!(
        r.stderr.contains("Length of string exceeds the size limit"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("worker_string_size.rhai:6:22"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("for i in 0..40 { s += s; }"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.contains("worker exit 3"), "{}", r.stdout);
}

#[test]
fn recursion_1000_deep_works_in_main_callbacks_async_bodies_and_workers() {
    let r = run("recursion_depth_1000");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    for line in [
        "main 1000 1000",
        "timer 1000 1000",
        "async 1000 1000",
        "worker 1000 1000",
    ] {
        assert!(r.stdout.contains(line), "{line}: {}", r.stdout);
    }
}

/// A runaway recursion: node's uncaught RangeError (exit 1), located at
/// the call that went too deep; never an abort (134) or a signal.
fn range_error(name: &str, line: &str, source: &str) {
    let r = run(name);
    assert_ne!(r.code, Some(134), "{name}: aborted");
    assert_eq!(r.code, Some(1), "{name}: {}", r.stderr);
    assert!(
        r.stderr
            .contains("RangeError: Maximum call stack size exceeded"),
        "{name}: {}",
        r.stderr
    );
    let at = format!("{name}.rhai:{line}\n{source}");
    assert!(
        r.stderr.contains(&at),
        "{name}: wanted {at:?} in\n{}",
        r.stderr
    );
}

#[test]
fn a_runaway_recursion_is_a_range_error() {
    range_error(
        "recursion_runaway",
        "1",
        "fn rec(n) { if n == 0 { 0 } else { 1 + rec(n - 1) } }",
    );
}

#[test]
fn a_runaway_recursive_closure_in_a_timer_is_a_range_error() {
    range_error(
        "recursion_runaway_closure_timer",
        "1",
        "let f = |n| n == 0 ? 0 : 1 + f.call(n - 1);",
    );
}

#[test]
fn a_runaway_recursion_in_a_next_tick_is_a_range_error() {
    range_error("next_tick_call_depth", "1", "fn rec(n) { rec(n + 1) }");
}

#[test]
fn a_listener_emitting_its_own_event_is_a_range_error() {
    range_error(
        "recursion_runaway_emitter",
        "2",
        "e.on(\"x\", || e.emit(\"x\"));",
    );
}

#[test]
fn an_async_function_calling_itself_without_end_is_a_range_error() {
    range_error(
        "recursion_runaway_async_nested",
        "1",
        "let f = async_fn(|n| { f.call(n + 1); 0 });",
    );
}

#[test]
fn a_runaway_recursion_in_an_async_body_rejects_its_promise() {
    let r = run("recursion_runaway_async");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout
            .contains("rejected: Maximum call stack size exceeded"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_runaway_recursion_in_a_worker_is_its_error_event() {
    let r = run("recursion_runaway_worker");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout
            .contains("worker error: RangeError Maximum call stack size exceeded"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("worker exit 1"), "{}", r.stdout);
}

#[test]
fn heavy_frames_meet_the_stack_guard_before_the_native_stack_ends() {
    range_error(
        "recursion_heavy_frames",
        "4",
        "fn heavy(n) { if n > 100000000 { 0 } else { [1, [1,",
    );
}
