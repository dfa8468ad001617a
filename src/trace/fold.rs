//! State folded from a trace: what every queue holds, what is on the call
//! stack, what has been printed, at any cursor position. An index built once
//! per trace (per-callback sequence numbers, queue logs, checkpoints every
//! [`CHECKPOINT_EVERY`] events) makes a seek cost a short replay, not a fold
//! from the start.

use super::{CallbackKind, CbId, Event, Kind, Phase, Stream, Trace};

/// Distance between checkpoints of the folded state.
pub const CHECKPOINT_EVERY: usize = 4096;

/// Which queue a callback waits in, as the player shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueueKind {
    Timers,
    Immediates,
    Io,
    NextTick,
    Microtasks,
}

impl QueueKind {
    pub const ALL: [QueueKind; 5] = [
        QueueKind::Timers,
        QueueKind::Io,
        QueueKind::Immediates,
        QueueKind::NextTick,
        QueueKind::Microtasks,
    ];

    fn of(kind: CallbackKind) -> Option<QueueKind> {
        Some(match kind {
            CallbackKind::Timeout | CallbackKind::Interval => QueueKind::Timers,
            CallbackKind::Immediate => QueueKind::Immediates,
            CallbackKind::Io => QueueKind::Io,
            CallbackKind::NextTick => QueueKind::NextTick,
            k if k.is_microtask() => QueueKind::Microtasks,
            _ => return None,
        })
    }

    fn index(self) -> usize {
        self as usize
    }
}

const NONE: u32 = u32::MAX;

/// Per-callback sequence numbers, from one pass over the trace.
#[derive(Debug, Clone, Copy)]
struct CbSeqs {
    queued: u32,
    /// First start (one-shot callbacks leave their queue here).
    started: u32,
    cleared: u32,
    due_ms: u32,
}

#[derive(Debug, Clone)]
struct Checkpoint {
    /// Per queue: index into its log of the first entry that may be live.
    heads: [usize; 5],
    stack: Vec<CbId>,
}

/// A pool task's life.
#[derive(Debug, Clone, Copy)]
pub struct TaskSeqs {
    pub queued: u32,
    pub started: u32,
    pub done: u32,
    pub thread: u16,
}

/// The index that makes folding cheap.
#[derive(Debug, Clone)]
pub struct TraceIndex {
    cbs: Vec<CbSeqs>,
    logs: [Vec<CbId>; 5],
    checkpoints: Vec<Checkpoint>,
    pub console: Vec<u32>,
    pub notes: Vec<u32>,
    pub tasks: Vec<TaskSeqs>,
    /// Sequence numbers where a callback starts.
    pub callback_starts: Vec<u32>,
    /// Sequence numbers where an iteration begins.
    pub iterations: Vec<u32>,
    pub pool: PoolIndex,
}

/// The pool's tasks arranged for seeks and drawing in O(threads · log n),
/// not O(tasks): a trace can hold a hundred thousand of them.
#[derive(Debug, Clone, Default)]
pub struct PoolIndex {
    /// Per thread, task ids in start order.
    pub by_thread: Vec<Vec<u32>>,
    /// Queue and start sequence numbers, ascending.
    pub queued_seqs: Vec<u32>,
    pub started_seqs: Vec<u32>,
    /// Queue and start times (ns), ascending.
    pub queued_ns: Vec<u64>,
    pub started_ns: Vec<u64>,
    /// The pool's size, as the trace recorded it when the pool was created.
    pub size: usize,
    /// Time span of the pool's activity: first queue, last finish.
    pub first_ns: u64,
    pub last_ns: u64,
}

impl PoolIndex {
    fn build(trace: &Trace, tasks: &[TaskSeqs]) -> PoolIndex {
        let time = |seq: u32| trace.events.get(seq as usize).map_or(0, |e| e.time_ns);
        let mut index = PoolIndex::default();
        for (id, t) in tasks.iter().enumerate() {
            if t.queued != NONE {
                index.queued_seqs.push(t.queued);
                index.queued_ns.push(time(t.queued));
            }
            if t.started != NONE {
                index.started_seqs.push(t.started);
                index.started_ns.push(time(t.started));
                let thread = t.thread as usize;
                if index.by_thread.len() <= thread {
                    index.by_thread.resize(thread + 1, Vec::new());
                }
                index.by_thread[thread].push(id as u32);
            }
        }
        for list in &mut index.by_thread {
            list.sort_by_key(|&id| tasks[id as usize].started);
        }
        index.queued_seqs.sort_unstable();
        index.started_seqs.sort_unstable();
        index.queued_ns.sort_unstable();
        index.started_ns.sort_unstable();
        index.size = trace
            .events
            .iter()
            .find_map(|e| match e.kind {
                Kind::PoolQueued { threads, .. } => Some(threads as usize),
                _ => None,
            })
            .unwrap_or(0);
        index.first_ns = index.queued_ns.first().copied().unwrap_or(0);
        let end = trace.events.last().map_or(0, |e| e.time_ns);
        index.last_ns = tasks
            .iter()
            .filter(|t| t.queued != NONE)
            .map(|t| if t.done == NONE { end } else { time(t.done) })
            .max()
            .unwrap_or(index.first_ns);
        index
    }

