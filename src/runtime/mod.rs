//! The model of Node.js v20 and libuv 1.46. It knows nothing of Rhai: script
//! functions and values are opaque types supplied by the host
//! ([`HostTypes`]), and the host runs them when the driver asks
//! ([`Invoke`]). Everything the model does is appended to a [`Trace`].
//!
//! The state lives in [`Runtime`]; the host keeps it in a [`Shared`] cell so
//! that script functions can schedule work while the driver
//! ([`driver::run`]) is between callbacks. The driver never holds a borrow
//! while script code runs.

pub mod buffer;
pub mod clock;
pub mod cores;
pub mod driver;
pub mod eld;
pub mod env;
pub mod events;
pub mod fs;
pub mod mail;
pub mod memory;
pub mod net;
pub mod pool;
pub mod procs;
pub mod promise;
pub mod stream;
pub mod threads;
pub mod timers;
pub mod worker;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use crate::trace::{
    CallbackInfo, CallbackKind, CbId, Event, Kind, Phase, RaceInfo, RaceKind, Stream, Trace,
};
use clock::{Clock, ClockMode};
use events::Emitter;
use pool::{FsRequest, IoResult, Pool};
use promise::{Aggregate, Combinator, Handler, PromiseData, Reaction, ThenTarget};
pub use promise::{Promise, PromiseState, Resolvable, Resolver};
use timers::{TimerId, Timers};

/// The host's types: what a script value and a script function are, and how
/// the model builds the few values it must create itself.
pub trait HostTypes: Sized + 'static {
    type Value: Clone;
    type Func: Clone;
    fn undefined() -> Self::Value;
    /// How a value takes part in promise resolution (is it a native promise,
    /// a thenable, or plain?). Reading `then` happens here, synchronously.
    fn classify(value: &Self::Value) -> Resolvable<Self>;
    fn promise_value(promise: Promise<Self>) -> Self::Value;
    fn resolver_value(resolver: Resolver<Self>) -> Self::Value;
    fn type_error(message: &str) -> Self::Value;
    fn aggregate_error(errors: Vec<Self::Value>) -> Self::Value;
    fn array(items: Vec<Self::Value>) -> Self::Value;
    /// `{ status: 'fulfilled', value }` / `{ status: 'rejected', reason }`.
    fn settled_record(fulfilled: bool, value: Self::Value) -> Self::Value;
    fn number(n: f64) -> Self::Value;
    fn string(s: &str) -> Self::Value;
    /// The arguments an fs callback receives for a result (the runtime is
    /// there to allocate result Buffers with Node's rules).
    fn io_args(rt: &Shared<Self>, result: IoResult) -> Vec<Self::Value>;
    /// Node wraps a non-Error rejection reason in an
    /// `UnhandledPromiseRejection` error before treating it as an uncaught
    /// exception; None keeps the reason as it is.
    fn unhandled_rejection_error(_reason: &Self::Value) -> Option<Self::Value> {
        None
    }
    /// The structured clone of a value (a worker's uncaught error).
    fn clone_value(_value: &Self::Value) -> worker::Cloned {
        worker::Cloned::Undefined
    }
    /// A value received from another thread.
    fn from_cloned(_value: worker::Cloned) -> Self::Value {
        Self::undefined()
    }
    /// A worker's uncaught error as its parent sees it: emitted as
    /// `'error'` on the Worker object (reports say so).
    fn worker_error(value: worker::Cloned) -> Self::Value {
        Self::from_cloned(value)
    }

    // --- streams (defaults keep hosts without streams small) ---

    /// What a chunk is: null, undefined, a string, bytes, or anything else.
    fn chunk_kind(_v: &Self::Value) -> stream::ChunkKind {
        stream::ChunkKind::Other
    }
    /// A string's or buffer's length in bytes.
    fn byte_len(_v: &Self::Value) -> usize {
        0
    }
    /// `Buffer.from(string)` (a buffer stays as it is).
    fn to_buffer(_rt: &mut Runtime<Self>, v: &Self::Value) -> Self::Value {
        v.clone()
    }
    /// `Buffer.concat(parts)`.
    fn concat(_rt: &mut Runtime<Self>, parts: Vec<Self::Value>) -> Self::Value {
        parts.into_iter().next().unwrap_or_else(Self::undefined)
    }
    /// `buf.slice(start, end)`: a view on the same memory.
    fn slice(_rt: &mut Runtime<Self>, v: &Self::Value, _start: usize, _end: usize) -> Self::Value {
        v.clone()
    }
    /// One of Node's stream errors; `culprit` is described in the message.
    fn stream_error(e: stream::StreamErr, _culprit: Option<&Self::Value>) -> Self::Value {
        Self::type_error(&e.parts().2)
    }
    /// `err.code`, if it is a string.
    fn error_code(_v: &Self::Value) -> Option<String> {
        None
    }
    /// JavaScript truthiness (for `if (err)`).
    fn truthy(_v: &Self::Value) -> bool {
        true
    }
    fn null() -> Self::Value {
        Self::undefined()
    }
    /// The script value of a stream (a handle: copies are the same stream).
    fn stream_value(_id: stream::StreamId) -> Self::Value {
        Self::undefined()
    }
    /// A callable value that calls back into the model.
    fn stream_callback(_cb: stream::StreamCallback) -> Self::Value {
        Self::undefined()
    }
    /// What EventEmitter throws for an 'error' event nobody listens to,
    /// emitted on an instance of `class`.
    fn unhandled_error_event(err: &Self::Value, _class: &str) -> Self::Value {
        err.clone()
    }
    /// The same function object (for coalescing write callbacks).
    fn same_func(_a: &Self::Func, _b: &Self::Func) -> bool {
        false
    }

    // --- sockets and http (defaults keep hosts without them small) ---

    /// The script value of a server, response, client request, agent or
    /// socket.
    fn net_value(_obj: net::NetObj) -> Self::Value {
        Self::undefined()
    }
    /// One of Node's errors (`EADDRINUSE`, `ECONNREFUSED`, ...).
    fn net_error(e: &net::NetError) -> Self::Value {
        Self::type_error(&e.message)
    }
    /// Bytes read from a socket: a Buffer of their own (not pooled).
    fn net_chunk(_rt: &Shared<Self>, _bytes: &[u8]) -> Self::Value {
        Self::undefined()
    }
    /// autocannon's result object.
    fn load_result(_r: &net::load::LoadResult) -> Self::Value {
        Self::undefined()
    }

    // --- processes ---

    /// A cluster Worker or a ChildProcess.
    fn proc_value(_obj: procs::ProcObj) -> Self::Value {
        Self::undefined()
    }
    /// `JSON.parse(text)`: an IPC message as the receiver sees it.
    fn from_json(text: &str) -> Self::Value {
        Self::string(text)
    }
}

/// An async function body suspended at `await` (the host owns the stack).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CoId(pub u32);

/// Why the run stops early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// `process.exit(code)` (or a fatal uncaught exception: code 1).
    Exit(i32),
    /// A signal's default action ended the process (no `'exit'` event;
    /// the exit status a shell shows is 128 + the signal's number).
    Killed(i32),
    /// A script error or budget: the message is ready to print.
    Fatal(Fatal),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fatal {
    pub message: String,
    pub exit_code: i32,
}

/// How a call into script code ended abnormally.
pub enum Abrupt<V> {
    /// A JavaScript `throw`.
    Throw(V),
    Stop(Stop),
}

