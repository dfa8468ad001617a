//! Forked processes under `--clock real`: real OS processes. The
//! workbench runs itself again (`workbench __process`, with the IPC
//! channel at [`CHANNEL_FD`]), as `cluster.fork()` runs node again.
//!
//! Each side keeps the hub of `runtime/worker.rs` as under the virtual
//! clock: the other process is a mailbox in it. A bridge thread writes what
//! is posted to that mailbox on the channel, and a reader thread posts what
//! arrives on the channel as if the other process were a loop of this one.
//! So the cluster module's code (`procs/mod.rs`, `procs/deliver.rs`) is the
//! same under both clocks; only the sockets differ: the primary hands real
//! connections (`SCHED_RR`) or its listening socket (`SCHED_NONE`) to a
//! worker as file descriptors, as node does.
//!
//! Nothing outlives the run: the parent's bridge kills (SIGKILL) and reaps
//! its process when the run ends however it ends, and every forked process
//! is started with `PR_SET_PDEATHSIG`, so that a parent killed outright
//! takes its processes with it.

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use super::ClusterMsg;
use super::channel::{CHANNEL_FD, Frame, FrameReader, Inlet, Receiver, send};
use crate::runtime::worker::{Body, Hub};
use crate::trace::Stream;

/// The hidden command a forked workbench runs.
pub const CHILD_COMMAND: &str = "__process";

/// A file descriptor shared through the hub (a connection or a listening
/// socket on its way to a worker).
pub type SharedFd = Arc<OwnedFd>;

static EXE: OnceLock<PathBuf> = OnceLock::new();

/// The program a fork runs: this executable, unless a test harness (whose
/// executable is not the workbench) names the workbench binary.
pub fn set_exe(path: PathBuf) {
    let _ = EXE.set(path);
}

fn exe() -> io::Result<PathBuf> {
    match EXE.get() {
        Some(p) => Ok(p.clone()),
        None => std::env::current_exe(),
    }
}

/// A process started by [`spawn`].
pub struct Spawned {
    pub pid: u32,
    /// Its channel's reading end, for the poll to take what waits there.
    pub ipc: Option<Inlet>,
    /// The bridge: it ends after the process has ended and been reaped,
    /// having posted its [`Body::Died`].
    pub thread: JoinHandle<()>,
}

