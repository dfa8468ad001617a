//! Cluster workers and child processes folded from the process log
//! ([`ProcLog`]), for the player's cluster view: each process's life
//! (booting, online, listening, disconnected, exited or killed), the CPU
//! it used and the time it waited for a core, the requests it served and
//! the connections the primary handed it, whether it is on a core (which
//! one) or waiting for one at a time, which process each core runs, the
//! primary's handoff queue, throughput, and the lifecycle events to mark
//! on a timeline.
//!
//! [`ProcIndex::build`] walks the log once (O(n log n) at worst, O(n) for
//! a log in time order, as the runtime writes it) and keeps per process
//! its CPU slices and waits as intervals with running sums, per core its
//! slices, and the times of requests, handoffs and queue changes. Every
//! question is then a few binary searches:
//!
//! - [`ProcIndex::at`]: O(P log n + C log n) for P processes and C cores
//!   (a process's CPU or wait interval still open at `t` is found by
//!   walking back over intervals that end after `t`: one step for a
//!   process whose intervals do not overlap, the common case);
//! - [`ProcIndex::lane`], [`ProcIndex::served_between`],
//!   [`ProcIndex::rate`]: O(log n) per cell;
//! - [`ProcIndex::queue_max`]: O(k) for the k queue changes in the span;
//! - [`ProcIndex::marks_until`]: O(log M) to find the M lifecycle marks;
//! - [`ProcIndex::axis`]: O(G) for the few idle stretches G (a few dozen
//!   at most: each is 1.25 times further from the start than the one
//!   before), [`Axis::edges`] O(cells).
//!
//! Measured (release, 2 cores): a log of a million points indexes in
//! about 40 ms, and the cluster view draws a 120x29 panel from it in
//! about 0.35 ms. Like every fold here, the answers are what
//! happened up to the time asked about, the time axis
//! ([`ProcIndex::axis`]) included.

use super::procs::{ProcEvent, ProcLog};

/// What a process is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProcKind {
    /// The process the run started (proc 0).
    Primary,
    /// A cluster worker, with its `cluster.worker.id`.
    Worker(u32),
    /// A `child_process.fork()` child, numbered from 1 in fork order.
    Child(u32),
}

impl ProcKind {
    /// `primary`, `w3`, `ch1`: the label of its lane.
    pub fn label(self) -> String {
        match self {
            ProcKind::Primary => "primary".into(),
            ProcKind::Worker(id) => format!("w{id}"),
            ProcKind::Child(n) => format!("ch{n}"),
        }
    }
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ending {
    /// It exited with this code.
    Exit(u32),
    /// This signal ended it.
    Signal(u32),
}

impl Ending {
    /// A non-zero exit code or a signal.
    pub fn is_crash(self) -> bool {
        !matches!(self, Ending::Exit(0))
    }
}

/// A process's state at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProcState {
    /// Forked; its script has not run yet.
    Booting,
    /// Its script runs (`'online'`).
    Online,
    /// A server of it listens on this port.
    Listening(u32),
    /// Its IPC channel closed; it has not exited yet.
    Disconnected,
    Dead(Ending),
}

impl ProcState {
    pub fn is_alive(self) -> bool {
        !matches!(self, ProcState::Dead(_))
    }
}

/// What a process does at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activity {
    /// It runs on this core.
    OnCore(u16),
    /// It has work and waits for a core: every core runs another process.
    Waiting,
    /// Nothing to run (or dead).
    Idle,
}

/// A lifecycle event to mark on the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MarkKind {
    Forked,
    Listening(u32),
    Disconnected,
    Ended(Ending),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub time_ns: u64,
    pub proc: u16,
    pub kind: MarkKind,
}

/// Intervals of one process (its CPU slices, or its waits for a core),
/// ordered by start, with running sums.
#[derive(Debug, Clone, Default)]
struct Intervals {
    start: Vec<u64>,
    end: Vec<u64>,
    /// `cum[i]`: the length of intervals `0..i` (one more entry).
    cum: Vec<u64>,
    /// `max_end[i]`: the latest end of intervals `0..=i`.
    max_end: Vec<u64>,
}

impl Intervals {
    fn push(&mut self, start: u64, len: u64) {
        if self.cum.is_empty() {
            self.cum.push(0);
        }
        let end = start + len;
        self.start.push(start);
        self.end.push(end);
        self.cum.push(self.cum.last().copied().unwrap_or(0) + len);
        let before = self.max_end.last().copied().unwrap_or(0);
        self.max_end.push(before.max(end));
    }

    /// Sorts by start (the log is in time order: nothing to do then).
    fn finish(&mut self) {
        if self.start.is_sorted() {
            return;
        }
        let mut all: Vec<(u64, u64)> = self
            .start
            .iter()
            .copied()
            .zip(self.end.iter().copied())
            .collect();
        all.sort_unstable();
        *self = Intervals::default();
        for (s, e) in all {
            self.push(s, e - s);
        }
    }

    /// The intervals open at `t` (start ≤ t < end), latest start first.
    fn open_at(&self, t: u64) -> impl Iterator<Item = usize> + '_ {
        let k = self.start.partition_point(|&s| s <= t);
        (0..k)
            .rev()
            .take_while(move |&i| self.max_end[i] > t)
            .filter(move |&i| self.end[i] > t)
    }

    /// The time covered up to `t`: Σ min(len, t − start) over intervals
    /// started by then.
    fn until(&self, t: u64) -> u64 {
        let k = self.start.partition_point(|&s| s <= t);
        let Some(&sum) = self.cum.get(k) else {
            return 0;
        };
        sum - self.open_at(t).map(|i| self.end[i] - t).sum::<u64>()
    }

    fn is_open_at(&self, t: u64) -> bool {
        self.open_at(t).next().is_some()
    }
}

