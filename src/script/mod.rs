//! The scripting layer: Rhai scenarios bound to the runtime (the Core
//! section of shared/API.md), their JavaScript rendering, and diagnostics.
//! This file compiles a scenario ([`Scenario`]) and runs it ([`run`], and
//! [`run_worker`] on a worker thread).
//!
//! # Layout, from the bottom up
//!
//! ```text
//! source.rs    a scenario's text, ScriptError, the located RenderError
//! syntax.rs    parser settings shared by the engine and the renderer, `await`
//! modules.rs   CommonJS or ES module, from the file name or the declaration
//! render/      the JavaScript rendering (ast, awaits, kinds, the renderer)
//! value/       script values: objects, printing (util.inspect), Buffer and
//!              stream conversions, structured clone, this thread's runtime
//! lesson/      decl.rs: what a lesson declares (with Mode);
//!              bindings.rs: lesson(), param(), scenario(), expect_*, question()
//! host/        the runtime's host: HostTypes for Rh, the context (Ctx),
//!              calls and coroutines, error classification, reports, workers
//! node/        the bindings, one module per Node module; args.rs is what
//!              they share; mod.rs builds the engine from one table
//! forked.rs    a forked process under the real clock (`workbench __process`)
//! mod.rs       Scenario, RunOptions, RunResult, run, run_worker
//! ```
//!
//! # Dependency rules
//!
//! Each layer names only the layers listed after it (and its own files);
//! `tests/script_layers.rs` checks every file's paths against this list,
//! and that no files name each other around a circle:
//!
//! - `source`, `syntax`, `value`: nothing of `script`;
//! - `modules`: syntax, source;
//! - `render`: syntax, modules, source;
//! - `lesson::decl`: value;
//! - `host`: value, lesson::decl, source;
//! - `node::args`: host, value, lesson::decl, source;
//! - each Node module `node::*` and `lesson::bindings`: host, value,
//!   lesson::decl, source, node::args (never each other: what two share
//!   moves down, into `node::args` or `value`);
//! - `node` (the table, `node/mod.rs`): the bindings, and what they name,
//!   and syntax;
//! - `lesson` (`lesson/mod.rs`): lesson::decl, lesson::bindings;
//! - `forked`: host, source (it is handed [`run_process`]);
//! - this file: everything.
//!
//! The worker binding starts a thread with an entry point it is handed
//! ([`host::Ctx::worker_entry`], set to [`run_worker`] here), never by
//! naming this file. Other layers of the crate name what this file
//! re-exports ([`ClockMode`], [`ModuleKind`], ...) or the modules it
//! makes public.

pub mod forked;
pub mod host;
pub mod lesson;
pub mod modules;
pub mod node;
pub mod render;
pub mod source;
pub mod syntax;
pub mod value;

use std::path::{Path, PathBuf};
use std::rc::Rc;

use rhai::{AST, Scope};

/// Virtual or real time for a run (`RunOptions::runtime.clock`): the
/// player names the clock through here, not through the runtime.
pub use crate::runtime::clock::ClockMode;
use crate::runtime::driver::{self, Evaluated, RunOutcome};
use crate::runtime::{Abrupt, Fatal, Options, Runtime, Stop};
use crate::trace::Trace;
pub use host::Limits;
use host::{Ctx, Host};
pub use modules::{ModuleDecl, ModuleKind};
pub use source::{EXIT_COMPILE, ScriptError, Source};
use value::Rh;

/// The largest scenario file workbench reads (lessons are a few KiB).
pub const MAX_SCRIPT_BYTES: u64 = 4 << 20;

/// A compiled scenario.
#[derive(Clone)]
pub struct Scenario {
    pub source: Source,
    pub ast: AST,
    /// How the file declares its module kind (a lesson's `module` field).
    pub module: ModuleDecl,
    /// The `await`s at the top level, in source order: allowed in an ES
    /// module (which they make an async module), an error in CommonJS.
    pub top_level_awaits: Vec<render::TopAwait>,
}

