//! Node's sandbox (`verify::NodeSandbox`): node runs a scenario confined to
//! a temporary copy of its directory. A canary directory shows that writes
//! outside (absolute paths, `../` climbs, a worker, a child process) never
//! happen, that `workbench verify` and `workbench check` say so instead of
//! "agree"/"ok", and that the permission model's own warnings never reach
//! the comparison while every real warning prints as without the sandbox.

use std::path::Path;
use std::process::Command;

use workbench::runtime::env::{Env, resolve_program};
use workbench::script::ModuleKind;
use workbench::verify::{self, NodeSandbox};

/// Files (and directories) in `dir`, by name, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("readable")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A relative path from anywhere to `absolute`: enough `..` to reach `/`.
fn climb_to(absolute: &Path) -> String {
    format!("{}{}", "../".repeat(40), absolute.display())
}

/// A canary directory: `canary/secret.txt`, and an empty `canary/NAME/` to
/// hold the scenario (so that `../` from the scenario is the canary).
fn canary(sub: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let canary = tempfile::tempdir().expect("temp dir");
    std::fs::write(canary.path().join("secret.txt"), "secret").expect("write");
    let dir = canary.path().join(sub);
    std::fs::create_dir(&dir).expect("mkdir");
    (canary, dir)
}

/// The writes every escaping scenario tries; the errors are ignored, so
/// the printed outputs alone would agree.
fn escaping_writes(canary: &Path) -> String {
    let c = canary.canonicalize().expect("canonical");
    format!(
        r#"fs.writeFile("{abs}", "escaped", |err| {{}});
fs.writeFile("../relative.txt", "escaped", |err| {{}});
fs.writeFile("{deep}", "escaped", |err| {{}});
console.log("done");"#,
        abs = c.join("absolute.txt").display(),
        deep = climb_to(&c.join("deep.txt")),
    )
}

