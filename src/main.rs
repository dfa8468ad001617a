//! The `workbench` command line.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

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
        /// Presenter mode: for a room (large type, one panel, a clicker's
        /// keys, class questions); `workbench notes` follows it.
        #[arg(long, conflicts_with = "clock")]
        present: bool,
        /// With --present: the speaker notes' session (`workbench notes
        /// --session NAME` follows it); two presentations at once need two.
        #[arg(long, value_name = "NAME", requires = "present", default_value = workbench::tui::speaker::DEFAULT_SESSION)]
        session: String,
    },
    /// Present lessons to a room, one after another (presenter mode).
    ///
    /// DECK is a deck file, one lesson a line (`event-loop`, or
    /// `thread-pool pool=2` with knobs, or a path to a .rhai relative to
    /// the deck; `#` starts a comment), or the lessons' names on the
    /// command line. PageDown/PageUp or the arrows step the narration,
    /// `a` reveals a question's answer, `b` or `.` blanks the screen, Home
    /// restarts the lesson, Tab shows another panel, `?` lists the keys.
    Present {
        /// A deck file, or lesson names (or .rhai paths).
        #[arg(required = true, value_name = "DECK|LESSON")]
        deck: Vec<String>,
        /// The speaker notes' session (`workbench notes --session NAME`).
        #[arg(long, value_name = "NAME", default_value = workbench::tui::speaker::DEFAULT_SESSION)]
        session: String,
    },
    /// Speaker notes: follow a presentation running in another terminal.
    ///
    /// Shows the narration on the room's screen, the next step's, the
    /// open question with its answer, and the run's output; it follows
    /// every step and ends when the presentation ends.
    Notes {
        /// The presentation's session (its --session).
        #[arg(long, value_name = "NAME", default_value = workbench::tui::speaker::DEFAULT_SESSION)]
        session: String,
        /// Print the notes once and exit, rather than follow.
        #[arg(long)]
        once: bool,
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
    /// Interview drills: predict the output, concept questions and myths,
    /// every answer verified on node, with spaced repetition.
    ///
    /// With no subcommand: the drill screen (due items first, then new
    /// ones). `--interview` gives a timed set and a report.
    Drill(DrillArgs),
    /// Print a shell completion script.
    ///
    /// For bash: `workbench completions bash >
    /// ~/.local/share/bash-completion/completions/workbench`. In bash and
    /// zsh, `workbench lesson <TAB>` offers the lessons there were when the
    /// script was printed.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Record a lesson played step by step (asciicast v2), or one frame of
    /// the player as an SVG.
    ///
    /// `--format asciicast` plays the lesson as the `n` key does: each
    /// narration step (with a marker), each question asked and answered,
    /// the summary; play it with `asciinema play FILE.cast`. `--format svg`
    /// draws the player at narration step `--step K` (default: the step of
    /// the lesson's first question). Both are deterministic: the same
    /// bytes on every run.
    Export {
        /// Lesson name or .rhai path.
        name: String,
        /// What to write.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// The file to write (`-`: standard output).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The narration step (1-based) an SVG shows.
        #[arg(long, value_name = "K")]
        step: Option<usize>,
        /// Columns of the frames (at least 80).
        #[arg(long, default_value_t = workbench::tui::export::DEFAULT_WIDTH)]
        width: u16,
        /// Rows of the frames (at least 24).
        #[arg(long, default_value_t = workbench::tui::export::DEFAULT_HEIGHT)]
        height: u16,
        /// Set a parameter (repeatable): --param chain=3.
        #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
        params: Vec<(String, String)>,
    },
    /// Generate the book's lesson chapters (book/src/lessons/) from the
    /// lessons.
    ///
    /// A chapter per lesson, in course order: what it teaches, the program
    /// in JavaScript and in Rhai, the expected output, the narration, the
    /// questions, the knobs, a frame of the player; the table of contents
    /// (book/src/SUMMARY.md) lists them. `--check` writes nothing and
    /// fails when a page is out of date.
    Book {
        /// The book's folder.
        #[arg(long, default_value = "book")]
        dir: PathBuf,
        /// Only report the pages that differ from what would be generated
        /// (exit 1 when any does).
        #[arg(long)]
        check: bool,
    },
    /// Print the manual page (roff, for man).
    ///
    /// Install it with `workbench man > ~/.local/share/man/man1/workbench.1`;
    /// the one page documents every command.
    Man,
    /// A process forked by a scenario under `--clock real` (internal).
    #[command(name = "__process", hide = true)]
    Process,
}

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
struct DrillArgs {
    #[command(subcommand)]
    action: Option<DrillAction>,
    /// The session's seed: the same seed picks the same items in the same
    /// order, with the same shuffled pools (default: from the clock).
    #[arg(long)]
    seed: Option<u64>,
    /// Only items on this topic (`workbench drill stats` lists them).
    #[arg(long)]
    topic: Option<String>,
    /// Only items of this level: 1 (one idea) to 5 (everything, nested).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
    level: Option<u8>,
    /// A timed set mixed across topics and levels, then a report: score per
    /// topic, time per item, the items to review.
    #[arg(long)]
    interview: bool,
    /// Items in an interview set.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=100))]
    items: u64,
    /// Minutes an interview set allows.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=600))]
    minutes: u64,
}