/// Where an uncaught error came from (Node's `origin` argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    UncaughtException,
    UnhandledRejection,
}

impl Origin {
    pub fn name(self) -> &'static str {
        match self {
            Origin::UncaughtException => "uncaughtException",
            Origin::UnhandledRejection => "unhandledRejection",
        }
    }
}

/// The host side of the driver: runs script functions.
pub trait Invoke<H: HostTypes> {
    fn call(&mut self, func: &H::Func, args: Vec<H::Value>) -> Result<H::Value, Abrupt<H::Value>>;
    /// Resumes a suspended async body with the awaited outcome. A rejection
    /// the body does not catch rejects its promise; only a [`Stop`] escapes.
    fn resume(&mut self, co: CoId, input: Result<H::Value, H::Value>) -> Result<(), Stop>;
    /// The stderr report Node prints for an uncaught error.
    fn uncaught_report(&mut self, value: &H::Value, origin: Origin) -> String;
    /// Calls a function with `this` bound (a stream's `read`/`write`
    /// options see the stream as `this`).
    fn call_method(
        &mut self,
        func: &H::Func,
        _this: H::Value,
        args: Vec<H::Value>,
    ) -> Result<H::Value, Abrupt<H::Value>> {
        self.call(func, args)
    }
}

/// Where script code scheduled a callback, for the trace.
#[derive(Debug, Clone, Default)]
pub struct Site {
    pub line: u32,
    pub body_line: u32,
    /// Borrowed when fixed, so scheduling a callback allocates nothing.
    pub label: std::borrow::Cow<'static, str>,
}

/// Process-wide events scripts can listen to with `process.on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProcessEvent {
    Exit,
    BeforeExit,
    UnhandledRejection,
    UncaughtException,
    /// An IPC message from the parent (a forked process).
    Message,
    /// The IPC channel closed.
    Disconnect,
}

impl ProcessEvent {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "exit" => ProcessEvent::Exit,
            "beforeExit" => ProcessEvent::BeforeExit,
            "unhandledRejection" => ProcessEvent::UnhandledRejection,
            "uncaughtException" => ProcessEvent::UncaughtException,
            "message" => ProcessEvent::Message,
            "disconnect" => ProcessEvent::Disconnect,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            ProcessEvent::Exit => "exit",
            ProcessEvent::BeforeExit => "beforeExit",
            ProcessEvent::UnhandledRejection => "unhandledRejection",
            ProcessEvent::UncaughtException => "uncaughtException",
            ProcessEvent::Message => "message",
            ProcessEvent::Disconnect => "disconnect",
        }
    }
}

/// How Node loads the main script: `node file.js` (CommonJS) or
/// `node file.mjs` (an ES module).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ModuleKind {
    /// The main script runs synchronously at startup; when it returns,
    /// Node drains the nextTick queue first, then microtasks.
    #[default]
    Cjs,
    /// The ESM loader reads the file through the thread pool
    /// (`fs/promises` readFile: open, fstat, read, close), then evaluates it
    /// inside a promise job in the poll phase: the microtasks it queues run
    /// before its nextTicks, and top-level `await` suspends it.
    Esm,
}

impl ModuleKind {
    /// `cjs` or `esm`, as the command line and lessons spell it.
    pub fn name(self) -> &'static str {
        match self {
            ModuleKind::Cjs => "cjs",
            ModuleKind::Esm => "esm",
        }
    }

    /// What a person calls it.
    pub fn title(self) -> &'static str {
        match self {
            ModuleKind::Cjs => "CommonJS",
            ModuleKind::Esm => "ES module",
        }
    }

    pub fn parse(name: &str) -> Option<ModuleKind> {
        match name {
            "cjs" => Some(ModuleKind::Cjs),
            "esm" => Some(ModuleKind::Esm),
            _ => None,
        }
    }

    /// The other kind.
    pub fn other(self) -> ModuleKind {
        match self {
            ModuleKind::Cjs => ModuleKind::Esm,
            ModuleKind::Esm => ModuleKind::Cjs,
        }
    }

    /// The file extension node decides by (`js` or `mjs`).
    pub fn extension(self) -> &'static str {
        match self {
            ModuleKind::Cjs => "js",
            ModuleKind::Esm => "mjs",
        }
    }
}

/// Settings of one run.
#[derive(Debug, Clone)]
pub struct Options {
    pub clock: ClockMode,
    /// Stop when the trace has this many events (a nextTick storm ends here).
    pub max_events: usize,
    /// Under the real clock, stop when the run has taken this long (a
    /// `busy(1e12)`, a worker waiting for ever). The virtual clock has its
    /// own horizon ([`clock::VIRTUAL_HORIZON_NS`]).
    pub max_wall: std::time::Duration,
    /// The HMAC blocks all the pbkdf2 calls of one thread's run may ask for
    /// (`--max-work`; see [`pool::MAX_RUN_PBKDF2_BLOCKS`]).
    pub max_work_blocks: u64,
    /// For each detected race (in detection order), bit i set means "the
    /// timeout wins race i" (a millisecond boundary was crossed).
    pub race_timeout_first: u64,
    /// The pool's size when `UV_THREADPOOL_SIZE` is unset (libuv's 4).
    pub pool_size: usize,
    /// What `process.env` starts as: empty unless given (see [`env`]).
    pub env: env::Env,
    /// `process.argv` after the script's path: `workbench run FILE a b`'s
    /// `a b`, or a worker's `argv` option.
    pub args: Vec<String>,
    /// Directory that fs paths are confined to.
    pub sandbox: std::path::PathBuf,
    /// Where paths that escape the sandbox are recorded (shared with the
    /// run's workers: a clone of these options).
    pub escapes: fs::Escapes,
    /// Also write console output to the process's stdout/stderr as it
    /// happens (the CLI's `run`), not only to the trace.
    pub live_console: bool,
    /// Record the trace (false: events are counted against the budget but
    /// not kept; `workbench run --no-record` measures what recording costs).
    pub record: bool,
    /// CommonJS or ES module.
    pub module: ModuleKind,
    /// The main module's path (inside the sandbox), which the ESM loader
    /// reads through the thread pool before evaluating it.
    pub entry: String,
    /// Virtual clock: the machine's cores (`os.availableParallelism()`),
    /// which the CPU work of several processes and threads shares (see
    /// [`cores`]).
    pub cores: usize,
}

/// The default event budget (`--max-events`): a runaway storm of
/// callbacks ends within a few seconds (about 3 s and 350 MB for a
/// nextTick storm on a 2-core machine); the benchmarks' million-callback
/// runs (4 M events) fit.
pub const DEFAULT_MAX_EVENTS: usize = 5_000_000;

/// How often (in trace events) [`Runtime::emit`] looks at the process's
/// memory budget and the wall clock.
const MEMORY_CHECK_EVENTS: usize = 4096;

/// The real clock's default wall budget (`--max-wall`).
pub const DEFAULT_MAX_WALL: std::time::Duration = std::time::Duration::from_secs(60);

impl Default for Options {
    fn default() -> Self {
        Options {
            clock: ClockMode::Virtual,
            max_events: DEFAULT_MAX_EVENTS,
            max_wall: DEFAULT_MAX_WALL,
            max_work_blocks: pool::MAX_RUN_PBKDF2_BLOCKS,
            race_timeout_first: 0,
            pool_size: 4,
            env: env::Env::empty(),
            args: Vec::new(),
            sandbox: std::path::PathBuf::from("."),
            escapes: fs::Escapes::default(),
            live_console: false,
            record: true,
            module: ModuleKind::Cjs,
            entry: String::new(),
            cores: net::VIRTUAL_CORES,
        }
    }
}

