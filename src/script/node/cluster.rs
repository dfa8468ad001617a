//! `cluster` and `child_process.fork` for scripts.
//!
//! A forked process runs the same script from the top, on a runtime and a
//! Rhai engine of its own (see `runtime/procs`), as Node runs the file
//! again: `cluster.isPrimary` tells the two apart.
//!
//! ```text
//! if cluster.isPrimary {
//!     for i in 0..4 { cluster.fork(); }
//!     cluster.on("exit", |w, code, signal| console.log(`worker ${w.id} died`));
//! } else {
//!     http.createServer(|req, res| res.end("hi")).listen(8000);
//! }
//! ```

use rhai::{Dynamic, Engine, EvalAltResult, NativeCallContext, Position};

use super::args::{Res, callback, guard, ipc_send, ipc_send_with_callback, site_for};
use crate::runtime::clock::ClockMode;
use crate::runtime::procs::{ForkCost, INTERCOM_DISCONNECT, Identity, SCHED_NONE, SCHED_RR};
use crate::runtime::threads::Link;
use crate::script::host::{Limits, ProcSpec, ctx};
use crate::script::value::procs::{
    ChildProcessNs, ClusterNs, JsChildProcess, JsClusterWorker, JsSelfWorker, JsWorkerProcess,
    JsWorkers,
};
use crate::script::value::{JsError, JsNull, to_js_string};
use crate::trace::CallbackKind;

fn js_error(name: &str, message: String, pos: Position) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(
        Dynamic::from(JsError::new(name, &message)),
        pos,
    ))
}

fn coded_error(name: &str, code: &str, message: String, pos: Position) -> Box<EvalAltResult> {
    let mut e = JsError::new(name, &message);
    e.props
        .push(("code".into(), Dynamic::from(code.to_string())));
    Box::new(EvalAltResult::ErrorRuntime(Dynamic::from(e), pos))
}

/// Starts a process running this script again: a cluster worker (its id)
/// or a forked child. Returns its index among this process's children.
fn fork(
    c: &NativeCallContext,
    worker_id: Option<u32>,
    env: Option<&rhai::Map>,
    args: Vec<String>,
) -> Res<u32> {
    let pos = c.call_position();
    let x = ctx()?;
    let limits = Limits::of(&x.engine);
    let Some(entry) = x.proc_entry else {
        return Err(js_error(
            "Error",
            "workbench: processes cannot be forked here".into(),
            pos,
        ));
    };
    let mut rt = x.rt.borrow_mut();
    rt.fork_allowed().map_err(|m| js_error("Error", m, pos))?;
    let link = rt.ensure_hub();
    let proc = link.hub.new_proc();
    let now = rt.clock.now_ns();
    let start_ns = match rt.clock.mode {
        ClockMode::Virtual => now + ForkCost::BOOT_NS,
        ClockMode::Real => now,
    };
    let id = link.hub.register(start_ns, proc);
    let mut options = rt.options.clone();
    let live = options.live_console;
    options.live_console = false;
    // `{ ...process.env, ...env }`.
    let mut vars = rt.env().clone();
    if let Some(env) = env {
        for (k, v) in env {
            vars.set(k, &crate::script::value::to_js_string(v));
        }
    }
    // Node passes NODE_UNIQUE_ID to a worker and its bootstrap deletes it
    // from process.env before the script runs (so that the worker's own
    // children are not cluster workers): the script never sees it.
    options.env = vars;
    options.args = args;
    let spec = ProcSpec {
        source: x.source.clone(),
        link: Link {
            hub: link.hub.clone(),
            me: id,
            parent: None,
        },
        parent: link.me,
        identity: match worker_id {
            Some(w) => Identity::Worker(w),
            None => Identity::Child,
        },
        proc,
        options,
        limits,
        start_ns,
        epoch_ms: rt.clock.epoch_ms(),
        overrides: x.overrides.clone(),
        module: x.module,
        os_pid: None,
        os_signals: None,
        os_channel: None,
    };
    // Under the real clock a process is a real one: the workbench again.
    if rt.clock.mode == ClockMode::Real {
        let boot = crate::script::host::boot_of(&spec, live);
        return match crate::runtime::procs::os::spawn(link.hub.clone(), id, link.me, boot) {
            Ok(spawned) => {
                let idx = rt.add_proc_child(id, proc, worker_id, spawned.thread, Some(spawned.pid));
                if let Some(c) = rt.procs.children.get_mut(idx as usize) {
                    c.ipc = spawned.ipc;
                }
                Ok(idx)
            }
            Err(e) => {
                link.hub.leave(id);
                Err(js_error(
                    "Error",
                    format!("cannot start a process: {e}"),
                    pos,
                ))
            }
        };
    }
    let thread = std::thread::Builder::new()
        .name(format!("process-{proc}"))
        .stack_size(crate::script::host::stack::WORKER_STACK_BYTES)
        .spawn(move || {
            // A bug in the model must not leave the other loops waiting
            // for this one: report it as the process's death (code 70).
            let (hub, me, parent) = (spec.link.hub.clone(), spec.link.me, spec.parent);
            let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                entry(spec);
            }));
            if ran.is_err() {
                use crate::runtime::worker::Body;
                hub.post(
                    me,
                    0,
                    0,
                    Body::Console(
                        crate::trace::Stream::Stderr,
                        format!(
                            "workbench: internal error in process {proc} (a bug: please report it)"
                        ),
                    ),
                );
                hub.post(
                    me,
                    parent,
                    0,
                    Body::Died {
                        code: Some(70),
                        signal: None,
                    },
                );
                hub.leave(me);
            }
        })
        .map_err(|e| js_error("Error", format!("cannot start a process: {e}"), pos))?;
    Ok(rt.add_proc_child(id, proc, worker_id, thread, None))
}

