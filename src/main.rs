//! The `workbench` command line.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use workbench::lesson;
use workbench::runtime::clock::ClockMode;
use workbench::script::{self, ModuleKind, RunOptions, Scenario};
use workbench::trace::write;
use workbench::verify::{self, Verdict};

/// A terminal workbench that teaches how Node.js really schedules work.
#[derive(Parser)]
#[command(name = "workbench", version, about)]
struct Cli {
    /// With no command: the lesson picker.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Open a lesson in the player (by name, like `event-loop`, or path).
    Lesson {
        /// Lesson name or .rhai path.
        name: String,
        /// Set a parameter (repeatable): --param chain=3.
        #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
        params: Vec<(String, String)>,
        /// Virtual time (deterministic), or the wall clock with real work on
        /// real threads (the header shows the machine's cores).
        #[arg(long, value_enum, default_value_t = Clock::Virtual)]
        clock: Clock,
    },
    /// Run a scenario like `node FILE.js`: same stdout, stderr and exit code.
    Run(RunArgs),
    /// Print the JavaScript rendering of a scenario.
    Js {
        /// The scenario (.rhai).
        file: PathBuf,
        /// Render CommonJS (`require`) or an ES module (`import`, top-level
        /// `await`); default: the file's own kind (`NAME.mjs.rhai` is esm).
        #[arg(long, value_enum)]
        module: Option<Module>,
    },
    /// Render each scenario to JavaScript, run real node, and compare.
    Verify {
        /// Scenarios (.rhai).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Compare as CommonJS (`node x.js`) or as an ES module (`node
        /// x.mjs`); default: each file's own kind.
        #[arg(long, value_enum)]
        module: Option<Module>,
    },
    /// List the lessons.
    Lessons,
    /// Check lessons: declarations, expectations, parameter extremes, node.
    Check {
        /// Lesson files (default: every lesson in lessons/).
        paths: Vec<PathBuf>,
        /// Skip the comparison with real node.
        #[arg(long)]
        no_node: bool,
    },
    /// Create something new from a template.
    New {
        #[command(subcommand)]
        what: NewWhat,
    },
}

#[derive(Subcommand)]
enum NewWhat {
    /// A lesson file in lessons/, every section filled with an example.
    Lesson {
        /// Lowercase, dashes allowed (`event-loop`).
        name: String,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    /// The scenario (.rhai).
    file: PathBuf,
    /// Arguments for the scenario: `process.argv` after the script's path,
    /// as `node FILE.js ARGS...` (workbench's own options go before FILE).
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ARGS"
    )]
    args: Vec<String>,
    /// Also show the recorded trace (on stderr unless --trace-out is given).
    #[arg(long)]
    trace: bool,
    /// Trace format.
    #[arg(long, value_enum, default_value_t = TraceFormat::Text, requires = "trace")]
    trace_format: TraceFormat,
    /// Write the trace to this file instead of stderr.
    #[arg(long, requires = "trace")]
    trace_out: Option<PathBuf>,
    /// Virtual time (deterministic) or the wall clock with real threads.
    #[arg(long, value_enum, default_value_t = Clock::Virtual)]
    clock: Clock,
    /// Stop after this many trace events (a nextTick storm ends here).
    #[arg(long, default_value_t = workbench::runtime::DEFAULT_MAX_EVENTS as u64, value_parser = clap::value_parser!(u64).range(100..=200_000_000))]
    max_events: u64,
    /// Stop after this many seconds of wall time, under either clock (a
    /// long busy() under the real clock, a worker waiting for ever, a
    /// computation that goes on for minutes).
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    max_wall: f64,
    /// The HMAC blocks (iterations × key blocks) all crypto.pbkdf2 calls of
    /// a thread may ask for: the model computes every key for real.
    #[arg(long, value_name = "BLOCKS", default_value_t = workbench::runtime::pool::MAX_RUN_PBKDF2_BLOCKS)]
    max_work: u64,
    /// The memory the whole process may hold, in MiB (every thread, the
    /// trace, messages between workers): a Buffer past it throws
    /// `RangeError: Array buffer allocation failed`, anything else stops
    /// the run with exit 3.
    #[arg(long, value_name = "MIB", default_value_t = workbench::runtime::memory::DEFAULT_MAX_MEMORY >> 20, value_parser = clap::value_parser!(u64).range(16..=1 << 20))]
    max_memory: u64,
    /// Rhai operations allowed per callback (an endless loop ends here).
    #[arg(long, default_value_t = 50_000_000, value_parser = clap::value_parser!(u64).range(1_000..))]
    max_ops: u64,
    /// How detected setTimeout-vs-setImmediate races resolve.
    #[arg(long, value_enum, default_value_t = Race::ImmediateFirst)]
    race: Race,
    /// Set a lesson parameter (repeatable): --param timers=3.
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    params: Vec<(String, String)>,
    /// Print run statistics on stderr: events, trace bytes per event, time.
    #[arg(long)]
    stats: bool,
    /// Thread-pool size: runs as if started with UV_THREADPOOL_SIZE=N
    /// (replacing the environment's value).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pool_size: Option<u64>,
    /// Run like `node x.js` (cjs) or `node x.mjs` (esm: evaluated inside a
    /// promise job, top-level `await`); default: the file's own kind
    /// (`NAME.mjs.rhai` is esm, a lesson may declare its kind).
    #[arg(long, value_enum)]
    module: Option<Module>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Module {
    /// CommonJS: `node x.js`.
    Cjs,
    /// An ES module: `node x.mjs`.
    Esm,
}