pub type ImmediateId = u32;

struct ImmediateEntry<F> {
    cb: CbId,
    func: Option<F>,
    refed: bool,
    destroyed: bool,
    /// Node's own `setImmediate(noop)` (no script function behind it).
    noop: bool,
}

/// A microtask-queue job.
pub enum Job<H: HostTypes> {
    Reaction {
        reaction: Reaction<H>,
        arg: H::Value,
        rejected: bool,
    },
    Thenable {
        promise: Promise<H>,
        thenable: H::Value,
        then: ThenTarget<H>,
        cb: CbId,
    },
    Callback {
        func: H::Func,
        cb: CbId,
    },
}

impl<H: HostTypes> Job<H> {
    fn cb(&self) -> CbId {
        match self {
            Job::Reaction { reaction, .. } => reaction.cb,
            Job::Thenable { cb, .. } | Job::Callback { cb, .. } => *cb,
        }
    }
}

/// A nextTick queue entry: a script callback, or Node's own
/// `process.nextTick(doEmitWarning, warning)` from `process.emitWarning`.
pub enum Tick<H: HostTypes> {
    Script(H::Func),
    /// The warning's text (without the `(node:PID) ` prefix).
    Warning(String),
    /// One of Node's own stream ticks (`afterWriteTick`, `resume_`...).
    Stream(stream::Op<H>),
    /// One of `net`'s and `http`'s ticks (`emitListeningNT`, ...).
    Net(net::Op),
    /// One of `cluster`'s / `child_process`'s nextTicks.
    Proc(procs::ProcOp),
}

/// The whole model state.
pub struct Runtime<H: HostTypes> {
    pub trace: Trace,
    pub clock: Clock,
    pub options: Options,
    pub phase: Phase,
    pub iteration: u32,
    ticks: VecDeque<(Tick<H>, CbId)>,
    microtasks: VecDeque<Job<H>>,
    pub timers: Timers<H::Func>,
    immediates: Vec<ImmediateEntry<H::Func>>,
    immediate_queue: VecDeque<ImmediateId>,
    immediate_count: u32,
    immediate_ref_count: u32,
    pub pool: Pool,
    /// `monitorEventLoopDelay` histograms and their libuv timers.
    pub eld: eld::Eld,
    fs_requests: Vec<Option<IoRequest<H::Func>>>,
    promise_counter: u32,
    pending_rejections: Vec<Promise<H>>,
    has_rejection_to_warn: bool,
    pub process_events: Emitter<(H::Func, CbId)>,
    /// `process.exitCode`.
    pub exit_code: Option<i32>,
    /// Readable, Writable and Transform streams.
    pub streams: stream::Streams<H>,
    /// Servers, connections, HTTP exchanges, agents, load generators.
    pub net: net::Net<H>,
    /// Events emitted while the trace is not recorded ([`Options::record`]).
    unrecorded: usize,
    /// `process._exiting`: set once 'exit' is being emitted.
    pub exiting: bool,
    races_seen: u32,
    /// nextTicks and microtasks run since the last macrotask callback began.
    pub ticks_since_progress: u32,
    budget_hit: Cell<bool>,
    /// Virtual time reached [`clock::VIRTUAL_HORIZON_NS`].
    pub horizon_hit: bool,
    /// The real clock passed [`Options::max_wall`].
    pub wall_hit: bool,
    /// The process passed its memory budget ([`memory::exhausted`]).
    pub memory_hit: bool,
    /// A handled uncaught exception asks for a drain in the next poll phase.
    pub post_exception_drain: bool,
    /// `traceWarningHelperShown` of lib/internal/process/warning.js.
    trace_warning_hint_shown: bool,
    /// Warnings Node's modules emit once per thread (a module-level flag
    /// in Node: `dns`'s invalid-hostname warning, by its code).
    warned_once: Vec<&'static str>,
    /// `lastPromiseId` of lib/internal/process/promises.js: the rejection
    /// id of each promise rejected while it had no handler.
    last_rejection_uid: u32,
    /// `asyncHandledRejections`: reported rejections handled later (their
    /// rejection ids), warned about in the next processPromiseRejections.
    async_handled: Vec<u32>,
    /// `worker_threads`: the workers this loop started, its `parentPort`.
    pub threads: threads::Threads<H>,
    /// `cluster` and `child_process`: this process's place among them.
    pub procs: procs::Procs<H>,
    /// Buffers: the pool allocator and the backing stores' accounting.
    pub buffers: buffer::Heap,
    /// Clock reads since the last trace event (a spin-wait detector, see
    /// [`Runtime::clock_read`]).
    spin_reads: u32,
    /// Where the script is, asked at every event (the script layer sets it;
    /// the runtime knows no script language): the line of the script call
    /// running, 0 when none.
    pub line_source: Option<fn() -> u32>,
    /// Shows a script line as a located excerpt (file:line and the source
    /// line), for budget messages; set by the script layer.
    pub locate: Option<Box<dyn Fn(u32) -> String>>,
    /// The script line running when a budget was met (0: unknown).
    pub budget_line: u32,
    /// HMAC blocks asked of pbkdf2 so far (see [`pool::MAX_RUN_PBKDF2_BLOCKS`]).
    pub pbkdf2_blocks: u64,
    /// `process.env`: the starting environment plus the script's
    /// assignments (change it with [`Runtime::set_env`]).
    env: env::Env,
    /// ES modules: Node's `handleProcessExit` 'exit' listener is still
    /// registered (the main module's evaluation has not settled), so a
    /// natural exit sets `process.exitCode ??= 13`.
    pub entry_pending: bool,
}

/// An I/O request in flight: its steps, who it calls back, its callback id.
type IoRequest<F> = (FsRequest, IoTarget<F>, CbId);

/// Who a finished I/O request calls back.
pub enum IoTarget<F> {
    /// A script callback (`fs.readFile(path, cb)` and friends).
    Script(F),
    /// The ESM loader: the main module has been read; evaluate it.
    Entry,
}

/// Exit code of an ES module whose top-level `await` never settled
/// (`kUnfinishedTopLevelAwait`).
pub const EXIT_UNFINISHED_TLA: i32 = 13;

/// Clock reads in one stretch of a callback before the model counts them
/// as a spin-wait (see [`Runtime::clock_read`]).
pub const SPIN_READS: u32 = 1000;
/// What each read of a spin-wait costs, in milliseconds (a `Date.now()`
/// loop iteration in node takes some tens of nanoseconds; a coarser step
/// keeps a long wait within the operations budget and changes nothing
/// observable at Date.now()'s millisecond resolution).
pub const SPIN_READ_COST_MS: f64 = 0.001;

/// The runtime as the host holds it.
pub type Shared<H> = Rc<RefCell<Runtime<H>>>;