/// `on`/`once` for a process object: `target` picks the emitter.
fn listen(
    c: &NativeCallContext,
    label: String,
    event: &str,
    f: &Dynamic,
    once: bool,
    target: impl FnOnce(
        &mut crate::runtime::Runtime<crate::script::value::Rh>,
    ) -> Option<
        &mut crate::runtime::events::Emitter<(crate::script::value::JsFunc, crate::trace::CbId)>,
    >,
) -> Res<()> {
    let func = callback(c, f, "listener")?;
    let x = ctx()?;
    let s = site_for(c, label, Some(&func));
    let mut rt = x.rt.borrow_mut();
    let cb = rt.register_callback(CallbackKind::Listener, &s);
    if let Some(e) = target(&mut rt) {
        e.on(event, (func, cb), once);
    }
    Ok(())
}

fn signal_of(c: &NativeCallContext, sig: Option<&Dynamic>) -> Res<i32> {
    let pos = c.call_position();
    match sig {
        None => Ok(15),
        Some(s) if s.is_unit() => Ok(15),
        Some(s) => {
            let name = crate::script::value::to_js_string(s);
            let n = if s.is_int() {
                s.as_int().ok().map(|n| n as i32)
            } else {
                crate::runtime::net::signal_number(&name)
            };
            n.filter(|&n| crate::runtime::net::signal_name(n).is_some())
                .ok_or_else(|| {
                    coded_error(
                        "TypeError",
                        "ERR_UNKNOWN_SIGNAL",
                        format!("Unknown signal: {name}"),
                        pos,
                    )
                })
        }
    }
}

fn child<T>(
    i: u32,
    f: impl FnOnce(&crate::runtime::procs::ProcChild<crate::script::value::Rh>) -> T,
) -> Res<T> {
    let x = ctx()?;
    let rt = x.rt.borrow();
    rt.procs
        .children
        .get(i as usize)
        .map(f)
        .ok_or_else(|| "workbench: no such process".into())
}

