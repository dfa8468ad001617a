//! The poll phase's share of processes: what arrived over IPC from the
//! parent or from a forked child becomes events on `process`, on
//! `cluster`, on `cluster.worker`, on Worker and ChildProcess objects. Each
//! message is one callback scope, as Node's IPC pipe reads deliver them.

use super::{ClusterMsg, Identity, ProcObj, ProcOp, WorkerState};
use crate::runtime::driver::{Step, budget_check, close_scope, emit_to};
use crate::runtime::events::Emitter;
use crate::runtime::worker::Body;
use crate::runtime::{HostTypes, Invoke, Runtime, Shared, Stop};
use crate::trace::CbId;
use crate::trace::procs::ProcEvent;

/// Whose listeners an event goes to.
#[derive(Clone, Copy)]
enum Target {
    /// A Worker or ChildProcess object (by index).
    Child(u32),
    /// `cluster.on(...)`.
    Cluster,
    /// `cluster.worker.on(...)` inside a worker.
    SelfWorker,
    /// `process.on(...)`.
    Process,
}

fn emitter<H: HostTypes>(r: &mut Runtime<H>, t: Target) -> Option<&mut Emitter<(H::Func, CbId)>> {
    match t {
        Target::Child(i) => r.procs.children.get_mut(i as usize).map(|c| &mut c.events),
        Target::Cluster => Some(&mut r.procs.cluster_events),
        Target::SelfWorker => Some(&mut r.procs.self_events),
        Target::Process => Some(&mut r.process_events),
    }
}

/// Calls the listeners of each (target, event) in order, in one callback
/// scope.
fn emit_all<H: HostTypes, I: Invoke<H>>(
    rt: &Shared<H>,
    host: &mut I,
    emits: Vec<(Target, &str, Vec<H::Value>)>,
) -> Step {
    rt.borrow_mut().ticks_since_progress = 0;
    for (target, event, args) in emits {
        emit_to(rt, host, target, emitter, event, args)?;
        budget_check(rt)?;
    }
    close_scope(rt, host)
}

/// What parsing an IPC message costs the receiver.
fn parse_ns(json: &str) -> u64 {
    use crate::runtime::worker::MessageCost;
    MessageCost::BASE_NS + json.len() as u64 * MessageCost::PER_BYTE_NS
}

fn worker_value<H: HostTypes>(idx: u32) -> H::Value {
    H::proc_value(ProcObj::Worker(idx))
}

/// Runs one of the module's nextTicks.
pub fn run_tick<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I, op: ProcOp) -> Step {
    match op {
        ProcOp::Fork(i) => {
            emit_to(
                rt,
                host,
                Target::Cluster,
                emitter,
                "fork",
                vec![worker_value::<H>(i)],
            )?;
        }
        ProcOp::Spawn(i) => {
            emit_to(rt, host, Target::Child(i), emitter, "spawn", Vec::new())?;
        }
        ProcOp::SelfDisconnect => {
            let (worker, after_disconnect) = {
                let r = rt.borrow();
                (
                    matches!(r.procs.identity, Identity::Worker(_)),
                    r.procs.after_disconnect,
                )
            };
            if worker {
                emit_to(
                    rt,
                    host,
                    Target::SelfWorker,
                    emitter,
                    "disconnect",
                    Vec::new(),
                )?;
                // `child.js`'s own `process.once('disconnect')`, added
                // before the script's: a worker that did not disconnect
                // through the cluster exits at once, code 0, and the
                // script's 'disconnect' listeners never run.
                if !after_disconnect {
                    return Err(Stop::Exit(0));
                }
            }
            emit_to(rt, host, Target::Process, emitter, "disconnect", Vec::new())?;
        }
        ProcOp::ChildDisconnected(idx) => {
            {
                let r = rt.borrow();
                if let Some(c) = r.procs.children.get(idx as usize) {
                    r.proc_log(c.proc, ProcEvent::Disconnected, 0);
                }
            }
            emit_to(
                rt,
                host,
                Target::Child(idx),
                emitter,
                "disconnect",
                Vec::new(),
            )?;
        }
        ProcOp::ChannelClosed(to) => {
            let err = crate::runtime::net::NetError::plain(
                "Error",
                "ERR_IPC_CHANNEL_CLOSED",
                "Channel closed",
            );
            let value = H::net_error(&err);
            let target = match to {
                Some(i) => Target::Child(i),
                None => Target::Process,
            };
            if !emit_to(rt, host, target, emitter, "error", vec![value.clone()])? {
                let class = if to.is_some() {
                    "ChildProcess"
                } else {
                    "process"
                };
                crate::runtime::driver::uncaught(
                    rt,
                    host,
                    H::unhandled_error_event(&value, class),
                    crate::runtime::Origin::UncaughtException,
                )?;
            }
        }
        ProcOp::NoWorkers => {
            no_workers_left(rt, host)?;
        }
    }
    Ok(())
}

