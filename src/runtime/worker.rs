//! `worker_threads`: several event loops in one process.
//!
//! Each worker is a whole runtime (its own loop, timers, queues) running on
//! its own OS thread, as in Node. The threads meet in a [`Hub`]: it holds
//! every loop's mailbox and, under the virtual clock, decides which loop
//! runs next, so a run with workers is still deterministic.
//!
//! **Virtual clock: a conservative co-simulation.** Only one loop runs at a
//! time (the hub passes a baton between the threads). A loop stops at the
//! start of every poll phase, the only place it looks at its mailbox, and
//! says when it wants to go on: now, when its next timer or pool item is
//! due, or never (nothing but a message can wake it). The hub resumes the
//! loop with the earliest such time, or earlier if a message arrives for it
//! first. Every other loop is then at that time or later, so any message it
//! sends from now on arrives later still: when a loop polls at time `t`, its
//! mailbox holds every message that arrives by `t`. A loop that ran ahead
//! inside a long callback (`busy(200)`) sees messages that arrived meanwhile
//! at its next poll, as a blocked Node thread does.
//!
//! **Real clock:** the threads run freely; a poll that waits also watches
//! the mailbox.
//!
//! What crosses threads is a [`Cloned`] value: the structured clone of a
//! script value, or bytes moved by a transfer list. The cost model
//! ([`MessageCost`]) is calibrated against node 20 on the development
//! machine (see `tests/scenarios/worker_*` and README).

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use std::collections::HashMap;

use super::clock::ClockMode;
use super::cores::Calendar;
use crate::trace::Stream;
use crate::trace::procs::{ProcEvent, ProcLog, ProcPoint};

/// A structured clone of a script value: what `postMessage` and
/// `workerData` carry between threads.
#[derive(Debug, Clone, PartialEq)]
pub enum Cloned {
    Undefined,
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Array(Vec<Cloned>),
    /// An object's own enumerable properties, in order.
    Map(Vec<(String, Cloned)>),
    /// A Buffer/Uint8Array view: V8 serializes its *whole* backing
    /// ArrayBuffer (`data`) with the view's offset and length, so a 2-byte
    /// pooled Buffer carries its 8 KiB slab. `moved` when the ArrayBuffer
    /// was in the transfer list (the sender's copy is detached).
    Bytes {
        data: Vec<u8>,
        offset: usize,
        len: usize,
        moved: bool,
    },
    /// An ArrayBuffer itself (`b.buffer`).
    ArrayBuffer {
        data: Vec<u8>,
        moved: bool,
    },
    /// Errors are cloned with their name, message, stack and own props.
    Error {
        name: String,
        message: String,
        stack: Option<String>,
        props: Vec<(String, Cloned)>,
    },
}

impl Cloned {
    /// Bytes the serializer copies (moved buffers cost nothing per byte).
    pub fn copied_bytes(&self) -> u64 {
        match self {
            Cloned::Undefined | Cloned::Null | Cloned::Bool(_) => 1,
            Cloned::Int(_) | Cloned::Float(_) => 9,
            Cloned::Str(s) => 5 + s.len() as u64,
            Cloned::Array(items) => 5 + items.iter().map(Cloned::copied_bytes).sum::<u64>(),
            Cloned::Map(props) => {
                5 + props
                    .iter()
                    .map(|(k, v)| 5 + k.len() as u64 + v.copied_bytes())
                    .sum::<u64>()
            }
            Cloned::Bytes { data, moved, .. } | Cloned::ArrayBuffer { data, moved } => {
                9 + if *moved { 0 } else { data.len() as u64 }
            }
            Cloned::Error {
                name,
                message,
                stack,
                props,
            } => {
                5 + (name.len() + message.len() + stack.as_ref().map_or(0, String::len)) as u64
                    + props
                        .iter()
                        .map(|(k, v)| 5 + k.len() as u64 + v.copied_bytes())
                        .sum::<u64>()
            }
        }
    }

    /// Bytes moved without copying (transferred ArrayBuffers).
    pub fn moved_bytes(&self) -> u64 {
        match self {
            Cloned::Bytes {
                data, moved: true, ..
            }
            | Cloned::ArrayBuffer { data, moved: true } => data.len() as u64,
            Cloned::Array(items) => items.iter().map(Cloned::moved_bytes).sum(),
            Cloned::Map(props) => props.iter().map(|(_, v)| v.moved_bytes()).sum(),
            _ => 0,
        }
    }
}

