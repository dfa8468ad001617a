//! `perf_hooks.monitorEventLoopDelay` in the model: its unref'd libuv
//! timer still bounds the poll timeout, and its samples are in the trace.

use std::path::Path;

use workbench::script::{RunOptions, Scenario, run};
use workbench::trace::{Kind, Phase, loop_stats};

fn trace_of(name: &str) -> workbench::trace::Trace {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scenarios")
        .join(name);
    let scenario = Scenario::load(&path).expect("scenario compiles");
    let result = run(&scenario, &RunOptions::default());
    assert_eq!(result.outcome.exit_code, 0, "{}", result.stderr());
    result.trace
}

#[test]
fn unrefed_monitor_still_shortens_poll() {
    let trace = trace_of("eld_wakes_poll.rhai");
    // Every poll waits one resolution (10 ms), never the timer's 100 ms.
    let waits: Vec<u32> = trace
        .events
        .iter()
        .filter_map(|e| match e.kind {
            Kind::PollWait { micros } => Some(micros),
            _ => None,
        })
        .collect();
    assert_eq!(waits, vec![10_000; 10]);
    // One iteration per wake-up, each 10 ms long.
    let spans = loop_stats::iterations(&trace);
    assert_eq!(spans.len(), 11);
    assert!(spans[..10].iter().all(|s| s.duration_ns() == 10_000_000));
    // The first firing (10 ms) only starts measuring; then 9 samples of
    // exactly 10 ms, recorded in the timers phase.
    let samples = loop_stats::eld_samples(&trace);
    assert_eq!(samples.len(), 9);
    assert!(samples.iter().all(|s| s.delta_ns == 10_000_000));
    assert!(
        samples
            .iter()
            .all(|s| trace.events[s.seq as usize].phase() == Phase::Timers)
    );
    // At 100 ms the JS timer (started first) runs before the monitor.
    let last_sample = samples.last().unwrap().seq as usize;
    let timer_run = trace
        .events
        .iter()
        .position(|e| matches!(e.kind, Kind::CallbackStart { .. }) && e.time_ns == 100_000_000)
        .expect("the 100 ms timer runs");
    assert!(timer_run < last_sample);
}

#[test]
fn blocked_loop_gives_one_long_sample() {
    let trace = trace_of("eld_busy_block.rhai");
    let samples = loop_stats::eld_samples(&trace);
    let long: Vec<u64> = samples
        .iter()
        .map(|s| s.delta_ns)
        .filter(|&d| d > 10_000_000)
        .collect();
    // busy(200) from 55 ms to 255 ms: one long sample and no burst after it.
    assert_eq!(long.len(), 1);
    assert!(long[0] >= 200_000_000);
    assert!(samples.iter().all(|s| s.delta_ns >= 10_000_000));
}