impl<H: HostTypes> Runtime<H> {
    pub fn new(options: Options) -> Self {
        let real_clock = options.clock == ClockMode::Real;
        let mut pool = Pool::new(options.clock, options.sandbox.clone(), options.pool_size);
        pool.sandbox = pool.sandbox.clone().with_escapes(options.escapes.clone());
        let env = options.env.clone();
        // libuv reads UV_THREADPOOL_SIZE from the process environment when
        // the pool is first used: the pool sees the variable as it stands.
        pool.set_env_size(env.get(pool::ENV_VAR).map(str::to_string));
        Runtime {
            trace: Trace::default(),
            clock: Clock::new(options.clock),
            options,
            phase: Phase::Main,
            iteration: 0,
            ticks: VecDeque::new(),
            microtasks: VecDeque::new(),
            timers: Timers::default(),
            immediates: Vec::new(),
            immediate_queue: VecDeque::new(),
            immediate_count: 0,
            immediate_ref_count: 0,
            pool,
            eld: eld::Eld::default(),
            fs_requests: Vec::new(),
            promise_counter: 0,
            pending_rejections: Vec::new(),
            has_rejection_to_warn: false,
            process_events: Emitter::default(),
            exit_code: None,
            streams: stream::Streams::default(),
            net: net::Net::new(real_clock),
            unrecorded: 0,
            exiting: false,
            races_seen: 0,
            ticks_since_progress: 0,
            budget_hit: Cell::new(false),
            horizon_hit: false,
            wall_hit: false,
            memory_hit: false,
            post_exception_drain: false,
            trace_warning_hint_shown: false,
            warned_once: Vec::new(),
            last_rejection_uid: 0,
            async_handled: Vec::new(),
            threads: threads::Threads::default(),
            procs: procs::Procs::default(),
            buffers: buffer::Heap::default(),
            spin_reads: 0,
            line_source: None,
            locate: None,
            budget_line: 0,
            pbkdf2_blocks: 0,
            env,
            entry_pending: false,
        }
    }

    /// `process.env` as it stands now.
    pub fn env(&self) -> &env::Env {
        &self.env
    }

    /// `process.env[name] = value`. `UV_THREADPOOL_SIZE` also reaches the
    /// pool, which reads it when first used (later values change nothing).
    pub fn set_env(&mut self, name: &str, value: &str) {
        self.env.set(name, value);
        if name == pool::ENV_VAR {
            self.pool.set_env_size(Some(value.to_string()));
        }
    }

    pub fn shared(options: Options) -> Shared<H> {
        Rc::new(RefCell::new(Self::new(options)))
    }

    // === trace ===

    pub fn emit(&mut self, kind: Kind) {
        self.spin_reads = 0;
        let n = if self.options.record {
            self.trace.events.len()
        } else {
            self.unrecorded += 1;
            self.unrecorded
        };
        if n >= self.options.max_events {
            self.budget_hit.set(true);
            self.note_budget_line();
            return;
        }
        // A storm of short callbacks grows memory without long Rhai runs
        // (which look at it themselves): look every few thousand events.
        if n.is_multiple_of(MEMORY_CHECK_EVENTS) {
            if memory::exhausted() {
                self.memory_hit = true;
            }
            if self.check_wall() || self.memory_hit {
                self.note_budget_line();
            }
        }
        if !self.options.record {
            return;
        }
        if let Some(line) = self.line_source {
            self.trace.note_line(n as u32, line());
        }
        self.trace.push(Event::new(
            self.clock.now_ns(),
            self.iteration,
            self.phase,
            kind,
        ));
    }

    /// Has the event budget been reached? Script functions that schedule work
    /// check this so one callback cannot flood the trace.
    pub fn over_budget(&self) -> bool {
        self.budget_hit.get() || self.horizon_hit || self.wall_hit || self.memory_hit
    }

    /// When the real clock's wall budget runs out (for every thread of the
    /// run: a worker's clock starts with the process's).
    pub fn wall_deadline(&self) -> std::time::Instant {
        self.clock.start_instant() + self.options.max_wall
    }

    /// Marks the wall budget spent if it is; true then. Under either clock:
    /// the virtual one models time, but a run that computes for minutes
    /// (deep recursion in thousands of async bodies) must end too.
    /// The script line running when a budget was first met here (0: not
    /// known), so that the budget's message can show it even when the
    /// run stops between callbacks.
    fn note_budget_line(&mut self) {
        if self.budget_line == 0
            && let Some(line) = self.line_source
        {
            self.budget_line = line();
        }
    }

    /// Where `budget_line` is, as the script layer shows a place (file,
    /// line, the source line), or nothing.
    /// When that line is not known, the last line that recorded an event.
    pub fn budget_place(&self) -> Option<String> {
        let locate = self.locate.as_ref()?;
        let line = if self.budget_line > 0 {
            self.budget_line
        } else {
            self.trace
                .lines
                .iter()
                .rev()
                .map(|&(_, l)| l)
                .find(|&l| l > 0)?
        };
        Some(locate(line))
    }

    pub fn check_wall(&mut self) -> bool {
        if std::time::Instant::now() >= self.wall_deadline() {
            self.wall_hit = true;
        }
        self.wall_hit
    }

    pub fn register_callback(&mut self, kind: CallbackKind, site: &Site) -> CbId {
        let label = self.trace.strings.intern(&site.label);
        let id = CbId(self.trace.callbacks.len() as u32);
        self.trace.callbacks.push(CallbackInfo {
            kind,
            line: site.line,
            body_line: site.body_line,
            label,
        });
        id
    }

    fn queued(&mut self, cb: CbId, due_ms: u64) {
        self.emit(Kind::Queued {
            cb,
            due_ms: due_ms.min(u32::MAX as u64) as u32,
        });
    }

    pub fn console(&mut self, stream: Stream, text: &str) {
        if self.options.live_console {
            use std::io::Write;
            // A closed pipe (`| head`) must not abort the model.
            let _ = match stream {
                Stream::Stdout => writeln!(std::io::stdout().lock(), "{text}"),
                Stream::Stderr => writeln!(std::io::stderr().lock(), "{text}"),
            };
        }
        // A worker's stdout and stderr are streams into its parent thread:
        // the parent prints what arrives when its loop gets to it.
        if self.threads.is_worker() {
            let now = self.clock.now_ns();
            self.threads
                .send_parent(now, worker::Body::Console(stream, text.to_string()));
        } else if self.procs.parent.is_some()
            && let Some(link) = &self.threads.link
        {
            // A forked process shares the terminal: what it prints goes to
            // the run's output, as it is written.
            let now = self.clock.now_ns();
            link.hub.post(
                link.me,
                0,
                now,
                worker::Body::Console(stream, text.to_string()),
            );
        }
        let text = self.trace.strings.append(text);
        self.emit(Kind::Console { stream, text });
    }

    /// Console output that must be recorded even past the event budget
    /// (the report of why the run stopped).
    pub fn console_always(&mut self, stream: Stream, text: &str) {
        let limit = self.options.max_events;
        self.options.max_events = usize::MAX;
        self.console(stream, text);
        self.options.max_events = limit;
    }

    pub fn note(&mut self, text: &str) {
        let text = self.trace.strings.intern(text);
        self.emit(Kind::Note { text });
    }

    // === time ===

    /// `getLibuvNow()`: updates the loop time and returns it.
    pub fn libuv_now(&mut self) -> u64 {
        self.clock.update_loop_time()
    }