/// A process's whole life, as the log tells it.
#[derive(Debug, Clone)]
pub struct ProcLife {
    pub proc: u16,
    pub kind: ProcKind,
    pub forked_ns: u64,
    pub online_ns: Option<u64>,
    /// The first `'listening'`, and its port.
    pub listening: Option<(u64, u32)>,
    pub disconnected_ns: Option<u64>,
    pub ended: Option<(u64, Ending)>,
    cpu: Intervals,
    waits: Intervals,
    served: Vec<u64>,
    handed: Vec<u64>,
}

impl ProcLife {
    fn new(proc: u16, kind: ProcKind, forked_ns: u64) -> ProcLife {
        ProcLife {
            proc,
            kind,
            forked_ns,
            online_ns: None,
            listening: None,
            disconnected_ns: None,
            ended: None,
            cpu: Intervals::default(),
            waits: Intervals::default(),
            served: Vec::new(),
            handed: Vec::new(),
        }
    }

    /// Its state at `t` (`None`: not forked yet).
    pub fn state_at(&self, t: u64) -> Option<ProcState> {
        if t < self.forked_ns {
            return None;
        }
        let by = |at: Option<u64>| at.is_some_and(|a| a <= t);
        Some(match (self.ended, self.listening) {
            (Some((at, how)), _) if at <= t => ProcState::Dead(how),
            _ if by(self.disconnected_ns) => ProcState::Disconnected,
            (_, Some((at, port))) if at <= t => ProcState::Listening(port),
            _ if by(self.online_ns) || self.kind == ProcKind::Primary => ProcState::Online,
            _ => ProcState::Booting,
        })
    }

    /// CPU time used up to `t`.
    pub fn cpu_until(&self, t: u64) -> u64 {
        self.cpu.until(t)
    }

    /// Time spent waiting for a core up to `t`.
    pub fn waited_until(&self, t: u64) -> u64 {
        self.waits.until(t)
    }

    /// Requests answered up to `t`.
    pub fn served_until(&self, t: u64) -> u32 {
        self.served.partition_point(|&s| s <= t) as u32
    }

    /// Connections the primary handed it up to `t`.
    pub fn handed_until(&self, t: u64) -> u32 {
        self.handed.partition_point(|&s| s <= t) as u32
    }

    /// Requests answered in `(a, b]`.
    pub fn served_between(&self, a: u64, b: u64) -> u32 {
        count_between(&self.served, a, b)
    }
}

/// Times in `(a, b]`, in a sorted list.
fn count_between(times: &[u64], a: u64, b: u64) -> u32 {
    if b <= a {
        return 0;
    }
    (times.partition_point(|&s| s <= b) - times.partition_point(|&s| s <= a)) as u32
}

/// The stretches in which no point of the log happened, no CPU slice or
/// wait was open and no process booted (`boots`), that an axis could
/// fold: at least a quarter of the time from `start` to theirs (any
/// axis holding them is at least that long). Each is thus 1.25 times
/// further from `start` than the one before: a few dozen at most.
/// O(n + b log b) for b boots (O(n log n) for a log out of time order).
fn idle_stretches(log: &ProcLog, boots: &[(u64, u64)], start: u64) -> Vec<(u64, u64)> {
    let span = |p: &super::procs::ProcPoint| {
        let len = match p.event {
            ProcEvent::Cpu | ProcEvent::Waited => p.value as u64,
            _ => 0,
        };
        (p.time_ns, p.time_ns + len)
    };
    let mut spans: Vec<(u64, u64)> = log.points.iter().map(span).collect();
    if !spans.is_sorted_by_key(|s| s.0) {
        spans.sort_unstable();
    }
    let mut boots = boots.to_vec();
    boots.sort_unstable();
    let mut boots = boots.into_iter().peekable();
    let mut out = Vec::new();
    let mut reach: Option<u64> = None;
    for (a, b) in spans {
        if let Some(r) = reach
            && a > r
            && a - r >= ((r - start) / 4).max(1)
        {
            out.push((r, a));
        }
        reach = Some(reach.map_or(b, |r| r.max(b)));
        // The boots started by now (each at a fork, a point) extend what
        // is covered.
        while let Some(&(s, e)) = boots.peek()
            && s <= a
        {
            reach = reach.map(|r| r.max(e));
            boots.next();
        }
    }
    out
}

/// The smallest of 1, 2 or 5 times a power of ten at or above `ns`, and
/// at least 1 ms.
fn round_span(ns: u64) -> u64 {
    let mut p = 1_000_000u64;
    loop {
        for m in [1, 2, 5] {
            let span = p.saturating_mul(m);
            if span >= ns || span == u64::MAX {
                return span;
            }
        }
        p = p.saturating_mul(10);
    }
}

/// A CPU slice on a core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slice {
    start: u64,
    end: u64,
    proc: u16,
}

/// A process at a time, for its lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcAt {
    pub proc: u16,
    pub kind: ProcKind,
    pub state: ProcState,
    pub activity: Activity,
    pub cpu_ns: u64,
    pub waited_ns: u64,
    pub served: u32,
    pub handed: u32,
}

/// The cluster at a time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterAt {
    pub time_ns: u64,
    /// Every process forked by then (the primary first), in fork order.
    pub procs: Vec<ProcAt>,
    /// Per core: the process on it (`None`: idle).
    pub cores: Vec<Option<u16>>,
    /// Connections waiting in the primary's handoff queue.
    pub queue: u32,
    /// Connections that had to wait in it (every worker busy), and
    /// connections reset from it, so far.
    pub queued: u32,
    pub refused: u32,
    /// Requests answered so far, by every process.
    pub served: u32,
}

impl ClusterAt {
    /// Processes other than the primary, alive at the time.
    pub fn alive(&self) -> usize {
        self.procs
            .iter()
            .filter(|p| p.kind != ProcKind::Primary && p.state.is_alive())
            .count()
    }

    /// Processes on a core.
    pub fn running(&self) -> usize {
        self.procs
            .iter()
            .filter(|p| matches!(p.activity, Activity::OnCore(_)))
            .count()
    }

    /// Processes waiting for a core.
    pub fn waiting(&self) -> usize {
        self.procs
            .iter()
            .filter(|p| p.activity == Activity::Waiting)
            .count()
    }

