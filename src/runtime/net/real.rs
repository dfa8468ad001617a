//! The network under `--clock real`: real sockets on 127.0.0.1. A small
//! tokio runtime (one worker thread) accepts, connects, reads and writes;
//! each complete HTTP message it reads becomes an [`Inbound`] in a queue
//! that the loop's poll phase drains, where the model's own code
//! ([`super::deliver`]) runs the listeners as under the virtual clock.
//! The loop thread never blocks on a socket: writes go to a per-socket
//! channel, and a connect on loopback completes at once.
//!
//! Everything is closed when the run ends, however it ends: dropping
//! [`RealNet`] shuts the runtime down, which drops every socket.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

/// A socket end's number on the tokio side.
pub type SockId = u64;

/// A request head read from a socket: what an outside client asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// A response's status code (0 for a request).
    pub status: u16,
}

/// What a socket brought, for the loop.
#[derive(Debug)]
pub enum Inbound {
    /// Server `server` accepted a connection from `peer_port`.
    Accepted {
        server: u32,
        sock: SockId,
        peer_port: u16,
    },
    /// The client's connect of connection `conn` completed (or was refused).
    Connected { conn: u32, refused: bool },
    /// A whole message arrived on `sock` (a request at a server's end, with
    /// its head; a response at a client's end).
    Message {
        sock: SockId,
        head: Option<Head>,
        body: Vec<u8>,
    },
    /// The other end closed.
    Eof { sock: SockId },
}

/// The queue the tokio side fills and the loop drains.
#[derive(Default)]
struct Inbox {
    queue: Mutex<VecDeque<Inbound>>,
    ready: Condvar,
    /// Also wakes a loop that waits on its mailbox (a loop with processes
    /// or worker threads waits on the hub, not here).
    waker: Mutex<Option<Waker>>,
}

/// Wakes whoever waits for the loop's events.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

impl Inbox {
    fn push(&self, item: Inbound) {
        if let Ok(mut q) = self.queue.lock() {
            q.push_back(item);
            self.ready.notify_all();
        }
        if let Ok(w) = self.waker.lock()
            && let Some(wake) = w.as_ref()
        {
            wake();
        }
    }
}

enum WriteCmd {
    Data(Vec<u8>),
    Close,
}

/// Each socket end's writer.
type Writers = Arc<Mutex<WriterTable>>;

/// The writers of the socket ends, and their tasks (to let them finish
/// when the run ends).
#[derive(Default)]
struct WriterTable {
    tx: HashMap<SockId, (UnboundedSender<WriteCmd>, Arc<Direct>)>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// A socket end written from the loop's thread when nothing is queued
/// for its writer task, as libuv's `uv_try_write`: node's `write()` puts
/// the bytes in the kernel before it returns, so the peer (another
/// process, or a worker the primary hands the connection to) can read
/// them at once. What the kernel does not take now is queued.
struct Direct {
    /// A second descriptor of the socket (None once the writer ended).
    stream: Mutex<Option<std::net::TcpStream>>,
    /// Writes queued for the task and not yet done.
    queued: AtomicU64,
}

/// Real sockets of one run. The loop thread owns this; the tokio side
/// knows sockets by [`SockId`] only, and the maps from connections to
/// socket ends live here, on the loop's side.
pub struct RealNet {
    runtime: Option<tokio::runtime::Runtime>,
    inbox: Arc<Inbox>,
    writers: Writers,
    next_sock: Arc<AtomicU64>,
    /// Listening sockets by server, to stop accepting on close.
    listeners: HashMap<u32, tokio::task::JoinHandle<()>>,
    /// A client's local port → its connection (to tell the scenario's own
    /// connections from outside ones when the server accepts).
    by_local_port: HashMap<u16, u32>,
    /// (connection, server's end?) → socket, and back.
    socks: HashMap<(u32, bool), SockId>,
    ends: HashMap<SockId, (u32, bool)>,
    /// Sockets a handoff listener accepted, not read (for a worker).
    raw: Arc<Mutex<HashMap<SockId, std::net::TcpStream>>>,
}

impl RealNet {
    pub fn new() -> std::io::Result<RealNet> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("workbench-net")
            .enable_io()
            .enable_time()
            .build()?;
        Ok(RealNet {
            runtime: Some(runtime),
            inbox: Arc::default(),
            writers: Arc::default(),
            next_sock: Arc::new(AtomicU64::new(1)),
            listeners: HashMap::new(),
            by_local_port: HashMap::new(),
            socks: HashMap::new(),
            ends: HashMap::new(),
            raw: Arc::default(),
        })
    }

