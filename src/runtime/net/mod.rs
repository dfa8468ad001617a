//! Sockets and HTTP: Node's `net` and `http` modules over libuv TCP handles,
//! and a load generator with autocannon's options and results.
//!
//! Both ends of every connection live in this process (a server and the
//! clients a scenario starts), so the network is a model of loopback:
//!
//! - Under the virtual clock, bytes written on a connection are at the
//!   other end when the write returns (on loopback the kernel queues them
//!   at the receiver inside `write()`; the writer pays [`Costs::byte_ps`]
//!   per byte for the copy), in order per direction. A read is a
//!   poll-phase callback that takes every segment arrived by then (one
//!   callback scope, as one `read()` would).
//!   Parsing a request costs the server's loop [`Costs::parse_ns`]; a
//!   response costs the client [`Costs::client_ns`]. A new connection's
//!   first read comes one poll later than its accept (libuv registers the
//!   accepted fd with epoll at the next `uv__io_poll`).
//! - The events and their ticks follow `lib/_http_server.js`,
//!   `lib/_http_client.js`, `lib/_http_agent.js` and `lib/net.js` of Node
//!   v20: `'listening'` and a server's `'close'` on nextTicks, a response's
//!   `'finish'` on the write's `afterWriteTick`, its `'close'` one tick
//!   later, sockets' `'close'` in the close phase. Incoming messages are
//!   the model's own Readable streams ([`super::stream`]), so `'data'` and
//!   `'end'` come when Node's Readable would emit them.
//!
//! The runtime still knows no script language: listeners are `H::Func`s and
//! the values handed to them come from [`HostTypes`] hooks.

pub mod deliver;
pub mod handoff;
pub mod http;
pub mod load;
pub mod real;
pub mod remote;

use std::collections::{BinaryHeap, HashMap, VecDeque};

use super::events::Emitter;
use super::stream::StreamId;
use super::{HostTypes, Runtime, Site, Tick};
use crate::trace::{CallbackKind, CbId, Kind, NetEvent};
use http::Headers;

/// What the virtual network costs. Calibrated against node v20.20.2 on the
/// 2-core machine this was written on: a server and autocannon in one
/// process (benches/scenarios/http_100k.rhai) serve about 25,000 small
/// keep-alive requests per second, 40 µs of loop time per request and
/// response, split here between the server (parse, respond) and the client.
#[derive(Debug, Clone, Copy)]
pub struct Costs {
    /// One way across loopback, after the copy (0: the kernel queues
    /// the bytes at the receiver inside the sender's `write()`).
    pub link_ns: u64,
    /// Per byte written, in picoseconds: the sender's copy.
    pub byte_ps: u64,
    /// The server accepting a connection (accept, socket and parser setup).
    pub accept_ns: u64,
    /// The server parsing a request and making `req` and `res`.
    pub parse_ns: u64,
    /// The server serializing and writing a response (at `res.end()`).
    pub respond_ns: u64,
    /// A client making a request and parsing its response.
    pub client_ns: u64,
    /// A client handling a refused connect (autocannon with node v20
    /// makes about 6,000 refused attempts a second on one loop).
    pub refused_ns: u64,
}

pub const COSTS: Costs = Costs {
    link_ns: 0,
    byte_ps: 1_000,
    accept_ns: 15_000,
    parse_ns: 14_000,
    respond_ns: 5_000,
    client_ns: 16_000,
    refused_ns: 160_000,
};

/// The core count a scenario sees under the virtual clock
/// (`os.availableParallelism()`).
pub const VIRTUAL_CORES: usize = 4;

/// The signals the model knows, with their numbers on Linux and whether
/// their default action ignores them (else it ends the process).
const SIGNALS: &[(&str, i32, bool)] = &[
    ("SIGHUP", 1, false),
    ("SIGINT", 2, false),
    ("SIGQUIT", 3, false),
    ("SIGKILL", 9, false),
    ("SIGUSR1", 10, false),
    ("SIGUSR2", 12, false),
    ("SIGPIPE", 13, false),
    ("SIGALRM", 14, false),
    ("SIGTERM", 15, false),
    ("SIGCHLD", 17, true),
    ("SIGCONT", 18, true),
    ("SIGURG", 23, true),
    ("SIGWINCH", 28, true),
];

/// A signal's number by its name.
pub fn signal_number(name: &str) -> Option<i32> {
    SIGNALS.iter().find(|s| s.0 == name).map(|s| s.1)
}

pub fn signal_name(n: i32) -> Option<&'static str> {
    SIGNALS.iter().find(|s| s.1 == n).map(|s| s.0)
}

/// Does the signal's default action leave the process running?
pub fn signal_ignored_by_default(n: i32) -> bool {
    SIGNALS.iter().any(|s| s.1 == n && s.2)
}

/// A script-visible object of this module (the host makes its value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetObj {
    Server(u32),
    /// A server's `res` (ServerResponse), by exchange.
    Response(u32),
    /// A client's `req` (ClientRequest), by exchange.
    ClientRequest(u32),
    Agent(u32),
    /// A connection's socket (server side), for `'connection'` listeners.
    Socket(u32),
}

/// One of Node's errors, as the host turns it into a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetError {
    pub name: &'static str,
    pub code: String,
    pub message: String,
    pub errno: Option<i32>,
    pub syscall: Option<&'static str>,
    pub address: Option<String>,
    pub port: Option<u16>,
}

/// Node's code and errno for a failed bind: `EADDRINUSE` when the port
/// is taken, else `EACCES` (a privileged port).
pub fn bind_error_code(e: &std::io::Error) -> (&'static str, i32) {
    if e.kind() == std::io::ErrorKind::AddrInUse {
        ("EADDRINUSE", -98)
    } else {
        ("EACCES", -13)
    }
}

impl NetError {
    pub fn plain(name: &'static str, code: &str, message: impl Into<String>) -> Self {
        NetError {
            name,
            code: code.into(),
            message: message.into(),
            errno: None,
            syscall: None,
            address: None,
            port: None,
        }
    }