impl Scenario {
    /// Reads and compiles a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScriptError> {
        let plain = |message: String| ScriptError {
            report: format!("error: {message}"),
            message,
            line: 0,
            column: 0,
            exit_code: EXIT_COMPILE,
        };
        // Read at most one byte more than a script may have: a device or a
        // huge file must not be read whole (`workbench run /dev/zero`).
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| {
                use std::io::Read;
                f.take(MAX_SCRIPT_BYTES + 1).read_to_end(&mut bytes)
            })
            .map_err(|e| plain(format!("cannot read {}: {e}", path.display())))?;
        if bytes.len() as u64 > MAX_SCRIPT_BYTES {
            return Err(plain(format!(
                "{} is larger than a scenario may be ({} MiB)",
                path.display(),
                MAX_SCRIPT_BYTES >> 20
            )));
        }
        let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                // Name where the text stops being UTF-8, in the valid part.
                let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
                let valid = String::from_utf8_lossy(valid).into_owned();
                let line = valid.matches('\n').count() + 1;
                let column = valid.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
                let source = Source { path, text: lossy };
                return Err(ScriptError::at(
                    &source,
                    "the file is not UTF-8 text (an invalid byte here)",
                    line,
                    column,
                    EXIT_COMPILE,
                ));
            }
        };
        // A byte-order mark is not part of the script (node skips it too).
        let text = match text.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_string(),
            None => text,
        };
        Scenario::compile(path, text)
    }

    /// Compiles scenario text; `path` names it in diagnostics and sets
    /// `__filename` and the sandbox directory.
    pub fn compile(path: PathBuf, text: String) -> Result<Scenario, ScriptError> {
        let source = Source { path, text };
        let engine = syntax::parse_only_engine();
        let ast = engine.compile(&source.text).map_err(|e| {
            let pos = e.position();
            ScriptError::at(
                &source,
                source::strip_position(&e.to_string()),
                pos.line().unwrap_or(0),
                pos.position().unwrap_or(1),
                EXIT_COMPILE,
            )
        })?;
        let at = |e: source::RenderError| {
            ScriptError::at(&source, e.message, e.line, e.column, EXIT_COMPILE)
        };
        let top_level_awaits = render::top_level_awaits(&ast).map_err(at)?;
        let module = modules::declared_module(&ast).map_err(at)?;
        let scenario = Scenario {
            source,
            ast,
            module,
            top_level_awaits,
        };
        // A file that can only be CommonJS cannot await at the top level.
        if let ModuleDecl::Fixed {
            kind: ModuleKind::Cjs,
            ..
        } = scenario.module
        {
            scenario.module_kind(None, &Default::default())?;
        }
        Ok(scenario)
    }

    /// The module kind a run uses: a lesson's knob (from `params`), else
    /// `requested` (`--module`), else what the file declares or its name
    /// says (`NAME.mjs.rhai` is an ES module). An error when the request
    /// contradicts the declaration, or when CommonJS meets a top-level
    /// `await` (located, exit code 2).
    pub fn module_kind(
        &self,
        requested: Option<ModuleKind>,
        params: &std::collections::BTreeMap<String, String>,
    ) -> Result<ModuleKind, ScriptError> {
        let kind = self
            .module
            .resolve(&self.source.path, requested, params)
            .map_err(|m| ScriptError::at(&self.source, m, self.module.line(), 1, EXIT_COMPILE))?;
        if kind == ModuleKind::Cjs
            && let Some(pos) = self.top_level_awaits(kind).next()
        {
            return Err(ScriptError::at(
                &self.source,
                "`await` is only allowed directly inside an `async_fn(|..| ...)` closure body (or at the top level of an ES module: --module esm)",
                pos.line().unwrap_or(0),
                pos.position().unwrap_or(1),
                EXIT_COMPILE,
            ));
        }
        Ok(kind)
    }

    /// The directory fs paths are confined to: the scenario's own.
    pub fn sandbox(&self) -> PathBuf {
        self.source
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// The top-level `await`s that exist in a module kind (a lesson may
    /// keep code for one kind in a branch on its module knob).
    pub fn top_level_awaits(&self, kind: ModuleKind) -> impl Iterator<Item = rhai::Position> + '_ {
        self.top_level_awaits
            .iter()
            .filter(move |a| a.applies_to(kind))
            .map(|a| a.pos)
    }

    /// The JavaScript rendering (`workbench js`), as the file's own module
    /// kind (see [`Scenario::module_kind`]).
    pub fn to_js(&self) -> Result<String, ScriptError> {
        let kind = self.module_kind(None, &Default::default())?;
        self.to_js_as(kind)
    }

    /// The JavaScript rendering as CommonJS or an ES module (a lesson's
    /// module knob takes that value).
    pub fn to_js_as(&self, module: ModuleKind) -> Result<String, ScriptError> {
        let mut options = render::RenderOptions {
            module,
            ..Default::default()
        };
        if let ModuleDecl::Knob { param, .. } = &self.module {
            options
                .params
                .insert(param.clone(), format!("\"{}\"", module.name()));
        }
        render::render_with(&self.ast, &options)
            .map_err(|e| ScriptError::at(&self.source, e.message, e.line, e.column, EXIT_COMPILE))
    }
}

