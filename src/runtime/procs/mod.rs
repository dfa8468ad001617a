//! Processes: Node's `cluster` and `child_process.fork`.
//!
//! A forked process is a whole runtime (its own loop, thread pool, heap
//! and script engine) on a thread of its own, meeting the others in the
//! hub of `runtime/worker.rs`, as worker threads do; it runs the script
//! from the top, as Node runs the file again. What makes it a process
//! rather than a thread is what it shares: nothing but the IPC channel
//! (messages as JSON text, [`super::worker::Body::Ipc`]), signals, the
//! loopback network ([`super::net::remote`]) and the machine's cores
//! ([`super::cores`]).
//!
//! The cluster module follows `lib/internal/cluster/*.js` of Node v20:
//!
//! - A worker's `server.listen()` asks the primary (`queryServer`). Under
//!   `SCHED_RR` (the default on Linux) the primary listens itself, in a
//!   `RoundRobinHandle`: each connection it accepts goes to the worker
//!   that has been idle longest, which is busy until it acknowledges the
//!   handoff; connections wait in the primary while every worker is busy.
//!   The unit is the connection, so a keep-alive client stays with one
//!   worker. Under `SCHED_NONE` the workers accept on the shared socket
//!   themselves and the kernel chooses (see [`super::worker::Hub::acceptor`]).
//! - The primary's events come in Node's order: `'fork'` on a nextTick,
//!   `'online'` when the worker's bootstrap reports, `'listening'`,
//!   `'disconnect'` when the IPC channel closes, then `'exit'`. The worker
//!   object's own listener runs before the cluster's, except for
//!   `'message'`, where the cluster's runs first.
//! - Nothing restarts a worker: a script does, in `'exit'`.

pub mod channel;
pub mod deliver;
pub mod os;

use std::collections::VecDeque;
use std::thread::JoinHandle;

use super::events::Emitter;
use super::net::remote::Wire;
use super::threads::Link;
use super::worker::{Body, Hub, MessageCost, PortEntry};
use super::{HostTypes, Runtime, Site, Tick};
use crate::trace::procs::ProcEvent;
use crate::trace::{CallbackKind, CbId};

/// `cluster.SCHED_NONE` and `cluster.SCHED_RR`.
pub const SCHED_NONE: i64 = 1;
pub const SCHED_RR: i64 = 2;

/// How many forked processes may be alive at once: each is a thread with
/// a script engine of its own (node would go on until the machine runs
/// out of memory, thrashing long before).
pub const MAX_LIVE_PROCS: usize = 64;

/// How many processes one run may fork in all: a worker that exits in a
/// loop and is restarted every time is a storm that node would keep up
/// until it is killed.
pub const MAX_FORKS: u32 = 1000;

/// The cluster's internal event `cluster.disconnect(cb)` waits for: the
/// worker table became empty (`intercom.emit('disconnect')`).
pub const INTERCOM_DISCONNECT: &str = "disconnect (all workers)";

/// `process.pid` of the process a run starts, under the virtual clock;
/// forked processes count up from it.
pub const PRIMARY_PID: u32 = 4242;

/// What starting a process and talking to it cost under the virtual clock.
/// Measured with node v20.20.2 on the 2-core development machine:
/// `cluster.fork()` to the worker's `'online'` takes about 120 ms (a new
/// node process booting; `child_process.fork()` to the child's first
/// message the same), and its server listens about 10 ms later (the
/// bootstrap reports online before loading the user's file and its
/// modules). A message round trip over the IPC pipe takes about 50 µs
/// (1000 round trips in 47-60 ms), of which the JSON work on both sides is
/// charged as CPU ([`MessageCost::BASE_NS`] each way).
pub struct ForkCost;

impl ForkCost {
    pub const BOOT_NS: u64 = 120_000_000;
    pub const SCRIPT_NS: u64 = 8_000_000;
    pub const IPC_LATENCY_NS: u64 = 15_000;
}

/// What this process is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// The process the run started.
    Primary,
    /// A cluster worker (its `cluster.worker.id`).
    Worker(u32),
    /// A `child_process.fork()` child (not a cluster worker).
    Child,
}

