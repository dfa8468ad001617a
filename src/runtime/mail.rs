//! The poll phase's share of `worker_threads`: messages and lifecycle
//! notices that arrived from other threads become events on `Worker`
//! objects and on `parentPort`. Each is one callback scope (its listeners,
//! then the nextTick and microtask queues), as Node's `MessagePort`
//! delivers each message through `MakeCallback`.

use super::driver::{Step, budget_check, close_scope, emit_to, uncaught};
use super::events::Emitter;
use super::worker::{Body, Cloned, MessageCost};
use super::{HostTypes, Invoke, Origin, Runtime, Shared, Stop};
use crate::trace::{CbId, Kind, WorkerEvent};

/// Whose listeners an event goes to.
#[derive(Clone, Copy)]
enum Target {
    /// `parentPort` (inside a worker).
    Port,
    /// The `Worker` object for this hub id.
    Child(u32),
}

fn emitter<H: HostTypes>(
    r: &mut Runtime<H>,
    target: Target,
) -> Option<&mut Emitter<(H::Func, CbId)>> {
    match target {
        Target::Port => r.threads.port.as_mut().map(|p| &mut p.events),
        Target::Child(id) => r.threads.child(id).map(|c| &mut c.events),
    }
}

/// Delivers every message that has arrived by now.
pub fn deliver<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I) -> Step {
    let Some(link) = rt.borrow().threads.link.clone() else {
        return Ok(());
    };
    // Messages held while parentPort had no listener go first.
    loop {
        let held = {
            let mut r = rt.borrow_mut();
            let listening = r
                .threads
                .port
                .as_ref()
                .is_some_and(|p| p.events.listener_count("message") > 0);
            if listening {
                r.threads.held.pop_front()
            } else {
                None
            }
        };
        let Some(value) = held else { break };
        let value = receive(rt, 0, value);
        emit(rt, host, Target::Port, "message", vec![value])?;
    }
    let mail: Vec<_> = rt.borrow_mut().threads.inbox.drain(..).collect();
    for envelope in mail {
        let (proc_parent, proc_child) = {
            let r = rt.borrow();
            (
                r.procs.parent == Some(envelope.from),
                r.procs.child_by_hub(envelope.from),
            )
        };
        if proc_parent {
            super::procs::deliver::from_parent(rt, host, envelope.body)?;
        } else if let Some(idx) = proc_child {
            super::procs::deliver::from_child(rt, host, idx as u32, envelope.from, envelope.body)?;
        } else if Some(envelope.from) == link.parent {
            from_parent(rt, host, envelope.body)?;
        } else {
            from_child(rt, host, envelope.from, envelope.body)?;
        }
    }
    Ok(())
}

/// Takes what has arrived by now: segments from other processes go to
/// the sockets' queues at once (the poll reads them with the rest), the
/// other messages wait in the inbox for [`deliver`].
pub fn collect<H: HostTypes>(rt: &Shared<H>) {
    let Some(link) = rt.borrow().threads.link.clone() else {
        return;
    };
    let now = rt.borrow().clock.now_ns();
    let mut r = rt.borrow_mut();
    if r.clock.mode == super::clock::ClockMode::Real {
        r.await_ipc_frames();
    }
    // Listeners a callback removed (or a `once` that ran) give the signal
    // its default action back.
    r.sync_os_signals();
    let real = r.clock.mode == super::clock::ClockMode::Real;
    for envelope in link.hub.take_due(link.me, now) {
        match envelope.body {
            Body::Net(msg) => r.net_receive(envelope.arrival_ns, msg),
            // Real clock: a worker's acknowledgement of a handoff, which
            // arrived before the sockets this poll reads, frees the worker
            // before they are distributed (it runs no script).
            Body::Cluster(super::procs::ClusterMsg::Ack { port })
                if real && r.procs.child_by_hub(envelope.from).is_some() =>
            {
                r.handoff_done(port, envelope.from)
            }
            _ => r.threads.inbox.push_back(envelope),
        }
    }
}

