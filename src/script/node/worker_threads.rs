//! `worker_threads` for scripts.
//!
//! A worker's body is a named `fn` of the same script, run on a thread of
//! its own with a runtime, a loop and a Rhai engine of its own:
//!
//! ```text
//! fn hasher() {
//!     let n = worker_threads.workerData;
//!     busy(n);
//!     worker_threads.parentPort.postMessage(`done ${n}`);
//! }
//! let w = worker_threads.Worker.create("hasher", #{ workerData: 200 });
//! w.on("message", |m| console.log(m));
//! ```
//!
//! renders to JavaScript as `new worker_threads.Worker(__filename, {
//! workerData: 200, argv: ["hasher"] })`, with a prologue that, on a worker
//! thread, runs the function `process.argv[2]` names and nothing else: the
//! same file, as Node workers usually are.

use rhai::{Dynamic, Engine, EvalAltResult, NativeCallContext, Position};

use super::args::{Res, callback, guard, site_for};
use crate::runtime::buffer::Store;
use crate::runtime::clock::ClockMode;
use crate::runtime::threads::{Child, Link};
use crate::runtime::worker::{Body, Cloned, Hub, MessageCost};
use crate::script::host::{Ctx, Limits, WorkerSpec, ctx};
use crate::script::value::buffer::allocation_failed;
use crate::script::value::clone::{CloneError, from_cloned, to_cloned};
use crate::script::value::{JsArrayBuffer, JsError, JsNull, JsPromise};
use crate::trace::{CallbackKind, Kind, WorkerEvent};

/// How many worker threads may be alive at once (see [`create`]).
pub const MAX_LIVE_WORKERS: usize = 64;

/// The `worker_threads` module object.
#[derive(Clone, Copy)]
pub struct WorkerThreadsNs;
/// `worker_threads.Worker` (the constructor: `.create(name, options)`).
#[derive(Clone, Copy)]
pub struct WorkerNs;
/// A `Worker` object: the thread's id in the hub.
#[derive(Clone, Copy)]
pub struct JsWorker(pub u32);
/// `parentPort` inside a worker.
#[derive(Clone, Copy)]
pub struct JsPort;

fn js_error(name: &str, message: String, pos: Position) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(
        Dynamic::from(JsError::new(name, &message)),
        pos,
    ))
}

fn clone_error(error: CloneError, pos: Position) -> Box<EvalAltResult> {
    let e = match error {
        CloneError::DataClone(message) => {
            let mut e = JsError::new("DataCloneError", &message);
            e.props.push(("code".into(), Dynamic::from(25_i64)));
            e
        }
        CloneError::OutOfMemory => allocation_failed(),
    };
    Box::new(EvalAltResult::ErrorRuntime(Dynamic::from(e), pos))
}

/// The ArrayBuffers of a transfer list (`[buf.buffer]`).
fn transfer_list(list: &Dynamic, pos: Position) -> Res<Vec<Store>> {
    let Some(items) = list.read_lock::<rhai::Array>() else {
        return Err(js_error(
            "TypeError",
            "Optional transferList argument must be an iterable".into(),
            pos,
        ));
    };
    let mut out = Vec::new();
    for item in items.iter() {
        match item.read_lock::<JsArrayBuffer>() {
            Some(ab) => out.push(ab.0.clone()),
            None => {
                return Err(js_error(
                    "TypeError",
                    "Found invalid object in transferList".into(),
                    pos,
                ));
            }
        }
    }
    Ok(out)
}