/// The cluster module's own messages (`{ cmd: 'NODE_CLUSTER', act }`).
#[derive(Debug, Clone)]
pub enum ClusterMsg {
    /// Worker → primary: a server of the worker listens (`queryServer`).
    QueryServer { port: u16, server: u32 },
    /// Primary → worker: the handle is ready, on this port.
    Bound { port: u16, server: u32 },
    /// Worker → primary: the server emitted `'listening'`.
    Listened { port: u16 },
    /// Primary → worker: a connection (`newconn`), with what the client
    /// wrote before it was handed over.
    NewConn {
        port: u16,
        key: (u32, u32),
        unread: Vec<Wire>,
    },
    /// Worker → primary: the handoff is acknowledged.
    Ack { port: u16 },
    /// Worker → primary: the handoff is refused (node's `accepted:
    /// false`): the worker's server on the port has closed, or is at its
    /// `maxConnections`. The connection goes back, with what the client
    /// wrote, and the primary gives it to another worker.
    Refused {
        port: u16,
        key: (u32, u32),
        unread: Vec<Wire>,
    },
    /// Worker → primary, real clock: the same, with the socket.
    RefusedSocket { port: u16, fd: os::SharedFd },
    /// Primary → worker: the port asked for cannot be bound (node's
    /// `queryServer` reply with an `errno`).
    BindFailed {
        server: u32,
        port: u16,
        code: String,
        errno: i32,
    },
    /// Primary → worker: `worker.disconnect()`.
    Disconnect,
    /// Worker → primary: a server of the worker closed.
    Closed { port: u16 },
    /// Worker → primary: it is disconnecting on its own
    /// (`cluster.worker.disconnect()`): `exitedAfterDisconnect` is true.
    ExitedAfterDisconnect,
    /// Primary → worker, real clock (`SCHED_RR`): a connection the primary
    /// accepted, as a socket (node's `newconn` with its handle).
    Socket { port: u16, fd: os::SharedFd },
    /// Primary → worker, real clock (`SCHED_NONE`): the bound listening
    /// socket, which the worker accepts on itself.
    Listener {
        port: u16,
        server: u32,
        fd: os::SharedFd,
    },
    /// Worker → primary, real clock: a socket was received
    /// (`NODE_HANDLE_ACK`: the primary's channel sends what it held).
    HandleAck,
}

/// A worker's `state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerState {
    None,
    Online,
    Listening,
    Disconnected,
    Dead,
}

impl WorkerState {
    pub fn name(self) -> &'static str {
        match self {
            WorkerState::None => "none",
            WorkerState::Online => "online",
            WorkerState::Listening => "listening",
            WorkerState::Disconnected => "disconnected",
            WorkerState::Dead => "dead",
        }
    }
}

/// A process this one forked: a cluster `Worker` or a `ChildProcess`.
pub struct ProcChild<H: HostTypes> {
    pub hub_id: u32,
    /// Its number in the process log.
    pub proc: u16,
    /// The cluster worker id (None: a `child_process.fork()` child).
    pub worker_id: Option<u32>,
    pub pid: u32,
    pub events: Emitter<(H::Func, CbId)>,
    pub state: WorkerState,
    /// The IPC channel is open.
    pub connected: bool,
    pub exited_after_disconnect: bool,
    /// Its exit code or the signal that ended it.
    pub exit: Option<(Option<i32>, Option<i32>)>,
    /// `child.killed`: a signal was sent to it.
    pub killed: bool,
    /// Out of `cluster.workers`.
    pub removed: bool,
    pub thread: Option<JoinHandle<()>>,
    /// Real clock: whether frames from it wait in its IPC channel.
    pub ipc: Option<channel::Inlet>,
}

/// A port the primary listens on for its workers (`RoundRobinHandle`), or
/// binds for them to accept on (`SharedHandle`, `SCHED_NONE`).
pub struct Handle {
    pub port: u16,
    /// The port the workers asked for (0: any, shared by all of them).
    pub asked: u16,
    /// Round robin: the primary's own listening server.
    pub server: Option<u32>,
    /// Every worker on the handle (hub ids), in the order they joined.
    pub all: Vec<u32>,
    /// Idle workers, longest idle first.
    pub free: VecDeque<u32>,
    /// Accepted connections waiting for a worker.
    pub pending: VecDeque<u32>,
    /// Real clock, `SCHED_NONE`: the listening socket the workers share
    /// (the primary keeps it open while the handle lives).
    pub listener: Option<os::SharedFd>,
}

