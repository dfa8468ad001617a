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
    /// "stdout", "stderr", "exit code", or "sandbox" (the scenario reached
    /// outside its directory: not comparable, see [`NodeSandbox`]).
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
        if self.stream == SANDBOX {
            return write!(
                f,
                "not comparable: the scenario reached outside its directory ({}); \
                 the model answers ENOENT there, node runs confined to a copy of \
                 the directory and is refused (ERR_ACCESS_DENIED)",
                self.model
            );
        }
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
/// `args` after the script (`process.argv[2..]`). Node runs confined by
/// its permission model: see [`NodeSandbox`].
pub fn run_node_with(
    js: &str,
    sandbox: &Path,
    name: &str,
    module: ModuleKind,
    env: &Env,
    args: &[String],
) -> std::io::Result<Output> {
    let jail = NodeSandbox::new(sandbox)?;
    let js_path = jail.dir().join(js_file_name(name, module));
    std::fs::write(&js_path, js)?;
    let mut command = jail.command(env)?;
    let mut child = command
        .arg(&js_path)
        .args(args)
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
        stderr: strip_sandbox_warnings(&String::from_utf8_lossy(&out.stderr)),
        code: exit_status_code(&out.status),
    })
}

/// The exit status as a shell shows it: a process ended by a signal's
/// default action is 128 + the signal's number (SIGTERM: 143).
pub fn exit_status_code(status: &std::process::ExitStatus) -> i32 {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return 128 + signal;
        }
    }
    status.code().unwrap_or(-1)
}

/// Where node runs a scenario: a fresh temporary directory holding a copy
/// of the files of the scenario's directory (not its subdirectories) and
/// the rendered script, and the command that runs node confined to it by
/// Node 20's permission model (`--experimental-permission`):
///
/// - writes only inside the temporary directory (`--allow-fs-write`);
/// - reads inside it, in the scenario's own directory (the model reads the
///   real files there: [`crate::runtime::fs::Sandbox`]), of the preload
///   below, and of the project's npm packages ([`node_modules`]: see
///   below); nothing else (`/etc/passwd` is ERR_ACCESS_DENIED);
/// - worker threads (`--allow-worker`: they run under the same
///   permissions), no child processes, no native addons, no WASI.
///
/// The permission model announces itself with warnings a scenario did not
/// cause (an ExperimentalWarning, a SecurityWarning for `--allow-worker`),
/// and node prints its `--trace-warnings` hint once per thread, after the
/// first warning. A `--require`d preload ([`SANDBOX_PRELOAD`]) drops those
/// warnings before the default listener prints them (the main thread) and
/// prints the hint a worker's first own warning would have had (a worker
/// prints them before its preloads run; [`strip_sandbox_warnings`] removes
/// those lines), so every other warning prints exactly as without the
/// sandbox.
///
/// The npm packages the project installs (`package.json`,
/// `scripts/node-deps.sh`; [`node_modules`]) load with `require` and
/// `import` as from any project: the temporary directory holds a symlink
/// `node_modules` to them, beside `run/`, so node's ordinary lookup (the
/// `node_modules` of each parent directory) finds them, and node may read
/// the link (the loader stats it) and its target (the loader resolves the
/// link and loads the real files). Not `NODE_PATH`: node is given exactly
/// the scenario's environment ([`Env::apply_to`]) and the model compares
/// `process.env` with it (`console.log(process.env)` must agree); an ES
/// module's `import` ignores `NODE_PATH`; deleting it from `process.env`
/// in the preload would lose it for workers (they start from a copy of
/// `process.env`) and would have to merge with a `NODE_PATH` of the
/// scenario's own. The link
/// is outside `run/`, where a scenario cannot list it (reading the
/// temporary directory is ERR_ACCESS_DENIED): nothing a scenario prints
/// changes but that those packages load (`require.resolve` names their
/// real path).
pub struct NodeSandbox {
    /// Holds `run/` (the directory node runs in), the preload and the
    /// `node_modules` link.
    temp: tempfile::TempDir,
    dir: PathBuf,
    preload: PathBuf,
    /// The scenario's directory, which node may read (canonical).
    readable: Option<PathBuf>,
    /// The `node_modules` link in the temporary directory and the
    /// (canonical) directory it points to, both readable by node.
    packages: Option<(PathBuf, PathBuf)>,
}

