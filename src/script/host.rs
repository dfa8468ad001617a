//! The host side of the runtime: Rhai values and functions as the model's
//! [`HostTypes`], the [`Invoke`] implementation that runs them, and the
//! coroutines that let an `async_fn` body suspend at `await`.
//!
//! Script functions reach the runtime through a per-thread context ([`Ctx`]):
//! registered Rhai functions are plain closures inside the engine, and the
//! engine itself lives in the context, so a thread-local is the one place
//! both can find each other. One scenario runs per thread at a time.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};
use rhai::{
    AST, Caches, Dynamic, Engine, EvalAltResult, FnPtr, GlobalRuntimeState, Position, Scope,
};

use super::source::Source;
use super::value::inspect;
use super::value::print::no_side_effects_to_string;
use super::value::{
    JsBuffer, JsError, JsFunc, JsPromise, JsStats, Rh, SettledRecord, to_inspect, to_js_string,
};
use crate::runtime::buffer::Alloc;
use crate::runtime::pool::{IoResult, Output};
use crate::runtime::{
    Abrupt, CoId, Fatal, HostTypes, Invoke, Origin, Promise, Resolvable, Resolver, Shared, Site,
    Stop,
};

impl HostTypes for Rh {
    type Value = Dynamic;
    type Func = JsFunc;

    fn undefined() -> Dynamic {
        Dynamic::UNIT
    }

    fn classify(value: &Dynamic) -> Resolvable<Rh> {
        if let Some(p) = value.read_lock::<JsPromise>() {
            return Resolvable::Promise(p.0.clone());
        }
        if value.is_map()
            && let Some(map) = value.read_lock::<rhai::Map>()
            && let Some(then) = map.get("then")
            && let Some(f) = JsFunc::from_dynamic(then)
        {
            return Resolvable::Thenable(f);
        }
        Resolvable::Plain
    }

    fn promise_value(promise: Promise<Rh>) -> Dynamic {
        Dynamic::from(JsPromise(promise))
    }

    fn resolver_value(resolver: Resolver<Rh>) -> Dynamic {
        super::value::resolver_value(resolver)
    }

    fn type_error(message: &str) -> Dynamic {
        Dynamic::from(JsError::new("TypeError", message))
    }

    fn aggregate_error(errors: Vec<Dynamic>) -> Dynamic {
        let mut e = JsError::new("AggregateError", "All promises were rejected");
        e.props.push(("errors".into(), Dynamic::from_array(errors)));
        Dynamic::from(e)
    }

    fn array(items: Vec<Dynamic>) -> Dynamic {
        Dynamic::from_array(items)
    }

    fn settled_record(fulfilled: bool, value: Dynamic) -> Dynamic {
        Dynamic::from(SettledRecord { fulfilled, value })
    }

    fn number(n: f64) -> Dynamic {
        if n.fract() == 0.0 && n.abs() < 9.0e15 {
            Dynamic::from(n as i64)
        } else {
            Dynamic::from(n)
        }
    }

    fn string(s: &str) -> Dynamic {
        Dynamic::from(s.to_string())
    }

    fn clone_value(value: &Dynamic) -> crate::runtime::worker::Cloned {
        // An uncloneable error value (a function...) still reaches the
        // parent, as Node's serializer falls back to its string form.
        super::value::clone::to_cloned(value, &[])
            .unwrap_or_else(|_| crate::runtime::worker::Cloned::Str(to_js_string(value)))
    }

    fn from_cloned(value: crate::runtime::worker::Cloned) -> Dynamic {
        super::value::clone::from_cloned(value)
    }