/// What the parent sent to this forked process: one callback scope (the
/// IPC pipe's read), so the ticks it queues run before the loop goes on.
pub fn from_parent<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I, body: Body) -> Step {
    parent_body(rt, host, body)?;
    close_scope(rt, host)
}

fn parent_body<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I, body: Body) -> Step {
    match body {
        Body::Ipc(json) => {
            let identity = rt.borrow().procs.identity;
            rt.borrow_mut().busy_ns(parse_ns(&json));
            let value = H::from_json(&json);
            let mut emits = Vec::new();
            if matches!(identity, Identity::Worker(_)) {
                emits.push((Target::SelfWorker, "message", vec![value.clone()]));
            }
            emits.push((Target::Process, "message", vec![value]));
            emit_all(rt, host, emits)
        }
        Body::Cluster(ClusterMsg::Bound { port, server }) => {
            rt.borrow_mut().cluster_bound(server, port);
            Ok(())
        }
        // node's `listenOnPrimaryHandle(err)`: `'error'` on the server,
        // in this message's callback, as `exceptionWithHostPort(err,
        // 'bind', address, port)` (the address the script gave: none).
        Body::Cluster(ClusterMsg::BindFailed {
            server,
            port,
            code,
            errno,
        }) => {
            let e = crate::runtime::net::NetError {
                name: "Error",
                message: format!("bind {code} null:{port}"),
                code,
                errno: Some(errno),
                syscall: Some("bind"),
                address: None,
                port: Some(port),
            };
            crate::runtime::net::deliver::emit_server_error(rt, host, server, &e)
        }
        Body::Cluster(ClusterMsg::NewConn { port, key, unread }) => {
            let conn = {
                let mut r = rt.borrow_mut();
                let Some(parent) = r.procs.parent else {
                    return Ok(());
                };
                if !r.cluster_accepts(port) {
                    let unread = r.net_refuse(key, unread, parent);
                    r.ipc_post(
                        parent,
                        Body::Cluster(ClusterMsg::Refused { port, key, unread }),
                    );
                    return Ok(());
                }
                // The worker acknowledges at once, before its 'connection'.
                r.ipc_post(parent, Body::Cluster(ClusterMsg::Ack { port }));
                r.net_adopt(port, key, unread)
            };
            // `server.onconnection(handle)`: accepted now, in this message's
            // callback (a server closed meanwhile resets it).
            crate::runtime::net::deliver::accept(rt, host, conn)
        }
        Body::Cluster(ClusterMsg::Disconnect) => {
            rt.borrow_mut().worker_disconnect();
            Ok(())
        }
        // Real clock: the connection itself, accepted by the primary; the
        // worker acknowledges, then its server accepts it.
        Body::Cluster(ClusterMsg::Socket { port, fd }) => {
            let conn = {
                let mut r = rt.borrow_mut();
                let Some(parent) = r.procs.parent else {
                    return Ok(());
                };
                // `NODE_HANDLE_ACK` on receipt, then the cluster's answer.
                r.ipc_post(parent, Body::Cluster(ClusterMsg::HandleAck));
                if !r.cluster_accepts(port) {
                    r.ipc_post(
                        parent,
                        Body::Cluster(ClusterMsg::RefusedSocket { port, fd }),
                    );
                    return Ok(());
                }
                r.ipc_post(parent, Body::Cluster(ClusterMsg::Ack { port }));
                r.real_adopt(port, &fd)
            };
            match conn {
                Some(conn) => crate::runtime::net::deliver::accept(rt, host, conn),
                None => Ok(()),
            }
        }
        // Real clock, SCHED_NONE: the worker accepts on the shared socket.
        Body::Cluster(ClusterMsg::Listener { port, server, fd }) => {
            let mut r = rt.borrow_mut();
            if let Some(parent) = r.procs.parent {
                r.ipc_post(parent, Body::Cluster(ClusterMsg::HandleAck));
            }
            r.cluster_bound(server, port);
            r.real_listen_shared(server, &fd);
            Ok(())
        }
        Body::Disconnected => {
            let (worker, after_disconnect) = {
                let mut r = rt.borrow_mut();
                r.procs.connected = false;
                (
                    matches!(r.procs.identity, Identity::Worker(_)),
                    r.procs.after_disconnect,
                )
            };
            if worker {
                emit_all(
                    rt,
                    host,
                    vec![(Target::SelfWorker, "disconnect", Vec::new())],
                )?;
                // A worker whose channel closed without the cluster's
                // disconnect (its primary went away) exits at once, code
                // 0, before the script's 'disconnect' listeners
                // (`child.js`'s `process.once('disconnect')` comes first).
                if !after_disconnect {
                    return Err(Stop::Exit(0));
                }
            }
            emit_all(rt, host, vec![(Target::Process, "disconnect", Vec::new())])
        }
        Body::Signal(signo) => signal(rt, signo),
        _ => Ok(()),
    }
}