#[derive(Subcommand)]
enum DrillAction {
    /// Print the bank as JSON lines, one item a line.
    Export,
    /// Print your drill progress: per topic, streaks, items due.
    Stats,
    /// Print the generated puzzle of a level and seed: the first program
    /// from that seed on that the filters keep, its JavaScript and the
    /// model's answer (the bank's puzzles are these, checked on node).
    Puzzle {
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
        level: u8,
        #[arg(long)]
        seed: u64,
    },
    /// Regenerate drills/generated.jsonl: generated puzzles whose answers
    /// node gives (needs node; for the bank's maintainers).
    Build {
        /// Puzzles per level.
        #[arg(long, default_value_t = 100)]
        per_level: usize,
        /// Candidates checked on node at once.
        #[arg(long, default_value_t = 2)]
        threads: usize,
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
    /// Keep no trace (events still count against --max-events): what the
    /// instrumentation costs, measured by running with and without it.
    #[arg(long, conflicts_with_all = ["trace", "stats"])]
    no_record: bool,
    /// Thread-pool size: runs as if started with UV_THREADPOOL_SIZE=N
    /// (replacing the environment's value).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pool_size: Option<u64>,
    /// Cores of the virtual machine (`os.availableParallelism()`): the CPU
    /// that cluster workers, forked processes and worker threads share
    /// under the virtual clock (default 4; the real clock has the
    /// machine's).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=64))]
    cores: Option<u64>,
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

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ExportFormat {
    /// An asciicast v2 recording (asciinema play, agg).
    Asciicast,
    /// One frame of the player as an SVG image.
    Svg,
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
    // First, before the player opens the terminal: ratatui's own hook
    // (installed by `ratatui::try_init`) restores the terminal and then
    // calls this one, so the report lands on the normal screen.
    install_internal_error_report();
    let cli = Cli::parse();
    // Every command that runs scripts (the player, check, verify) has the
    // default memory budget; `run --max-memory` sets its own.
    workbench::runtime::memory::set_limit(workbench::runtime::memory::DEFAULT_MAX_MEMORY);
    // Rhai's evaluator recurses; give it a deep stack of its own.
    let worker = std::thread::Builder::new()
        .name("scenario".into())
        .stack_size(256 << 20)
        .spawn(move || dispatch(cli));
    match worker.map(|h| h.join()) {
        Ok(Ok(code)) => ExitCode::from(code),
        // The panic hook has printed the report.
        Ok(Err(_)) => ExitCode::from(70),
        Err(e) => {
            err!("workbench: cannot start: {e}");
            ExitCode::from(70)
        }
    }
}

/// A test hook: `WORKBENCH_TEST_PANIC=1` makes the command panic as a bug
/// in workbench would, so that tests/cli.rs can check the internal-error
/// report and exit code 70 (nothing else triggers a bug on purpose).
const TEST_PANIC_VAR: &str = "WORKBENCH_TEST_PANIC";

/// The report of a panic, which is always a bug in workbench (a scenario's
/// errors are JavaScript errors or `error: ...` lines with their own exit
/// codes): color-eyre's, with the message, the location and thread, a
/// please-report note, and how to get a backtrace (`RUST_BACKTRACE=1`
/// prints it). In colour on a terminal unless `NO_COLOR` is set. The
/// process then exits with 70 (`main`, or the worker's exit code for a
/// panic in a worker thread).
fn install_internal_error_report() {
    use std::io::IsTerminal;

    struct Message;
    impl color_eyre::section::PanicMessage for Message {
        fn display(
            &self,
            info: &std::panic::PanicHookInfo<'_>,
            f: &mut std::fmt::Formatter<'_>,
        ) -> std::fmt::Result {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("(no message)");
            writeln!(
                f,
                "workbench: internal error (a bug in workbench, not in the scenario)"
            )?;
            writeln!(f, "Message:  {message}")?;
            if let Some(thread) = std::thread::current().name() {
                writeln!(f, "Thread:   {thread}")?;
            }
            match info.location() {
                Some(l) => write!(f, "Location: {}:{}", l.file(), l.line()),
                None => write!(f, "Location: unknown"),
            }
        }
    }

    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let theme = if colour {
        color_eyre::config::Theme::dark()
    } else {
        color_eyre::config::Theme::new()
    };
    let (hook, _) = color_eyre::config::HookBuilder::new()
        .theme(theme)
        // A backtrace starts at the code that panicked and ends where the
        // thread began: std's frames around them name their crates with a
        // hash (`core[c1f1..]::panicking`), which color-eyre's own filters
        // do not recognize.
        .add_frame_filter(Box::new(|frames| {
            let name = |f: &color_eyre::config::Frame| f.name.clone().unwrap_or_default();
            if let Some(end) = frames.iter().rposition(|f| {
                let n = name(f);
                n.contains("rust_begin_unwind") || n.contains("::panicking::panic_fmt")
            }) {
                frames.drain(..=end);
            }
            if let Some(start) = frames
                .iter()
                .position(|f| name(f).contains("__rust_begin_short_backtrace"))
            {
                frames.truncate(start);
            }
        }))
        .panic_message(Message)
        .panic_section(
            "Please report it, with the command and the scenario (or lesson) that \
             triggered it.",
        )
        .into_hooks();
    // Written with `err!`, not color-eyre's `eprintln!`: a closed stderr
    // must not panic inside the panic hook (that aborts).
    std::panic::set_hook(Box::new(move |info| {
        err!("{}", hook.panic_report(info));
    }));
}

fn exit_byte(code: i32) -> u8 {
    (code & 0xff) as u8
}

fn dispatch(cli: Cli) -> u8 {
    if std::env::var_os(TEST_PANIC_VAR).is_some_and(|v| v == "1") {
        panic!("{TEST_PANIC_VAR}=1: a deliberate internal error (a test hook)");
    }
    let Some(command) = cli.command else {
        return player(workbench::tui::Screen::picker());
    };
    match command {
        Command::Lesson {
            name,
            params,
            clock,
            present,
            session,
        } => {
            let path = match lesson::validate::find(&name) {
                Ok(path) => path,
                Err(message) => {
                    err!("{message}");
                    return 2;
                }
            };
            let params = params.into_iter().collect();
            // Before the player takes the terminal: a mistyped or
            // out-of-range parameter is an error here, not a player
            // showing defaults or an error at step 0/0.
            if let Err(message) = lesson::validate::validate_lesson_params(&path, &params) {
                err!("{message}");
                return 2;
            }
            if present {
                let deck = vec![lesson::deck::DeckEntry { path, params }];
                return presenter(deck, &session);
            }
            player(workbench::tui::Screen::player(path, params, clock.mode()))
        }
        Command::Present { deck, session } => {
            let deck = match deck_of(&deck) {
                Ok(deck) => deck,
                Err(message) => {
                    err!("{message}");
                    return 2;
                }
            };
            presenter(deck, &session)
        }
        Command::Notes { session, once } => notes(&session, once),
        Command::Run(args) => run(args),
        Command::Process => workbench::script::run_forked_process(),
        Command::Js { file, .. } if !file.exists() => {
            err!("{}", lesson::validate::no_such_file(&file));
            2
        }
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
        Command::Completions { shell } => {
            let mut out = std::io::stdout().lock();
            clap_complete::generate(shell, &mut completion_command(), "workbench", &mut out);
            0
        }
        Command::Man => man_page(),
        Command::Export {
            name,
            format,
            out,
            step,
            width,
            height,
            params,
        } => export(&name, format, &out, step, (width, height), params),
        Command::Book { dir, check } => book(&dir, check),
        Command::Drill(args) => drill(args),
    }
}

/// The command line as the completion scripts see it: `workbench lesson`
/// and `workbench export` complete the names of the lessons there are
/// when the script is generated (a path still works; the shell just does not offer one).
fn completion_command() -> clap::Command {
    let names: Vec<String> = lesson::discover(&lesson::lessons_dir())
        .iter()
        .map(|p| lesson::name_of(p))
        .collect();
    let command = Cli::command();
    if names.is_empty() {
        return command;
    }
    // clap's possible values are `&'static str` (without its `string`
    // feature); this command prints one script and ends.
    let names: Vec<&'static str> = names
        .into_iter()
        .map(|n| &*Box::leak(n.into_boxed_str()))
        .collect();
    // `lesson NAME` and `export NAME` both take a lesson.
    let offer = |sub: clap::Command| {
        sub.mut_arg("name", |arg| {
            arg.value_parser(clap::builder::PossibleValuesParser::new(names.clone()))
        })
    };
    command
        .mut_subcommand("lesson", offer)
        .mut_subcommand("export", offer)
}

/// `workbench man`: workbench(1) in roff on stdout. One page documents
/// everything: the synopsis and description, then a COMMANDS section with
/// a subsection per command (`workbench run`, `workbench new lesson`...):
/// its usage, what it does and its options, all generated from the clap
/// definition.
fn man_page() -> u8 {
    match render_man_page() {
        Ok(page) => {
            let _ = std::io::stdout().lock().write_all(page.as_bytes());
            0
        }
        Err(e) => {
            err!("workbench: cannot render the manual page: {e}");
            70
        }
    }
}

fn render_man_page() -> std::io::Result<String> {
    // Built, so that every subcommand knows its full name (`workbench run`).
    let mut command = Cli::command();
    command.build();
    let man = clap_mangen::Man::new(command.clone());
    let mut title = Vec::new();
    man.render_title(&mut title)?;
    let mut top = Vec::new();
    man.render_name_section(&mut top)?;
    man.render_synopsis_section(&mut top)?;
    man.render_description_section(&mut top)?;
    man.render_options_section(&mut top)?;
    // Each render starts with roff's apostrophe preamble; the page needs
    // it once, after `.TH`.
    const PREAMBLE: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";
    let strip = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).replace(PREAMBLE, "");
    let mut page = strip(title);
    page.push_str(PREAMBLE);
    page.push_str(&strip(top));
    page.push_str(".SH COMMANDS\n");
    let mut commands = Vec::new();
    leaf_commands(&command, &mut commands);
    for sub in commands {
        let name = sub.get_bin_name().unwrap_or(sub.get_name()).to_string();
        let man = clap_mangen::Man::new(sub.clone());
        let mut chunk = Vec::new();
        man.render_synopsis_section(&mut chunk)?;
        man.render_description_section(&mut chunk)?;
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            man.render_options_section(&mut chunk)?;
        }
        let chunk = strip(chunk)
            .replace(".SH SYNOPSIS\n", &format!(".SS \"{name}\"\n"))
            .replace(".SH DESCRIPTION\n", ".PP\n")
            .replace(".SH OPTIONS\n", ".PP\n");
        page.push_str(&chunk);
    }
    let mut version = Vec::new();
    man.render_version_section(&mut version)?;
    page.push_str(&strip(version));
    Ok(page)
}