fn register_cluster(engine: &mut Engine) {
    engine.register_get("isPrimary", |_c: &mut ClusterNs| -> Res<bool> {
        Ok(ctx()?.rt.borrow().procs.is_primary())
    });
    engine.register_get("isMaster", |_c: &mut ClusterNs| -> Res<bool> {
        Ok(ctx()?.rt.borrow().procs.is_primary())
    });
    engine.register_get("isWorker", |_c: &mut ClusterNs| -> Res<bool> {
        Ok(!ctx()?.rt.borrow().procs.is_primary())
    });
    engine.register_get("SCHED_NONE", |_c: &mut ClusterNs| SCHED_NONE);
    engine.register_get("SCHED_RR", |_c: &mut ClusterNs| SCHED_RR);
    engine.register_get("schedulingPolicy", |_c: &mut ClusterNs| -> Res<i64> {
        let x = ctx()?;
        let mut rt = x.rt.borrow_mut();
        Ok(rt.procs.policy_set.unwrap_or_else(|| rt.cluster_policy()))
    });
    rhai::FuncRegistration::new_setter("schedulingPolicy")
        .with_purity(true)
        .register_into_engine(engine, |_c: &mut ClusterNs, v: i64| -> Res<()> {
            ctx()?.rt.borrow_mut().procs.policy_set = Some(v);
            Ok(())
        });
    engine.register_get("worker", |_c: &mut ClusterNs| -> Res<Dynamic> {
        Ok(if ctx()?.rt.borrow().procs.is_primary() {
            Dynamic::UNIT
        } else {
            Dynamic::from(JsSelfWorker)
        })
    });
    engine.register_get("workers", |_c: &mut ClusterNs| -> Res<Dynamic> {
        let x = ctx()?;
        let rt = x.rt.borrow();
        if !rt.procs.is_primary() {
            return Ok(Dynamic::UNIT);
        }
        let mut list: Vec<(u32, u32)> = rt
            .procs
            .workers()
            .into_iter()
            .map(|(id, i)| (id, i as u32))
            .collect();
        list.sort();
        Ok(Dynamic::from(JsWorkers(list)))
    });
    let fork_worker = |c: &NativeCallContext, env: Option<&rhai::Map>| -> Res<JsClusterWorker> {
        guard(c, "cluster.fork")?;
        let pos = c.call_position();
        let x = ctx()?;
        let (id, args) = {
            let mut rt = x.rt.borrow_mut();
            if !rt.procs.is_primary() {
                return Err(js_error(
                    "TypeError",
                    "cluster.fork is not a function".into(),
                    pos,
                ));
            }
            // `setupPrimary()`: the policy is frozen now.
            let policy = rt.cluster_policy();
            rt.procs.policy = Some(policy);
            let id = rt.procs.next_worker_id;
            rt.procs.next_worker_id += 1;
            let args = rt
                .procs
                .worker_args
                .clone()
                .unwrap_or_else(|| rt.options.args.clone());
            (id, args)
        };
        fork(c, Some(id), env, args).map(JsClusterWorker)
    };
    engine.register_fn("fork", move |c: NativeCallContext, _n: &mut ClusterNs| {
        fork_worker(&c, None)
    });
    engine.register_fn(
        "fork",
        move |c: NativeCallContext, _n: &mut ClusterNs, env: rhai::Map| fork_worker(&c, Some(&env)),
    );
    engine.register_fn("setupPrimary", |_n: &mut ClusterNs| -> Res<()> {
        let x = ctx()?;
        let mut rt = x.rt.borrow_mut();
        let p = rt.cluster_policy();
        rt.procs.policy = Some(p);
        Ok(())
    });
    engine.register_fn(
        "setupPrimary",
        |c: NativeCallContext, _n: &mut ClusterNs, o: rhai::Map| -> Res<()> {
            let pos = c.call_position();
            // What a scenario can mean: the workers' arguments. `exec`
            // names another file, and a scenario is one file; the rest
            // (silent, execArgv, stdio, cwd...) changes nothing the model
            // shows, and is accepted as node accepts it.
            if o.contains_key("exec") {
                return Err(js_error(
                    "TypeError",
                    "cluster.setupPrimary({ exec }): a scenario is one file; the workers run it \
                     again, so branch on cluster.isPrimary instead"
                        .into(),
                    pos,
                ));
            }
            let args = match o.get("args") {
                None => None,
                Some(v) => match v.clone().into_typed_array::<Dynamic>() {
                    Ok(items) => Some(items.iter().map(to_js_string).collect()),
                    Err(_) => {
                        return Err(js_error(
                            "TypeError",
                            "cluster.setupPrimary({ args }): args must be an array of strings"
                                .into(),
                            pos,
                        ));
                    }
                },
            };
            let x = ctx()?;
            let mut rt = x.rt.borrow_mut();
            let p = rt.cluster_policy();
            rt.procs.policy = Some(p);
            if args.is_some() {
                rt.procs.worker_args = args;
            }
            Ok(())
        },
    );
    for once in [false, true] {
        let name = if once { "once" } else { "on" };
        engine.register_fn(
            name,
            move |c: NativeCallContext,
                  n: &mut ClusterNs,
                  event: &str,
                  f: Dynamic|
                  -> Res<ClusterNs> {
                listen(
                    &c,
                    format!("cluster '{event}' listener"),
                    event,
                    &f,
                    once,
                    |r| Some(&mut r.procs.cluster_events),
                )?;
                Ok(*n)
            },
        );
    }
    let disconnect_all = |c: &NativeCallContext, f: Option<&Dynamic>| -> Res<()> {
        let x = ctx()?;
        let workers: Vec<usize> =
            x.rt.borrow()
                .procs
                .workers()
                .into_iter()
                .map(|(_, i)| i)
                .collect();
        {
            let mut rt = x.rt.borrow_mut();
            if workers.is_empty() {
                rt.proc_tick(crate::runtime::procs::ProcOp::NoWorkers);
            }
            for i in workers {
                if rt.procs.children[i].connected {
                    rt.disconnect_worker(i);
                }
            }
        }
        if let Some(f) = f {
            listen(
                c,
                "cluster.disconnect callback".into(),
                INTERCOM_DISCONNECT,
                f,
                true,
                |r| Some(&mut r.procs.cluster_events),
            )?;
        }
        Ok(())
    };
    engine.register_fn(
        "disconnect",
        move |c: NativeCallContext, _n: &mut ClusterNs| disconnect_all(&c, None),
    );
    engine.register_fn(
        "disconnect",
        move |c: NativeCallContext, _n: &mut ClusterNs, f: Dynamic| disconnect_all(&c, Some(&f)),
    );

    // cluster.workers
    engine.register_indexer_get(|w: &mut JsWorkers, id: i64| -> Dynamic {
        w.0.iter()
            .find(|(i, _)| *i as i64 == id)
            .map_or(Dynamic::UNIT, |&(_, idx)| {
                Dynamic::from(JsClusterWorker(idx))
            })
    });
    engine.register_indexer_get(|w: &mut JsWorkers, id: &str| -> Dynamic {
        w.0.iter()
            .find(|(i, _)| i.to_string() == id)
            .map_or(Dynamic::UNIT, |&(_, idx)| {
                Dynamic::from(JsClusterWorker(idx))
            })
    });
    engine.register_get("length", |w: &mut JsWorkers| w.0.len() as i64);
    engine.register_fn("len", |w: &mut JsWorkers| w.0.len() as i64);
    engine.register_fn("keys", |w: &mut JsWorkers| -> rhai::Array {
        w.0.iter()
            .map(|(i, _)| Dynamic::from(i.to_string()))
            .collect()
    });
    engine.register_fn("values", |w: &mut JsWorkers| -> rhai::Array {
        w.0.iter()
            .map(|&(_, idx)| Dynamic::from(JsClusterWorker(idx)))
            .collect()
    });
    engine.register_iterator::<JsWorkers>();
}

