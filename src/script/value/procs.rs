//! The values of `cluster` and `child_process`: Worker and ChildProcess
//! objects are handles (their index among the processes this one forked),
//! made when the model asks the host for them
//! ([`crate::runtime::HostTypes::proc_value`]).

use rhai::Dynamic;

use crate::runtime::procs::ProcObj;

/// The `cluster` module object.
#[derive(Clone, Copy)]
pub struct ClusterNs;
/// The `child_process` module object.
#[derive(Clone, Copy)]
pub struct ChildProcessNs;
/// A cluster `Worker` in the primary (its index among the forked).
#[derive(Clone, Copy)]
pub struct JsClusterWorker(pub u32);
/// `worker.process` in the primary: the ChildProcess behind a Worker.
#[derive(Clone, Copy)]
pub struct JsWorkerProcess(pub u32);
/// `cluster.worker` inside a worker.
#[derive(Clone, Copy)]
pub struct JsSelfWorker;
/// A `ChildProcess` from `child_process.fork()`.
#[derive(Clone, Copy)]
pub struct JsChildProcess(pub u32);
/// `cluster.workers`: the live workers by id.
#[derive(Clone)]
pub struct JsWorkers(pub Vec<(u32, u32)>);

pub fn proc_value(obj: ProcObj) -> Dynamic {
    match obj {
        ProcObj::Worker(i) => Dynamic::from(JsClusterWorker(i)),
    }
}