/// `postMessage(value, transfer)` from this loop to `to`. The sender pays
/// for the serialization; moved buffers are detached here.
fn post(c: &NativeCallContext, to: Option<u32>, value: &Dynamic, transfer: Vec<Store>) -> Res<()> {
    let pos = c.call_position();
    let cloned = to_cloned(value, &transfer).map_err(|e| clone_error(e, pos))?;
    let x = ctx()?;
    let mut rt = x.rt.borrow_mut();
    let Some(to) = to.or_else(|| rt.threads.link.as_ref().and_then(|l| l.parent)) else {
        return Ok(());
    };
    let who =
        if rt.threads.is_worker() && Some(to) == rt.threads.link.as_ref().and_then(|l| l.parent) {
            0
        } else {
            to.min(u16::MAX as u32) as u16
        };
    if rt.clock.mode == ClockMode::Virtual {
        let target = rt.clock.now_ns() + MessageCost::serialize_ns(&cloned);
        rt.advance_virtual(target);
    }
    let moved = cloned.moved_bytes();
    let (event, value) = if moved > 0 {
        (WorkerEvent::Transferred, moved)
    } else {
        (WorkerEvent::Posted, cloned.copied_bytes())
    };
    rt.emit(Kind::Worker {
        worker: who,
        event,
        value: value.min(u32::MAX as u64) as u32,
    });
    // The transferred ArrayBuffers are detached here (not the pool's).
    for store in transfer.iter().filter(|s| !s.is_pool()) {
        rt.detach_buffer(store);
    }
    let now = rt.clock.now_ns();
    rt.threads.send(to, now, Body::Message(cloned));
    Ok(())
}

fn child_exists(x: &Ctx, id: u32) -> bool {
    x.rt.borrow()
        .threads
        .children
        .iter()
        .any(|c| c.hub_id == id)
}

/// `new Worker(__filename, { workerData, argv: [body] })`.
fn create(c: &NativeCallContext, body: &str, options: Option<rhai::Map>) -> Res<JsWorker> {
    guard(c, "worker_threads.Worker.create")?;
    let pos = c.call_position();
    let x = ctx()?;
    let data = match options.as_ref().and_then(|o| o.get("workerData")) {
        Some(d) => to_cloned(d, &[]).map_err(|e| clone_error(e, pos))?,
        None => Cloned::Null,
    };
    let limits = Limits::of(&x.engine);
    let mut rt = x.rt.borrow_mut();
    let mode = rt.clock.mode;
    if rt.threads.link.is_none() {
        let hub = Hub::new(mode, rt.clock.start_instant());
        rt.threads.link = Some(Link {
            hub,
            me: 0,
            parent: None,
        });
    }
    let Some(link) = rt.threads.link.clone() else {
        return Err(js_error("Error", "worker_threads: no hub".into(), pos));
    };
    let now = rt.clock.now_ns();
    let start_ns = match mode {
        ClockMode::Virtual => now + MessageCost::STARTUP_NS,
        ClockMode::Real => now,
    };
    // Each worker is an OS thread with an engine of its own: the model
    // caps how many run at once (node would go on until memory runs out).
    if link.hub.live_workers() >= MAX_LIVE_WORKERS {
        return Err(js_error(
            "Error",
            format!(
                "workbench: at most {MAX_LIVE_WORKERS} worker threads can run at once (a model limit)"
            ),
            pos,
        ));
    }
    let id = link.hub.register(start_ns, link.hub.proc_of(link.me));
    let mut options = rt.options.clone();
    options.live_console = false;
    // Node's defaults: `env` is a copy of the parent's `process.env` as it
    // stands now, and the worker's `process.argv` is `[execPath, filename,
    // ...options.argv]`, where the rendering's `argv` is `[body]` (its
    // prologue reads `process.argv[2]`).
    options.env = rt.env().clone();
    options.args = vec![body.to_string()];
    let spec = WorkerSpec {
        source: x.source.clone(),
        body: body.to_string(),
        data,
        link: Link {
            hub: link.hub.clone(),
            me: id,
            parent: Some(link.me),
        },
        options,
        limits,
        start_ns,
        epoch_ms: rt.clock.epoch_ms(),
    };
    let entry = x.worker_entry;
    let thread = std::thread::Builder::new()
        .name(format!("worker-{id}"))
        .stack_size(crate::script::host::stack::WORKER_STACK_BYTES)
        .spawn(move || {
            // A bug in the model must not leave the other loops waiting for
            // this one forever: report it as the worker's exit (code 70).
            let (hub, me, parent) = (spec.link.hub.clone(), spec.link.me, spec.link.parent);
            let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| entry(spec)));
            if ran.is_err() {
                let to = parent.unwrap_or(0);
                hub.post(
                    me,
                    to,
                    0,
                    Body::Console(
                        crate::trace::Stream::Stderr,
                        format!(
                            "workbench: internal error in worker {me} (a bug: please report it)"
                        ),
                    ),
                );
                hub.post(me, to, 0, Body::Exit(70));
                hub.leave(me);
            }
        })
        .map_err(|e| js_error("Error", format!("cannot start a worker thread: {e}"), pos))?;
    rt.threads.children.push(Child {
        hub_id: id,
        events: Default::default(),
        refed: true,
        exited: None,
        terminating: Vec::new(),
        thread: Some(thread),
    });
    rt.emit(Kind::Worker {
        worker: id.min(u16::MAX as u32) as u16,
        event: WorkerEvent::Spawned,
        value: 0,
    });
    Ok(JsWorker(id))
}

