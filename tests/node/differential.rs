//! Differential corpus: every `tests/scenarios/*.rhai` is rendered to
//! JavaScript, run with real node, run with the model, and compared.
//! Scenarios that expose known model bugs live in `tests/scenarios/pending/`
//! and are not run here. A scenario named `NAME.mjs.rhai` is an ES module:
//! it runs with `--module esm` and node runs it as `NAME.mjs`.
//!
//! Both sides run in the same fixed environment ([`corpus_env`]) with the
//! same arguments ([`CORPUS_ARGS`]): `node NAME.js one 'two words'`, so
//! scenarios can read `process.env` and `process.argv` and still agree on
//! every machine.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use workbench::runtime::env::Env;
use workbench::script::{ModuleKind, Scenario};
use workbench::verify::{Verdict, scenario_files, verify_file_with};

const MIN_SCENARIOS: usize = 45;
const THREADS: usize = 2;

fn scenario_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios")
}

pub fn corpus_has_enough_scenarios() {
    let files = scenario_files(&scenario_dir());
    assert!(
        files.len() >= MIN_SCENARIOS,
        "expected at least {MIN_SCENARIOS} scenarios in {}, found {}",
        scenario_dir().display(),
        files.len()
    );
}

pub fn corpus_has_es_module_scenarios_run_as_es_modules() {
    let esm: Vec<PathBuf> = scenario_files(&scenario_dir())
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".mjs.rhai"))
        .collect();
    assert!(
        esm.len() >= 10,
        "expected at least 10 ES-module scenarios (*.mjs.rhai), found {}",
        esm.len()
    );
    for path in &esm {
        let scenario = Scenario::load(path).expect("compiles");
        assert_eq!(
            scenario.module_kind(None, &Default::default()),
            Ok(ModuleKind::Esm),
            "{}",
            path.display()
        );
        let js = scenario.to_js().expect("renders");
        assert!(!js.contains("require("), "{}: {js}", path.display());
    }
}

/// The arguments every corpus scenario is given.
pub const CORPUS_ARGS: &[&str] = &["one", "two words"];

/// The environment of every corpus run: nothing of the machine's.
pub fn corpus_env() -> Env {
    Env::empty()
        .with("WORKBENCH_CORPUS", "set by tests/node/differential.rs")
        .with("WORKBENCH_CORPUS_EMPTY", "")
}

fn verify_file(path: &Path) -> Result<Verdict, String> {
    let args: Vec<String> = CORPUS_ARGS.iter().map(|a| a.to_string()).collect();
    verify_file_with(path, None, &corpus_env(), &args)
}

pub fn corpus_agrees_with_node() {
    let files = scenario_files(&scenario_dir());
    assert!(!files.is_empty(), "no scenarios found");

    let next = Mutex::new(0usize);
    let failures: Mutex<Vec<(PathBuf, String)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                loop {
                    let index = {
                        let mut n = next.lock().unwrap();
                        let i = *n;
                        *n += 1;
                        i
                    };
                    let Some(path) = files.get(index) else { break };
                    let problem = match verify_file(path) {
                        Ok(Verdict::Agree { .. }) => None,
                        Ok(Verdict::Disagree(d)) => Some(d.to_string()),
                        Err(e) => Some(format!("cannot verify: {e}")),
                    };
                    if let Some(p) = problem {
                        failures.lock().unwrap().push((path.clone(), p));
                    }
                }
            });
        }
    });

    // The model is deterministic; node's timing is not, and several node
    // processes at once on a small machine can push a timing-based
    // scenario past its margins. A disagreement is checked again, alone:
    // if node then agrees, the scenario's margin was what failed (reported
    // on stderr, so it can be widened); only a disagreement that repeats
    // fails the test.
    let mut failures: Vec<(PathBuf, String)> = failures
        .into_inner()
        .unwrap()
        .into_iter()
        .filter(|(path, problem)| {
            let agrees_alone =
                (0..2).any(|_| matches!(verify_file(path), Ok(Verdict::Agree { .. })));
            if agrees_alone {
                eprintln!(
                    "note: {} disagreed under parallel load, then agreed alone:\n{problem}",
                    path.display()
                );
            }
            !agrees_alone
        })
        .collect();
    failures.sort();
    if !failures.is_empty() {
        let mut report = format!(
            "{} of {} scenarios disagree with node:\n",
            failures.len(),
            files.len()
        );
        for (path, problem) in &failures {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            report.push_str(&format!("\n--- {name}\n{problem}\n"));
        }
        panic!("{report}");
    }
}
