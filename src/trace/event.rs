//! Trace event types. An [`Event`] is 32 bytes: time, loop iteration, phase
//! and a [`Kind`] whose payload is at most three 32-bit words.

use super::StrId;

/// Where the loop is when an event happens. `Main` is the synchronous main
/// script; `Exit` covers `beforeExit`/`exit` handlers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Phase {
    Main,
    Timers,
    Pending,
    Idle,
    Prepare,
    Poll,
    Check,
    Close,
    Exit,
}

impl Phase {
    pub const LOOP: [Phase; 7] = [
        Phase::Timers,
        Phase::Pending,
        Phase::Idle,
        Phase::Prepare,
        Phase::Poll,
        Phase::Check,
        Phase::Close,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Phase::Main => "main",
            Phase::Timers => "timers",
            Phase::Pending => "pending",
            Phase::Idle => "idle",
            Phase::Prepare => "prepare",
            Phase::Poll => "poll",
            Phase::Check => "check",
            Phase::Close => "close",
            Phase::Exit => "exit",
        }
    }
}

/// A callback's identity in the trace: an index into [`super::Trace::callbacks`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CbId(pub u32);

/// Which queue or mechanism a callback waits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum CallbackKind {
    Main,
    Timeout,
    Interval,
    Immediate,
    NextTick,
    /// `queueMicrotask`.
    Microtask,
    /// A promise reaction (then/catch/finally handler, or a default one).
    Reaction,
    /// NewPromiseResolveThenableJob: calling a thenable's `then`.
    ThenableJob,
    /// An async function resuming after `await`.
    AwaitResume,
    /// A thread-pool completion callback (fs and friends).
    Io,
    /// An EventEmitter listener or `process.on` handler.
    Listener,
    /// A close-phase (uv_close) callback.
    Close,
}

impl CallbackKind {
    pub fn name(self) -> &'static str {
        match self {
            CallbackKind::Main => "main",
            CallbackKind::Timeout => "timeout",
            CallbackKind::Interval => "interval",
            CallbackKind::Immediate => "immediate",
            CallbackKind::NextTick => "nextTick",
            CallbackKind::Microtask => "microtask",
            CallbackKind::Reaction => "reaction",
            CallbackKind::ThenableJob => "thenable-job",
            CallbackKind::AwaitResume => "await",
            CallbackKind::Io => "io",
            CallbackKind::Listener => "listener",
            CallbackKind::Close => "close",
        }
    }

    /// Microtask-queue jobs (as opposed to ticks and macrotasks).
    pub fn is_microtask(self) -> bool {
        matches!(
            self,
            CallbackKind::Microtask
                | CallbackKind::Reaction
                | CallbackKind::ThenableJob
                | CallbackKind::AwaitResume
        )
    }
}

/// What the trace knows about a callback: what it is, where the script
/// created it, and a readable label ("timeout 10ms", "then#3 <- p2").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallbackInfo {
    pub kind: CallbackKind,
    /// 1-based script line where it was scheduled (0 when not from the script).
    pub line: u32,
    /// 1-based line of the function's own body (0 when not a script function).
    pub body_line: u32,
    pub label: StrId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Thread-pool operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PoolOp {
    Open,
    Fstat,
    Read,
    Write,
    Close,
    Stat,
    Pbkdf2,
    RandomBytes,
    Gzip,
    Gunzip,
    /// `dns.lookup` (libuv's slow-I/O class).
    Getaddrinfo,
}

impl PoolOp {
    pub const COUNT: usize = 11;
    pub const ALL: [PoolOp; PoolOp::COUNT] = [
        PoolOp::Open,
        PoolOp::Fstat,
        PoolOp::Read,
        PoolOp::Write,
        PoolOp::Close,
        PoolOp::Stat,
        PoolOp::Pbkdf2,
        PoolOp::RandomBytes,
        PoolOp::Gzip,
        PoolOp::Gunzip,
        PoolOp::Getaddrinfo,
    ];

    /// The operation with this name (as [`PoolOp::name`] spells it).
    pub fn parse(name: &str) -> Option<PoolOp> {
        PoolOp::ALL.into_iter().find(|op| op.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            PoolOp::Open => "open",
            PoolOp::Fstat => "fstat",
            PoolOp::Read => "read",
            PoolOp::Write => "write",
            PoolOp::Close => "close",
            PoolOp::Stat => "stat",
            PoolOp::Pbkdf2 => "pbkdf2",
            PoolOp::RandomBytes => "randomBytes",
            PoolOp::Gzip => "gzip",
            PoolOp::Gunzip => "gunzip",
            PoolOp::Getaddrinfo => "getaddrinfo",
        }
    }
}