    /// What arrives also calls `wake` (the hub's, once the loop has one).
    pub fn set_waker(&self, wake: Waker) {
        if let Ok(mut w) = self.inbox.waker.lock() {
            *w = Some(wake);
        }
    }

    /// Which connection end a socket is (None: not bound yet).
    pub fn end_of(&self, sock: SockId) -> Option<(u32, bool)> {
        self.ends.get(&sock).copied()
    }

    /// The connection a client's local port belongs to.
    pub fn conn_of_port(&self, port: u16) -> Option<u32> {
        self.by_local_port.get(&port).copied()
    }

    /// Binds a socket to one end of a connection.
    pub fn bind_end(&mut self, sock: SockId, conn: u32, server_end: bool) {
        self.socks.insert((conn, server_end), sock);
        self.ends.insert(sock, (conn, server_end));
    }

    fn rt(&self) -> Option<&tokio::runtime::Runtime> {
        self.runtime.as_ref()
    }

    /// Binds 127.0.0.1:`port` (0: the kernel picks) and starts accepting.
    /// Returns the bound port. A `handoff` listener (a cluster primary's
    /// round-robin handle) reads nothing: its sockets wait, unread, to be
    /// handed to a worker ([`RealNet::take_raw`]).
    pub fn listen(&mut self, server: u32, port: u16, handoff: bool) -> std::io::Result<u16> {
        let std_listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
        self.listen_std(server, std_listener, handoff)
    }

    /// Starts accepting on a socket already bound (by this process, or by
    /// a cluster primary that handed it over: `SCHED_NONE`, where every
    /// worker accepts on the same socket and the kernel picks).
    pub fn listen_std(
        &mut self,
        server: u32,
        std_listener: std::net::TcpListener,
        handoff: bool,
    ) -> std::io::Result<u16> {
        std_listener.set_nonblocking(true)?;
        let bound = std_listener.local_addr()?.port();
        let Some(rt) = self.rt() else {
            return Err(std::io::Error::other("network runtime stopped"));
        };
        let _enter = rt.enter();
        let listener = tokio::net::TcpListener::from_std(std_listener)?;
        let (inbox, writers, next, raw) = (
            self.inbox.clone(),
            self.writers.clone(),
            self.next_sock.clone(),
            self.raw.clone(),
        );
        let task = rt.spawn(async move {
            loop {
                let Ok((stream, peer)) = listener.accept().await else {
                    break;
                };
                let sock = next.fetch_add(1, Ordering::Relaxed);
                if handoff {
                    if let (Ok(std_stream), Ok(mut raw)) = (stream.into_std(), raw.lock()) {
                        raw.insert(sock, std_stream);
                    }
                    inbox.push(Inbound::Accepted {
                        server,
                        sock,
                        peer_port: peer.port(),
                    });
                    continue;
                }
                start_socket(stream, sock, peer.port(), server, &writers, &inbox);
            }
        });
        self.listeners.insert(server, task);
        Ok(bound)
    }

