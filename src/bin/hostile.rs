//! Hostile-program hunt: nothing a script does may hang, abort or escape.
//!
//! `hostile [COUNT] [START_SEED]` takes the project's own scripts (the
//! lessons, `tests/scenarios/`, `tests/hostile/`), mutates each seed's
//! pick (numbers and strings swapped for hostile values, lines deleted,
//! duplicated or swapped, hostile statements inserted) and runs it with
//! the `workbench` binary next to this one, under the virtual clock and
//! under the real clock (`--max-wall 5`, `--max-events 1000000`: budgets
//! are hit sooner, the hunt is for what gets past them), in a scratch
//! directory, each run under a wall-clock limit. It counts outcomes by exit code and fails (exit 1) on
//! a panic, an abort or a kill by signal, a run over the limit, a budget
//! message without a location, or a file written in the canary directory
//! the mutations aim at. Each failure's program is kept in
//! `target/hostile/` for replay.
//!
//! Environment: `HOSTILE_THREADS` (default 2), `HOSTILE_LIMIT_SECS`
//! (default 30), `WORKBENCH_BIN` (default: `workbench` next to this binary).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Numbers that have broken models before: overflow points, the extremes
/// of timers and sizes, non-numbers.
const HOSTILE_NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1e16",
    "1e300",
    "-1e300",
    "2147483647",
    "2147483648",
    "4294967296",
    "9007199254740993",
    "NaN",
    "Infinity",
    "0.5",
    "1e-9",
    "65536",
    "536870912",
];

/// Strings: empty, long, paths that try to leave the sandbox, odd bytes.
/// `CANARY` is replaced with the canary directory.
const HOSTILE_STRINGS: &[&str] = &[
    "\"\"",
    "\"../../../../CANARY/escape\"",
    "\"CANARY/absolute\"",
    "\"\\u0000\"",
    "\"🙂🙂🙂\"",
    "\"hex\"",
    "\"base64\"",
    "\"sha512\"",
    "\"SIGKILL\"",
    "\"error\"",
];

/// Whole statements a mutation inserts.
const HOSTILE_STATEMENTS: &[&str] = &[
    "let f__ = || process.nextTick(f__); f__.call();",
    "let g__ = |v| Promise.resolve(v).then(g__); g__.call(1);",
    "setInterval(|| 1, 0);",
    "setInterval(|| 1, 2147483647);",
    "busy(1e16);",
    "while true {}",
    "Buffer.alloc(1e9);",
    "Buffer.allocUnsafe(-1);",
    "let s__ = \"ab\"; for i__ in 0..40 { s__ += s__; }",
    "fn r__(n) { r__(n + 1) } r__(0);",
    "let q__ = |n| q__.call(n + 1); q__.call(0);",
    "fs.writeFile(\"CANARY/written\", \"x\", |e| 1);",
    "fs.writeFile(\"../../../../CANARY/up\", \"x\", |e| 1);",
    "fs.readFile(\"/dev/zero\", |e, d| 1);",
    "zlib.gunzip(Buffer.alloc(64), |e, r| console.log(e));",
    "crypto.pbkdf2(\"p\", \"s\", 2147483647, 64, \"sha512\", |e, k| 1);",
    "for i__ in 0..100 { crypto.pbkdf2(\"p\", \"s\", 1000000, 32, \"sha256\", |e, k| 1); }",
    "dns.lookup(\"\", |e, a, f| console.log(e, a, f));",
    "process.exit(300);",
    "process.kill(process.pid, \"SIGTERM\");",
    "let w__ = worker_threads.Worker.create(\"nope\");",
    "setTimeout(|| { throw Error.create(\"boom\"); }, 1);",
    "Promise.reject(1);",
    "let e__ = EventEmitter.create(); e__.on(\"x\", || e__.emit(\"x\")); e__.emit(\"x\");",
    "let a__ = []; for i__ in 0..100000000 { a__.push(i__); }",
    "let l__ = EventEmitter.create(); loop { l__.on(\"t\", || 1); }",
    "let k__ = []; for i__ in 0..100 { k__.push(Buffer.alloc(100 * 1024 * 1024)); }",
    "fn h__() { let b = Buffer.alloc(200 * 1024 * 1024); for i in 0..50 { worker_threads.parentPort.postMessage(b); } } for i__ in 0..8 { worker_threads.Worker.create(\"h__\"); }",
    "let p__ = stream.Readable.create(#{ read: |n| { this.push(\"x\"); } }); p__.on(\"data\", |c| 1);",
];

