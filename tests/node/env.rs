//! The environment and the command line against node: the pool sized from
//! `UV_THREADPOOL_SIZE`, `workbench verify` giving node the environment the
//! model saw, and a script's arguments on both sides.

use std::path::{Path, PathBuf};
use std::process::Command;

use workbench::runtime::env::{Env, resolve_program};
use workbench::script::{RunOptions, Scenario};
use workbench::verify::{self, Verdict, verify_file_with};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/env")
        .join(name)
}

fn agrees(path: &Path, env: &Env, args: &[&str]) {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    match verify_file_with(path, None, env, &args) {
        Ok(Verdict::Agree { .. }) => {}
        Ok(Verdict::Disagree(d)) => panic!("{}: disagrees with node: {d}", path.display()),
        Err(e) => panic!("{}: cannot verify: {e}", path.display()),
    }
}

/// What the model prints for `path` in `env`.
fn model_stdout(path: &Path, env: &Env) -> String {
    let scenario = Scenario::load(path).expect("the fixture compiles");
    let mut options = RunOptions::default();
    options.runtime.env = env.clone();
    verify::run_model(&scenario, &options).0.stdout
}

pub fn uv_threadpool_size_from_the_environment_agrees_with_node() {
    let path = fixture("pool_from_env.rhai");
    let one = Env::empty().with("UV_THREADPOOL_SIZE", "1");
    agrees(&path, &one, &[]);
    agrees(&path, &Env::empty(), &[]);
    // The variable changed what both sides did, not only what they printed.
    assert_eq!(
        model_stdout(&path, &one),
        "UV_THREADPOOL_SIZE is 1\nlong hash\nshort hash\nshort hash\n"
    );
    assert_eq!(
        model_stdout(&path, &Env::empty()),
        "UV_THREADPOOL_SIZE is undefined\nshort hash\nshort hash\nlong hash\n"
    );
}

/// `workbench verify` as a user runs it: node gets exactly the environment
/// workbench was started with, so reading a variable, or printing the
/// whole `process.env`, agrees.
pub fn verify_gives_node_the_environment_the_model_saw() {
    let node = resolve_program(&verify::node_command());
    let path = fixture("reads_env.rhai");
    let out = Command::new(env!("CARGO_BIN_EXE_workbench"))
        .arg("verify")
        .arg(&path)
        .env_clear()
        .env("WORKBENCH_NODE", &node)
        .env("WORKBENCH_ENV_TEST", "it's \"quoted\"")
        .env("HOME", "/home/learner")
        .output()
        .expect("the workbench binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.starts_with("agree "), "{stdout}");
    // And what both printed: the values, not only agreement.
    let env = Env::empty()
        .with("WORKBENCH_NODE", &node.to_string_lossy())
        .with("WORKBENCH_ENV_TEST", "it's \"quoted\"")
        .with("HOME", "/home/learner")
        .sorted();
    let printed = model_stdout(&path, &env);
    assert!(
        printed.starts_with(
            "it's \"quoted\"\n/home/learner\nundefined\n{\n  HOME: '/home/learner',\n"
        ),
        "{printed}"
    );
    assert!(
        printed.contains("  WORKBENCH_ENV_TEST: `it's \"quoted\"`,\n"),
        "{printed}"
    );
}

pub fn arguments_reach_both_sides() {
    let path = fixture("argv.rhai");
    agrees(&path, &Env::empty(), &["a", "--b", "two words", ""]);
    agrees(&path, &Env::empty(), &[]);
}

/// `workbench verify --module esm` runs node on an `.mjs` (a top-level
/// await that never settles: exit 13 on both sides).
pub fn verify_module_esm_compares_with_node_running_an_mjs() {
    let out = Command::new(env!("CARGO_BIN_EXE_workbench"))
        .args([
            "verify",
            "--module",
            "esm",
            "tests/fixtures/top_level_await.rhai",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the workbench binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("1 agree, 0 disagree"), "{stdout}");
}