impl Module {
    fn kind(self) -> ModuleKind {
        match self {
            Module::Cjs => ModuleKind::Cjs,
            Module::Esm => ModuleKind::Esm,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum TraceFormat {
    /// One event per line: sequence, time, iteration, phase, event.
    Text,
    /// JSON lines: a header, then one object per event.
    Json,
    /// Chrome Trace Event format (open in Perfetto); needs --trace-out.
    Chrome,
}

#[derive(Clone, Copy, ValueEnum)]
enum Clock {
    Virtual,
    Real,
}

impl Clock {
    fn mode(self) -> ClockMode {
        match self {
            Clock::Virtual => ClockMode::Virtual,
            Clock::Real => ClockMode::Real,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Race {
    /// No millisecond boundary passes: the immediate runs first.
    ImmediateFirst,
    /// A millisecond boundary passes: the timeout runs first.
    TimeoutFirst,
}

/// Writes to stdout, ignoring a closed pipe (`workbench ... | head`).
macro_rules! out {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Writes to stderr, ignoring a closed pipe (`workbench ... 2>&1 | head`):
/// node ends quietly when its output goes nowhere, and so does workbench
/// (`eprintln!` would panic, and a panic while reporting one aborts).
macro_rules! err {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Every command that runs scripts (the player, check, verify) has the
    // default memory budget; `run --max-memory` sets its own.
    workbench::runtime::memory::set_limit(workbench::runtime::memory::DEFAULT_MAX_MEMORY);
    // A panic is a bug in workbench, never the script's fault: say so
    // briefly, without a Rust backtrace.
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        err!("workbench: internal error{place}: {message}");
    }));
    // Rhai's evaluator recurses; give it a deep stack of its own.
    let worker = std::thread::Builder::new()
        .name("scenario".into())
        .stack_size(256 << 20)
        .spawn(move || dispatch(cli));
    match worker.map(|h| h.join()) {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(_)) => {
            err!("workbench: internal error (a panic); please report it with the scenario");
            ExitCode::from(70)
        }
        Err(e) => {
            err!("workbench: cannot start: {e}");
            ExitCode::from(70)
        }
    }
}

fn exit_byte(code: i32) -> u8 {
    (code & 0xff) as u8
}

fn dispatch(cli: Cli) -> u8 {
    let Some(command) = cli.command else {
        return player(workbench::tui::Screen::picker());
    };
    match command {
        Command::Lesson {
            name,
            params,
            clock,
        } => match lesson::resolve(&name) {
            Some(path) => player(workbench::tui::Screen::player(
                path,
                params.into_iter().collect(),
                clock.mode(),
            )),
            None => {
                err!(
                    "error: no lesson `{name}` in {} (see `workbench lessons`)",
                    lesson::lessons_dir().display()
                );
                2
            }
        },
        Command::Run(args) => run(args),
        Command::Js { file, module } => match Scenario::load(&file).and_then(|s| {
            let kind = s.module_kind(module.map(Module::kind), &Default::default())?;
            s.to_js_as(kind)
        }) {
            Ok(js) => {
                let newline = if js.ends_with('\n') { "" } else { "\n" };
                let _ = write!(std::io::stdout().lock(), "{js}{newline}");
                0
            }
            Err(e) => {
                err!("{}", e.report);
                exit_byte(e.exit_code)
            }
        },
        Command::Verify { files, module } => verify_files(&files, module.map(Module::kind)),
        Command::Lessons => list_lessons(),
        Command::Check { paths, no_node } => check_lessons(&paths, !no_node),
        Command::New {
            what: NewWhat::Lesson { name },
        } => match lesson::scaffold::new_lesson(&lesson::lessons_dir(), &name) {
            Ok(path) => {
                out!(
                    "created {}\nnext: edit it, then run `workbench check {}`",
                    path.display(),
                    path.display()
                );
                0
            }
            Err(e) => {
                err!("error: {e}");
                2
            }
        },
    }
}

fn player(screen: workbench::tui::Screen) -> u8 {
    match workbench::tui::run(screen) {
        Ok(workbench::tui::Ended::Quit) => 0,
        // The terminal is restored; exit as the signal's default would.
        Ok(workbench::tui::Ended::Signal(sig)) => exit_byte(128 + sig),
        Err(e) => {
            err!("workbench: {e}");
            1
        }
    }
}

fn parse_param(text: &str) -> Result<(String, String), String> {
    lesson::check::parse_param(text)
}

fn list_lessons() -> u8 {
    let dir = lesson::lessons_dir();
    let listings = lesson::list(&dir);
    if listings.is_empty() {
        err!("no lessons in {}", dir.display());
        return 1;
    }
    out!(
        "{:<16} {:<44} {:<14} {:<8} {}",
        "LESSON",
        "TITLE",
        "TOPIC",
        "TIME",
        "PROGRESS"
    );
    for l in listings {
        match l.broken {
            None => out!(
                "{:<16} {:<44} {:<14} {:<8} {}",
                l.name,
                l.title,
                l.topic,
                l.duration,
                "-"
            ),
            Some(reason) => out!("{:<16} BROKEN: {reason}", l.name),
        }
    }
    0
}

fn check_lessons(paths: &[PathBuf], node: bool) -> u8 {
    if node && !verify::node_available() {
        err!(
            "workbench check: cannot run `{}` to verify lessons; install Node.js v20, set WORKBENCH_NODE, or pass --no-node",
            verify::node_command()
        );
        return 69;
    }
    let files = if paths.is_empty() {
        lesson::discover(&lesson::lessons_dir())
    } else {
        paths.to_vec()
    };
    let mut failed = 0;
    for file in &files {
        let report = lesson::check::check(file, node);
        if report.ok() {
            out!(
                "ok    {:<16} {} run(s), {} verified against node",
                report.name,
                report.runs,
                report.verified
            );
        } else {
            failed += 1;
            out!("FAIL  {}", report.name);
            for p in &report.problems {
                for line in p.lines() {
                    out!("      {line}");
                }
            }
        }
    }
    out!("{} lesson(s) ok, {failed} failed", files.len() - failed);
    if failed > 0 { 1 } else { 0 }
}

fn run(args: RunArgs) -> u8 {
    if matches!(args.trace_format, TraceFormat::Chrome) && args.trace_out.is_none() {
        err!("error: --trace-format chrome needs --trace-out FILE");
        return 2;
    }
    let scenario = match Scenario::load(&args.file) {
        Ok(s) => s,
        Err(e) => {
            err!("{}", e.report);
            return exit_byte(e.exit_code);
        }
    };
    let mut options = RunOptions::default();
    options.runtime.clock = args.clock.mode();
    options.runtime.max_events = args.max_events as usize;
    options.runtime.max_work_blocks = args.max_work;
    workbench::runtime::memory::set_limit(args.max_memory << 20);
    options.runtime.max_wall = match std::time::Duration::try_from_secs_f64(args.max_wall) {
        Ok(d) if !d.is_zero() => d,
        _ => {
            err!(
                "error: --max-wall: {} is not a positive number of seconds",
                args.max_wall
            );
            return 2;
        }
    };
    // `process.env` is the environment workbench was started with, as node's
    // is; `--pool-size` replaces UV_THREADPOOL_SIZE in it.
    options.runtime.env = workbench::runtime::env::Env::inherited();
    if let Some(n) = args.pool_size {
        options
            .runtime
            .env
            .set(workbench::runtime::pool::ENV_VAR, &n.to_string());
    }
    options.runtime.args = args.args.clone();
    options.runtime.race_timeout_first = match args.race {
        Race::ImmediateFirst => 0,
        Race::TimeoutFirst => u64::MAX,
    };
    options.limits.max_operations = args.max_ops;
    options.params = args.params.iter().cloned().collect();
    options.module = args.module.map(Module::kind);
    if !options.params.is_empty() {
        // A silent run first: unknown parameters are an error before any output.
        let probe = script::run(&scenario, &options);
        let decl = &probe.declarations;
        if let Some(f) = &probe.outcome.fatal
            && f.exit_code == script::EXIT_COMPILE
        {
            err!("{}", f.message);
            return 2;
        }
        if !decl.unknown_overrides.is_empty() {
            err!(
                "error: unknown parameter(s): {}\nallowed:\n{}",
                decl.unknown_overrides.join(", "),
                lesson::check::describe_params(decl)
            );
            return 2;
        }
    }
    options.runtime.live_console = true;
    let started = std::time::Instant::now();
    let result = script::run(&scenario, &options);
    if args.stats {
        let trace = &result.trace;
        let events = trace.events.len().max(1);
        err!(
            "workbench: {} events, {} callbacks, {:.1} trace bytes/event (text aside: {} bytes), {:.3} s, peak memory {:.1} MiB",
            trace.events.len(),
            trace.callbacks.len(),
            trace.structural_bytes() as f64 / events as f64,
            trace.strings.text_bytes(),
            started.elapsed().as_secs_f64(),
            workbench::runtime::memory::peak() as f64 / (1u64 << 20) as f64
        );
    }
    if args.trace {
        for race in &result.trace.races {
            err!(
                "workbench: warning: race at event {}: {} (this run: {} first; see --race)",
                race.seq,
                race.kind.describe(),
                if race.timeout_first {
                    "timeout"
                } else {
                    "immediate"
                }
            );
        }
        let written = match &args.trace_out {
            Some(path) => std::fs::File::create(path).and_then(|f| {
                let mut w = std::io::BufWriter::new(f);
                write_trace(&result.trace, args.trace_format, &mut w)?;
                w.flush()
            }),
            // Buffered: a write per event is ten times slower.
            None => {
                let mut w = std::io::BufWriter::with_capacity(1 << 16, std::io::stderr().lock());
                write_trace(&result.trace, args.trace_format, &mut w).and_then(|()| w.flush())
            }
        };
        match written {
            // Nobody reads any more (`2>&1 | head`): end quietly, as node does.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            Err(e) => {
                err!("workbench: cannot write the trace: {e}");
                return 74;
            }
            Ok(()) => {}
        }
    }
    exit_byte(result.outcome.exit_code)
}

fn write_trace(
    trace: &workbench::trace::Trace,
    format: TraceFormat,
    out: &mut impl Write,
) -> std::io::Result<()> {
    match format {
        TraceFormat::Text => write::write_text(trace, out),
        TraceFormat::Json => write::write_json_lines(trace, out),
        TraceFormat::Chrome => write::write_chrome(trace, out),
    }
}

fn verify_files(files: &[PathBuf], module: Option<ModuleKind>) -> u8 {
    if !verify::node_available() {
        err!(
            "workbench verify: cannot run `{}`; install Node.js v20 or set WORKBENCH_NODE",
            verify::node_command()
        );
        return 69;
    }
    let mut failed = 0;
    for file in files {
        match verify::verify_file_as(file, module) {
            Ok(Verdict::Agree { variants }) => {
                if variants > 1 {
                    out!(
                        "agree     {} (racy: matched one of {variants} outcomes)",
                        file.display()
                    );
                } else {
                    out!("agree     {}", file.display());
                }
            }
            Ok(Verdict::Disagree(d)) => {
                failed += 1;
                out!("DISAGREE  {}\n{d}", file.display());
            }
            Err(e) => {
                failed += 1;
                out!("ERROR     {}\n{e}", file.display());
            }
        }
    }
    out!("{} agree, {failed} disagree", files.len() - failed);
    if failed > 0 { 1 } else { 0 }
}