    /// A libuv error from a system call (`connect ECONNREFUSED 127.0.0.1:80`).
    pub fn sys(code: &str, errno: i32, syscall: &'static str, address: &str, port: u16) -> Self {
        NetError {
            name: "Error",
            code: code.into(),
            message: format!("{syscall} {code} {address}:{port}"),
            errno: Some(errno),
            syscall: Some(syscall),
            address: Some(address.into()),
            port: Some(port),
        }
    }

    /// `socket hang up` (`ECONNRESET`): the connection ended before the
    /// response did.
    pub fn hang_up() -> Self {
        NetError::plain("Error", "ECONNRESET", "socket hang up")
    }
}

/// Listener lists of this module's objects.
pub type Events<H> = Emitter<(<H as HostTypes>::Func, CbId)>;

/// A server (`http.createServer`).
pub struct Server<H: HostTypes> {
    pub port: Option<u16>,
    /// The listening handle is open.
    pub listening: bool,
    /// `server.close()` was called (no new connections; 'close' once the
    /// last connection closes).
    pub closing: bool,
    pub close_emitted: bool,
    pub events: Events<H>,
    /// Connections whose server side is open.
    pub conns: Vec<u32>,
    pub keep_alive_timeout_ms: f64,
    pub max_connections: Option<u32>,
    /// Real clock: a cluster primary's round-robin handle, whose accepted
    /// sockets are handed to workers unread.
    pub handoff: bool,
}

/// Who opened a client connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// An `http.Agent` (0 is `http.globalAgent`).
    Agent(u32),
    /// A load generator.
    Load(u32),
    /// A client outside the scenario (under the real clock).
    Outside,
}

/// A segment on its way across the virtual network.
#[derive(Debug, Clone)]
pub enum Segment {
    /// SYN at the server (its accept).
    Syn,
    /// The connection is established (the client's connect completes).
    SynAck,
    /// No server listens on the port.
    Refused,
    /// A whole request (exchange).
    Request(u32),
    /// Part of a response: the head (first), body bytes, the end.
    Response {
        ex: u32,
        head: bool,
        data: Vec<u8>,
        last: bool,
    },
    /// The other side ended or destroyed its socket.
    Fin,
}

/// One TCP connection: its client side and its server side.
pub struct Conn {
    pub server: Option<u32>,
    pub port: u16,
    pub owner: Owner,
    pub client_open: bool,
    pub connected: bool,
    pub server_open: bool,
    /// Accepted by the server (its reads start the next poll).
    pub accepted: bool,
    pub readable_from_iteration: u32,
    /// Arrived at the server, not yet read.
    pub to_server: VecDeque<(u64, Segment)>,
    /// Arrived at the client, not yet read.
    pub to_client: VecDeque<(u64, Segment)>,
    /// When the last segment each way arrives (TCP keeps them in order).
    pub last_to_server: u64,
    pub last_to_client: u64,
    /// Server side: exchanges whose responses wait for the socket, in order
    /// (`state.outgoing`), and the one that has it.
    pub outgoing: VecDeque<u32>,
    pub responding: Option<u32>,
    /// Server side: requests parsed, responses not yet finished.
    pub unanswered: u32,
    /// Server side: the keep-alive timeout's deadline (ms, loop time).
    pub idle_deadline: Option<u64>,
    /// Client side: requests written, their responses expected in order.
    pub awaiting: VecDeque<u32>,
    /// Client side: requests assigned before the connection was up.
    pub unsent: VecDeque<u32>,
    /// Client side: the socket is in its agent's free list (unref'd).
    pub free: bool,
    /// Real clock: requests written on the real socket, in order (the
    /// server's end reads them in this order).
    pub real_requests: VecDeque<u32>,
    pub cb_server: CbId,
    pub cb_client: CbId,
    /// An end in another process ([`remote`]).
    pub remote: Option<remote::Remote>,
    /// Server end held by a cluster primary for a worker: not read here.
    pub parked: bool,
    /// Client end of a remote connection: the server's end sent its FIN.
    pub peer_closed: bool,
}

impl Conn {
    /// A connection to `port` (served by `server`, if any), both ends yet
    /// to be set up: the client's connect and the server's accept.
    fn new(server: Option<u32>, port: u16, owner: Owner, cb_server: CbId, cb_client: CbId) -> Conn {
        Conn {
            server,
            port,
            owner,
            client_open: true,
            connected: false,
            server_open: false,
            accepted: false,
            readable_from_iteration: 0,
            to_server: VecDeque::new(),
            to_client: VecDeque::new(),
            last_to_server: 0,
            last_to_client: 0,
            outgoing: VecDeque::new(),
            responding: None,
            unanswered: 0,
            idle_deadline: None,
            awaiting: VecDeque::new(),
            unsent: VecDeque::new(),
            free: false,
            real_requests: VecDeque::new(),
            cb_server,
            cb_client,
            remote: None,
            parked: false,
            peer_closed: false,
        }
    }
}

/// A request and its response, seen from both ends.
pub struct Exchange<H: HostTypes> {
    pub conn: Option<u32>,
    pub method: String,
    pub path: String,
    pub host: String,
    pub port: u16,
    pub req_headers: Headers,
    pub req_body: Vec<u8>,
    pub keep_alive: bool,
    pub client: ClientSide<H>,
    pub sent_ns: u64,
    /// Server side: `req` (an IncomingMessage stream) and `res`.
    pub req_stream: Option<StreamId>,
    pub res: Outgoing<H>,
    /// Client side: the response's IncomingMessage stream.
    pub res_stream: Option<StreamId>,
    pub res_status: u16,
    pub res_headers: Vec<(String, String)>,
    /// The response's body bytes received so far (for the client's 'data').
    pub received: usize,
    /// `req.reusedSocket`: it got an idle socket from its agent's pool.
    pub reused: bool,
    /// The request has its socket and waits for `req.end()` to go out.
    pub waiting_for_end: bool,
    /// Server side of a request from another process: the client's
    /// exchange there.
    pub peer_ex: Option<u32>,
}

/// Whose request it is.
pub enum ClientSide<H: HostTypes> {
    /// `http.get` / `http.request`: the ClientRequest's listeners.
    Script {
        events: Events<H>,
        agent: u32,
        /// `req.end()` was called.
        ended: bool,
        /// An error or 'close' was emitted (nothing more is).
        done: bool,
    },
    Load(u32),
    /// A client outside the scenario (under the real clock).
    Outside,
}

