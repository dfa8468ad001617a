//! Differential checking against real Node: render a scenario to
//! JavaScript, run `node` on it, run the model, and compare what each
//! printed and how each exited. Where real Node is racy (see
//! [`crate::trace::RaceKind`]), every outcome of the detected races is an
//! acceptable answer.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::runtime::env::{Env, resolve_program};
use crate::script::modules::js_file_name;
use crate::script::{self, ModuleKind, RunOptions, Scenario};

/// What a process printed and how it exited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// The result of comparing one scenario with node.
#[derive(Debug, Clone)]
pub enum Verdict {
    Agree {
        /// How many race outcomes the model considered.
        variants: usize,
    },
    Disagree(Divergence),
}

#[derive(Debug, Clone)]
pub struct Divergence {
    /// "stdout", "stderr" or "exit code".
    pub stream: &'static str,
    /// 1-based line of the first difference.
    pub line: usize,
    pub model: String,
    pub node: String,
    pub model_output: Output,
    pub node_output: Output,
}

impl std::fmt::Display for Divergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.stream == "exit code" {
            return write!(
                f,
                "exit code differs: model {}, node {}",
                self.model, self.node
            );
        }
        write!(
            f,
            "{} differs at line {}:\n  model: {}\n  node:  {}",
            self.stream, self.line, self.model, self.node
        )
    }
}

/// The node executable: `$WORKBENCH_NODE`, else `node` on PATH.
pub fn node_command() -> String {
    std::env::var("WORKBENCH_NODE").unwrap_or_else(|_| "node".to_string())
}

/// Is a usable node on this machine?
pub fn node_available() -> bool {
    node_unavailable().is_none()
}

/// Why [`node_command`] cannot be used (`--version` does not run or
/// fails), or `None` when it can.
pub fn node_unavailable() -> Option<String> {
    let command = node_command();
    match Command::new(resolve_program(&command))
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .output()
    {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!("`{command} --version` failed ({})", out.status)),
        Err(e) => Some(format!("`{command}` does not run: {e}")),
    }
}

/// `WORKBENCH_REQUIRE_NODE=1` (CI sets it): a missing node fails the
/// node-backed tests instead of skipping them.
pub fn node_required() -> bool {
    std::env::var("WORKBENCH_REQUIRE_NODE").is_ok_and(|v| v == "1")
}

/// Runs JavaScript with node in a fresh copy of the sandbox directory, as
/// CommonJS (`NAME.js`), in the empty environment a model run has by
/// default ([`RunOptions::default`]).
pub fn run_node(js: &str, sandbox: &Path, name: &str) -> std::io::Result<Output> {
    run_node_with(js, sandbox, name, ModuleKind::Cjs, &Env::empty(), &[])
}

/// As [`run_node`], as CommonJS (`NAME.js`) or an ES module (`NAME.mjs`).
pub fn run_node_as(
    js: &str,
    sandbox: &Path,
    name: &str,
    module: ModuleKind,
) -> std::io::Result<Output> {
    run_node_with(js, sandbox, name, module, &Env::empty(), &[])
}

/// As [`run_node_as`], with exactly the environment `env` (give the model
/// the same one, in [`Env::sorted`] order: see [`Env::apply_to`]) and
/// `args` after the script (`process.argv[2..]`).
pub fn run_node_with(
    js: &str,
    sandbox: &Path,
    name: &str,
    module: ModuleKind,
    env: &Env,
    args: &[String],
) -> std::io::Result<Output> {
    let dir = tempfile::tempdir()?;
    if let Ok(entries) = std::fs::read_dir(sandbox) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_file()
                && let Some(file) = path.file_name()
            {
                let _ = std::fs::copy(&path, dir.path().join(file));
            }
        }
    }
    let js_path = dir.path().join(js_file_name(name, module));
    std::fs::write(&js_path, js)?;
    // `--expose-gc` always: scenarios' `gc()` renders to `global.gc()`, and
    // the flag changes nothing else a scenario can observe.
    let mut command = Command::new(resolve_program(&node_command()));
    env.apply_to(&mut command);
    let mut child = command
        .arg("--expose-gc")
        .arg(&js_path)
        .args(args)
        .current_dir(dir.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    // A scenario that never ends in node must not hang the check.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait()?.is_some() || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill();
    let out = child.wait_with_output()?;
    Ok(Output {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    })
}

/// Runs the model and returns its output.
pub fn run_model(scenario: &Scenario, options: &RunOptions) -> (Output, script::RunResult) {
    let result = script::run(scenario, options);
    let out = Output {
        stdout: result.stdout(),
        stderr: result.stderr(),
        code: result.outcome.exit_code,
    };
    (out, result)
}

/// Removes what cannot match between a Rhai scenario and its JavaScript:
/// the location header of an uncaught error (file, source line, caret)
/// and stack frames.
pub fn normalize_stderr(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if is_location_header(line) {
            // header, source line, caret line
            let mut skip = 1;
            if i + 2 < lines.len() && lines[i + 2].trim_start().starts_with('^') {
                skip = 3;
            } else if i + 1 < lines.len() && lines[i + 1].trim_start().starts_with('^') {
                skip = 2;
            }
            i += skip;
            continue;
        }
        if line.starts_with("    at ") {
            // A last stack frame can open the error's property block.
            if line.ends_with(" {") {
                out.push("{".to_string());
            }
            i += 1;
            continue;
        }
        out.push(normalize_pid(line));
        i += 1;
    }
    out.join("\n")
}

