//! Processes of a run (cluster workers, forked children), as one log that
//! every process writes into: their lives, the CPU slices they ran on
//! the cores, the connections the primary handed to them and the requests
//! they served. Kept beside the events (each process has its own loop;
//! the trace's events are the primary's), ordered by time when the run
//! ends. The cluster view folds it up to the cursor's time.

/// What happened to a process, or what it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProcEvent {
    /// `cluster.fork()` / `child_process.fork()`: the process starts
    /// booting. `value`: the cluster worker id (0 for a child process).
    Forked,
    /// Its script runs (`'online'`).
    Online,
    /// A server of it listens (`value`: the port).
    Listening,
    /// Its IPC channel closed (`'disconnect'`).
    Disconnected,
    /// It exited (`value`: the exit code).
    Exited,
    /// A signal ended it (`value`: the signal number).
    Killed,
    /// It ran on a core (`core`; `value`: nanoseconds).
    Cpu,
    /// It waited for a core (`value`: nanoseconds).
    Waited,
    /// The primary handed it a connection (`value`: connections waiting
    /// in the primary's queue after this one).
    Handoff,
    /// The primary queued a connection: every worker was busy (`value`:
    /// the queue's length).
    Queued,
    /// It answered a request (`value`: the status code).
    Served,
    /// The primary reset a connection nobody could take.
    Refused,
}

impl ProcEvent {
    pub fn name(self) -> &'static str {
        match self {
            ProcEvent::Forked => "forked",
            ProcEvent::Online => "online",
            ProcEvent::Listening => "listening",
            ProcEvent::Disconnected => "disconnected",
            ProcEvent::Exited => "exited",
            ProcEvent::Killed => "killed",
            ProcEvent::Cpu => "cpu",
            ProcEvent::Waited => "waited",
            ProcEvent::Handoff => "handoff",
            ProcEvent::Queued => "queued",
            ProcEvent::Served => "served",
            ProcEvent::Refused => "refused",
        }
    }
}

/// One entry of the process log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcPoint {
    pub time_ns: u64,
    /// The process: 0 is the primary (the process the run started), then
    /// every forked process in fork order.
    pub proc: u16,
    /// The core of a `Cpu` slice.
    pub core: u16,
    pub event: ProcEvent,
    pub value: u32,
}

/// The log of a run, with the core count the scenario had.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcLog {
    pub cores: u16,
    pub points: Vec<ProcPoint>,
}

impl ProcLog {
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The points at or before `time_ns` (the log is in time order).
    pub fn until(&self, time_ns: u64) -> &[ProcPoint] {
        let n = self.points.partition_point(|p| p.time_ns <= time_ns);
        &self.points[..n]
    }
}