    /// Processes that ended with a non-zero code or a signal.
    pub fn crashed(&self) -> usize {
        self.procs
            .iter()
            .filter(|p| matches!(p.state, ProcState::Dead(e) if e.is_crash()))
            .count()
    }

    /// Processes a signal ended (counted in [`ClusterAt::crashed`] too).
    pub fn killed(&self) -> usize {
        self.procs
            .iter()
            .filter(|p| matches!(p.state, ProcState::Dead(Ending::Signal(_))))
            .count()
    }

    /// Processes that exited with code 0.
    pub fn exited(&self) -> usize {
        self.procs
            .iter()
            .filter(|p| matches!(p.state, ProcState::Dead(e) if !e.is_crash()))
            .count()
    }
}

/// Where a process was during a lane cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CellLife {
    /// Forked after the cell (or the cell is after the time asked about).
    Absent,
    /// Forked, not online by the cell's end.
    Booting,
    Up,
    /// Ended before the cell.
    Gone,
}

/// One cell of a lane: a stretch of the time axis (cut at the time asked
/// about) and what the process did in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaneCell {
    pub life: CellLife,
    /// The stretch's length up to the time asked about (0: the future).
    pub span_ns: u64,
    pub cpu_ns: u64,
    pub wait_ns: u64,
    /// It ended in this cell.
    pub ended: Option<Ending>,
}

/// The lanes' time axis: a stretch of the log, with its long idle
/// stretches (no process did anything) folded to one column each, so
/// that the work keeps the width.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Axis {
    pub from: u64,
    pub to: u64,
    /// The folded stretches, in time order, inside `from..to`.
    pub gaps: Vec<(u64, u64)>,
}

impl Axis {
    /// An axis without folds.
    pub fn plain(from: u64, to: u64) -> Axis {
        Axis {
            from,
            to: to.max(from + 1),
            gaps: Vec::new(),
        }
    }

    /// The folds shown at `cells` columns (one per eight columns).
    pub fn gaps_at(&self, cells: usize) -> &[(u64, u64)] {
        &self.gaps[..self.gaps.len().min(cells / 8)]
    }

    /// The columns' edges: `cells + 1` times from `from` to `to`, a fold
    /// one column wide, the rest shared by the work in proportion to its
    /// time.
    pub fn edges(&self, cells: usize) -> Vec<u64> {
        let gaps = self.gaps_at(cells);
        let folded: u64 = gaps.iter().map(|(a, b)| b - a).sum();
        let active_ns = (self.to - self.from).saturating_sub(folded).max(1) as u128;
        let active_cols = (cells - gaps.len()) as u128;
        let mut edges = Vec::with_capacity(cells + 1);
        edges.push(self.from);
        let mut done_ns = 0u128;
        let mut segment = |edges: &mut Vec<u64>, start: u64, end: u64| {
            let before = active_cols * done_ns / active_ns;
            done_ns += (end - start) as u128;
            let n = active_cols * done_ns / active_ns - before;
            for j in 1..=n {
                edges.push(start + ((end - start) as u128 * j / n) as u64);
            }
        };
        let mut t = self.from;
        for &(a, b) in gaps {
            segment(&mut edges, t, a);
            edges.push(b);
            t = b;
        }
        segment(&mut edges, t, self.to);
        // Rounding never loses a column, but keep the promise regardless.
        edges.resize(cells + 1, self.to);
        edges
    }

    /// The column `t` falls in, for `edges`.
    pub fn column(edges: &[u64], t: u64) -> usize {
        edges
            .partition_point(|&e| e <= t)
            .saturating_sub(1)
            .min(edges.len().saturating_sub(2))
    }
}

/// The processes of a run, indexed for folding at any time.
#[derive(Debug, Clone, Default)]
pub struct ProcIndex {
    /// The machine's cores (0: not modelled, the real clock).
    pub cores: u16,
    /// By process number; the primary first.
    pub procs: Vec<ProcLife>,
    /// Per core, its slices in time order, and their running lengths
    /// (`core_cum[c][i]`: slices `0..i`).
    core_slices: Vec<Vec<Slice>>,
    core_cum: Vec<Vec<u64>>,
    /// Every request answered, in time order.
    served: Vec<u64>,
    /// (time, queue length) at each change of the handoff queue.
    queue: Vec<(u64, u32)>,
    queued: Vec<u64>,
    refused: Vec<u64>,
    /// Lifecycle events, in time order.
    pub marks: Vec<Mark>,
    /// The log's first point, and the end of its last (a CPU slice or a
    /// wait ends after it starts).
    pub start_ns: u64,
    pub end_ns: u64,
    /// Stretches with nothing happening that an axis could fold, in time
    /// order (see [`idle_stretches`]).
    idle: Vec<(u64, u64)>,
}