/// Starts a workbench process for hub mailbox `id` (a child of loop
/// `parent`), sends it `boot`, and bridges the channel.
pub fn spawn(hub: Arc<Hub>, id: u32, parent: u32, boot: serde_json::Value) -> io::Result<Spawned> {
    let (mine, theirs) = UnixStream::pair()?;
    let mut cmd = Command::new(exe()?);
    cmd.arg(CHILD_COMMAND).stdin(Stdio::null());
    let fd = theirs.as_raw_fd();
    // SAFETY: between fork and exec only async-signal-safe calls: dup2,
    // fcntl and prctl.
    unsafe {
        cmd.pre_exec(move || {
            if fd == CHANNEL_FD {
                let flags = libc::fcntl(fd, libc::F_GETFD);
                libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC);
            } else if libc::dup2(fd, CHANNEL_FD) < 0 {
                return Err(io::Error::last_os_error());
            }
            #[cfg(target_os = "linux")]
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let mut child = cmd.spawn()?;
    drop(theirs);
    let pid = child.id();
    let started = send(&mine, &Frame::Boot(boot), None).and_then(|_| mine.try_clone());
    let read_sock = match started {
        Ok(s) => s,
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(e);
        }
    };
    let closed = Arc::new(AtomicBool::new(false));
    let (inlet, reader) = Inlet::start(
        FrameReader::new(read_sock),
        Posting {
            hub: hub.clone(),
            from: id,
            to: parent,
            closed: closed.clone(),
        },
    )?;
    let out = Mutex::new(Outgoing {
        sock: mine.try_clone()?,
        held: VecDeque::new(),
        awaiting_ack: false,
        pid: pid as i32,
    });
    let c = closed.clone();
    hub.set_sink(
        id,
        Arc::new(move |body| {
            if let Ok(mut o) = out.lock() {
                o.take(body, &c);
            }
        }),
    );
    let thread = std::thread::Builder::new()
        .name(format!("process-{pid}-bridge"))
        .spawn(move || supervise(hub, id, parent, child, mine, reader));
    match thread {
        Ok(thread) => Ok(Spawned {
            pid,
            thread,
            ipc: Some(inlet),
        }),
        Err(e) => {
            // SAFETY: a plain kill of the process just started.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            Err(e)
        }
    }
}

/// What the parent sends one process: written at once, in the thread
/// that posts it (node's loop writes its IPC pipe itself), except that
/// after a socket the next messages wait until the process has received it
/// (node's `_handleQueue`). A signal is not a message: it goes at once.
struct Outgoing {
    sock: UnixStream,
    held: VecDeque<Body>,
    awaiting_ack: bool,
    pid: i32,
}

impl Outgoing {
    fn take(&mut self, body: Body, closed: &AtomicBool) {
        match body {
            Body::Cluster(ClusterMsg::HandleAck) => self.awaiting_ack = false,
            Body::Signal(signo) => {
                outgoing(&self.sock, Body::Signal(signo), closed, Some(self.pid))
            }
            body => self.held.push_back(body),
        }
        while !self.awaiting_ack
            && let Some(body) = self.held.pop_front()
        {
            self.awaiting_ack = carries_fd(&body) && !closed.load(Ordering::SeqCst);
            outgoing(&self.sock, body, closed, Some(self.pid));
        }
    }
}

/// The parent's side of one process: when it has ended (or the run ends:
/// then it is killed) reaps it and posts its death.
fn supervise(
    hub: Arc<Hub>,
    id: u32,
    parent: u32,
    mut child: Child,
    sock: UnixStream,
    reader: JoinHandle<()>,
) {
    let pid = child.id() as i32;
    let status = loop {
        if hub.is_shutdown() {
            // SAFETY: a signal to the process this bridge owns (not yet
            // reaped, so the pid cannot have been reused).
            unsafe { libc::kill(pid, libc::SIGKILL) };
            break child.wait().ok();
        }
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) => {}
            Err(_) => break None,
        }
        hub.wait_real(id, Duration::from_millis(5));
    };
    // Its end of the channel closed with it: the reader has read the last
    // frames and posted the disconnect.
    let _ = sock.shutdown(std::net::Shutdown::Both);
    let _ = reader.join();
    let (code, signal) = match status {
        Some(s) => (s.code(), s.signal()),
        None => (Some(1), None),
    };
    hub.post(id, parent, now(&hub), Body::Died { code, signal });
    hub.leave(id);
}

fn now(hub: &Hub) -> u64 {
    hub.start.elapsed().as_nanos() as u64
}

fn carries_fd(body: &Body) -> bool {
    matches!(
        body,
        Body::Cluster(ClusterMsg::Socket { .. } | ClusterMsg::Listener { .. })
    )
}

/// Posts each frame read from a channel to `to` as from `from` (a
/// handle's acknowledgement goes to the bridge, `from`'s mailbox); an end
/// the other side closed is a [`Body::Disconnected`] (unless this side
/// closed it first).
struct Posting {
    hub: Arc<Hub>,
    from: u32,
    to: u32,
    closed: Arc<AtomicBool>,
}

impl Receiver for Posting {
    fn frame(&mut self, frame: Frame, fd: Option<OwnedFd>) {
        if let Some(body) = incoming(frame, fd) {
            let dest = match body {
                Body::Cluster(ClusterMsg::HandleAck) => self.from,
                _ => self.to,
            };
            self.hub.post(self.from, dest, now(&self.hub), body);
        }
    }

