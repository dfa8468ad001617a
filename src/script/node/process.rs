//! The process as a script sees it: `process.nextTick`, `process.on`
//! (`exit`, `beforeExit`, `unhandledRejection`, `uncaughtException`),
//! `process.exit`, `process.exitCode`, `process.memoryUsage()` (over the
//! runtime's Buffer memory), and (shared/API.md, "Environment")
//! `process.env`, `process.argv`, `process.execPath`, `process.pid`,
//! `process.ppid`.
//!
//! `process.env.NAME` reads the run's environment
//! ([`crate::runtime::env`]): a string, or `undefined` when unset. An
//! assignment stores `String(value)`, as node does (`process.env.X = 5`
//! stores `"5"`, `undefined` stores `"undefined"`), and
//! `UV_THREADPOOL_SIZE` reaches the pool, which reads it when it is first
//! used. `console.log(process.env)` prints the variables as node prints
//! its `process.env`, in `environ` order.

use rhai::{Dynamic, Engine, NativeCallContext};

use super::args::{
    Res, budget, callback, ctx_of, guard, site, site_for, to_number, type_error, with_rt,
};
use crate::runtime::env::exec_path;
use crate::runtime::{ProcessEvent, Stop};
use crate::script::host::{ctx, stop_error};
use crate::script::value::{JsError, JsNull, JsPromise, ProcessEnv, to_js_string};

/// The `process` object.
#[derive(Clone)]
pub struct Process;

/// JavaScript's `String(value)`, as `process.env`'s setter applies it.
pub fn string_coercion(value: &Dynamic) -> String {
    if value.is_unit() {
        return "undefined".into();
    }
    if value.is::<JsNull>() {
        return "null".into();
    }
    if value.is_map() {
        return "[object Object]".into();
    }
    if value.is::<JsPromise>() {
        return "[object Promise]".into();
    }
    if value.is::<JsError>() {
        return to_js_string(value);
    }
    if let Some(items) = value.read_lock::<rhai::Array>() {
        // Array.prototype.join: undefined and null are empty.
        return items
            .iter()
            .map(|v| {
                if v.is_unit() || v.is::<JsNull>() {
                    String::new()
                } else {
                    string_coercion(v)
                }
            })
            .collect::<Vec<_>>()
            .join(",");
    }
    to_js_string(value)
}

fn env_get(name: &str) -> Res<Dynamic> {
    Ok(ctx()?
        .rt
        .borrow()
        .env()
        .get(name)
        .map_or(Dynamic::UNIT, |v| Dynamic::from(v.to_string())))
}

fn env_set(name: &str, value: &Dynamic) -> Res<()> {
    let value = string_coercion(value);
    ctx()?.rt.borrow_mut().set_env(name, &value);
    Ok(())
}

/// Node's `arrayBuffers` beyond the pool slab right after startup and a
/// full collection (v20.20.2, x64): the model's absolute numbers start
/// there, so only differences between two calls are meaningful.
const NODE_BASE_ARRAY_BUFFERS: u64 = 2283;
/// `external` minus `arrayBuffers` after startup in node v20.
const NODE_BASE_EXTERNAL: u64 = 1_113_672;
const NODE_BASE_RSS: u64 = 41_263_104;
const NODE_BASE_HEAP_TOTAL: u64 = 5_218_304;
const NODE_BASE_HEAP_USED: u64 = 2_686_680;

fn memory_usage() -> Res<rhai::Map> {
    let ab = with_rt(|r| r.buffers.array_buffers())? + NODE_BASE_ARRAY_BUFFERS;
    let mut m = rhai::Map::new();
    let num = |n: u64| Dynamic::from(n as i64);
    m.insert("rss".into(), num(NODE_BASE_RSS + ab));
    m.insert("heapTotal".into(), num(NODE_BASE_HEAP_TOTAL));
    m.insert("heapUsed".into(), num(NODE_BASE_HEAP_USED));
    m.insert("external".into(), num(NODE_BASE_EXTERNAL + ab));
    m.insert("arrayBuffers".into(), num(ab));
    Ok(m)
}

