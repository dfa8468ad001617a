//! worker_threads in the model, beyond what the differential corpus checks
//! against node: determinism of the co-simulation, the real clock agreeing
//! with the virtual one on node-deterministic scenarios, the costs a
//! message pays, and the errors node leaves to a hang or a crash.

use std::path::{Path, PathBuf};

use workbench::runtime::clock::ClockMode;
use workbench::script::{RunOptions, RunResult, Scenario, run};
use workbench::trace::write::write_text;
use workbench::trace::{Kind, WorkerEvent};

fn scenarios() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scenario dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("worker_") && n.ends_with(".rhai"))
        })
        .collect();
    files.sort();
    files
}

fn run_text(path: &Path, text: &str, clock: ClockMode) -> RunResult {
    let scenario = Scenario::compile(path.to_path_buf(), text.to_string()).expect("compiles");
    let mut options = RunOptions::default();
    options.runtime.clock = clock;
    options.runtime.sandbox = path.parent().expect("dir").to_path_buf();
    run(&scenario, &options)
}

fn run_file(path: &Path, clock: ClockMode) -> RunResult {
    let text = std::fs::read_to_string(path).expect("readable");
    run_text(path, &text, clock)
}

fn trace_text(result: &RunResult) -> String {
    let mut out = Vec::new();
    write_text(&result.trace, &mut out).expect("write");
    String::from_utf8(out).expect("utf8")
}

#[test]
fn there_are_worker_scenarios() {
    assert!(scenarios().len() >= 8);
}

#[test]
fn virtual_runs_with_workers_are_byte_identical() {
    for path in scenarios() {
        let a = trace_text(&run_file(&path, ClockMode::Virtual));
        let b = trace_text(&run_file(&path, ClockMode::Virtual));
        assert_eq!(a, b, "{} differs between two runs", path.display());
    }
}

#[test]
fn the_real_clock_prints_what_the_virtual_one_does() {
    // Every worker scenario prints only what node makes deterministic, so
    // real threads on the real clock must print the same.
    for path in scenarios() {
        let v = run_file(&path, ClockMode::Virtual);
        let r = run_file(&path, ClockMode::Real);
        assert_eq!(v.stdout(), r.stdout(), "{}", path.display());
        assert_eq!(
            v.outcome.exit_code,
            r.outcome.exit_code,
            "{}",
            path.display()
        );
    }
}

fn worker_events(result: &RunResult) -> Vec<(u64, WorkerEvent, u32)> {
    result
        .trace
        .events
        .iter()
        .filter_map(|e| match e.kind {
            Kind::Worker { event, value, .. } => Some((e.time_ns, event, value)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_message_costs_its_bytes_and_a_worker_its_startup() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let path = dir.join("inline_worker_cost.rhai");
    let script = r#"
        fn echo() {
            worker_threads.parentPort.once("message", |m| {
                worker_threads.parentPort.postMessage(m.len());
            });
        }
        let w = worker_threads.Worker.create("echo");
        let big = "";
        for i in 0..10000 { big += "0123456789"; }
        let t0 = performance.now();
        w.postMessage(big);
        let after = performance.now() - t0;
        w.on("message", |n| console.log(n, after >= 0.1, performance.now() - t0 >= 40));
    "#;
    let result = run_text(&path, script, ClockMode::Virtual);
    assert_eq!(result.stdout(), "100000 true true\n", "{}", result.stderr());
    let events = worker_events(&result);
    // Spawned at 0; the post copies the string (plus its header).
    assert_eq!(events[0].1, WorkerEvent::Spawned);
    let posted = events
        .iter()
        .find(|e| e.1 == WorkerEvent::Posted)
        .expect("posted");
    assert!(posted.2 >= 100_000, "{posted:?}");
    // The worker comes online after its 40 ms start.
    let online = events
        .iter()
        .find(|e| e.1 == WorkerEvent::Online)
        .expect("online");
    assert!(online.0 >= 40_000_000, "{online:?}");
}

#[test]
fn a_worker_listening_forever_is_a_hang_the_model_reports() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let script = r#"
        fn forever() {
            worker_threads.parentPort.on("message", |m| console.log(m));
        }
        let w = worker_threads.Worker.create("forever");
        w.on("online", || console.log("online"));
    "#;
    let result = run_text(&dir.join("inline_hang.rhai"), script, ClockMode::Virtual);
    assert_eq!(result.outcome.exit_code, 3);
    assert_eq!(result.stdout(), "online\n");
    assert!(
        result.stderr().contains("node would hang here"),
        "{}",
        result.stderr()
    );
}

#[test]
fn an_unknown_body_is_the_workers_error_and_an_endless_loop_its_budget() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let script = r#"
        fn spin() { loop { } }
        let a = worker_threads.Worker.create("nope");
        a.on("error", |e| console.log("a:", e.name, e.message));
        a.on("exit", |c| console.log("a exit", c));
        let b = worker_threads.Worker.create("spin");
        b.on("exit", |c| console.log("b exit", c));
    "#;
    let result = run_text(&dir.join("inline_bad.rhai"), script, ClockMode::Virtual);
    let out = result.stdout();
    assert!(
        out.contains("a: TypeError worker body \"nope\" is not a function of this script"),
        "{out}"
    );
    assert!(out.contains("a exit 1"), "{out}");
    // The endless worker hits the operations budget (exit code 3); the
    // main thread goes on and ends normally.
    assert!(out.contains("b exit 3"), "{out}");
    assert_eq!(result.outcome.exit_code, 0);
    assert!(
        result.stderr().contains("operations"),
        "{}",
        result.stderr()
    );
}

#[test]
fn too_many_live_workers_is_a_clear_error_not_a_crash() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let script = r#"
        fn idle() { }
        let n = 0;
        try {
            for i in 0..100 { worker_threads.Worker.create("idle"); n += 1; }
        } catch (e) {
            console.log(n, e.message);
        }
    "#;
    let result = run_text(&dir.join("inline_many.rhai"), script, ClockMode::Virtual);
    assert_eq!(
        result.stdout(),
        format!(
            "{max} workbench: at most {max} worker threads can run at once (a model limit)\n",
            max = workbench::script::node::worker_threads::MAX_LIVE_WORKERS
        )
    );
    assert_eq!(result.outcome.exit_code, 0);
}