impl IntoIterator for JsWorkers {
    type Item = Dynamic;
    type IntoIter = std::vec::IntoIter<Dynamic>;
    /// `for w in cluster.workers` walks the workers (as
    /// `Object.values(cluster.workers)` does in JavaScript).
    fn into_iter(self) -> Self::IntoIter {
        self.0
            .into_iter()
            .map(|(_, idx)| Dynamic::from(JsClusterWorker(idx)))
            .collect::<Vec<_>>()
            .into_iter()
    }
}

fn register_worker(engine: &mut Engine) {
    engine.register_get("id", |w: &mut JsClusterWorker| -> Res<i64> {
        child(w.0, |c| c.worker_id.unwrap_or(0) as i64)
    });
    engine.register_get("process", |w: &mut JsClusterWorker| JsWorkerProcess(w.0));
    engine.register_get("state", |w: &mut JsClusterWorker| -> Res<String> {
        child(w.0, |c| c.state.name().to_string())
    });
    engine.register_get(
        "exitedAfterDisconnect",
        |w: &mut JsClusterWorker| -> Res<Dynamic> {
            // `undefined` until the worker disconnects or dies, as in Node.
            child(w.0, |c| {
                if c.exited_after_disconnect || c.exit.is_some() || !c.connected {
                    Dynamic::from(c.exited_after_disconnect)
                } else {
                    Dynamic::UNIT
                }
            })
        },
    );
    engine.register_fn("isDead", |w: &mut JsClusterWorker| -> Res<bool> {
        child(w.0, |c| c.exit.is_some())
    });
    engine.register_fn("isConnected", |w: &mut JsClusterWorker| -> Res<bool> {
        child(w.0, |c| c.connected)
    });
    engine.register_fn(
        "send",
        |c: NativeCallContext, w: &mut JsClusterWorker, msg: Dynamic| ipc_send(&c, Some(w.0), &msg),
    );
    engine.register_fn("send", |c: NativeCallContext, w: &mut JsClusterWorker| {
        ipc_send(&c, Some(w.0), &Dynamic::UNIT)
    });
    engine.register_fn(
        "send",
        |c: NativeCallContext, w: &mut JsClusterWorker, msg: Dynamic, f: Dynamic| {
            ipc_send_with_callback(&c, Some(w.0), &msg, &f)
        },
    );
    for once in [false, true] {
        let name = if once { "once" } else { "on" };
        engine.register_fn(
            name,
            move |c: NativeCallContext,
                  w: &mut JsClusterWorker,
                  event: &str,
                  f: Dynamic|
                  -> Res<JsClusterWorker> {
                let i = w.0;
                let id = child(i, |c| c.worker_id.unwrap_or(0))?;
                listen(
                    &c,
                    format!("worker {id} '{event}' listener"),
                    event,
                    &f,
                    once,
                    move |r| r.procs.children.get_mut(i as usize).map(|c| &mut c.events),
                )?;
                Ok(*w)
            },
        );
    }
    engine.register_fn(
        "disconnect",
        |w: &mut JsClusterWorker| -> Res<JsClusterWorker> {
            ctx()?.rt.borrow_mut().disconnect_worker(w.0 as usize);
            Ok(*w)
        },
    );
    let kill = |c: &NativeCallContext, w: u32, sig: Option<&Dynamic>| -> Res<()> {
        let signo = signal_of(c, sig)?;
        ctx()?.rt.borrow_mut().signal_child(w as usize, signo);
        Ok(())
    };
    engine.register_fn(
        "kill",
        move |c: NativeCallContext, w: &mut JsClusterWorker| kill(&c, w.0, None),
    );
    engine.register_fn(
        "kill",
        move |c: NativeCallContext, w: &mut JsClusterWorker, s: Dynamic| kill(&c, w.0, Some(&s)),
    );
    engine.register_fn(
        "destroy",
        move |c: NativeCallContext, w: &mut JsClusterWorker| kill(&c, w.0, None),
    );
    engine.register_get("pid", |p: &mut JsWorkerProcess| -> Res<i64> {
        child(p.0, |c| c.pid as i64)
    });
    engine.register_get("connected", |p: &mut JsWorkerProcess| -> Res<bool> {
        child(p.0, |c| c.connected)
    });
    engine.register_get("killed", |p: &mut JsWorkerProcess| -> Res<bool> {
        child(p.0, |c| c.killed)
    });
    engine.register_fn(
        "kill",
        move |c: NativeCallContext, p: &mut JsWorkerProcess| -> Res<bool> {
            let signo = signal_of(&c, None)?;
            Ok(ctx()?.rt.borrow_mut().signal_child(p.0 as usize, signo))
        },
    );
    engine.register_fn(
        "kill",
        move |c: NativeCallContext, p: &mut JsWorkerProcess, s: Dynamic| -> Res<bool> {
            let signo = signal_of(&c, Some(&s))?;
            Ok(ctx()?.rt.borrow_mut().signal_child(p.0 as usize, signo))
        },
    );

    // cluster.worker, inside a worker.
    engine.register_get("id", |_w: &mut JsSelfWorker| -> Res<i64> {
        Ok(match ctx()?.rt.borrow().procs.identity {
            Identity::Worker(id) => id as i64,
            _ => 0,
        })
    });
    engine.register_get(
        "exitedAfterDisconnect",
        |_w: &mut JsSelfWorker| -> Res<Dynamic> {
            let x = ctx()?;
            let rt = x.rt.borrow();
            Ok(if rt.procs.after_disconnect {
                Dynamic::TRUE
            } else {
                Dynamic::UNIT
            })
        },
    );
    engine.register_fn("isConnected", |_w: &mut JsSelfWorker| -> Res<bool> {
        Ok(ctx()?.rt.borrow().procs.connected)
    });
    engine.register_fn("isDead", |_w: &mut JsSelfWorker| false);
    engine.register_fn(
        "send",
        |c: NativeCallContext, _w: &mut JsSelfWorker, msg: Dynamic| ipc_send(&c, None, &msg),
    );
    engine.register_fn(
        "send",
        |c: NativeCallContext, _w: &mut JsSelfWorker, msg: Dynamic, f: Dynamic| {
            ipc_send_with_callback(&c, None, &msg, &f)
        },
    );
    for once in [false, true] {
        let name = if once { "once" } else { "on" };
        engine.register_fn(
            name,
            move |c: NativeCallContext,
                  w: &mut JsSelfWorker,
                  event: &str,
                  f: Dynamic|
                  -> Res<JsSelfWorker> {
                listen(
                    &c,
                    format!("cluster.worker '{event}' listener"),
                    event,
                    &f,
                    once,
                    |r| Some(&mut r.procs.self_events),
                )?;
                Ok(*w)
            },
        );
    }
    engine.register_fn("disconnect", |_w: &mut JsSelfWorker| -> Res<()> {
        // `worker.disconnect()` in the worker: close the servers, then the
        // channel (the primary sees 'disconnect' with
        // exitedAfterDisconnect true).
        ctx()?.rt.borrow_mut().worker_disconnect();
        Ok(())
    });
}