    /// `busy(ms)`: the current callback occupies the CPU for `ms`.
    pub fn busy(&mut self, ms: f64) {
        if ms <= 0.0 || !ms.is_finite() {
            return;
        }
        let ns = (ms * 1e6) as u64; // saturates for huge values
        match self.clock.mode {
            ClockMode::Virtual => {
                let target = self.cpu_done_at(ns);
                self.advance_virtual(target);
            }
            ClockMode::Real => {
                let wall = self.wall_deadline();
                let until = std::time::Instant::now()
                    .checked_add(std::time::Duration::from_nanos(ns))
                    .map_or(wall, |u| u.min(wall));
                let link = self.threads.link.clone();
                let mut spins = 0u32;
                while std::time::Instant::now() < until {
                    std::hint::spin_loop();
                    spins = spins.wrapping_add(1);
                    // A terminated (or exiting) worker stops spinning; its
                    // next poll ends the thread.
                    if spins.is_multiple_of(4096)
                        && let Some(l) = &link
                        && (l.hub.terminate_requested(l.me) || l.hub.is_shutdown())
                    {
                        break;
                    }
                }
                self.check_wall();
            }
        }
    }

    /// The loop's own CPU work of `ns` nanoseconds (the model's costs of
    /// parsing a request, accepting a connection...): virtual time moves;
    /// under the real clock the real work is its own cost.
    pub fn busy_ns(&mut self, ns: u64) {
        if self.clock.mode == ClockMode::Virtual && ns > 0 {
            let target = self.cpu_done_at(ns);
            self.advance_virtual(target);
        }
    }

    /// Virtual clock: when `ns` of this loop's CPU work, starting now, is
    /// done. Alone it runs at once; beside other loops it takes a core on
    /// the hub's calendar, and may wait for one ([`cores`]).
    fn cpu_done_at(&mut self, ns: u64) -> u64 {
        let now = self.clock.now_ns();
        let Some(link) = self.threads.link.clone() else {
            return now.saturating_add(ns);
        };
        if now.saturating_add(ns) >= clock::VIRTUAL_HORIZON_NS {
            return now.saturating_add(ns);
        }
        let (mut t, mut left) = (now, ns);
        loop {
            let d = left.min(cores::SLICE_NS);
            let end = link.hub.cpu(link.me, t, d);
            left -= d;
            t = end;
            if left == 0 {
                return t;
            }
            // Between slices the loops that are behind catch up, so that
            // work they ask for meanwhile takes its turn on the cores (as
            // the kernel's scheduler would let a waking process in).
            if let Ok(granted) = link.hub.sync(link.me, t, Some(t)) {
                t = t.max(granted);
            }
        }
    }

    /// Moves virtual time to `target`, letting pool threads make progress
    /// (their start and finish events are stamped at their own times).
    /// Time cannot pass [`clock::VIRTUAL_HORIZON_NS`]: a target beyond it
    /// stops there and marks the run over its budget.
    pub fn advance_virtual(&mut self, target: u64) {
        let target = if target > clock::VIRTUAL_HORIZON_NS {
            self.horizon_hit = true;
            clock::VIRTUAL_HORIZON_NS
        } else {
            target
        };
        while let Some(t) = self.pool.next_virtual_event_before(target) {
            self.clock.advance_to(t);
            self.pool_progress();
        }
        self.clock.advance_to(target);
        self.pool_progress();
    }

    fn pool_progress(&mut self) {
        let now = self.clock.now_ns();
        for kind in self.pool.progress(now) {
            self.emit(kind);
        }
    }

    /// `process.pid`: a fixed number under the virtual clock (traces must
    /// not depend on the machine), the real one under the real clock.
    pub fn pid(&self) -> u32 {
        match self.clock.mode {
            ClockMode::Virtual => self.procs.pid,
            ClockMode::Real if self.procs.proc == 0 => std::process::id(),
            // A forked process is a thread of this one: a number of its own.
            ClockMode::Real => self.procs.pid,
        }
    }

    /// `Date.now()`. A read can cost time: see [`Runtime::clock_read`].
    pub fn date_now(&mut self) -> f64 {
        self.clock_read();
        self.clock.date_now_ms() as f64
    }

    /// `performance.now()`. A read can cost time: see [`Runtime::clock_read`].
    pub fn performance_now(&mut self) -> f64 {
        self.clock_read();
        self.clock.performance_now_ms()
    }

    /// A spin-wait under the virtual clock: `while Date.now() < end {}`
    /// blocks in node until the wall clock gets there, but the model's
    /// time only moves by its own events, so the loop would never end. A
    /// callback that reads the clock more than [`SPIN_READS`] times with
    /// nothing else happening is spinning: each further read costs
    /// [`SPIN_READ_COST_MS`] of CPU time, as `busy` does, so the loop ends
    /// when node's would. Scripts that read the clock a few times are not
    /// affected.
    fn clock_read(&mut self) {
        if self.clock.mode == ClockMode::Virtual {
            self.spin_reads = self.spin_reads.saturating_add(1);
            if self.spin_reads > SPIN_READS {
                self.busy(SPIN_READ_COST_MS);
            }
        }
    }

    // === timers ===

    pub fn set_timeout(&mut self, func: H::Func, after: f64, repeat: bool, site: &Site) -> TimerId {
        let (delay, _overflow) = timers::coerce_delay(after);
        let kind = if repeat {
            CallbackKind::Interval
        } else {
            CallbackKind::Timeout
        };
        let cb = self.register_callback(kind, site);
        let now = self.libuv_now();
        let id = self.timers.create(cb, func, delay, repeat, now);
        self.queued(cb, now + delay.trunc() as u64);
        id
    }

    pub fn clear_timer(&mut self, id: TimerId) {
        if let Some(cb) = self.timers.clear(id) {
            self.emit(Kind::Cleared { cb });
        }
    }

    pub fn refresh_timer(&mut self, id: TimerId) {
        let now = self.libuv_now();
        self.timers.refresh(id, now);
    }

    // === immediates ===

    pub fn set_immediate(&mut self, func: H::Func, site: &Site) -> ImmediateId {
        self.push_immediate(Some(func), site)
    }

    /// Node's `setImmediate(noop)` after a handled uncaught exception
    /// (lib/internal/process/execution.js: "make sure any ticks get
    /// processed by ensuring that the next Immediate cycle isn't empty").
    /// It keeps the loop alive for one more check phase.
    pub fn set_noop_immediate(&mut self) -> ImmediateId {
        let site = Site {
            label: "setImmediate(noop) after uncaughtException".into(),
            ..Site::default()
        };
        self.push_immediate(None, &site)
    }

    fn push_immediate(&mut self, func: Option<H::Func>, site: &Site) -> ImmediateId {
        let cb = self.register_callback(CallbackKind::Immediate, site);
        let id = self.immediates.len() as ImmediateId;
        let noop = func.is_none();
        self.immediates.push(ImmediateEntry {
            cb,
            func,
            refed: true,
            destroyed: false,
            noop,
        });
        self.immediate_count += 1;
        self.immediate_ref_count += 1;
        self.immediate_queue.push_back(id);
        self.queued(cb, 0);
        id
    }

    pub fn clear_immediate(&mut self, id: ImmediateId) {
        let Some(entry) = self.immediates.get_mut(id as usize) else {
            return;
        };
        if entry.destroyed || (entry.func.is_none() && !entry.noop) {
            return;
        }
        entry.destroyed = true;
        entry.func = None;
        let cb = entry.cb;
        self.immediate_count = self.immediate_count.saturating_sub(1);
        if entry.refed {
            entry.refed = false;
            self.immediate_ref_count = self.immediate_ref_count.saturating_sub(1);
        }
        self.immediate_queue.retain(|&i| i != id);
        self.emit(Kind::Cleared { cb });
    }