    fn worker_error(value: crate::runtime::worker::Cloned) -> Dynamic {
        let v = super::value::clone::from_cloned(value);
        if let Some(mut e) = v.read_lock::<JsError>().map(|e| e.clone()) {
            e.emitted_on = Some("Worker");
            return Dynamic::from(e);
        }
        // `emit('error', v)` of a non-Error without a listener throws
        // ERR_UNHANDLED_ERROR (lib/events.js).
        let mut e = JsError::new(
            "Error",
            &format!(
                "Unhandled error. ({})",
                super::value::inspect::inspect(&to_inspect(&v))
            ),
        );
        e.props.push((
            "code".into(),
            Dynamic::from("ERR_UNHANDLED_ERROR".to_string()),
        ));
        e.props.push(("context".into(), v));
        e.emitted_on = Some("Worker");
        Dynamic::from(e)
    }

    fn unhandled_rejection_error(reason: &Dynamic) -> Option<Dynamic> {
        if reason.is::<JsError>() {
            return None;
        }
        let mut e = JsError::new(
            "UnhandledPromiseRejection",
            &format!(
                "This error originated either by throwing inside of an async function without a catch block, or by rejecting a promise which was not handled with .catch(). The promise rejected with the reason \"{}\".",
                no_side_effects_to_string(reason)
            ),
        );
        e.props.push((
            "code".into(),
            Dynamic::from("ERR_UNHANDLED_REJECTION".to_string()),
        ));
        Some(Dynamic::from(e))
    }

    fn chunk_kind(v: &Dynamic) -> crate::runtime::stream::ChunkKind {
        super::value::stream::chunk_kind(v)
    }

    fn byte_len(v: &Dynamic) -> usize {
        super::value::stream::byte_len(v)
    }

    fn to_buffer(rt: &mut crate::runtime::Runtime<Rh>, v: &Dynamic) -> Dynamic {
        super::value::stream::to_buffer(rt, v)
    }

    fn concat(rt: &mut crate::runtime::Runtime<Rh>, parts: Vec<Dynamic>) -> Dynamic {
        super::value::stream::concat(rt, parts)
    }

    fn slice(
        rt: &mut crate::runtime::Runtime<Rh>,
        v: &Dynamic,
        start: usize,
        end: usize,
    ) -> Dynamic {
        super::value::stream::slice(rt, v, start, end)
    }

    fn stream_error(e: crate::runtime::stream::StreamErr, culprit: Option<&Dynamic>) -> Dynamic {
        super::value::stream::stream_error(e, culprit)
    }

    fn error_code(v: &Dynamic) -> Option<String> {
        let e = v.read_lock::<JsError>()?;
        let code = e.get("code");
        code.is_string().then(|| code.to_string())
    }

    fn truthy(v: &Dynamic) -> bool {
        super::value::stream::truthy(v)
    }

    fn null() -> Dynamic {
        null()
    }

    fn stream_value(id: crate::runtime::stream::StreamId) -> Dynamic {
        super::value::JsStream::value(id)
    }

    fn stream_callback(cb: crate::runtime::stream::StreamCallback) -> Dynamic {
        super::value::stream::stream_callback_value(cb)
    }