/// `(node:12345) Warning...` names the process: not comparable.
fn normalize_pid(line: &str) -> String {
    if let Some(rest) = line.strip_prefix("(node:")
        && let Some(end) = rest.find(')')
        && rest[..end].chars().all(|c| c.is_ascii_digit())
    {
        return format!("(node:PID){}", &rest[end + 1..]);
    }
    line.to_string()
}

fn is_location_header(line: &str) -> bool {
    let Some((path, num)) = line.rsplit_once(':') else {
        return false;
    };
    !num.is_empty()
        && num.chars().all(|c| c.is_ascii_digit())
        && (path.ends_with(".js")
            || path.ends_with(".rhai")
            || path.ends_with(".mjs")
            || path.starts_with("node:"))
}

fn first_difference(
    stream: &'static str,
    model: &str,
    node: &str,
    mo: &Output,
    no: &Output,
) -> Option<Divergence> {
    if model == node {
        return None;
    }
    let ml: Vec<&str> = model.lines().collect();
    let nl: Vec<&str> = node.lines().collect();
    let mut line = 0;
    while line < ml.len() && line < nl.len() && ml[line] == nl[line] {
        line += 1;
    }
    let show = |v: &[&str]| {
        v.get(line)
            .map_or("<end of output>".to_string(), |s| s.to_string())
    };
    Some(Divergence {
        stream,
        line: line + 1,
        model: show(&ml),
        node: show(&nl),
        model_output: mo.clone(),
        node_output: no.clone(),
    })
}

/// Compares a model run with node's output.
pub fn compare(model: &Output, node: &Output) -> Option<Divergence> {
    first_difference("stdout", &model.stdout, &node.stdout, model, node)
        .or_else(|| {
            first_difference(
                "stderr",
                &normalize_stderr(&model.stderr),
                &normalize_stderr(&node.stderr),
                model,
                node,
            )
        })
        .or_else(|| {
            (model.code != node.code).then(|| Divergence {
                stream: "exit code",
                line: 0,
                model: model.code.to_string(),
                node: node.code.to_string(),
                model_output: model.clone(),
                node_output: node.clone(),
            })
        })
}

/// The most race outcomes tried (2^this many combinations).
const MAX_RACES_ENUMERATED: usize = 6;

/// Checks a scenario against node's actual output.
pub fn verify_against(scenario: &Scenario, node: &Output) -> Verdict {
    verify_against_with(scenario, node, &RunOptions::default())
}

/// As [`verify_against`], with run options (lesson parameters).
pub fn verify_against_with(scenario: &Scenario, node: &Output, options: &RunOptions) -> Verdict {
    let base = options.clone();
    let (model, result) = run_model(scenario, &base);
    let Some(first) = compare(&model, node) else {
        return Verdict::Agree { variants: 1 };
    };
    let races = result.trace.races.len().min(MAX_RACES_ENUMERATED);
    for (bits, variants) in (1..(1u64 << races)).zip(2..) {
        let mut options = base.clone();
        options.runtime.race_timeout_first = bits;
        let (alt, _) = run_model(scenario, &options);
        if compare(&alt, node).is_none() {
            return Verdict::Agree { variants };
        }
    }
    Verdict::Disagree(first)
}

/// Renders, runs node, runs the model, compares, as the file's own module
/// kind (`NAME.mjs.rhai` is an ES module); both see the environment
/// workbench was started with (`workbench verify`).
pub fn verify_file(path: &Path) -> Result<Verdict, String> {
    verify_file_with(path, None, &Env::inherited(), &[])
}

/// As [`verify_file`]; `module` overrides the file's kind (`--module`).
pub fn verify_file_as(path: &Path, module: Option<ModuleKind>) -> Result<Verdict, String> {
    verify_file_with(path, module, &Env::inherited(), &[])
}

/// As [`verify_file_as`], node and the model both in the environment `env`
/// and given `args` after the script.
pub fn verify_file_with(
    path: &Path,
    module: Option<ModuleKind>,
    env: &Env,
    args: &[String],
) -> Result<Verdict, String> {
    // A child given an explicit environment sees it sorted by name; so
    // does the model, so that even `console.log(process.env)` agrees.
    let env = env.clone().sorted();
    let scenario = Scenario::load(path).map_err(|e| e.report)?;
    let kind = scenario
        .module_kind(module, &Default::default())
        .map_err(|e| e.report)?;
    let js = scenario.to_js_as(kind).map_err(|e| e.report)?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".into());
    let node = run_node_with(&js, &scenario.sandbox(), &name, kind, &env, args)
        .map_err(|e| format!("cannot run {}: {e}", node_command()))?;
    let mut options = RunOptions {
        module: Some(kind),
        ..RunOptions::default()
    };
    options.runtime.env = env;
    options.runtime.args = args.to_vec();
    Ok(verify_against_with(&scenario, &node, &options))
}

/// Scenario files under a directory, sorted (for corpus runners).
pub fn scenario_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "rhai"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}