/// A signal from another process: SIGKILL ends this one now; another is
/// read from libuv's signal pipe in the next poll (its listener runs),
/// or ends the process by its default action.
fn signal<H: HostTypes>(rt: &Shared<H>, signo: i32) -> Step {
    use crate::runtime::net::{signal_ignored_by_default, signal_name};
    let mut r = rt.borrow_mut();
    let name = signal_name(signo).unwrap_or("SIGTERM");
    let listening = r.net.signal_events.listener_count(name) > 0;
    if signo != 9 && listening {
        r.raise_signal(signo);
        return Ok(());
    }
    if signal_ignored_by_default(signo) {
        return Ok(());
    }
    r.net_emit(crate::trace::NetEvent::Signal, 0, 0, signo as u32);
    Err(Stop::Killed(signo))
}

/// What forked child `idx` (hub id `from`) sent, in one callback scope.
pub fn from_child<H: HostTypes, I: Invoke<H>>(
    rt: &Shared<H>,
    host: &mut I,
    idx: u32,
    from: u32,
    body: Body,
) -> Step {
    child_body(rt, host, idx, from, body)?;
    close_scope(rt, host)
}

fn child_body<H: HostTypes, I: Invoke<H>>(
    rt: &Shared<H>,
    host: &mut I,
    idx: u32,
    from: u32,
    body: Body,
) -> Step {
    let is_worker = rt
        .borrow()
        .procs
        .children
        .get(idx as usize)
        .is_some_and(|c| c.worker_id.is_some());
    match body {
        Body::Online => {
            {
                let mut r = rt.borrow_mut();
                let proc = r.procs.children[idx as usize].proc;
                r.procs.children[idx as usize].state = WorkerState::Online;
                r.proc_log(proc, ProcEvent::Online, 0);
            }
            if !is_worker {
                return Ok(());
            }
            emit_all(
                rt,
                host,
                vec![
                    (Target::Child(idx), "online", Vec::new()),
                    (Target::Cluster, "online", vec![worker_value::<H>(idx)]),
                ],
            )
        }
        Body::Ipc(json) => {
            rt.borrow_mut().busy_ns(parse_ns(&json));
            let value = H::from_json(&json);
            let mut emits = Vec::new();
            if is_worker {
                emits.push((
                    Target::Cluster,
                    "message",
                    vec![worker_value::<H>(idx), value.clone()],
                ));
            }
            emits.push((Target::Child(idx), "message", vec![value]));
            emit_all(rt, host, emits)
        }
        Body::Console(stream, text) => {
            let mut r = rt.borrow_mut();
            if r.clock.mode == crate::runtime::clock::ClockMode::Real {
                // A real process printed it on the terminal itself: it is
                // only recorded here.
                let live = std::mem::replace(&mut r.options.live_console, false);
                r.console(stream, &text);
                r.options.live_console = live;
            } else {
                r.console(stream, &text);
            }
            Ok(())
        }
        Body::Cluster(ClusterMsg::QueryServer { port, server }) => {
            let disconnecting = rt.borrow().procs.children[idx as usize].exited_after_disconnect;
            if !disconnecting {
                rt.borrow_mut().query_server(from, port, server);
            }
            Ok(())
        }
        Body::Cluster(ClusterMsg::Listened { port }) => {
            {
                let mut r = rt.borrow_mut();
                let proc = r.procs.children[idx as usize].proc;
                r.procs.children[idx as usize].state = WorkerState::Listening;
                r.proc_log(proc, ProcEvent::Listening, port as u32);
            }
            let info = || {
                H::from_json(&format!(
                    "{{\"addressType\":4,\"address\":null,\"port\":{port}}}"
                ))
            };
            emit_all(
                rt,
                host,
                vec![
                    (Target::Child(idx), "listening", vec![info()]),
                    (
                        Target::Cluster,
                        "listening",
                        vec![worker_value::<H>(idx), info()],
                    ),
                ],
            )
        }
        Body::Cluster(ClusterMsg::Ack { port }) => {
            rt.borrow_mut().handoff_done(port, from);
            Ok(())
        }
        Body::Cluster(ClusterMsg::Refused { port, key, unread }) => {
            let mut r = rt.borrow_mut();
            let conn = r.net_take_back(port, key, unread);
            r.handoff_refused(port, from, conn);
            Ok(())
        }
        Body::Cluster(ClusterMsg::RefusedSocket { port, fd }) => {
            let mut r = rt.borrow_mut();
            r.real_take_back(port, &fd);
            // The connection comes back through the accept queue; the
            // worker is not free again (node: its handle is gone).
            r.handoff_done(port, from);
            Ok(())
        }
        Body::Cluster(ClusterMsg::ExitedAfterDisconnect) => {
            if let Some(c) = rt.borrow_mut().procs.children.get_mut(idx as usize) {
                c.exited_after_disconnect = true;
            }
            Ok(())
        }
        Body::Cluster(ClusterMsg::Closed { port }) => {
            rt.borrow_mut().remove_from_handle(port, from);
            Ok(())
        }
        Body::Disconnected => {
            let dead = {
                let mut r = rt.borrow_mut();
                let c = &mut r.procs.children[idx as usize];
                if !c.connected && c.state == WorkerState::Disconnected {
                    return Ok(());
                }
                c.connected = false;
                let dead = c.exit.is_some();
                if c.state != WorkerState::Dead {
                    c.state = WorkerState::Disconnected;
                }
                let proc = c.proc;
                r.proc_log(proc, ProcEvent::Disconnected, 0);
                if is_worker {
                    r.remove_from_handles(from);
                }
                dead
            };
            if is_worker && dead {
                remove_worker(rt, host, idx)?;
            }
            let mut emits = vec![(Target::Child(idx), "disconnect", Vec::new())];
            if is_worker {
                emits.push((Target::Cluster, "disconnect", vec![worker_value::<H>(idx)]));
            }
            emit_all(rt, host, emits)
        }
        Body::Died { code, signal } => {
            let (connected, thread) = {
                let mut r = rt.borrow_mut();
                let c = &mut r.procs.children[idx as usize];
                c.exit = Some((code, signal));
                c.state = WorkerState::Dead;
                let connected = c.connected;
                let thread = c.thread.take();
                let proc = c.proc;
                match signal {
                    Some(s) => r.proc_log(proc, ProcEvent::Killed, s as u32),
                    None => r.proc_log(proc, ProcEvent::Exited, code.unwrap_or(0) as u32),
                }
                (connected, thread)
            };
            if let Some(thread) = thread {
                // The thread posted this as its last act; it is ending.
                let _ = thread.join();
            }
            if is_worker && !connected {
                rt.borrow_mut().remove_from_handles(from);
                remove_worker(rt, host, idx)?;
            }
            let code_value = code.map_or_else(H::null, |c| H::number(c as f64));
            let signal_value = signal
                .and_then(crate::runtime::net::signal_name)
                .map_or_else(H::null, H::string);
            let mut emits = vec![(
                Target::Child(idx),
                "exit",
                vec![code_value.clone(), signal_value.clone()],
            )];
            if is_worker {
                emits.push((
                    Target::Cluster,
                    "exit",
                    vec![worker_value::<H>(idx), code_value, signal_value],
                ));
            } else {
                emits.push((Target::Child(idx), "close", vec![code_value, signal_value]));
            }
            emit_all(rt, host, emits)
        }
        _ => Ok(()),
    }
}