    pub fn set_immediate_ref(&mut self, id: ImmediateId, refed: bool) {
        let Some(entry) = self.immediates.get_mut(id as usize) else {
            return;
        };
        if entry.destroyed || entry.refed == refed {
            return;
        }
        entry.refed = refed;
        if refed {
            self.immediate_ref_count += 1;
        } else {
            self.immediate_ref_count = self.immediate_ref_count.saturating_sub(1);
        }
    }

    pub fn immediate_has_ref(&self, id: ImmediateId) -> bool {
        self.immediates.get(id as usize).is_some_and(|e| e.refed)
    }

    // === nextTick and microtasks ===

    pub fn next_tick(&mut self, func: H::Func, site: &Site) {
        // Inside an 'exit' handler process.nextTick is a no-op.
        if self.exiting {
            return;
        }
        let cb = self.register_callback(CallbackKind::NextTick, site);
        self.ticks.push_back((Tick::Script(func), cb));
        self.queued(cb, 0);
    }

    /// `process.emitWarning(warning)`: the warning is printed from a
    /// nextTick (a no-op while exiting, like every nextTick).
    pub fn emit_warning(&mut self, text: &str) {
        if self.exiting {
            return;
        }
        let site = Site {
            label: "process.emitWarning".into(),
            ..Site::default()
        };
        let cb = self.register_callback(CallbackKind::NextTick, &site);
        self.ticks.push_back((Tick::Warning(text.to_string()), cb));
        self.queued(cb, 0);
    }

    /// `process.emitWarning(text, 'DeprecationWarning', code)` from one
    /// of Node's modules that warns once per thread: true the first time
    /// (the warning is queued), false after.
    pub fn emit_deprecation_once(&mut self, code: &'static str, text: &str) -> bool {
        if self.warned_once.contains(&code) {
            return false;
        }
        self.warned_once.push(code);
        self.emit_warning(&format!("[{code}] DeprecationWarning: {text}"));
        true
    }

    /// The default 'warning' listener: `(node:PID) text`, plus the
    /// `--trace-warnings` hint the first time only (`--trace-deprecation`
    /// when that first warning is a deprecation).
    pub(crate) fn print_warning(&mut self, text: &str) {
        let mut out = format!("(node:{}) {text}", self.pid());
        if !self.trace_warning_hint_shown {
            self.trace_warning_hint_shown = true;
            let deprecation = text
                .split_once("] ")
                .map_or(text, |(_, rest)| rest)
                .starts_with("DeprecationWarning:");
            let flag = if deprecation {
                "--trace-deprecation"
            } else {
                "--trace-warnings"
            };
            out.push_str(&format!(
                "\n(Use `node {flag} ...` to show where the warning was created)"
            ));
        }
        self.console(Stream::Stderr, &out);
    }

    pub fn queue_microtask(&mut self, func: H::Func, site: &Site) {
        let cb = self.register_callback(CallbackKind::Microtask, site);
        self.enqueue_job(Job::Callback { func, cb });
    }

    fn enqueue_job(&mut self, job: Job<H>) {
        let cb = job.cb();
        self.microtasks.push_back(job);
        self.queued(cb, 0);
    }

    /// Queues a model-internal tick (already registered as callback `cb`).
    pub(crate) fn push_tick(&mut self, tick: Tick<H>, cb: CbId) {
        self.ticks.push_back((tick, cb));
        self.queued(cb, 0);
    }

    pub fn has_ticks(&self) -> bool {
        !self.ticks.is_empty()
    }

    pub fn has_microtasks(&self) -> bool {
        !self.microtasks.is_empty()
    }

    // === promises ===

    pub fn new_promise(&mut self) -> Promise<H> {
        self.promise_counter += 1;
        Promise(Rc::new(RefCell::new(PromiseData {
            id: self.promise_counter,
            state: PromiseState::Pending,
            fulfill_reactions: Vec::new(),
            reject_reactions: Vec::new(),
            handled: false,
            rejection_uid: 0,
            warned: false,
        })))
    }

    /// CreateResolvingFunctions.
    pub fn resolving_functions(&self, promise: &Promise<H>) -> (Resolver<H>, Resolver<H>) {
        let already = Rc::new(Cell::new(false));
        (
            Resolver {
                target: promise.clone(),
                already: already.clone(),
                reject: false,
            },
            Resolver {
                target: promise.clone(),
                already,
                reject: true,
            },
        )
    }

    /// Calls a resolving function.
    pub fn call_resolver(&mut self, resolver: &Resolver<H>, value: H::Value) {
        if resolver.already.replace(true) {
            return;
        }
        if resolver.reject {
            self.reject_promise(&resolver.target, value);
        } else {
            self.resolve_promise(&resolver.target, value);
        }
    }

    /// The body of a promise resolve function (after [[AlreadyResolved]]).
    pub fn resolve_promise(&mut self, promise: &Promise<H>, value: H::Value) {
        match H::classify(&value) {
            Resolvable::Promise(p) if p.same(promise) => {
                let err = H::type_error("Chaining cycle detected for promise #<Promise>");
                self.reject_promise(promise, err);
            }
            Resolvable::Promise(p) => {
                let cb = self.thenable_job_callback(promise, "native promise");
                self.enqueue_job(Job::Thenable {
                    promise: promise.clone(),
                    thenable: value,
                    then: ThenTarget::Native(p),
                    cb,
                });
            }
            Resolvable::Thenable(then) => {
                let cb = self.thenable_job_callback(promise, "thenable");
                self.enqueue_job(Job::Thenable {
                    promise: promise.clone(),
                    thenable: value,
                    then: ThenTarget::User(then),
                    cb,
                });
            }
            Resolvable::Plain => self.fulfill_promise(promise, value),
        }
    }

    fn thenable_job_callback(&mut self, promise: &Promise<H>, what: &str) -> CbId {
        let site = Site {
            label: format!("p{} adopts a {what}", promise.id()).into(),
            ..Site::default()
        };
        self.register_callback(CallbackKind::ThenableJob, &site)
    }

    pub fn fulfill_promise(&mut self, promise: &Promise<H>, value: H::Value) {
        let reactions = {
            let mut data = promise.0.borrow_mut();
            if !matches!(data.state, PromiseState::Pending) {
                return;
            }
            data.state = PromiseState::Fulfilled(value.clone());
            data.reject_reactions.clear();
            std::mem::take(&mut data.fulfill_reactions)
        };
        self.emit(Kind::PromiseSettled {
            promise: promise.id(),
            rejected: false,
        });
        for reaction in reactions {
            self.enqueue_job(Job::Reaction {
                reaction,
                arg: value.clone(),
                rejected: false,
            });
        }
    }

    pub fn reject_promise(&mut self, promise: &Promise<H>, reason: H::Value) {
        let (reactions, handled) = {
            let mut data = promise.0.borrow_mut();
            if !matches!(data.state, PromiseState::Pending) {
                return;
            }
            data.state = PromiseState::Rejected(reason.clone());
            data.fulfill_reactions.clear();
            (std::mem::take(&mut data.reject_reactions), data.handled)
        };
        self.emit(Kind::PromiseSettled {
            promise: promise.id(),
            rejected: true,
        });
        if !handled {
            // HostPromiseRejectionTracker(promise, "reject").
            self.last_rejection_uid += 1;
            promise.0.borrow_mut().rejection_uid = self.last_rejection_uid;
            self.pending_rejections.push(promise.clone());
            self.has_rejection_to_warn = true;
        }
        for reaction in reactions {
            self.enqueue_job(Job::Reaction {
                reaction,
                arg: reason.clone(),
                rejected: true,
            });
        }
    }