/// A place where real Node's outcome depends on wall-clock timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RaceKind {
    /// A 0/1 ms timeout and an immediate both pending when the loop starts:
    /// the first timers pass runs the timeout only if a millisecond boundary
    /// was crossed since it was scheduled.
    MainTimeoutVsImmediate,
    /// The same contest for a timeout scheduled during the check phase.
    CheckTimeoutVsImmediate,
}

impl RaceKind {
    pub fn describe(self) -> &'static str {
        match self {
            RaceKind::MainTimeoutVsImmediate => {
                "setTimeout(0) vs setImmediate from the main script: real Node runs either first, depending on whether 1 ms passed before the loop started"
            }
            RaceKind::CheckTimeoutVsImmediate => {
                "setTimeout(0) scheduled in the check phase vs a pending setImmediate: real Node runs either first, depending on whether 1 ms passed"
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RaceInfo {
    pub kind: RaceKind,
    /// The outcome this run took: `true` when the timeout ran first.
    pub timeout_first: bool,
    /// Sequence number of the [`Kind::Race`] event.
    pub seq: u32,
}

/// Which budget a run exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum BudgetKind {
    /// `--max-events`: the trace grew past its limit.
    Events,
    /// The per-callback operations budget (an endless loop in one callback).
    Operations,
    /// Every thread waits for a message nobody will send (node hangs).
    Hang,
    /// Model time reached [`crate::runtime::clock::VIRTUAL_HORIZON_NS`]: a
    /// timer or interval keeps the loop alive for ever, or `busy` was
    /// given an enormous duration.
    Clock,
    /// The real clock passed `--max-wall`.
    Wall,
    /// The process holds more memory than `--max-memory`
    /// ([`crate::runtime::memory`]).
    Memory,
}

/// A step in a worker thread's life, as its parent loop sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum WorkerEvent {
    /// `new Worker(..)`: the thread starts booting.
    Spawned,
    /// The worker runs its script (`'online'`).
    Online,
    /// This loop posted a message (`value`: bytes copied by the clone).
    Posted,
    /// This loop posted a message whose buffers moved (`value`: bytes moved).
    Transferred,
    /// A message arrived here (`value`: bytes the receiver deserialized).
    Received,
    /// The worker's uncaught exception arrived.
    Errored,
    /// The worker's loop ended (`value`: the exit code).
    Exited,
    /// `worker.terminate()` was called.
    Terminate,
}

impl WorkerEvent {
    pub fn name(self) -> &'static str {
        match self {
            WorkerEvent::Spawned => "spawned",
            WorkerEvent::Online => "online",
            WorkerEvent::Posted => "posted",
            WorkerEvent::Transferred => "transferred",
            WorkerEvent::Received => "received",
            WorkerEvent::Errored => "error",
            WorkerEvent::Exited => "exited",
            WorkerEvent::Terminate => "terminate",
        }
    }
}

/// Sockets, HTTP and signals (`Kind::Net`). `conn` is a connection's
/// number (a server's number for [`NetEvent::Listen`] and
/// [`NetEvent::ServerClose`], an agent's for [`NetEvent::Queued`]),
/// `value` a request's number unless said otherwise, `status` an HTTP
/// status code where one is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum NetEvent {
    /// A server listens (`value`: its port).
    Listen,
    /// A server stopped accepting (`server.close()`).
    ServerClose,
    /// The server accepted connection `conn` (`value`: the server's number).
    Accept,
    /// A client's connection `conn` is established (`value`: who opened
    /// it: 0 a plain request, otherwise an agent's or load generator's number).
    Connect,
    /// A client request goes out on an idle keep-alive connection.
    Reuse,
    /// Connection `conn` has no request in flight (kept alive).
    Idle,
    /// Connection `conn` closed (`value`: 0 cleanly, 1 reset or destroyed).
    Close,
    /// The client wrote request `value` on `conn`.
    Send,
    /// Request `value` arrived at the server on `conn` (it waits there
    /// while an earlier request on the same connection is answered).
    Arrive,
    /// The server's `'request'` handler runs for request `value`.
    Handle,
    /// The server ended its response to request `value` (`status`).
    Respond,
    /// The client has the whole response to request `value` (`status`).
    Receive,
    /// Request `value` waits for a free socket in agent `conn`'s pool.
    Queued,
    /// Deliveries waiting in the kernel when poll looked (`value`): the
    /// accept queue and unread requests, a busy loop's backlog.
    Backlog,
    /// Request `value` failed (connection refused, reset, hang up).
    Failed,
    /// A signal arrived (`value`: its number).
    Signal,
    /// The server refused connection `conn` (`maxConnections`).
    Dropped,
    /// A load generator started (`conn`: its number, `value`: connections).
    LoadStart,
    /// A load generator finished (`value`: requests completed).
    LoadEnd,
}