    fn closed(&mut self) {
        if !self.closed.swap(true, Ordering::SeqCst) {
            self.hub
                .post(self.from, self.to, now(&self.hub), Body::Disconnected);
        }
    }
}

/// What a loop posted for the other process, on the channel.
fn outgoing(sock: &UnixStream, body: Body, closed: &AtomicBool, pid: Option<i32>) {
    match body {
        Body::Disconnected => {
            closed.store(true, Ordering::SeqCst);
            let _ = sock.shutdown(std::net::Shutdown::Both);
        }
        Body::Signal(signo) => {
            if let Some(pid) = pid {
                // SAFETY: a signal to a child not yet reaped.
                unsafe { libc::kill(pid, signo) };
            }
        }
        body => {
            if closed.load(Ordering::SeqCst) {
                return;
            }
            if let Some((frame, fd)) = to_frame(body) {
                // A write error means the process is gone: its death
                // comes from waitpid, not from here.
                let _ = send(sock, &frame, fd.as_ref().map(|f| f.as_raw_fd()));
            }
        }
    }
}

/// A body as a frame (None: nothing crosses; a death is read from the
/// process's exit status, not sent).
fn to_frame(body: Body) -> Option<(Frame, Option<SharedFd>)> {
    let frame = match body {
        Body::Online => Frame::Online,
        Body::Ipc(json) => Frame::Ipc(json),
        Body::Console(stream, text) => Frame::Console {
            stderr: stream == Stream::Stderr,
            text,
        },
        Body::Cluster(msg) => match msg {
            ClusterMsg::QueryServer { port, server } => Frame::QueryServer { port, server },
            ClusterMsg::Bound { port, server } => Frame::Bound { port, server },
            ClusterMsg::BindFailed {
                server,
                port,
                code,
                errno,
            } => Frame::BindFailed {
                server,
                port,
                code,
                errno,
            },
            ClusterMsg::Listened { port } => Frame::Listened { port },
            ClusterMsg::Ack { port } => Frame::Ack { port },
            ClusterMsg::Disconnect => Frame::Disconnect,
            ClusterMsg::Closed { port } => Frame::Closed { port },
            ClusterMsg::ExitedAfterDisconnect => Frame::ExitedAfterDisconnect,
            ClusterMsg::HandleAck => Frame::HandleAck,
            ClusterMsg::Socket { port, fd } => return Some((Frame::NewConn { port }, Some(fd))),
            ClusterMsg::RefusedSocket { port, fd } => {
                return Some((Frame::Refused { port }, Some(fd)));
            }
            ClusterMsg::Listener { port, server, fd } => {
                return Some((Frame::Listener { port, server }, Some(fd)));
            }
            // The virtual clock's handoff (segments, not sockets).
            ClusterMsg::NewConn { .. } | ClusterMsg::Refused { .. } => return None,
        },
        _ => return None,
    };
    Some((frame, None))
}

/// A frame as what the loop reads.
fn incoming(frame: Frame, fd: Option<OwnedFd>) -> Option<Body> {
    let cluster = |m| Some(Body::Cluster(m));
    match frame {
        Frame::Boot(_) => None,
        Frame::Online => Some(Body::Online),
        Frame::Ipc(json) => Some(Body::Ipc(json)),
        Frame::Console { stderr, text } => Some(Body::Console(
            if stderr {
                Stream::Stderr
            } else {
                Stream::Stdout
            },
            text,
        )),
        Frame::QueryServer { port, server } => cluster(ClusterMsg::QueryServer { port, server }),
        Frame::Listened { port } => cluster(ClusterMsg::Listened { port }),
        Frame::Ack { port } => cluster(ClusterMsg::Ack { port }),
        Frame::Closed { port } => cluster(ClusterMsg::Closed { port }),
        Frame::ExitedAfterDisconnect => cluster(ClusterMsg::ExitedAfterDisconnect),
        Frame::HandleAck => cluster(ClusterMsg::HandleAck),
        Frame::Disconnect => cluster(ClusterMsg::Disconnect),
        Frame::Bound { port, server } => cluster(ClusterMsg::Bound { port, server }),
        Frame::BindFailed {
            server,
            port,
            code,
            errno,
        } => cluster(ClusterMsg::BindFailed {
            server,
            port,
            code,
            errno,
        }),
        Frame::Listener { port, server } => cluster(ClusterMsg::Listener {
            port,
            server,
            fd: Arc::new(fd?),
        }),
        Frame::NewConn { port } => cluster(ClusterMsg::Socket {
            port,
            fd: Arc::new(fd?),
        }),
        Frame::Refused { port } => cluster(ClusterMsg::RefusedSocket {
            port,
            fd: Arc::new(fd?),
        }),
    }
}