    /// PerformPromiseThen.
    pub fn perform_then(
        &mut self,
        promise: &Promise<H>,
        on_fulfilled: Handler<H>,
        on_rejected: Handler<H>,
        capability: Option<Promise<H>>,
        cb: CbId,
    ) {
        let fulfill = Reaction {
            capability: capability.clone(),
            handler: on_fulfilled,
            cb,
        };
        let reject = Reaction {
            capability,
            handler: on_rejected,
            cb,
        };
        let mut data = promise.0.borrow_mut();
        let was_handled = data.handled;
        data.handled = true;
        match &data.state {
            PromiseState::Pending => {
                data.fulfill_reactions.push(fulfill);
                data.reject_reactions.push(reject);
            }
            PromiseState::Fulfilled(v) => {
                let arg = v.clone();
                drop(data);
                self.enqueue_job(Job::Reaction {
                    reaction: fulfill,
                    arg,
                    rejected: false,
                });
            }
            PromiseState::Rejected(r) => {
                let arg = r.clone();
                let (warned, uid) = (data.warned, data.rejection_uid);
                drop(data);
                if !was_handled {
                    // HostPromiseRejectionTracker(promise, "handle").
                    let pending = self.pending_rejections.iter().any(|p| p.same(promise));
                    if pending {
                        self.pending_rejections.retain(|p| !p.same(promise));
                    } else if warned {
                        // Already reported: 'rejectionHandled' (with no
                        // listener, a PromiseRejectionHandledWarning).
                        self.async_handled.push(uid);
                        self.has_rejection_to_warn = true;
                    }
                }
                self.enqueue_job(Job::Reaction {
                    reaction: reject,
                    arg,
                    rejected: true,
                });
            }
        }
    }

    /// `p.then(onFulfilled, onRejected)`; returns the derived promise.
    pub fn then(
        &mut self,
        promise: &Promise<H>,
        on_fulfilled: Option<H::Func>,
        on_rejected: Option<H::Func>,
        site: &Site,
    ) -> Promise<H> {
        let derived = self.new_promise();
        let cb = self.register_callback(CallbackKind::Reaction, site);
        let f = on_fulfilled.map_or(Handler::Identity, Handler::User);
        let r = on_rejected.map_or(Handler::Thrower, Handler::User);
        self.perform_then(promise, f, r, Some(derived.clone()), cb);
        derived
    }

    /// `p.finally(onFinally)`.
    pub fn finally(
        &mut self,
        promise: &Promise<H>,
        on_finally: H::Func,
        site: &Site,
    ) -> Promise<H> {
        let derived = self.new_promise();
        let cb = self.register_callback(CallbackKind::Reaction, site);
        self.perform_then(
            promise,
            Handler::Finally {
                on_finally: on_finally.clone(),
                rejected: false,
            },
            Handler::Finally {
                on_finally,
                rejected: true,
            },
            Some(derived.clone()),
            cb,
        );
        derived
    }

    /// PromiseResolve(%Promise%, value): `Promise.resolve(v)` and the first
    /// step of `await` and of every combinator element.
    pub fn promise_resolve(&mut self, value: H::Value) -> Promise<H> {
        if let Resolvable::Promise(p) = H::classify(&value) {
            return p;
        }
        let p = self.new_promise();
        self.resolve_promise(&p, value);
        p
    }

    pub fn promise_reject(&mut self, reason: H::Value) -> Promise<H> {
        let p = self.new_promise();
        self.reject_promise(&p, reason);
        p
    }

    /// `await value` in async body `co`.
    pub fn await_value(&mut self, co: CoId, value: H::Value, site: &Site) {
        let promise = self.promise_resolve(value);
        let cb = self.register_callback(CallbackKind::AwaitResume, site);
        self.perform_then(&promise, Handler::Await(co), Handler::Await(co), None, cb);
    }

    /// `Promise.all` / `allSettled` / `any`.
    pub fn combinator(
        &mut self,
        kind: Combinator,
        values: Vec<H::Value>,
        site: &Site,
    ) -> Promise<H> {
        let result = self.new_promise();
        let (resolve, reject) = self.resolving_functions(&result);
        let agg = Rc::new(Aggregate {
            kind,
            values: RefCell::new(Vec::new()),
            remaining: Cell::new(1),
            resolve: resolve.clone(),
            reject: reject.clone(),
        });
        let cb = self.register_callback(CallbackKind::Reaction, site);
        for (index, value) in values.into_iter().enumerate() {
            agg.values.borrow_mut().push(H::undefined());
            let next = self.promise_resolve(value);
            agg.remaining.set(agg.remaining.get() + 1);
            let already = Rc::new(Cell::new(false));
            let element = |rejected| Handler::Element {
                agg: agg.clone(),
                index,
                already: already.clone(),
                rejected,
            };
            let (on_f, on_r) = match kind {
                Combinator::All => (element(false), Handler::Resolve(reject.clone())),
                Combinator::AllSettled => (element(false), element(true)),
                Combinator::Any => (Handler::Resolve(resolve.clone()), element(true)),
            };
            let derived = self.new_promise();
            self.perform_then(&next, on_f, on_r, Some(derived), cb);
        }
        let left = agg.remaining.get() - 1;
        agg.remaining.set(left);
        if left == 0 {
            self.finish_aggregate(&agg);
        }
        result
    }

    fn finish_aggregate(&mut self, agg: &Rc<Aggregate<H>>) {
        let values = agg.values.borrow().clone();
        match agg.kind {
            Combinator::All | Combinator::AllSettled => {
                let v = H::array(values);
                self.call_resolver(&agg.resolve, v);
            }
            Combinator::Any => {
                let e = H::aggregate_error(values);
                self.call_resolver(&agg.reject, e);
            }
        }
    }

    /// A combinator element function was called with `value`.
    pub fn element_called(
        &mut self,
        agg: &Rc<Aggregate<H>>,
        index: usize,
        rejected: bool,
        value: H::Value,
    ) {
        let stored = match agg.kind {
            Combinator::AllSettled => H::settled_record(!rejected, value),
            _ => value,
        };
        if let Some(slot) = agg.values.borrow_mut().get_mut(index) {
            *slot = stored;
        }
        let left = agg.remaining.get() - 1;
        agg.remaining.set(left);
        if left == 0 {
            self.finish_aggregate(agg);
        }
    }

    /// `Promise.race(values)`.
    pub fn race(&mut self, values: Vec<H::Value>, site: &Site) -> Promise<H> {
        let result = self.new_promise();
        let (resolve, reject) = self.resolving_functions(&result);
        let cb = self.register_callback(CallbackKind::Reaction, site);
        for value in values {
            let next = self.promise_resolve(value);
            let derived = self.new_promise();
            self.perform_then(
                &next,
                Handler::Resolve(resolve.clone()),
                Handler::Resolve(reject.clone()),
                Some(derived),
                cb,
            );
        }
        result
    }

    // === unhandled rejections ===

    pub fn has_rejection_to_warn(&self) -> bool {
        self.has_rejection_to_warn
    }

