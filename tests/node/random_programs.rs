//! Random programs against real node: seeds FIRST_SEED.. of the generator
//! in `workbench::gen`, each compared with node v20 after the race filter,
//! disagreements shrunk and reported (up to five in the failure message).
//! CommonJS programs run as `node prog.js`; ES-module programs (which also
//! await at the top level) as `node prog.mjs`.
//!
//! Needs `node` (or `$WORKBENCH_NODE`): see the harness (main.rs).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use workbench::r#gen::{self as fuzzgen, Finding, Outcome};
use workbench::script::ModuleKind;

const FIRST_SEED: u64 = 1;
const SEEDS: u64 = 500;
/// ES-module programs: fewer (the CommonJS run covers the shared shapes).
const ESM_SEEDS: u64 = 200;
const THREADS: usize = 2;
/// Fewer agreeing programs than this means the race filter discards too
/// much for the run to mean anything.
const MIN_AGREE: usize = 250;
const ESM_MIN_AGREE: usize = 100;

/// Seeds whose disagreement is a known model bug, each with the bug it
/// shows. They may disagree; any other seed that disagrees fails the test.
/// Remove an entry once its bug is fixed (the test says when a listed
/// seed agrees).
const KNOWN_BUGS: &[(u64, &str)] = &[];
/// The same, for the ES-module programs.
const KNOWN_ESM_BUGS: &[(u64, &str)] = &[];

#[derive(Default)]
struct Results {
    agree: usize,
    discarded: usize,
    flaky: Vec<u64>,
    findings: Vec<Finding>,
    broken: Vec<String>,
}

pub fn random_programs_agree_with_node() {
    check_seeds(ModuleKind::Cjs, SEEDS, MIN_AGREE);
}

pub fn random_es_modules_agree_with_node() {
    check_seeds(ModuleKind::Esm, ESM_SEEDS, ESM_MIN_AGREE);
}

fn check_seeds(module: ModuleKind, seeds: u64, min_agree: usize) {
    let next = AtomicU64::new(FIRST_SEED);
    let results = Mutex::new(Results::default());
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                loop {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed >= FIRST_SEED + seeds {
                        break;
                    }
                    let outcome = fuzzgen::check_as(seed, fuzzgen::size_for(seed), module);
                    let mut r = results.lock().unwrap();
                    match outcome {
                        Outcome::Agree => r.agree += 1,
                        Outcome::Discarded(_) => r.discarded += 1,
                        Outcome::Flaky => r.flaky.push(seed),
                        Outcome::Disagree(f) => r.findings.push(*f),
                        Outcome::Broken(e) => r.broken.push(e),
                    }
                }
            });
        }
    });
    let mut r = results.into_inner().unwrap();
    r.findings.sort_by_key(|f| f.seed);
    r.flaky.sort_unstable();
    eprintln!(
        "random_programs ({}): seeds {FIRST_SEED}..{}: {} agree, {} discarded by the race filter, {} flaky {:?}, {} disagree, {} broken",
        module.title(),
        FIRST_SEED + seeds - 1,
        r.agree,
        r.discarded,
        r.flaky.len(),
        r.flaky,
        r.findings.len(),
        r.broken.len()
    );
    let known_bugs: &[(u64, &str)] = match module {
        ModuleKind::Cjs => KNOWN_BUGS,
        ModuleKind::Esm => KNOWN_ESM_BUGS,
    };
    let known = |seed: u64| known_bugs.iter().any(|(s, _)| *s == seed);
    for (seed, bug) in known_bugs {
        if !r.findings.iter().any(|f| f.seed == *seed) {
            eprintln!(
                "random_programs: known-bug seed {seed} ({bug}) no longer disagrees; remove it from KNOWN_BUGS"
            );
        }
    }
    let new: Vec<&Finding> = r.findings.iter().filter(|f| !known(f.seed)).collect();
    let mut message = String::new();
    for e in r.broken.iter().take(5) {
        message.push_str(&format!("=== generator or harness problem:\n{e}\n"));
    }
    for f in new.iter().take(5) {
        message.push_str(&format!("{f}\n"));
    }
    assert!(
        new.is_empty() && r.broken.is_empty(),
        "{} new disagreement(s) with node (seeds {:?}), {} broken program(s):\n{message}",
        new.len(),
        new.iter().map(|f| f.seed).collect::<Vec<_>>(),
        r.broken.len()
    );
    assert!(
        r.agree >= min_agree,
        "only {} of {seeds} programs were compared (the rest discarded or flaky)",
        r.agree
    );
}
