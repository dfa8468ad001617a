//! libuv's thread pool (src/threadpool.c): a FIFO of work items, a fixed
//! number of threads created on first use, completions delivered to the loop
//! in the poll phase in completion order. Every queued or running item is an
//! active request and keeps the loop alive.
//!
//! Virtual clock: threads are simulated; each item costs model time (the fs
//! cost model below) and runs when a simulated thread is free. Real clock:
//! real OS threads do the real file work.
//!
//! fs cost model (virtual clock): every system call costs 10 µs, and read
//! and write add 1 ns per byte. Equal base costs keep concurrent requests
//! finishing in submission order, which is what real Node shows for small
//! files (the order is not guaranteed there either).

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use super::clock::ClockMode;
use super::fs::{FileStat, FsError, Sandbox};
use crate::trace::{Kind, PoolOp};

/// What a pool item does.
#[derive(Debug, Clone)]
pub enum Work {
    Open { path: String, write: bool },
    Fstat { path: String },
    Read { path: String },
    Write { path: String, data: Arc<Vec<u8>> },
    Close,
    Stat { path: String },
}

impl Work {
    pub fn op(&self) -> PoolOp {
        match self {
            Work::Open { .. } => PoolOp::Open,
            Work::Fstat { .. } => PoolOp::Fstat,
            Work::Read { .. } => PoolOp::Read,
            Work::Write { .. } => PoolOp::Write,
            Work::Close => PoolOp::Close,
            Work::Stat { .. } => PoolOp::Stat,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Output {
    None,
    Size(u64),
    Bytes(Vec<u8>),
    Stat(FileStat),
}

pub type WorkResult = Result<Output, FsError>;

/// Runs one item against the sandbox (on whichever thread runs it).
pub fn execute(sandbox: &Sandbox, work: &Work) -> WorkResult {
    match work {
        Work::Open { path, write: false } => sandbox.stat(path, "open").and_then(|st| {
            if st.is_directory || st.is_file {
                Ok(Output::None)
            } else {
                Err(FsError::enoent("open", path))
            }
        }),
        Work::Open { path, write: true } => sandbox.open_for_write(path).map(|_| Output::None),
        Work::Fstat { path } => sandbox.stat(path, "fstat").map(|s| Output::Size(s.size)),
        Work::Read { path } => sandbox.read(path).map(Output::Bytes),
        Work::Write { path, data } => {
            let resolved = sandbox.open_for_write(path)?;
            sandbox.write(&resolved, data);
            Ok(Output::None)
        }
        Work::Close => Ok(Output::None),
        Work::Stat { path } => sandbox.stat(path, "stat").map(Output::Stat),
    }
}

/// Model cost of an item in nanoseconds (virtual clock).
fn cost_ns(work: &Work, sandbox: &Sandbox) -> u64 {
    const US: u64 = 1_000;
    match work {
        Work::Open { .. } => 10 * US,
        Work::Fstat { .. } => 10 * US,
        Work::Read { path } => 10 * US + sandbox.stat(path, "read").map(|s| s.size).unwrap_or(0),
        Work::Write { data, .. } => 10 * US + data.len() as u64,
        Work::Close => 10 * US,
        Work::Stat { .. } => 10 * US,
    }
}

/// The result of a finished request, as its callback receives it.
#[derive(Debug, Clone)]
pub enum IoResult {
    ReadFile(Result<Vec<u8>, FsError>),
    ReadText(Result<String, FsError>),
    WriteFile(Result<(), FsError>),
    Stat(Result<FileStat, FsError>),
}

/// A user-level fs call in progress: a chain of pool items (readFile is
/// open, fstat, read, close, as Node's ReadFileContext does it).
#[derive(Debug, Clone)]
pub struct FsRequest {
    pub kind: FsKind,
    pub path: String,
    pub data: Option<Arc<Vec<u8>>>,
    pub step: u8,
    pub bytes: Vec<u8>,
    /// `readFile(path, 'utf8', cb)`: deliver a string.
    pub utf8: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsKind {
    ReadFile,
    WriteFile,
    Stat,
}

impl FsRequest {
    /// The pool item for the current step, or None when the chain is done.
    pub fn work(&self) -> Option<Work> {
        let path = self.path.clone();
        Some(match (self.kind, self.step) {
            (FsKind::ReadFile, 0) => Work::Open { path, write: false },
            (FsKind::ReadFile, 1) => Work::Fstat { path },
            (FsKind::ReadFile, 2) => Work::Read { path },
            (FsKind::ReadFile, 3) => Work::Close,
            (FsKind::WriteFile, 0) => Work::Open { path, write: true },
            (FsKind::WriteFile, 1) => Work::Write {
                path,
                data: self.data.clone().unwrap_or_default(),
            },
            (FsKind::WriteFile, 2) => Work::Close,
            (FsKind::Stat, 0) => Work::Stat { path },
            _ => return None,
        })
    }

    /// Folds a finished step in; returns the final result when the chain ends.
    pub fn advance(&mut self, result: WorkResult) -> Option<IoResult> {
        self.step += 1;
        match (self.kind, result) {
            (FsKind::ReadFile, Err(e)) => Some(IoResult::ReadFile(Err(e))),
            (FsKind::WriteFile, Err(e)) => Some(IoResult::WriteFile(Err(e))),
            (FsKind::Stat, Err(e)) => Some(IoResult::Stat(Err(e))),
            (FsKind::Stat, Ok(Output::Stat(st))) => Some(IoResult::Stat(Ok(st))),
            (_, Ok(Output::Bytes(b))) => {
                self.bytes = b;
                None
            }
            (FsKind::ReadFile, Ok(_)) if self.step >= 4 => {
                let bytes = std::mem::take(&mut self.bytes);
                Some(if self.utf8 {
                    IoResult::ReadText(Ok(String::from_utf8_lossy(&bytes).into_owned()))
                } else {
                    IoResult::ReadFile(Ok(bytes))
                })
            }
            (FsKind::WriteFile, Ok(_)) if self.step >= 3 => Some(IoResult::WriteFile(Ok(()))),
            _ => None,
        }
    }
}

struct Task {
    work: Work,
    /// The fs request this item belongs to.
    pub owner: u32,
    result: Option<WorkResult>,
    thread: u16,
}

/// A finished item ready for its completion callback.
pub struct Completion {
    pub task: u32,
    pub owner: u32,
    pub result: WorkResult,
}

struct RealJob {
    task: u32,
    work: Work,
}

struct RealDone {
    task: u32,
    thread: u16,
    result: WorkResult,
}

struct RealPool {
    queue: Arc<(Mutex<VecDeque<RealJob>>, Condvar)>,
    done: Receiver<RealDone>,
    started: Vec<(u32, u16)>,
    started_rx: Receiver<(u32, u16)>,
}

pub struct Pool {
    mode: ClockMode,
    pub sandbox: Sandbox,
    size: usize,
    tasks: Vec<Task>,
    queue: VecDeque<u32>,
    /// Virtual threads: the running task and its finish time.
    threads: Vec<Option<(u32, u64)>>,
    completed: VecDeque<u32>,
    in_flight: usize,
    real: Option<RealPool>,
}

impl Pool {
    pub fn new(mode: ClockMode, sandbox_root: std::path::PathBuf, size: usize) -> Self {
        Pool {
            mode,
            sandbox: Sandbox::new(sandbox_root),
            size: size.clamp(1, 1024),
            tasks: Vec::new(),
            queue: VecDeque::new(),
            threads: Vec::new(),
            completed: VecDeque::new(),
            in_flight: 0,
            real: None,
        }
    }

    /// Queued, running, or finished but not yet delivered items.
    pub fn active_requests(&self) -> usize {
        self.in_flight
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// `uv__work_submit`: creates the threads on first use, then queues.
    pub fn submit(&mut self, owner: u32, work: Work, now_ns: u64) -> Vec<Kind> {
        let id = self.tasks.len() as u32;
        let op = work.op();
        self.in_flight += 1;
        let mut events = vec![Kind::PoolQueued { task: id, op }];
        match self.mode {
            ClockMode::Virtual => {
                if self.threads.is_empty() {
                    self.threads = vec![None; self.size];
                }
                self.tasks.push(Task {
                    work,
                    owner,
                    result: None,
                    thread: 0,
                });
                self.queue.push_back(id);
                events.extend(self.start_free_threads(now_ns));
            }
            ClockMode::Real => {
                self.tasks.push(Task {
                    work: work.clone(),
                    owner,
                    result: None,
                    thread: 0,
                });
                let real = self
                    .real
                    .get_or_insert_with(|| spawn_real(self.size, &self.sandbox));
                let (lock, cvar) = &*real.queue;
                if let Ok(mut q) = lock.lock() {
                    q.push_back(RealJob { task: id, work });
                    cvar.notify_one();
                }
            }
        }
        events
    }

    fn start_free_threads(&mut self, now_ns: u64) -> Vec<Kind> {
        let mut events = Vec::new();
        for thread in 0..self.threads.len() {
            if self.threads[thread].is_some() {
                continue;
            }
            let Some(task) = self.queue.pop_front() else {
                break;
            };
            let t = &mut self.tasks[task as usize];
            let result = execute(&self.sandbox, &t.work);
            let cost = cost_ns(&t.work, &self.sandbox);
            t.result = Some(result);
            t.thread = thread as u16;
            self.threads[thread] = Some((task, now_ns + cost));
            events.push(Kind::PoolStart {
                task,
                thread: thread as u16,
            });
        }
        events
    }

    /// The earliest virtual finish time at or before `target`.
    pub fn next_virtual_event_before(&self, target: u64) -> Option<u64> {
        self.threads
            .iter()
            .flatten()
            .map(|&(_, finish)| finish)
            .filter(|&f| f <= target)
            .min()
    }

    /// The earliest virtual finish time of any running item.
    pub fn next_finish(&self) -> Option<u64> {
        self.threads.iter().flatten().map(|&(_, f)| f).min()
    }

    /// Finishes what is due by `now` and starts queued items on freed
    /// threads (virtual); collects what real threads reported (real).
    pub fn progress(&mut self, now_ns: u64) -> Vec<Kind> {
        let mut events = Vec::new();
        match self.mode {
            ClockMode::Virtual => loop {
                let due = self
                    .threads
                    .iter()
                    .enumerate()
                    .filter_map(|(i, s)| s.map(|(task, f)| (f, i, task)))
                    .filter(|&(f, _, _)| f <= now_ns)
                    .min();
                let Some((_, thread, task)) = due else {
                    events.extend(self.start_free_threads(now_ns));
                    break;
                };
                self.threads[thread] = None;
                self.completed.push_back(task);
                events.push(Kind::PoolDone {
                    task,
                    thread: thread as u16,
                });
                events.extend(self.start_free_threads(now_ns));
            },
            ClockMode::Real => events.extend(self.accept_real(None)),
        }
        events
    }

    /// Real clock: blocks until a pool item finishes or `deadline` passes.
    /// Returns the trace events of what it collected (as [`Pool::progress`]).
    pub fn wait_real(&mut self, deadline: Option<Instant>) -> Vec<Kind> {
        let Some(real) = &mut self.real else {
            if let Some(d) = deadline {
                std::thread::sleep(d.saturating_duration_since(Instant::now()));
            }
            return Vec::new();
        };
        if !self.completed.is_empty() {
            return Vec::new();
        }
        let received = match deadline {
            Some(d) => real
                .done
                .recv_timeout(d.saturating_duration_since(Instant::now()))
                .ok(),
            None => real.done.recv().ok(),
        };
        self.accept_real(received)
    }

    /// Real clock: the one path every real completion takes. Collects the
    /// start and finish reports of the real threads (`first`: a completion
    /// already received by a blocking wait), records each finished item as
    /// completed and returns its PoolStart/PoolDone events. A worker reports
    /// its start before its finish, so draining the start channel before
    /// recording each finish keeps every task's start ahead of its finish.
    fn accept_real(&mut self, first: Option<RealDone>) -> Vec<Kind> {
        let mut events = Vec::new();
        let Some(real) = &mut self.real else {
            return events;
        };
        let mut next = first;
        loop {
            while let Ok((task, thread)) = real.started_rx.try_recv() {
                real.started.push((task, thread));
                events.push(Kind::PoolStart { task, thread });
            }
            let done = match next.take() {
                Some(done) => done,
                None => match real.done.try_recv() {
                    Ok(done) => done,
                    Err(_) => break,
                },
            };
            let t = &mut self.tasks[done.task as usize];
            t.result = Some(done.result);
            t.thread = done.thread;
            self.completed.push_back(done.task);
            events.push(Kind::PoolDone {
                task: done.task,
                thread: done.thread,
            });
        }
        events
    }

    pub fn has_completed(&self) -> bool {
        !self.completed.is_empty()
    }

    /// `uv__work_done`: everything finished so far, in completion order.
    pub fn take_completed(&mut self) -> Vec<Completion> {
        let mut out = Vec::new();
        while let Some(task) = self.completed.pop_front() {
            self.in_flight = self.in_flight.saturating_sub(1);
            let t = &mut self.tasks[task as usize];
            let result = t.result.take().unwrap_or(Ok(Output::None));
            out.push(Completion {
                task,
                owner: t.owner,
                result,
            });
        }
        out
    }
}

fn spawn_real(size: usize, sandbox: &Sandbox) -> RealPool {
    let queue: Arc<(Mutex<VecDeque<RealJob>>, Condvar)> = Arc::default();
    let (tx, rx): (Sender<RealDone>, Receiver<RealDone>) = channel();
    let (started_tx, started_rx) = channel();
    for thread in 0..size {
        let queue = queue.clone();
        let tx = tx.clone();
        let started_tx = started_tx.clone();
        let sandbox = sandbox.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("pool-{thread}"))
            .stack_size(512 * 1024)
            .spawn(move || {
                loop {
                    let job = {
                        let (lock, cvar) = &*queue;
                        let Ok(mut q) = lock.lock() else { return };
                        loop {
                            if let Some(job) = q.pop_front() {
                                break job;
                            }
                            q = match cvar.wait(q) {
                                Ok(q) => q,
                                Err(_) => return,
                            };
                        }
                    };
                    let _ = started_tx.send((job.task, thread as u16));
                    let result = execute(&sandbox, &job.work);
                    if tx
                        .send(RealDone {
                            task: job.task,
                            thread: thread as u16,
                            result,
                        })
                        .is_err()
                    {
                        return;
                    }
                }
            });
        // A thread that cannot be created leaves the pool smaller; the
        // others still drain the queue.
        drop(spawned);
    }
    RealPool {
        queue,
        done: rx,
        started: Vec::new(),
        started_rx,
    }
}
