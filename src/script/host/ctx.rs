//! The context of the scenario running on this thread ([`Ctx`]): its
//! engine, AST, runtime and source, what is known of its functions, its
//! async bodies, what a lesson declared; and the evaluation states its
//! callbacks run on.
//!
//! Script functions reach the runtime through this per-thread context:
//! registered Rhai functions are plain closures inside the engine, and the
//! engine itself lives in the context, so a thread-local is the one place
//! both can find each other. One scenario runs per thread at a time.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use rhai::{
    AST, Caches, Dynamic, Engine, EvalAltResult, FnPtr, GlobalRuntimeState, Position, Scope,
};

use super::coroutine::{Coroutines, clear_yielders};
use super::worker::WorkerEntry;
use crate::runtime::Shared;
use crate::script::source::Source;
use crate::script::value::Rh;

thread_local! {
    static CTX: RefCell<Option<Rc<Ctx>>> = const { RefCell::new(None) };
}

/// Everything a running scenario needs.
pub struct Ctx {
    pub engine: Engine,
    pub ast: AST,
    pub rt: Shared<Rh>,
    pub source: Source,
    /// What is known of each script function, by name.
    fns: HashMap<Box<str>, Rc<FnInfo>, crate::trace::FnvBuild>,
    /// The last function looked up in `fns` (a callback scheduled or run
    /// in a loop is the same function every time).
    last_fn: RefCell<Option<Rc<FnInfo>>>,
    /// Where the last `throw` (or runtime error) happened, for reports.
    pub last_throw: Cell<Position>,
    /// The async bodies suspended at `await`, and spare stacks.
    pub(super) coroutines: Coroutines,
    /// Lesson parameters set from outside (`--param`, the player's knobs).
    pub overrides: std::collections::BTreeMap<String, String>,
    /// What the file declared (lesson metadata, params, expectations...).
    pub decl: RefCell<crate::script::lesson::decl::Declarations>,
    pub mode: Cell<crate::script::lesson::decl::Mode>,
    pub scenario_fn: RefCell<Option<FnPtr>>,
    /// CommonJS or an ES module (error reports name an ES module by URL).
    pub module: crate::runtime::ModuleKind,
    /// Runs a worker thread's script (`script::run_worker`): the
    /// `worker_threads` binding starts threads with it.
    pub worker_entry: WorkerEntry,
    /// Runs a forked process's script (`script::run_process`): the
    /// `cluster` and `child_process` bindings start processes with it.
    pub proc_entry: Option<super::worker::ProcEntry>,
    /// Evaluation states for calls into script functions, reused from one
    /// callback to the next (one per nesting level in use). Boxed: a state
    /// is large and moves in and out of the pool on every call, which
    /// measurably costs more than the pointer.
    #[allow(clippy::vec_box)]
    call_states: RefCell<Vec<Box<CallState>>>,
    /// How many calls from the host into the script are running, one
    /// inside the other (a listener emitting its own event, an async body
    /// calling itself): each starts its Rhai call levels from here, so a
    /// recursion through the host meets the call-depth limit too (an async
    /// body's stack is new, so the stack guard alone would not see it).
    pub(super) host_depth: Cell<usize>,
}

/// A script function as the host sees it.
struct FnInfo {
    name: Box<str>,
    /// Explicit parameter count (JS lets a callback take fewer arguments
    /// than it is given; Rhai does not).
    arity: usize,
    /// Where the body starts (Rhai reports some budget errors without a
    /// position; the body is the next best place) and ends (with the
    /// start: its text).
    body_start: Position,
    body_end: Position,
    /// [`Ctx::describe_fn`]'s result (a hot path: every `then` asks).
    described: std::cell::OnceCell<(u32, Option<String>)>,
}

/// What Rhai's `FnPtr::call` builds afresh for every call: the global
/// runtime state (with the script's functions), the function-resolution
/// cache and the scope. Kept and reset instead (see [`Ctx::call_fn`]).
struct CallState {
    global: GlobalRuntimeState,
    caches: Caches,
    scope: Scope<'static>,
}