/// Settings of one scenario run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub runtime: Options,
    pub limits: Limits,
    /// Lesson parameter overrides, by name (values as typed).
    pub params: std::collections::BTreeMap<String, String>,
    /// `--module`: CommonJS or an ES module (None: what the file declares
    /// or its name says; see [`Scenario::module_kind`]).
    pub module: Option<ModuleKind>,
}

/// A finished run: the trace and how the process ended.
pub struct RunResult {
    pub trace: Trace,
    pub outcome: RunOutcome,
    /// What a lesson file declared (empty for plain scenarios).
    pub declarations: lesson::Declarations,
    /// The module kind it ran as.
    pub module: ModuleKind,
    /// Paths the run's scripts gave that lead out of the sandbox (ENOENT
    /// in the model, refused in node: see [`crate::runtime::fs::Escapes`]).
    pub escapes: Vec<String>,
}

impl RunResult {
    pub fn stdout(&self) -> String {
        self.trace.output(crate::trace::Stream::Stdout)
    }

    pub fn stderr(&self) -> String {
        self.trace.output(crate::trace::Stream::Stderr)
    }
}

/// Alias of [`run`] for modules that have their own `run`.
pub fn script_run(scenario: &Scenario, options: &RunOptions) -> RunResult {
    run(scenario, options)
}