/// The model's own nextTicks of this module.
#[derive(Debug, Clone, Copy)]
pub enum ProcOp {
    /// `emitForkNT`: `cluster.emit('fork', worker)`.
    Fork(u32),
    /// A ChildProcess's `'spawn'`.
    Spawn(u32),
    /// `process.emit('disconnect')` in the child.
    SelfDisconnect,
    /// `cluster.disconnect(cb)` with no worker: `cb` on a nextTick.
    NoWorkers,
    /// `send()` on a closed channel: `'error'` (`ERR_IPC_CHANNEL_CLOSED`)
    /// on the child object (by index) or on `process` (None).
    ChannelClosed(Option<u32>),
    /// `child.disconnect()` in the parent: `'disconnect'` on the child
    /// object (by index).
    ChildDisconnected(u32),
}

impl ProcOp {
    fn name(self) -> &'static str {
        match self {
            ProcOp::Fork(_) => "emitForkNT",
            ProcOp::Spawn(_) => "onSpawnNT",
            ProcOp::SelfDisconnect => "emit disconnect (process)",
            ProcOp::NoWorkers => "emit disconnect (cluster)",
            ProcOp::ChannelClosed(_) => "emit error (ERR_IPC_CHANNEL_CLOSED)",
            ProcOp::ChildDisconnected(_) => "emit disconnect (child)",
        }
    }
}

/// A script-visible object of this module (the host makes its value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcObj {
    /// A cluster `Worker` in the primary (by index in `children`).
    Worker(u32),
}

/// One process's place among the others.
pub struct Procs<H: HostTypes> {
    pub identity: Identity,
    /// The loop that forked this process (None in the primary).
    pub parent: Option<u32>,
    pub pid: u32,
    /// Its number in the process log (0: the primary).
    pub proc: u16,
    pub children: Vec<ProcChild<H>>,
    /// `cluster.on(...)` listeners (in the primary).
    pub cluster_events: Emitter<(H::Func, CbId)>,
    /// `cluster.worker.on(...)` listeners (in a worker).
    pub self_events: Emitter<(H::Func, CbId)>,
    /// `cluster.schedulingPolicy` as set by the script.
    pub policy_set: Option<i64>,
    /// The policy in force, frozen at the first fork.
    pub policy: Option<i64>,
    /// `cluster.setupPrimary({ args })`: the workers' arguments (None:
    /// the primary's own, node's default `process.argv.slice(2)`).
    pub worker_args: Option<Vec<String>>,
    pub next_worker_id: u32,
    pub forks: u32,
    pub handles: Vec<Handle>,
    /// In a forked process: the IPC channel to the parent is open.
    pub connected: bool,
    /// In a worker being disconnected: servers still closing.
    pub disconnecting: Option<u32>,
    /// Servers of this worker bound through the primary (server → port).
    pub shared_servers: Vec<(u32, u16)>,
    /// In a worker: the primary disconnected it (`exitedAfterDisconnect`).
    pub after_disconnect: bool,
    /// In a real forked process: the signals its script listens for.
    pub os_signals: Option<std::sync::Arc<os::SignalFlags>>,
    /// In a real forked process: whether frames from the parent wait in
    /// its channel.
    pub parent_ipc: Option<channel::Inlet>,
}

impl<H: HostTypes> Default for Procs<H> {
    fn default() -> Self {
        Procs {
            identity: Identity::Primary,
            parent: None,
            pid: PRIMARY_PID,
            proc: 0,
            children: Vec::new(),
            cluster_events: Emitter::default(),
            self_events: Emitter::default(),
            policy_set: None,
            policy: None,
            worker_args: None,
            next_worker_id: 1,
            forks: 0,
            handles: Vec::new(),
            connected: false,
            disconnecting: None,
            shared_servers: Vec::new(),
            after_disconnect: false,
            os_signals: None,
            parent_ipc: None,
        }
    }
}

impl<H: HostTypes> Procs<H> {
    pub fn is_primary(&self) -> bool {
        !matches!(self.identity, Identity::Worker(_))
    }

    /// Forked processes that have not exited keep the loop alive (their
    /// ChildProcess handles are ref'd); in a cluster worker, so does the
    /// open IPC channel; in a forked child, the channel does while the
    /// process has a `'message'` listener.
    pub fn keeps_alive(&self, message_listener: bool) -> bool {
        self.children.iter().any(|c| c.exit.is_none())
            || (self.connected
                && match self.identity {
                    Identity::Worker(_) => true,
                    Identity::Child => message_listener,
                    Identity::Primary => false,
                })
    }