    /// Tasks queued but not yet started at sequence `at`.
    pub fn waiting_at(&self, at: u32) -> usize {
        self.queued_seqs.partition_point(|&s| s <= at)
            - self.started_seqs.partition_point(|&s| s <= at)
    }

    /// Tasks queued but not yet started at time `ns`.
    pub fn waiting_at_time(&self, ns: u64) -> usize {
        self.queued_ns.partition_point(|&t| t <= ns) - self.started_ns.partition_point(|&t| t <= ns)
    }

    /// The task ids of `thread` that have started by sequence `at`.
    pub fn started_on(&self, tasks: &[TaskSeqs], thread: usize, at: u32) -> &[u32] {
        let Some(list) = self.by_thread.get(thread) else {
            return &[];
        };
        let k = list.partition_point(|&id| tasks[id as usize].started <= at);
        &list[..k]
    }
}

/// What the player shows at a cursor.
#[derive(Debug, Clone, Default)]
pub struct Folded {
    pub seq: usize,
    pub time_ns: u64,
    pub iteration: u32,
    pub phase: Option<Phase>,
    /// Per queue, up to the requested number of entries (oldest first;
    /// timers by due time), plus how many more there are.
    pub queues: Vec<(QueueKind, Vec<CbId>, usize)>,
    /// Outermost first.
    pub stack: Vec<CbId>,
    /// Console events printed so far (sequence numbers), the last few.
    pub console: Vec<u32>,
    pub console_total: usize,
    /// The narration in force: (step index 0-based, note sequence number).
    pub note: Option<(usize, u32)>,
    /// Pool tasks running at the cursor, and how many wait in the queue.
    pub pool_running: Vec<(u32, TaskSeqs)>,
    pub pool_waiting: usize,
}

impl Folded {
    pub fn queue(&self, kind: QueueKind) -> (&[CbId], usize) {
        self.queues
            .iter()
            .find(|(k, _, _)| *k == kind)
            .map(|(_, v, more)| (v.as_slice(), *more))
            .unwrap_or((&[], 0))
    }
}

impl TraceIndex {
    pub fn build(trace: &Trace) -> TraceIndex {
        let n_cb = trace.callbacks.len();
        let mut cbs = vec![
            CbSeqs {
                queued: NONE,
                started: NONE,
                cleared: NONE,
                due_ms: 0,
            };
            n_cb
        ];
        let mut logs: [Vec<CbId>; 5] = Default::default();
        let mut console = Vec::new();
        let mut notes = Vec::new();
        let mut tasks: Vec<TaskSeqs> = Vec::new();
        let mut callback_starts = Vec::new();
        let mut iterations = Vec::new();
        let task = |tasks: &mut Vec<TaskSeqs>, id: u32| -> usize {
            let i = id as usize;
            if tasks.len() <= i {
                tasks.resize(
                    i + 1,
                    TaskSeqs {
                        queued: NONE,
                        started: NONE,
                        done: NONE,
                        thread: 0,
                    },
                );
            }
            i
        };
        for (seq, e) in trace.events.iter().enumerate() {
            let seq = seq as u32;
            match e.kind {
                Kind::Queued { cb, due_ms } => {
                    if let Some(s) = cbs.get_mut(cb.0 as usize)
                        && s.queued == NONE
                    {
                        s.queued = seq;
                        s.due_ms = due_ms;
                        if let Some(info) = trace.callback(cb)
                            && let Some(q) = QueueKind::of(info.kind)
                        {
                            logs[q.index()].push(cb);
                        }
                    }
                }
                Kind::CallbackStart { cb } => {
                    callback_starts.push(seq);
                    if let Some(s) = cbs.get_mut(cb.0 as usize)
                        && s.started == NONE
                    {
                        s.started = seq;
                    }
                }
                Kind::Cleared { cb } => {
                    if let Some(s) = cbs.get_mut(cb.0 as usize) {
                        s.cleared = seq;
                    }
                }
                Kind::Console { .. } => console.push(seq),
                Kind::Note { .. } => notes.push(seq),
                Kind::IterationStart => iterations.push(seq),
                Kind::PoolQueued { task: t, .. } => {
                    let i = task(&mut tasks, t);
                    tasks[i].queued = seq;
                }
                Kind::PoolStart { task: t, thread } => {
                    let i = task(&mut tasks, t);
                    tasks[i].started = seq;
                    tasks[i].thread = thread;
                }
                Kind::PoolDone { task: t, .. } => {
                    let i = task(&mut tasks, t);
                    tasks[i].done = seq;
                }
                _ => {}
            }
        }
        let pool = PoolIndex::build(trace, &tasks);
        let mut index = TraceIndex {
            pool,
            cbs,
            logs,
            checkpoints: Vec::new(),
            console,
            notes,
            tasks,
            callback_starts,
            iterations,
        };
        index.build_checkpoints(trace);
        index
    }