/// A small, seeded generator (SplitMix64): reproducible mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Byte ranges of the number and string literals of a script (outside
/// comments): what a literal mutation may replace.
/// A literal's byte range in a script.
type Span = (usize, usize);

fn literals(text: &str) -> (Vec<Span>, Vec<Span>) {
    let b = text.as_bytes();
    let (mut numbers, mut strings) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if i < b.len() && b[i] == b'"' {
                    strings.push((start, i + 1));
                }
                i += 1;
            }
            c if c.is_ascii_digit() && (i == 0 || !is_word(b[i - 1])) => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_')
                {
                    i += 1;
                }
                // `0..3`: the range's dots are not the number's.
                let mut end = i;
                if let Some(dots) = text[start..end].find("..") {
                    end = start + dots;
                    i = end;
                }
                numbers.push((start, end));
            }
            _ => i += 1,
        }
    }
    (numbers, strings)
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// One to three mutations of `text`.
fn mutate(text: &str, rng: &mut Rng, canary: &str) -> String {
    let mut text = text.to_string();
    for _ in 0..1 + rng.below(3) {
        let (numbers, strings) = literals(&text);
        match rng.below(6) {
            0 if !numbers.is_empty() => {
                let (s, e) = numbers[rng.below(numbers.len())];
                text.replace_range(s..e, rng.pick(HOSTILE_NUMBERS));
            }
            1 if !strings.is_empty() => {
                let (s, e) = strings[rng.below(strings.len())];
                text.replace_range(s..e, &rng.pick(HOSTILE_STRINGS).replace("CANARY", canary));
            }
            2 | 3 => {
                let mut lines: Vec<String> = text.lines().map(String::from).collect();
                let at = rng.below(lines.len() + 1);
                let statement = rng.pick(HOSTILE_STATEMENTS).replace("CANARY", canary);
                lines.insert(at, statement);
                text = lines.join("\n");
            }
            _ => {
                let mut lines: Vec<String> = text.lines().map(String::from).collect();
                if lines.len() < 2 {
                    continue;
                }
                let (a, b) = (rng.below(lines.len()), rng.below(lines.len()));
                match rng.below(3) {
                    0 => {
                        lines.remove(a);
                    }
                    1 => {
                        let l = lines[a].clone();
                        lines.insert(b, l);
                    }
                    _ => lines.swap(a, b),
                }
                text = lines.join("\n");
            }
        }
    }
    text
}

/// How one run ended.
enum Ended {
    Code(i32),
    Signal,
    Panic,
    OverLimit,
    Unlocated,
    Escaped,
}

impl Ended {
    fn label(&self) -> String {
        match self {
            Ended::Code(c) => format!("exit {c}"),
            Ended::Signal => "KILLED BY SIGNAL (abort?)".into(),
            Ended::Panic => "PANIC".into(),
            Ended::OverLimit => "OVER THE TIME LIMIT".into(),
            Ended::Unlocated => "BUDGET WITHOUT LOCATION".into(),
            Ended::Escaped => "WROTE OUTSIDE THE SANDBOX".into(),
        }
    }
    fn is_failure(&self) -> bool {
        !matches!(self, Ended::Code(_))
    }
}

fn run_one(bin: &Path, dir: &Path, file: &str, clock: &str, limit: Duration) -> Ended {
    let Ok(mut child) = Command::new(bin)
        .args([
            "run",
            "--clock",
            clock,
            "--max-wall",
            "5",
            "--max-events",
            "1000000",
            file,
        ])
        .current_dir(dir)
        .env_clear()
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
    else {
        return Ended::Signal;
    };
    // stderr is read on a thread so a chatty run cannot block on a full pipe.
    let mut stderr_pipe = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        if let Some(p) = stderr_pipe.as_mut() {
            let _ = std::io::Read::read_to_end(p, &mut s);
        }
        String::from_utf8_lossy(&s).into_owned()
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => break None,
        }
    };
    let stderr = reader.join().unwrap_or_default();
    let Some(status) = status else {
        return Ended::OverLimit;
    };
    if stderr.contains("panicked") {
        return Ended::Panic;
    }
    match status.code() {
        None => Ended::Signal,
        Some(101) | Some(134) => Ended::Panic,
        // A budget's report starts with `workbench:` (`process.exit(3)` is
        // also exit 3, without one).
        Some(3)
            if stderr.contains("workbench: ")
                && !stderr.contains("-->")
                && !stderr.contains("every thread is waiting") =>
        {
            // A budget the loop hit between callbacks (events, the clock's
            // horizon, the wall) has no single call to name.
            if (stderr.contains("event budget exceeded")
                || stderr.contains("virtual clock reached its limit")
                || stderr.contains("wall-clock budget exceeded")
                || stderr.contains("memory budget exceeded"))
                && stderr.contains(" phase of loop iteration ")
            {
                Ended::Code(3)
            } else {
                Ended::Unlocated
            }
        }
        Some(c) => Ended::Code(c),
    }
}