    pub fn child_by_hub(&self, hub_id: u32) -> Option<usize> {
        self.children.iter().position(|c| c.hub_id == hub_id)
    }

    pub fn child_by_pid(&self, pid: u32) -> Option<usize> {
        self.children.iter().position(|c| c.pid == pid)
    }

    /// `cluster.workers`: the workers not yet removed, by id.
    pub fn workers(&self) -> Vec<(u32, usize)> {
        self.children
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.removed)
            .filter_map(|(i, c)| c.worker_id.map(|id| (id, i)))
            .collect()
    }

    /// Live forked processes.
    pub fn live(&self) -> usize {
        self.children.iter().filter(|c| c.exit.is_none()).count()
    }

    pub fn handle_of_port(&self, port: u16) -> Option<usize> {
        self.handles.iter().position(|h| h.port == port)
    }

    /// The round-robin handle whose listening server is `server`.
    pub fn handle_of_server(&self, server: u32) -> Option<usize> {
        self.handles.iter().position(|h| h.server == Some(server))
    }
}

impl<H: HostTypes> Runtime<H> {
    /// This loop's place in the hub, made on first use (the first worker
    /// thread or forked process): every listening server is entered in
    /// the hub's port table so that other processes can connect to it.
    pub fn ensure_hub(&mut self) -> Link {
        if let Some(link) = &self.threads.link {
            return link.clone();
        }
        let hub = Hub::new(self.clock.mode, self.clock.start_instant());
        hub.set_cores(self.options.cores);
        let link = Link {
            hub: hub.clone(),
            me: 0,
            parent: None,
        };
        self.threads.link = Some(link.clone());
        self.net.hub = Some((hub.clone(), 0));
        if let Some(r) = self.net.real.as_ref() {
            r.set_waker(hub.waker());
        }
        for s in &self.net.servers {
            if let (true, Some(port)) = (s.listening, s.port) {
                hub.bind(
                    port,
                    PortEntry {
                        owner: 0,
                        shared: None,
                    },
                );
            }
        }
        link
    }

    /// The scheduling policy, frozen at the first fork:
    /// `cluster.schedulingPolicy`, else `NODE_CLUSTER_SCHED_POLICY`, else
    /// round robin.
    pub fn cluster_policy(&mut self) -> i64 {
        if let Some(p) = self.procs.policy {
            return p;
        }
        self.procs
            .policy_set
            .unwrap_or_else(|| match self.env().get("NODE_CLUSTER_SCHED_POLICY") {
                Some("none") => SCHED_NONE,
                _ => SCHED_RR,
            })
    }

    /// Queues one of this module's nextTicks.
    pub fn proc_tick(&mut self, op: ProcOp) {
        if self.exiting {
            return;
        }
        let site = Site {
            label: std::borrow::Cow::Borrowed(op.name()),
            ..Site::default()
        };
        let cb = self.register_callback(CallbackKind::NextTick, &site);
        self.push_tick(Tick::Proc(op), cb);
    }

    /// Can one more process start? The error's text when not.
    pub fn fork_allowed(&self) -> Result<(), String> {
        if self.procs.live() >= MAX_LIVE_PROCS {
            return Err(format!(
                "workbench: at most {MAX_LIVE_PROCS} forked processes can run at once (a model \
                 limit: node would fork them and the machine would thrash)"
            ));
        }
        if self.procs.forks >= MAX_FORKS {
            return Err(format!(
                "workbench: this run forked {MAX_FORKS} processes, the model's budget: a worker \
                 that exits and is restarted in a loop (a restart storm) would go on until node \
                 is killed. Restart with a backoff, or stop after a few failures."
            ));
        }
        Ok(())
    }

