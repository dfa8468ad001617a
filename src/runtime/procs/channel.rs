//! The IPC channel between real OS processes (`--clock real`): a Unix
//! stream socket that the parent makes with `socketpair` and the child
//! finds at file descriptor [`CHANNEL_FD`], as node passes its channel in
//! `NODE_CHANNEL_FD`. What crosses it is a [`Frame`]: a little-endian
//! length, a flag byte, then the frame as JSON. A frame can carry one file
//! descriptor (`SCM_RIGHTS`): a connection the primary accepted, or the
//! listening socket of `SCHED_NONE`, as node sends handles with its
//! `NODE_HANDLE` messages.
//!
//! The descriptor rides on the frame's first byte. Linux never returns
//! bytes of two sends with descriptors in one `recvmsg`, and the reader
//! always reads with room for them, so descriptors arrive in frame order
//! and none is dropped.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use sendfd::{RecvWithFd, SendWithFd};
use serde::{Deserialize, Serialize};

/// Where a forked workbench finds its channel (node uses 3 too).
pub const CHANNEL_FD: RawFd = 3;

/// The largest frame read (a message node would also refuse to build:
/// its JSON string limit is about 512 MiB; the model's strings stop far
/// earlier).
const MAX_FRAME: usize = 256 << 20;

/// What crosses the channel.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum Frame {
    /// Parent → child, first: what the child runs (the script layer's own
    /// description, opaque here).
    Boot(serde_json::Value),
    /// Child → parent: the bootstrap runs (`'online'`).
    Online,
    /// `send(msg)` either way, as JSON text.
    Ipc(String),
    /// Child → parent: a line it printed (the run's output is the
    /// primary's).
    Console {
        stderr: bool,
        text: String,
    },
    /// The cluster's own messages (`NODE_CLUSTER`), as in the model.
    QueryServer {
        port: u16,
        server: u32,
    },
    Listened {
        port: u16,
    },
    Ack {
        port: u16,
    },
    Closed {
        port: u16,
    },
    ExitedAfterDisconnect,
    Disconnect,
    /// Primary → worker (`SCHED_RR`): the server is bound through the
    /// primary, which accepts on `port`.
    Bound {
        port: u16,
        server: u32,
    },
    /// Primary → worker: the port cannot be bound; the worker's server
    /// gets the error.
    BindFailed {
        server: u32,
        port: u16,
        code: String,
        errno: i32,
    },
    /// Primary → worker (`SCHED_NONE`): the listening socket to accept on
    /// (the descriptor comes with the frame).
    Listener {
        port: u16,
        server: u32,
    },
    /// Primary → worker (`SCHED_RR`): an accepted connection (the
    /// descriptor comes with the frame).
    NewConn {
        port: u16,
    },
    /// Worker → primary (`SCHED_RR`): the connection handed over is
    /// refused (node's `accepted: false`) and comes back (the descriptor
    /// comes with the frame).
    Refused {
        port: u16,
    },
    /// Worker → primary: a frame with a descriptor was received
    /// (`NODE_HANDLE_ACK`); until then the primary holds what it would
    /// send next, as node's `_handleQueue` does.
    HandleAck,
}

/// Writes one frame, with `fd` attached when given. Partial writes are
/// finished; a closed peer is an error the caller treats as the channel
/// closing.
pub fn send(sock: &UnixStream, frame: &Frame, fd: Option<RawFd>) -> io::Result<()> {
    let json = serde_json::to_vec(frame).map_err(io::Error::other)?;
    let mut bytes = Vec::with_capacity(json.len() + 5);
    bytes.extend_from_slice(&(json.len() as u32).to_le_bytes());
    bytes.push(u8::from(fd.is_some()));
    bytes.extend_from_slice(&json);
    let sent = match fd {
        Some(fd) => loop {
            match sock.send_with_fd(&bytes, &[fd]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        },
        None => 0,
    };
    let mut rest: &UnixStream = sock;
    rest.write_all(&bytes[sent..])
}

/// Reads frames off one end of a channel.
pub struct FrameReader {
    sock: UnixStream,
    buf: Vec<u8>,
    fds: VecDeque<OwnedFd>,
}

/// What a channel has for its reader right now.
pub enum Ready {
    Frame(Frame, Option<OwnedFd>),
    /// No whole frame yet.
    Empty,
    /// The other end closed (or sent bytes that are not frames).
    Closed,
}

/// Is `fd` readable now (data or the other end's close)?
fn readable(fd: RawFd, timeout_ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    loop {
        // SAFETY: one pollfd on the stack, for a descriptor this process owns.
        let n = unsafe { libc::poll(&mut p, 1, timeout_ms) };
        if n >= 0 {
            return n > 0;
        }
        if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            // A descriptor poll cannot watch: let the read report it.
            return true;
        }
    }
}

impl FrameReader {
    pub fn new(sock: UnixStream) -> FrameReader {
        FrameReader {
            sock,
            buf: Vec::new(),
            fds: VecDeque::new(),
        }
    }

    /// The next whole frame if the channel has one now, never waiting:
    /// a read happens only when the socket is readable, so it returns at
    /// once.
    pub fn next_ready(&mut self) -> Ready {
        loop {
            match self.parse() {
                Ok(Some((frame, fd))) => return Ready::Frame(frame, fd),
                Ok(None) => {}
                Err(_) => return Ready::Closed,
            }
            if !readable(self.sock.as_raw_fd(), 0) {
                return Ready::Empty;
            }
            match self.read_some() {
                Ok(true) => {}
                Ok(false) | Err(_) => return Ready::Closed,
            }
        }
    }

