//! What instrumenting the real pool costs (issue 5): the same PBKDF2 work
//! items run (a) through the model's real-clock pool, which records every
//! item's queued/started/done events with thread ids in a trace, and (b) on
//! a bare pool of the same size (plain threads pulling from a shared queue,
//! nothing recorded). Run with `cargo run --release --example pool_overhead`.
//!
//! Prints the median wall time of each over several alternating rounds and
//! the overhead of (a) against (b).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use workbench::runtime::clock::ClockMode;
use workbench::runtime::fs::Sandbox;
use workbench::runtime::pool::{Digest, Pool, Work, execute};
use workbench::trace::{Event, Kind, Phase, Trace};

const THREADS: usize = 4;

fn work(i: usize, iterations: u32) -> Work {
    Work::Pbkdf2 {
        password: Arc::new(b"secret".to_vec()),
        salt: Arc::new(format!("salt {i}").into_bytes()),
        iterations,
        keylen: 32,
        digest: Digest::Sha256,
    }
}

/// (a) The model's real pool, every event recorded in a trace.
fn instrumented(items: usize, iterations: u32) -> (Duration, usize) {
    let sandbox = std::env::temp_dir();
    let start = Instant::now();
    let mut pool = Pool::new(ClockMode::Real, sandbox, THREADS);
    let mut trace = Trace::default();
    let now = |start: Instant| start.elapsed().as_nanos() as u64;
    let record = |trace: &mut Trace, kinds: Vec<Kind>, t: u64| {
        for k in kinds {
            trace.push(Event::new(t, 1, Phase::Poll, k));
        }
    };
    for i in 0..items {
        let kinds = pool.submit(i as u32, work(i, iterations), now(start));
        record(&mut trace, kinds, now(start));
    }
    let mut done = 0;
    while done < items {
        let kinds = pool.wait_real(None);
        record(&mut trace, kinds, now(start));
        let kinds = pool.progress(now(start));
        record(&mut trace, kinds, now(start));
        done += pool.take_completed().len();
    }
    (start.elapsed(), trace.events.len())
}

/// (b) The same items on bare threads: no events, no bookkeeping.
fn bare(items: usize, iterations: u32) -> Duration {
    let start = Instant::now();
    let queue: Arc<Mutex<VecDeque<Work>>> = Arc::new(Mutex::new(
        (0..items).map(|i| work(i, iterations)).collect(),
    ));
    let (tx, rx) = mpsc::channel();
    let sandbox = Arc::new(Sandbox::new(std::env::temp_dir()));
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let queue = queue.clone();
            let tx = tx.clone();
            let sandbox = sandbox.clone();
            std::thread::spawn(move || {
                loop {
                    let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                    let Some(w) = next else { break };
                    let _ = tx.send(execute(&sandbox, &w, None).is_ok());
                }
            })
        })
        .collect();
    drop(tx);
    let ok = rx.iter().filter(|ok| *ok).count();
    for t in threads {
        let _ = t.join();
    }
    assert_eq!(ok, items);
    start.elapsed()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("pool of {THREADS} threads on {cores} cores; median of 7 alternating rounds");
    println!(
        "{:>6} {:>10} | {:>12} {:>12} {:>9} | {:>8}",
        "items", "iterations", "instrumented", "bare", "overhead", "events"
    );
    for (items, iterations) in [(400, 2_000), (100, 20_000), (2_000, 100)] {
        let mut a = Vec::new();
        let mut b = Vec::new();
        let mut events = 0;
        for _ in 0..7 {
            let (t, n) = instrumented(items, iterations);
            a.push(t);
            events = n;
            b.push(bare(items, iterations));
        }
        let (a, b) = (median(a), median(b));
        let overhead = (a.as_secs_f64() / b.as_secs_f64() - 1.0) * 100.0;
        println!(
            "{items:>6} {iterations:>10} | {:>10.1}ms {:>10.1}ms {:>8.1}% | {events:>8}",
            a.as_secs_f64() * 1e3,
            b.as_secs_f64() * 1e3,
            overhead
        );
    }
}
