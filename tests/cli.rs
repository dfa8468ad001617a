//! The command line as a user meets it: outputs, trace formats, exit codes
//! and the messages for bad input.

use std::process::{Command, Output};

/// Runs workbench in this process's environment less `UV_THREADPOOL_SIZE`
/// (a developer's own setting must not change the traces checked here).
fn workbench(args: &[&str]) -> Output {
    workbench_with(args, &[])
}

/// As [`workbench`], with variables added to its environment.
fn workbench_with(args: &[&str], vars: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_workbench"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("UV_THREADPOOL_SIZE")
        .envs(vars.iter().copied())
        .output()
        .expect("the workbench binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn run_prints_exactly_what_the_scenario_logs() {
    let out = workbench(&["run", "examples/event-loop.rhai"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        "main: start\nmain: end\nnextTick: before any promise job\nmicrotask: promise reaction\n\
         check: setImmediate from main\npoll: readFile callback, error = null\n\
         check: immediate from the I/O callback\ntimers: 0ms timer from the I/O callback\n\
         timers: setTimeout 10ms\n"
    );
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn the_text_trace_is_deterministic_and_shows_phases() {
    let a = workbench(&["run", "--trace", "examples/event-loop.rhai"]);
    let b = workbench(&["run", "--trace", "examples/event-loop.rhai"]);
    let trace = text(&a.stderr);
    assert_eq!(
        trace,
        text(&b.stderr),
        "virtual-clock traces must be byte-identical"
    );
    assert!(trace.contains("enter poll phase"));
    assert!(trace.contains("pool: queue task 0 (open)"));
    assert!(trace.contains("note: We are in the poll phase"));
    // seq, time, iteration, phase on every line
    let first = trace.lines().next().unwrap_or_default();
    assert!(first.trim_start().starts_with("0 "), "{first}");
    assert!(first.contains("ms i0"), "{first}");
}

#[test]
fn json_lines_start_with_a_versioned_header() {
    let out = workbench(&[
        "run",
        "--trace",
        "--trace-format",
        "json",
        "examples/event-loop.rhai",
    ]);
    let trace = text(&out.stderr);
    let mut lines = trace.lines();
    let header: serde_json::Value =
        serde_json::from_str(lines.next().unwrap_or_default()).expect("header is JSON");
    assert_eq!(header["format"], "workbench-trace");
    assert_eq!(header["version"], 1);
    let mut count = 0;
    for line in lines {
        let event: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
        assert!(
            event["seq"].is_u64() && event["event"].is_string(),
            "{line}"
        );
        count += 1;
    }
    assert_eq!(header["events"], count);
}

#[test]
fn chrome_trace_needs_a_file_and_is_valid_json() {
    let refused = workbench(&[
        "run",
        "--trace",
        "--trace-format",
        "chrome",
        "examples/event-loop.rhai",
    ]);
    assert_eq!(refused.status.code(), Some(2));
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("trace.json");
    let path_str = path.to_string_lossy().into_owned();
    let out = workbench(&[
        "run",
        "--trace",
        "--trace-format",
        "chrome",
        "--trace-out",
        &path_str,
        "examples/event-loop.rhai",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("written"))
            .expect("valid JSON");
    let events = json["traceEvents"].as_array().expect("traceEvents array");
    assert!(events.iter().any(|e| e["ph"] == "B" && e["name"] == "poll"));
    assert!(
        events
            .iter()
            .any(|e| e["ph"] == "B" && e["tid"].as_u64().is_some_and(|t| t >= 100))
    );
}

#[test]
fn js_renders_what_a_person_would_write() {
    let out = workbench(&["js", "examples/event-loop.rhai"]);
    let js = text(&out.stdout);
    assert!(js.contains("const fs = require('fs');"), "{js}");
    assert!(
        js.contains("setTimeout(() => console.log(\"timers: setTimeout 10ms\"), 10);"),
        "{js}"
    );
    assert!(js.contains("// We are in the poll phase."), "{js}");
}

#[test]
fn js_names_a_construct_it_cannot_render_and_exits_2() {
    let out = workbench(&["js", "tests/fixtures/no_javascript.rhai"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stdout), "");
    let err = text(&out.stderr);
    assert!(
        err.contains("the Rhai built-in `retain` has no JavaScript rendering")
            && err.contains("no_javascript.rhai:2:3")
            && err.contains("a.retain(|v| v > 0);"),
        "{err}"
    );
    // The model runs it.
    let run = workbench(&["run", "tests/fixtures/no_javascript.rhai"]);
    assert_eq!(
        (run.status.code(), text(&run.stdout)),
        (Some(0), "[ 3, 2 ]\n".to_string())
    );
}

#[test]
fn a_parse_error_shows_file_line_column_and_caret() {
    let out = workbench(&["run", "tests/fixtures/bad_parse.rhai"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("bad_parse.rhai:2:14"), "{err}");
    assert!(err.contains("2 | let x = (1 + ;"), "{err}");
    assert!(err.contains('^'), "{err}");
}

#[test]
fn await_outside_an_async_fn_does_not_compile() {
    let out = workbench(&["run", "tests/fixtures/await_outside.rhai"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("await_outside.rhai:1:14"));
}

#[test]
fn an_endless_loop_hits_the_operations_budget() {
    let out = workbench(&[
        "run",
        "--max-ops",
        "200000",
        "tests/fixtures/endless_loop.rhai",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert!(err.contains("operations budget exceeded"), "{err}");
    // The loop itself, not the callback around it.
    assert!(err.contains("endless_loop.rhai:3:18"), "{err}");
    assert!(err.contains("while true { i += 1; }"), "{err}");
}

#[test]
fn a_tick_storm_ends_with_starvation() {
    let out = workbench(&[
        "run",
        "--max-events",
        "20000",
        "tests/fixtures/tick_storm.rhai",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert!(err.contains("Starvation"), "{err}");
    assert!(!text(&out.stdout).contains("never"));
}

#[test]
fn runaway_allocation_hits_a_budget() {
    let out = workbench(&["run", "tests/fixtures/alloc.rhai"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains(".rhai:"));
}

#[test]
fn runaway_recursion_is_an_uncaught_range_error() {
    let out = workbench(&["run", "tests/fixtures/recursion.rhai"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("recursion.rhai:1"), "{err}");
    assert!(
        err.contains("RangeError: Maximum call stack size exceeded"),
        "{err}"
    );
}

#[test]
fn an_unknown_function_is_an_uncaught_reference_error() {
    let out = workbench(&["run", "tests/fixtures/unknown_fn.rhai"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "before\n");
    let err = text(&out.stderr);
    assert!(err.contains("unknown_fn.rhai:2"), "{err}");
    assert!(err.contains("ReferenceError"), "{err}");
}

#[test]
fn a_closure_called_like_a_function_says_how_to_call_it() {
    let out = workbench(&["run", "tests/fixtures/closure_called_plainly.rhai"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "42\n");
    let err = text(&out.stderr);
    assert!(err.contains("closure_called_plainly.rhai:3"), "{err}");
    assert!(
        err.contains("a function kept in a variable is called as add_one.call(...)"),
        "{err}"
    );
}

#[test]
fn paths_outside_the_sandbox_are_enoent() {
    let out = workbench(&["run", "tests/fixtures/sandbox_escape.rhai"]);
    assert_eq!(text(&out.stdout), "ENOENT\nENOENT\n");
}

#[test]
fn the_race_is_marked_and_both_outcomes_can_be_run() {
    let first = workbench(&["run", "--trace", "tests/fixtures/race.rhai"]);
    assert_eq!(text(&first.stdout), "immediate\ntimeout\n");
    assert!(text(&first.stderr).contains("warning: race"));
    let other = workbench(&["run", "--race", "timeout-first", "tests/fixtures/race.rhai"]);
    assert_eq!(text(&other.stdout), "timeout\nimmediate\n");
}

#[test]
fn flags_that_make_no_sense_get_a_usage_error() {
    let out = workbench(&["run", "--clock", "sideways", "examples/event-loop.rhai"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("invalid value 'sideways'"));
    let out = workbench(&["run", "--trace-format", "json", "examples/event-loop.rhai"]);
    assert_eq!(out.status.code(), Some(2), "--trace-format needs --trace");
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let out = workbench(&["run", "no/such/file.rhai"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: no/such/file.rhai: no such file\n"
    );
    // One that exists but cannot be read says why.
    let out = workbench(&["run", "tests"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot read tests"),
        "{}",
        text(&out.stderr)
    );
}

/// Every command that takes files says the same of a missing one, exit 2,
/// before anything else: before looking for node (`WORKBENCH_NODE` names
/// no program here, which would be exit 69), before running anything.
#[test]
fn every_command_reports_a_missing_file_the_same_way_before_looking_for_node() {
    let no_node = [("WORKBENCH_NODE", "/no/such/node")];
    for args in [
        &["verify", "nope.rhai"][..],
        &["verify", "examples/event-loop.rhai", "nope.rhai"],
        &["js", "nope.rhai"],
        &["check", "nope.rhai"],
        &["check", "--no-node", "nope.rhai"],
        &["run", "nope.rhai"],
        &["lesson", "nope.rhai"],
    ] {
        let out = workbench_with(args, &no_node);
        assert_eq!(
            (out.status.code(), text(&out.stderr), text(&out.stdout)),
            (
                Some(2),
                "error: nope.rhai: no such file\n".into(),
                String::new()
            ),
            "{args:?}"
        );
    }
}

/// As [`workbench_with`], in a session of its own with no stdin: without a
/// controlling terminal, a player that opened (where an error is due)
/// fails at once instead of taking over the terminal running the tests.
fn workbench_without_terminal(args: &[&str], vars: &[(&str, &str)]) -> Output {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(env!("CARGO_BIN_EXE_workbench"));
    command
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("UV_THREADPOOL_SIZE")
        .envs(vars.iter().copied())
        .stdin(std::process::Stdio::null());
    // SAFETY: setsid is async-signal-safe and touches no memory of ours.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command.output().expect("the workbench binary runs")
}

const LESSONS_HERE: [(&str, &str); 1] = [("WORKBENCH_LESSONS", "lessons")];

#[test]
fn an_unknown_lesson_parameter_is_an_error_with_a_suggestion_before_the_player_opens() {
    let out = workbench_without_terminal(
        &["lesson", "event-loop", "--param", "chian=3"],
        &LESSONS_HERE,
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(text(&out.stdout), "", "nothing drawn");
    assert!(
        err.starts_with(
            "error: unknown parameter `chian` for lesson event-loop\n\n  \
             tip: a similar parameter exists: 'chain'\n\nallowed parameters:\n  "
        ),
        "{err}"
    );
    assert!(
        err.contains("\n  chain (default 2): an integer in 0..=4; "),
        "{err}"
    );
    // Nothing like it: no tip, the list still.
    let out =
        workbench_without_terminal(&["lesson", "event-loop", "--param", "zzz=1"], &LESSONS_HERE);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("tip:"), "{err}");
    assert!(err.contains("allowed parameters:\n  "), "{err}");
}

#[test]
fn run_reports_an_unknown_parameter_as_the_player_does() {
    let out = workbench(&["run", "lessons/event-loop.rhai", "--param", "chian=3"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(text(&out.stdout), "", "nothing ran");
    assert!(
        err.starts_with(
            "error: unknown parameter `chian` for lesson event-loop\n\n  \
             tip: a similar parameter exists: 'chain'\n\nallowed parameters:\n"
        ),
        "{err}"
    );
    // Two unknown: each tip says which it is for.
    let out = workbench(&[
        "run",
        "lessons/event-loop.rhai",
        "--param",
        "chian=3",
        "--param",
        "pair_form=io",
    ]);
    let err = text(&out.stderr);
    assert!(
        err.starts_with(
            "error: unknown parameters `chian`, `pair_form` for lesson event-loop\n\n  \
             tip: a similar parameter exists: 'chain' (for `chian`)\n  \
             tip: a similar parameter exists: 'pair_from' (for `pair_form`)\n"
        ),
        "{err}"
    );
}

#[test]
fn an_out_of_range_lesson_parameter_is_an_error_before_the_player_opens() {
    let out = workbench_without_terminal(
        &["lesson", "event-loop", "--param", "chain=9"],
        &LESSONS_HERE,
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(text(&out.stdout), "", "nothing drawn");
    assert!(
        err.starts_with("error: --param chain=9: `chain` must be an integer in 0..=4"),
        "{err}"
    );
}

#[test]
fn an_unknown_lesson_suggests_a_similar_one_and_lists_them() {
    let out = workbench_without_terminal(&["lesson", "event-lop"], &LESSONS_HERE);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with(
            "error: no lesson `event-lop`\n\n  tip: a similar lesson exists: 'event-loop'\n\n\
             the lessons (in lessons): "
        ),
        "{err}"
    );
    assert!(
        err.contains("event-loop, ") && err.contains("microtasks"),
        "{err}"
    );
    let out = workbench_without_terminal(&["lesson", "examples/"], &LESSONS_HERE);
    assert_eq!(
        (out.status.code(), text(&out.stderr)),
        (
            Some(2),
            "error: examples/: a folder, not a lesson file (.rhai)\n".into()
        )
    );
    let out = workbench_without_terminal(&["lesson", "qqqq"], &LESSONS_HERE);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("error: no lesson `qqqq`\n\nthe lessons (in lessons): "),
        "{err}"
    );
}

#[test]
fn completions_cover_every_command_and_the_lesson_names() {
    let out = workbench(&["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0));
    let script = text(&out.stdout);
    assert!(script.contains("_workbench()"), "{script}");
    for command in [
        "lesson",
        "present",
        "notes",
        "run",
        "js",
        "verify",
        "lessons",
        "check",
        "new",
        "completions",
        "man",
        "export",
        "book",
    ] {
        assert!(
            script.contains(&format!("workbench__subcmd__{command})")),
            "{command} is completed"
        );
    }
    assert!(script.contains("event-loop"), "lesson names are completed");
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let out = workbench(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        assert!(text(&out.stdout).contains("verify"), "{shell}");
    }
    let out = workbench(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn man_prints_a_roff_page_with_every_command() {
    let out = workbench(&["man"]);
    assert_eq!(out.status.code(), Some(0));
    let page = text(&out.stdout);
    assert!(
        page.lines()
            .take(5)
            .any(|l| l.starts_with(".TH workbench 1")),
        "{page}"
    );
    assert!(page.contains(".SH NAME\nworkbench"), "{page}");
    for command in [
        "workbench run",
        "workbench verify",
        "workbench completions",
        "workbench export",
        "workbench book",
        "workbench present",
        "workbench notes",
    ] {
        assert!(page.contains(command), "{command}: {page}");
    }
}

#[test]
fn an_internal_error_is_reported_as_a_bug_with_exit_70() {
    let out = Command::new(env!("CARGO_BIN_EXE_workbench"))
        .args(["run", "examples/event-loop.rhai"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("WORKBENCH_TEST_PANIC", "1")
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .output()
        .expect("runs");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(70), "{err}");
    assert_eq!(text(&out.stdout), "", "the command never ran");
    for part in [
        "workbench: internal error (a bug in workbench, not in the scenario)\n",
        "Message:  WORKBENCH_TEST_PANIC=1: a deliberate internal error (a test hook)\n",
        "Thread:   scenario\n",
        "Location: src/main.rs:",
        "Please report it",
        "Run with RUST_BACKTRACE=1",
    ] {
        assert!(err.contains(part), "{part:?} in {err}");
    }
    assert!(!err.contains('\x1b'), "no colour into a pipe: {err}");
    assert!(
        !err.contains("BACKTRACE ━"),
        "no backtrace unless asked: {err}"
    );
    // Asked for, the backtrace is there.
    let out = Command::new(env!("CARGO_BIN_EXE_workbench"))
        .args(["lessons"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("WORKBENCH_TEST_PANIC", "1")
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(70));
    assert!(
        text(&out.stderr).contains("BACKTRACE"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_user_error_is_one_line_without_a_backtrace() {
    let out = workbench_with(
        &["run", "no/such/file.rhai"],
        &[("RUST_BACKTRACE", "1"), ("WORKBENCH_TEST_PANIC", "0")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: no/such/file.rhai: no such file\n"
    );
}

/// The pool line of a `--trace` run of the pool fixture.
fn pool_line(out: &Output) -> String {
    text(&out.stderr)
        .lines()
        .find(|l| l.contains("pool: queue task 0"))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn uv_threadpool_size_from_the_environment_sizes_the_pool() {
    let fixture = "tests/fixtures/env/pool_from_env.rhai";
    let unset = workbench(&["run", "--trace", fixture]);
    assert_eq!(
        text(&unset.stdout),
        "UV_THREADPOOL_SIZE is undefined\nshort hash\nshort hash\nlong hash\n"
    );
    assert!(
        pool_line(&unset).ends_with("pool: queue task 0 (pbkdf2)"),
        "{}",
        pool_line(&unset)
    );

    let two = workbench_with(&["run", "--trace", fixture], &[("UV_THREADPOOL_SIZE", "2")]);
    assert!(text(&two.stdout).starts_with("UV_THREADPOOL_SIZE is 2\n"));
    assert!(
        pool_line(&two).ends_with("the pool starts with 2 threads"),
        "{}",
        pool_line(&two)
    );

    // One thread: first in, first out, so the long hash delays the others.
    let one = workbench_with(&["run", fixture], &[("UV_THREADPOOL_SIZE", "1")]);
    assert_eq!(
        text(&one.stdout),
        "UV_THREADPOOL_SIZE is 1\nlong hash\nshort hash\nshort hash\n"
    );
    // libuv's atoi: garbage is 0, which gives one thread.
    let garbage = workbench_with(
        &["run", "--trace", fixture],
        &[("UV_THREADPOOL_SIZE", "lots")],
    );
    assert!(
        pool_line(&garbage).ends_with("the pool starts with 1 thread"),
        "{}",
        pool_line(&garbage)
    );
}

#[test]
fn pool_size_overrides_the_environment() {
    let out = workbench_with(
        &[
            "run",
            "--trace",
            "--pool-size",
            "3",
            "tests/fixtures/env/pool_from_env.rhai",
        ],
        &[("UV_THREADPOOL_SIZE", "1")],
    );
    // As if started with UV_THREADPOOL_SIZE=3: the script sees it too.
    assert!(
        text(&out.stdout).starts_with("UV_THREADPOOL_SIZE is 3\n"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        pool_line(&out).ends_with("the pool starts with 3 threads"),
        "{}",
        pool_line(&out)
    );
}

#[test]
fn process_env_is_the_environment_workbench_started_with() {
    let out = workbench_with(
        &["run", "tests/fixtures/env/reads_env.rhai"],
        &[
            ("WORKBENCH_ENV_TEST", "from the CLI test"),
            ("HOME", "/home/learner"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("from the CLI test\n/home/learner\nundefined\n{\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  WORKBENCH_ENV_TEST: 'from the CLI test',\n"),
        "{stdout}"
    );
}

#[test]
fn arguments_after_the_file_are_the_scripts() {
    let fixture = "tests/fixtures/env/argv.rhai";
    let out = workbench(&["run", fixture, "a", "--trace", "two words", ""]);
    assert_eq!(
        text(&out.stdout),
        "6 true true\n[a]\n[--trace]\n[two words]\n[]\n"
    );
    assert_eq!(
        text(&out.stderr),
        "",
        "--trace after an argument is the script's"
    );
    // Workbench's own options go before the first argument; `--` ends them.
    let out = workbench(&["run", fixture, "--", "--pool-size"]);
    assert_eq!(text(&out.stdout), "3 true true\n[--pool-size]\n");
    let out = workbench(&["run", fixture]);
    assert_eq!(text(&out.stdout), "2 true true\n");
}

#[test]
fn argv_starts_with_workbench_and_the_absolute_script_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("argv0.rhai");
    std::fs::write(
        &script,
        "console.log(process.argv[0]);\nconsole.log(process.argv[1]);\n",
    )
    .expect("write the script");
    let out = Command::new(env!("CARGO_BIN_EXE_workbench"))
        .args(["run", "argv0.rhai"])
        .current_dir(dir.path())
        .output()
        .expect("the workbench binary runs");
    let stdout = text(&out.stdout);
    let mut lines = stdout.lines();
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_workbench"))
        .canonicalize()
        .expect("the binary exists");
    let argv0 = std::path::Path::new(lines.next().unwrap_or_default())
        .canonicalize()
        .expect("argv[0] names a file");
    assert_eq!(argv0, exe);
    let argv1 = lines.next().unwrap_or_default();
    let expected = script.canonicalize().expect("the script exists");
    assert_eq!(std::path::Path::new(argv1), expected);
}

#[test]
fn a_lesson_does_not_see_the_shells_environment() {
    // The lesson expects UV_THREADPOOL_SIZE to be unset: lessons (the
    // player, `check`, the snapshot tests) run in an empty environment.
    let out = workbench_with(
        &["check", "--no-node", "tests/fixtures/env/lesson_env.rhai"],
        &[("UV_THREADPOOL_SIZE", "9")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    // `run` is `node FILE.js`: the same file there sees the variable.
    let out = workbench_with(
        &["run", "tests/fixtures/env/lesson_env.rhai"],
        &[("UV_THREADPOOL_SIZE", "9")],
    );
    assert!(
        text(&out.stdout).starts_with("pool size variable: 9\n"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn module_esm_drains_microtasks_before_ticks() {
    let cjs = workbench(&["run", "tests/fixtures/drain_order.rhai"]);
    assert_eq!(cjs.status.code(), Some(0));
    assert_eq!(text(&cjs.stdout), "nextTick\nqueueMicrotask\nthen\n");
    let esm = workbench(&["run", "--module", "esm", "tests/fixtures/drain_order.rhai"]);
    assert_eq!(esm.status.code(), Some(0));
    assert_eq!(text(&esm.stdout), "queueMicrotask\nthen\nnextTick\n");
    assert_eq!(text(&esm.stderr), "");
    // The trace shows why: the module job runs in the poll phase.
    let traced = workbench(&[
        "run",
        "--module",
        "esm",
        "--trace",
        "tests/fixtures/drain_order.rhai",
    ]);
    let trace = text(&traced.stderr);
    assert!(
        trace.contains("ESM loader reads drain_order.rhai"),
        "{trace}"
    );
    let job = trace
        .lines()
        .find(|l| l.contains("ES module job: evaluate drain_order.rhai"))
        .unwrap_or_default();
    assert!(job.contains(" poll "), "{trace}");
}

#[test]
fn an_unsettled_top_level_await_exits_with_13_and_is_a_compile_error_in_commonjs() {
    let esm = workbench(&[
        "run",
        "--module",
        "esm",
        "tests/fixtures/top_level_await.rhai",
    ]);
    assert_eq!(esm.status.code(), Some(13));
    assert_eq!(text(&esm.stdout), "waiting\n");
    // Node 20 prints nothing about it.
    assert_eq!(text(&esm.stderr), "");
    let cjs = workbench(&["run", "tests/fixtures/top_level_await.rhai"]);
    assert_eq!(cjs.status.code(), Some(2));
    let err = text(&cjs.stderr);
    assert!(err.contains("top_level_await.rhai:2:1"), "{err}");
    assert!(err.contains("--module esm"), "{err}");
    assert_eq!(text(&cjs.stdout), "");
}

#[test]
fn js_module_esm_renders_imports_and_top_level_await() {
    let out = workbench(&[
        "js",
        "--module",
        "esm",
        "tests/scenarios/esm_fs_filename.mjs.rhai",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let js = text(&out.stdout);
    assert!(
        js.starts_with("import { fileURLToPath } from 'url';\nimport fs from 'fs';\n\nconst __filename = fileURLToPath(import.meta.url);\n"),
        "{js}"
    );
    assert!(js.contains("let ok = await new Promise("), "{js}");
    // The file name makes it an ES module without the flag; --module cjs
    // cannot render its top-level await.
    let by_name = workbench(&["js", "tests/scenarios/esm_fs_filename.mjs.rhai"]);
    assert_eq!(text(&by_name.stdout), js);
    let cjs = workbench(&[
        "js",
        "--module",
        "cjs",
        "tests/scenarios/esm_fs_filename.mjs.rhai",
    ]);
    assert_eq!(cjs.status.code(), Some(2));
}

#[test]
fn a_lessons_declared_module_kind_wins_and_a_contradiction_is_an_error() {
    let out = workbench(&["run", "tests/fixtures/esm_lesson.rhai"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "awaited\n");
    let out = workbench(&["run", "--module", "cjs", "tests/fixtures/esm_lesson.rhai"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("declares `module: \"esm\"`"), "{err}");
    assert!(err.contains("esm_lesson.rhai:7"), "{err}");
}

/// Runs workbench with stdout and stderr on pipes that are closed after
/// the first few bytes (`workbench ... 2>&1 | head -3`) and returns its
/// exit code.
fn exit_code_with_closed_pipes(args: &[&str]) -> Option<i32> {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_workbench"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("workbench starts");
    let mut first = [0u8; 16];
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read(&mut first);
    }
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read(&mut first);
    }
    // Both pipes are closed now: every later write fails with EPIPE.
    child.wait().expect("workbench ends").code()
}

#[test]
fn a_closed_pipe_ends_the_run_quietly_as_node_does() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("many.rhai");
    std::fs::write(
        &script,
        "for i in 0..3000 { console.log(`line ${i}`); console.error(`err ${i}`); }\n",
    )
    .expect("write the script");
    let script = script.to_string_lossy().into_owned();
    for args in [
        vec!["run", "--trace", &script],
        vec!["run", "--trace", "--trace-format", "json", &script],
        vec!["run", "--stats", &script],
        vec!["run", &script],
    ] {
        // Not 134 (an abort from a panic while reporting a failed write).
        assert_eq!(exit_code_with_closed_pipes(&args), Some(0), "{args:?}");
    }
}

#[test]
fn a_byte_order_mark_is_skipped_as_node_skips_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("bom.rhai");
    std::fs::write(&script, b"\xef\xbb\xbfconsole.log(\"bom ok\");\n").expect("write");
    let out = workbench(&["run", &script.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "bom ok\n");
}

#[test]
fn a_file_that_is_not_utf8_is_located() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("bad.rhai");
    std::fs::write(&script, b"console.log(\"a\");\nlet x = \"\xff\";\n").expect("write");
    let out = workbench(&["run", &script.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("not UTF-8"), "{err}");
    assert!(err.contains("bad.rhai:2:10"), "{err}");
}

#[test]
fn a_script_larger_than_the_limit_is_refused_without_reading_it_whole() {
    // /dev/zero never ends: only the limit ends the read.
    let out = workbench(&["run", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("larger than a scenario may be"),
        "{}",
        text(&out.stderr)
    );
}

/// A scenario `name` with `source` in a fresh sandbox directory (`sb/`
/// inside the returned temp dir, which also holds what is outside it).
fn sandbox_with(name: &str, source: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let sb = dir.path().join("sb");
    std::fs::create_dir(&sb).expect("sandbox dir");
    let script = sb.join(name);
    std::fs::write(&script, source).expect("write the scenario");
    (dir, script)
}

#[test]
fn writes_through_a_symlink_to_an_outside_folder_are_enoent_as_reads_are() {
    let (dir, script) = sandbox_with(
        "link.rhai",
        r#"fs.writeFile("out/new.txt", "data", |e| {
  console.log(`write new: ${e.code}`);
  fs.readFile("out/new.txt", |e, d| console.log(`read new: ${e.code}`));
  fs.stat("out/new.txt", |e, s| console.log(`stat new: ${e.code}`));
});
fs.writeFile("out/existing.txt", "data", |e| console.log(`write existing: ${e.code}`));
fs.readFile("out/existing.txt", |e, d| console.log(`read existing: ${e.code}`));
fs.writeFile("dangling", "data", |e| console.log(`write dangling: ${e.code}`));
fs.writeFile("inside.txt", "data", |e| {
  fs.readFile("inside.txt", "utf8", |e, d| console.log(`inside: ${e} ${d}`));
});
"#,
    );
    let outside = dir.path().join("outside");
    std::fs::create_dir(&outside).expect("outside dir");
    std::fs::write(outside.join("existing.txt"), "secret").expect("outside file");
    let sb = script.parent().expect("sandbox");
    std::os::unix::fs::symlink(&outside, sb.join("out")).expect("symlink");
    std::os::unix::fs::symlink(outside.join("nothing.txt"), sb.join("dangling")).expect("link");
    let out = workbench(&["run", script.to_str().expect("utf-8 path")]);
    assert_eq!(
        text(&out.stdout),
        "write new: ENOENT\nwrite existing: ENOENT\nread existing: ENOENT\n\
         write dangling: ENOENT\nread new: ENOENT\nstat new: ENOENT\ninside: null data\n",
        "{}",
        text(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn read_file_beyond_the_model_memory_cap_fails_in_the_first_argument_before_reading() {
    // 300 MB: node reads it, the model cannot hold one store over 256 MiB.
    // The file is sparse; fstat finds the size and nothing is read.
    let (_dir, script) = sandbox_with(
        "big.rhai",
        r#"fs.readFile("big.bin", |err, data| {
  console.log(`${err.name}: ${err.message} ${data}`);
});
"#,
    );
    let big = std::fs::File::create(script.with_file_name("big.bin")).expect("create");
    big.set_len(300_000_000).expect("a sparse file");
    let out = workbench(&["run", "--trace", script.to_str().expect("utf-8 path")]);
    assert_eq!(
        text(&out.stdout),
        "RangeError: Array buffer allocation failed undefined\n"
    );
    assert_eq!(out.status.code(), Some(0));
    let trace = text(&out.stderr);
    assert!(trace.contains("(fstat)"), "{trace}");
    assert!(trace.contains("(close)"), "{trace}");
    assert!(!trace.contains("(read)"), "no read after fstat: {trace}");
}

// === drills ===

#[test]
fn drill_export_prints_the_bank_as_json_lines() {
    let out = workbench(&["drill", "export"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines.len() >= 500, "{} items", lines.len());
    let mut kinds = std::collections::BTreeSet::new();
    for line in &lines {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON object a line");
        for field in [
            "id", "kind", "topic", "level", "module", "js", "answer", "choices", "explain", "racy",
            "answers",
        ] {
            assert!(v.get(field).is_some(), "{field} missing: {line}");
        }
        kinds.insert(v["kind"].as_str().unwrap_or_default().to_string());
        assert!(
            matches!(v["module"].as_str(), Some("cjs" | "esm")),
            "{line}"
        );
        if v["racy"] == true {
            assert!(
                v["answers"].as_array().is_some_and(|a| a.len() >= 2),
                "{line}"
            );
        }
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["choice", "output"],
        "both kinds"
    );
}

#[test]
fn drill_rejects_an_unknown_topic_or_level_before_the_terminal() {
    let out = workbench(&["drill", "--topic", "bufers"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("no drill topic `bufers`"), "{err}");
    assert!(err.contains("a similar topic exists: 'buffers'"), "{err}");
    let out = workbench(&["drill", "--level", "9"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("9 is not in 1..=5"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn drill_stats_survive_a_corrupt_and_refuse_a_newer_progress_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().to_str().expect("utf-8 path");
    let file = dir.path().join("drills.json");
    std::fs::write(&file, "{ not json").expect("write");
    let out = workbench_with(&["drill", "stats"], &[("WORKBENCH_DATA_DIR", data)]);
    assert_eq!(out.status.code(), Some(0));
    let err = text(&out.stderr);
    assert!(
        err.contains("is corrupt") && err.contains("kept as"),
        "{err}"
    );
    assert!(text(&out.stdout).contains("topic"), "{}", text(&out.stdout));
    // Looking changes nothing: the corrupt file stays until a save backs it up.
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "{ not json");
    std::fs::write(&file, "{\"version\": 99}").expect("write");
    let out = workbench_with(&["drill", "stats"], &[("WORKBENCH_DATA_DIR", data)]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("newer than this workbench"));
    assert_eq!(
        std::fs::read_to_string(&file).expect("read"),
        "{\"version\": 99}",
        "untouched"
    );
}

#[test]
fn drill_puzzle_is_reproducible_from_its_seed() {
    let a = workbench(&["drill", "puzzle", "--level", "3", "--seed", "42"]);
    let b = workbench(&["drill", "puzzle", "--level", "3", "--seed", "42"]);
    assert_eq!(a.status.code(), Some(0), "{}", text(&a.stderr));
    assert_eq!(a.stdout, b.stdout);
    let out = text(&a.stdout);
    assert!(
        out.contains("// JavaScript:") && out.contains("// prints:"),
        "{out}"
    );
}