    fn unhandled_error_event(err: &Dynamic, class: &str) -> Dynamic {
        let class: &'static str = match class {
            "Readable" => "Readable",
            "Writable" => "Writable",
            _ => "Transform",
        };
        super::value::stream::unhandled_error_event(err, class)
    }

    fn same_func(a: &JsFunc, b: &JsFunc) -> bool {
        a.same(b)
    }

    fn io_args(rt: &Shared<Rh>, result: IoResult) -> Vec<Dynamic> {
        let err = |e: &crate::runtime::fs::FsError| Dynamic::from(JsError::from_fs(e));
        let buffer = |r: Result<JsBuffer, _>| match r {
            Ok(b) => Dynamic::from(b),
            Err(_) => Dynamic::from(super::value::buffer::allocation_failed()),
        };
        match result {
            // ReadFileContext: `Buffer.allocUnsafeSlow(size)`, never pooled.
            IoResult::ReadFile(Ok(bytes)) => {
                vec![
                    null(),
                    buffer(
                        rt.borrow_mut()
                            .quietly(|r| r.buffer_with(&bytes, Alloc::Own)),
                    ),
                ]
            }
            IoResult::ReadText(Ok(text)) => vec![null(), Dynamic::from(text)],
            IoResult::ReadFile(Err(e))
            | IoResult::ReadText(Err(e))
            | IoResult::WriteFile(Err(e))
            | IoResult::Stat(Err(e)) => {
                vec![err(&e)]
            }
            IoResult::WriteFile(Ok(())) => vec![null()],
            IoResult::Stat(Ok(st)) => vec![null(), Dynamic::from(JsStats(st))],
            // randomBytes: `new FastBuffer(size)`; pbkdf2: a view on the
            // job's ArrayBuffer. Neither is pooled.
            IoResult::Job(Ok(Output::Bytes(b))) => {
                vec![
                    null(),
                    buffer(rt.borrow_mut().quietly(|r| r.buffer_with(&b, Alloc::Own))),
                ]
            }
            IoResult::Zlib { gzip, bytes } => {
                vec![
                    null(),
                    buffer(super::value::buffer::zlib_result(rt, gzip, &bytes)),
                ]
            }
            IoResult::Job(Ok(Output::Address { address, family })) => vec![
                null(),
                Dynamic::from(address.to_string()),
                Dynamic::from(family as i64),
            ],
            IoResult::Job(Ok(_)) => vec![null()],
            IoResult::Job(Err(e)) => vec![Dynamic::from(JsError::from_task(&e))],
        }
    }
}

fn null() -> Dynamic {
    Dynamic::from(super::value::JsNull)
}

/// Carried by `ErrorTerminated` so a [`Stop`] unwinds through Rhai frames
/// (Rhai's try/catch cannot catch it).
#[derive(Clone, Debug)]
pub struct StopToken(pub Stop);

pub fn stop_error(stop: Stop, pos: Position) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorTerminated(
        Dynamic::from(StopToken(stop)),
        pos,
    ))
}

type CoInput = Result<Dynamic, Dynamic>;
type CoYield = (Dynamic, Position);
type CoReturn = Result<Dynamic, Box<EvalAltResult>>;
type AsyncBody = Coroutine<CoInput, CoYield, CoReturn, DefaultStack>;

/// Stack for one async body. Rhai's evaluator recurses, and the call-depth
/// limit keeps it well inside this; pages are only touched as used.
const COROUTINE_STACK_BYTES: usize = 1 << 20;

struct Suspended {
    body: AsyncBody,
    promise: Promise<Rh>,
}