    /// Records a process the host started (`cluster.fork()`: `'fork'` on a
    /// nextTick; `child_process.fork()`: `'spawn'`).
    pub fn add_proc_child(
        &mut self,
        hub_id: u32,
        proc: u16,
        worker_id: Option<u32>,
        thread: JoinHandle<()>,
        os_pid: Option<u32>,
    ) -> u32 {
        let pid = os_pid.unwrap_or(PRIMARY_PID + proc as u32);
        self.procs.forks += 1;
        self.procs.children.push(ProcChild {
            hub_id,
            proc,
            worker_id,
            pid,
            events: Emitter::default(),
            state: WorkerState::None,
            connected: true,
            exited_after_disconnect: false,
            exit: None,
            killed: false,
            removed: false,
            thread: Some(thread),
            ipc: None,
        });
        let idx = (self.procs.children.len() - 1) as u32;
        let now = self.clock.now_ns();
        if let Some(link) = &self.threads.link {
            link.hub
                .log(now, proc, ProcEvent::Forked, worker_id.unwrap_or(0));
        }
        self.proc_tick(if worker_id.is_some() {
            ProcOp::Fork(idx)
        } else {
            ProcOp::Spawn(idx)
        });
        idx
    }

    /// Posts `body` to loop `to` over IPC (the pipe's latency).
    pub fn ipc_post(&self, to: u32, body: Body) {
        if let Some(link) = &self.threads.link {
            let now = self.clock.now_ns();
            link.hub
                .post(link.me, to, now + ForkCost::IPC_LATENCY_NS, body);
        }
    }

    /// `worker.send(msg)` / `child.send(msg)` / `process.send(msg)`: the
    /// sender pays for serializing the JSON text. False when the channel
    /// is closed.
    pub fn ipc_send(&mut self, to: Option<u32>, json: String) -> bool {
        let target = match to {
            Some(idx) => match self.procs.children.get(idx as usize) {
                Some(c) if c.connected => Some(c.hub_id),
                _ => None,
            },
            None => self.procs.parent.filter(|_| self.procs.connected),
        };
        let Some(target) = target else { return false };
        let cost = MessageCost::BASE_NS + json.len() as u64 * MessageCost::PER_BYTE_NS;
        self.busy_ns(cost);
        self.ipc_post(target, Body::Ipc(json));
        true
    }

    /// `worker.kill(signal)` / `child.kill(signal)` / `process.kill(pid)`:
    /// the signal reaches the process at once.
    pub fn signal_child(&mut self, idx: usize, signo: i32) -> bool {
        let Some(c) = self.procs.children.get_mut(idx) else {
            return false;
        };
        if c.exit.is_some() {
            return false;
        }
        c.killed = true;
        let to = c.hub_id;
        if let Some(link) = &self.threads.link {
            let now = self.clock.now_ns();
            link.hub.post(link.me, to, now, Body::Signal(signo));
        }
        true
    }

    /// `worker.disconnect()` in the primary: `exitedAfterDisconnect`, the
    /// worker out of `cluster.workers` and of every handle at once; the
    /// worker closes its servers, then its channel.
    pub fn disconnect_worker(&mut self, idx: usize) {
        let Some(c) = self.procs.children.get_mut(idx) else {
            return;
        };
        if !c.connected {
            return;
        }
        c.exited_after_disconnect = true;
        let hub_id = c.hub_id;
        let is_worker = c.worker_id.is_some();
        if is_worker {
            c.removed = true;
            self.ipc_post(hub_id, Body::Cluster(ClusterMsg::Disconnect));
            self.remove_from_handles(hub_id);
            // `removeWorker`: the last one out wakes `cluster.disconnect`'s
            // earlier callbacks (synchronously in node; here on a tick).
            if self.procs.workers().is_empty()
                && self
                    .procs
                    .cluster_events
                    .listener_count(INTERCOM_DISCONNECT)
                    > 0
            {
                self.proc_tick(ProcOp::NoWorkers);
            }
        } else {
            // `child.disconnect()`: `connected` is false at once, the
            // channel closes, and 'disconnect' is emitted on a nextTick
            // (node's `target._disconnect`); the child reads the end of
            // its channel.
            c.connected = false;
            c.state = WorkerState::Disconnected;
            self.ipc_post(hub_id, Body::Disconnected);
            self.proc_tick(ProcOp::ChildDisconnected(idx as u32));
        }
    }

    /// `process.disconnect()` in a forked process.
    pub fn disconnect_self(&mut self) {
        if !self.procs.connected {
            return;
        }
        self.procs.connected = false;
        if let Some(parent) = self.procs.parent {
            self.ipc_post(parent, Body::Disconnected);
        }
        self.proc_tick(ProcOp::SelfDisconnect);
    }

    // === servers in cluster workers ===

