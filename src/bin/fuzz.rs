//! Random-program hunt for disagreements between the model and real node.
//!
//! `fuzz [COUNT] [START_SEED]` checks seeds START_SEED.. (COUNT of them) on
//! `FUZZ_THREADS` threads (default: all cores), prints progress on stderr and
//! each minimised disagreement on stdout, and exits 1 if there was any.
//! `fuzz show SEED` prints the program of one seed; `fuzz replay FILE`
//! compares one scenario file (e.g. a minimised program) with node.

use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use workbench::r#gen::{self as fuzzgen, Outcome};

#[derive(Default)]
struct Tally {
    done: u64,
    agree: u64,
    discarded: u64,
    flaky: u64,
    disagree: u64,
    broken: u64,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("show") => {
            let Some(seed) = args.get(1).and_then(|s| s.parse::<u64>().ok()) else {
                eprintln!("usage: fuzz show SEED");
                return ExitCode::from(2);
            };
            print!("{}", fuzzgen::generate(seed, fuzzgen::size_for(seed)));
            return ExitCode::SUCCESS;
        }
        Some("hazards") => {
            // Model only: why programs are discarded, by rule.
            let count: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1000);
            let dir = std::env::temp_dir().join(format!("fuzz-hazards-{}", std::process::id()));
            let _ = std::fs::create_dir_all(&dir);
            let path = dir.join("prog.rhai");
            let mut reasons: std::collections::BTreeMap<String, u64> = Default::default();
            for seed in 1..=count {
                let text = fuzzgen::generate(seed, fuzzgen::size_for(seed));
                let _ = std::fs::write(&path, &text);
                let Ok(scenario) = workbench::script::Scenario::compile(path.clone(), text) else {
                    continue;
                };
                let (_, result) = workbench::verify::run_model(&scenario, &Default::default());
                let reason = fuzzgen::race_hazard(&result.trace).map_or("none".to_string(), |r| {
                    r.split_whitespace()
                        .filter(|w| !w.contains('#') && !w.chars().any(|c| c.is_ascii_digit()))
                        .collect::<Vec<_>>()
                        .join(" ")
                });
                *reasons.entry(reason).or_default() += 1;
            }
            let _ = std::fs::remove_dir_all(&dir);
            for (r, n) in reasons {
                println!("{n:>6}  {r}");
            }
            return ExitCode::SUCCESS;
        }
        Some("replay") => {
            let Some(text) = args.get(1).and_then(|p| std::fs::read_to_string(p).ok()) else {
                eprintln!("usage: fuzz replay FILE.rhai");
                return ExitCode::from(2);
            };
            return match fuzzgen::check_text(&text) {
                Ok(None) => {
                    println!("agree");
                    ExitCode::SUCCESS
                }
                Ok(Some(d)) => {
                    println!("disagree: {d}");
                    ExitCode::from(1)
                }
                Err(e) => {
                    println!("{e}");
                    ExitCode::from(2)
                }
            };
        }
        _ => {}
    }
    let count: u64 = match args.first().map(|s| s.parse()) {
        None => 1000,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            eprintln!("usage: fuzz [COUNT] [START_SEED] | fuzz show SEED | fuzz replay FILE");
            return ExitCode::from(2);
        }
    };
    let start: u64 = match args.get(1).map(|s| s.parse()) {
        None => 1,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            eprintln!("START_SEED must be a number");
            return ExitCode::from(2);
        }
    };
    if !workbench::verify::node_available() {
        eprintln!("fuzz: node is not available (set WORKBENCH_NODE)");
        return ExitCode::from(2);
    }
    let threads = std::env::var("FUZZ_THREADS")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1);
    let next = AtomicU64::new(start);
    let end = start.saturating_add(count);
    let tally = Mutex::new(Tally::default());
    let began = std::time::Instant::now();
    let step = (count / 20).clamp(1, 500);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed >= end {
                        break;
                    }
                    let outcome = fuzzgen::check(seed, fuzzgen::size_for(seed));
                    let mut t = tally.lock().unwrap();
                    t.done += 1;
                    match outcome {
                        Outcome::Agree => t.agree += 1,
                        Outcome::Discarded(_) => t.discarded += 1,
                        Outcome::Flaky => {
                            t.flaky += 1;
                            eprintln!("seed {seed}: node disagreed once, agreed on a re-run (timing race)");
                        }
                        Outcome::Disagree(f) => {
                            t.disagree += 1;
                            println!("{f}");
                        }
                        Outcome::Broken(e) => {
                            t.broken += 1;
                            println!("=== seed {seed}: generator or harness problem\n{e}");
                        }
                    }
                    if t.done % step == 0 {
                        eprintln!(
                            "[{:>6.1}s] {}/{} seeds: {} agree, {} discarded, {} flaky, {} disagree, {} broken",
                            began.elapsed().as_secs_f64(),
                            t.done,
                            count,
                            t.agree,
                            t.discarded,
                            t.flaky,
                            t.disagree,
                            t.broken
                        );
                    }
                }
            });
        }
    });
    let t = tally.into_inner().unwrap();
    eprintln!(
        "done in {:.1}s: seeds {}..{}: {} agree, {} discarded as racy, {} flaky, {} disagree, {} broken",
        began.elapsed().as_secs_f64(),
        start,
        end - 1,
        t.agree,
        t.discarded,
        t.flaky,
        t.disagree,
        t.broken
    );
    if t.disagree + t.broken > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