/// A server's response (`ServerResponse`), as `_http_outgoing.js` keeps it.
pub struct Outgoing<H: HostTypes> {
    pub status: u16,
    pub headers: Headers,
    pub headers_sent: bool,
    /// `writeHead()` fixed the head before any body was written: its
    /// length is not known, the body goes chunked (unless the handler set
    /// Content-Length).
    pub head_fixed: bool,
    /// The head has gone out on the socket (with the first write).
    pub head_written: bool,
    pub chunked: bool,
    pub ended: bool,
    pub finished: bool,
    pub closed: bool,
    pub events: Events<H>,
    pub bytes: usize,
    /// The head's bytes, once written (the real clock sends them).
    pub head_bytes: Vec<u8>,
}

impl<H: HostTypes> Default for Outgoing<H> {
    fn default() -> Self {
        Outgoing {
            status: 200,
            headers: Headers::default(),
            headers_sent: false,
            head_fixed: false,
            head_written: false,
            chunked: false,
            ended: false,
            finished: false,
            closed: false,
            events: Emitter::default(),
            bytes: 0,
            head_bytes: Vec::new(),
        }
    }
}

/// An `http.Agent`: the client's connection pool.
pub struct Agent {
    pub keep_alive: bool,
    pub max_sockets: u32,
    /// Sockets per port (open, free or busy).
    pub sockets: HashMap<u16, u32>,
    /// Idle sockets per port (reused last-in first-out: node's 'lifo').
    pub free: HashMap<u16, Vec<u32>>,
    /// Requests waiting for a socket, per port (`agent.requests`).
    pub queue: HashMap<u16, VecDeque<u32>>,
}

impl Agent {
    pub fn new(keep_alive: bool, max_sockets: u32) -> Self {
        Agent {
            keep_alive,
            max_sockets,
            sockets: HashMap::new(),
            free: HashMap::new(),
            queue: HashMap::new(),
        }
    }
}

/// A model-internal nextTick of this module.
pub enum Op {
    /// `emitListeningNT`.
    Listening(u32),
    /// `emitCloseNT` of a server.
    ServerClose(u32),
    /// A server's `'error'` (`EADDRINUSE` is emitted on a tick).
    ServerError(u32, NetError),
    /// `onSocketNT`: a client request got its socket.
    OnSocket(u32),
    /// The response's write completed (`afterWriteTick` → `onFinish`).
    Finish(u32),
    /// `emitCloseNT` of a ServerResponse.
    ResponseClose(u32),
    /// A client request's `'error'` then `'close'`.
    ClientError(u32, NetError),
    /// A client request's `'close'` (its response ended).
    ClientClose(u32),
    /// `emitFreeNT` of a keep-alive request (by exchange).
    Free(u32),
    /// An error emitted on a ServerResponse (write after end).
    ResponseError(u32, NetError),
}

impl Op {
    /// The tick's label (without request numbers: labels are interned,
    /// and one per request would grow a long load run's trace).
    fn name(&self) -> &'static str {
        match self {
            Op::Listening(_) => "emitListeningNT",
            Op::ServerClose(_) => "emitCloseNT (server)",
            Op::ServerError(..) => "emitErrorNT (server)",
            Op::OnSocket(_) => "onSocketNT",
            Op::Finish(_) => "afterWriteTick (res finish)",
            Op::ResponseClose(_) => "emitCloseNT (res)",
            Op::ClientError(..) => "emitErrorEvent (req)",
            Op::ClientClose(_) => "emit close (req)",
            Op::Free(_) => "emitFreeNT",
            Op::ResponseError(..) => "emitErrorNt (res)",
        }
    }
}

/// What the close phase runs: a handle's close callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// The server side of a connection closed.
    ServerSocket(u32),
    /// The client side of a connection closed.
    ClientSocket(u32),
}

/// The network state of one process.
pub struct Net<H: HostTypes> {
    pub servers: Vec<Server<H>>,
    pub conns: Vec<Conn>,
    pub exchanges: Vec<Exchange<H>>,
    pub agents: Vec<Agent>,
    pub loads: Vec<load::LoadGen<H>>,
    /// Wake-ups: (due ns, sequence, connection, towards the server).
    wakes: BinaryHeap<std::cmp::Reverse<(u64, u64, u32, bool)>>,
    seq: u64,
    /// Close callbacks waiting for the close phase.
    pub closing: VecDeque<Closing>,
    /// Signals delivered to this process, with the loop iteration they
    /// came in: the poll phase reads those that came before it began.
    pub signals: VecDeque<(i32, u32)>,
    /// Listeners of `process.on('SIGTERM' | ...)`, by signal number.
    pub signal_events: Events<H>,
    /// Which exchange an IncomingMessage stream belongs to.
    pub incoming: HashMap<u32, u32>,
    next_port: u16,
    pub costs: Costs,
    /// Response segments written before their response had the socket.
    pub pending_segments: Vec<(u32, Segment, usize)>,
    /// Connections with an end still open (closed ones leave it in the
    /// close phase), so that the loop's liveness check does not walk
    /// every connection a long run ever made.
    pub live: Vec<u32>,
    /// `--clock real`: real sockets (made when the first is needed).
    pub real_mode: bool,
    pub real: Option<real::RealNet>,
    /// The hub and this loop's id in it, once there are other processes.
    pub hub: Option<(std::sync::Arc<crate::runtime::worker::Hub>, u32)>,
    /// Server ends of connections from other processes, by key.
    pub by_key: HashMap<(u32, u32), u32>,
    /// Segments for connections handed over but not yet adopted.
    pub held: remote::Held,
}

impl<H: HostTypes> Default for Net<H> {
    fn default() -> Self {
        Net {
            servers: Vec::new(),
            conns: Vec::new(),
            exchanges: Vec::new(),
            // `http.globalAgent` in v20: keepAlive, no socket limit.
            agents: vec![Agent::new(true, u32::MAX)],
            loads: Vec::new(),
            wakes: BinaryHeap::new(),
            seq: 0,
            closing: VecDeque::new(),
            signals: VecDeque::new(),
            signal_events: Emitter::default(),
            incoming: HashMap::new(),
            next_port: 0,
            costs: COSTS,
            pending_segments: Vec::new(),
            real_mode: false,
            real: None,
            live: Vec::new(),
            hub: None,
            by_key: HashMap::new(),
            held: HashMap::new(),
        }
    }
}