impl Ctx {
    pub fn new(
        engine: Engine,
        ast: AST,
        rt: Shared<Rh>,
        source: Source,
        worker_entry: WorkerEntry,
    ) -> Self {
        // As with `collect`, a later definition of a name replaces an
        // earlier one (overloads by arity).
        let mut fns = HashMap::default();
        for f in ast.iter_fn_def() {
            let info = FnInfo {
                name: f.name.as_str().into(),
                arity: f.params.len(),
                body_start: f.body.start_position(),
                body_end: f.body.end_position(),
                described: Default::default(),
            };
            fns.insert(info.name.clone(), Rc::new(info));
        }
        Ctx {
            engine,
            ast,
            rt,
            source,
            fns,
            last_fn: RefCell::new(None),
            last_throw: Cell::new(Position::NONE),
            coroutines: Coroutines::default(),
            overrides: Default::default(),
            decl: Default::default(),
            mode: Default::default(),
            scenario_fn: RefCell::new(None),
            module: Default::default(),
            worker_entry,
            proc_entry: None,
            call_states: RefCell::new(Vec::new()),
            host_depth: Cell::new(0),
        }
    }

    /// How Node names the script in reports: its path (CommonJS) or its
    /// `file://` URL (an ES module).
    pub fn script_name(&self) -> String {
        match self.module {
            crate::runtime::ModuleKind::Cjs => self.source.display_path(),
            crate::runtime::ModuleKind::Esm => format!("file://{}", self.source.display_path()),
        }
    }

    /// Calls a script function as `FnPtr::call` (or, with `this`,
    /// `FnPtr::call_as_method`) does, on a reused evaluation state: each
    /// call starts from a fresh state's values (level 0, an operations
    /// count of 0, the script's functions only, an empty scope), so limits
    /// and lookups behave exactly as with a new one, except that a call
    /// made while another runs starts at its depth (`host_depth`).
    /// Re-entrant: a nested call takes another state.
    pub fn call_fn(
        &self,
        f: &FnPtr,
        this: Option<&mut Dynamic>,
        args: Vec<Dynamic>,
    ) -> Result<Dynamic, Box<EvalAltResult>> {
        let depth = self.host_depth.get();
        if depth >= self.engine.max_call_levels() {
            let at = self.body_position(f).unwrap_or(Position::NONE);
            return Err(super::stack::range_error(at));
        }
        let popped = self.call_states.borrow_mut().pop();
        let mut st = popped.unwrap_or_else(|| self.new_call_state());
        let g = &mut st.global;
        g.num_operations = 0;
        g.level = depth;
        g.scope_level = 0;
        g.always_search_scope = false;
        g.source = None;
        g.lib.truncate(1);
        g.truncate_imports(0);
        g.embedded_module_resolver = None;
        g.constants = None;
        st.scope.clear();
        self.host_depth.set(depth + 1);
        let result = f.call_with_state(
            &self.engine,
            &mut st.global,
            &mut st.caches,
            &mut st.scope,
            this,
            args,
        );
        st.scope.clear();
        self.host_depth.set(depth);
        self.call_states.borrow_mut().push(st);
        result
    }

    /// Boxed: the state is large (the caches hold bloom filters inline)
    /// and moves in and out of the pool on every call.
    fn new_call_state(&self) -> Box<CallState> {
        let mut global = self.engine.new_global_runtime_state();
        global.lib.push(self.ast.shared_lib().clone());
        Box::new(CallState {
            global,
            caches: Caches::new(),
            scope: Scope::new(),
        })
    }

    /// Installs this context for the current thread; the guard removes it
    /// (and drops suspended async bodies) when the run ends.
    pub fn install(self: &Rc<Self>) -> CtxGuard {
        CTX.with(|c| *c.borrow_mut() = Some(self.clone()));
        crate::script::value::current::install(Some(self.rt.clone()));
        CtxGuard
    }

    fn fn_info(&self, name: &str) -> Option<Rc<FnInfo>> {
        if let Some(last) = self.last_fn.borrow().as_ref()
            && *last.name == *name
        {
            return Some(last.clone());
        }
        let info = self.fns.get(name)?.clone();
        *self.last_fn.borrow_mut() = Some(info.clone());
        Some(info)
    }

    /// Where a script function's body starts.
    pub(super) fn body_position(&self, f: &FnPtr) -> Option<Position> {
        self.fn_info(f.fn_name()).map(|i| i.body_start)
    }

    /// How many arguments a closure declares (after its curried ones);
    /// None for a function the script does not define.
    pub fn arity(&self, f: &FnPtr) -> Option<usize> {
        self.fn_info(f.fn_name())
            .map(|info| info.arity.saturating_sub(f.curry().len()))
    }

