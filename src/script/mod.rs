//! The scripting layer: Rhai scenarios bound to the runtime (the Core
//! section of shared/API.md), their JavaScript rendering, and diagnostics.

pub mod api;
pub mod api_buffer;
pub mod api_perf;
pub mod api_pool;
pub mod api_stream;
pub mod errors;
pub mod host;
pub mod inspect;
pub mod js;
pub mod lesson_api;
pub mod lesson_decl;
pub mod syntax;
pub mod values;

use std::path::{Path, PathBuf};
use std::rc::Rc;

use rhai::{AST, Scope};

use crate::runtime::driver::{self, RunOutcome};
use crate::runtime::{Options, Runtime};
use crate::trace::Trace;
pub use errors::{EXIT_COMPILE, ScriptError, Source};
use host::{Ctx, Host, Rh};

/// A compiled scenario.
#[derive(Clone)]
pub struct Scenario {
    pub source: Source,
    pub ast: AST,
}

impl Scenario {
    /// Reads and compiles a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScriptError> {
        let text = std::fs::read_to_string(path).map_err(|e| ScriptError {
            message: format!("cannot read {}: {e}", path.display()),
            line: 0,
            column: 0,
            report: format!("error: cannot read {}: {e}", path.display()),
            exit_code: EXIT_COMPILE,
        })?;
        let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
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
                errors::strip_position(&e.to_string()),
                pos.line().unwrap_or(0),
                pos.position().unwrap_or(1),
                EXIT_COMPILE,
            )
        })?;
        js::check_await_placement(&ast)
            .map_err(|e| ScriptError::at(&source, e.message, e.line, e.column, EXIT_COMPILE))?;
        Ok(Scenario { source, ast })
    }

    /// The directory fs paths are confined to: the scenario's own.
    pub fn sandbox(&self) -> PathBuf {
        self.source
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// The JavaScript rendering (`workbench js`).
    pub fn to_js(&self) -> Result<String, ScriptError> {
        js::render(&self.ast)
            .map_err(|e| ScriptError::at(&self.source, e.message, e.line, e.column, EXIT_COMPILE))
    }
}

/// Settings of one scenario run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub runtime: Options,
    pub limits: api::Limits,
    /// Lesson parameter overrides, by name (values as typed).
    pub params: std::collections::BTreeMap<String, String>,
}

/// A finished run: the trace and how the process ended.
pub struct RunResult {
    pub trace: Trace,
    pub outcome: RunOutcome,
    /// What a lesson file declared (empty for plain scenarios).
    pub declarations: lesson_decl::Declarations,
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
    let rt = Runtime::<Rh>::shared(runtime_options);
    let engine = api::build_engine(options.limits, scenario.source.display_path());
    let mut ctx = Ctx::new(
        engine,
        scenario.ast.clone(),
        rt.clone(),
        scenario.source.clone(),
    );
    ctx.overrides = options.params.clone();
    let ctx = Rc::new(ctx);
    let outcome = {
        let _guard = ctx.install();
        let mut host = Host { ctx: ctx.clone() };
        driver::run(&rt, &mut host, |host| {
            let mut scope = Scope::new();
            host.ctx
                .engine
                .run_ast_with_scope(&mut scope, &host.ctx.ast)
                .map_err(|e| host.abrupt(e))?;
            // A lesson's program is its `scenario(|| ..)` body: it runs as
            // the main script, right after the declarations.
            if let Some(body) = lesson_api::take_scenario(&host.ctx) {
                let _ = body
                    .call::<rhai::Dynamic>(&host.ctx.engine, &host.ctx.ast, ())
                    .map_err(|e| host.abrupt(e))?;
            }
            Ok(())
        })
    };
    let mut declarations = ctx.decl.borrow().clone();
    declarations.unknown_overrides = options
        .params
        .keys()
        .filter(|k| !declarations.params.iter().any(|p| &p.name == *k))
        .cloned()
        .collect();
    drop(ctx);
    let trace = std::mem::take(&mut rt.borrow_mut().trace);
    RunResult {
        trace,
        outcome,
        declarations,
    }
}