thread_local! {
    static CTX: RefCell<Option<Rc<Ctx>>> = const { RefCell::new(None) };
    /// Yielders of the async bodies currently executing, innermost last.
    static YIELDERS: RefCell<Vec<*const Yielder<CoInput, CoYield>>> = const { RefCell::new(Vec::new()) };
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
    suspended: RefCell<HashMap<u32, Suspended>>,
    next_co: Cell<u32>,
    /// Where the last `throw` (or runtime error) happened, for reports.
    pub last_throw: Cell<Position>,
    stacks: RefCell<Vec<DefaultStack>>,
    /// Lesson parameters set from outside (`--param`, the player's knobs).
    pub overrides: std::collections::BTreeMap<String, String>,
    /// What the file declared (lesson metadata, params, expectations...).
    pub decl: RefCell<super::lesson::decl::Declarations>,
    pub mode: Cell<super::lesson::decl::Mode>,
    pub scenario_fn: RefCell<Option<FnPtr>>,
    /// CommonJS or an ES module (error reports name an ES module by URL).
    pub module: crate::runtime::ModuleKind,
    /// Evaluation states for calls into script functions, reused from one
    /// callback to the next (one per nesting level in use). Boxed: a state
    /// is large and moves in and out of the pool on every call, which
    /// measurably costs more than the pointer.
    #[allow(clippy::vec_box)]
    call_states: RefCell<Vec<Box<CallState>>>,
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
    pub fn new(engine: Engine, ast: AST, rt: Shared<Rh>, source: Source) -> Self {
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
            suspended: RefCell::new(HashMap::new()),
            next_co: Cell::new(0),
            last_throw: Cell::new(Position::NONE),
            stacks: RefCell::new(Vec::new()),
            overrides: Default::default(),
            decl: Default::default(),
            mode: Default::default(),
            scenario_fn: RefCell::new(None),
            module: Default::default(),
            call_states: RefCell::new(Vec::new()),
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
    /// and lookups behave exactly as with a new one. Re-entrant: a nested
    /// call takes another state.
    pub fn call_fn(
        &self,
        f: &FnPtr,
        this: Option<&mut Dynamic>,
        args: Vec<Dynamic>,
    ) -> Result<Dynamic, Box<EvalAltResult>> {
        let popped = self.call_states.borrow_mut().pop();
        let mut st = popped.unwrap_or_else(|| self.new_call_state());
        let g = &mut st.global;
        g.num_operations = 0;
        g.level = 0;
        g.scope_level = 0;
        g.always_search_scope = false;
        g.source = None;
        g.lib.truncate(1);
        g.truncate_imports(0);
        g.embedded_module_resolver = None;
        g.constants = None;
        st.scope.clear();
        let result = f.call_with_state(
            &self.engine,
            &mut st.global,
            &mut st.caches,
            &mut st.scope,
            this,
            args,
        );
        st.scope.clear();
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
        super::value::current::install(Some(self.rt.clone()));
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
    fn body_position(&self, f: &FnPtr) -> Option<Position> {
        self.fn_info(f.fn_name()).map(|i| i.body_start)
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
        super::value::current::install(None);
        if let Some(ctx) = ctx {
            // Suspended bodies hold their own frames; unwind them now, with
            // the table borrow released.
            let suspended: Vec<_> = ctx.suspended.borrow_mut().drain().collect();
            drop(suspended);
        }
        YIELDERS.with(|y| y.borrow_mut().clear());
    }
}

/// The installed context. Script functions only run while one is installed.
pub fn ctx() -> Result<Rc<Ctx>, Box<EvalAltResult>> {
    CTX.with(|c| c.borrow().clone())
        .ok_or_else(|| "workbench: no scenario is running on this thread".into())
}

/// How a Rhai error maps onto JavaScript.
pub enum Classified {
    Throw(Dynamic, Position),
    Stop(Stop),
}

/// Exit code for budgets (operations, call depth, sizes, events).
pub const EXIT_BUDGET: i32 = crate::runtime::driver::EXIT_BUDGET;

#[expect(clippy::boxed_local, reason = "Rhai hands errors over boxed")]
pub fn classify_error(ctx: &Ctx, err: Box<EvalAltResult>) -> Classified {
    classify_at(ctx, *err, Position::NONE)
}

/// `outer` is the position of the enclosing call, used when the error
/// itself carries none (Rhai reports some errors at the call site only).
fn classify_at(ctx: &Ctx, err: EvalAltResult, outer: Position) -> Classified {
    let budget = |what: String, pos: Position| {
        let pos = if pos.is_none() { outer } else { pos };
        let (line, col) = (pos.line().unwrap_or(0), pos.position().unwrap_or(1));
        let report = if line > 0 {
            format!("workbench: {what}\n{}", ctx.source.excerpt(line, col))
        } else {
            format!("workbench: {what}")
        };
        Classified::Stop(Stop::Fatal(Fatal {
            message: report,
            exit_code: EXIT_BUDGET,
        }))
    };
    match err {
        EvalAltResult::ErrorInFunctionCall(_, _, inner, pos) => match classify_at(ctx, *inner, pos) {
            Classified::Throw(v, p) if p.is_none() => Classified::Throw(v, pos),
            other => other,
        },
        EvalAltResult::ErrorRuntime(v, pos) => Classified::Throw(v, pos),
        EvalAltResult::ErrorTerminated(token, pos) => match token.read_lock::<StopToken>() {
            Some(t) => Classified::Stop(t.0.clone()),
            None => budget("the run was terminated".into(), pos),
        },
        EvalAltResult::ErrorTooManyOperations(pos) => budget(
            "operations budget exceeded: one callback ran too long (an endless loop?). Raise it with --max-ops.".into(),
            pos,
        ),
        EvalAltResult::ErrorStackOverflow(pos) => budget(
            "call depth limit exceeded: runaway recursion?".into(),
            pos,
        ),
        EvalAltResult::ErrorDataTooLarge(what, pos) => {
            budget(format!("{what} exceeds the size limit"), pos)
        }
        EvalAltResult::ErrorDataRace(_, pos) => Classified::Throw(
            Dynamic::from(JsError::new(
                "TypeError",
                "an array, map or string is used inside a callback of a method still running on it (for example `list.for_each(|x| list.len())`): Rhai updates these values in place when the method returns. Read what the callback needs before the call (`let n = list.len();`)",
            )),
            if pos.is_none() { outer } else { pos },
        ),
        other => {
            let pos = other.position();
            let name = match &other {
                EvalAltResult::ErrorVariableNotFound(..) | EvalAltResult::ErrorFunctionNotFound(..) => {
                    "ReferenceError"
                }
                _ => "TypeError",
            };
            let message = super::source::strip_position(&other.to_string());
            Classified::Throw(Dynamic::from(JsError::new(name, &message)), pos)
        }
    }
}

/// Starts an async function: runs its body until the first `await` (or the
/// end) and returns its promise.
pub fn start_async(
    ctx: &Rc<Ctx>,
    f: &FnPtr,
    args: Vec<Dynamic>,
) -> Result<Dynamic, Box<EvalAltResult>> {
    let promise = ctx.rt.borrow_mut().new_promise();
    let args = ctx.adapt_args(f, args);
    let f = f.clone();
    spawn(ctx, promise.clone(), move || {
        ctx_for_body()?.call_fn(&f, None, args)
    })?;
    Ok(Dynamic::from(JsPromise(promise)))
}

/// Starts an ES module's body with top-level `await` (an async module):
/// runs it until its first `await` (or its end) and returns the promise
/// its completion settles. Its value is never a result: a module body
/// yields nothing.
pub fn start_module(
    ctx: &Rc<Ctx>,
    body: fn(&Rc<Ctx>) -> Result<(), Box<EvalAltResult>>,
) -> Result<Promise<Rh>, Box<EvalAltResult>> {
    let promise = ctx.rt.borrow_mut().new_promise();
    spawn(ctx, promise.clone(), move || {
        body(&ctx_for_body()?).map(|()| Dynamic::UNIT)
    })?;
    Ok(promise)
}

/// Runs `body` on a coroutine of its own until it first suspends at
/// `await` or ends; its end settles `promise`.
fn spawn(
    ctx: &Rc<Ctx>,
    promise: Promise<Rh>,
    body: impl FnOnce() -> CoReturn + 'static,
) -> Result<(), Box<EvalAltResult>> {
    let stack = match ctx.stacks.borrow_mut().pop() {
        Some(s) => s,
        None => DefaultStack::new(COROUTINE_STACK_BYTES)
            .map_err(|e| format!("cannot allocate a stack for an async function: {e}"))?,
    };
    let co: AsyncBody = Coroutine::with_stack(
        stack,
        move |yielder: &Yielder<CoInput, CoYield>, _first: CoInput| {
            YIELDERS.with(|y| y.borrow_mut().push(yielder as *const _));
            let result = body();
            YIELDERS.with(|y| y.borrow_mut().pop());
            result
        },
    );
    drive(ctx, co, promise, Ok(Dynamic::UNIT))
}

fn ctx_for_body() -> Result<Rc<Ctx>, Box<EvalAltResult>> {
    ctx()
}

/// Resumes a body and handles where it stops: another `await` (register
/// the continuation), a return (resolve), a throw (reject), or a [`Stop`]
/// (propagate).
fn drive(
    ctx: &Rc<Ctx>,
    mut body: AsyncBody,
    promise: Promise<Rh>,
    input: CoInput,
) -> Result<(), Box<EvalAltResult>> {
    match body.resume(input) {
        CoroutineResult::Yield((value, pos)) => {
            let id = ctx.next_co.get();
            ctx.next_co.set(id + 1);
            ctx.suspended
                .borrow_mut()
                .insert(id, Suspended { body, promise });
            let site = Site {
                line: ctx.line_of(pos),
                body_line: 0,
                label: "await".into(),
            };
            ctx.rt.borrow_mut().await_value(CoId(id), value, &site);
            Ok(())
        }
        CoroutineResult::Return(result) => {
            if body.done() {
                ctx.stacks.borrow_mut().push(body.into_stack());
            }
            match result {
                Ok(v) => {
                    ctx.rt.borrow_mut().resolve_promise(&promise, v);
                    Ok(())
                }
                Err(e) => match classify_error(ctx, e) {
                    Classified::Throw(v, pos) => {
                        ctx.last_throw.set(pos);
                        ctx.rt.borrow_mut().reject_promise(&promise, v);
                        Ok(())
                    }
                    Classified::Stop(stop) => Err(stop_error(stop, Position::NONE)),
                },
            }
        }
    }
}

/// The `await EXPR` hook: suspends the innermost async body.
pub fn await_hook(
    _ctx: &mut rhai::EvalContext,
    value: Dynamic,
    pos: Position,
) -> Result<Dynamic, Box<EvalAltResult>> {
    let yielder = YIELDERS.with(|y| y.borrow_mut().pop());
    let Some(yielder) = yielder else {
        return Err(Box::new(EvalAltResult::ErrorRuntime(
            Dynamic::from(JsError::new(
                "SyntaxError",
                "await is only valid in async functions (async_fn bodies)",
            )),
            pos,
        )));
    };
    // SAFETY: the pointer was pushed by the body now running on this stack;
    // the yielder lives as long as that body, which is suspended (not
    // dropped) while we wait, and the pointer is re-pushed before returning.
    let input = unsafe { &*yielder }.suspend((value, pos));
    YIELDERS.with(|y| y.borrow_mut().push(yielder));
    match input {
        Ok(v) => Ok(v),
        Err(reason) => Err(Box::new(EvalAltResult::ErrorRuntime(reason, pos))),
    }
}

/// Calls a script function from script code (`f.call(...)`, emitters,
/// executors): errors stay Rhai errors so they propagate naturally.
pub fn call_from_script(
    ctx: &Rc<Ctx>,
    func: &JsFunc,
    args: Vec<Dynamic>,
) -> Result<Dynamic, Box<EvalAltResult>> {
    match func {
        JsFunc::Closure(f) => {
            let args = ctx.adapt_args(f, args);
            ctx.call_fn(f, None, args).map_err(|e| match *e {
                EvalAltResult::ErrorTooManyOperations(pos) if pos.is_none() => {
                    let body = ctx.body_position(f).unwrap_or(pos);
                    Box::new(EvalAltResult::ErrorTooManyOperations(body))
                }
                other => Box::new(other),
            })
        }
        JsFunc::Async(f) => start_async(ctx, f, args),
        JsFunc::Resolver(r) => {
            let v = args.into_iter().next().unwrap_or(Dynamic::UNIT);
            ctx.rt.borrow_mut().call_resolver(r, v);
            Ok(Dynamic::UNIT)
        }
    }
}

/// Calls a script function with `this` bound (a stream option such as
/// `read: |size| { this.push(x) }` sees the stream as `this`).
pub fn call_method_from_script(
    ctx: &Rc<Ctx>,
    func: &JsFunc,
    mut this: Dynamic,
    args: Vec<Dynamic>,
) -> Result<Dynamic, Box<EvalAltResult>> {
    match func {
        JsFunc::Closure(f) => {
            let args = ctx.adapt_args(f, args);
            ctx.call_fn(f, Some(&mut this), args).map_err(|e| match *e {
                EvalAltResult::ErrorTooManyOperations(pos) if pos.is_none() => {
                    let body = ctx.body_position(f).unwrap_or(pos);
                    Box::new(EvalAltResult::ErrorTooManyOperations(body))
                }
                other => Box::new(other),
            })
        }
        other => call_from_script(ctx, other, args),
    }
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
                out = out.chars().take(MAX).collect::<String>() + "…";
            }
            return Some(out);
        } else {
            out.push(c);
        }
    }
    None
}