/// What a message costs under the virtual clock. Measured with node 20 on
/// a 2-core machine (`postMessage` of ArrayBuffers from 16 B to 16 MiB,
/// cloned and transferred): serializing costs the sender about 1 ns per
/// byte, deserializing costs the receiver about the same, a transfer costs
/// a few microseconds whatever the size, and a message takes about 60 µs
/// to reach the other loop. A worker takes about 40 ms to start.
pub struct MessageCost;

impl MessageCost {
    pub const STARTUP_NS: u64 = 40_000_000;
    pub const LATENCY_NS: u64 = 60_000;
    pub const BASE_NS: u64 = 5_000;
    pub const PER_BYTE_NS: u64 = 1;

    /// Time the sender spends in `postMessage`.
    pub fn serialize_ns(value: &Cloned) -> u64 {
        Self::BASE_NS + value.copied_bytes() * Self::PER_BYTE_NS
    }

    /// Time the receiver spends before its listener sees the value.
    pub fn deserialize_ns(value: &Cloned) -> u64 {
        Self::BASE_NS + value.copied_bytes() * Self::PER_BYTE_NS
    }
}

/// What travels between two loops.
#[derive(Debug, Clone)]
pub enum Body {
    /// The worker started running its script (`'online'`).
    Online,
    /// `postMessage(value)`.
    Message(Cloned),
    /// A worker's console output, printed by its parent (as Node does:
    /// a worker's stdout is a stream into the parent thread).
    Console(Stream, String),
    /// The worker's uncaught exception, for the parent's `'error'`.
    Error(Cloned),
    /// The worker's loop ended with this exit code.
    Exit(i32),
    /// `worker.terminate()`.
    Terminate,
    /// `process.send(msg)` / `worker.send(msg)` between processes: the
    /// message as JSON text (Node's default `'json'` serialization).
    Ipc(String),
    /// The cluster module's own messages (Node's `NODE_CLUSTER` ones).
    Cluster(super::procs::ClusterMsg),
    /// A TCP segment between processes (loopback).
    Net(super::net::remote::NetMsg),
    /// A process ended: its exit code, or the signal that killed it.
    Died {
        code: Option<i32>,
        signal: Option<i32>,
    },
    /// A signal sent to a process (`process.kill(pid, sig)`, `worker.kill()`).
    Signal(i32),
    /// The other end closed the IPC channel.
    Disconnected,
}

#[derive(Debug, Clone)]
pub struct Envelope {
    /// When it arrives (model time, ns).
    pub arrival_ns: u64,
    /// Send order, to keep mailboxes FIFO among equal arrivals.
    pub seq: u64,
    /// The sending loop's hub id.
    pub from: u32,
    pub body: Body,
}

/// Why a loop cannot go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HubStop {
    /// The process is exiting: worker threads end now.
    Shutdown,
    /// Every loop waits for a message nobody will send: Node would hang.
    /// Only the main thread hears this.
    Deadlock,
}

struct Part {
    /// Signalled when this loop gets the baton (only it wakes up).
    cv: Arc<Condvar>,
    alive: bool,
    /// The process this loop belongs to (0: the primary).
    proc: u16,
    /// Its clock when it last reached a poll phase.
    at: u64,
    /// When this loop wants to run again; None: only a message wakes it.
    ready: Option<u64>,
    /// When the hub last let it run (its clock moves there).
    granted: u64,
    inbox: Vec<Envelope>,
    /// Set by `terminate()` under the real clock, checked by busy loops.
    terminate: bool,
}

impl Part {
    fn wake(&self) -> Option<u64> {
        let first = self.inbox.iter().map(|e| e.arrival_ns).min();
        match (self.ready, first) {
            (Some(r), Some(f)) => Some(r.min(f)),
            (r, f) => r.or(f),
        }
    }
}

/// Who listens on a port of the loopback network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortEntry {
    /// The loop whose process owns the listening socket.
    pub owner: u32,
    /// `SCHED_NONE`: the worker loops that accept on the shared socket
    /// themselves (the kernel picks one for each connection).
    pub shared: Option<Vec<u32>>,
}

/// Where the bodies posted to a mailbox go instead, at once, in the
/// poster's thread: another process's channel (`procs/os.rs`).
pub type Sink = Arc<dyn Fn(Body) + Send + Sync>;