impl ProcIndex {
    pub fn build(log: &ProcLog) -> ProcIndex {
        let mut ix = ProcIndex {
            cores: log.cores,
            ..ProcIndex::default()
        };
        if log.points.is_empty() {
            return ix;
        }
        ix.start_ns = log.points.iter().map(|p| p.time_ns).min().unwrap_or(0);
        let mut children = 0;
        let mut queue = 0u32;
        for p in &log.points {
            let i = p.proc as usize;
            // A process the log names before its fork (or the primary).
            while ix.procs.len() <= i {
                let n = ix.procs.len() as u16;
                let kind = if n == 0 {
                    ProcKind::Primary
                } else {
                    ProcKind::Worker(0)
                };
                ix.procs.push(ProcLife::new(n, kind, ix.start_ns));
            }
            let mut end = p.time_ns;
            let life = &mut ix.procs[i];
            match p.event {
                ProcEvent::Forked => {
                    life.forked_ns = p.time_ns;
                    life.kind = if p.value > 0 {
                        ProcKind::Worker(p.value)
                    } else {
                        children += 1;
                        ProcKind::Child(children)
                    };
                    ix.marks.push(Mark {
                        time_ns: p.time_ns,
                        proc: p.proc,
                        kind: MarkKind::Forked,
                    });
                }
                ProcEvent::Online => {
                    life.online_ns.get_or_insert(p.time_ns);
                }
                ProcEvent::Listening => {
                    if life.listening.is_none() {
                        life.listening = Some((p.time_ns, p.value));
                        ix.marks.push(Mark {
                            time_ns: p.time_ns,
                            proc: p.proc,
                            kind: MarkKind::Listening(p.value),
                        });
                    }
                }
                ProcEvent::Disconnected => {
                    if life.disconnected_ns.is_none() {
                        life.disconnected_ns = Some(p.time_ns);
                        ix.marks.push(Mark {
                            time_ns: p.time_ns,
                            proc: p.proc,
                            kind: MarkKind::Disconnected,
                        });
                    }
                }
                ProcEvent::Exited | ProcEvent::Killed => {
                    if life.ended.is_none() {
                        let how = if p.event == ProcEvent::Exited {
                            Ending::Exit(p.value)
                        } else {
                            Ending::Signal(p.value)
                        };
                        life.ended = Some((p.time_ns, how));
                        ix.marks.push(Mark {
                            time_ns: p.time_ns,
                            proc: p.proc,
                            kind: MarkKind::Ended(how),
                        });
                    }
                }
                ProcEvent::Cpu => {
                    if p.value > 0 {
                        life.cpu.push(p.time_ns, p.value as u64);
                        let c = p.core as usize;
                        if ix.core_slices.len() <= c {
                            ix.core_slices.resize(c + 1, Vec::new());
                        }
                        ix.core_slices[c].push(Slice {
                            start: p.time_ns,
                            end: p.time_ns + p.value as u64,
                            proc: p.proc,
                        });
                        end += p.value as u64;
                    }
                }
                ProcEvent::Waited => {
                    if p.value > 0 {
                        life.waits.push(p.time_ns, p.value as u64);
                        end += p.value as u64;
                    }
                }
                ProcEvent::Served => {
                    life.served.push(p.time_ns);
                    ix.served.push(p.time_ns);
                }
                ProcEvent::Handoff => {
                    life.handed.push(p.time_ns);
                    queue = p.value;
                    ix.queue.push((p.time_ns, queue));
                }
                ProcEvent::Queued => {
                    queue = p.value;
                    ix.queue.push((p.time_ns, queue));
                    ix.queued.push(p.time_ns);
                }
                ProcEvent::Refused => {
                    queue = queue.saturating_sub(1);
                    ix.queue.push((p.time_ns, queue));
                    ix.refused.push(p.time_ns);
                }
            }
            ix.end_ns = ix.end_ns.max(end);
        }
        // The log is in time order as the runtime writes it; a log that
        // is not still folds right.
        for life in &mut ix.procs {
            life.cpu.finish();
            life.waits.finish();
            life.served.sort_unstable();
            life.handed.sort_unstable();
        }
        for slices in &mut ix.core_slices {
            slices.sort_by_key(|s| s.start);
        }
        ix.core_slices.resize(
            ix.cores.max(ix.core_slices.len() as u16) as usize,
            Vec::new(),
        );
        ix.core_cum = ix
            .core_slices
            .iter()
            .map(|slices| {
                let mut cum = Vec::with_capacity(slices.len() + 1);
                cum.push(0);
                for s in slices {
                    cum.push(cum.last().copied().unwrap_or(0) + (s.end - s.start));
                }
                cum
            })
            .collect();
        ix.served.sort_unstable();
        ix.queue.sort_by_key(|q| q.0);
        ix.marks.sort_by_key(|m| m.time_ns);
        // Booting is something happening: a process's boot is no idle
        // stretch.
        let boots: Vec<(u64, u64)> = ix
            .procs
            .iter()
            .filter(|l| l.kind != ProcKind::Primary)
            .map(|l| {
                let end = l.online_ns.or(l.ended.map(|e| e.0)).unwrap_or(ix.end_ns);
                (l.forked_ns, end)
            })
            .collect();
        ix.idle = idle_stretches(log, &boots, ix.start_ns);
        ix
    }

    pub fn is_empty(&self) -> bool {
        self.procs.is_empty()
    }

    /// Whether the primary ever handed a connection to a worker (a
    /// round-robin cluster server).
    pub fn has_queue(&self) -> bool {
        !self.queue.is_empty()
    }

    /// The process on `core` at `t`.
    pub fn on_core(&self, core: usize, t: u64) -> Option<u16> {
        let slices = self.core_slices.get(core)?;
        let k = slices.partition_point(|s| s.start <= t);
        let s = slices.get(k.checked_sub(1)?)?;
        (s.end > t).then_some(s.proc)
    }

    /// The time `core` ran a process up to `t` (its slices never overlap).
    pub fn core_busy_until(&self, core: usize, t: u64) -> u64 {
        let (Some(slices), Some(cum)) = (self.core_slices.get(core), self.core_cum.get(core))
        else {
            return 0;
        };
        let k = slices.partition_point(|s| s.start <= t);
        let open = k
            .checked_sub(1)
            .map_or(0, |i| slices[i].end.saturating_sub(t));
        cum[k] - open
    }

    /// The handoff queue's length at `t`.
    pub fn queue_at(&self, t: u64) -> u32 {
        let k = self.queue.partition_point(|q| q.0 <= t);
        k.checked_sub(1).map_or(0, |i| self.queue[i].1)
    }

    /// The queue's longest length in `(a, b]` (or its length at `a` if it
    /// did not change).
    pub fn queue_max(&self, a: u64, b: u64) -> u32 {
        let from = self.queue.partition_point(|q| q.0 <= a);
        let to = self.queue.partition_point(|q| q.0 <= b);
        self.queue[from..to.max(from)]
            .iter()
            .map(|q| q.1)
            .fold(self.queue_at(a), u32::max)
    }