    /// A socket a worker gave back (it refused it): accepted again by
    /// the handoff listener of `server`, unread.
    pub fn accept_again(&mut self, server: u32, stream: std::net::TcpStream, peer_port: u16) {
        let sock = self.next_sock.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut raw) = self.raw.lock() {
            raw.insert(sock, stream);
        }
        self.inbox.push(Inbound::Accepted {
            server,
            sock,
            peer_port,
        });
    }

    /// A socket accepted by a handoff listener, out of this process's
    /// hands (None: gone, or not such a socket).
    pub fn take_raw(&mut self, sock: SockId) -> Option<std::net::TcpStream> {
        let stream = self.raw.lock().ok()?.remove(&sock)?;
        if let Some(end) = self.ends.remove(&sock) {
            self.socks.remove(&end);
        }
        Some(stream)
    }

    /// The socket of one end of `conn`.
    pub fn sock_of(&self, conn: u32, server_end: bool) -> Option<SockId> {
        self.socks.get(&(conn, server_end)).copied()
    }

    /// A connection another process accepted and handed over (a cluster
    /// worker's `newconn`): its reads and writes start here; the caller
    /// binds it to a connection and accepts it at once, as node's
    /// `onconnection` runs inside the message's callback.
    pub fn adopt(&mut self, stream: std::net::TcpStream) -> std::io::Result<SockId> {
        stream.set_nonblocking(true)?;
        let sock = self.next_sock.fetch_add(1, Ordering::Relaxed);
        // What the client wrote is already in the kernel: node's worker
        // sees the socket readable at once (its first epoll after
        // `onconnection`), before any later IPC message. Read it now, on
        // the loop's thread, so that the next poll has it.
        let mut buf = Vec::new();
        let mut eof = false;
        let mut chunk = [0u8; 16 * 1024];
        while buf.len() < MAX_HEAD * 4 {
            match std::io::Read::read(&mut &stream, &mut chunk) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        while let Parsed::Message(used, head, body) = parse(&buf, true) {
            buf.drain(..used);
            self.inbox.push(Inbound::Message { sock, head, body });
        }
        let Some(rt) = self.rt() else {
            return Err(std::io::Error::other("network runtime stopped"));
        };
        let _enter = rt.enter();
        let stream = tokio::net::TcpStream::from_std(stream)?;
        let _ = stream.set_nodelay(true);
        let (read, write) = stream.into_split();
        spawn_writer(&self.writers, sock, write);
        if eof {
            self.inbox.push(Inbound::Eof { sock });
        } else {
            rt.spawn(read_messages(read, self.inbox.clone(), sock, true, buf));
        }
        Ok(sock)
    }

    /// Stops accepting (`server.close()`): the listening socket is closed.
    pub fn unlisten(&mut self, server: u32) {
        if let Some(task) = self.listeners.remove(&server) {
            task.abort();
            // Wait until the task is gone and its socket closed: a connect
            // after `close()` must be refused, as in node.
            if let Some(rt) = self.runtime.as_ref() {
                let _ = rt.block_on(task);
            }
        }
    }

    /// Connects connection `conn` to 127.0.0.1:`port`. The result comes
    /// back through the inbox (the poll phase sees the connect complete).
    pub fn connect(&mut self, conn: u32, port: u16) {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2));
        let stream = match stream {
            Ok(s) => s,
            Err(_) => {
                self.inbox.push(Inbound::Connected {
                    conn,
                    refused: true,
                });
                return;
            }
        };
        if let Ok(local) = stream.local_addr() {
            self.by_local_port.insert(local.port(), conn);
        }
        let _ = stream.set_nodelay(true);
        let _ = stream.set_nonblocking(true);
        let sock = self.next_sock.fetch_add(1, Ordering::Relaxed);
        let Some(rt) = self.rt() else { return };
        let _enter = rt.enter();
        let Ok(stream) = tokio::net::TcpStream::from_std(stream) else {
            return;
        };
        let (read, write) = stream.into_split();
        spawn_writer(&self.writers, sock, write);
        let inbox = self.inbox.clone();
        rt.spawn(read_messages(read, inbox, sock, false, Vec::new()));
        self.bind_end(sock, conn, false);
        self.inbox.push(Inbound::Connected {
            conn,
            refused: false,
        });
    }

    /// Writes bytes from one end of `conn`.
    pub fn write(&self, conn: u32, from_server: bool, bytes: Vec<u8>) {
        let Some(sock) = self.socks.get(&(conn, from_server)) else {
            return;
        };
        let Ok(w) = self.writers.lock() else { return };
        let Some((tx, direct)) = w.tx.get(sock) else {
            return;
        };
        let mut sent = 0;
        if direct.queued.load(Ordering::SeqCst) == 0
            && let Ok(guard) = direct.stream.lock()
            && let Some(stream) = guard.as_ref()
        {
            let mut out: &std::net::TcpStream = stream;
            while sent < bytes.len() {
                match std::io::Write::write(&mut out, &bytes[sent..]) {
                    Ok(0) => break,
                    Ok(n) => sent += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    // Full (or failing: the task finds out): queue it.
                    Err(_) => break,
                }
            }
        }
        if sent < bytes.len() {
            direct.queued.fetch_add(1, Ordering::SeqCst);
            let rest = if sent == 0 {
                bytes
            } else {
                bytes[sent..].to_vec()
            };
            if tx.send(WriteCmd::Data(rest)).is_err() {
                direct.queued.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }

    /// Closes one end of `conn` (after what was written before).
    pub fn close(&self, conn: u32, server_end: bool) {
        let Some(sock) = self.socks.get(&(conn, server_end)) else {
            return;
        };
        if let Ok(mut w) = self.writers.lock()
            && let Some((tx, _)) = w.tx.remove(sock)
        {
            let _ = tx.send(WriteCmd::Close);
        }
    }

    /// Takes what has arrived.
    pub fn take(&self) -> Vec<Inbound> {
        self.inbox
            .queue
            .lock()
            .map(|mut q| q.drain(..).collect())
            .unwrap_or_default()
    }

    pub fn has_inbound(&self) -> bool {
        self.inbox.queue.lock().is_ok_and(|q| !q.is_empty())
    }

    /// Waits until something arrives or `deadline` passes (None: until
    /// something arrives, at most `cap`).
    pub fn wait(&self, deadline: Option<Instant>, cap: Instant) {
        let until = deadline.map_or(cap, |d| d.min(cap));
        let Ok(mut q) = self.inbox.queue.lock() else {
            return;
        };
        while q.is_empty() {
            let now = Instant::now();
            if now >= until {
                return;
            }
            match self.inbox.ready.wait_timeout(q, until - now) {
                Ok((guard, _)) => q = guard,
                Err(_) => return,
            }
        }
    }
}

impl Drop for RealNet {
    fn drop(&mut self) {
        for (_, task) in self.listeners.drain() {
            task.abort();
        }
        // What the run wrote reaches the peers before the sockets close,
        // as node's writes are in the kernel before it exits: each writer
        // finishes its queue (bounded: a peer that reads nothing cannot
        // hold the exit).
        let tasks = match self.writers.lock() {
            Ok(mut w) => {
                w.tx.clear();
                std::mem::take(&mut w.tasks)
            }
            Err(_) => Vec::new(),
        };
        if let Some(rt) = self.runtime.as_ref() {
            rt.block_on(async {
                let deadline = tokio::time::Instant::now() + Duration::from_millis(500);
                for task in tasks {
                    let _ = tokio::time::timeout_at(deadline, task).await;
                }
            });
        }
        if let Some(rt) = self.runtime.take() {
            // Drops every task, and with them every socket.
            rt.shutdown_timeout(Duration::from_millis(200));
        }
    }
}

/// An accepted socket's writer and reader, and its `Accepted` for the loop.
fn start_socket(
    stream: tokio::net::TcpStream,
    sock: SockId,
    peer_port: u16,
    server: u32,
    writers: &Writers,
    inbox: &Arc<Inbox>,
) {
    let _ = stream.set_nodelay(true);
    let (read, write) = stream.into_split();
    spawn_writer(writers, sock, write);
    inbox.push(Inbound::Accepted {
        server,
        sock,
        peer_port,
    });
    tokio::spawn(read_messages(read, inbox.clone(), sock, true, Vec::new()));
}

fn spawn_writer(writers: &Writers, sock: SockId, mut write: tokio::net::tcp::OwnedWriteHalf) {
    let (tx, mut rx) = unbounded_channel::<WriteCmd>();
    // The second descriptor shares the socket's non-blocking mode.
    let second = std::os::fd::AsFd::as_fd(write.as_ref())
        .try_clone_to_owned()
        .ok()
        .map(std::net::TcpStream::from);
    let direct = Arc::new(Direct {
        stream: Mutex::new(second),
        queued: AtomicU64::new(0),
    });
    let mine = direct.clone();
    let task = tokio::spawn(async move {
        while let Some(cmd) = rx.recv().await {
            match cmd {
                WriteCmd::Data(bytes) => {
                    let ok = write.write_all(&bytes).await.is_ok();
                    mine.queued.fetch_sub(1, Ordering::SeqCst);
                    if !ok {
                        break;
                    }
                }
                WriteCmd::Close => break,
            }
        }
        if let Ok(mut s) = mine.stream.lock() {
            *s = None;
        }
        let _ = write.shutdown().await;
    });
    if let Ok(mut w) = writers.lock() {
        w.tx.insert(sock, (tx, direct));
        w.tasks.retain(|t| !t.is_finished());
        w.tasks.push(task);
    }
}

/// Reads HTTP/1.1 messages off one end until EOF: requests at the
/// server's end, responses at the client's. A message is handed over when
/// its body is complete (Content-Length or chunked).
async fn read_messages(
    mut read: tokio::net::tcp::OwnedReadHalf,
    inbox: Arc<Inbox>,
    sock: SockId,
    server_end: bool,
    mut buf: Vec<u8>,
) {
    let mut chunk = vec![0u8; 16 * 1024];
    'read: loop {
        loop {
            match parse(&buf, server_end) {
                Parsed::Message(used, head, body) => {
                    buf.drain(..used);
                    inbox.push(Inbound::Message { sock, head, body });
                }
                Parsed::Partial => break,
                // Not HTTP: this end stops reading (the loop sees an EOF
                // and closes the connection).
                Parsed::Bad => break 'read,
            }
        }
        match read.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    inbox.push(Inbound::Eof { sock });
}

/// What the bytes at the start of a socket's buffer hold.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A whole message: (bytes used, a request's head, body).
    Message(usize, Option<Head>, Vec<u8>),
    /// Not all of it yet.
    Partial,
    /// Not HTTP/1.1 the parser accepts, or a head over [`MAX_HEAD`]: the
    /// connection is closed (node answers 400 or 431 and closes).
    Bad,
}