impl<H: HostTypes> Net<H> {
    /// The network of a run: modelled, or real sockets (`--clock real`).
    pub fn new(real_mode: bool) -> Self {
        Net {
            real_mode,
            ..Net::default()
        }
    }

    /// The earliest segment arrival still ahead (virtual ns).
    pub fn next_arrival(&self) -> Option<u64> {
        self.wakes.peek().map(|w| w.0.0)
    }

    /// The earliest keep-alive deadline (loop ms): a JS timer in Node.
    pub fn next_deadline_ms(&self) -> Option<u64> {
        self.live
            .iter()
            .map(|&i| &self.conns[i as usize])
            .filter(|c| c.server_open)
            .filter_map(|c| c.idle_deadline)
            .min()
    }

    /// `uv__loop_alive`'s share: listening servers, open sockets (an idle
    /// agent socket is unref'd), running load generators.
    pub fn keeps_alive(&self) -> bool {
        self.servers.iter().any(|s| s.listening)
            || self
                .live
                .iter()
                .map(|&i| &self.conns[i as usize])
                // An outside client's end is not this process's handle.
                .any(|c| {
                    c.server_open || (c.client_open && !c.free && c.owner != Owner::Outside)
                })
            || self.loads.iter().any(|l| !l.finished)
            // libuv: closing handles keep the loop alive for their callbacks.
            || !self.closing.is_empty()
    }

    /// Is there anything that can still happen without a timer (segments
    /// in flight, unread segments, signals, close callbacks)?
    pub fn has_pending(&self) -> bool {
        !self.wakes.is_empty() || !self.signals.is_empty() || !self.closing.is_empty()
    }

    pub fn has_ready(&self, now_ns: u64, iteration: u32) -> bool {
        !self.signals.is_empty()
            || self.wakes.peek().is_some_and(|w| {
                w.0.0 <= now_ns && {
                    let c = &self.conns[w.0.2 as usize];
                    !w.0.3 || !c.accepted || c.readable_from_iteration <= iteration
                }
            })
    }

    /// An ephemeral port (`listen(0)`): deterministic under the virtual
    /// clock, from the range Linux hands out.
    pub fn ephemeral_port(&mut self) -> u16 {
        loop {
            let port = 40_000 + (self.next_port % 20_000);
            self.next_port = self.next_port.wrapping_add(1);
            if !self
                .servers
                .iter()
                .any(|s| s.listening && s.port == Some(port))
            {
                return port;
            }
        }
    }

    pub fn server_on_port(&self, port: u16) -> Option<u32> {
        self.servers
            .iter()
            .position(|s| s.listening && s.port == Some(port))
            .map(|i| i as u32)
    }

    fn push_wake(&mut self, due: u64, conn: u32, to_server: bool) {
        self.seq += 1;
        self.wakes
            .push(std::cmp::Reverse((due, self.seq, conn, to_server)));
    }

    /// Real clock: has a socket brought something the loop has not read?
    pub fn has_real_inbound(&self) -> bool {
        self.real.as_ref().is_some_and(|r| r.has_inbound())
    }

    /// The real sockets, made on first use.
    pub fn real(&mut self) -> Option<&mut real::RealNet> {
        if self.real.is_none() {
            self.real = real::RealNet::new().ok();
            if let (Some(r), Some((hub, _))) = (self.real.as_ref(), self.hub.as_ref()) {
                r.set_waker(hub.waker());
            }
        }
        self.real.as_mut()
    }

    /// A segment that is there at once (the loopback handshake).
    fn send_now(&mut self, now: u64, conn: u32, to_server: bool, seg: Segment) {
        let Some(c) = self.conns.get_mut(conn as usize) else {
            return;
        };
        if to_server {
            c.last_to_server = c.last_to_server.max(now);
            c.to_server.push_back((now, seg));
        } else {
            c.last_to_client = c.last_to_client.max(now);
            c.to_client.push_back((now, seg));
        }
        self.push_wake(now, conn, to_server);
    }

    /// Sends a segment of `bytes` bytes across connection `conn`. On
    /// loopback the kernel queues the bytes at the receiver inside the
    /// sender's `write()`: they are there at once ([`Costs::link_ns`]
    /// after), and copying them is the sender's work: the returned cost,
    /// which the caller's loop pays.
    pub fn send(
        &mut self,
        now: u64,
        conn: u32,
        to_server: bool,
        seg: Segment,
        bytes: usize,
    ) -> u64 {
        if self.real_mode {
            self.send_real(conn, to_server, seg);
            return 0;
        }
        let copy = (bytes as u64 * self.costs.byte_ps) / 1000;
        let arrival = now + copy + self.costs.link_ns;
        if self.send_remote(arrival, conn, to_server, &seg) {
            return copy;
        }
        let Some(c) = self.conns.get_mut(conn as usize) else {
            return 0;
        };
        let last = if to_server {
            &mut c.last_to_server
        } else {
            &mut c.last_to_client
        };
        let due = arrival.max(*last);
        *last = due;
        if to_server {
            c.to_server.push_back((due, seg));
        } else {
            c.to_client.push_back((due, seg));
        }
        self.push_wake(due, conn, to_server);
        copy
    }

    /// The real clock's `send`: the segment's bytes on the real socket.
    fn send_real(&mut self, conn: u32, to_server: bool, seg: Segment) {
        let bytes = match seg {
            // The real connect and accept stand for these.
            Segment::Syn | Segment::SynAck | Segment::Refused => return,
            Segment::Fin => {
                if let Some(r) = self.real.as_ref() {
                    r.close(conn, !to_server);
                }
                return;
            }
            Segment::Request(ex) => {
                let e = &self.exchanges[ex as usize];
                let b = http::request_bytes(&e.method, &e.path, &e.req_headers, &e.req_body);
                // A server end handed to another process matches its
                // requests there.
                if let Some(c) = self.conns.get_mut(conn as usize)
                    && c.remote.is_none()
                {
                    c.real_requests.push_back(ex);
                }
                b
            }
            Segment::Response {
                ex,
                head,
                data,
                last,
            } => {
                let e = &self.exchanges[ex as usize];
                let mut b = if head {
                    e.res.head_bytes.clone()
                } else {
                    Vec::new()
                };
                if e.res.chunked {
                    if !data.is_empty() {
                        b.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
                        b.extend_from_slice(&data);
                        b.extend_from_slice(b"\r\n");
                    }
                    if last {
                        b.extend_from_slice(b"0\r\n\r\n");
                    }
                } else {
                    b.extend_from_slice(&data);
                }
                b
            }
        };
        if let Some(r) = self.real.as_ref() {
            r.write(conn, !to_server, bytes);
        }
    }

