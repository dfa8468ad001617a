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

/// Runs a forked process's script: `script::run_process`.
pub type ProcEntry = fn(ProcSpec);

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
}