    /// Everything the view shows at `t`.
    pub fn at(&self, t: u64) -> ClusterAt {
        let cores: Vec<Option<u16>> = (0..self.core_slices.len())
            .map(|c| self.on_core(c, t))
            .collect();
        let procs = self
            .procs
            .iter()
            .filter_map(|life| {
                let state = life.state_at(t)?;
                let activity = match cores.iter().position(|&p| p == Some(life.proc)) {
                    Some(c) => Activity::OnCore(c as u16),
                    None if life.waits.is_open_at(t) => Activity::Waiting,
                    None => Activity::Idle,
                };
                Some(ProcAt {
                    proc: life.proc,
                    kind: life.kind,
                    state,
                    activity,
                    cpu_ns: life.cpu_until(t),
                    waited_ns: life.waited_until(t),
                    served: life.served_until(t),
                    handed: life.handed_until(t),
                })
            })
            .collect();
        ClusterAt {
            time_ns: t,
            procs,
            cores,
            queue: self.queue_at(t),
            queued: self.queued.partition_point(|&q| q <= t) as u32,
            refused: self.refused.partition_point(|&q| q <= t) as u32,
            served: self.served.partition_point(|&s| s <= t) as u32,
        }
    }

    /// The time axis at `now`: from the log's start to the first round
    /// span (1, 2 or 5 times a power of ten nanoseconds, at least 1 ms)
    /// that holds `now`, cut at the log's end. The lanes fill from left
    /// to right without knowing the future, and their scale changes only
    /// when `now` passes the span (the axis stays at least 40% filled).
    ///
    /// Idle stretches up to `now` of at least a quarter of the axis are
    /// folded to a column each.
    pub fn axis(&self, now: u64) -> Axis {
        let span = round_span(now.saturating_sub(self.start_ns));
        let to = (self.start_ns + span).min(self.end_ns);
        let mut axis = Axis::plain(self.start_ns, to);
        let least = ((axis.to - axis.from) / 4).max(1);
        let upto = now.min(axis.to);
        axis.gaps = self
            .idle
            .iter()
            .take_while(|&&(a, _)| a < upto)
            .map(|&(a, b)| (a, b.min(upto)))
            .filter(|&(a, b)| b - a >= least)
            .collect();
        axis
    }

    /// Requests answered in `(a, b]`, by every process (`proc: None`) or
    /// one.
    pub fn served_between(&self, proc: Option<u16>, a: u64, b: u64) -> u32 {
        match proc {
            None => count_between(&self.served, a, b),
            Some(p) => self
                .procs
                .get(p as usize)
                .map_or(0, |l| l.served_between(a, b)),
        }
    }

    /// Requests per second over the `window_ns` up to `now` (or the part
    /// of it since the log's start), by every process or one.
    pub fn rate(&self, proc: Option<u16>, now: u64, window_ns: u64) -> f64 {
        let from = now.saturating_sub(window_ns).max(self.start_ns);
        let span = now.saturating_sub(from);
        if span == 0 {
            return 0.0;
        }
        self.served_between(proc, from, now) as f64 * 1e9 / span as f64
    }

    /// Process `proc`'s lane: a cell per stretch between two `edges`
    /// (see [`Axis::edges`]), each cut at `now` (a stretch starting
    /// after `now` is [`CellLife::Absent`] with no span).
    /// O(cells · log n).
    pub fn lane(&self, proc: u16, edges: &[u64], now: u64) -> Vec<LaneCell> {
        let Some(life) = self.procs.get(proc as usize) else {
            return Vec::new();
        };
        let (Some(&from), cells) = (edges.first(), edges.len().saturating_sub(1)) else {
            return Vec::new();
        };
        let edge = |c: usize| edges[c];
        let mut cpu_before = life.cpu_until(from);
        let mut wait_before = life.waited_until(from);
        let absent = LaneCell {
            life: CellLife::Absent,
            span_ns: 0,
            cpu_ns: 0,
            wait_ns: 0,
            ended: None,
        };
        (0..cells)
            .map(|c| {
                let (a, e) = (edge(c), edge(c + 1));
                if a > now || (a == now && c > 0) {
                    return absent;
                }
                let b = e.min(now);
                // Whether something at `x` happens after this stretch:
                // after its end, or (cut at now) after now; the last
                // stretch holds the axis's end too.
                let last = c + 1 == cells;
                let after = |x: u64| x > b || (x == e && b == e && !last);
                let cpu = life.cpu_until(b);
                let wait = life.waited_until(b);
                let cell = LaneCell {
                    life: if after(life.forked_ns) {
                        CellLife::Absent
                    } else if life.ended.is_some_and(|(at, _)| at < a) {
                        CellLife::Gone
                    } else if life.kind != ProcKind::Primary && life.online_ns.is_none_or(after) {
                        CellLife::Booting
                    } else {
                        CellLife::Up
                    },
                    span_ns: b - a,
                    cpu_ns: cpu - cpu_before,
                    wait_ns: wait - wait_before,
                    ended: life
                        .ended
                        .filter(|&(at, _)| at >= a && !after(at))
                        .map(|(_, how)| how),
                };
                cpu_before = cpu;
                wait_before = wait;
                cell
            })
            .collect()
    }

    /// The lifecycle marks up to `now`.
    pub fn marks_until(&self, now: u64) -> &[Mark] {
        let k = self.marks.partition_point(|m| m.time_ns <= now);
        &self.marks[..k]
    }

