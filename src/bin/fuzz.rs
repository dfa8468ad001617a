//! Random-program hunt for disagreements between the model and real node.
//!
//! `fuzz [COUNT] [START_SEED] [--module cjs|esm|both]` checks seeds
//! START_SEED.. (COUNT of them) on `FUZZ_THREADS` threads (default: all
//! cores), as CommonJS, as ES modules (`node prog.mjs`, with top-level
//! awaits), or each seed both ways (the default); it prints progress on
//! stderr and each minimised disagreement on stdout, and exits 1 if there
//! was any. `fuzz show SEED [--module esm]` prints the program of one seed;
//! `fuzz replay FILE` compares one scenario file (e.g. a minimised
//! program) with node, as an ES module when it is named `*.mjs.rhai`.

use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use workbench::r#gen::{self as fuzzgen, Outcome};
use workbench::script::ModuleKind;

#[derive(Default, Clone)]
struct Tally {
    done: u64,
    agree: u64,
    discarded: u64,
    flaky: u64,
    disagree: u64,
    broken: u64,
}

/// `--module cjs|esm|both` (removed from `args`): the kinds to check.
fn module_option(args: &mut Vec<String>) -> Result<Vec<ModuleKind>, String> {
    let Some(at) = args.iter().position(|a| a == "--module") else {
        return Ok(vec![ModuleKind::Cjs, ModuleKind::Esm]);
    };
    let value = args.get(at + 1).cloned().unwrap_or_default();
    args.drain(at..(at + 2).min(args.len()));
    match value.as_str() {
        "cjs" => Ok(vec![ModuleKind::Cjs]),
        "esm" => Ok(vec![ModuleKind::Esm]),
        "both" => Ok(vec![ModuleKind::Cjs, ModuleKind::Esm]),
        other => Err(format!("--module takes cjs, esm or both, not `{other}`")),
    }
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let modules = match module_option(&mut args) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match args.first().map(String::as_str) {
        Some("show") => {
            let Some(seed) = args.get(1).and_then(|s| s.parse::<u64>().ok()) else {
                eprintln!("usage: fuzz show SEED [--module esm]");
                return ExitCode::from(2);
            };
            let module = *modules.last().unwrap_or(&ModuleKind::Cjs);
            print!(
                "{}",
                fuzzgen::generate_as(seed, fuzzgen::size_for(seed), module)
            );
            return ExitCode::SUCCESS;
        }
        Some("hazards") => {
            // Model only: why programs are discarded, by rule.
            let count: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1000);
            let dir = std::env::temp_dir().join(format!("fuzz-hazards-{}", std::process::id()));
            let _ = std::fs::create_dir_all(&dir);
            let module = *modules.last().unwrap_or(&ModuleKind::Cjs);
            let path = dir.join(match module {
                ModuleKind::Cjs => "prog.rhai",
                ModuleKind::Esm => "prog.mjs.rhai",
            });
            let mut reasons: std::collections::BTreeMap<String, u64> = Default::default();
            for seed in 1..=count {
                let text = fuzzgen::generate_as(seed, fuzzgen::size_for(seed), module);
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
            let module = workbench::script::modules::by_file_name(std::path::Path::new(&args[1]));
            return match fuzzgen::check_text_as(&text, module) {
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
            eprintln!(
                "usage: fuzz [COUNT] [START_SEED] [--module cjs|esm|both] | fuzz show SEED [--module esm] | fuzz replay FILE"
            );
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
    // Work items: each seed once per module kind.
    let kinds = modules.len() as u64;
    let next = AtomicU64::new(0);
    let end = count.saturating_mul(kinds);
    let tally = Mutex::new(Tally::default());
    let per_kind = Mutex::new(vec![Tally::default(); modules.len()]);
    let began = std::time::Instant::now();
    let step = (end / 20).clamp(1, 500);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let item = next.fetch_add(1, Ordering::Relaxed);
                    if item >= end {
                        break;
                    }
                    let seed = start + item / kinds;
                    let k = (item % kinds) as usize;
                    let module = modules[k];
                    let outcome = fuzzgen::check_as(seed, fuzzgen::size_for(seed), module);
                    {
                        let mut p = per_kind.lock().unwrap();
                        let t = &mut p[k];
                        t.done += 1;
                        match &outcome {
                            Outcome::Agree => t.agree += 1,
                            Outcome::Discarded(_) => t.discarded += 1,
                            Outcome::Flaky => t.flaky += 1,
                            Outcome::Disagree(_) => t.disagree += 1,
                            Outcome::Broken(_) => t.broken += 1,
                        }
                    }
                    let mut t = tally.lock().unwrap();
                    t.done += 1;
                    match outcome {
                        Outcome::Agree => t.agree += 1,
                        Outcome::Discarded(_) => t.discarded += 1,
                        Outcome::Flaky => {
                            t.flaky += 1;
                            eprintln!(
                                "seed {seed} ({}): node disagreed once, agreed on a re-run (timing race)",
                                module.name()
                            );
                        }
                        Outcome::Disagree(f) => {
                            t.disagree += 1;
                            println!("{f}");
                        }
                        Outcome::Broken(e) => {
                            t.broken += 1;
                            println!(
                                "=== seed {seed} ({}): generator or harness problem\n{e}",
                                module.name()
                            );
                        }
                    }
                    if t.done % step == 0 {
                        eprintln!(
                            "[{:>6.1}s] {}/{} seeds: {} agree, {} discarded, {} flaky, {} disagree, {} broken",
                            began.elapsed().as_secs_f64(),
                            t.done,
                            end,
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
        start + count.saturating_sub(1),
        t.agree,
        t.discarded,
        t.flaky,
        t.disagree,
        t.broken
    );
    for (module, t) in modules.iter().zip(per_kind.into_inner().unwrap()) {
        eprintln!(
            "  {:<10} {} programs: {} agree, {} discarded, {} flaky, {} disagree, {} broken",
            module.title(),
            t.done,
            t.agree,
            t.discarded,
            t.flaky,
            t.disagree,
            t.broken
        );
    }
    if t.disagree + t.broken > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