/// `nextTick`, `on`, `exit`, `exitCode`.
fn register_events_and_exit(engine: &mut Engine) {
    engine.register_fn(
        "nextTick",
        |c: NativeCallContext, _p: &mut Process, f: Dynamic| -> Res<()> {
            guard(&c, "process.nextTick")?;
            let func = callback(&c, &f, "callback")?;
            let x = ctx_of(&c)?;
            let s = site_for(&c, "nextTick", Some(&func));
            x.rt.borrow_mut().next_tick(func, &s);
            budget(&x, c.call_position())
        },
    );
    engine.register_fn("on", |c: NativeCallContext, _p: &mut Process, event: &str, f: Dynamic| -> Res<Process> {
        let func = callback(&c, &f, "listener")?;
        if signal_on(&c, event, &f, false)? {
            return Ok(Process);
        }
        let Some(ev) = ProcessEvent::parse(event) else {
            return Err(type_error(
                format!("process.on(\"{event}\"): the model supports 'exit', 'beforeExit', 'unhandledRejection', 'uncaughtException' and the signals 'SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'"),
                c.call_position(),
            ));
        };
        let x = ctx_of(&c)?;
        let mut rt = x.rt.borrow_mut();
        let cb = rt.register_callback(
            crate::trace::CallbackKind::Listener,
            &site(&c, format!("process '{}' listener", ev.name())),
        );
        rt.process_events.on(ev.name(), (func, cb), false);
        Ok(Process)
    });
    engine.register_fn(
        "kill",
        |c: NativeCallContext, _p: &mut Process, pid: Dynamic| -> Res<bool> {
            kill(&c, &pid, None)
        },
    );
    engine.register_fn(
        "kill",
        |c: NativeCallContext, _p: &mut Process, pid: Dynamic, sig: Dynamic| -> Res<bool> {
            kill(&c, &pid, Some(&sig))
        },
    );
    engine.register_fn(
        "exit",
        |c: NativeCallContext, _p: &mut Process| -> Res<()> {
            let code = ctx_of(&c)?.rt.borrow().exit_code.unwrap_or(0);
            Err(stop_error(Stop::Exit(code), c.call_position()))
        },
    );
    engine.register_fn(
        "exit",
        |c: NativeCallContext, _p: &mut Process, code: Dynamic| -> Res<()> {
            let x = ctx_of(&c)?;
            let code = if code.is_unit() {
                x.rt.borrow().exit_code.unwrap_or(0)
            } else {
                to_number(&code) as i32
            };
            Err(stop_error(Stop::Exit(code), c.call_position()))
        },
    );
    engine.register_get("exitCode", |_p: &mut Process| -> Res<Dynamic> {
        Ok(ctx()?
            .rt
            .borrow()
            .exit_code
            .map_or(Dynamic::UNIT, |c| Dynamic::from(c as i64)))
    });
    // Globals resolve as constants; a setter marked pure may still be
    // called on one (`process.exitCode = 5`). It changes the runtime, not
    // the `process` value, so "pure" is true of the Rhai value.
    rhai::FuncRegistration::new_setter("exitCode")
        .with_purity(true)
        .register_into_engine(engine, |_p: &mut Process, v: Dynamic| -> Res<()> {
            let code = if v.is_unit() {
                None
            } else {
                Some(to_number(&v) as i32)
            };
            ctx()?.rt.borrow_mut().exit_code = code;
            Ok(())
        });
}

pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<Process>("Process");
    register_ipc(engine);
    register_worker_process(engine);
    register_events_and_exit(engine);
    engine.register_type_with_name::<ProcessEnv>("Object");
    // Globals resolve as constants, so `process.env.X = v` writes `env`
    // back to a constant `process`: a setter marked pure may do that. The
    // variables live in the runtime, not in either value.
    engine.register_get("env", |_p: &mut Process| ProcessEnv);
    rhai::FuncRegistration::new_setter("env")
        .with_purity(true)
        .register_into_engine(engine, |_p: &mut Process, _v: ProcessEnv| {});
    // `process.env.NAME` falls back to the indexer (Rhai does so for a
    // property with no getter), so one pair serves every name.
    engine.register_indexer_get(|_e: &mut ProcessEnv, name: &str| env_get(name));
    rhai::FuncRegistration::new_index_setter()
        .with_purity(true)
        .register_into_engine(engine, |_e: &mut ProcessEnv, name: &str, value: Dynamic| {
            env_set(name, &value)
        });

    // process.argv: [execPath, the script's absolute path, ...arguments].
    engine.register_get("argv", |_p: &mut Process| -> Res<rhai::Array> {
        let x = ctx()?;
        let rt = x.rt.borrow();
        let mut argv: rhai::Array = vec![
            Dynamic::from(exec_path()),
            Dynamic::from(x.source.display_path()),
        ];
        argv.extend(rt.options.args.iter().map(|a| Dynamic::from(a.clone())));
        Ok(argv)
    });
    engine.register_get("execPath", |_p: &mut Process| exec_path());
    // The real process: worker threads share it, as in node.
    engine.register_get("pid", |_p: &mut Process| -> Res<i64> {
        Ok(ctx()?.rt.borrow().pid() as i64)
    });
    engine.register_get("ppid", |_p: &mut Process| parent_pid());
    engine.register_fn("memoryUsage", |_p: &mut Process| memory_usage());
}

#[cfg(unix)]
fn parent_pid() -> i64 {
    std::os::unix::process::parent_id() as i64
}

#[cfg(not(unix))]
fn parent_pid() -> i64 {
    0
}

// --- signals ---

/// `process.on('SIGTERM' | 'SIGINT' | ..., f)`.
pub fn signal_on(c: &NativeCallContext, name: &str, f: &Dynamic, once: bool) -> Res<bool> {
    if crate::runtime::net::signal_number(name).is_none() {
        return Ok(false);
    }
    let func = callback(c, f, "listener")?;
    if name == "SIGKILL" {
        // libuv refuses to watch a signal that cannot be caught.
        return Err(sys_error(
            "uv_signal_start",
            "EINVAL",
            -22,
            c.call_position(),
        ));
    }
    let s = site_for(c, format!("process '{name}' listener"), Some(&func));
    let x = ctx()?;
    let mut rt = x.rt.borrow_mut();
    let cb = rt.register_callback(crate::trace::CallbackKind::Listener, &s);
    rt.net.signal_events.on(name, (func, cb), once);
    rt.sync_os_signals();
    Ok(true)
}

/// A system call's error (`kill ESRCH`, `uv_signal_start EINVAL`).
fn sys_error(
    syscall: &str,
    code: &str,
    errno: i64,
    pos: rhai::Position,
) -> Box<rhai::EvalAltResult> {
    let mut e = JsError::new("Error", &format!("{syscall} {code}"));
    e.props.push(("errno".into(), Dynamic::from(errno)));
    e.props
        .push(("code".into(), Dynamic::from(code.to_string())));
    e.props
        .push(("syscall".into(), Dynamic::from(syscall.to_string())));
    Box::new(rhai::EvalAltResult::ErrorRuntime(Dynamic::from(e), pos))
}

