//! Single oracles: what node itself computes or prints, compared with the
//! model's own code (PBKDF2 and gzip bytes, console.log formatting) and the
//! JavaScript rendering run in node.

use workbench::runtime::pool::{Digest, gunzip, gzip, pbkdf2_key};
use workbench::script::render::{RenderError, RenderOptions, render, render_with};
use workbench::script::syntax::parse_only_engine;
use workbench::script::value::inspect::{Inspect, format_args};

fn compile(src: &str) -> rhai::AST {
    parse_only_engine().compile(src).expect("scenario compiles")
}

fn js(src: &str) -> String {
    render(&compile(src)).unwrap_or_else(|e| panic!("render failed: {e}"))
}

fn lesson_js(src: &str, params: &[(&str, &str)]) -> Result<String, RenderError> {
    let options = RenderOptions {
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..RenderOptions::default()
    };
    render_with(&compile(src), &options)
}

/// The lesson of src/script/render/mod.rs's rendering tests.
const LESSON: &str = r#"lesson(#{ title: "The event loop", summary: "Timers after sync code", topic: "event loop", teaches: "timers run after the main script", duration: "8 min" });
let timers = param("timers", #{ default: 2, min: 0, max: 5, help: "how many timers" });
let mode = param("mode", #{ default: "io", choices: ["io", "main"], help: "where to start" });
const delay = param("delay", #{ default: -1.5, help: "unused" });
fn helper(x) { x + 1 }
scenario(|| {
    note("The main script runs first.");
    for i in 0..timers { let j = i; setTimeout(|| console.log(`timer ${j}`), 0); }
    if mode == "main" { console.log("main mode"); }
    console.log(helper(1));
});
expect_output(["2", "timer 0", "timer 1"]);
expect_phase("timer 0", "timers");
question(#{ step: 2, ask: "What prints first?", choices: ["a", "b"], answer: 0, explain: "sync first" });
"#;

fn s(x: &str) -> Inspect {
    Inspect::Str(x.to_string())
}

fn node(script: &str, input: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write;
    let mut child = crate::node()
        .args(["-e", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(input).ok()?;
    let out = child.wait_with_output().ok()?;
    out.status.success().then_some(out.stdout)
}

pub fn pbkdf2_and_gzip_agree_with_node() {
    let Some(hex) = node(
        "const c=require('crypto');for(const d of ['sha1','sha224','sha256','sha384','sha512'])console.log(c.pbkdf2Sync('pässword','salt',777,50,d).toString('hex'))",
        b"",
    ) else {
        panic!("node -e failed");
    };
    let hex = String::from_utf8(hex).expect("utf-8");
    let digests = [
        Digest::Sha1,
        Digest::Sha224,
        Digest::Sha256,
        Digest::Sha384,
        Digest::Sha512,
    ];
    for (line, d) in hex.lines().zip(digests) {
        let key = pbkdf2_key("pässword".as_bytes(), b"salt", 777, 50, d);
        let ours: String = key.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(ours, line, "{d:?}");
    }
    let data: Vec<u8> = (0..100_000u32)
        .map(|i| (i % 251) as u8 ^ (i / 7) as u8)
        .collect();
    // Ours -> node's gunzip.
    let back = node(
        "const z=require('zlib');const b=[];process.stdin.on('data',d=>b.push(d)).on('end',()=>process.stdout.write(z.gunzipSync(Buffer.concat(b))))",
        &gzip(&data),
    )
    .expect("node gunzips our gzip");
    assert_eq!(back, data);
    // Node's gzip -> ours.
    let packed = node(
        "const z=require('zlib');const b=[];process.stdin.on('data',d=>b.push(d)).on('end',()=>process.stdout.write(z.gzipSync(Buffer.concat(b))))",
        &data,
    )
    .expect("node gzips");
    assert_eq!(gunzip(&packed).expect("we gunzip node's gzip"), data);
    assert_eq!(&gzip(b"")[..10], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
}

/// console.log's formatting (`format_args`) against what node prints.
pub fn console_log_formats_as_node_does() {
    let script = r#"
const cases = [
  [[1, 'a', { b: [1, 2, { c: { d: 1 } }] }]],
  [Array.from({ length: 30 }, (_, i) => i + 1)],
  ['%s=%d %j', 'x', '42', { k: [1, null] }],
  [{ s: "it's", n: -0, f: async function foo() {} }],
  [Array.from({ length: 12 }, (_, i) => 'str' + i * 7)],
];
for (const args of cases) {
  console.log(...args);
  console.log('@@SEP@@');
}
"#;
    let output = crate::node()
        .arg("-e")
        .arg(script)
        .output()
        .expect("node runs");
    assert!(output.status.success(), "node -e failed");
    let text = String::from_utf8(output.stdout).expect("utf8");
    // Each case is what console.log wrote, followed by a separator line.
    let expected: Vec<&str> = text
        .split("@@SEP@@\n")
        .filter(|c| !c.is_empty())
        .map(|c| c.strip_suffix('\n').expect("console.log newline"))
        .collect();
    let num = Inspect::Number;
    let obj = |entries: Vec<(&str, Inspect)>| Inspect::Object {
        class: None,
        entries: entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    };
    let ours = [
        format_args(&[Inspect::Array(vec![
            num(1.0),
            s("a"),
            obj(vec![(
                "b",
                Inspect::Array(vec![
                    num(1.0),
                    num(2.0),
                    obj(vec![("c", obj(vec![("d", num(1.0))]))]),
                ]),
            )]),
        ])]),
        format_args(&[Inspect::Array(
            (1..=30).map(|i| num(f64::from(i))).collect(),
        )]),
        format_args(&[
            s("%s=%d %j"),
            s("x"),
            s("42"),
            obj(vec![("k", Inspect::Array(vec![num(1.0), Inspect::Null]))]),
        ]),
        format_args(&[obj(vec![
            ("s", s("it's")),
            ("n", num(-0.0)),
            (
                "f",
                Inspect::Function {
                    name: Some("foo".into()),
                    is_async: true,
                },
            ),
        ])]),
        format_args(&[Inspect::Array(
            (0..12).map(|i| s(&format!("str{}", i * 7))).collect(),
        )]),
    ];
    assert_eq!(expected.len(), ours.len());
    for (want, got) in expected.iter().zip(ours.iter()) {
        assert_eq!(got, want);
    }
}

/// A rendered lesson (parameters as constants) runs in node.
pub fn node_runs_rendered_lesson() {
    let dir = tempfile::tempdir().expect("temp dir");
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        ("default", &[], "2\ntimer 0\ntimer 1\n"),
        (
            "override",
            &[("timers", "3"), ("mode", "\"main\"")],
            "main mode\n2\ntimer 0\ntimer 1\ntimer 2\n",
        ),
    ];
    for (name, params, expected) in cases {
        let code = lesson_js(LESSON, params).expect("the lesson renders");
        // As every rendered scenario runs: in node's sandbox.
        let out = workbench::verify::run_node(&code, dir.path(), name).expect("node runs");
        assert!(out.code == 0, "{name} failed:\n{code}\n{}", out.stderr);
        assert_eq!(out.stdout, *expected, "{name}:\n{code}");
    }
}

/// Rendered scenarios print in node what they are known to print.
pub fn node_runs_rendered_scenarios() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "promise_chain",
            "Promise.resolve(1).then(|v| v + 1).then(|v| { print(v); v * 10 }).then(|v| print(v));\nprint(\"sync\");",
            "sync\n2\n20\n",
        ),
        (
            "closures",
            "let n = 10; let make = |a| { let add = |b| a + b + n; add }; let f = make.call(1); n = 100; print(f.call(2));",
            "103\n",
        ),
        (
            "async_try_catch",
            "let f = async_fn(|| { try { await Promise.reject(\"bad\"); print(\"no\"); } catch (e) { print(`caught ${e}`); } let v = await Promise.resolve(5); v * 2 });\nf.call().then(|v| print(v));",
            "caught bad\n10\n",
        ),
        (
            "thenable",
            "let t = #{ then: |resolve, reject| { print(\"then called\"); resolve.call(7); } };\nPromise.resolve(t).then(|v| print(v));\nprint(\"first\");",
            "first\nthen called\n7\n",
        ),
        (
            "emitter",
            "let e = EventEmitter.create(); e.on(\"x\", |v| print(`on ${v}`)); e.once(\"x\", |v| print(`once ${v}`)); e.emit(\"x\", 1); e.emit(\"x\", 2); print(e.listenerCount(\"x\"));",
            "on 1\nonce 1\non 2\n1\n",
        ),
        (
            "for_loop_and_order",
            "for i in 0..3 { setTimeout(|| print(`t${i}`), 0); }\nfor x in [\"a\", \"b\"] { queueMicrotask(|| print(x)); }\nprocess.nextTick(|| print(\"tick\"));\nsetImmediate(|| print(\"immediate\"));",
            "tick\na\nb\nt0\nt1\nt2\nimmediate\n",
        ),
        (
            "last_expression_return",
            "fn fact(n) { if n <= 1 { 1 } else { n * fact(n - 1) } }\nlet f = |v| { v + 1; };\nlet h = |v| { v + 1 };\nlet g = |v| { let w = v * 2; if w > 5 { \"big\" } else { \"small\" } };\nprint(fact(5)); print(f.call(1)); print(h.call(1)); print(g.call(1)); print(g.call(4));\nlet y = if h.call(0) == 1 { \"one\" } else { \"other\" }; print(y);",
            "120\nundefined\n2\nsmall\nbig\none\n",
        ),
        (
            "fs_and_busy",
            "let start = Date.now(); busy(20); print(Date.now() - start >= 20);\nfs.stat(__filename, |err, st| print(err == ()));",
            "true\ntrue\n",
        ),
    ];
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, src, expected) in cases {
        let code = js(src);
        // As every rendered scenario runs: in node's sandbox.
        let out = workbench::verify::run_node(&code, dir.path(), name).expect("node runs");
        assert!(out.code == 0, "{name} failed:\n{code}\n{}", out.stderr);
        assert_eq!(out.stdout, *expected, "{name}:\n{code}");
    }
}

/// `fs.readFile` of a file over Node's 2 GiB (`kIoMaxLength`) fails with
/// `ERR_FS_FILE_TOO_LARGE` in the callback's first argument, found by fstat
/// before any read: the model prints what node prints. The file is sparse
/// (3 GiB long, no blocks on disk), so neither side reads anything.
pub fn read_file_over_2_gib_agrees_with_node() {
    let dir = tempfile::tempdir().expect("temp dir");
    let big = std::fs::File::create(dir.path().join("big.bin")).expect("create");
    big.set_len(3 << 30).expect("a sparse 3 GiB file");
    let script = dir.path().join("too_large.rhai");
    std::fs::write(
        &script,
        // The second read starts from the first one's callback: two reads
        // in flight at once finish in either order in node (two pool
        // threads race), which made this check flaky under load.
        r#"fs.readFile("big.bin", |err, data| {
  console.log(err);
  console.log(`${err.name} ${err.code} ${data} ${Object.keys(err)}`);
  fs.readFile("big.bin", "utf8", |err, text| console.log(`utf8: ${err.code} ${text}`));
});
setImmediate(|| console.log("immediate"));
"#,
    )
    .expect("write the scenario");
    let verdict = workbench::verify::verify_file_with(&script, None, &Default::default(), &[])
        .expect("both sides run");
    match verdict {
        workbench::verify::Verdict::Agree { .. } => {}
        workbench::verify::Verdict::Disagree(d) => panic!("disagree: {d:?}"),
    }
}
