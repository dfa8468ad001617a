//! What a worker thread starts from: a [`WorkerSpec`] (everything in it is
//! `Send`), the entry point that runs it ([`WorkerEntry`]: the script
//! layer's `run_worker`, handed to the context so that the binding can start
//! a thread without naming what is above it), and its fresh runtime.

use super::limits::Limits;
use crate::runtime::threads::{Link, Port};
use crate::runtime::worker::Cloned;
use crate::script::source::Source;
use crate::script::value::Rh;

/// Runs a worker thread's script: `script::run_worker`.
pub type WorkerEntry = fn(WorkerSpec);

/// What a worker thread needs to start: everything is `Send`.
pub struct WorkerSpec {
    pub source: Source,
    pub body: String,
    pub data: Cloned,
    pub link: Link,
    pub options: crate::runtime::Options,
    pub limits: Limits,
    pub start_ns: u64,
    pub epoch_ms: u64,
}

/// The worker side of a thread start: a fresh runtime whose `parentPort`
/// is open and whose `workerData` is the clone.
pub fn worker_runtime(spec: &WorkerSpec, start_ns: u64) -> crate::runtime::Shared<Rh> {
    let rt = crate::runtime::Runtime::<Rh>::shared(spec.options.clone());
    {
        let mut r = rt.borrow_mut();
        let start = spec.link.hub.start;
        r.clock = crate::runtime::clock::Clock::for_worker(
            spec.options.clock,
            start,
            spec.epoch_ms,
            start_ns,
        );
        r.threads.link = Some(spec.link.clone());
        r.threads.port = Some(Port::default());
        r.threads.worker_data = Some(spec.data.clone());
    }
    rt
}

/// Runs a forked process's script: `script::run_process`. Returns how it
/// ended: its exit code, or the signal that killed it.
pub type ProcEntry = fn(ProcSpec) -> (i32, Option<i32>);

/// What a forked process (a cluster worker, a `child_process.fork()`
/// child) needs to start: everything is `Send`.
pub struct ProcSpec {
    pub source: Source,
    pub link: Link,
    /// The loop that forked it.
    pub parent: u32,
    pub identity: crate::runtime::procs::Identity,
    pub proc: u16,
    pub options: crate::runtime::Options,
    pub limits: Limits,
    pub start_ns: u64,
    pub epoch_ms: u64,
    /// The lesson's knob values: the file runs again with the same ones.
    pub overrides: std::collections::BTreeMap<String, String>,
    pub module: crate::runtime::ModuleKind,
    /// A real OS process (`--clock real`): its own pid.
    pub os_pid: Option<u32>,
    /// A real OS process: the signals its script may catch.
    pub os_signals: Option<std::sync::Arc<crate::runtime::procs::os::SignalFlags>>,
    /// A real OS process: whether frames from the parent wait unread.
    pub os_channel: Option<crate::runtime::procs::channel::Inlet>,
}

/// What a forked process runs: the parent's script and settings.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Boot {
    pub path: std::path::PathBuf,
    pub text: String,
    /// The cluster worker id (None: a `child_process.fork()` child).
    pub worker: Option<u32>,
    pub proc: u16,
    pub env: Vec<(String, String)>,
    pub args: Vec<String>,
    pub max_events: usize,
    pub max_wall_ms: u64,
    pub max_work_blocks: u64,
    pub pool_size: usize,
    pub sandbox: std::path::PathBuf,
    pub esm: bool,
    pub entry: String,
    pub cores: usize,
    /// Operations, call levels, string, array and map sizes.
    pub limits: (u64, usize, usize, usize, usize),
    pub epoch_ms: u64,
    pub overrides: std::collections::BTreeMap<String, String>,
    /// The process writes its output to the terminal itself, as node's
    /// processes share their parent's stdout and stderr (`workbench run`);
    /// the player keeps the terminal, and only records what they print.
    pub live: bool,
}

/// The boot frame of the process `spec` describes (`live`: it prints its
/// output itself).
pub fn boot_of(spec: &ProcSpec, live: bool) -> serde_json::Value {
    let o = &spec.options;
    let l = &spec.limits;
    let boot = Boot {
        path: spec.source.path.clone(),
        text: spec.source.text.clone(),
        worker: match spec.identity {
            crate::runtime::procs::Identity::Worker(id) => Some(id),
            _ => None,
        },
        proc: spec.proc,
        env: o.env.vars().to_vec(),
        args: o.args.clone(),
        max_events: o.max_events,
        max_wall_ms: o.max_wall.as_millis() as u64,
        max_work_blocks: o.max_work_blocks,
        pool_size: o.pool_size,
        sandbox: o.sandbox.clone(),
        esm: spec.module == crate::runtime::ModuleKind::Esm,
        entry: o.entry.clone(),
        cores: o.cores,
        limits: (
            l.max_operations,
            l.max_call_levels,
            l.max_string_size,
            l.max_array_size,
            l.max_map_size,
        ),
        epoch_ms: spec.epoch_ms,
        overrides: spec.overrides.clone(),
        live,
    };
    serde_json::to_value(boot).unwrap_or(serde_json::Value::Null)
}