/// `removeWorker`: out of `cluster.workers`; when it was the last one,
/// `cluster.disconnect(cb)`'s callbacks run.
fn remove_worker<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I, idx: u32) -> Step {
    let last = {
        let mut r = rt.borrow_mut();
        r.procs.children[idx as usize].removed = true;
        r.procs.workers().is_empty()
    };
    if last {
        no_workers_left(rt, host)?;
    }
    Ok(())
}

/// `intercom.emit('disconnect')`: the worker table is empty, and the
/// callbacks of `cluster.disconnect(cb)` run.
fn no_workers_left<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I) -> Step {
    emit_to(
        rt,
        host,
        Target::Cluster,
        emitter,
        super::INTERCOM_DISCONNECT,
        Vec::new(),
    )
    .map(|_| ())
}

impl<H: HostTypes> Runtime<H> {
    /// In a worker, `Worker.prototype._disconnect` (asked by the primary,
    /// or `cluster.worker.disconnect()`): close every server, then the IPC
    /// channel once they have closed; the process exits when nothing else
    /// keeps its loop alive.
    pub fn worker_disconnect(&mut self) {
        self.procs.after_disconnect = true;
        if let Some(parent) = self.procs.parent {
            self.ipc_post(parent, Body::Cluster(ClusterMsg::ExitedAfterDisconnect));
        }
        let servers: Vec<u32> = self.procs.shared_servers.iter().map(|&(s, _)| s).collect();
        self.procs.disconnecting = Some(servers.len() as u32);
        for s in servers {
            if !self.close_server(s) {
                self.procs.disconnecting = self.procs.disconnecting.map(|n| n.saturating_sub(1));
            }
        }
        if self.procs.disconnecting == Some(0) {
            self.procs.disconnecting = None;
            self.disconnect_self();
        }
    }