    /// Adapts an argument list to what a closure declares: extra arguments
    /// are dropped, missing ones are `()` (JS's `undefined`).
    pub fn adapt_args(&self, f: &FnPtr, mut args: Vec<Dynamic>) -> Vec<Dynamic> {
        if let Some(info) = self.fn_info(f.fn_name()) {
            let wanted = info.arity.saturating_sub(f.curry().len());
            args.resize(wanted, Dynamic::UNIT);
        }
        args
    }

    /// A script path as labels show it: relative to the scenario's
    /// directory when inside it, so traces do not depend on where the
    /// project is checked out.
    pub fn relative_path<'a>(&self, path: &'a str) -> std::borrow::Cow<'a, str> {
        let dir = self
            .source
            .path
            .parent()
            .map(|d| d.to_string_lossy().into_owned());
        match dir {
            Some(d) if !d.is_empty() => match path.strip_prefix(&d) {
                Some(rest) => rest.trim_start_matches('/').to_string().into(),
                None => path.into(),
            },
            _ => path.into(),
        }
    }

    /// Where a function's body starts (line) and, when its body prints a
    /// literal with `console.log`, that text: "what it will print", for
    /// the player's queue labels.
    pub fn describe_fn(&self, f: &FnPtr) -> (u32, Option<String>) {
        match self.fn_info(f.fn_name()) {
            Some(info) => info
                .described
                .get_or_init(|| self.describe_fn_uncached(&info))
                .clone(),
            None => (0, None),
        }
    }

    fn describe_fn_uncached(&self, info: &FnInfo) -> (u32, Option<String>) {
        let line = info.body_start.line().unwrap_or(0) as u32;
        let text = self.source_between(info.body_start, info.body_end);
        (line, text.and_then(|t| first_logged_literal(&t)))
    }

    fn source_between(&self, start: Position, end: Position) -> Option<String> {
        let offset = |p: Position| -> Option<usize> {
            let (line, col) = (p.line()?, p.position().unwrap_or(1));
            let mut off = 0;
            for (i, l) in self.source.text.split_inclusive('\n').enumerate() {
                if i + 1 == line {
                    return Some(
                        off + l
                            .char_indices()
                            .nth(col.saturating_sub(1))
                            .map_or(l.len(), |(b, _)| b),
                    );
                }
                off += l.len();
            }
            None
        };
        let a = offset(start)?;
        // A body without braces has no end position: it ends on its line
        // at the latest (never read on into the rest of the file).
        let line_end = self.source.text[a..]
            .find('\n')
            .map_or(self.source.text.len(), |n| a + n);
        let b = offset(end).unwrap_or(line_end).max(a);
        self.source.text.get(a..b.min(a + 2000)).map(str::to_string)
    }

    pub fn line_of(&self, pos: Position) -> u32 {
        pos.line().unwrap_or(0) as u32
    }
}

#[must_use = "dropping the guard uninstalls the scenario context"]
pub struct CtxGuard;

impl Drop for CtxGuard {
    fn drop(&mut self) {
        let ctx = CTX.with(|c| c.borrow_mut().take());
        crate::script::value::current::install(None);
        if let Some(ctx) = ctx {
            // Suspended bodies hold their own frames; unwind them now, with
            // the table borrow released.
            ctx.coroutines.drop_suspended();
        }
        clear_yielders();
    }
}

/// The installed context. Script functions only run while one is installed.
pub fn ctx() -> Result<Rc<Ctx>, Box<EvalAltResult>> {
    CTX.with(|c| c.borrow().clone())
        .ok_or_else(|| "workbench: no scenario is running on this thread".into())
}

/// The first string literal passed to `console.log` in a piece of source.
fn first_logged_literal(text: &str) -> Option<String> {
    let at = text.find("console.log(")? + "console.log(".len();
    let rest = text[at..].trim_start();
    let quote = rest
        .chars()
        .next()
        .filter(|c| matches!(c, '"' | '`' | '\''))?;
    let mut out = String::new();
    let mut escaped = false;
    for c in rest[1..].chars() {
        if escaped {
            out.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == quote {
            const MAX: usize = 32;
            if out.chars().count() > MAX {
                let mut cut: String = out.chars().take(MAX).collect();
                // Never half an interpolation (`${fro…`): cut before it.
                if let Some(open) = cut.rfind("${")
                    && !cut[open..].contains('}')
                {
                    cut.truncate(open);
                }
                out = cut.trim_end().to_string() + "…";
            }
            return Some(out);
        } else {
            out.push(c);
        }
    }
    None
}