fn register_child_process(engine: &mut Engine) {
    let fork_child = |c: &NativeCallContext, args: Option<rhai::Array>| -> Res<JsChildProcess> {
        guard(c, "child_process.fork")?;
        let args = args
            .unwrap_or_default()
            .iter()
            .map(crate::script::value::to_js_string)
            .collect();
        fork(c, None, None, args).map(JsChildProcess)
    };
    engine.register_fn(
        "fork",
        move |c: NativeCallContext, _n: &mut ChildProcessNs, _file: &str| fork_child(&c, None),
    );
    engine.register_fn(
        "fork",
        move |c: NativeCallContext, _n: &mut ChildProcessNs, _file: &str, args: rhai::Array| {
            fork_child(&c, Some(args))
        },
    );
    engine.register_fn(
        "fork",
        move |c: NativeCallContext,
              _n: &mut ChildProcessNs,
              _file: &str,
              args: rhai::Array,
              _o: rhai::Map| { fork_child(&c, Some(args)) },
    );
    engine.register_get("pid", |p: &mut JsChildProcess| -> Res<i64> {
        child(p.0, |c| c.pid as i64)
    });
    engine.register_get("connected", |p: &mut JsChildProcess| -> Res<bool> {
        child(p.0, |c| c.connected)
    });
    engine.register_get("killed", |p: &mut JsChildProcess| -> Res<bool> {
        child(p.0, |c| c.killed)
    });
    engine.register_get("exitCode", |p: &mut JsChildProcess| -> Res<Dynamic> {
        child(p.0, |c| match c.exit {
            Some((Some(code), _)) => Dynamic::from(code as i64),
            Some((None, _)) => Dynamic::from(JsNull),
            None => Dynamic::from(JsNull),
        })
    });
    engine.register_get("signalCode", |p: &mut JsChildProcess| -> Res<Dynamic> {
        child(p.0, |c| {
            match c
                .exit
                .and_then(|e| e.1)
                .and_then(crate::runtime::net::signal_name)
            {
                Some(name) => Dynamic::from(name.to_string()),
                None => Dynamic::from(JsNull),
            }
        })
    });
    engine.register_fn(
        "send",
        |c: NativeCallContext, p: &mut JsChildProcess, msg: Dynamic| ipc_send(&c, Some(p.0), &msg),
    );
    engine.register_fn("send", |c: NativeCallContext, p: &mut JsChildProcess| {
        ipc_send(&c, Some(p.0), &Dynamic::UNIT)
    });
    engine.register_fn(
        "send",
        |c: NativeCallContext, p: &mut JsChildProcess, msg: Dynamic, f: Dynamic| {
            ipc_send_with_callback(&c, Some(p.0), &msg, &f)
        },
    );
    for once in [false, true] {
        let name = if once { "once" } else { "on" };
        engine.register_fn(
            name,
            move |c: NativeCallContext,
                  p: &mut JsChildProcess,
                  event: &str,
                  f: Dynamic|
                  -> Res<JsChildProcess> {
                let i = p.0;
                let pid = child(i, |c| c.pid)?;
                listen(
                    &c,
                    format!("child {pid} '{event}' listener"),
                    event,
                    &f,
                    once,
                    move |r| r.procs.children.get_mut(i as usize).map(|c| &mut c.events),
                )?;
                Ok(*p)
            },
        );
    }
    let kill = |c: &NativeCallContext, i: u32, sig: Option<&Dynamic>| -> Res<bool> {
        let signo = signal_of(c, sig)?;
        Ok(ctx()?.rt.borrow_mut().signal_child(i as usize, signo))
    };
    engine.register_fn(
        "kill",
        move |c: NativeCallContext, p: &mut JsChildProcess| kill(&c, p.0, None),
    );
    engine.register_fn(
        "kill",
        move |c: NativeCallContext, p: &mut JsChildProcess, s: Dynamic| kill(&c, p.0, Some(&s)),
    );
    engine.register_fn("disconnect", |p: &mut JsChildProcess| -> Res<()> {
        let x = ctx()?;
        x.rt.borrow_mut().disconnect_worker(p.0 as usize);
        Ok(())
    });
}

pub fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<ClusterNs>("cluster")
        .register_type_with_name::<ChildProcessNs>("child_process")
        .register_type_with_name::<JsClusterWorker>("Worker")
        .register_type_with_name::<JsWorkerProcess>("ChildProcess")
        .register_type_with_name::<JsSelfWorker>("Worker")
        .register_type_with_name::<JsChildProcess>("ChildProcess")
        .register_type_with_name::<JsWorkers>("Object");
    register_cluster(engine);
    register_worker(engine);
    register_child_process(engine);
}