    /// In a worker: the primary's reply to `queryServer`: the server
    /// listens (on the shared port) and tells the primary.
    pub fn cluster_bound(&mut self, server: u32, port: u16) {
        let Some(s) = self.net.servers.get_mut(server as usize) else {
            return;
        };
        s.port = Some(port);
        s.listening = true;
        s.closing = false;
        s.close_emitted = false;
        self.procs.shared_servers.push((server, port));
        self.net_emit(crate::trace::NetEvent::Listen, server, 0, port as u32);
        self.net_tick(crate::runtime::net::Op::Listening(server));
    }

    /// In a worker: server `server` emitted `'listening'`; if it listens
    /// through the primary, the primary hears of it now.
    pub fn cluster_listened(&mut self, server: u32) {
        let port = self
            .procs
            .shared_servers
            .iter()
            .find(|&&(s, _)| s == server)
            .map(|&(_, p)| p);
        if let (Some(port), Some(parent)) = (port, self.procs.parent) {
            self.ipc_post(parent, Body::Cluster(ClusterMsg::Listened { port }));
        }
    }

    /// In a worker being disconnected: one of its servers emitted
    /// `'close'`; after the last, the channel closes.
    pub fn disconnect_server_closed(&mut self) {
        if let Some(n) = self.procs.disconnecting {
            let n = n.saturating_sub(1);
            self.procs.disconnecting = Some(n);
            if n == 0 {
                self.disconnect_self();
            }
        }
    }

    /// Primary: a worker acknowledged a handoff: it takes the next
    /// connection, or joins the idle queue.
    pub fn handoff_done(&mut self, port: u16, worker: u32) {
        if let Some(h) = self.procs.handle_of_port(port) {
            self.handoff(h, worker);
        }
    }

    /// Worker: does a connection handed over for `port` go to its server
    /// (node's `onconnection`: the server's handle is still there, and
    /// below a non-zero `maxConnections`)?
    pub fn cluster_accepts(&self, port: u16) -> bool {
        let Some(&(server, _)) = self.procs.shared_servers.iter().find(|&&(_, p)| p == port) else {
            return false;
        };
        self.net.servers.get(server as usize).is_some_and(|s| {
            s.listening
                && !s
                    .max_connections
                    .is_some_and(|m| m > 0 && s.conns.len() as u32 >= m)
        })
    }

    /// Primary: worker `worker` refused a connection (`accepted: false`):
    /// node's `distribute(0, handle)`, then `handoff(worker)` (which does
    /// nothing when the worker has left the handle, as a worker whose
    /// server closed has). With no handle left, the connection is reset.
    pub fn handoff_refused(&mut self, port: u16, worker: u32, conn: Option<u32>) {
        let h = self.procs.handle_of_port(port);
        if let Some(conn) = conn {
            match h.and_then(|h| self.procs.handles[h].server) {
                Some(server) => self.distribute(server, conn),
                None => self.reset_parked(conn),
            }
        }
        if let Some(h) = h {
            self.handoff(h, worker);
        }
    }

    /// Primary: a worker's server on `port` closed.
    pub fn remove_from_handle(&mut self, port: u16, worker: u32) {
        self.remove_from_handles_where(worker, Some(port));
    }
}