    /// Takes the wake-ups due by `now` whose connection can be read in
    /// this iteration (a fresh accept waits for the next poll).
    pub fn take_due(&mut self, now: u64, iteration: u32) -> Vec<(u32, bool)> {
        let mut due = Vec::new();
        let mut later = Vec::new();
        // libuv's `uv__server_io` accepts one connection per poll when
        // Node's `UV_TCP_SINGLE_ACCEPT` behaviour applies (measured on v20:
        // one accept per loop iteration).
        let mut accepting: Vec<u32> = Vec::new();
        while let Some(std::cmp::Reverse(w)) = self.wakes.peek().copied() {
            if w.0 > now {
                break;
            }
            self.wakes.pop();
            let c = &self.conns[w.2 as usize];
            // A parked end is read by the worker it goes to.
            if w.3 && c.parked {
                continue;
            }
            if w.3 && c.accepted && c.readable_from_iteration > iteration {
                later.push(w);
                continue;
            }
            let syn = w.3 && !c.accepted && !c.server_open;
            if syn && let Some(server) = c.server {
                if accepting.contains(&server) {
                    later.push(w);
                    continue;
                }
                accepting.push(server);
            }
            if !due.contains(&(w.2, w.3)) {
                due.push((w.2, w.3));
            }
        }
        for w in later {
            self.wakes.push(std::cmp::Reverse(w));
        }
        due
    }

    /// Segments arrived at one end by `now`.
    pub fn arrived(&mut self, now: u64, conn: u32, to_server: bool) -> Vec<Segment> {
        let Some(c) = self.conns.get_mut(conn as usize) else {
            return Vec::new();
        };
        let q = if to_server {
            &mut c.to_server
        } else {
            &mut c.to_client
        };
        let mut out = Vec::new();
        while q.front().is_some_and(|(t, _)| *t <= now) {
            if let Some((_, s)) = q.pop_front() {
                // A connection not accepted yet gives only its SYN now.
                let stop = matches!(s, Segment::Syn);
                out.push(s);
                if stop {
                    if q.front().is_some_and(|(t, _)| *t <= now) {
                        let next = q.front().map_or(now, |(t, _)| *t);
                        self.seq += 1;
                        self.wakes
                            .push(std::cmp::Reverse((next, self.seq, conn, to_server)));
                    }
                    break;
                }
            }
        }
        out
    }

    /// What keeps the loop alive when nothing can arrive, for the message.
    pub fn waiting_for_ever(&self) -> String {
        if let Some((i, s)) = self.servers.iter().enumerate().find(|(_, s)| s.listening) {
            return format!(
                "server {i} is still listening on port {}",
                s.port.unwrap_or(0)
            );
        }
        "a socket is still open".to_string()
    }

    /// Requests in flight across all servers (parsed, not yet answered).
    pub fn in_flight(&self) -> u32 {
        self.conns.iter().map(|c| c.unanswered).sum()
    }
}

// === what the bindings call ===

impl<H: HostTypes> Runtime<H> {
    pub fn net_emit(&mut self, event: NetEvent, conn: u32, status: u16, value: u32) {
        self.emit(Kind::Net {
            event,
            conn: conn.min(u16::MAX as u32) as u16,
            status,
            value,
        });
    }

    /// Queues one of this module's nextTicks.
    pub fn net_tick(&mut self, op: Op) {
        if self.exiting {
            return;
        }
        let site = Site {
            label: std::borrow::Cow::Borrowed(op.name()),
            ..Site::default()
        };
        let cb = self.register_callback(CallbackKind::NextTick, &site);
        self.push_tick(Tick::Net(op), cb);
    }

    /// `http.createServer(handler)`.
    pub fn create_server(&mut self, handler: Option<(H::Func, CbId)>) -> u32 {
        let mut events = Emitter::default();
        if let Some(h) = handler {
            events.on("request", h, false);
        }
        self.net.servers.push(Server {
            port: None,
            listening: false,
            closing: false,
            close_emitted: false,
            events,
            conns: Vec::new(),
            keep_alive_timeout_ms: 5000.0,
            max_connections: None,
            handoff: false,
        });
        (self.net.servers.len() - 1) as u32
    }

    /// `server.listen(port)`: binds now; `'listening'` on a nextTick, or
    /// `'error'` (`EADDRINUSE`) on one.
    pub fn listen(&mut self, server: u32, port: u16) {
        // A cluster worker's server listens through the primary.
        if matches!(
            self.procs.identity,
            crate::runtime::procs::Identity::Worker(_)
        ) {
            self.cluster_listen(server, port);
            return;
        }
        match self.bind_port(server, port) {
            Ok(port) => self.start_listening(server, port),
            Err(e) => self.net_tick(Op::ServerError(server, e)),
        }
    }

    /// Is `port` taken, by a server of this loop or of another process?
    pub fn port_taken(&self, port: u16) -> bool {
        port != 0
            && (self.net.server_on_port(port).is_some()
                || self
                    .net
                    .hub
                    .as_ref()
                    .is_some_and(|(h, me)| h.port(port).is_some_and(|e| e.owner != *me)))
    }

