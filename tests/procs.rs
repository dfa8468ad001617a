//! Cluster workers and child processes beyond what the differential corpus
//! checks against node: properties of every run (each connection handled
//! by exactly one worker or refused, never more processes on the CPU than
//! cores), scaling that stops at the core count, determinism, every
//! process's thread reaped however the run ends, and the errors and
//! budgets a script can provoke.

use std::path::{Path, PathBuf};

use workbench::runtime::clock::ClockMode;
use workbench::script::{RunOptions, RunResult, Scenario, run};
use workbench::trace::procs::{ProcEvent, ProcPoint};
use workbench::trace::{Kind, NetEvent, write::write_text};

fn scenario_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scenarios")
        .join(name)
}

fn run_with(text: &str, cores: usize) -> RunResult {
    let path = scenario_path("procs_inline.rhai");
    let scenario = Scenario::compile(path.clone(), text.to_string()).expect("compiles");
    let mut options = RunOptions::default();
    options.runtime.clock = ClockMode::Virtual;
    options.runtime.cores = cores;
    options.runtime.sandbox = path.parent().expect("dir").to_path_buf();
    options.runtime.max_wall = std::time::Duration::from_secs(60);
    run(&scenario, &options)
}

/// A cluster of `workers` whose handler costs `work_ms` of CPU, loaded by
/// autocannon from the primary.
fn cluster_load(workers: u32, work_ms: u32, connections: u32, amount: u32) -> String {
    format!(
        r#"
if cluster.isPrimary {{
  let up = 0;
  cluster.on("listening", |w, addr| {{
    up += 1;
    if up == {workers} {{
      autocannon(#{{ url: `http://127.0.0.1:${{addr.port}}`, connections: {connections}, amount: {amount} }}, |err, r| {{
        console.log(`total ${{r.requests.total}} errors ${{r.errors}}`);
        cluster.disconnect();
      }});
    }}
  }});
  for i in 0..{workers} {{ cluster.fork(); }}
}} else {{
  http.createServer(|req, res| {{ busy({work_ms}); res.end("ok"); }}).listen(0);
}}
"#
    )
}

fn points(r: &RunResult, event: ProcEvent) -> Vec<ProcPoint> {
    r.trace
        .procs
        .points
        .iter()
        .filter(|p| p.event == event)
        .copied()
        .collect()
}

/// The virtual time of the last request served.
fn last_served_ns(r: &RunResult) -> u64 {
    points(r, ProcEvent::Served).last().map_or(0, |p| p.time_ns)
}

#[test]
fn every_connection_is_handled_by_exactly_one_worker_or_refused() {
    for (workers, connections) in [(1, 4), (3, 8), (8, 3), (4, 20)] {
        let r = run_with(&cluster_load(workers, 1, connections, 200), 4);
        assert_eq!(r.outcome.exit_code, 0, "{}", r.stderr());
        assert_eq!(r.stdout(), "total 200 errors 0\n");
        // The primary accepted each connection on its round-robin handle...
        let accepted = r
            .trace
            .events
            .iter()
            .filter(|e| {
                matches!(
                    e.kind,
                    Kind::Net {
                        event: NetEvent::Accept,
                        ..
                    }
                )
            })
            .count();
        // ...and handed each to one worker (none was reset here).
        let handed = points(&r, ProcEvent::Handoff).len();
        let refused = points(&r, ProcEvent::Refused).len();
        assert_eq!(accepted, connections as usize, "{workers} workers");
        assert_eq!(handed + refused, accepted, "{workers} workers");
        // Every request was answered by exactly one worker, never the
        // primary (process 0).
        let served = points(&r, ProcEvent::Served);
        assert_eq!(served.len(), 200);
        assert!(
            served
                .iter()
                .all(|p| p.proc >= 1 && p.proc as u32 <= workers)
        );
        // Causality across processes: the client has each response after
        // a worker answered it, so the last answer comes before the last
        // receipt.
        let received = r
            .trace
            .events
            .iter()
            .filter(|e| {
                matches!(
                    e.kind,
                    Kind::Net {
                        event: NetEvent::Receive,
                        ..
                    }
                )
            })
            .map(|e| e.time_ns)
            .max()
            .unwrap_or(0);
        let answered = served.iter().map(|p| p.time_ns).max().unwrap_or(0);
        assert!(
            answered <= received,
            "served at {answered}, received by {received}"
        );
        // Round robin: with at least as many connections as workers,
        // every worker got one.
        let busy: std::collections::HashSet<u16> = served.iter().map(|p| p.proc).collect();
        assert_eq!(busy.len() as u32, workers.min(connections));
    }
}