impl NetEvent {
    pub fn name(self) -> &'static str {
        match self {
            NetEvent::Listen => "listen",
            NetEvent::ServerClose => "server-close",
            NetEvent::Accept => "accept",
            NetEvent::Connect => "connect",
            NetEvent::Reuse => "reuse",
            NetEvent::Idle => "idle",
            NetEvent::Close => "close",
            NetEvent::Send => "send",
            NetEvent::Arrive => "arrive",
            NetEvent::Handle => "handle",
            NetEvent::Respond => "respond",
            NetEvent::Receive => "receive",
            NetEvent::Queued => "queued",
            NetEvent::Backlog => "backlog",
            NetEvent::Failed => "failed",
            NetEvent::Signal => "signal",
            NetEvent::Dropped => "dropped",
            NetEvent::LoadStart => "load-start",
            NetEvent::LoadEnd => "load-end",
        }
    }
}

/// What happened. Payloads are small ids; text lives in [`super::Strings`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The main script starts running.
    ScriptStart,
    ScriptEnd,
    /// `uv_run` begins an iteration (the iteration number is in the event).
    IterationStart,
    PhaseEnter(Phase),
    /// Poll waited (virtual clock: jumped) this many microseconds.
    PollWait {
        micros: u32,
    },
    /// A callback was put in its queue; `due_ms` is the timer deadline.
    Queued {
        cb: CbId,
        due_ms: u32,
    },
    /// A queued callback was cancelled (clearTimeout, clearImmediate).
    Cleared {
        cb: CbId,
    },
    CallbackStart {
        cb: CbId,
    },
    CallbackEnd {
        cb: CbId,
        threw: bool,
    },
    /// The nextTick and microtask queues start / finish draining.
    DrainStart,
    DrainEnd,
    /// A promise settled (`id` is the promise's number).
    PromiseSettled {
        promise: u32,
        rejected: bool,
    },
    /// `threads`: the pool's size (fixed when the first item is queued).
    PoolQueued {
        task: u32,
        op: PoolOp,
        threads: u16,
    },
    PoolStart {
        task: u32,
        thread: u16,
    },
    PoolDone {
        task: u32,
        thread: u16,
    },
    Console {
        stream: Stream,
        text: StrId,
    },
    /// A narration marker placed by `note(text)`.
    Note {
        text: StrId,
    },
    Race {
        kind: RaceKind,
        timeout_first: bool,
    },
    UnhandledRejection {
        promise: u32,
    },
    UncaughtException,
    BeforeExit,
    /// `process.on('exit')` handlers run with this code.
    ExitEvent {
        code: i32,
    },
    /// A budget was exceeded; `ticks` counts the nextTicks and microtasks that
    /// ran since the loop last moved on (evidence of starvation).
    Budget {
        kind: BudgetKind,
        ticks: u32,
    },
    /// The process ends with this exit code.
    Exit {
        code: i32,
    },
    /// A `monitorEventLoopDelay` timer fired in the timers phase: the
    /// interval since its previous firing, recorded in its histogram (0 for
    /// the first firing, which only starts the measurement).
    EldSample {
        monitor: u16,
        delta_ns: SplitU64,
    },
    /// `worker_threads`: `worker` is the thread id (0: the parent, for
    /// messages a worker posts or receives on `parentPort`).
    Worker {
        worker: u16,
        event: WorkerEvent,
        value: u32,
    },
    /// A stream was created: its number, what it is, its highWaterMark
    /// (bytes, or objects in object mode) and its label.
    StreamNew {
        class: StreamClass,
        stream: u16,
        hwm: u32,
        label: StrId,
    },
    /// A stream buffer's length changed (the readable side's buffer or
    /// the writable side's buffered-plus-in-flight length).
    StreamLevel {
        side: StreamSide,
        stream: u16,
        length: u32,
    },
    /// Something a backpressure view lights up: drain, pause, resume, a
    /// `write()` that returned false, end, finish, close, error.
    StreamSignal {
        signal: StreamSignal,
        stream: u16,
    },
    /// A backing store (ArrayBuffer) was created: a pool slab
    /// (`createPool`) or a Buffer's own store.
    BufStore {
        store: u32,
        bytes: u32,
        pool: bool,
    },
    /// A Buffer (a view) was made on a store; views are numbered by the
    /// order of these events. The store id is 24 bits (`lo | hi << 16`) so
    /// the payload fits the 12 bytes of a [`Kind`].
    BufView {
        store_lo: u16,
        store_hi: u8,
        offset: u32,
        len: u32,
    },
    /// `gc()` ran: it collected `stores` backing stores (`bytes` counted).
    /// The views and stores it found unreachable follow as
    /// [`Kind::BufViewDead`] and [`Kind::BufFree`].
    Gc {
        stores: u32,
        bytes: u32,
    },
    BufViewDead {
        view: u32,
    },
    BufFree {
        store: u32,
    },
    /// A store was detached (transferred): its byteLength is now 0.
    BufDetach {
        store: u32,
    },
    /// Sockets, HTTP and signals: see [`NetEvent`].
    Net {
        event: NetEvent,
        conn: u16,
        status: u16,
        value: u32,
    },
}