    /// Takes the rejections still unhandled (Node's pendingUnhandledRejections)
    /// and marks them as reported.
    fn take_unhandled(&mut self) -> Vec<Promise<H>> {
        let pending: Vec<Promise<H>> = std::mem::take(&mut self.pending_rejections)
            .into_iter()
            .filter(|p| !p.0.borrow().handled)
            .collect();
        for p in &pending {
            p.0.borrow_mut().warned = true;
        }
        pending
    }

    /// The first loop of processPromiseRejections: a warning for every
    /// reported rejection that was handled later (no 'rejectionHandled'
    /// listener exists in the scenario API). Returns whether there were any.
    fn warn_async_handled(&mut self) -> bool {
        let handled = std::mem::take(&mut self.async_handled);
        for uid in &handled {
            self.emit_warning(&format!(
                "PromiseRejectionHandledWarning: Promise rejection was handled asynchronously (rejection id: {uid})"
            ));
        }
        !handled.is_empty()
    }

    // === races ===

    /// Records a detected race and answers whether this run lets the
    /// timeout win it.
    fn race_point(&mut self, kind: RaceKind) -> bool {
        let index = self.races_seen;
        self.races_seen += 1;
        let timeout_first = index < 64 && self.options.race_timeout_first & (1 << index) != 0;
        let seq = self.trace.events.len() as u32;
        self.emit(Kind::Race {
            kind,
            timeout_first,
        });
        self.trace.races.push(RaceInfo {
            kind,
            timeout_first,
            seq,
        });
        timeout_first
    }

    // === liveness ===

    /// `uv__loop_alive`: ref'd active handles or active requests.
    pub fn loop_alive(&self) -> bool {
        let timer_alive = self.timers.uv.due_ms.is_some() && self.timers.uv.refed;
        let idle_alive = self.immediate_ref_count > 0;
        timer_alive
            || idle_alive
            || self.pool.active_requests() > 0
            || self.threads.keeps_alive()
            || self
                .procs
                .keeps_alive(self.process_events.listener_count("message") > 0)
            || self.net.keeps_alive()
    }
}

// === fs requests and the loop internals the driver uses ===

impl<H: HostTypes> Runtime<H> {
    /// Starts an fs call (`fs.readFile` and friends) on the thread pool.
    pub fn fs_call(&mut self, request: FsRequest, func: H::Func, site: &Site) {
        self.io_request(request, IoTarget::Script(func), site);
    }

    fn io_request(&mut self, request: FsRequest, target: IoTarget<H::Func>, site: &Site) {
        let cb = self.register_callback(CallbackKind::Io, site);
        self.queued(cb, 0);
        let id = self.fs_requests.len() as u32;
        self.fs_requests.push(Some((request, target, cb)));
        self.submit_step(id);
    }

    /// ES modules: Node's bootstrap registers `handleProcessExit` and starts
    /// the loader, which reads the main module with `fs/promises` readFile
    /// (open, fstat, read, close on the thread pool; the first item creates
    /// the pool, before the module can set `UV_THREADPOOL_SIZE`).
    pub fn load_entry(&mut self) {
        self.entry_pending = true;
        let path = self.options.entry.clone();
        let name = std::path::Path::new(&path)
            .file_name()
            .map_or_else(|| path.clone(), |n| n.to_string_lossy().into_owned());
        let request = FsRequest::file(pool::FsKind::ReadFile, path, None, false);
        let site = Site {
            label: format!("ESM loader reads {name}").into(),
            ..Site::default()
        };
        self.io_request(request, IoTarget::Entry, &site);
    }

    fn submit_step(&mut self, id: u32) {
        let work = self
            .fs_requests
            .get(id as usize)
            .and_then(|r| r.as_ref())
            .and_then(|(req, _, _)| req.work());
        if let Some(work) = work {
            let now = self.clock.now_ns();
            for kind in self.pool.submit(id, work, now) {
                self.emit(kind);
            }
        }
    }

    /// Folds a pool completion into its fs request: either the next step is
    /// submitted, or the user callback is due with its result.
    pub fn complete(
        &mut self,
        completion: pool::Completion,
    ) -> Option<(IoTarget<H::Func>, CbId, IoResult)> {
        let owner = completion.owner as usize;
        let headroom = self.buffer_headroom();
        let slot = self.fs_requests.get_mut(owner)?;
        let (req, _, _) = slot.as_mut()?;
        match req.advance(completion.result, headroom) {
            Some(result) => {
                let (_, func, cb) = slot.take()?;
                Some((func, cb, result))
            }
            None => {
                self.submit_step(completion.owner);
                None
            }
        }
    }

    fn pop_tick(&mut self) -> Option<(Tick<H>, CbId)> {
        self.ticks.pop_front()
    }

    fn pop_microtask(&mut self) -> Option<Job<H>> {
        self.microtasks.pop_front()
    }

    fn immediate_count(&self) -> u32 {
        self.immediate_count
    }

    fn immediates_pending(&self) -> bool {
        !self.immediate_queue.is_empty()
    }

    /// `processImmediate` detaches the whole queue before running any.
    fn detach_immediates(&mut self) -> Vec<ImmediateId> {
        self.immediate_queue.drain(..).collect()
    }

    /// Marks an immediate as running; returns its function (None for
    /// Node's internal noop) unless it was cleared meanwhile.
    fn start_immediate(&mut self, id: ImmediateId) -> Option<(Option<H::Func>, CbId)> {
        let entry = self.immediates.get_mut(id as usize)?;
        if entry.destroyed {
            return None;
        }
        entry.destroyed = true;
        self.immediate_count = self.immediate_count.saturating_sub(1);
        if entry.refed {
            entry.refed = false;
            self.immediate_ref_count = self.immediate_ref_count.saturating_sub(1);
        }
        if entry.noop {
            return Some((None, entry.cb));
        }
        let func = entry.func.take()?;
        Some((Some(func), entry.cb))
    }

    /// `uv__backend_timeout` in ms (-1: block until something happens).
    fn backend_timeout(&self) -> i64 {
        let timer_handle_active = self.timers.uv.due_ms.is_some();
        // Workers and an open parentPort are ref'd handles (async handles
        // in libuv): poll may wait for their messages.
        let has_active_handles = (timer_handle_active && self.timers.uv.refed)
            || self.immediate_ref_count > 0
            || self.threads.keeps_alive()
            || self
                .procs
                .keeps_alive(self.process_events.listener_count("message") > 0)
            || self.net.keeps_alive();
        if !has_active_handles && self.pool.active_requests() == 0 {
            return 0;
        }
        if self.immediate_ref_count > 0
            || self.threads.held_ready()
            || !self.net.signals.is_empty()
            || !self.net.closing.is_empty()
        {
            return 0;
        }
        // `uv__next_timeout`: the whole heap, unref'd timers included (an
        // enabled monitorEventLoopDelay wakes poll every `resolution`).
        // Sockets' keep-alive timeouts and load generators' durations are
        // JS timers in Node: they are in the heap too.
        let net_due = [
            self.net.next_deadline_ms(),
            self.net.loads.iter().filter_map(|l| l.deadline_ms()).min(),
        ]
        .into_iter()
        .flatten()
        .min();
        let heap = self.eld.next_timeout(&self.timers.uv);
        let next = match (heap, net_due) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match next {
            Some(due) => due
                .saturating_sub(self.clock.loop_ms())
                .min(i32::MAX as u64) as i64,
            None => -1,
        }
    }
}