fn from_parent<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I, body: Body) -> Step {
    match body {
        Body::Message(value) => {
            let listening = rt
                .borrow()
                .threads
                .port
                .as_ref()
                .is_some_and(|p| p.events.listener_count("message") > 0);
            if !listening {
                rt.borrow_mut().threads.held.push_back(value);
                return Ok(());
            }
            let value = receive(rt, 0, value);
            emit(rt, host, Target::Port, "message", vec![value])?;
            Ok(())
        }
        // `worker.terminate()`: the worker stops at once, exit code 1.
        Body::Terminate => Err(Stop::Exit(1)),
        // Only a worker's own parent sends; nothing else comes this way.
        _ => Ok(()),
    }
}

fn from_child<H: HostTypes, I: Invoke<H>>(
    rt: &Shared<H>,
    host: &mut I,
    id: u32,
    body: Body,
) -> Step {
    let who = id.min(u16::MAX as u32) as u16;
    match body {
        Body::Online => {
            trace(rt, who, WorkerEvent::Online, 0);
            emit(rt, host, Target::Child(id), "online", Vec::new())?;
        }
        Body::Message(value) => {
            let value = receive(rt, who, value);
            emit(rt, host, Target::Child(id), "message", vec![value])?;
        }
        Body::Console(stream, text) => rt.borrow_mut().console(stream, &text),
        Body::Error(error) => {
            trace(rt, who, WorkerEvent::Errored, 0);
            let value = H::from_cloned(error.clone());
            let handled = emit(rt, host, Target::Child(id), "error", vec![value])?;
            if !handled {
                // `emit('error')` without a listener throws (Node rethrows
                // from a nextTick): an uncaught exception of this thread.
                uncaught(rt, host, H::worker_error(error), Origin::UncaughtException)?;
            }
        }
        Body::Exit(code) => {
            trace(rt, who, WorkerEvent::Exited, code as u32);
            let (promises, thread) = {
                let mut r = rt.borrow_mut();
                match r.threads.child(id) {
                    Some(child) => {
                        child.exited = Some(code);
                        (std::mem::take(&mut child.terminating), child.thread.take())
                    }
                    None => (Vec::new(), None),
                }
            };
            if let Some(thread) = thread {
                // The thread posted this as its last act; it is ending.
                let _ = thread.join();
            }
            for p in promises {
                rt.borrow_mut().resolve_promise(&p, H::number(code as f64));
            }
            let handled = emit(
                rt,
                host,
                Target::Child(id),
                "exit",
                vec![H::number(code as f64)],
            )?;
            if !handled {
                // Promise jobs of terminate() still run in this scope.
                close_scope(rt, host)?;
            }
        }
        // Process messages come only from processes (see `deliver`).
        _ => {}
    }
    Ok(())
}

fn trace<H: HostTypes>(rt: &Shared<H>, worker: u16, event: WorkerEvent, value: u32) {
    rt.borrow_mut().emit(Kind::Worker {
        worker,
        event,
        value,
    });
}

/// Deserializes a message: the receiver's clock pays for the copy.
fn receive<H: HostTypes>(rt: &Shared<H>, from: u16, value: Cloned) -> H::Value {
    let mut r = rt.borrow_mut();
    let bytes = value.copied_bytes().min(u32::MAX as u64) as u32;
    if r.clock.mode == super::clock::ClockMode::Virtual {
        let target = r.clock.now_ns() + MessageCost::deserialize_ns(&value);
        r.advance_virtual(target);
    }
    r.emit(Kind::Worker {
        worker: from,
        event: WorkerEvent::Received,
        value: bytes,
    });
    drop(r);
    H::from_cloned(value)
}

/// Emits `event` to `target`'s listeners in one callback scope. Returns
/// whether there was a listener.
fn emit<H: HostTypes, I: Invoke<H>>(
    rt: &Shared<H>,
    host: &mut I,
    target: Target,
    event: &str,
    args: Vec<H::Value>,
) -> Result<bool, Stop> {
    rt.borrow_mut().ticks_since_progress = 0;
    if !emit_to(rt, host, target, emitter, event, args)? {
        return Ok(false);
    }
    budget_check(rt)?;
    close_scope(rt, host)?;
    Ok(true)
}