/// Runs a scenario on a fresh runtime. The sandbox option defaults to the
/// scenario's directory when left as ".".
pub fn run(scenario: &Scenario, options: &RunOptions) -> RunResult {
    let mut runtime_options = options.runtime.clone();
    if runtime_options.sandbox == Path::new(".") {
        runtime_options.sandbox = scenario.sandbox();
    }
    let module = scenario.module_kind(options.module, &options.params);
    let kind = module.as_ref().map_or(ModuleKind::Cjs, |k| *k);
    runtime_options.module = kind;
    runtime_options.entry = scenario.source.path.display().to_string();
    // Each run its own list (run options are cloned between runs).
    let escapes = crate::runtime::fs::Escapes::default();
    runtime_options.escapes = escapes.clone();
    let rt = Runtime::<Rh>::shared(runtime_options);
    // Every event records the script line running (the player's marker
    // follows it, main-script code included).
    rt.borrow_mut().line_source = Some(rhai::native_call_line);
    let source = scenario.source.clone();
    rt.borrow_mut().locate = Some(Box::new(move |line| source.excerpt(line as usize, 1)));
    let engine = node::build_engine(options.limits, scenario.source.display_path());
    let mut ctx = Ctx::new(
        engine,
        scenario.ast.clone(),
        rt.clone(),
        scenario.source.clone(),
        run_worker,
    );
    ctx.overrides = options.params.clone();
    ctx.proc_entry = Some(run_process);
    // A lesson's module knob has the value the run uses (`--module` sets it).
    if let ModuleDecl::Knob { param, .. } = &scenario.module {
        ctx.overrides
            .entry(param.clone())
            .or_insert_with(|| kind.name().to_string());
    }
    ctx.module = kind;
    let ctx = Rc::new(ctx);
    // An async module: top-level `await` suspends the body.
    let is_async = kind == ModuleKind::Esm && scenario.top_level_awaits(kind).next().is_some();
    let outcome = host::stack::on_script_stack(host::stack::SCRIPT_STACK_BYTES, || {
        let _guard = ctx.install();
        let mut host = Host { ctx: ctx.clone() };
        driver::run_entry(&rt, &mut host, |host| {
            if let Err(e) = module {
                return Err(Abrupt::Stop(Stop::Fatal(Fatal {
                    message: e.report,
                    exit_code: e.exit_code,
                })));
            }
            if is_async {
                return host::start_module(&host.ctx, main_body)
                    .map(Evaluated::Async)
                    .map_err(|e| host.abrupt(e));
            }
            main_body(&host.ctx).map_err(|e| host.abrupt(e))?;
            Ok(Evaluated::Done)
        })
    });
    let mut declarations = ctx.decl.borrow().clone();
    declarations.unknown_overrides = options
        .params
        .keys()
        .filter(|k| !declarations.params.iter().any(|p| &p.name == *k))
        .cloned()
        .collect();
    drop(ctx);
    end_workers(&rt);
    let mut trace = std::mem::take(&mut rt.borrow_mut().trace);
    if let Some(link) = rt.borrow().threads.link.clone() {
        trace.procs = link.hub.take_log();
    }
    RunResult {
        trace,
        outcome,
        declarations,
        module: kind,
        escapes: escapes.paths(),
    }
}

/// The main script: the file's statements, then a lesson's program (its
/// `scenario(|| ..)` body, which runs as the main script right after the
/// declarations).
fn main_body(ctx: &Rc<Ctx>) -> Result<(), Box<rhai::EvalAltResult>> {
    let mut scope = Scope::new();
    ctx.engine.run_ast_with_scope(&mut scope, &ctx.ast)?;
    if let Some(body) = lesson::bindings::take_scenario(ctx) {
        let _ = body.call::<rhai::Dynamic>(&ctx.engine, &ctx.ast, ())?;
    }
    Ok(())
}

/// The process exits: worker threads still running end now (Node kills
/// them), and their threads are joined.
fn end_workers(rt: &crate::runtime::Shared<Rh>) {
    let link = rt.borrow().threads.link.clone();
    if let Some(link) = link {
        link.hub.leave(link.me);
        link.hub.shutdown();
        let mut threads: Vec<_> = rt
            .borrow_mut()
            .threads
            .children
            .iter_mut()
            .filter_map(|c| c.thread.take())
            .collect();
        threads.extend(
            rt.borrow_mut()
                .procs
                .children
                .iter_mut()
                .filter_map(|c| c.thread.take()),
        );
        for t in threads {
            let _ = t.join();
        }
    }
}