    /// Binds `port` for `server` (0: one the kernel, or the model, picks):
    /// the port bound, or `listen`'s error.
    pub fn bind_port(&mut self, server: u32, port: u16) -> Result<u16, NetError> {
        if self.port_taken(port) {
            return Err(NetError {
                name: "Error",
                code: "EADDRINUSE".into(),
                message: format!("listen EADDRINUSE: address already in use :::{port}"),
                errno: Some(-98),
                syscall: Some("listen"),
                address: Some("::".into()),
                port: Some(port),
            });
        }
        if self.net.real_mode {
            let handoff = self
                .net
                .servers
                .get(server as usize)
                .is_some_and(|s| s.handoff);
            let bound = match self.net.real() {
                Some(r) => r.listen(server, port, handoff),
                None => Err(std::io::Error::other("no network runtime")),
            };
            return bound.map_err(|e| {
                let (code, errno) = bind_error_code(&e);
                NetError {
                    name: "Error",
                    code: code.into(),
                    message: format!("listen {code}: {e} :::{port}"),
                    errno: Some(errno),
                    syscall: Some("listen"),
                    address: Some("::".into()),
                    port: Some(port),
                }
            });
        }
        Ok(if port == 0 {
            match &self.net.hub {
                Some((h, _)) => h.ephemeral_port(),
                None => self.net.ephemeral_port(),
            }
        } else {
            port
        })
    }

    /// The server listens on `port`, bound by [`Runtime::bind_port`].
    pub fn start_listening(&mut self, server: u32, port: u16) {
        if let Some((h, me)) = &self.net.hub {
            h.bind(
                port,
                crate::runtime::worker::PortEntry {
                    owner: *me,
                    shared: None,
                },
            );
        }
        if let Some(s) = self.net.servers.get_mut(server as usize) {
            s.port = Some(port);
            s.listening = true;
            s.closing = false;
            s.close_emitted = false;
        }
        self.net_emit(NetEvent::Listen, server, 0, port as u32);
        self.net_tick(Op::Listening(server));
    }

    /// `server.close()`: stops listening now; idle connections are closed
    /// (v19+); `'close'` once the last connection is gone. Returns false
    /// when the server was not listening (`ERR_SERVER_NOT_RUNNING`).
    pub fn close_server(&mut self, server: u32) -> bool {
        let Some(s) = self.net.servers.get_mut(server as usize) else {
            return false;
        };
        if !s.listening {
            return false;
        }
        s.listening = false;
        s.closing = true;
        let port = s.port;
        if let Some(r) = self.net.real.as_mut() {
            r.unlisten(server);
        }
        if let (Some((h, me)), Some(port)) = (&self.net.hub, port)
            && self.procs.is_primary()
        {
            h.unbind(port, *me);
        }
        self.cluster_server_closed(server);
        self.net_emit(NetEvent::ServerClose, server, 0, 0);
        self.close_idle(server);
        self.maybe_server_closed(server);
        true
    }

    /// `_emitCloseIfDrained`: a closing server with no connection left
    /// emits `'close'` on a nextTick.
    pub fn maybe_server_closed(&mut self, server: u32) {
        let Some(s) = self.net.servers.get_mut(server as usize) else {
            return;
        };
        if s.closing && s.conns.is_empty() && !s.close_emitted {
            s.close_emitted = true;
            self.net_tick(Op::ServerClose(server));
        }
    }

    /// `server.closeIdleConnections()`: connections with no request in
    /// progress are destroyed.
    pub fn close_idle(&mut self, server: u32) {
        self.close_conns(server, true);
    }

    /// `server.closeAllConnections()`.
    pub fn close_all(&mut self, server: u32) {
        self.close_conns(server, false);
    }

    fn close_conns(&mut self, server: u32, idle_only: bool) {
        let conns = self
            .net
            .servers
            .get(server as usize)
            .map(|s| s.conns.clone())
            .unwrap_or_default();
        for c in conns {
            if !idle_only || self.net.conns[c as usize].unanswered == 0 {
                self.destroy_server_side(c);
            }
        }
    }

    /// Destroys the server's end of a connection: the client reads EOF,
    /// the handle's close callback runs in the close phase.
    pub fn destroy_server_side(&mut self, conn: u32) {
        let now = self.clock.now_ns();
        let Some(c) = self.net.conns.get_mut(conn as usize) else {
            return;
        };
        if !c.server_open {
            return;
        }
        c.server_open = false;
        c.idle_deadline = None;
        let server = c.server;
        self.net.send(now, conn, false, Segment::Fin, 0);
        self.net.closing.push_back(Closing::ServerSocket(conn));
        // `Socket._destroy`: the server counts the connection gone at once
        // (`_connections--`, `_emitCloseIfDrained`), not in the close phase.
        if let Some(s) = server {
            if let Some(srv) = self.net.servers.get_mut(s as usize) {
                srv.conns.retain(|&x| x != conn);
            }
            self.maybe_server_closed(s);
        }
    }

    /// Destroys the client's end of a connection.
    pub fn destroy_client_side(&mut self, conn: u32) {
        let now = self.clock.now_ns();
        let Some(c) = self.net.conns.get_mut(conn as usize) else {
            return;
        };
        if !c.client_open {
            return;
        }
        c.client_open = false;
        let server_open =
            c.server_open || (c.remote == Some(remote::Remote::Server) && !c.peer_closed);
        if server_open {
            self.net.send(now, conn, true, Segment::Fin, 0);
        }
        self.net.closing.push_back(Closing::ClientSocket(conn));
    }