/// A whole message: bytes used, a request's head, the body.
type Whole = (usize, Option<Head>, Vec<u8>);

/// The longest head read (node's `--max-http-header-size`, 16 KiB).
pub const MAX_HEAD: usize = 16 * 1024;

/// Parses the start of `buf`.
pub fn parse(buf: &[u8], request: bool) -> Parsed {
    match parse_message(buf, request) {
        Ok(Some((used, head, body))) => Parsed::Message(used, head, body),
        Ok(None) if buf.len() > MAX_HEAD && !head_complete(buf) => Parsed::Bad,
        Ok(None) => Parsed::Partial,
        Err(()) => Parsed::Bad,
    }
}

fn head_complete(buf: &[u8]) -> bool {
    buf.windows(4).any(|w| w == b"\r\n\r\n")
}

/// One complete message at the start of `buf`: (bytes used, a request's
/// head, body); None while incomplete; Err for bytes that are not HTTP.
fn parse_message(buf: &[u8], request: bool) -> Result<Option<Whole>, ()> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let head;
    let head_len = if request {
        let mut req = httparse::Request::new(&mut headers);
        let n = match req.parse(buf).map_err(|_| ())? {
            httparse::Status::Complete(n) => n,
            httparse::Status::Partial => return Ok(None),
        };
        head = Some(Head {
            method: req.method.unwrap_or("GET").to_string(),
            path: req.path.unwrap_or("/").to_string(),
            headers: req
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.to_string(),
                        String::from_utf8_lossy(h.value).into_owned(),
                    )
                })
                .collect(),
            status: 0,
        });
        n
    } else {
        // A response's head: what a client in another process reads (its
        // exchange does not share the server's).
        let mut res = httparse::Response::new(&mut headers);
        let n = match res.parse(buf).map_err(|_| ())? {
            httparse::Status::Complete(n) => n,
            httparse::Status::Partial => return Ok(None),
        };
        head = Some(Head {
            method: String::new(),
            path: String::new(),
            headers: res
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.to_string(),
                        String::from_utf8_lossy(h.value).into_owned(),
                    )
                })
                .collect(),
            status: res.code.unwrap_or(200),
        });
        n
    };
    let header = |name: &str| {
        headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_string())
    };
    let rest = &buf[head_len..];
    if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        let mut body = Vec::new();
        let mut at = 0;
        loop {
            let Some(line) = rest[at..].windows(2).position(|w| w == b"\r\n") else {
                return Ok(None);
            };
            let line_end = line + at;
            let size_text = String::from_utf8_lossy(&rest[at..line_end]);
            let size_field = size_text.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_field, 16).map_err(|_| ())?;
            let data_start = line_end + 2;
            if size == 0 {
                // The last chunk and the empty trailer.
                if rest.len() < data_start + 2 {
                    return Ok(None);
                }
                return Ok(Some((head_len + data_start + 2, head, body)));
            }
            // A chunk larger than anything a read can hold is refused
            // (and its size cannot overflow the arithmetic below).
            if size > (1 << 30) {
                return Err(());
            }
            if rest.len() < data_start + size + 2 {
                return Ok(None);
            }
            body.extend_from_slice(&rest[data_start..data_start + size]);
            at = data_start + size + 2;
        }
    }
    let len = match header("content-length") {
        Some(v) => v.parse::<usize>().map_err(|_| ())?,
        None => 0,
    };
    if len > (1 << 30) {
        return Err(());
    }
    if rest.len() < len {
        return Ok(None);
    }
    Ok(Some((head_len + len, head, rest[..len].to_vec())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(buf: &[u8], request: bool) -> Option<Whole> {
        match parse(buf, request) {
            Parsed::Message(u, h, b) => Some((u, h, b)),
            _ => None,
        }
    }

    #[test]
    fn bad_bytes_are_refused_not_waited_for() {
        assert_eq!(parse(b"NOT HTTP AT ALL\r\n\r\n", true), Parsed::Bad);
        let huge = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nx";
        assert_eq!(parse(huge, false), Parsed::Bad);
        let long = [b"GET / HTTP/1.1\r\nX: ".as_slice(), &[b'a'; 20_000]].concat();
        assert_eq!(parse(&long, true), Parsed::Bad);
        assert_eq!(parse(b"GET / HTTP/1.1\r\nHost:", true), Parsed::Partial);
    }

    #[test]
    fn messages_split_at_their_ends() {
        let two = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n";
        let (used, head, body) = message(two, true).unwrap();
        assert_eq!(&two[used..used + 6], b"GET /b");
        assert!(body.is_empty());
        let head = head.unwrap();
        assert_eq!((head.method.as_str(), head.path.as_str()), ("GET", "/a"));
        assert_eq!(head.headers, [("Host".to_string(), "x".to_string())]);
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n2\r\nbc\r\n0\r\n\r\n";
        let (used, head, body) = message(chunked, false).unwrap();
        assert_eq!((used, body), (chunked.len(), b"abc".to_vec()));
        assert_eq!(head.map(|h| h.status), Some(200));
        assert_eq!(message(&chunked[..chunked.len() - 1], false), None);
        // A response's status and headers come with it (the client may be
        // in another process than the server).
        let sized = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\nX-Up: 2\r\n\r\nhi";
        let (used, head, body) = message(sized, false).unwrap();
        assert_eq!((used, body), (sized.len(), b"hi".to_vec()));
        let head = head.unwrap();
        assert_eq!(head.status, 503);
        assert!(
            head.headers
                .contains(&("X-Up".to_string(), "2".to_string()))
        );
    }
}