/// A forked process (a cluster worker, a `child_process.fork()` child):
/// compiles the script again and runs it from the top on a runtime of its
/// own, then tells its parent how it ended: the channel closes, then the
/// exit code or the signal.
pub fn run_process(spec: host::ProcSpec) -> (i32, Option<i32>) {
    use crate::runtime::procs::ForkCost;
    use crate::runtime::worker::Body;
    let hub = spec.link.hub.clone();
    let me = spec.link.me;
    let parent = spec.parent;
    let start_ns = match hub.mode {
        ClockMode::Virtual => match hub.wait_turn(me) {
            Ok(t) => t,
            Err(_) => {
                hub.leave(me);
                return (1, None);
            }
        },
        ClockMode::Real => hub.start.elapsed().as_nanos() as u64,
    };
    let latency = ForkCost::IPC_LATENCY_NS;
    // Node's bootstrap reports online before it loads the user's file.
    hub.post(me, parent, start_ns + latency, Body::Online);
    let died = |at: u64, code: Option<i32>, signal: Option<i32>| {
        hub.post(me, parent, at + latency, Body::Disconnected);
        hub.post(me, parent, at + latency, Body::Died { code, signal });
        hub.leave(me);
    };
    let scenario = match Scenario::compile(spec.source.path.clone(), spec.source.text.clone()) {
        Ok(s) => s,
        Err(e) => {
            hub.post(
                me,
                0,
                start_ns,
                Body::Console(crate::trace::Stream::Stderr, e.report),
            );
            died(start_ns, Some(1), None);
            return (1, None);
        }
    };
    let script_ns = match hub.mode {
        ClockMode::Virtual => start_ns + ForkCost::SCRIPT_NS,
        ClockMode::Real => start_ns,
    };
    let mut options = spec.options.clone();
    options.module = spec.module;
    // What a forked process did reaches the run's trace through the
    // process log and its output; its own events are not kept.
    options.record = false;
    let rt = Runtime::<Rh>::shared(options);
    {
        let mut r = rt.borrow_mut();
        r.clock = crate::runtime::clock::Clock::for_worker(
            spec.options.clock,
            hub.start,
            spec.epoch_ms,
            script_ns,
        );
        r.threads.link = Some(spec.link.clone());
        r.net.hub = Some((hub.clone(), me));
        r.procs.identity = spec.identity;
        r.procs.parent = Some(parent);
        r.procs.proc = spec.proc;
        r.procs.pid = spec
            .os_pid
            .unwrap_or(crate::runtime::procs::PRIMARY_PID + spec.proc as u32);
        r.procs.connected = true;
        r.procs.os_signals = spec.os_signals.clone();
        r.procs.parent_ipc = spec.os_channel.clone();
        r.line_source = Some(rhai::native_call_line);
    }
    // A signal that comes while node boots (before the script can listen
    // for it) takes its default action.
    if hub.mode == ClockMode::Virtual {
        if hub.sync(me, start_ns, Some(script_ns)).is_err() {
            hub.leave(me);
            return (1, None);
        }
        for envelope in hub.take_due(me, script_ns) {
            if let Body::Signal(n) = envelope.body
                && !crate::runtime::net::signal_ignored_by_default(n)
            {
                died(script_ns, None, Some(n));
                return (0, Some(n));
            }
            rt.borrow_mut().threads.inbox.push_back(envelope);
        }
    }
    let engine = node::build_engine(spec.limits, scenario.source.display_path());
    let mut ctx = Ctx::new(
        engine,
        scenario.ast.clone(),
        rt.clone(),
        scenario.source.clone(),
        run_worker,
    );
    ctx.overrides = spec.overrides.clone();
    ctx.proc_entry = Some(run_process);
    ctx.module = spec.module;
    let ctx = Rc::new(ctx);
    let outcome = host::stack::on_script_stack(host::stack::WORKER_STACK_BYTES, || {
        let _guard = ctx.install();
        let mut host = Host { ctx: ctx.clone() };
        driver::run(&rt, &mut host, |host| {
            main_body(&host.ctx).map_err(|e| host.abrupt(e))
        })
    });
    // The process is gone: the kernel resets every connection it had with
    // another process.
    rt.borrow_mut().net_reset_remote();
    let now = rt.borrow().clock.now_ns();
    // Processes this one forked end with it.
    let children: Vec<u32> = rt
        .borrow()
        .procs
        .children
        .iter()
        .filter(|c| c.exit.is_none())
        .map(|c| c.hub_id)
        .collect();
    for child in children {
        hub.post(me, child, now, Body::Signal(9));
    }
    drop(ctx);
    let connected = rt.borrow().procs.connected;
    if !connected {
        hub.post(
            me,
            parent,
            now + latency,
            Body::Died {
                code: outcome.signal.is_none().then_some(outcome.exit_code),
                signal: outcome.signal,
            },
        );
        hub.leave(me);
    } else {
        died(
            now,
            outcome.signal.is_none().then_some(outcome.exit_code),
            outcome.signal,
        );
    }
    (outcome.exit_code, outcome.signal)
}