/// The directory of npm packages node may load in [`NodeSandbox`]:
/// `$WORKBENCH_NODE_MODULES` when set, else this checkout's `node_modules`
/// (`scripts/node-deps.sh` installs it from `package-lock.json`); `None`
/// when that is not a directory. Canonical.
pub fn node_modules() -> Option<PathBuf> {
    let dir = std::env::var_os("WORKBENCH_NODE_MODULES")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("node_modules"));
    dir.canonicalize().ok().filter(|d| d.is_dir())
}

/// `link` -> `target`, a directory symlink (removing the temporary
/// directory removes the link, not what it points to).
#[cfg(unix)]
fn link_dir(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn link_dir(_target: &Path, _link: &Path) -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "the node sandbox links node_modules on Unix only",
    ))
}

/// The preload of [`NodeSandbox`] (CommonJS; in every thread).
pub const SANDBOX_PRELOAD: &str = r#"'use strict';
// workbench's node sandbox: the permission model's own warnings are not the
// scenario's. Drop them; print every other warning as node would have.
{
  const isSandboxWarning = (w) =>
    (w.name === 'ExperimentalWarning' &&
      w.message === 'Permission is an experimental feature and might change at any time') ||
    (w.name === 'SecurityWarning' && w.message.startsWith('The flag --allow-') &&
      w.message.endsWith(' must be used with extreme caution. It could invalidate the permission model.'));
  const defaults = process.listeners('warning');
  process.removeAllListeners('warning');
  // Warnings are emitted from nextTicks, the sandbox's first of all: seeing
  // none here means a default listener printed them (and its one-time
  // --trace-warnings hint) before this preload ran, as in a worker.
  let sawSandboxWarning = false;
  let hintOwed = defaults.length > 0;
  process.on('warning', function (warning) {
    if (isSandboxWarning(warning)) {
      sawSandboxWarning = true;
      return;
    }
    for (const listener of defaults) listener.call(this, warning);
    if (sawSandboxWarning || !hintOwed || !(warning instanceof Error)) return;
    const deprecation = warning.name === 'DeprecationWarning';
    if (deprecation && process.noDeprecation) return;
    hintOwed = false;
    if (process.traceProcessWarnings || (deprecation && process.traceDeprecation)) return;
    const argv0 = require('path').basename(process.argv0 || 'node', '.exe');
    const flag = deprecation ? '--trace-deprecation' : '--trace-warnings';
    process.stderr.write(`(Use \`${argv0} ${flag} ...\` to show where the warning was created)\n`);
  });
}
// Processes: node itself only, with this sandbox's flags (cluster workers
// and child_process.fork children run the scenario again, confined as this
// process is). Every other way to start a program is refused, as the
// permission model refuses it without --allow-child-process.
{
  const cp = require('child_process');
  const refuse = () => function () {
    const e = new Error('Access to this API has been restricted');
    e.code = 'ERR_ACCESS_DENIED';
    e.permission = 'ChildProcess';
    throw e;
  };
  for (const name of ['exec', 'execSync', 'execFile', 'execFileSync', 'spawn', 'spawnSync']) {
    cp[name] = refuse();
  }
  const fork = cp.fork;
  cp.fork = function (modulePath, args, options) {
    if (args !== undefined && args !== null && !Array.isArray(args)) {
      options = args;
      args = [];
    }
    return fork.call(this, modulePath, args || [], {
      ...(options || {}),
      execPath: process.execPath,
      execArgv: process.execArgv,
    });
  };
}
"#;

