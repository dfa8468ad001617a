//! Every scenario the project ships renders to JavaScript that node
//! compiles: the differential corpus, the lessons, the examples, the bench
//! scenarios, the test fixtures, and a seeded sample of the random-program
//! generator's programs, each in every module kind it can run as (CommonJS,
//! ES module). Each is rendered with the library (`Scenario::load(..)` then
//! `to_js_as(kind)`), written to a temporary directory, and compiled by one
//! node process as node compiles it (a CommonJS module inside the module
//! wrapper function, so a top-level `return` is allowed; an ES module as a
//! module, so `import` and top-level `await` are). A failure names the
//! scenario and node's syntax error.
//!
//! Also a property: rendering never panics, on generated programs nor on
//! programs cut and spliced from them and from snippets of every construct
//! the renderer knows; and what renders, node compiles.
//!
//! The node-backed tests find node as the harness does (main.rs).

use std::path::{Path, PathBuf};

use workbench::r#gen::{Rng, generate, generate_as, size_for};
use workbench::script::{ModuleKind, Scenario};

/// Generated programs whose rendering node compiles.
const GENERATED: u64 = 300;

/// Files that are not meant to render, each with what stops it.
const NOT_RENDERABLE: &[(&str, &str)] = &[
    (
        "tests/fixtures/no_javascript.rhai",
        "uses a Rhai built-in with no JavaScript rendering",
    ),
    ("tests/fixtures/bad_parse.rhai", "does not parse"),
    (
        "tests/fixtures/lessons/does_not_compile.rhai",
        "does not parse",
    ),
    (
        "tests/fixtures/await_outside.rhai",
        "`await` outside `async_fn`",
    ),
    (
        "tests/fixtures/unknown_fn.rhai",
        "calls an undefined function",
    ),
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `.rhai` files of a directory (not recursive), sorted.
fn rhai_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("cannot read {dir}: {e}"))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "rhai"))
        .collect();
    files.sort();
    files
}