impl Kind {
    /// The store id of a [`Kind::BufView`].
    pub fn view_store(store_lo: u16, store_hi: u8) -> u32 {
        store_lo as u32 | (store_hi as u32) << 16
    }
}

/// Which constructor made a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum StreamClass {
    Readable,
    Writable,
    Transform,
}

impl StreamClass {
    pub fn name(self) -> &'static str {
        match self {
            StreamClass::Readable => "Readable",
            StreamClass::Writable => "Writable",
            StreamClass::Transform => "Transform",
        }
    }
}

/// The two buffers of a stream (a Transform has both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum StreamSide {
    Readable,
    Writable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum StreamSignal {
    /// `write()` returned false: the writer should wait for 'drain'.
    WriteFalse,
    Drain,
    Pause,
    Resume,
    End,
    Finish,
    Close,
    Error,
}

impl StreamSignal {
    pub fn name(self) -> &'static str {
        match self {
            StreamSignal::WriteFalse => "write-false",
            StreamSignal::Drain => "drain",
            StreamSignal::Pause => "pause",
            StreamSignal::Resume => "resume",
            StreamSignal::End => "end",
            StreamSignal::Finish => "finish",
            StreamSignal::Close => "close",
            StreamSignal::Error => "error",
        }
    }
}

/// A u64 kept as two 32-bit words, so [`Kind`] stays 4-byte aligned
/// (12 bytes) and [`Event`] 24.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SplitU64([u32; 2]);

impl SplitU64 {
    pub fn new(v: u64) -> Self {
        SplitU64([v as u32, (v >> 32) as u32])
    }

    pub fn get(self) -> u64 {
        self.0[0] as u64 | (self.0[1] as u64) << 32
    }
}

/// One trace record (24 bytes). The sequence number is the event's index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// Model time in nanoseconds since the process started.
    pub time_ns: u64,
    pub kind: Kind,
    /// Loop iteration (low 24 bits, saturating) and phase (high 8 bits).
    place: u32,
}

const ITERATION_MASK: u32 = (1 << 24) - 1;

impl Event {
    pub fn new(time_ns: u64, iteration: u32, phase: Phase, kind: Kind) -> Self {
        Event {
            time_ns,
            kind,
            place: iteration.min(ITERATION_MASK) | (phase as u32) << 24,
        }
    }

    pub fn iteration(&self) -> u32 {
        self.place & ITERATION_MASK
    }

    pub fn phase(&self) -> Phase {
        match self.place >> 24 {
            0 => Phase::Main,
            1 => Phase::Timers,
            2 => Phase::Pending,
            3 => Phase::Idle,
            4 => Phase::Prepare,
            5 => Phase::Poll,
            6 => Phase::Check,
            7 => Phase::Close,
            _ => Phase::Exit,
        }
    }
}

const _: () = assert!(std::mem::size_of::<Kind>() <= 12);
const _: () = assert!(std::mem::size_of::<Event>() <= 24);