    /// `server.listen(port)` in a cluster worker: the primary is asked.
    pub fn cluster_listen(&mut self, server: u32, port: u16) {
        if let Some(parent) = self.procs.parent {
            self.ipc_post(
                parent,
                Body::Cluster(ClusterMsg::QueryServer { port, server }),
            );
        }
    }

    /// A worker's server closed: the primary takes it off the handle.
    pub fn cluster_server_closed(&mut self, server: u32) {
        let Some(i) = self
            .procs
            .shared_servers
            .iter()
            .position(|&(s, _)| s == server)
        else {
            return;
        };
        let (_, port) = self.procs.shared_servers.remove(i);
        if let Some(parent) = self.procs.parent
            && self.procs.connected
        {
            self.ipc_post(parent, Body::Cluster(ClusterMsg::Closed { port }));
        }
    }

    /// Primary: the port a worker asked for cannot be bound: its server
    /// gets the error.
    fn bind_failed(&mut self, from: u32, server: u32, port: u16, code: &str, errno: Option<i32>) {
        self.ipc_post(
            from,
            Body::Cluster(ClusterMsg::BindFailed {
                server,
                port,
                code: code.to_string(),
                errno: errno.unwrap_or(0),
            }),
        );
    }

    /// Primary: `queryServer` from worker `from`: the handle for the port
    /// (made on first ask), the worker joins it.
    fn query_server(&mut self, from: u32, asked: u16, server: u32) {
        let policy = self.cluster_policy();
        let h = match self.procs.handles.iter().position(|h| h.asked == asked) {
            Some(h) => h,
            None => {
                let Some(link) = self.threads.link.clone() else {
                    return;
                };
                let real = self.net.real_mode;
                let mut port = if asked == 0 && !real {
                    link.hub.ephemeral_port()
                } else {
                    asked
                };
                let mut listener = None;
                // The primary binds for its workers; when it cannot, the
                // worker's listen() fails (node's `bind` error, emitted on
                // the worker's server).
                let server = if policy == SCHED_RR {
                    let s = self.create_server(None);
                    self.net.servers[s as usize].handoff = real;
                    match self.bind_port(s, port) {
                        Ok(bound) => {
                            self.start_listening(s, bound);
                            port = bound;
                        }
                        Err(e) => return self.bind_failed(from, server, asked, &e.code, e.errno),
                    }
                    Some(s)
                } else {
                    if real {
                        match self.shared_listener(port) {
                            Ok((fd, bound)) => {
                                listener = Some(fd);
                                port = bound;
                            }
                            Err(e) => {
                                let (code, errno) = super::net::bind_error_code(&e);
                                return self.bind_failed(from, server, asked, code, Some(errno));
                            }
                        }
                    } else if self.port_taken(port) {
                        return self.bind_failed(from, server, asked, "EADDRINUSE", Some(-98));
                    }
                    None
                };
                self.procs.handles.push(Handle {
                    port,
                    asked,
                    server,
                    all: Vec::new(),
                    free: VecDeque::new(),
                    pending: VecDeque::new(),
                    listener,
                });
                self.procs.handles.len() - 1
            }
        };
        let port = self.procs.handles[h].port;
        self.procs.handles[h].all.push(from);
        if policy == SCHED_NONE
            && let Some(link) = self.threads.link.clone()
        {
            link.hub.bind(
                port,
                PortEntry {
                    owner: link.me,
                    shared: Some(self.procs.handles[h].all.clone()),
                },
            );
        }
        match self.procs.handles[h].listener.clone() {
            Some(fd) => self.ipc_post(
                from,
                Body::Cluster(ClusterMsg::Listener { port, server, fd }),
            ),
            None => self.ipc_post(from, Body::Cluster(ClusterMsg::Bound { port, server })),
        }
        if policy == SCHED_RR {
            self.handoff(h, from);
        }
    }

    /// `RoundRobinHandle.distribute`: an accepted connection waits for the
    /// longest-idle worker.
    pub fn distribute(&mut self, server: u32, conn: u32) {
        let Some(h) = self.procs.handle_of_server(server) else {
            return;
        };
        self.net.park(conn);
        self.procs.handles[h].pending.push_back(conn);
        let waiting = self.procs.handles[h].pending.len() as u32;
        match self.procs.handles[h].free.pop_front() {
            Some(w) => self.handoff(h, w),
            None => self.proc_log(0, ProcEvent::Queued, waiting),
        }
    }