/// Every shipped scenario, by its path relative to the project.
fn shipped() -> Vec<String> {
    let mut dirs = vec![
        "tests/scenarios",
        "lessons",
        "examples",
        "benches/scenarios",
        "tests/fixtures",
        "tests/fixtures/lessons",
    ];
    for optional in ["tests/scenarios/pending", "tests/fixtures/env"] {
        if root().join(optional).is_dir() {
            dirs.push(optional);
        }
    }
    dirs.into_iter()
        .flat_map(rhai_files)
        .map(|p| {
            p.strip_prefix(root())
                .unwrap_or(&p)
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect()
}

/// A JavaScript file to check: where it came from, the code, and whether
/// it is an ES module.
struct Rendered {
    origin: String,
    js: String,
    esm: bool,
}

/// A scenario rendered in every module kind it can run as (a script as
/// CommonJS and as an ES module, `NAME.mjs.rhai` as an ES module, a lesson
/// with a module knob both ways). `Err` if none renders.
fn render_each_kind(s: &Scenario, origin: &str) -> Result<Vec<Rendered>, String> {
    let mut out = Vec::new();
    let mut first_error = None;
    for kind in [ModuleKind::Cjs, ModuleKind::Esm] {
        if s.module_kind(Some(kind), &Default::default()).is_err() {
            continue;
        }
        match s.to_js_as(kind) {
            Ok(js) => out.push(Rendered {
                origin: format!("{origin} (as {})", kind.name()),
                js,
                esm: kind == ModuleKind::Esm,
            }),
            Err(e) => {
                first_error.get_or_insert(e.report);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None if out.is_empty() => Err(format!("{origin}: no module kind applies")),
        None => Ok(out),
    }
}

fn render_shipped() -> (Vec<Rendered>, Vec<String>) {
    let mut rendered = Vec::new();
    let mut problems = Vec::new();
    for rel in shipped() {
        let expected_failure = NOT_RENDERABLE.iter().find(|(f, _)| *f == rel);
        let result = Scenario::load(&root().join(&rel))
            .map_err(|e| e.report)
            .and_then(|s| render_each_kind(&s, &rel));
        match (result, expected_failure) {
            (Ok(js), None) => rendered.extend(js),
            (Err(_), Some(_)) => {}
            (Ok(_), Some((_, why))) => problems.push(format!(
                "{rel} renders, but NOT_RENDERABLE says it {why}: remove it from the list"
            )),
            (Err(e), None) => problems.push(format!("{rel} does not render:\n{e}")),
        }
    }
    (rendered, problems)
}

fn render_generated(dir: &Path) -> (Vec<Rendered>, Vec<String>) {
    let mut rendered = Vec::new();
    let mut problems = Vec::new();
    for seed in 0..GENERATED {
        for kind in [ModuleKind::Cjs, ModuleKind::Esm] {
            let text = generate_as(seed, size_for(seed), kind);
            let name = match kind {
                ModuleKind::Esm => "generated.mjs.rhai",
                ModuleKind::Cjs => "generated.rhai",
            };
            let path = dir.join(name);
            let result = Scenario::compile(path, text.clone()).and_then(|s| s.to_js_as(kind));
            match result {
                Ok(js) => rendered.push(Rendered {
                    origin: format!("generated program, seed {seed} (as {})", kind.name()),
                    js,
                    esm: kind == ModuleKind::Esm,
                }),
                Err(e) => problems.push(format!(
                    "generated program (seed {seed}, {}) does not render:\n{}\n{text}",
                    kind.name(),
                    e.report
                )),
            }
        }
    }
    (rendered, problems)
}

/// Compiles each file as node compiles it: a `.js` file as a CommonJS
/// module (the module wrapper's parameters, so a top-level `return` is
/// allowed), an `.mjs` file as an ES module (top-level `await` and `import`
/// allowed; node runs this with --experimental-vm-modules). Prints one line
/// per failure: the file name, a tab, then node's error (location, source
/// line, caret, message) as a JSON string.
const CHECKER: &str = r#"
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const dir = process.argv[2];
const params = ['exports', 'require', 'module', '__filename', '__dirname'];
const names = fs.readdirSync(dir).filter((f) => /\.m?js$/.test(f)).sort();
for (const name of names) {
  const filename = path.join(dir, name);
  const source = fs.readFileSync(filename, 'utf8');
  try {
    if (name.endsWith('.mjs')) {
      new vm.SourceTextModule(source, { identifier: filename });
    } else {
      vm.compileFunction(source, params, { filename });
    }
  } catch (e) {
    const stack = String(e && e.stack ? e.stack : e);
    const report = stack.split('\n').filter((l) => !l.startsWith('    at ')).join('\n').trim();
    console.log(name + '\t' + JSON.stringify(report));
  }
}
console.log('checked');
"#;

fn node_check(files: &[Rendered]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (i, r) in files.iter().enumerate() {
        let ext = if r.esm { "mjs" } else { "js" };
        std::fs::write(dir.path().join(format!("{i:04}.{ext}")), &r.js)
            .expect("write the rendering");
    }
    let checker = dir.path().join("check.cjs");
    std::fs::write(&checker, CHECKER).expect("write the checker");
    let out = crate::node()
        .args(["--experimental-vm-modules", "--no-warnings"])
        .arg(&checker)
        .arg(dir.path())
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.ends_with("checked\n"),
        "the node checker failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut failures = Vec::new();
    for line in stdout.lines().filter(|l| l.contains('\t')) {
        let (name, report) = line.split_once('\t').unwrap_or((line, ""));
        let report: String = serde_json::from_str(report).unwrap_or_else(|_| report.to_string());
        let index: usize = name
            .split('.')
            .next()
            .and_then(|n| n.parse().ok())
            .expect("a checked file name");
        let r = &files[index];
        failures.push(format!(
            "=== {}: node rejects the rendering:\n{report}\n--- rendering ---\n{}",
            r.origin, r.js
        ));
    }
    failures
}

/// Every shipped scenario and generated program renders (no node needed).
pub fn every_scenario_renders() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (files, problems) = render_all(dir.path());
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    assert!(files.len() >= 450, "only {} renderings", files.len());
}

/// Every shipped scenario and generated program renders to JavaScript
/// node compiles.
pub fn every_rendering_compiles_in_node() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (files, problems) = render_all(dir.path());
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    let failures = node_check(&files);
    assert!(
        failures.is_empty(),
        "{} of {} renderings do not compile in node:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

fn render_all(dir: &Path) -> (Vec<Rendered>, Vec<String>) {
    let (mut files, mut problems) = render_shipped();
    assert!(
        files.len() >= 150,
        "only {} shipped scenarios rendered",
        files.len()
    );
    let (generated, generated_problems) = render_generated(dir);
    files.extend(generated);
    problems.extend(generated_problems);
    (files, problems)
}

/// The checker itself: a syntax error is reported with the file it is in.
pub fn the_node_check_names_the_file_and_the_error() {
    let files = [
        Rendered {
            origin: "good".into(),
            js: "return 1;\n".into(),
            esm: false,
        },
        Rendered {
            origin: "bad one".into(),
            js: "let x = ;\n".into(),
            esm: false,
        },
        Rendered {
            origin: "a good module".into(),
            js: "import fs from 'fs';\nawait Promise.resolve(fs);\n".into(),
            esm: true,
        },
        Rendered {
            origin: "a bad module".into(),
            js: "await;\n".into(),
            esm: true,
        },
    ];
    let failures = node_check(&files);
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(
        failures[1].starts_with("=== a bad module: node rejects the rendering:")
            && failures[1].contains("SyntaxError"),
        "{}",
        failures[1]
    );
    assert!(
        failures[0].starts_with("=== bad one: node rejects the rendering:")
            && failures[0].contains("SyntaxError")
            && failures[0].contains("let x = ;"),
        "{}",
        failures[0]
    );
}

/// Snippets of every construct the renderer handles (and some it rejects),
/// spliced into generated programs by the no-panic property.
const SNIPPETS: &[&str] = &[
    "let s = \"hello\"; print(s.sub_string(1, 3), s.len(), \"e\" in s);",
    "let a = [3, 1, 2]; a.sort(); a += [4]; a += 5; print(a[-1], a.len(), 2 in a);",
    "let m = #{ a: 1 }; m += #{ b: 2 }; print(m.keys(), m.len(), \"a\" in m);",
    "for i in 0..3 { setTimeout(|| print(i), 0); }",
    "for (x, i) in [\"a\", \"b\"] { print(i, x); }",
    "for i in range(10, 0, -2) { if i == 4 { break; } print(i); }",
    "for i in 0..=2 { i += 1; print(i); }",
    "let n = 3; for i in 0..n { n -= 1; }",
    "let t = \" x \"; t.trim(); t.replace(\"x\", \"y\");",
    "let f = |v| { if v > 1 { v } else { () } };",
    "let g = |v| { print(v); v * 2 };",
    "let h = || { setImmediate(|| print(1)); };",
    "let z = { let q = 2; q * 3 };",
    "let y = if true { 1 } else { 2 };",
    "fn helper(list) { list.len() }\nprint(helper([1, 2]));",
    "let p = Promise.create(|resolve, reject| { resolve.call(1); });",
    "let af = async_fn(|x| { let v = await Promise.resolve(x); v + 1 });",
    "try { throw \"e\"; } catch (e) { print(e); }",
    "let w = 0; while w < 2 { w += 1; } do { w -= 1; } until w == 0;",
    "let q = [1, 2].map(|v| v * 2).filter(|v| v > 2);",
    "print(7 / 2, 2.5.floor(), 4.is_even(), 3.max(8));",
    "let r = [1].retain(|v| v > 0);",
    "print(type_of(1));",
    "let c = \"ab\"; print(c.pop());",
    "let e = EventEmitter.create(); e.on(\"x\", |v| print(v)); e.emit(\"x\", 1);",
    "switch 1 { 1 => print(1), _ => () }",
    "let k = [1]; k[-1] = 2;",
    "note(\"a comment\");",
    "let add = |a, b| a + b; let inc = add.curry(1); print(inc.call(2));",
    "let xs = [1, 2]; for x in xs { if x < 2 { xs.push(x); } } print(xs.len, xs.is_empty);",
    "let u = 3; do { u -= 1; } until u == 0; if u == 0 {} else { print(u); }",
    "let v = 5; print(v in 0..10, v in 1..=4, !(v in 0..3));",
    "let o = #{ a: [1, 2] }; print(o.a.len(), o.a[-1], (o.a + [3]).len);",
    "fn show(x) { x.len() } print(show(\"ab\"), show([1]), show(#{ k: 1 }));",
    "let str = \"a,b\"; print(str.split(\",\"), str.split(), str.split(\"\"), str.sub_string(1..=2));",
];

/// Cuts and splices: drop a line, duplicate one, or insert a snippet.
fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(lines.len() + 1);
        match rng.below(3) {
            0 if !lines.is_empty() => {
                lines.remove(at.min(lines.len() - 1));
            }
            1 if !lines.is_empty() => {
                let line = lines[at.min(lines.len() - 1)].clone();
                lines.insert(at, line);
            }
            _ => lines.insert(at, SNIPPETS[rng.below(SNIPPETS.len())].to_string()),
        }
    }
    lines.join("\n")
}

/// Generated programs, cut and spliced with snippets: (program, rendering
/// when it compiles and renders).
fn mutants() -> Vec<(String, Option<Result<String, String>>)> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("mutant.rhai");
    let mut rng = Rng::new(0x5EED_0F3A);
    let mut cases: Vec<String> = SNIPPETS.iter().map(|s| s.to_string()).collect();
    for seed in 0..400 {
        let text = generate(seed, size_for(seed));
        for _ in 0..4 {
            cases.push(mutate(&text, &mut rng));
        }
        cases.push(text);
    }
    cases
        .into_iter()
        .map(|text| {
            // A panic fails the test with the program in its message.
            let outcome = std::panic::catch_unwind(|| {
                Scenario::compile(path.clone(), text.clone())
                    .ok()
                    .map(|s| s.to_js().map_err(|e| e.report))
            });
            match outcome {
                Ok(rendering) => (text, rendering),
                Err(_) => panic!("rendering panicked on:\n{text}"),
            }
        })
        .collect()
}

/// Rendering never panics, whatever the program.
pub fn rendering_never_panics() {
    let cases = mutants();
    let compiled = cases.iter().filter(|(_, r)| r.is_some()).count();
    let rendered = cases
        .iter()
        .filter(|(_, r)| matches!(r, Some(Ok(_))))
        .count();
    assert!(
        compiled > cases.len() / 3 && rendered > compiled / 2,
        "too few programs exercised the renderer: {compiled} compiled, {rendered} rendered of {}",
        cases.len()
    );
}

/// Whatever renders is JavaScript node compiles.
pub fn every_mutant_that_renders_compiles_in_node() {
    let renderings: Vec<Rendered> = mutants()
        .into_iter()
        .filter_map(|(text, r)| match r {
            Some(Ok(js)) => Some(Rendered {
                origin: format!("this program\n{text}\n--- renders as ---"),
                js,
                esm: false,
            }),
            _ => None,
        })
        .collect();
    let failures = node_check(&renderings);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