/// The driver's view of the host.
pub struct Host {
    pub ctx: Rc<Ctx>,
}

impl Invoke<Rh> for Host {
    fn call(&mut self, func: &JsFunc, args: Vec<Dynamic>) -> Result<Dynamic, Abrupt<Dynamic>> {
        call_from_script(&self.ctx, func, args).map_err(|e| self.abrupt(e))
    }

    fn call_method(
        &mut self,
        func: &JsFunc,
        this: Dynamic,
        args: Vec<Dynamic>,
    ) -> Result<Dynamic, Abrupt<Dynamic>> {
        call_method_from_script(&self.ctx, func, this, args).map_err(|e| self.abrupt(e))
    }

    fn resume(&mut self, co: CoId, input: Result<Dynamic, Dynamic>) -> Result<(), Stop> {
        let entry = self.ctx.suspended.borrow_mut().remove(&co.0);
        let Some(Suspended { body, promise }) = entry else {
            return Ok(());
        };
        drive(&self.ctx, body, promise, input).map_err(|e| match classify_error(&self.ctx, e) {
            Classified::Stop(s) => s,
            Classified::Throw(v, _) => Stop::Fatal(Fatal {
                message: format!(
                    "workbench: internal error: an async body escaped with {}",
                    to_js_string(&v)
                ),
                exit_code: 70,
            }),
        })
    }