    fn is_live(&self, trace: &Trace, cb: CbId, at: u32) -> bool {
        let Some(s) = self.cbs.get(cb.0 as usize) else {
            return false;
        };
        if s.queued == NONE || s.queued > at || s.cleared <= at {
            return false;
        }
        let interval = trace
            .callback(cb)
            .is_some_and(|i| i.kind == CallbackKind::Interval);
        // An interval stays armed until cleared; everything else leaves
        // its queue when it starts.
        interval || s.started == NONE || s.started > at
    }

    fn build_checkpoints(&mut self, trace: &Trace) {
        let mut heads = [0usize; 5];
        let mut stack: Vec<CbId> = Vec::new();
        for (seq, e) in trace.events.iter().enumerate() {
            if seq % CHECKPOINT_EVERY == 0 {
                let at = seq.saturating_sub(1) as u32;
                for q in QueueKind::ALL {
                    let log = &self.logs[q.index()];
                    let mut h = heads[q.index()];
                    while h < log.len()
                        && seq > 0
                        && !self.is_live(trace, log[h], at)
                        && self.cbs[log[h].0 as usize].queued <= at
                    {
                        h += 1;
                    }
                    heads[q.index()] = h;
                }
                self.checkpoints.push(Checkpoint {
                    heads,
                    stack: stack.clone(),
                });
            }
            apply_stack(&mut stack, e);
        }
    }

    /// Folds the state at `seq` (inclusive), listing up to `limit` entries
    /// per queue.
    pub fn fold(&self, trace: &Trace, seq: usize, limit: usize) -> Folded {
        let Some(event) = trace.events.get(seq) else {
            return Folded::default();
        };
        let at = seq as u32;
        let ck = &self.checkpoints
            [(seq / CHECKPOINT_EVERY).min(self.checkpoints.len().saturating_sub(1))];
        let ck_seq = (seq / CHECKPOINT_EVERY) * CHECKPOINT_EVERY;
        let mut stack = ck.stack.clone();
        for e in &trace.events[ck_seq..=seq] {
            apply_stack(&mut stack, e);
        }
        let mut queues = Vec::new();
        for q in QueueKind::ALL {
            let log = &self.logs[q.index()];
            let mut live = Vec::new();
            let mut more = 0;
            for &cb in &log[ck.heads[q.index()].min(log.len())..] {
                let s = &self.cbs[cb.0 as usize];
                if s.queued > at {
                    break;
                }
                if self.is_live(trace, cb, at) {
                    if live.len() < limit {
                        live.push(cb);
                    } else {
                        more += 1;
                    }
                }
            }
            if q == QueueKind::Timers {
                live.sort_by_key(|cb| self.cbs[cb.0 as usize].due_ms);
            }
            queues.push((q, live, more));
        }
        let console_total = self.console.partition_point(|&s| s <= at);
        let console = self.console[console_total.saturating_sub(200)..console_total].to_vec();
        let notes_so_far = self.notes.partition_point(|&s| s <= at);
        let note = notes_so_far.checked_sub(1).map(|i| (i, self.notes[i]));
        // At most one task runs per thread: the last one started there.
        let mut pool_running = Vec::new();
        for thread in 0..self.pool.by_thread.len() {
            if let Some(&id) = self.pool.started_on(&self.tasks, thread, at).last() {
                let t = self.tasks[id as usize];
                if t.done == NONE || t.done > at {
                    pool_running.push((id, t));
                }
            }
        }
        let pool_waiting = self.pool.waiting_at(at);
        Folded {
            seq,
            time_ns: event.time_ns,
            iteration: event.iteration(),
            phase: Some(event.phase()),
            queues,
            stack,
            console,
            console_total,
            note,
            pool_running,
            pool_waiting,
        }
    }

    /// Due time (ms) of a timer callback, as queued.
    pub fn due_ms(&self, cb: CbId) -> u32 {
        self.cbs.get(cb.0 as usize).map_or(0, |s| s.due_ms)
    }
}

fn apply_stack(stack: &mut Vec<CbId>, e: &Event) {
    match e.kind {
        Kind::CallbackStart { cb } => stack.push(cb),
        Kind::CallbackEnd { .. } => {
            stack.pop();
        }
        Kind::Exit { .. } => stack.clear(),
        _ => {}
    }
}

/// The console text of an event (for the console view).
pub fn console_line(trace: &Trace, seq: u32) -> Option<(Stream, &str)> {
    match trace.events.get(seq as usize)?.kind {
        Kind::Console { stream, text } => Some((stream, trace.text(text))),
        _ => None,
    }
}