    /// The next frame and the descriptor it carries, waiting for it;
    /// None when the other end closed. Bytes that are not a frame are an
    /// error.
    pub fn next_frame(&mut self) -> io::Result<Option<(Frame, Option<OwnedFd>)>> {
        loop {
            if let Some(frame) = self.parse()? {
                return Ok(Some(frame));
            }
            if !self.read_some()? {
                return Ok(None);
            }
        }
    }

    /// One read into the buffer (blocking); false when the other end
    /// closed.
    fn read_some(&mut self) -> io::Result<bool> {
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            let mut fds = [-1 as RawFd; 4];
            let (n, nfds) = match self.sock.recv_with_fd(&mut chunk, &mut fds) {
                Ok(got) => got,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            for &fd in &fds[..nfds] {
                // Not inherited by the processes this one forks.
                // SAFETY: `fd` was just received and is owned by no one else.
                let owned = unsafe { OwnedFd::from_raw_fd(fd) };
                set_cloexec(owned.as_raw_fd());
                self.fds.push_back(owned);
            }
            if n == 0 {
                return Ok(false);
            }
            self.buf.extend_from_slice(&chunk[..n]);
            return Ok(true);
        }
    }

    fn parse(&mut self) -> io::Result<Option<(Frame, Option<OwnedFd>)>> {
        if self.buf.len() < 5 {
            return Ok(None);
        }
        let len = u32::from_le_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]) as usize;
        if len > MAX_FRAME {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "IPC frame too large",
            ));
        }
        if self.buf.len() < 5 + len {
            return Ok(None);
        }
        let has_fd = self.buf[4] != 0;
        let frame: Frame = serde_json::from_slice(&self.buf[5..5 + len])
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        self.buf.drain(..5 + len);
        let fd = if has_fd { self.fds.pop_front() } else { None };
        Ok(Some((frame, fd)))
    }
}

/// What an [`Inlet`] does with what it reads: each frame, then (once)
/// the end of the channel.
pub trait Receiver: Send + 'static {
    fn frame(&mut self, frame: Frame, fd: Option<OwnedFd>);
    fn closed(&mut self);
}

struct InletState {
    reader: FrameReader,
    receiver: Box<dyn Receiver>,
    ended: bool,
}

impl InletState {
    /// Hands out every whole frame the channel has now; true once it has
    /// ended.
    fn drain(&mut self) -> bool {
        while !self.ended {
            match self.reader.next_ready() {
                Ready::Frame(frame, fd) => self.receiver.frame(frame, fd),
                Ready::Empty => break,
                Ready::Closed => {
                    self.ended = true;
                    self.receiver.closed();
                }
            }
        }
        self.ended
    }
}

/// The reading end of a channel, shared by a thread that hands out
/// frames as they arrive and the loop that owns the channel, which takes
/// what is already there when its poll starts ([`Inlet::drain`]), as
/// node's epoll sees every readable IPC pipe. A frame is handed out under
/// the inlet's lock, so when `drain` returns every frame that was in the
/// socket has been handed out, by one side or the other.
#[derive(Clone)]
pub struct Inlet {
    state: Arc<Mutex<InletState>>,
}

impl Inlet {
    /// Starts the thread that reads `reader` for `receiver`; it ends when
    /// the channel does.
    pub fn start(
        reader: FrameReader,
        receiver: impl Receiver,
    ) -> io::Result<(Inlet, JoinHandle<()>)> {
        let fd = reader.sock.as_raw_fd();
        let inlet = Inlet {
            state: Arc::new(Mutex::new(InletState {
                reader,
                receiver: Box::new(receiver),
                ended: false,
            })),
        };
        let shared = inlet.clone();
        let thread = std::thread::Builder::new()
            .name("ipc-reader".into())
            .spawn(move || {
                // Frames read with the boot frame may wait in the buffer
                // already: drain first, then wait (outside the lock, so
                // the loop can drain meanwhile).
                while !shared.drain() {
                    readable(fd, -1);
                }
            })?;
        Ok((inlet, thread))
    }

    /// Hands out every whole frame the channel has now.
    pub fn drain(&self) -> bool {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain()
    }
}

/// Marks `fd` close-on-exec.
pub fn set_cloexec(fd: RawFd) {
    // SAFETY: fcntl on a descriptor this process owns; failure leaves it
    // as it was.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFD);
        if flags >= 0 {
            libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_descriptors_arrive_in_order() {
        let (a, b) = UnixStream::pair().unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        send(&a, &Frame::Ipc("{\"n\":1}".into()), None).unwrap();
        send(
            &a,
            &Frame::Listener { port, server: 2 },
            Some(listener.as_raw_fd()),
        )
        .unwrap();
        send(&a, &Frame::NewConn { port }, Some(listener.as_raw_fd())).unwrap();
        send(&a, &Frame::Ipc("x".repeat(200_000)), None).unwrap();
        drop(a);
        let mut r = FrameReader::new(b);
        let (f, fd) = r.next_frame().unwrap().unwrap();
        assert_eq!(f, Frame::Ipc("{\"n\":1}".into()));
        assert!(fd.is_none());
        for _ in 0..2 {
            let (_, fd) = r.next_frame().unwrap().unwrap();
            // The descriptor is the same socket: it has the same port.
            let got = std::net::TcpListener::from(fd.unwrap());
            assert_eq!(got.local_addr().unwrap().port(), port);
        }
        let (f, _) = r.next_frame().unwrap().unwrap();
        assert!(matches!(f, Frame::Ipc(s) if s.len() == 200_000));
        assert!(r.next_frame().unwrap().is_none());
    }

    #[test]
    fn garbage_is_an_error_not_a_hang() {
        let (a, b) = UnixStream::pair().unwrap();
        (&a).write_all(&[3, 0, 0, 0, 0, b'{', b'x', b'}']).unwrap();
        drop(a);
        assert!(FrameReader::new(b).next_frame().is_err());
    }
}
