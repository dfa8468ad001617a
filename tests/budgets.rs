//! Runaway programs end by themselves: each hostile scenario in
//! `tests/hostile/` runs as a user would run it, under a wall-clock limit
//! enforced here (a hang fails the test instead of stalling it), and must
//! end with the budget exit code and a message that says which budget and,
//! where a call caused it, where.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longer than any budget below needs, far shorter than a hang.
const LIMIT: Duration = Duration::from_secs(60);

struct Ended {
    code: Option<i32>,
    stderr: String,
}

fn run(args: &[&str]) -> Ended {
    let mut child = Command::new(env!("CARGO_BIN_EXE_workbench"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the workbench binary runs");
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let out = child.wait_with_output().expect("output");
            return Ended {
                code: status.code(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
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