    /// `RoundRobinHandle.handoff`: the worker gets the next connection, or
    /// goes to the end of the idle queue.
    fn handoff(&mut self, h: usize, worker: u32) {
        let handle = &mut self.procs.handles[h];
        if !handle.all.contains(&worker) {
            return;
        }
        let Some(conn) = handle.pending.pop_front() else {
            handle.free.push_back(worker);
            return;
        };
        let port = handle.port;
        let left = handle.pending.len() as u32;
        let body = if self.net.real_mode {
            // The socket itself goes to the worker.
            self.real_hand_over(conn)
                .map(|fd| ClusterMsg::Socket { port, fd })
        } else {
            self.net_hand_over(conn, worker)
                .map(|(key, unread)| ClusterMsg::NewConn { port, key, unread })
        };
        let Some(body) = body else {
            // A connection that is gone: the worker takes the next one.
            return self.handoff(h, worker);
        };
        let proc = self
            .procs
            .child_by_hub(worker)
            .map_or(0, |i| self.procs.children[i].proc);
        self.proc_log(proc, ProcEvent::Handoff, left);
        let cost = MessageCost::BASE_NS;
        self.busy_ns(cost);
        self.ipc_post(worker, Body::Cluster(body));
    }

    /// `removeHandlesForWorker`: the worker leaves every handle; a handle
    /// with no worker left closes, and the connections waiting in it are
    /// reset.
    pub fn remove_from_handles(&mut self, worker: u32) {
        self.remove_from_handles_where(worker, None);
    }

    /// As [`Runtime::remove_from_handles`], for the handle of one port.
    pub fn remove_from_handles_where(&mut self, worker: u32, port: Option<u16>) {
        let mut h = 0;
        while h < self.procs.handles.len() {
            let handle = &mut self.procs.handles[h];
            if !handle.all.contains(&worker) || port.is_some_and(|p| p != handle.port) {
                h += 1;
                continue;
            }
            handle.all.retain(|&w| w != worker);
            handle.free.retain(|&w| w != worker);
            if !handle.all.is_empty() {
                if handle.server.is_none() {
                    let (port, all) = (handle.port, handle.all.clone());
                    if let Some(link) = self.threads.link.clone() {
                        link.hub.bind(
                            port,
                            PortEntry {
                                owner: link.me,
                                shared: Some(all),
                            },
                        );
                    }
                }
                h += 1;
                continue;
            }
            let handle = self.procs.handles.remove(h);
            match handle.server {
                Some(s) => {
                    for conn in handle.pending {
                        self.proc_log(0, ProcEvent::Refused, 0);
                        self.reset_parked(conn);
                    }
                    // The server is the cluster's, not the script's: no
                    // 'close' event reaches a listener.
                    self.close_server(s);
                }
                None => {
                    if let Some(link) = self.threads.link.clone() {
                        link.hub.unbind(handle.port, link.me);
                    }
                }
            }
        }
    }

    /// Real clock: frames already in a channel when a poll starts are read
    /// in it, as node's epoll sees every IPC pipe that is readable, so a
    /// worker's acknowledgement is not overtaken by a socket event that
    /// came after it. Takes them from the sockets now, not waiting for the
    /// channels' reader threads.
    pub fn await_ipc_frames(&self) {
        let inlets = self
            .procs
            .children
            .iter()
            .filter(|c| c.exit.is_none())
            .filter_map(|c| c.ipc.as_ref())
            .chain(self.procs.parent_ipc.as_ref());
        for inlet in inlets {
            inlet.drain();
        }
    }

    /// A real forked process: a signal the script listens for now is
    /// caught (and delivered in the poll phase); another takes its default
    /// action. Called when a signal listener is added (node installs the
    /// handler in `process.on`, at once) and at each poll.
    pub fn sync_os_signals(&self) {
        if let Some(flags) = &self.procs.os_signals {
            flags.update(|sig| {
                super::net::signal_name(sig)
                    .is_some_and(|name| self.net.signal_events.listener_count(name) > 0)
            });
        }
    }

    /// Records a point of the process log for process `proc`.
    pub fn proc_log(&self, proc: u16, event: ProcEvent, value: u32) {
        if let Some(link) = &self.threads.link {
            link.hub.log(self.clock.now_ns(), proc, event, value);
        }
    }
}