    /// Opens a client connection to `port` (connect, then SYN/SYN-ACK or
    /// a refusal across the virtual network).
    pub fn open_conn(&mut self, port: u16, owner: Owner) -> u32 {
        let now = self.clock.now_ns();
        let id = self.net.conns.len() as u32;
        let site = |label: String| Site {
            label: label.into(),
            ..Site::default()
        };
        let cb_server =
            self.register_callback(CallbackKind::Io, &site(format!("read c{id} (server)")));
        let cb_client =
            self.register_callback(CallbackKind::Io, &site(format!("read c{id} (client)")));
        let server = self.net.server_on_port(port);
        // Another process listens on the port: the loopback network
        // between processes ([`remote`]).
        let remote_to = match (&self.net.hub, server, self.net.real_mode) {
            (Some((hub, me)), None, false) => hub.port(port).and_then(|e| match e.shared {
                Some(workers) => hub.acceptor(&workers, now, (*me, id)),
                None => Some(e.owner),
            }),
            _ => None,
        };
        self.net.live.push(id);
        self.net
            .conns
            .push(Conn::new(server, port, owner, cb_server, cb_client));
        if let (Some(to), Some((hub, me))) = (remote_to, self.net.hub.clone()) {
            self.net.conns[id as usize].remote = Some(remote::Remote::Server);
            hub.set_route((me, id), to);
            hub.post(
                me,
                to,
                now,
                crate::runtime::worker::Body::Net(remote::NetMsg {
                    key: (me, id),
                    to_server: true,
                    wire: remote::Wire::Syn { port },
                }),
            );
            self.net.send_now(now, id, false, Segment::SynAck);
            return id;
        }
        if self.net.real_mode {
            if let Some(r) = self.net.real() {
                r.connect(id, port);
            }
            return id;
        }
        // On loopback the kernel completes the handshake inside
        // `connect()`: the next poll sees the connection (node accepts it
        // before a main-script immediate runs), and the server's accept
        // and the client's connect come in the same poll.
        let seg = if server.is_some() {
            Segment::SynAck
        } else {
            Segment::Refused
        };
        if server.is_some() {
            self.net.send_now(now, id, true, Segment::Syn);
        }
        self.net.send_now(now, id, false, seg);
        id
    }

    /// A new exchange for a client request.
    pub fn new_exchange(
        &mut self,
        method: &str,
        target: &http::Target,
        headers: Headers,
        client: ClientSide<H>,
    ) -> u32 {
        let keep_alive = match &client {
            ClientSide::Script { agent, .. } => self
                .net
                .agents
                .get(*agent as usize)
                // `ClientRequest`: keep-alive unless the agent neither keeps
                // sockets alive nor limits them.
                .is_some_and(|a| a.keep_alive || a.max_sockets != u32::MAX),
            ClientSide::Load(_) | ClientSide::Outside => true,
        };
        self.net.exchanges.push(Exchange {
            conn: None,
            method: method.to_string(),
            path: target.path.clone(),
            host: format!("{}:{}", target.host, target.port),
            port: target.port,
            req_headers: headers,
            req_body: Vec::new(),
            keep_alive,
            client,
            sent_ns: 0,
            req_stream: None,
            res: Outgoing::default(),
            res_stream: None,
            res_status: 0,
            res_headers: Vec::new(),
            received: 0,
            reused: false,
            waiting_for_end: false,
            peer_ex: None,
        });
        (self.net.exchanges.len() - 1) as u32
    }

    /// `agent.addRequest`: a free socket, a new one, or the queue.
    pub fn agent_add_request(&mut self, ex: u32) {
        let (agent_id, port) = {
            let e = &self.net.exchanges[ex as usize];
            match e.client {
                ClientSide::Script { agent, .. } => (agent, e.port),
                ClientSide::Load(_) | ClientSide::Outside => return,
            }
        };
        let Some(agent) = self.net.agents.get_mut(agent_id as usize) else {
            return;
        };
        if let Some(conn) = agent.free.get_mut(&port).and_then(|f| f.pop()) {
            self.net.conns[conn as usize].free = false;
            self.net.exchanges[ex as usize].reused = true;
            self.net_emit(NetEvent::Reuse, conn, 0, ex);
            self.assign_socket(ex, conn);
            return;
        }
        let count = agent.sockets.get(&port).copied().unwrap_or(0);
        if count < agent.max_sockets {
            *agent.sockets.entry(port).or_insert(0) += 1;
            let conn = self.open_conn(port, Owner::Agent(agent_id));
            self.assign_socket(ex, conn);
        } else {
            agent.queue.entry(port).or_default().push_back(ex);
            self.net_emit(NetEvent::Queued, agent_id, 0, ex);
        }
    }

    /// `req.onSocket(socket)`: the request is written on `onSocketNT`.
    fn assign_socket(&mut self, ex: u32, conn: u32) {
        self.net.exchanges[ex as usize].conn = Some(conn);
        self.net_tick(Op::OnSocket(ex));
    }

    /// Writes a client request on its socket (or holds it until connect).
    pub fn write_request(&mut self, ex: u32) {
        let Some(conn) = self.net.exchanges[ex as usize].conn else {
            return;
        };
        // `http.request` sends nothing until `req.end()` (a `get` has
        // ended at once): its socket waits.
        if let ClientSide::Script { ended: false, .. } = self.net.exchanges[ex as usize].client {
            self.net.exchanges[ex as usize].waiting_for_end = true;
            return;
        }
        let c = &mut self.net.conns[conn as usize];
        if !c.client_open {
            return;
        }
        if !c.connected {
            c.unsent.push_back(ex);
            return;
        }
        c.awaiting.push_back(ex);
        let now = self.clock.now_ns();
        let bytes = {
            let e = &mut self.net.exchanges[ex as usize];
            if e.sent_ns == 0 {
                e.sent_ns = now;
            }
            let fields = http::request_head(
                &e.method,
                &e.path,
                &e.host,
                &e.req_headers,
                e.keep_alive,
                e.req_body.len(),
            );
            e.req_headers = fields;
            http::request_bytes(&e.method, &e.path, &e.req_headers, &e.req_body).len()
        };
        self.net_emit(NetEvent::Send, conn, 0, ex);
        let copy = self.net.send(now, conn, true, Segment::Request(ex), bytes);
        self.busy_ns(copy);
    }

    /// The socket of a finished keep-alive exchange goes back to its agent
    /// (`'free'`): to the next queued request, or the free list.
    pub fn agent_free(&mut self, conn: u32) {
        let (owner, port, open) = {
            let c = &self.net.conns[conn as usize];
            (c.owner, c.port, c.client_open)
        };
        let Owner::Agent(a) = owner else { return };
        if !open {
            return;
        }
        let next = self
            .net
            .agents
            .get_mut(a as usize)
            .and_then(|ag| ag.queue.get_mut(&port))
            .and_then(|q| q.pop_front());
        if let Some(ex) = next {
            self.net_emit(NetEvent::Reuse, conn, 0, ex);
            self.assign_socket(ex, conn);
            return;
        }
        let keep = self
            .net
            .agents
            .get(a as usize)
            .is_some_and(|ag| ag.keep_alive);
        if keep {
            self.net.conns[conn as usize].free = true;
            if let Some(ag) = self.net.agents.get_mut(a as usize) {
                ag.free.entry(port).or_default().push(conn);
            }
            self.net_emit(NetEvent::Idle, conn, 0, 0);
        } else {
            self.destroy_client_side(conn);
        }
    }