fn sources(root: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for dir in ["lessons", "tests/scenarios", "tests/hostile"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            if let (Some(name), Ok(text)) = (name, std::fs::read_to_string(&p))
                && name.ends_with(".rhai")
            {
                out.push((name, text));
            }
        }
    }
    out
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let count: u64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(200);
    let start: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1);
    let threads: usize = std::env::var("HOSTILE_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    let limit = Duration::from_secs(
        std::env::var("HOSTILE_LIMIT_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(30),
    );
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bin = std::env::var_os("WORKBENCH_BIN")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::current_exe()
                .ok()
                .and_then(|e| e.parent().map(|d| d.join("workbench")))
        })
        .unwrap_or_else(|| PathBuf::from("workbench"));
    let corpus = sources(&root);
    if corpus.is_empty() {
        eprintln!("hostile: no scripts found under {}", root.display());
        return ExitCode::from(2);
    }
    let scratch = std::env::temp_dir().join(format!("hostile-{}", std::process::id()));
    let canary = scratch.join("canary");
    let kept = root.join("target/hostile");
    let _ = std::fs::create_dir_all(&canary);
    let _ = std::fs::create_dir_all(&kept);
    let canary_text = canary.to_string_lossy().into_owned();

    let next = AtomicU64::new(start);
    let tally: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());
    let failures = AtomicU64::new(0);
    let done = AtomicU64::new(0);
    let began = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads.max(1) {
            let (next, tally, failures, done) = (&next, &tally, &failures, &done);
            let (corpus, bin, canary, canary_text, kept, scratch) =
                (&corpus, &bin, &canary, &canary_text, &kept, &scratch);
            s.spawn(move || {
                let dir = scratch.join(format!("t{t}"));
                let _ = std::fs::create_dir_all(&dir);
                loop {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed >= start + count {
                        break;
                    }
                    let mut rng = Rng(seed);
                    let (name, text) = &corpus[rng.below(corpus.len())];
                    let program = mutate(text, &mut rng, canary_text);
                    let file = if name.ends_with(".mjs.rhai") {
                        "prog.mjs.rhai"
                    } else {
                        "prog.rhai"
                    };
                    let _ = std::fs::write(dir.join(file), &program);
                    for clock in ["virtual", "real"] {
                        let mut ended = run_one(bin, &dir, file, clock, limit);
                        let escaped = std::fs::read_dir(canary)
                            .map(|mut d| d.next().is_some())
                            .unwrap_or(false);
                        if escaped {
                            ended = Ended::Escaped;
                            let _ = std::fs::remove_dir_all(canary);
                            let _ = std::fs::create_dir_all(canary);
                        }
                        let key = format!("{clock:7} {}", ended.label());
                        *tally
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .entry(key)
                            .or_default() += 1;
                        if ended.is_failure() {
                            failures.fetch_add(1, Ordering::Relaxed);
                            let keep = kept.join(format!("seed{seed}-{clock}-from-{name}"));
                            let _ = std::fs::write(&keep, &program);
                            println!(
                                "{}: {} (seed {seed}, from {name})",
                                keep.display(),
                                ended.label()
                            );
                        }
                    }
                    let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if n.is_multiple_of(100) {
                        eprintln!(
                            "[{:7.1}s] {n}/{count} programs",
                            began.elapsed().as_secs_f64()
                        );
                    }
                }
            });
        }
    });
    let _ = std::fs::remove_dir_all(&scratch);
    eprintln!(
        "hostile: {count} programs (seeds {start}..{}), each under both clocks, in {:.0} s:",
        start + count - 1,
        began.elapsed().as_secs_f64()
    );
    for (outcome, n) in tally.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        eprintln!("  {outcome:40} {n}");
    }
    if failures.load(Ordering::Relaxed) > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