/// `workbench __process`: a process forked under the real clock runs the
/// script its parent sent ([`forked`]), then exits as it ended.
pub fn run_forked_process() -> u8 {
    forked::run_forked(run_process)
}

/// A worker thread: compiles the script again (Rhai engines and ASTs stay
/// on their thread), runs the body function on a runtime of its own, then
/// reports its uncaught error and exit code to its parent.
pub fn run_worker(spec: host::WorkerSpec) {
    use crate::runtime::worker::Body;
    let hub = spec.link.hub.clone();
    let me = spec.link.me;
    let parent = spec.link.parent.unwrap_or(0);
    let start_ns = match hub.mode {
        ClockMode::Virtual => match hub.wait_turn(me) {
            Ok(t) => t,
            Err(_) => {
                hub.leave(me);
                return;
            }
        },
        ClockMode::Real => hub.start.elapsed().as_nanos() as u64,
    };
    let latency = crate::runtime::worker::MessageCost::LATENCY_NS;
    let scenario = match Scenario::compile(spec.source.path.clone(), spec.source.text.clone()) {
        Ok(s) => s,
        Err(e) => {
            hub.post(
                me,
                parent,
                start_ns + latency,
                Body::Console(crate::trace::Stream::Stderr, e.report),
            );
            hub.post(me, parent, start_ns + latency, Body::Exit(1));
            hub.leave(me);
            return;
        }
    };
    let rt = host::worker_runtime(&spec, start_ns);
    rt.borrow().threads.send(parent, start_ns, Body::Online);
    let engine = node::build_engine(spec.limits, scenario.source.display_path());
    let mut ctx = Ctx::new(
        engine,
        scenario.ast.clone(),
        rt.clone(),
        scenario.source.clone(),
        run_worker,
    );
    ctx.module = spec.options.module;
    let ctx = Rc::new(ctx);
    let body = spec.body.clone();
    let outcome = host::stack::on_script_stack(host::stack::WORKER_STACK_BYTES, || {
        let _guard = ctx.install();
        let mut host = Host { ctx: ctx.clone() };
        driver::run(&rt, &mut host, |host| {
            let exists = host
                .ctx
                .ast
                .iter_fn_def()
                .any(|f| f.name == body.as_str() && f.params.is_empty());
            if !exists {
                // What the rendered JavaScript throws on the worker thread.
                return Err(crate::runtime::Abrupt::Throw(rhai::Dynamic::from(
                    value::JsError::new(
                        "TypeError",
                        &format!("worker body \"{body}\" is not a function of this script"),
                    ),
                )));
            }
            let options = rhai::CallFnOptions::new().eval_ast(false);
            let _ = host
                .ctx
                .engine
                .call_fn_with_options::<rhai::Dynamic>(
                    options,
                    &mut Scope::new(),
                    &host.ctx.ast,
                    &body,
                    (),
                )
                .map_err(|e| host.abrupt(e))?;
            Ok(())
        })
    });
    let (error, now) = {
        let mut r = rt.borrow_mut();
        (r.threads.error.take(), r.clock.now_ns())
    };
    if let Some(error) = error {
        hub.post(me, parent, now + latency, Body::Error(error));
    }
    hub.post(me, parent, now + latency, Body::Exit(outcome.exit_code));
    // Workers this worker started end with it.
    let children: Vec<u32> = rt
        .borrow()
        .threads
        .children
        .iter()
        .filter(|c| c.exited.is_none())
        .map(|c| c.hub_id)
        .collect();
    for child in children {
        hub.post(me, child, now + latency, Body::Terminate);
    }
    drop(ctx);
    hub.leave(me);
}