fn worker_on(
    c: &NativeCallContext,
    w: JsWorker,
    event: &str,
    f: Dynamic,
    once: bool,
) -> Res<JsWorker> {
    let func = callback(c, &f, "listener")?;
    let x = ctx()?;
    let s = site_for(c, format!("worker {} '{event}' listener", w.0), Some(&func));
    let mut rt = x.rt.borrow_mut();
    let cb = rt.register_callback(CallbackKind::Listener, &s);
    if let Some(child) = rt.threads.child(w.0) {
        child.events.on(event, (func, cb), once);
    }
    Ok(w)
}

fn port_on(c: &NativeCallContext, event: &str, f: Dynamic, once: bool) -> Res<JsPort> {
    let func = callback(c, &f, "listener")?;
    let x = ctx()?;
    let s = site_for(c, format!("parentPort '{event}' listener"), Some(&func));
    let mut rt = x.rt.borrow_mut();
    let cb = rt.register_callback(CallbackKind::Listener, &s);
    if let Some(port) = rt.threads.port.as_mut() {
        port.events.on(event, (func, cb), once);
    }
    Ok(JsPort)
}

pub fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<WorkerThreadsNs>("worker_threads")
        .register_type_with_name::<WorkerNs>("WorkerConstructor")
        .register_type_with_name::<JsWorker>("Worker")
        .register_type_with_name::<JsPort>("MessagePort");

    engine.register_get("Worker", |_n: &mut WorkerThreadsNs| WorkerNs);
    engine.register_get("isMainThread", |_n: &mut WorkerThreadsNs| -> Res<bool> {
        Ok(!ctx()?.rt.borrow().threads.is_worker())
    });
    engine.register_get("threadId", |_n: &mut WorkerThreadsNs| -> Res<i64> {
        let x = ctx()?;
        let rt = x.rt.borrow();
        Ok(rt
            .threads
            .link
            .as_ref()
            .filter(|l| l.parent.is_some())
            .map_or(0, |l| l.me as i64))
    });
    engine.register_get("parentPort", |_n: &mut WorkerThreadsNs| -> Res<Dynamic> {
        Ok(if ctx()?.rt.borrow().threads.is_worker() {
            Dynamic::from(JsPort)
        } else {
            Dynamic::from(JsNull)
        })
    });
    engine.register_get("workerData", |_n: &mut WorkerThreadsNs| -> Res<Dynamic> {
        let x = ctx()?;
        // Cloned out first: making the value may allocate on this runtime.
        let data = x.rt.borrow().threads.worker_data.clone();
        Ok(match data {
            Some(d) => from_cloned(d),
            None => Dynamic::from(JsNull),
        })
    });

    engine.register_fn(
        "create",
        |c: NativeCallContext, _n: &mut WorkerNs, body: &str| create(&c, body, None),
    );
    engine.register_fn(
        "create",
        |c: NativeCallContext, _n: &mut WorkerNs, body: &str, options: rhai::Map| {
            create(&c, body, Some(options))
        },
    );

    // The Worker object.
    engine.register_get("threadId", |w: &mut JsWorker| w.0 as i64);
    engine.register_fn(
        "on",
        |c: NativeCallContext, w: JsWorker, e: &str, f: Dynamic| worker_on(&c, w, e, f, false),
    );
    engine.register_fn(
        "once",
        |c: NativeCallContext, w: JsWorker, e: &str, f: Dynamic| worker_on(&c, w, e, f, true),
    );
    engine.register_fn(
        "postMessage",
        |c: NativeCallContext, w: JsWorker, v: Dynamic| post(&c, Some(w.0), &v, Vec::new()),
    );
    engine.register_fn(
        "postMessage",
        |c: NativeCallContext, w: JsWorker, v: Dynamic, list: Dynamic| -> Res<()> {
            let transfer = transfer_list(&list, c.call_position())?;
            post(&c, Some(w.0), &v, transfer)
        },
    );
    engine.register_fn("ref", |w: JsWorker| -> Res<()> {
        if let Some(child) = ctx()?.rt.borrow_mut().threads.child(w.0) {
            child.refed = true;
        }
        Ok(())
    });
    engine.register_fn("unref", |w: JsWorker| -> Res<()> {
        if let Some(child) = ctx()?.rt.borrow_mut().threads.child(w.0) {
            child.refed = false;
        }
        Ok(())
    });
    engine.register_fn("terminate", |w: JsWorker| -> Res<JsPromise> {
        let x = ctx()?;
        if !child_exists(&x, w.0) {
            return Err(js_error(
                "Error",
                "not a worker of this thread".into(),
                Position::NONE,
            ));
        }
        let mut rt = x.rt.borrow_mut();
        let promise = rt.new_promise();
        let exited = rt.threads.child(w.0).and_then(|c| c.exited);
        match exited {
            // Already gone: resolves with undefined, as Node's does.
            Some(_) => rt.resolve_promise(&promise, Dynamic::UNIT),
            None => {
                let now = rt.clock.now_ns();
                rt.emit(Kind::Worker {
                    worker: w.0.min(u16::MAX as u32) as u16,
                    event: WorkerEvent::Terminate,
                    value: 0,
                });
                rt.threads.send(w.0, now, Body::Terminate);
                if let Some(child) = rt.threads.child(w.0) {
                    child.terminating.push(promise.clone());
                }
            }
        }
        Ok(JsPromise(promise))
    });

    // parentPort.
    engine.register_fn(
        "on",
        |c: NativeCallContext, _p: JsPort, e: &str, f: Dynamic| port_on(&c, e, f, false),
    );
    engine.register_fn(
        "once",
        |c: NativeCallContext, _p: JsPort, e: &str, f: Dynamic| port_on(&c, e, f, true),
    );
    engine.register_fn(
        "postMessage",
        |c: NativeCallContext, _p: JsPort, v: Dynamic| post(&c, None, &v, Vec::new()),
    );
    engine.register_fn(
        "postMessage",
        |c: NativeCallContext, _p: JsPort, v: Dynamic, list: Dynamic| -> Res<()> {
            let transfer = transfer_list(&list, c.call_position())?;
            post(&c, None, &v, transfer)
        },
    );
    engine.register_fn("close", |_p: JsPort| -> Res<()> {
        if let Some(port) = ctx()?.rt.borrow_mut().threads.port.as_mut() {
            port.closed = true;
        }
        Ok(())
    });
    engine.register_fn("ref", |_p: JsPort| -> Res<()> {
        if let Some(port) = ctx()?.rt.borrow_mut().threads.port.as_mut() {
            port.refed = true;
        }
        Ok(())
    });
    engine.register_fn("unref", |_p: JsPort| -> Res<()> {
        if let Some(port) = ctx()?.rt.borrow_mut().threads.port.as_mut() {
            port.refed = false;
        }
        Ok(())
    });
}