/// The commands that do something, in their order: `new lesson` rather
/// than `new`; clap's generated `help` left out.
fn leaf_commands<'a>(command: &'a clap::Command, out: &mut Vec<&'a clap::Command>) {
    for sub in command.get_subcommands() {
        if sub.get_name() == "help" || sub.is_hide_set() {
            continue;
        }
        if sub.has_subcommands() {
            leaf_commands(sub, out);
        } else {
            out.push(sub);
        }
    }
}

fn drill(args: DrillArgs) -> u8 {
    use workbench::drill::{self, bank::Bank};
    let bank = match Bank::load_default() {
        Ok(bank) => bank,
        Err(e) => {
            err!("error: {e}");
            return 1;
        }
    };
    match args.action {
        Some(DrillAction::Export) => {
            let mut stdout = std::io::stdout().lock();
            for item in &bank.items {
                if writeln!(stdout, "{}", item.to_json_line()).is_err() {
                    break;
                }
            }
            0
        }
        Some(DrillAction::Stats) => {
            let progress = drill::progress::load();
            if let Some(w) = progress.warning() {
                err!("warning: {w}");
            }
            out!(
                "{}",
                progress
                    .stats_text(&bank, drill::progress::now())
                    .trim_end()
            );
            0
        }
        Some(DrillAction::Puzzle { level, seed }) => {
            match drill::puzzle::first_from(level, seed, 1_000) {
                Some((p, skipped)) => {
                    out!(
                        "// level {level}, seed {} ({skipped} candidate(s) before it filtered out)",
                        p.seed
                    );
                    out!("{}", p.rhai.trim_end());
                    out!("// JavaScript:");
                    out!("{}", p.js.trim_end());
                    out!("// prints:");
                    for line in &p.lines {
                        out!("{line}");
                    }
                    0
                }
                None => {
                    err!("error: no puzzle at level {level} within 1000 seeds of {seed}");
                    1
                }
            }
        }
        Some(DrillAction::Build { per_level, threads }) => {
            if let Some(reason) = verify::node_unavailable() {
                err!("error: `workbench drill build` needs node: {reason}");
                return 69;
            }
            let path = drill::bank::drills_dir().join(drill::bank::GENERATED);
            let mut text = String::new();
            for level in 1..=drill::MAX_LEVEL {
                let (items, report) = drill::build::build_level(level, per_level, threads);
                err!(
                    "level {level}: {} kept, {} rejected by the filters, {} disagreed with node {:?}",
                    report.kept,
                    report.rejected,
                    report.disagreed.len(),
                    report.disagreed
                );
                for item in items {
                    text.push_str(&item.to_json_line());
                    text.push('\n');
                }
            }
            if let Err(e) = std::fs::write(&path, text) {
                err!("error: cannot write {}: {e}", path.display());
                return 74;
            }
            err!("wrote {}", path.display());
            0
        }
        None => {
            let filter = drill::session::Filter {
                topic: args.topic,
                level: args.level,
            };
            if let Err(message) = filter.check(&bank) {
                err!("error: {message}");
                return 2;
            }
            let seed = args.seed.unwrap_or_else(drill::progress::now);
            let plan = if args.interview {
                drill::session::Plan::Interview {
                    items: args.items as usize,
                    minutes: args.minutes,
                }
            } else {
                drill::session::Plan::Practice
            };
            player(workbench::tui::Screen::drill(bank, filter, seed, plan))
        }
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

/// Presenter mode on a deck (checked already).
fn presenter(deck: Vec<lesson::deck::DeckEntry>, session: &str) -> u8 {
    match workbench::tui::Screen::present(deck, session) {
        Ok(screen) => player(screen),
        Err(message) => {
            err!("{message}");
            2
        }
    }
}

/// `present`'s arguments: one deck file (any file but a .rhai, or a name
/// ending in .deck or .txt), or lessons by name or path.
fn deck_of(args: &[String]) -> Result<Vec<lesson::deck::DeckEntry>, String> {
    if let [one] = args {
        let path = std::path::Path::new(one);
        let deck_like = one.ends_with(".deck") || one.ends_with(".txt");
        if deck_like || (path.is_file() && !one.ends_with(".rhai")) {
            return lesson::deck::load(path);
        }
    }
    lesson::deck::from_names(args)
}

/// `workbench notes`: prints the presentation's notes at every change
/// (on a terminal, each replaces the last) until it ends.
fn notes(session: &str, once: bool) -> u8 {
    use std::io::IsTerminal;
    let path = match workbench::tui::speaker::socket_path(session) {
        Ok(path) => path,
        Err(message) => {
            err!("{message}");
            return 2;
        }
    };
    let tty = std::io::stdout().is_terminal();
    let followed = workbench::tui::speaker::follow(&path, |state| {
        let mut text = workbench::tui::speaker::render(state);
        if tty && let Ok((width, _)) = ratatui::crossterm::terminal::size() {
            text = workbench::tui::speaker::wrap(&text, width as usize);
        }
        let mut out = std::io::stdout().lock();
        let written = if tty {
            // Clear the screen and go home: the notes replace themselves.
            write!(out, "\x1b[2J\x1b[H{text}")
        } else {
            writeln!(out, "{text}")
        };
        // A closed stdout (`| head`) ends the notes.
        written.and_then(|_| out.flush()).is_ok() && !once
    });
    match followed {
        Ok(()) => {
            if !once {
                out!("the presentation ended.");
            }
            0
        }
        Err(message) => {
            err!("{message}");
            69
        }
    }
}

fn parse_param(text: &str) -> Result<(String, String), String> {
    lesson::check::parse_param(text)
}

fn list_lessons() -> u8 {
    let dir = lesson::lessons_dir();
    let listings = lesson::course(&dir);
    if listings.is_empty() {
        err!("no lessons in {}", dir.display());
        return 1;
    }
    let progress = lesson::progress::load();
    if let Some(warning) = progress.warning() {
        err!("warning: {warning}");
    }
    // In course order, within 79 columns: the title gives way (cut with …).
    let name_width = listings
        .iter()
        .map(|l| l.name.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(6, 22);
    let time_width = listings
        .iter()
        .map(|l| l.duration.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    let title_width = 79usize
        .saturating_sub(2 + 1 + name_width + 2 + 1 + time_width + 1 + 20)
        .max(20);
    let fit = workbench::tui::view_picker::fit;
    out!(
        "{:>2} {:<name_width$}  {:<title_width$} {:<time_width$} PROGRESS",
        "#",
        "LESSON",
        "TITLE",
        "TIME"
    );
    for (i, l) in listings.iter().enumerate() {
        let number = i + 1;
        match &l.broken {
            None => out!(
                "{number:>2} {:<name_width$}  {:<title_width$} {:<time_width$} {}",
                l.name,
                fit(&l.title, title_width),
                l.duration,
                progress.lesson(&l.name).map_or("-".into(), |p| p.summary())
            ),
            Some(reason) => out!(
                "{number:>2} {:<name_width$}  {}",
                l.name,
                fit(&format!("BROKEN: {reason}"), title_width + time_width + 22)
            ),
        }
    }
    let next = listings
        .iter()
        .find(|l| l.broken.is_none() && !progress.lesson(&l.name).is_some_and(|p| p.finished));
    if let Some(next) = next {
        out!("\nnext: workbench lesson {}", next.name);
    }
    0
}

fn check_lessons(paths: &[PathBuf], node: bool) -> u8 {
    if let Some(message) = lesson::validate::missing_file(paths) {
        err!("{message}");
        return 2;
    }
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
    if let Some(message) = lesson::validate::missing_file([&args.file]) {
        err!("{message}");
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
    options.runtime.record = !args.no_record;
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
    if let Some(n) = args.cores {
        options.runtime.cores = n as usize;
    }
    options.runtime.race_timeout_first = match args.race {
        Race::ImmediateFirst => 0,
        Race::TimeoutFirst => u64::MAX,
    };
    options.limits.max_operations = args.max_ops;
    options.params = args.params.iter().cloned().collect();
    options.module = args.module.map(Module::kind);
    // A silent run first: a bad parameter is an error before any output.
    if let Err(message) = lesson::validate::validate_params(&scenario, &options) {
        err!("{message}");
        return 2;
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
    if let Some(message) = lesson::validate::missing_file(files) {
        err!("{message}");
        return 2;
    }
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

/// `workbench export`: a recording or a frame of a lesson, written to
/// `out` (exit 74 when it cannot be).
fn export(
    name: &str,
    format: ExportFormat,
    out: &std::path::Path,
    step: Option<usize>,
    (width, height): (u16, u16),
    params: Vec<(String, String)>,
) -> u8 {
    use workbench::tui::export;
    if format == ExportFormat::Asciicast && step.is_some() {
        err!("error: --step is for --format svg (a recording plays every step)");
        return 2;
    }
    if let Err(message) = export::check_size(width, height) {
        err!("{message}");
        return 2;
    }
    let path = match lesson::validate::find(name) {
        Ok(path) => path,
        Err(message) => {
            err!("{message}");
            return 2;
        }
    };
    let params = params.into_iter().collect();
    if let Err(message) = lesson::validate::validate_lesson_params(&path, &params) {
        err!("{message}");
        return 2;
    }
    let mut player = workbench::tui::app::Player::open(&path, params, 0);
    if let Some(error) = &player.error {
        err!(
            "error: lesson {} does not run, nothing to record:\n{error}",
            player.run.name
        );
        return 1;
    }
    // The summary at the end of a recording names the next lesson, as
    // the player's does.
    if format == ExportFormat::Asciicast {
        let dir = path
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        player.next_lesson =
            lesson::next_in_course(&dir, &player.run.name).map(|l| (l.name, l.title));
    }
    let title = format!("workbench lesson {}: {}", player.run.name, player.title);
    let text = match format {
        ExportFormat::Asciicast => {
            let shots = export::play::play(&mut player, width, height);
            export::asciicast::write(&shots, width, height, &title)
        }
        ExportFormat::Svg => {
            let (_, steps) = player.step();
            let step = match step {
                Some(k) => k,
                None => workbench::book::key_step(&player),
            };
            if step == 0 || step > steps {
                err!(
                    "error: --step {step}: lesson {} has narration steps 1 to {steps}",
                    player.run.name
                );
                return 2;
            }
            export::play::at_step(&mut player, step);
            let frame = export::frame(&player, width, height);
            export::svg::frame(&frame, &format!("{title} (step {step}/{steps})"))
        }
    };
    let written = if out.as_os_str() == "-" {
        std::io::stdout().lock().write_all(text.as_bytes())
    } else {
        std::fs::write(out, text.as_bytes())
    };
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            err!("error: cannot write {}: {e}", out.display());
            74
        }
        Ok(()) => 0,
    }
}

/// `workbench book`: writes the generated pages of the book (or, with
/// `--check`, lists those out of date).
fn book(dir: &std::path::Path, check: bool) -> u8 {
    let summary = dir.join("src/SUMMARY.md");
    if !summary.is_file() {
        err!(
            "error: {}: no such file (--dir names the book's folder, with book.toml and src/)",
            summary.display()
        );
        return 2;
    }
    let lessons = lesson::lessons_dir();
    let pages = match workbench::book::generate_in(&lessons, dir) {
        Ok(pages) => pages,
        Err(message) => {
            err!("{message}");
            return 1;
        }
    };
    if check {
        let stale = workbench::book::stale(dir, &pages);
        for path in &stale {
            out!("out of date: {}", path.display());
        }
        if stale.is_empty() {
            out!("{} generated page(s) up to date", pages.len());
            return 0;
        }
        out!("regenerate them with `workbench book` (cargo run --release -- book)");
        return 1;
    }
    match workbench::book::write(dir, &pages) {
        Ok(changed) => {
            out!(
                "{} page(s) generated in {}, {changed} changed",
                pages.len(),
                dir.display()
            );
            0
        }
        Err(e) => {
            err!("{e}");
            74
        }
    }
}