impl NodeSandbox {
    /// A fresh sandbox seeded with the files of `scenario_dir`.
    pub fn new(scenario_dir: &Path) -> std::io::Result<NodeSandbox> {
        let temp = tempfile::Builder::new()
            .prefix("workbench-node-")
            .tempdir()?;
        // Canonical: the permission model compares paths as given.
        let root = temp.path().canonicalize()?;
        let dir = root.join("run");
        std::fs::create_dir(&dir)?;
        let preload = root.join("sandbox-preload.cjs");
        std::fs::write(&preload, SANDBOX_PRELOAD)?;
        if let Ok(entries) = std::fs::read_dir(scenario_dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_file()
                    && let Some(file) = path.file_name()
                {
                    let _ = std::fs::copy(&path, dir.join(file));
                }
            }
        }
        let packages = node_modules().and_then(|target| {
            let link = root.join("node_modules");
            link_dir(&target, &link).ok().map(|()| (link, target))
        });
        Ok(NodeSandbox {
            temp,
            dir,
            preload,
            readable: scenario_dir.canonicalize().ok(),
            packages,
        })
    }

    /// The directory node runs in (its cwd; put the script here).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The temporary directory (removed when this is dropped).
    pub fn temp(&self) -> &Path {
        self.temp.path()
    }

    /// `node` with the sandbox's flags, in its directory, with exactly the
    /// environment `env`; add the script and its arguments. Refuses an
    /// environment whose `NODE_OPTIONS` names permission flags (they would
    /// widen the sandbox).
    pub fn command(&self, env: &Env) -> std::io::Result<Command> {
        if let Some(options) = env.get("NODE_OPTIONS")
            && (options.contains("allow-") || options.contains("permission"))
        {
            return Err(std::io::Error::other(format!(
                "NODE_OPTIONS={options:?} would change node's sandbox (permission flags)"
            )));
        }
        let mut command = Command::new(resolve_program(&node_command()));
        env.apply_to(&mut command);
        let flag = |name: &str, path: &Path| {
            let mut arg = std::ffi::OsString::from(name);
            arg.push(path);
            arg
        };
        command
            .arg("--experimental-permission")
            .arg(flag("--allow-fs-write=", &self.dir))
            .arg(flag("--allow-fs-read=", &self.dir))
            .arg(flag("--allow-fs-read=", &self.preload))
            .args(self.readable.iter().map(|d| flag("--allow-fs-read=", d)))
            .args(self.packages.iter().flat_map(|(link, target)| {
                [
                    flag("--allow-fs-read=", link),
                    flag("--allow-fs-read=", target),
                ]
            }))
            .arg("--allow-worker")
            // cluster workers and forked children are node processes too
            // (they inherit these flags, so the sandbox holds for them).
            .arg("--allow-child-process")
            .arg(flag("--require=", &self.preload))
            // `--expose-gc` always: scenarios' `gc()` renders to
            // `global.gc()`, and the flag changes nothing else a scenario
            // can observe.
            .arg("--expose-gc")
            .current_dir(&self.dir);
        Ok(command)
    }
}

/// Removes the permission model's own warnings that a worker prints before
/// the sandbox's preload runs (see [`NodeSandbox`]): the ExperimentalWarning
/// with the `--trace-warnings` hint that follows it, and the SecurityWarning
/// for `--allow-worker`.
pub fn strip_sandbox_warnings(stderr: &str) -> String {
    const EXPERIMENTAL: &str =
        ") ExperimentalWarning: Permission is an experimental feature and might change at any time";
    const SECURITY: &str = ") SecurityWarning: The flag --allow-worker must be used with extreme caution. It could invalidate the permission model.";
    const SECURITY_CHILD: &str = ") SecurityWarning: The flag --allow-child-process must be used with extreme caution. It could invalidate the permission model.";
    let is = |line: &str, rest: &str| {
        normalize_pid(line)
            .strip_prefix("(node:PID")
            .is_some_and(|l| l == rest)
    };
    let mut out = String::with_capacity(stderr.len());
    let mut lines = stderr.split_inclusive('\n').peekable();
    while let Some(line) = lines.next() {
        let text = line.trim_end_matches('\n');
        if is(text, EXPERIMENTAL) {
            if lines.peek().is_some_and(|next| {
                next.starts_with("(Use `")
                    && next
                        .trim_end_matches('\n')
                        .ends_with(" --trace-warnings ...` to show where the warning was created)")
            }) {
                lines.next();
            }
            continue;
        }
        if is(text, SECURITY) || is(text, SECURITY_CHILD) {
            continue;
        }
        out.push_str(line);
    }
    out
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

/// [`Divergence::stream`] of a run that reached outside its sandbox.
pub const SANDBOX: &str = "sandbox";

/// A run that tried paths outside the scenario's directory cannot be
/// compared: the model answers ENOENT, node (confined) ERR_ACCESS_DENIED,
/// and a scenario that ignores the error would agree while neither did
/// what the script asked.
fn escaped(result: &script::RunResult, model: &Output, node: &Output) -> Option<Divergence> {
    if result.escapes.is_empty() {
        return None;
    }
    let paths: Vec<String> = result.escapes.iter().map(|p| format!("'{p}'")).collect();
    Some(Divergence {
        stream: SANDBOX,
        line: 0,
        model: paths.join(", "),
        node: "ERR_ACCESS_DENIED".to_string(),
        model_output: model.clone(),
        node_output: node.clone(),
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
    if let Some(d) = escaped(&result, &model, node) {
        return Verdict::Disagree(d);
    }
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