#[test]
fn never_more_processes_on_the_cpu_than_cores() {
    for cores in [1usize, 2, 3] {
        let r = run_with(&cluster_load(6, 2, 12, 120), cores);
        assert_eq!(r.outcome.exit_code, 0, "{}", r.stderr());
        assert_eq!(r.trace.procs.cores as usize, cores);
        let slices = points(&r, ProcEvent::Cpu);
        assert!(slices.len() > 100, "{} slices", slices.len());
        let mut most = 0;
        for s in &slices {
            let t = s.time_ns;
            let running = slices
                .iter()
                .filter(|q| q.time_ns <= t && t < q.time_ns + q.value as u64)
                .count();
            most = most.max(running);
        }
        assert!(most <= cores, "{most} slices at once on {cores} cores");
        // And the cores were used: the CPU-bound workers kept all busy.
        assert_eq!(most, cores, "{cores} cores");
        // Some work waited for a core (6 workers, fewer cores).
        assert!(!points(&r, ProcEvent::Waited).is_empty());
    }
}

#[test]
fn throughput_stops_at_the_core_count() {
    // 2 ms a request, 600 requests: the time to serve them all.
    let time = |workers: u32, cores: usize| {
        let r = run_with(&cluster_load(workers, 2, 16, 600), cores);
        assert_eq!(r.stdout(), "total 600 errors 0\n", "{}", r.stderr());
        let first = points(&r, ProcEvent::Served)
            .first()
            .map_or(0, |p| p.time_ns);
        (last_served_ns(&r) - first) as f64
    };
    let two_on_two = time(2, 2);
    let eight_on_two = time(8, 2);
    let four_on_four = time(4, 4);
    let one_on_two = time(1, 2);
    // Eight workers on two cores are no faster than two (within 10%).
    assert!(
        eight_on_two > two_on_two * 0.9,
        "8 workers {eight_on_two} vs 2 workers {two_on_two}"
    );
    // Two workers are about twice as fast as one, and four cores with
    // four workers about twice as fast again.
    assert!(
        one_on_two > two_on_two * 1.7,
        "{one_on_two} vs {two_on_two}"
    );
    assert!(
        two_on_two > four_on_four * 1.7,
        "{two_on_two} vs {four_on_four}"
    );
}

#[test]
fn a_cluster_run_is_the_same_trace_every_time() {
    let text = cluster_load(4, 1, 8, 100);
    let a = run_with(&text, 2);
    let b = run_with(&text, 2);
    let text = |r: &RunResult| {
        let mut out = Vec::new();
        write_text(&r.trace, &mut out).expect("writes");
        out
    };
    assert_eq!(text(&a), text(&b));
    assert_eq!(a.trace.procs, b.trace.procs);
    assert!(!a.trace.procs.is_empty());
}

/// The threads of this test process (Linux).
fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