    /// A client socket closed: its agent forgets it and a queued request
    /// may open a new one.
    pub fn agent_remove(&mut self, conn: u32) {
        let (owner, port) = {
            let c = &self.net.conns[conn as usize];
            (c.owner, c.port)
        };
        let Owner::Agent(a) = owner else { return };
        let next = {
            let Some(ag) = self.net.agents.get_mut(a as usize) else {
                return;
            };
            if let Some(n) = ag.sockets.get_mut(&port) {
                *n = n.saturating_sub(1);
            }
            if let Some(f) = ag.free.get_mut(&port) {
                f.retain(|&c| c != conn);
            }
            ag.queue.get_mut(&port).and_then(|q| q.pop_front())
        };
        if let Some(ex) = next {
            if let Some(ag) = self.net.agents.get_mut(a as usize) {
                *ag.sockets.entry(port).or_insert(0) += 1;
            }
            let c = self.open_conn(port, Owner::Agent(a));
            self.assign_socket(ex, c);
        }
    }

    /// Turns what the real sockets brought into segments, grouped by
    /// connection end in arrival order. A connection from outside the
    /// scenario (curl, a load generator in another process) becomes a
    /// connection of its own whose requests the server answers as any.
    pub fn take_real(&mut self) -> Vec<(u32, bool, Vec<Segment>)> {
        let items = match self.net.real.as_ref() {
            Some(r) => r.take(),
            None => return Vec::new(),
        };
        let mut out: Vec<(u32, bool, Vec<Segment>)> = Vec::new();
        for item in items {
            let found = match item {
                real::Inbound::Accepted {
                    server,
                    sock,
                    peer_port,
                } => {
                    let own = self
                        .net
                        .real
                        .as_ref()
                        .and_then(|r| r.conn_of_port(peer_port));
                    let conn = match own {
                        Some(c) => c,
                        None => self.outside_conn(server),
                    };
                    if let Some(r) = self.net.real.as_mut() {
                        r.bind_end(sock, conn, true);
                    }
                    Some((conn, true, Segment::Syn))
                }
                real::Inbound::Connected { conn, refused } => Some((
                    conn,
                    false,
                    if refused {
                        Segment::Refused
                    } else {
                        Segment::SynAck
                    },
                )),
                real::Inbound::Message { sock, head, body } => {
                    let end = self.net.real.as_ref().and_then(|r| r.end_of(sock));
                    match end {
                        Some((conn, true)) => self.real_request(conn, head, body),
                        Some((conn, false)) => {
                            let ex = self
                                .net
                                .conns
                                .get(conn as usize)
                                .and_then(|c| c.awaiting.front().copied());
                            // The status and headers as they came: the
                            // server may be another process.
                            if let (Some(h), Some(e)) = (
                                &head,
                                ex.and_then(|x| self.net.exchanges.get_mut(x as usize)),
                            ) {
                                e.res.status = h.status;
                                e.res_headers = h.headers.clone();
                            }
                            ex.map(|ex| {
                                (
                                    conn,
                                    false,
                                    Segment::Response {
                                        ex,
                                        head: true,
                                        data: body,
                                        last: true,
                                    },
                                )
                            })
                        }
                        None => None,
                    }
                }
                real::Inbound::Eof { sock } => {
                    let end = self.net.real.as_ref().and_then(|r| r.end_of(sock));
                    end.map(|(conn, server_end)| (conn, server_end, Segment::Fin))
                }
            };
            let Some((conn, to_server, seg)) = found else {
                continue;
            };
            match out.last_mut() {
                Some((c, t, segs)) if *c == conn && *t == to_server => segs.push(seg),
                _ => out.push((conn, to_server, vec![seg])),
            }
        }
        out
    }

    /// A request read at a server's end: the scenario's own client wrote
    /// it (its exchange is next in line), or an outside client did (a new
    /// exchange from the head it sent).
    fn real_request(
        &mut self,
        conn: u32,
        head: Option<real::Head>,
        body: Vec<u8>,
    ) -> Option<(u32, bool, Segment)> {
        let own = self
            .net
            .conns
            .get_mut(conn as usize)
            .and_then(|c| c.real_requests.pop_front());
        let ex = match own {
            Some(ex) => ex,
            None => {
                let head = head?;
                let port = self.net.conns.get(conn as usize).map_or(0, |c| c.port);
                let target = http::Target {
                    host: "127.0.0.1".into(),
                    port,
                    path: head.path,
                };
                let ex = self.new_exchange(
                    &head.method,
                    &target,
                    Headers(head.headers),
                    ClientSide::Outside,
                );
                self.net.exchanges[ex as usize].conn = Some(conn);
                ex
            }
        };
        self.net.exchanges[ex as usize].req_body = body;
        Some((conn, true, Segment::Request(ex)))
    }

    /// A connection from outside the scenario, accepted by `server`.
    pub(crate) fn outside_conn(&mut self, server: u32) -> u32 {
        let id = self.net.conns.len() as u32;
        let site = |label: String| Site {
            label: label.into(),
            ..Site::default()
        };
        let cb_server =
            self.register_callback(CallbackKind::Io, &site(format!("read c{id} (server)")));
        let port = self
            .net
            .servers
            .get(server as usize)
            .and_then(|s| s.port)
            .unwrap_or(0);
        self.net.live.push(id);
        let mut conn = Conn::new(Some(server), port, Owner::Outside, cb_server, cb_server);
        // Its client end is the outside client's: connected, never ours.
        conn.connected = true;
        self.net.conns.push(conn);
        id
    }

    /// `process.kill(process.pid, signal)` with a listener: delivered in the
    /// next poll phase (libuv's signal pipe).
    pub fn raise_signal(&mut self, signo: i32) {
        let at = (self.iteration, self.phase == crate::trace::Phase::Poll);
        // Raised while poll runs its callbacks: the pipe is read next poll.
        let from = if at.1 { at.0 + 1 } else { at.0 };
        self.net.signals.push_back((signo, from));
    }
}