    fn uncaught_report(&mut self, value: &Dynamic, origin: Origin) -> String {
        uncaught_report(&self.ctx, value, origin)
    }
}

impl Host {
    pub fn abrupt(&self, e: Box<EvalAltResult>) -> Abrupt<Dynamic> {
        match classify_error(&self.ctx, e) {
            Classified::Throw(v, pos) => {
                self.ctx.last_throw.set(pos);
                Abrupt::Throw(v)
            }
            Classified::Stop(s) => Abrupt::Stop(s),
        }
    }
}

/// The Node version whose behaviour (and report format) the model follows.
pub const NODE_VERSION: &str = "v20.20.2";

/// What Node prints on stderr for an error nobody handled.
pub fn uncaught_report(ctx: &Ctx, value: &Dynamic, origin: Origin) -> String {
    let footer = format!("\n\nNode.js {NODE_VERSION}");
    if let Some(e) = value.read_lock::<JsError>()
        && e.name == "UnhandledPromiseRejection"
    {
        return format!(
            "node:internal/process/promises:389\n      new UnhandledPromiseRejection(reason);\n      ^\n\n\
             UnhandledPromiseRejection: {}\n    \
             at throwUnhandledRejectionsMode (node:internal/process/promises:389:7)\n    \
             at processPromiseRejections (node:internal/process/promises:470:17)\n    \
             at process.processTicksAndRejections (node:internal/process/task_queues:96:32) {{\n  code: 'ERR_UNHANDLED_REJECTION'\n}}{footer}",
            e.message
        );
    }
    // A thrown error is reported where it was thrown; a rejection, where
    // the error was made (node shows its first stack frame).
    let made_at = value
        .read_lock::<JsError>()
        .map(|e| e.site)
        .filter(|p| !p.is_none());
    let pos = match made_at {
        Some(site) if origin == Origin::UnhandledRejection || ctx.last_throw.get().is_none() => {
            site
        }
        _ => ctx.last_throw.get(),
    };
    let emitted = value.read_lock::<JsError>().and_then(|e| e.emitted_on);
    let header = match (pos.line(), pos.position()) {
        // A worker's error is emitted by Node's MessagePort code, which
        // rethrows from a nextTick of its EventTarget.
        _ if emitted == Some("Worker") => "node:internal/event_target:1105\n  process.nextTick(() => { throw err; });\n                           ^".to_string(),
        // EventEmitter rethrows an unheard 'error' event from lib/events.js.
        _ if emitted.is_some() => {
            "node:events:502\n      throw er; // Unhandled 'error' event\n      ^".to_string()
        }
        // An ES module's uncaught throw of a non-Error: Node reports it
        // from the loader, which rethrows the rejection of its evaluation.
        _ if origin == Origin::UnhandledRejection
            && ctx.module == crate::runtime::ModuleKind::Esm
            && value.read_lock::<JsError>().is_none() =>
        {
            "node:internal/modules/run_main:123\n    triggerUncaughtException(\n    ^".to_string()
        }
        (Some(line), col) => {
            let header = ctx.source.node_header(line, col.unwrap_or(1));
            match ctx.module {
                crate::runtime::ModuleKind::Cjs => header,
                crate::runtime::ModuleKind::Esm => format!("file://{header}"),
            }
        }
        _ => ctx.script_name(),
    };
    if let Some(e) = value.read_lock::<JsError>()
        && let Some(on @ "Worker") = e.emitted_on
        && e.props.is_empty()
    {
        // A worker's error, emitted on its Worker object with no listener:
        // Node rethrows it from a nextTick of its EventTarget code.
        return format!(
            "node:internal/event_target:1105\n  process.nextTick(() => {{ throw err; }});\n                           ^\n\n\
             {}\n    at {}\nEmitted 'error' event on {on} instance at:\n    \
             at [kOnErrorMessage] (node:internal/worker:333:10){footer}",
            e.to_js_string(),
            ctx.script_name()
        );
    }
    if let Some(e) = value.read_lock::<JsError>() {
        // Node prints the error's stack, then its own properties. Internal
        // errors show their code in the head: `Error [ERR_X]: message`.
        let code = e
            .props
            .iter()
            .find(|(k, v)| k == "code" && v.to_string().starts_with("ERR_"))
            .map(|(_, v)| v.to_string());
        let head = match code {
            Some(code) => format!("{} [{code}]: {}", e.name, e.message),
            None => e.to_js_string(),
        };
        let body = inspect::inspect(&inspect::Inspect::Error {
            name: e.name.clone(),
            message: e.message.clone(),
            stack: Some(match e.emitted_on {
                // EventEmitter's report for an 'error' event nobody heard.
                Some(class) if class != "Worker" => format!(
                    "{head}\n    at {}\nEmitted 'error' event on {class} instance at:\n    at emitErrorNT (node:internal/streams/destroy:169:8)",
                    ctx.script_name()
                ),
                _ => format!("{head}\n    at {}", ctx.script_name()),
            }),
            props: e
                .props
                .iter()
                .map(|(k, v)| (k.clone(), to_inspect(v)))
                .collect(),
        });
        return format!("{header}\n\n{body}{footer}");
    }
    // A thrown primitive prints bare, with a hint; an object is inspected.
    let primitive = value.is_unit()
        || value.is_string()
        || value.is_int()
        || value.is_float()
        || value.is_bool()
        || value.is_char();
    if primitive {
        format!(
            "\n{header}\n{}\n(Use `node --trace-uncaught ...` to show where the exception was thrown){footer}",
            to_js_string(value)
        )
    } else {
        format!(
            "\n{header}\n{}{footer}",
            inspect::inspect(&to_inspect(value))
        )
    }
}