#[test]
fn every_process_is_reaped_however_the_run_ends() {
    let endings = [
        // Normal: disconnect, the workers exit.
        cluster_load(3, 1, 4, 30),
        // The primary exits with workers still running.
        r#"
if cluster.isPrimary {
  for i in 0..3 { cluster.fork(); }
  cluster.on("online", |w| if w.id == 3 { process.exit(0) });
} else {
  setInterval(|| {}, 1000);
}
"#
        .to_string(),
        // A worker is killed, a child crashes, the primary throws.
        r#"
if process.argv.len() > 2 && process.argv[2] == "child" {
  throw "child crash";
}
if cluster.isPrimary {
  let w = cluster.fork();
  w.on("online", || w.kill("SIGKILL"));
  let c = child_process.fork(__filename, ["child"]);
  c.on("exit", |code, s| { throw `primary gives up (child exited ${code})`; });
} else {
  setInterval(|| {}, 1000);
}
"#
        .to_string(),
        // Nobody ends anything: every loop waits for a message (a hang in
        // node), reported as such.
        r#"
if cluster.isPrimary { cluster.fork(); } else { process.on("message", |m| {}); }
"#
        .to_string(),
    ];
    // Warm up (the first run starts threads the runtime keeps).
    let _ = run_with(&endings[0], 2);
    let before = threads();
    assert!(before > 0, "/proc/self/task lists this process's threads");
    for (i, text) in endings.iter().enumerate() {
        let r = run_with(text, 2);
        assert!(r.outcome.fatal.is_none() || i == 3, "{i}: {}", r.stderr());
    }
    // Every thread a run started (one per process) has ended.
    let mut after = threads();
    for _ in 0..50 {
        if after <= before {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        after = threads();
    }
    assert!(after <= before, "{after} threads after, {before} before");
}

#[test]
fn forking_without_bound_hits_a_limit_with_the_scripts_location() {
    let r = run_with(
        r#"
if cluster.isPrimary {
  for i in 0..5000 { cluster.fork(); }
} else {
  setInterval(|| {}, 1000);
}
"#,
        2,
    );
    assert_eq!(r.outcome.exit_code, 1, "{}", r.stderr());
    let err = r.stderr();
    assert!(err.contains("at most 64 forked processes"), "{err}");
    assert!(err.contains("procs_inline.rhai:3"), "{err}");
}

#[test]
fn a_restart_storm_hits_the_fork_budget() {
    let r = run_with(
        r#"
if cluster.isPrimary {
  cluster.on("exit", |w, code, s| { cluster.fork(); });
  cluster.fork();
} else {
  process.exit(1);
}
"#,
        2,
    );
    assert_eq!(r.outcome.exit_code, 1, "{}", r.stderr());
    assert!(r.stderr().contains("restart storm"), "{}", r.stderr());
}

#[test]
fn bad_messages_and_dead_workers_are_nodes_errors() {
    let r = run_with(
        r#"
if cluster.isPrimary {
  let w = cluster.fork();
  w.on("exit", |code, s| {
    // A dead worker: kill is a no-op, send fails with ERR_IPC_CHANNEL_CLOSED.
    w.kill();
    console.log(`dead: ${w.isDead()}`);
    w.on("error", |e| console.log(`error ${e.code}`));
    console.log(`send returned ${w.send("late")}`);
  });
  w.on("online", || {
    try { w.send(); } catch (e) { console.log(`no message: ${e.code}`); }
    try { w.send(|| 1); } catch (e) { console.log(`a function: ${e.code}`); }
    w.disconnect();
  });
} else {
  setInterval(|| {}, 1000).unref();
}
"#,
        2,
    );
    assert_eq!(r.outcome.exit_code, 0, "{}", r.stderr());
    let out = r.stdout();
    assert!(out.contains("no message: ERR_MISSING_ARGS"), "{out}");
    assert!(out.contains("a function: ERR_INVALID_ARG_TYPE"), "{out}");
    assert!(out.contains("dead: true"), "{out}");
    assert!(out.contains("send returned false"), "{out}");
    assert!(out.contains("error ERR_IPC_CHANNEL_CLOSED"), "{out}");
}

/// Under the real clock a fork is a real process (the workbench binary
/// again); what it prints and how it lived are in the primary's trace.
#[test]
fn under_the_real_clock_a_forked_process_is_recorded_in_the_trace() {
    workbench::runtime::procs::os::set_exe(env!("CARGO_BIN_EXE_workbench").into());
    let path = scenario_path("procs_inline.rhai");
    let text = r#"
if cluster.isPrimary {
  let w = cluster.fork();
  w.on("exit", |code, signal| console.log(`exit ${code} ${signal}`));
} else {
  console.log(`worker ${cluster.worker.id} pid differs ${process.pid != process.ppid}`);
  process.exit(5);
}
"#;
    let scenario = Scenario::compile(path.clone(), text.into()).expect("compiles");
    let mut options = RunOptions::default();
    options.runtime.clock = ClockMode::Real;
    options.runtime.sandbox = path.parent().expect("dir").to_path_buf();
    let r = run(&scenario, &options);
    assert_eq!(r.outcome.exit_code, 0, "{}", r.stderr());
    assert_eq!(r.stdout(), "worker 1 pid differs true\nexit 5 null\n");
    let events: Vec<ProcEvent> = r
        .trace
        .procs
        .points
        .iter()
        .filter(|p| p.proc == 1)
        .map(|p| p.event)
        .collect();
    assert_eq!(
        events,
        [
            ProcEvent::Forked,
            ProcEvent::Online,
            ProcEvent::Disconnected,
            ProcEvent::Exited
        ]
    );
}

#[test]
fn a_cores_knob_must_be_an_integer() {
    let r = run_with(
        r#"
lesson(#{ title: "t", summary: "s", topic: "x", teaches: "y", duration: "1 min" });
let c = param("cores", #{ default: "two", choices: ["two", "four"], cores: true, help: "h" });
scenario(|| console.log(c));
"#,
        2,
    );
    assert_eq!(r.outcome.exit_code, 2, "{}", r.stderr());
    assert!(
        r.stderr()
            .contains("`cores: true` needs an integer parameter"),
        "{}",
        r.stderr()
    );
    // An integer one sets the machine the processes share.
    let r = run_with(
        r#"
lesson(#{ title: "t", summary: "s", topic: "x", teaches: "y", duration: "1 min" });
let c = param("cores", #{ default: 3, min: 1, max: 8, cores: true, help: "h" });
scenario(|| console.log(os.availableParallelism()));
"#,
        2,
    );
    assert_eq!(r.stdout(), "3\n", "{}", r.stderr());
}