fn workbench(args: &[&Path]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_workbench"))
        .args(args)
        .env("WORKBENCH_NODE", resolve_program(&verify::node_command()))
        .output()
        .expect("the workbench binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

pub fn verify_refuses_writes_outside_and_says_so() {
    let (canary, dir) = canary("scenario");
    let path = dir.join("escape.rhai");
    std::fs::write(&path, escaping_writes(canary.path())).expect("write");
    let (code, out) = workbench(&[Path::new("verify"), &path]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("DISAGREE"), "{out}");
    assert!(
        out.contains("not comparable: the scenario reached outside its directory"),
        "{out}"
    );
    assert!(out.contains("absolute.txt"), "{out}");
    assert_eq!(listing(canary.path()), ["scenario", "secret.txt"]);
    assert_eq!(listing(&dir), ["escape.rhai"]);
}

pub fn check_refuses_writes_outside_and_says_so() {
    let (canary, dir) = canary("lessons");
    let path = dir.join("escape.rhai");
    let body = escaping_writes(canary.path()).replace('\n', "\n    ");
    std::fs::write(
        &path,
        format!(
            r#"lesson(#{{ title: "Escape", summary: "s", topic: "t", teaches: "x", duration: "1 min" }});
scenario(|| {{
    note("n");
    {body}
}});
expect_output(["done"]);
"#
        ),
    )
    .expect("write");
    let (code, out) = workbench(&[Path::new("check"), &path]);
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("disagrees with node: not comparable: the scenario reached outside"),
        "{out}"
    );
    assert!(!out.contains("\nok"), "{out}");
    assert_eq!(listing(canary.path()), ["lessons", "secret.txt"]);
    assert_eq!(listing(&dir), ["escape.rhai"]);
    // The library's check says the same.
    let report = workbench::lesson::check::check(&path, true);
    assert!(!report.ok());
    assert_eq!(listing(canary.path()), ["lessons", "secret.txt"]);
}

/// JavaScript straight through the sandbox's command: refused outside
/// (reads, writes, a worker's write, a child process), free inside.
pub fn node_is_confined_to_its_directory() {
    let (canary, dir) = canary("scenario");
    let c = canary.path().canonicalize().expect("canonical");
    let jail = NodeSandbox::new(&dir).expect("sandbox");
    let script = jail.dir().join("confined.js");
    std::fs::write(
        &script,
        r#"const fs = require('fs');
const { Worker } = require('worker_threads');
const canary = process.argv[2];
const attempt = (label, f) => {
  try { f(); console.log(label, 'ok'); } catch (e) { console.log(label, e.code); }
};
attempt('write absolute', () => fs.writeFileSync(canary + '/absolute.txt', 'x'));
attempt('write ../', () => fs.writeFileSync('../parent.txt', 'x'));
attempt('write climbing', () => fs.writeFileSync(process.argv[3], 'x'));
attempt('read outside', () => fs.readFileSync(canary + '/secret.txt'));
attempt('list outside', () => fs.readdirSync(canary));
attempt('child process', () => require('child_process').execSync('touch ' + canary + '/child.txt'));
attempt('write inside', () => fs.writeFileSync('inside.txt', 'x'));
attempt('read inside', () => fs.readFileSync('inside.txt', 'utf8'));
fs.writeFile(canary + '/async.txt', 'x', (err) => {
  console.log('async write', err.code);
  const w = new Worker(__filename.replace('confined.js', 'worker.js'), { argv: [canary] });
  w.on('message', (m) => console.log('worker', m));
  w.on('exit', (code) => console.log('worker exit', code));
});
"#,
    )
    .expect("write");
    std::fs::write(
        jail.dir().join("worker.js"),
        r#"const { parentPort } = require('worker_threads');
try { require('fs').writeFileSync(process.argv[2] + '/worker.txt', 'x'); parentPort.postMessage('wrote'); }
catch (e) { parentPort.postMessage(e.code); }
"#,
    )
    .expect("write");
    let out = jail
        .command(&Env::empty())
        .expect("command")
        .arg(&script)
        .arg(&c)
        .arg(climb_to(&c.join("deep.txt")))
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stdout,
        "write absolute ERR_ACCESS_DENIED\n\
         write ../ ERR_ACCESS_DENIED\n\
         write climbing ERR_ACCESS_DENIED\n\
         read outside ERR_ACCESS_DENIED\n\
         list outside ERR_ACCESS_DENIED\n\
         child process ERR_ACCESS_DENIED\n\
         write inside ok\n\
         read inside ok\n\
         async write ERR_ACCESS_DENIED\n\
         worker ERR_ACCESS_DENIED\n\
         worker exit 0\n",
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(listing(canary.path()), ["scenario", "secret.txt"]);
    assert!(listing(&dir).is_empty());
    assert!(!jail.temp().join("parent.txt").exists());
}

/// Warnings a script causes, in the main thread and in a worker (each
/// thread's first one carries the `--trace-warnings` or
/// `--trace-deprecation` hint), print through the sandbox exactly as
/// without it; the permission model's own warnings do not print.
pub fn warnings_print_as_without_the_sandbox() {
    let js = r#"const { Worker, isMainThread } = require('worker_threads');
if (isMainThread) {
  setTimeout(() => {}, 2 ** 31);
  process.nextTick(() => {
    const w = new Worker(__filename);
    w.on('exit', () => {
      console.log('worker done');
      process.emitWarning('after the worker', 'DeprecationWarning', 'DEP0999');
      process.emitWarning('custom', { type: 'CustomWarning', detail: 'some detail' });
    });
  });
} else {
  process.emitWarning('in the worker', 'DeprecationWarning', 'DEP0998');
  setTimeout(() => {}, 2 ** 32);
}
"#;
    let plain_dir = tempfile::tempdir().expect("temp dir");
    let plain_path = plain_dir.path().join("warnings.js");
    std::fs::write(&plain_path, js).expect("write");
    let plain = crate::node()
        .arg(&plain_path)
        .current_dir(plain_dir.path())
        .env_clear()
        .output()
        .expect("node runs");
    let empty = tempfile::tempdir().expect("temp dir");
    let sandboxed = verify::run_node(js, empty.path(), "warnings").expect("node runs");
    let plain_stderr = verify::normalize_stderr(&String::from_utf8_lossy(&plain.stderr));
    assert!(
        plain_stderr.contains("(Use `node --trace-deprecation ...`"),
        "{plain_stderr}"
    );
    assert_eq!(
        plain_stderr.matches("(Use `node").count(),
        2,
        "{plain_stderr}"
    );
    assert_eq!(verify::normalize_stderr(&sandboxed.stderr), plain_stderr);
    assert_eq!(sandboxed.stdout, String::from_utf8_lossy(&plain.stdout));
    assert_eq!(sandboxed.code, plain.status.code().unwrap_or(-1));
    assert!(
        !sandboxed.stderr.contains("Permission"),
        "{}",
        sandboxed.stderr
    );
    assert!(
        !sandboxed.stderr.contains("SecurityWarning"),
        "{}",
        sandboxed.stderr
    );
}

/// A `NODE_OPTIONS` with permission flags would widen the sandbox: refused.
pub fn node_options_cannot_widen_the_sandbox() {
    let empty = tempfile::tempdir().expect("temp dir");
    let jail = NodeSandbox::new(empty.path()).expect("sandbox");
    let env = Env::empty().with("NODE_OPTIONS", "--allow-fs-write=/");
    let err = jail.command(&env).expect_err("refused");
    assert!(err.to_string().contains("NODE_OPTIONS"), "{err}");
    assert!(
        jail.command(&Env::empty().with("NODE_OPTIONS", "--max-old-space-size=100"))
            .is_ok()
    );
}

/// The project's npm packages (`package.json`; `scripts/node-deps.sh`
/// installs them) load in the sandbox, as CommonJS and as an ES module,
/// with nothing of the mechanism in `process.env`: autocannon loads a
/// server started by the script, 20 requests over 2 connections.
pub fn autocannon_runs_in_the_sandbox() {
    let install = "run scripts/node-deps.sh (it installs package-lock.json's packages into \
                   node_modules/), or set WORKBENCH_NODE_MODULES to a node_modules that has them";
    let Some(modules) = verify::node_modules() else {
        let looked = match std::env::var("WORKBENCH_NODE_MODULES") {
            Ok(dir) if !dir.is_empty() => format!("WORKBENCH_NODE_MODULES={dir}"),
            _ => format!("{}/node_modules", env!("CARGO_MANIFEST_DIR")),
        };
        panic!("the npm packages are not installed ({looked} is no directory): {install}");
    };
    let autocannon = modules.join("autocannon/package.json");
    assert!(
        autocannon.is_file(),
        "{} has no autocannon: {install}",
        modules.display()
    );
    let load = |module: ModuleKind| match module {
        ModuleKind::Cjs => {
            "const http = require('http');\nconst autocannon = require('autocannon');"
        }
        ModuleKind::Esm => "import http from 'node:http';\nimport autocannon from 'autocannon';",
    };
    let empty = tempfile::tempdir().expect("temp dir");
    for module in [ModuleKind::Cjs, ModuleKind::Esm] {
        let js = format!(
            r#"{load}
console.log(Object.keys(process.env));
const server = http.createServer((req, res) => res.end('ok'));
server.listen(0, '127.0.0.1', () => {{
  const url = `http://127.0.0.1:${{server.address().port}}`;
  autocannon({{ url, amount: 20, connections: 2 }}, (err, r) => {{
    console.log(err, r.requests.total, r.non2xx, r['2xx']);
    server.close();
  }});
}});
"#,
            load = load(module)
        );
        let out = verify::run_node_as(&js, empty.path(), "bench", module).expect("node runs");
        assert_eq!(
            (out.stdout.as_str(), out.stderr.as_str(), out.code),
            ("[]\nnull 20 0 20\n", "", 0),
            "{module:?}"
        );
    }
    // Removing the sandbox removed its link, not the packages.
    assert!(autocannon.is_file());
    assert!(listing(empty.path()).is_empty());
}