/// The forked process's side of its channel: the parent is mailbox 0 of
/// this process's hub (what is posted there is written at once), the
/// script's loop is `me`.
pub struct ParentChannel {
    hub: Arc<Hub>,
    /// The channel's reading end, for the poll to take what waits there.
    pub inlet: Inlet,
}

impl ParentChannel {
    /// Bridges `sock` (whose reader has already read the boot frame).
    pub fn start(
        hub: Arc<Hub>,
        me: u32,
        sock: UnixStream,
        reader: FrameReader,
    ) -> io::Result<ParentChannel> {
        let closed = Arc::new(AtomicBool::new(false));
        let (inlet, _reader) = Inlet::start(
            reader,
            Posting {
                hub: hub.clone(),
                from: 0,
                to: me,
                closed: closed.clone(),
            },
        )?;
        let out = Mutex::new(sock);
        hub.set_sink(
            0,
            Arc::new(move |body| {
                if let Ok(sock) = out.lock() {
                    outgoing(&sock, body, &closed, None);
                }
            }),
        );
        Ok(ParentChannel { hub, inlet })
    }

    /// The process is ending (what it sent is written already).
    pub fn finish(self) {
        self.hub.shutdown();
    }
}

/// The signals a forked process hands to its script when it listens for
/// them; without a listener each takes its default action at once (as in
/// node, even in the middle of a long callback).
pub const CATCHABLE: [i32; 4] = [libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGUSR2];

/// Per signal: true while the script has no listener (the default action
/// runs).
pub struct SignalFlags {
    defaults: Vec<(i32, Arc<AtomicBool>)>,
}

impl SignalFlags {
    /// Installs the handlers; a signal with a listener is posted to `me`
    /// as from the parent, and the loop delivers it.
    pub fn install(hub: Arc<Hub>, me: u32) -> io::Result<Arc<SignalFlags>> {
        let mut defaults = Vec::new();
        for sig in CATCHABLE {
            let flag = Arc::new(AtomicBool::new(true));
            signal_hook::flag::register_conditional_default(sig, flag.clone())?;
            defaults.push((sig, flag));
        }
        let mut signals = signal_hook::iterator::Signals::new(CATCHABLE)?;
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                for sig in signals.forever() {
                    hub.post(0, me, now(&hub), Body::Signal(sig));
                }
            })?;
        Ok(Arc::new(SignalFlags { defaults }))
    }

    /// Called at each poll: which signals the script listens for now.
    pub fn update(&self, listening: impl Fn(i32) -> bool) {
        for (sig, flag) in &self.defaults {
            flag.store(!listening(*sig), Ordering::SeqCst);
        }
    }
}

/// Ends this process the way the run ended: by the signal that killed the
/// model's process (default action, so the parent's waitpid sees it), or
/// with the exit code.
pub fn exit_like(code: i32, signal: Option<i32>) -> ! {
    if let Some(sig) = signal {
        // SAFETY: restoring the default disposition and raising the
        // signal on this process.
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
            libc::raise(sig);
        }
    }
    std::process::exit(if signal.is_some() {
        128 + signal.unwrap_or(0)
    } else {
        code
    })
}