struct HubState {
    parts: Vec<Part>,
    /// Mailboxes that are another process's channel.
    sinks: HashMap<u32, Sink>,
    /// Virtual clock: the cores CPU work is placed on (None: no limit).
    cores: Option<Calendar>,
    /// The ports listened on by any process.
    ports: HashMap<u16, PortEntry>,
    /// Connections between processes, by (client loop, client connection):
    /// the loop that has the server's end.
    routes: HashMap<(u32, u32), u32>,
    next_port: u16,
    procs: u16,
    log: ProcLog,
    /// The last CPU slice logged per process and core, to merge a
    /// contiguous one into it.
    last_slice: HashMap<(u16, u16), usize>,
    /// Virtual clock: the loop holding the baton.
    running: usize,
    shutdown: bool,
    deadlock: bool,
    seq: u64,
}

/// Where the loops of one process meet.
pub struct Hub {
    pub mode: ClockMode,
    /// Real clock: the process start, shared by every loop's clock.
    pub start: Instant,
    state: Mutex<HubState>,
    turn: Condvar,
}

impl Hub {
    /// A hub whose first loop (id 0) is the main thread, running.
    pub fn new(mode: ClockMode, start: Instant) -> Arc<Hub> {
        Arc::new(Hub {
            mode,
            start,
            state: Mutex::new(HubState {
                parts: vec![Part {
                    cv: Arc::new(Condvar::new()),
                    alive: true,
                    proc: 0,
                    at: 0,
                    ready: Some(0),
                    granted: 0,
                    inbox: Vec::new(),
                    terminate: false,
                }],
                sinks: HashMap::new(),
                running: 0,
                shutdown: false,
                deadlock: false,
                seq: 0,
                cores: None,
                ports: HashMap::new(),
                routes: HashMap::new(),
                next_port: 0,
                procs: 1,
                log: ProcLog::default(),
                last_slice: HashMap::new(),
            }),
            turn: Condvar::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, HubState> {
        // A thread that panicked while holding the lock left the state
        // consistent (every update is a few assignments); go on.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new loop of process `proc` that starts at `start_ns`; returns its
    /// id.
    pub fn register(&self, start_ns: u64, proc: u16) -> u32 {
        let mut s = self.lock();
        s.parts.push(Part {
            cv: Arc::new(Condvar::new()),
            alive: true,
            proc,
            at: start_ns,
            ready: Some(start_ns),
            granted: start_ns,
            inbox: Vec::new(),
            terminate: false,
        });
        (s.parts.len() - 1) as u32
    }

    /// Sends what is posted to mailbox `part` to `sink` instead.
    pub fn set_sink(&self, part: u32, sink: Sink) {
        self.lock().sinks.insert(part, sink);
    }

    /// Puts a message in `to`'s mailbox (or hands it to its sink, outside
    /// the hub's lock: a sink may block on a socket).
    pub fn post(&self, from: u32, to: u32, arrival_ns: u64, body: Body) {
        let mut s = self.lock();
        if let Some(sink) = s.sinks.get(&to).cloned() {
            drop(s);
            sink(body);
            return;
        }
        s.seq += 1;
        let seq = s.seq;
        if matches!(body, Body::Terminate)
            && let Some(p) = s.parts.get_mut(to as usize)
        {
            p.terminate = true;
        }
        let envelope = Envelope {
            arrival_ns,
            seq,
            from,
            body,
        };
        match s.parts.get_mut(to as usize) {
            Some(p) if p.alive => p.inbox.push(envelope),
            // A loop that is gone reads nothing: the connections it had
            // were reset when it ended; one handed to it and never
            // received stays open in the primary, unanswered, as in node
            // (the primary keeps its copy until the worker acknowledges).
            _ => {}
        }
        drop(s);
        if self.mode == ClockMode::Real {
            self.turn.notify_all();
        }
    }

    /// Takes the messages that arrived for `me` by `now_ns`, in order.
    pub fn take_due(&self, me: u32, now_ns: u64) -> Vec<Envelope> {
        let mut s = self.lock();
        let Some(p) = s.parts.get_mut(me as usize) else {
            return Vec::new();
        };
        let mut due: Vec<Envelope> = Vec::new();
        let mut keep = Vec::new();
        for e in p.inbox.drain(..) {
            if self.mode == ClockMode::Real || e.arrival_ns <= now_ns {
                due.push(e);
            } else {
                keep.push(e);
            }
        }
        p.inbox = keep;
        due.sort_by_key(|e| (e.arrival_ns, e.seq));
        due
    }

    /// Has `me` been asked to terminate? (Real clock: busy loops check.)
    pub fn terminate_requested(&self, me: u32) -> bool {
        self.lock()
            .parts
            .get(me as usize)
            .is_some_and(|p| p.terminate)
    }

    /// How many loops other than the main thread are alive.
    pub fn live_workers(&self) -> usize {
        self.lock().parts.iter().skip(1).filter(|p| p.alive).count()
    }

    /// Virtual clock: `me` reached a poll phase and wants to go on at
    /// `want_ns` (None: only when a message arrives). Blocks until the hub
    /// lets it run again; returns the time it runs at (at most `want_ns`,
    /// earlier when a message arrives first).
    pub fn sync(&self, me: u32, now_ns: u64, want_ns: Option<u64>) -> Result<u64, HubStop> {
        let mut s = self.lock();
        if let Some(p) = s.parts.get_mut(me as usize) {
            p.ready = want_ns;
            p.at = now_ns;
        }
        Self::pass_baton(&mut s);
        if s.running == me as usize && !s.deadlock {
            let t = s.parts[me as usize].granted;
            return Ok(t);
        }
        Self::wake_running(&s);
        self.wait_for(s, me)
    }

    /// Virtual clock: a new worker thread waits for its first turn.
    pub fn wait_turn(&self, me: u32) -> Result<u64, HubStop> {
        let s = self.lock();
        self.wait_for(s, me)
    }

    fn wait_for(&self, mut s: MutexGuard<'_, HubState>, me: u32) -> Result<u64, HubStop> {
        loop {
            if s.shutdown {
                return Err(HubStop::Shutdown);
            }
            if s.running == me as usize {
                if s.deadlock {
                    if me == 0 {
                        s.deadlock = false;
                        return Err(HubStop::Deadlock);
                    }
                } else {
                    return Ok(s.parts[me as usize].granted);
                }
            }
            let cv = match s.parts.get(me as usize) {
                Some(p) => p.cv.clone(),
                None => return Err(HubStop::Shutdown),
            };
            s = cv.wait(s).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Wakes the loop that holds the baton (and no other).
    fn wake_running(s: &HubState) {
        if let Some(p) = s.parts.get(s.running) {
            p.cv.notify_one();
        }
    }

    fn wake_all(s: &HubState) {
        for p in &s.parts {
            p.cv.notify_all();
        }
    }

    /// Chooses the loop that runs next: the earliest wake time, ties to the
    /// lowest id (the main thread first, then workers by creation).
    fn pass_baton(s: &mut HubState) {
        let mut best: Option<(u64, usize)> = None;
        for (i, p) in s.parts.iter().enumerate() {
            if !p.alive {
                continue;
            }
            if let Some(w) = p.wake()
                && best.is_none_or(|(bw, _)| w < bw)
            {
                best = Some((w, i));
            }
        }
        match best {
            Some((w, i)) => {
                let p = &mut s.parts[i];
                p.granted = p.granted.max(w);
                p.ready = Some(p.granted);
                s.running = i;
            }
            None => {
                s.deadlock = true;
                s.running = 0;
            }
        }
    }

    /// `me`'s loop ended (a worker thread returns; the main thread exits).
    pub fn leave(&self, me: u32) {
        let mut s = self.lock();
        if let Some(p) = s.parts.get_mut(me as usize) {
            p.alive = false;
            p.inbox.clear();
        }
        s.sinks.remove(&me);
        if self.mode == ClockMode::Virtual
            && s.running == me as usize
            && s.parts.iter().any(|p| p.alive)
        {
            Self::pass_baton(&mut s);
        }
        Self::wake_running(&s);
        drop(s);
        self.turn.notify_all();
    }

    /// The process exits: every worker thread stops at its next turn.
    pub fn shutdown(&self) {
        let mut s = self.lock();
        s.shutdown = true;
        Self::wake_all(&s);
        drop(s);
        self.turn.notify_all();
    }

    /// Real clock: waits until a message is in `me`'s mailbox or `deadline`
    /// passes (at most `cap`, so the caller can also check other sources).
    pub fn wait_real(&self, me: u32, cap: Duration) {
        let s = self.lock();
        let empty = s.parts.get(me as usize).is_none_or(|p| p.inbox.is_empty());
        if empty && !s.shutdown {
            let _ = self.turn.wait_timeout(s, cap);
        }
    }

    /// Something else a loop waits for in [`Hub::wait_real`] arrived
    /// (its sockets): wakes the waiters.
    pub fn waker(self: &Arc<Self>) -> crate::runtime::net::real::Waker {
        let hub = Arc::downgrade(self);
        Arc::new(move || {
            if let Some(h) = hub.upgrade() {
                h.turn.notify_all();
            }
        })
    }

    pub fn is_shutdown(&self) -> bool {
        self.lock().shutdown
    }

    // === processes ===

    /// A number for a new process (the primary is 0).
    pub fn new_proc(&self) -> u16 {
        let mut s = self.lock();
        let p = s.procs;
        s.procs = s.procs.saturating_add(1);
        p
    }

    /// The process loop `me` belongs to.
    pub fn proc_of(&self, me: u32) -> u16 {
        self.lock().parts.get(me as usize).map_or(0, |p| p.proc)
    }

    /// Records a point of the process log.
    pub fn log(&self, time_ns: u64, proc: u16, event: ProcEvent, value: u32) {
        self.lock().log.points.push(ProcPoint {
            time_ns,
            proc,
            core: 0,
            event,
            value,
        });
    }

    /// The process log so far, in time order (the run is over).
    pub fn take_log(&self) -> ProcLog {
        let mut s = self.lock();
        let mut log = std::mem::take(&mut s.log);
        log.cores = s.cores.as_ref().map_or(0, |c| c.count() as u16);
        log.points.sort_by_key(|p| p.time_ns);
        log
    }

    // === cores ===

    /// Virtual clock: CPU work is placed on `n` cores from now on.
    pub fn set_cores(&self, n: usize) {
        if self.mode == ClockMode::Virtual {
            self.lock().cores = Some(Calendar::new(n));
        }
    }

    /// Virtual clock: `me` has `work_ns` of CPU work ready at `ready_ns`.
    /// Returns when it is done (later than `ready_ns + work_ns` when it
    /// waited for a core), and logs where it ran.
    pub fn cpu(&self, me: u32, ready_ns: u64, work_ns: u64) -> u64 {
        let mut guard = self.lock();
        let s = &mut *guard;
        let proc = s.parts.get(me as usize).map_or(0, |p| p.proc);
        let Some(cal) = s.cores.as_mut() else {
            return ready_ns + work_ns;
        };
        let placed = cal.place(ready_ns, work_ns);
        let mut end = ready_ns + work_ns;
        let mut at = ready_ns;
        for p in placed {
            if p.start_ns > at {
                s.log.points.push(ProcPoint {
                    time_ns: at,
                    proc,
                    core: 0,
                    event: ProcEvent::Waited,
                    value: (p.start_ns - at).min(u32::MAX as u64) as u32,
                });
            }
            let key = (proc, p.core);
            let merged = s.last_slice.get(&key).and_then(|&i| {
                let last = s.log.points.get_mut(i)?;
                (last.time_ns + last.value as u64 == p.start_ns
                    && (last.value as u64 + (p.end_ns - p.start_ns)) < u32::MAX as u64)
                    .then(|| last.value += (p.end_ns - p.start_ns) as u32)
            });
            if merged.is_none() {
                s.last_slice.insert(key, s.log.points.len());
                s.log.points.push(ProcPoint {
                    time_ns: p.start_ns,
                    proc,
                    core: p.core,
                    event: ProcEvent::Cpu,
                    value: (p.end_ns - p.start_ns) as u32,
                });
            }
            at = p.end_ns;
            end = p.end_ns;
        }
        // No loop can ask for a core before the earliest loop's time.
        let floor = s
            .parts
            .iter()
            .filter(|p| p.alive)
            .map(|p| p.at.min(p.granted))
            .min()
            .unwrap_or(0);
        if let Some(cal) = s.cores.as_mut() {
            cal.prune(floor);
        }
        end
    }

    // === the loopback network between processes ===

    /// An ephemeral port no process listens on.
    pub fn ephemeral_port(&self) -> u16 {
        let mut s = self.lock();
        loop {
            let port = 40_000 + (s.next_port % 20_000);
            s.next_port = s.next_port.wrapping_add(1);
            if !s.ports.contains_key(&port) {
                return port;
            }
        }
    }

    /// Binds `port` for `owner`; false when another loop has it.
    pub fn bind(&self, port: u16, entry: PortEntry) -> bool {
        let mut s = self.lock();
        match s.ports.get(&port) {
            Some(e) if e.owner != entry.owner => false,
            _ => {
                s.ports.insert(port, entry);
                true
            }
        }
    }

    pub fn unbind(&self, port: u16, owner: u32) {
        let mut s = self.lock();
        if s.ports.get(&port).is_some_and(|e| e.owner == owner) {
            s.ports.remove(&port);
        }
    }

    pub fn port(&self, port: u16) -> Option<PortEntry> {
        self.lock().ports.get(&port).cloned()
    }

    /// `SCHED_NONE`: the worker that accepts connection `key` arriving at
    /// `now_ns`. Every worker waits in `epoll_wait` on the shared socket;
    /// the kernel wakes them and the first back in `accept()` wins. The
    /// model picks among the workers idle in their poll phase with a hash
    /// of the connection (uneven and unpredictable-looking, as Linux is,
    /// yet the same every run); when none is idle, the one that reaches
    /// its poll phase first takes it, so busy workers that come up for air
    /// first keep winning.
    pub fn acceptor(&self, workers: &[u32], now_ns: u64, key: (u32, u32)) -> Option<u32> {
        let s = self.lock();
        let alive: Vec<(u64, u32)> = workers
            .iter()
            .filter_map(|&w| {
                let p = s.parts.get(w as usize)?;
                p.alive.then_some((p.at, w))
            })
            .collect();
        let idle: Vec<u32> = alive
            .iter()
            .filter(|(at, _)| *at <= now_ns)
            .map(|&(_, w)| w)
            .collect();
        if !idle.is_empty() {
            // SplitMix64 of the key: a fixed, well-spread choice.
            let mut z = ((key.0 as u64) << 32 | key.1 as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            return Some(idle[(z % idle.len() as u64) as usize]);
        }
        alive.into_iter().min().map(|(_, w)| w)
    }

    /// The loop that has the server's end of connection `key`.
    pub fn route(&self, key: (u32, u32)) -> Option<u32> {
        self.lock().routes.get(&key).copied()
    }

    pub fn set_route(&self, key: (u32, u32), to: u32) {
        self.lock().routes.insert(key, to);
    }

    pub fn has_mail(&self, me: u32) -> bool {
        self.lock()
            .parts
            .get(me as usize)
            .is_some_and(|p| !p.inbox.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_earliest_loop_runs_first_and_messages_wake_sleepers() {
        let hub = Hub::new(ClockMode::Virtual, Instant::now());
        let w = hub.register(40, 0);
        // Main waits for a timer at 100: the worker (due at 40) goes first.
        let h2 = hub.clone();
        let t = std::thread::spawn(move || {
            let at = h2.wait_turn(w).unwrap();
            assert_eq!(at, 40);
            // The worker posts at 40; main wakes at 41, before its timer.
            h2.post(w, 0, 41, Body::Message(Cloned::Int(1)));
            // Then it waits forever; main's timer runs at 100 first.
            h2.sync(w, 40, None)
        });
        let at = hub.sync(0, 0, Some(100)).unwrap();
        assert_eq!(at, 41);
        assert_eq!(hub.take_due(0, at).len(), 1);
        assert_eq!(hub.sync(0, 41, Some(100)).unwrap(), 100);
        // Now main waits forever too: nobody can post, a deadlock.
        assert_eq!(hub.sync(0, 100, None), Err(HubStop::Deadlock));
        hub.shutdown();
        assert_eq!(t.join().unwrap(), Err(HubStop::Shutdown));
    }

    #[test]
    fn cost_counts_copied_bytes_not_moved_ones() {
        let copy = Cloned::Bytes {
            data: vec![0; 1 << 20],
            offset: 0,
            len: 1 << 20,
            moved: false,
        };
        let moved = Cloned::ArrayBuffer {
            data: vec![0; 1 << 20],
            moved: true,
        };
        assert!(MessageCost::serialize_ns(&copy) > 1_000_000);
        assert!(MessageCost::serialize_ns(&moved) < 20_000);
        assert_eq!(moved.moved_bytes(), 1 << 20);
    }
}