/// `process.kill(pid, signal)`: the signal's name or number (0 only asks
/// whether the process exists).
pub fn kill(c: &NativeCallContext, pid: &Dynamic, signal: Option<&Dynamic>) -> Res<bool> {
    let pos = c.call_position();
    let x = ctx()?;
    let own = x.rt.borrow().pid() as f64;
    let p = to_number(pid);
    if !(pid.is_int() || pid.is_float()) || p.fract() != 0.0 || !p.is_finite() {
        return Err(super::args::invalid_arg_type(
            "pid",
            "of type number",
            pid,
            pos,
        ));
    }
    let unknown = |name: String| {
        let mut e = JsError::new("TypeError", &format!("Unknown signal: {name}"));
        e.props.push((
            "code".into(),
            Dynamic::from("ERR_UNKNOWN_SIGNAL".to_string()),
        ));
        Box::new(rhai::EvalAltResult::ErrorRuntime(Dynamic::from(e), pos))
    };
    let signo = match signal {
        None => 15,
        Some(s) if s.is_int() || (s.is_float() && to_number(s).fract() == 0.0) => {
            let n = to_number(s);
            if n == 0.0 {
                0
            } else if let Some(name) = crate::runtime::net::signal_name(n as i32) {
                crate::runtime::net::signal_number(name).unwrap_or(15)
            } else if (1.0..=64.0).contains(&n) {
                return Err(Box::new(rhai::EvalAltResult::ErrorRuntime(
                    Dynamic::from(JsError::new(
                        "Error",
                        &format!(
                            "workbench: signal {n} is not modelled (SIGHUP, SIGINT, SIGQUIT, SIGKILL, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGCHLD, SIGCONT, SIGURG, SIGWINCH are)"
                        ),
                    )),
                    pos,
                )));
            } else {
                return Err(sys_error("kill", "EINVAL", -22, pos));
            }
        }
        Some(s) => {
            // ERR_UNKNOWN_SIGNAL formats the value as `%s` does.
            let name = if s.is_string() {
                to_js_string(s)
            } else {
                crate::script::value::inspect::inspect(&crate::script::value::to_inspect(s))
            };
            crate::runtime::net::signal_number(&name).ok_or_else(|| unknown(name))?
        }
    };
    if p != own {
        // A process this one forked.
        let child = x.rt.borrow().procs.child_by_pid(p as u32);
        if let Some(i) = child {
            if signo == 0 {
                return Ok(x.rt.borrow().procs.children[i].exit.is_none());
            }
            if x.rt.borrow_mut().signal_child(i, signo) {
                return Ok(true);
            }
        }
        return Err(sys_error("kill", "ESRCH", -3, pos));
    }
    // Signal 0: the process exists.
    if signo == 0 {
        return Ok(true);
    }
    let name = crate::runtime::net::signal_name(signo).unwrap_or("SIGTERM");
    let listening = x.rt.borrow().net.signal_events.listener_count(name) > 0;
    // SIGKILL cannot be caught; without a listener the default action
    // ends the process at once.
    if !listening && crate::runtime::net::signal_ignored_by_default(signo) {
        return Ok(true);
    }
    if signo == 9 || !listening {
        x.rt.borrow_mut()
            .net_emit(crate::trace::NetEvent::Signal, 0, 0, signo as u32);
        return Err(crate::script::host::stop_error(
            crate::runtime::Stop::Killed(signo),
            pos,
        ));
    }
    x.rt.borrow_mut().raise_signal(signo);
    Ok(true)
}

/// `process.send`, `process.connected`, `process.disconnect()` in a
/// forked process (undefined in the primary, as in Node).
pub fn register_ipc(engine: &mut Engine) {
    engine.register_fn(
        "send",
        |c: NativeCallContext, _p: &mut Process, msg: Dynamic| -> Res<bool> {
            let forked = ctx()?.rt.borrow().procs.parent.is_some();
            if !forked {
                return Err(super::args::type_error(
                    "process.send is not a function",
                    c.call_position(),
                ));
            }
            super::args::ipc_send(&c, None, &msg)
        },
    );
    engine.register_fn(
        "send",
        |c: NativeCallContext, _p: &mut Process, msg: Dynamic, f: Dynamic| -> Res<bool> {
            let forked = ctx()?.rt.borrow().procs.parent.is_some();
            if !forked {
                return Err(super::args::type_error(
                    "process.send is not a function",
                    c.call_position(),
                ));
            }
            super::args::ipc_send_with_callback(&c, None, &msg, &f)
        },
    );
    engine.register_get("connected", |_p: &mut Process| -> Res<Dynamic> {
        let x = ctx()?;
        let rt = x.rt.borrow();
        Ok(if rt.procs.parent.is_some() {
            Dynamic::from(rt.procs.connected)
        } else {
            Dynamic::UNIT
        })
    });
    engine.register_fn(
        "disconnect",
        |c: NativeCallContext, _p: &mut Process| -> Res<()> {
            let x = ctx()?;
            let mut rt = x.rt.borrow_mut();
            if rt.procs.parent.is_none() {
                return Err(super::args::type_error(
                    "process.disconnect is not a function",
                    c.call_position(),
                ));
            }
            rt.disconnect_self();
            Ok(())
        },
    );
}

/// `cluster.worker.process` in a worker: this process.
pub fn register_worker_process(engine: &mut Engine) {
    engine.register_get(
        "process",
        |_w: &mut crate::script::value::procs::JsSelfWorker| Process,
    );
}