    /// The label of process `proc`.
    pub fn label(&self, proc: u16) -> String {
        self.procs
            .get(proc as usize)
            .map_or_else(|| format!("p{proc}"), |l| l.kind.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::procs::ProcPoint;

    use ProcEvent as E;

    /// A log from `(time_ns, proc, core, event, value)` rows.
    fn log(cores: u16, rows: &[(u64, u16, u16, ProcEvent, u32)]) -> ProcLog {
        ProcLog {
            cores,
            points: rows
                .iter()
                .map(|&(time_ns, proc, core, event, value)| ProcPoint {
                    time_ns,
                    proc,
                    core,
                    event,
                    value,
                })
                .collect(),
        }
    }

    /// Two workers and a child: w1 boots, listens, disconnects and exits
    /// cleanly; w2 is killed; the child crashes; w3 replaces w2.
    fn lives() -> ProcIndex {
        ProcIndex::build(&log(
            2,
            &[
                (0, 1, 0, E::Forked, 1),
                (0, 2, 0, E::Forked, 2),
                (10, 1, 0, E::Online, 0),
                (12, 2, 0, E::Online, 0),
                (20, 1, 0, E::Listening, 8080),
                (50, 2, 0, E::Killed, 9),
                (55, 4, 0, E::Forked, 3),
                (60, 3, 0, E::Forked, 0),
                (70, 3, 0, E::Online, 0),
                (80, 3, 0, E::Exited, 1),
                (100, 1, 0, E::Disconnected, 0),
                (110, 1, 0, E::Exited, 0),
            ],
        ))
    }

    #[test]
    fn states_follow_each_process_through_its_life() {
        let ix = lives();
        let state = |p: u16, t: u64| ix.procs[p as usize].state_at(t);
        assert_eq!(state(1, 5), Some(ProcState::Booting));
        assert_eq!(state(1, 10), Some(ProcState::Online));
        assert_eq!(state(1, 20), Some(ProcState::Listening(8080)));
        assert_eq!(state(1, 100), Some(ProcState::Disconnected));
        assert_eq!(state(1, 110), Some(ProcState::Dead(Ending::Exit(0))));
        assert_eq!(state(2, 50), Some(ProcState::Dead(Ending::Signal(9))));
        assert_eq!(state(3, 59), None, "not forked yet");
        assert_eq!(state(3, 80), Some(ProcState::Dead(Ending::Exit(1))));
        assert_eq!(state(0, 0), Some(ProcState::Online), "the primary");
        let kinds: Vec<String> = ix.procs.iter().map(|l| l.kind.label()).collect();
        assert_eq!(kinds, ["primary", "w1", "w2", "ch1", "w3"]);
        let at = ix.at(90);
        assert_eq!(at.procs.len(), 5);
        assert_eq!((at.alive(), at.crashed(), at.exited()), (2, 2, 0));
        let at = ix.at(200);
        assert_eq!((at.alive(), at.crashed(), at.exited()), (1, 2, 1));
        assert_eq!(at.killed(), 1);
        assert_eq!(ix.at(30).procs.len(), 3, "the primary and w1, w2");
        // The marks a timeline shows, in time order.
        let marks: Vec<(u64, u16, MarkKind)> = ix
            .marks_until(80)
            .iter()
            .map(|m| (m.time_ns, m.proc, m.kind))
            .collect();
        assert_eq!(marks.len(), 7);
        assert_eq!(marks[3], (50, 2, MarkKind::Ended(Ending::Signal(9))));
        assert_eq!(marks[6], (80, 3, MarkKind::Ended(Ending::Exit(1))));
        assert!(Ending::Exit(1).is_crash() && Ending::Signal(15).is_crash());
        assert!(!Ending::Exit(0).is_crash());
        // A millisecond at least, cut at the log's end.
        let axis = ix.axis(1_000);
        assert_eq!((axis.from, axis.to), (0, 110));
        // Nothing happens in 20..50: a quarter of the axis or more.
        assert_eq!(axis.gaps, [(20, 50)]);
        assert_eq!(ix.axis(50).gaps, [(20, 50)]);
        assert_eq!(
            ix.axis(40).gaps,
            [],
            "20..40 is too short: 40 knows no more"
        );
    }

    /// w1 runs 10..30 on core 0, waits 30..40, runs 40..50 on core 1; w2
    /// runs 30..45 on core 0 and 0..40 on core 1 (w2 has two threads).
    fn cpu_log() -> ProcIndex {
        ProcIndex::build(&log(
            2,
            &[
                (0, 1, 0, E::Forked, 1),
                (0, 2, 0, E::Forked, 2),
                (0, 2, 1, E::Cpu, 40),
                (10, 1, 0, E::Cpu, 20),
                (30, 1, 0, E::Waited, 10),
                (30, 2, 0, E::Cpu, 15),
                (40, 1, 1, E::Cpu, 10),
                (45, 2, 0, E::Waited, 5),
            ],
        ))
    }

    #[test]
    fn cpu_and_waiting_are_accounted_up_to_the_time() {
        let ix = cpu_log();
        let w1 = &ix.procs[1];
        let cpu: Vec<u64> = [0, 10, 20, 30, 35, 45, 50, 100]
            .iter()
            .map(|&t| w1.cpu_until(t))
            .collect();
        assert_eq!(cpu, [0, 0, 10, 20, 20, 25, 30, 30]);
        let waited: Vec<u64> = [29, 30, 35, 40, 100]
            .iter()
            .map(|&t| w1.waited_until(t))
            .collect();
        assert_eq!(waited, [0, 0, 5, 10, 10]);
        // Overlapping slices (two threads): each counts.
        let w2 = &ix.procs[2];
        assert_eq!(w2.cpu_until(35), 35 + 5);
        assert_eq!(w2.cpu_until(100), 55);
        assert_eq!(w2.waited_until(47), 2);
        let activity = |t: u64| -> Vec<Activity> {
            ix.at(t).procs.iter().skip(1).map(|p| p.activity).collect()
        };
        assert_eq!(activity(5), [Activity::Idle, Activity::OnCore(1)]);
        assert_eq!(activity(20), [Activity::OnCore(0), Activity::OnCore(1)]);
        assert_eq!(activity(35), [Activity::Waiting, Activity::OnCore(0)]);
        assert_eq!(activity(42), [Activity::OnCore(1), Activity::OnCore(0)]);
        assert_eq!(activity(46), [Activity::OnCore(1), Activity::Waiting]);
        assert_eq!(activity(50), [Activity::Idle, Activity::Idle]);
        let at = ix.at(35);
        assert_eq!((at.running(), at.waiting()), (1, 1));
        assert_eq!(at.cores, [Some(2), Some(2)]);
        assert_eq!((at.procs[1].cpu_ns, at.procs[1].waited_ns), (20, 5));
    }

    #[test]
    fn each_core_runs_one_process_and_never_more_run_than_cores() {
        // 2 cores, 6 workers taking 10 ns turns in a round: two run, the
        // others wait for a core.
        let mut rows = Vec::new();
        for w in 1..=6u16 {
            rows.push((0, w, 0, E::Forked, w as u32));
        }
        for round in 0..3u64 {
            for w in 1..=6u16 {
                let slot = round * 3 + (w as u64 - 1) / 2;
                let core = (w - 1) % 2;
                let start = slot * 10;
                if start > round * 30 {
                    rows.push((round * 30, w, 0, E::Waited, (start - round * 30) as u32));
                }
                rows.push((start, w, core, E::Cpu, 10));
                rows.push((start + 10, w, 0, E::Served, 200));
            }
        }
        rows.sort_by_key(|r| r.0);
        let ix = ProcIndex::build(&log(2, &rows));
        for t in 0..100 {
            let at = ix.at(t);
            assert!(at.running() <= 2, "{t}: {at:?}");
            let on: Vec<u16> = at.cores.iter().flatten().copied().collect();
            for p in &at.procs {
                match p.activity {
                    Activity::OnCore(c) => assert_eq!(at.cores[c as usize], Some(p.proc)),
                    _ => assert!(!on.contains(&p.proc)),
                }
            }
            if t < 90 {
                assert_eq!(at.running(), 2, "{t}");
            }
        }
        let at = ix.at(5);
        assert_eq!(at.cores, [Some(1), Some(2)]);
        assert_eq!((at.running(), at.waiting()), (2, 4));
        let at = ix.at(25);
        assert_eq!(at.cores, [Some(5), Some(6)]);
        assert_eq!((at.running(), at.waiting()), (2, 0), "w1..w4 are done");
        assert_eq!(at.served, 4);
        assert_eq!(ix.at(90).served, 18);
        assert_eq!(ix.served_between(Some(1), 0, 90), 3);
        assert_eq!(ix.served_between(None, 0, 30), 6);
        assert_eq!(ix.served_between(None, 10, 10), 0);
        // 6 answered in the 30 ns up to 30: 2e8 per second.
        assert!((ix.rate(None, 30, 30) - 2e8).abs() < 1.0);
        assert!(
            (ix.rate(Some(1), 40, 40) - 2e9 / 40.0).abs() < 1.0,
            "w1: 10 and 40"
        );
    }

    #[test]
    fn the_handoff_queue_grows_when_every_worker_is_busy() {
        let ix = ProcIndex::build(&log(
            4,
            &[
                (0, 1, 0, E::Forked, 1),
                (0, 2, 0, E::Forked, 2),
                (5, 1, 0, E::Handoff, 0),
                (10, 0, 0, E::Queued, 1),
                (11, 0, 0, E::Queued, 2),
                (20, 2, 0, E::Handoff, 1),
                (30, 1, 0, E::Handoff, 0),
                (40, 0, 0, E::Queued, 1),
                (41, 0, 0, E::Queued, 2),
                (50, 0, 0, E::Refused, 0),
                (50, 0, 0, E::Refused, 0),
            ],
        ));
        let queue: Vec<u32> = [0, 10, 11, 20, 30, 41, 50]
            .iter()
            .map(|&t| ix.queue_at(t))
            .collect();
        assert_eq!(queue, [0, 1, 2, 1, 0, 2, 0]);
        assert_eq!(ix.queue_max(0, 35), 2);
        assert_eq!(ix.queue_max(20, 35), 1);
        assert_eq!(ix.queue_max(50, 60), 0);
        let at = ix.at(45);
        assert_eq!((at.queue, at.queued, at.refused), (2, 4, 0));
        let handed: Vec<u32> = at.procs.iter().map(|p| p.handed).collect();
        assert_eq!(handed, [0, 2, 1]);
        let at = ix.at(50);
        assert_eq!((at.queue, at.queued, at.refused), (0, 4, 2));
    }

    #[test]
    fn a_lane_cell_holds_the_cpu_and_waits_of_its_stretch_up_to_now() {
        let ix = cpu_log();
        // 10 cells of 5 ns over 0..50.
        let cells = ix.lane(1, &Axis::plain(0, 50).edges(10), 50);
        let cpu: Vec<u64> = cells.iter().map(|c| c.cpu_ns).collect();
        assert_eq!(cpu, [0, 0, 5, 5, 5, 5, 0, 0, 5, 5]);
        let wait: Vec<u64> = cells.iter().map(|c| c.wait_ns).collect();
        assert_eq!(wait, [0, 0, 0, 0, 0, 0, 5, 5, 0, 0]);
        assert!(cells.iter().all(|c| c.span_ns == 5));
        // Up to 32: the cell holding 32 is cut there, the rest is future.
        let cells = ix.lane(1, &Axis::plain(0, 50).edges(10), 32);
        assert_eq!((cells[6].span_ns, cells[6].wait_ns), (2, 2));
        assert!(
            cells[7..]
                .iter()
                .all(|c| c.life == CellLife::Absent && c.span_ns == 0)
        );
        // A life's cells: absent before the fork, booting, gone after.
        let ix = lives();
        let cells = ix.lane(3, &Axis::plain(0, 100).edges(10), 100);
        let life: Vec<CellLife> = cells.iter().map(|c| c.life).collect();
        use CellLife::*;
        assert_eq!(
            life,
            [
                Absent, Absent, Absent, Absent, Absent, Absent, Booting, Up, Up, Gone
            ]
        );
        assert_eq!(cells[8].ended, Some(Ending::Exit(1)));
        assert!(cells.iter().filter(|c| c.ended.is_some()).count() == 1);
        // An end at the axis's very end is in the last cell.
        let cells = ix.lane(1, &Axis::plain(0, 110).edges(11), 200);
        assert_eq!(cells[10].ended, Some(Ending::Exit(0)));
    }

    #[test]
    fn an_axis_folds_idle_stretches_to_one_column() {
        let plain = Axis::plain(0, 100);
        assert_eq!(plain.edges(4), [0, 25, 50, 75, 100]);
        assert_eq!(Axis::column(&plain.edges(4), 60), 2);
        assert_eq!(
            Axis::column(&plain.edges(4), 100),
            3,
            "the end is in the last"
        );
        // 10..90 idle: one column; the 20 ns of work share the other 9.
        let folded = Axis {
            from: 0,
            to: 100,
            gaps: vec![(10, 90)],
        };
        let edges = folded.edges(10);
        assert_eq!(edges.len(), 11);
        assert_eq!(edges[..6], [0, 2, 5, 7, 10, 90]);
        assert_eq!(edges[10], 100);
        assert!(edges.windows(2).all(|w| w[0] <= w[1]), "{edges:?}");
        assert_eq!(Axis::column(&edges, 50), 4);
        // Too few columns for a fold: none shown.
        assert_eq!(folded.gaps_at(3), []);
        assert_eq!(folded.edges(3), [0, 33, 66, 100]);
        // Idle stretches found in a log: boot and a long quiet tail.
        let ix = ProcIndex::build(&log(
            1,
            &[
                (0, 1, 0, E::Forked, 1),
                (10, 1, 0, E::Online, 0),
                (10, 1, 0, E::Cpu, 90),
                (1_000, 1, 0, E::Exited, 0),
            ],
        ));
        assert_eq!(ix.axis(50).gaps, []);
        let end = ix.axis(2_000);
        assert_eq!(
            (end.from, end.to, end.gaps.as_slice()),
            (0, 1_000, &[(100, 1_000)][..])
        );
        let cut = ix.axis(600);
        assert_eq!((cut.to, cut.gaps.as_slice()), (1_000, &[(100, 600)][..]));
        // The span steps 1, 2, 5 ms, 10, 20, 50 ms... as time passes.
        let ms = 1_000_000;
        let ix = ProcIndex::build(&log(
            1,
            &[
                (0, 1, 0, E::Forked, 1),
                (ms, 1, 0, E::Online, 0),
                (ms, 1, 0, E::Cpu, (4_000 * ms) as u32),
                (10_000 * ms, 1, 0, E::Exited, 0),
            ],
        ));
        let to = |t: u64| ix.axis(t).to;
        assert_eq!(to(0), ms);
        assert_eq!(to(1_500_000), 2 * ms);
        assert_eq!(to(300 * ms), 500 * ms);
        assert_eq!(to(1_000 * ms), 1_000 * ms);
        assert_eq!(to(9_000 * ms), 10_000 * ms, "cut at the log's end");
    }

    #[test]
    fn a_log_out_of_order_folds_the_same() {
        let mut shuffled = log(
            2,
            &[
                (0, 1, 0, E::Forked, 1),
                (0, 2, 0, E::Forked, 2),
                (0, 2, 1, E::Cpu, 40),
                (10, 1, 0, E::Cpu, 20),
                (30, 1, 0, E::Waited, 10),
                (30, 2, 0, E::Cpu, 15),
                (40, 1, 1, E::Cpu, 10),
                (45, 2, 0, E::Waited, 5),
            ],
        );
        shuffled.points.reverse();
        let a = ProcIndex::build(&shuffled);
        let b = cpu_log();
        for t in 0..60 {
            assert_eq!(a.at(t), b.at(t), "{t}");
        }
    }

    #[test]
    fn an_empty_log_folds_to_nothing() {
        let ix = ProcIndex::build(&ProcLog::default());
        assert!(ix.is_empty());
        let at = ix.at(100);
        assert!(at.procs.is_empty() && at.cores.is_empty());
        assert_eq!(ix.queue_at(5), 0);
        assert!(ix.lane(1, &Axis::plain(0, 10).edges(4), 5).is_empty());
        assert_eq!(ix.rate(None, 10, 10), 0.0);
    }

    /// A real run: 8 workers on 2 cores answer 400 requests that each
    /// keep the CPU busy 2 ms.
    #[test]
    fn a_real_cluster_never_runs_more_processes_than_cores() {
        let source = r#"
if cluster.isPrimary {
  let up = 0;
  cluster.on("listening", |w, addr| {
    up += 1;
    if up == 8 {
      autocannon(#{ url: `http://127.0.0.1:${addr.port}`, connections: 16, amount: 400 }, |err, r| {
        cluster.disconnect();
      });
    }
  });
  for i in 0..8 { cluster.fork(); }
} else {
  http.createServer(|req, res| { busy(2); res.end("ok"); }).listen(0);
}
"#;
        let scenario = crate::script::Scenario::compile("cluster.rhai".into(), source.to_string())
            .expect("compiles");
        let mut options = crate::script::RunOptions::default();
        options.runtime.cores = 2;
        let run = crate::script::script_run(&scenario, &options);
        let log = &run.trace.procs;
        assert_eq!(log.cores, 2);
        let ix = ProcIndex::build(log);
        assert_eq!(ix.procs.len(), 9);
        let mut busiest = 0;
        for p in &log.points {
            for t in [p.time_ns, p.time_ns + p.value as u64 / 2] {
                let at = ix.at(t);
                assert!(at.running() <= 2, "at {t}: {:?}", at.cores);
                busiest = busiest.max(at.running() + at.waiting());
            }
        }
        assert!(busiest > 2, "some waited for a core");
        let end = ix.at(u64::MAX);
        assert_eq!(end.served, 400);
        let served: u32 = end.procs.iter().map(|p| p.served).sum();
        assert_eq!(served, 400);
        assert!(end.procs[1..].iter().all(|p| p.served > 0), "round robin");
        assert_eq!((end.alive(), end.exited(), end.crashed()), (0, 8, 0));
        // Every request's 2 ms of CPU is accounted for.
        let cpu: u64 = end.procs.iter().map(|p| p.cpu_ns).sum();
        assert!(cpu >= 400 * 2_000_000, "{cpu}");
    }
}
