//! Runaway programs end by themselves: each hostile scenario in
//! `tests/hostile/` runs as a user would run it, under a wall-clock limit
//! enforced here (a hang fails the test instead of stalling it), and must
//! end with the budget exit code and a message that says which budget and,
//! where a call caused it, where.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longer than any budget below needs, far shorter than a hang.
const LIMIT: Duration = Duration::from_secs(60);

struct Ended {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Ended {
    let mut child = Command::new(env!("CARGO_BIN_EXE_workbench"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the workbench binary runs");
    // Read both pipes as the child writes, so a full pipe cannot stall it.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_string(&mut text);
            }
            text
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return Ended {
                code: status.code(),
                stdout: out.join().expect("stdout reader"),
                stderr: err.join().expect("stderr reader"),
            };
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`workbench {}` still ran after {LIMIT:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_interval_that_runs_for_ever_meets_the_virtual_clocks_horizon() {
    let e = run(&["run", "tests/hostile/clock_interval_forever.rhai"]);
    assert_eq!(e.code, Some(3), "{}", e.stderr);
    assert!(
        e.stderr.contains("the virtual clock reached its limit"),
        "{}",
        e.stderr
    );
    // Between callbacks there is no line running: the message names where
    // the interval that keeps the loop alive was set.
    assert!(
        e.stderr.contains("Still pending: an interval set at ")
            && e.stderr.contains("clock_interval_forever.rhai:4."),
        "{}",
        e.stderr
    );
}

#[test]
fn an_enormous_busy_is_stopped_at_its_call() {
    let e = run(&["run", "tests/hostile/clock_busy_enormous.rhai"]);
    assert_eq!(e.code, Some(3), "{}", e.stderr);
    assert!(
        e.stderr.contains("the virtual clock reached its limit"),
        "{}",
        e.stderr
    );
    assert!(
        e.stderr.contains("clock_busy_enormous.rhai:3:1") && e.stderr.contains("busy(1e16);"),
        "located at the call:\n{}",
        e.stderr
    );
}

#[test]
fn many_expensive_hashes_meet_the_work_budget_before_the_work() {
    let e = run(&[
        "run",
        "--max-work",
        "1000000",
        "tests/hostile/work_pbkdf2_loop.rhai",
    ]);
    assert_eq!(e.code, Some(3), "{}", e.stderr);
    assert!(
        e.stderr.contains("work budget exceeded") && e.stderr.contains("(--max-work; 800000 asked"),
        "{}",
        e.stderr
    );
    assert!(
        e.stderr.contains("work_pbkdf2_loop.rhai:5:") && e.stderr.contains("crypto.pbkdf2("),
        "located at the call:\n{}",
        e.stderr
    );
}

#[test]
fn under_the_real_clock_a_long_busy_meets_the_wall_budget() {
    let e = run(&[
        "run",
        "--clock",
        "real",
        "--max-wall",
        "1",
        "tests/hostile/wall_busy_real.rhai",
    ]);
    assert_eq!(e.code, Some(3), "{}", e.stderr);
    assert!(
        e.stderr.contains("wall-clock budget exceeded"),
        "{}",
        e.stderr
    );
    assert!(e.stderr.contains("wall_busy_real.rhai:2:1"), "{}", e.stderr);
}

#[test]
fn a_worker_waiting_for_ever_is_a_hang_under_both_clocks() {
    let e = run(&["run", "tests/hostile/wall_worker_waits_real.rhai"]);
    assert_eq!(e.code, Some(3), "{}", e.stderr);
    assert!(e.stderr.contains("node would hang here"), "{}", e.stderr);
    let e = run(&[
        "run",
        "--clock",
        "real",
        "--max-wall",
        "1",
        "tests/hostile/wall_worker_waits_real.rhai",
    ]);
    assert_eq!(e.code, Some(3), "{}", e.stderr);
    assert!(
        e.stderr.contains("wall-clock budget exceeded"),
        "{}",
        e.stderr
    );
}

#[test]
fn the_wall_budget_must_be_a_positive_number_of_seconds() {
    for bad in ["0", "-1", "NaN"] {
        let e = run(&[
            "run",
            "--clock",
            "real",
            "--max-wall",
            bad,
            "tests/hostile/wall_busy_real.rhai",
        ]);
        assert_eq!(e.code, Some(2), "--max-wall {bad}: {}", e.stderr);
    }
}

/// The memory budget's message, as every memory test expects it.
fn says_memory_budget(e: &Ended) {
    assert_eq!(
        e.code,
        Some(3),
        "stdout:\n{}\nstderr:\n{}",
        e.stdout,
        e.stderr
    );
    assert!(
        e.stderr.contains("memory budget exceeded")
            && e.stderr.contains("more than --max-memory allows (100 MiB)"),
        "{}",
        e.stderr
    );
}

#[test]
fn a_promise_chain_that_never_ends_meets_the_memory_budget() {
    for clock in ["virtual", "real"] {
        let e = run(&[
            "run",
            "--clock",
            clock,
            "--max-memory",
            "100",
            "tests/hostile/memory_promise_chain.rhai",
        ]);
        says_memory_budget(&e);
        assert!(
            e.stderr.contains("memory_promise_chain.rhai:4:"),
            "located in the chain:\n{}",
            e.stderr
        );
    }
}

#[test]
fn a_loop_that_keeps_adding_listeners_is_stopped_at_its_line() {
    let e = run(&[
        "run",
        "--max-memory",
        "100",
        "tests/hostile/memory_listeners_loop.rhai",
    ]);
    says_memory_budget(&e);
    assert!(
        e.stderr.contains("memory_listeners_loop.rhai:4:")
            && e.stderr.contains(r#"loop { e.on("tick", || 1); }"#),
        "located at the loop:\n{}",
        e.stderr
    );
}

#[test]
fn workers_share_one_memory_budget() {
    for clock in ["virtual", "real"] {
        let e = run(&[
            "run",
            "--clock",
            clock,
            "--max-memory",
            "100",
            "tests/hostile/memory_workers_share_one_cap.rhai",
        ]);
        assert_eq!(e.code, Some(0), "{clock}: {}", e.stderr);
        let held = e.stdout.lines().filter(|l| *l == "held 10 MiB").count();
        let refused = e
            .stdout
            .lines()
            .filter(|l| *l == "refused: RangeError: Array buffer allocation failed")
            .count();
        // Four workers of (each) up to 100 MiB would hold 400 MiB: one
        // budget for all of them holds at most 100 MiB of Buffers in all,
        // and each worker is refused, with node's RangeError, once.
        assert!(
            (1..10).contains(&held),
            "{clock}: {held} held\n{}",
            e.stdout
        );
        assert_eq!(refused, 4, "{clock}:\n{}", e.stdout);
    }
}

#[test]
fn messages_in_flight_count_and_a_copy_past_the_budget_is_a_range_error() {
    let e = run(&[
        "run",
        "--max-memory",
        "100",
        "tests/hostile/memory_messages_in_flight.rhai",
    ]);
    assert_eq!(e.code, Some(0), "{}", e.stderr);
    // Under the virtual clock the worker posts them all before its parent
    // reads one: the copies held in flight reach the budget.
    let refused = e
        .stdout
        .lines()
        .find_map(|l| l.strip_suffix(" messages: RangeError: Array buffer allocation failed"))
        .and_then(|l| l.strip_prefix("after "))
        .and_then(|n| n.parse::<u32>().ok());
    let Some(sent) = refused else {
        panic!("no RangeError for a copy past the budget:\n{}", e.stdout);
    };
    assert!((1..5).contains(&sent), "{}", e.stdout);
    // What was sent arrives, as Buffers' bytes, not as nothing.
    assert!(
        e.stdout.contains("first message: 20971520 bytes"),
        "{}",
        e.stdout
    );
    assert!(
        e.stdout
            .contains(&format!("worker exit 0, {sent} messages received")),
        "{}",
        e.stdout
    );
    // Under the real clock the parent reads while the worker posts:
    // whatever the interleaving, no abort, and every message sent arrives.
    let e = run(&[
        "run",
        "--clock",
        "real",
        "--max-memory",
        "100",
        "tests/hostile/memory_messages_in_flight.rhai",
    ]);
    assert_eq!(e.code, Some(0), "{}", e.stderr);
    assert!(
        e.stdout.contains("first message: 20971520 bytes"),
        "{}",
        e.stdout
    );
    assert!(e.stdout.contains("worker exit 0"), "{}", e.stdout);
}

/// Under an address-space limit (`ulimit -v`), what the system refuses is
/// a RangeError or a worker that cannot start, never an abort.
#[cfg(target_os = "linux")]
#[test]
fn an_address_space_limit_is_an_error_not_an_abort() {
    let bin = env!("CARGO_BIN_EXE_workbench");
    for clock in ["virtual", "real"] {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ulimit -v 3000000 && exec '{bin}' run --clock {clock} --max-memory 100000 \
                 tests/hostile/memory_workers_share_one_cap.rhai"
            ))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("sh runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{clock}: {:?}\n{stdout}\n{stderr}",
            out.status
        );
        assert!(!stderr.contains("memory allocation of"), "{stderr}");
        assert!(
            stdout.contains("refused: RangeError: Array buffer allocation failed")
                || stderr.contains("cannot start a worker thread"),
            "{clock}:\n{stdout}\n{stderr}"
        );
    }
}

#[test]
fn under_the_virtual_clock_endless_computation_meets_the_wall_budget() {
    let e = run(&[
        "run",
        "--max-wall",
        "1",
        "tests/hostile/wall_compute_virtual.rhai",
    ]);
    assert_eq!(e.code, Some(3), "{}", e.stderr);
    assert!(
        e.stderr.contains("wall-clock budget exceeded")
            && e.stderr.contains("the model is still computing"),
        "{}",
        e.stderr
    );
    assert!(
        e.stderr.contains("wall_compute_virtual.rhai:7:"),
        "located in the loop:\n{}",
        e.stderr
    );
}
