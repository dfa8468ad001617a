//! HTTP servers, connections and requests folded from the trace
//! (`Kind::Net`), for the player's server view: which servers listen, each
//! connection's state, where the requests in flight are (in the kernel, at
//! the server, on their way back), the kernel's backlog, every request's
//! latency, throughput and latency percentiles over time, and each load
//! generator's autocannon-style result.
//!
//! [`NetIndex::build`] walks the trace once and keeps, after every net
//! event, the running counts ([`NetCounts`]), each connection's state
//! changes, and per-bucket latency percentiles; a frame then reads the
//! state at any cursor with binary searches (a trace without sockets costs
//! nothing per frame). Everything it answers is what happened up to the
//! cursor, except the time axis ([`NetIndex::axis`]), which spans the
//! run's requests so that charts fill from left to right.
//!
//! Limitations: requests are counted towards a load generator when they
//! were sent between its start and its end (a plain `http.get` running at
//! the same time counts too); latency is model time from the client's
//! write to the whole response being there (autocannon's own figure also
//! charges its per-response bookkeeping, and rounds up to whole
//! milliseconds); a load generator's failed connections leave no
//! [`NetEvent::Failed`] in the trace, so its "errors" count only what the
//! trace shows (failed requests, dropped connections).

use super::{Kind, NetEvent, Trace};

const NEVER: u32 = u32::MAX;

/// Time buckets of the charts: the span of the run's requests in sixty.
pub const BUCKETS: usize = 60;

/// A connection's state, as its lane shows it. A connection with several
/// requests in flight (pipelining) shows the furthest along at the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConnState {
    /// Accepted by the server; the client's side is not up yet.
    Connecting,
    /// A request was written and has not reached the server yet: it waits
    /// in the kernel until the server's loop reads it.
    Waiting,
    /// A request is at the server: arrived, its handler run or running,
    /// its response not ended.
    Serving,
    /// The response ended and is on its way to the client.
    Returning,
    /// Open with nothing in flight (kept alive).
    Idle,
    Closed,
}

impl ConnState {
    /// A request is in flight on it.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            ConnState::Waiting | ConnState::Serving | ConnState::Returning
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            ConnState::Connecting => "connecting",
            ConnState::Waiting => "waiting",
            ConnState::Serving => "at server",
            ConnState::Returning => "returning",
            ConnState::Idle => "idle",
            ConnState::Closed => "closed",
        }
    }
}

/// Running totals after a net event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetCounts {
    /// Connections opened so far, by state (active: a request in flight).
    pub connecting: u32,
    pub active: u32,
    pub idle: u32,
    pub closed: u32,
    /// Requests waiting for a socket of an agent (not yet written).
    pub queued: u32,
    /// Written by a client, not yet read by the server: in the kernel.
    pub in_kernel: u32,
    /// Read by the server, handler not yet run (behind an earlier request
    /// on the same connection).
    pub arrived: u32,
    /// Handler run, response not yet ended: the server's requests in flight.
    pub handling: u32,
    /// Response ended, not yet whole at the client.
    pub returning: u32,
    /// Requests written, responses ended, responses received, requests
    /// failed, connections dropped (`maxConnections`), since the start.
    pub sent: u32,
    pub responded: u32,
    pub received: u32,
    pub failed: u32,
    pub dropped: u32,
    /// Deliveries waiting in the kernel when poll last looked.
    pub backlog: u32,
    /// Servers listening.
    pub listening: u32,
}

impl NetCounts {
    /// Connections opened so far.
    pub fn connections(&self) -> u32 {
        self.connecting + self.active + self.idle + self.closed
    }

    /// Requests written and not yet answered or failed: the clients' view
    /// of requests in flight.
    pub fn client_in_flight(&self) -> u32 {
        self.in_kernel + self.arrived + self.handling + self.returning
    }
}

/// A server: its number, port, and when it listened and closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLife {
    pub number: u16,
    pub port: u32,
    pub listen: u32,
    /// `server.close()` (`u32::MAX`: never).
    pub closed: u32,
}

/// A connection's history.
#[derive(Debug, Clone, Default)]
struct ConnLife {
    /// The event that first named it (`NEVER`: a number never used).
    first: u32,
    /// Its server (from the accept).
    server: Option<u16>,
    /// (seq, time, state, current request or `NEVER`) at each change.
    changes: Vec<Change>,
    /// Sequence numbers of the responses the server ended on it.
    served: Vec<u32>,
}

#[derive(Debug, Clone, Copy)]
struct Change {
    seq: u32,
    time_ns: u64,
    state: ConnState,
    request: u32,
}

/// Where a request is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Stage {
    #[default]
    Unknown,
    Queued,
    Kernel,
    Arrived,
    Handling,
    Returning,
    Done,
    Failed,
    /// Its connection closed under it.
    Gone,
}

#[derive(Debug, Clone, Copy)]
struct RequestLife {
    conn: u32,
    sent: u32,
    sent_ns: u64,
    received: u32,
    received_ns: u64,
    status: u16,
    failed: u32,
    stage: Stage,
}

impl Default for RequestLife {
    fn default() -> Self {
        RequestLife {
            conn: NEVER,
            sent: NEVER,
            sent_ns: 0,
            received: NEVER,
            received_ns: 0,
            status: 0,
            failed: NEVER,
            stage: Stage::Unknown,
        }
    }
}

/// A whole response at the client, with its latency.
#[derive(Debug, Clone, Copy)]
struct Receipt {
    seq: u32,
    time_ns: u64,
    latency_ns: u64,
}

/// Latency figures of a set of responses (nanoseconds). A percentile is
/// the smallest latency with at least that share of responses at or
/// below it (autocannon's HDR histogram, at full precision).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LatencyStats {
    pub count: u32,
    pub p2_5: u64,
    pub p50: u64,
    pub p95: u64,
    pub p97_5: u64,
    pub p99: u64,
    pub min: u64,
    pub max: u64,
    pub mean: f64,
    pub stdev: f64,
}

impl LatencyStats {
    /// The figures of `samples` (sorted here).
    pub fn of(samples: &mut [u64]) -> LatencyStats {
        if samples.is_empty() {
            return LatencyStats::default();
        }
        samples.sort_unstable();
        let n = samples.len();
        let at = |p: f64| {
            let rank = ((p / 100.0) * n as f64).ceil().max(1.0) as usize;
            samples[rank.min(n) - 1]
        };
        let mean = samples.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
        let var = samples
            .iter()
            .map(|&v| (v as f64 - mean).powi(2))
            .sum::<f64>()
            / n as f64;
        LatencyStats {
            count: n as u32,
            p2_5: at(2.5),
            p50: at(50.0),
            p95: at(95.0),
            p97_5: at(97.5),
            p99: at(99.0),
            min: samples[0],
            max: samples[n - 1],
            mean,
            stdev: var.sqrt(),
        }
    }
}

/// One time bucket of the charts, up to the cursor.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BucketPoint {
    pub start_ns: u64,
    /// The bucket's width, or for the bucket the cursor is in, the part
    /// of it that has passed.
    pub elapsed_ns: u64,
    /// Responses received in it, and their latency figures.
    pub latency: LatencyStats,
}

impl BucketPoint {
    /// Responses per second of model time.
    pub fn per_second(&self) -> f64 {
        if self.elapsed_ns == 0 {
            0.0
        } else {
            self.latency.count as f64 * 1e9 / self.elapsed_ns as f64
        }
    }
}

/// A load generator's result, autocannon's table (at its end).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LoadTable {
    /// Requests written and responses received between its start and end.
    pub sent: u32,
    pub responses: u32,
    pub duration_ns: u64,
    pub latency: LatencyStats,
    /// Responses by class: 1xx..5xx.
    pub classes: [u32; 5],
    /// Failed requests and dropped connections while it ran.
    pub errors: u32,
}

impl LoadTable {
    pub fn non_2xx(&self) -> u32 {
        self.classes[0] + self.classes[2] + self.classes[3] + self.classes[4]
    }

    /// Average responses per second over its duration.
    pub fn per_second(&self) -> f64 {
        if self.duration_ns == 0 {
            0.0
        } else {
            self.responses as f64 * 1e9 / self.duration_ns as f64
        }
    }
}

/// A load generator (`autocannon(..)`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadLife {
    pub number: u16,
    pub connections: u32,
    pub start: u32,
    pub start_ns: u64,
    /// Its end (`u32::MAX`: the run stopped first).
    pub end: u32,
    pub end_ns: u64,
    /// The responses it counted, as its end reported them.
    pub reported: u32,
    pub table: LoadTable,
}

/// A load generator at a cursor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LoadAt {
    /// Under way: responses received since it started, and the time it has run.
    Running {
        life: LoadLife,
        responses: u32,
        elapsed_ns: u64,
    },
    Done(LoadLife),
}

/// A connection at a cursor, for its lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaneAt {
    pub conn: u32,
    pub state: ConnState,
    /// The request in flight on it, or the last one.
    pub request: Option<u32>,
    /// Responses the server ended on it so far.
    pub served: u32,
    pub server: Option<u16>,
}

/// Servers, connections and requests of a trace, indexed for folding to
/// any cursor.
#[derive(Debug, Clone, Default)]
pub struct NetIndex {
    /// Sequence numbers of the net events; `counts[i]` holds after `events[i]`.
    events: Vec<u32>,
    counts: Vec<NetCounts>,
    pub servers: Vec<ServerLife>,
    /// By connection number.
    conns: Vec<ConnLife>,
    /// Connection numbers in the order they were first named.
    conn_order: Vec<u32>,
    /// By request number.
    requests: Vec<RequestLife>,
    /// In trace order.
    receipts: Vec<Receipt>,
    /// (seq, value) of each backlog report.
    backlogs: Vec<(u32, u32)>,
    pub loads: Vec<LoadLife>,
    /// The charts' time axes: the run cut at each load generator's start
    /// and end, each part with requests its own axis.
    segments: Vec<Segment>,
}

/// A stretch of the run with its own time axis: `BUCKETS` buckets of
/// `bucket_ns` from `start_ns`, spanning its requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeAxis {
    pub start_ns: u64,
    pub bucket_ns: u64,
}

impl TimeAxis {
    pub fn end_ns(&self) -> u64 {
        self.start_ns + BUCKETS as u64 * self.bucket_ns
    }
}

#[derive(Debug, Clone)]
struct Segment {
    /// Its first request activity: the cursor shows this segment from here.
    first_seq: u32,
    axis: TimeAxis,
    /// Per bucket: the figures of its responses; and the index in the
    /// receipts of each bucket's first (one more entry: the segment's end).
    buckets: Vec<LatencyStats>,
    bucket_first: Vec<u32>,
}

/// The builder's view of a connection.
#[derive(Debug, Clone, Default)]
struct ConnBuild {
    accepted: bool,
    connected: bool,
    closed: bool,
    kernel: u32,
    server: u32,
    returning: u32,
    outstanding: Vec<u32>,
    current: u32,
    state: Option<ConnState>,
}

impl ConnBuild {
    fn state(&self) -> ConnState {
        if self.closed {
            ConnState::Closed
        } else if self.server > 0 {
            ConnState::Serving
        } else if self.kernel > 0 {
            ConnState::Waiting
        } else if self.returning > 0 {
            ConnState::Returning
        } else if self.accepted && !self.connected {
            ConnState::Connecting
        } else {
            ConnState::Idle
        }
    }
}

/// The index under construction.
struct Builder {
    index: NetIndex,
    conns: Vec<ConnBuild>,
    counts: NetCounts,
}

impl Builder {
    fn conn(&mut self, conn: u32, seq: u32) -> &mut ConnBuild {
        let i = conn as usize;
        if self.conns.len() <= i {
            self.conns.resize(i + 1, ConnBuild::default());
            self.index.conns.resize(
                i + 1,
                ConnLife {
                    first: NEVER,
                    ..ConnLife::default()
                },
            );
        }
        if self.index.conns[i].first == NEVER {
            self.index.conns[i].first = seq;
            self.index.conn_order.push(conn);
            self.conns[i].current = NEVER;
        }
        &mut self.conns[i]
    }

    fn request(&mut self, id: u32) -> &mut RequestLife {
        let i = id as usize;
        if self.index.requests.len() <= i {
            self.index.requests.resize(i + 1, RequestLife::default());
        }
        &mut self.index.requests[i]
    }

    /// Moves request `id` to `to`, keeping the counts (global and its
    /// connection's) in step.
    fn stage(&mut self, id: u32, to: Stage) {
        let r = *self.request(id);
        let from = r.stage;
        if from == to {
            return;
        }
        let c = &mut self.counts;
        match from {
            Stage::Queued => c.queued -= 1,
            Stage::Kernel => c.in_kernel -= 1,
            Stage::Arrived => c.arrived -= 1,
            Stage::Handling => c.handling -= 1,
            Stage::Returning => c.returning -= 1,
            _ => {}
        }
        match to {
            Stage::Queued => c.queued += 1,
            Stage::Kernel => c.in_kernel += 1,
            Stage::Arrived => c.arrived += 1,
            Stage::Handling => c.handling += 1,
            Stage::Returning => c.returning += 1,
            _ => {}
        }
        if let Some(cb) = self.conns.get_mut(r.conn as usize) {
            match from {
                Stage::Kernel => cb.kernel -= 1,
                Stage::Arrived | Stage::Handling => cb.server -= 1,
                Stage::Returning => cb.returning -= 1,
                _ => {}
            }
            match to {
                Stage::Kernel => cb.kernel += 1,
                Stage::Arrived | Stage::Handling => cb.server += 1,
                Stage::Returning => cb.returning += 1,
                _ => {}
            }
            let was_open = matches!(
                from,
                Stage::Kernel | Stage::Arrived | Stage::Handling | Stage::Returning
            );
            let open = matches!(
                to,
                Stage::Kernel | Stage::Arrived | Stage::Handling | Stage::Returning
            );
            if !was_open && open {
                cb.outstanding.push(id);
                cb.current = id;
            } else if was_open && !open {
                cb.outstanding.retain(|&x| x != id);
                if let Some(&last) = cb.outstanding.last() {
                    cb.current = last;
                }
            }
        }
        self.index.requests[id as usize].stage = to;
    }

    /// Ties request `id` to connection `conn` (the first time it is seen
    /// on one).
    fn on_conn(&mut self, id: u32, conn: u32, seq: u32) {
        self.conn(conn, seq);
        let r = self.request(id);
        if r.conn == NEVER {
            r.conn = conn;
        }
    }

    /// Records connection `conn`'s state if it changed.
    fn settle(&mut self, conn: u32, seq: u32, time_ns: u64) {
        let Some(cb) = self.conns.get_mut(conn as usize) else {
            return;
        };
        let state = cb.state();
        let request = cb.current;
        let before = cb.state;
        let life = &mut self.index.conns[conn as usize];
        let same = life
            .changes
            .last()
            .is_some_and(|c| c.state == state && c.request == request);
        if !same {
            life.changes.push(Change {
                seq,
                time_ns,
                state,
                request,
            });
        }
        if before != Some(state) {
            cb.state = Some(state);
            let c = &mut self.counts;
            if let Some(b) = before {
                match b {
                    ConnState::Connecting => c.connecting -= 1,
                    ConnState::Idle => c.idle -= 1,
                    ConnState::Closed => c.closed -= 1,
                    _ => c.active -= 1,
                }
            }
            match state {
                ConnState::Connecting => c.connecting += 1,
                ConnState::Idle => c.idle += 1,
                ConnState::Closed => c.closed += 1,
                _ => c.active += 1,
            }
        }
    }
}

fn status_class(status: u16) -> usize {
    (status / 100).clamp(1, 5) as usize - 1
}

impl NetIndex {
    pub fn build(trace: &Trace) -> NetIndex {
        let mut b = Builder {
            index: NetIndex::default(),
            conns: Vec::new(),
            counts: NetCounts::default(),
        };
        // Request activity (seq, time), for the time axes.
        let mut activity: Vec<(u32, u64)> = Vec::new();
        for (seq, e) in trace.events.iter().enumerate() {
            let Kind::Net {
                event,
                conn,
                status,
                value,
            } = e.kind
            else {
                continue;
            };
            let seq = seq as u32;
            let t = e.time_ns;
            let conn = conn as u32;
            // The connection whose state the event may change.
            let mut touched: Option<u32> = None;
            match event {
                NetEvent::Listen => {
                    b.index.servers.push(ServerLife {
                        number: conn as u16,
                        port: value,
                        listen: seq,
                        closed: NEVER,
                    });
                    b.counts.listening += 1;
                }
                NetEvent::ServerClose => {
                    if let Some(s) = b
                        .index
                        .servers
                        .iter_mut()
                        .rev()
                        .find(|s| s.number as u32 == conn && s.closed == NEVER)
                    {
                        s.closed = seq;
                        b.counts.listening = b.counts.listening.saturating_sub(1);
                    }
                }
                NetEvent::Accept => {
                    b.conn(conn, seq).accepted = true;
                    b.index.conns[conn as usize].server = Some(value as u16);
                    touched = Some(conn);
                }
                NetEvent::Connect => {
                    b.conn(conn, seq).connected = true;
                    touched = Some(conn);
                }
                NetEvent::Idle | NetEvent::Reuse => {
                    b.conn(conn, seq);
                    touched = Some(conn);
                }
                NetEvent::Close | NetEvent::Dropped => {
                    let cb = b.conn(conn, seq);
                    let was_closed = std::mem::replace(&mut cb.closed, true);
                    let lost = cb.outstanding.clone();
                    for id in lost {
                        b.stage(id, Stage::Gone);
                    }
                    if event == NetEvent::Dropped && !was_closed {
                        b.counts.dropped += 1;
                    }
                    touched = Some(conn);
                }
                NetEvent::Send => {
                    b.on_conn(value, conn, seq);
                    let r = b.request(value);
                    r.sent = seq;
                    r.sent_ns = t;
                    b.stage(value, Stage::Kernel);
                    b.counts.sent += 1;
                    touched = Some(conn);
                }
                NetEvent::Arrive => {
                    b.on_conn(value, conn, seq);
                    b.stage(value, Stage::Arrived);
                    touched = Some(conn);
                }
                NetEvent::Handle => {
                    b.on_conn(value, conn, seq);
                    b.stage(value, Stage::Handling);
                    touched = Some(conn);
                }
                NetEvent::Respond => {
                    b.on_conn(value, conn, seq);
                    b.stage(value, Stage::Returning);
                    b.index.conns[conn as usize].served.push(seq);
                    b.counts.responded += 1;
                    touched = Some(conn);
                }
                NetEvent::Receive => {
                    b.on_conn(value, conn, seq);
                    let r = b.request(value);
                    r.received = seq;
                    r.received_ns = t;
                    r.status = status;
                    let latency_ns = if r.sent == NEVER {
                        0
                    } else {
                        t.saturating_sub(r.sent_ns)
                    };
                    b.stage(value, Stage::Done);
                    b.counts.received += 1;
                    b.index.receipts.push(Receipt {
                        seq,
                        time_ns: t,
                        latency_ns,
                    });
                    touched = Some(conn);
                }
                NetEvent::Queued => b.stage(value, Stage::Queued),
                NetEvent::Failed => {
                    b.request(value).failed = seq;
                    b.stage(value, Stage::Failed);
                    b.counts.failed += 1;
                    let c = b.index.requests[value as usize].conn;
                    if c != NEVER {
                        touched = Some(c);
                    }
                }
                NetEvent::Backlog => {
                    b.counts.backlog = value;
                    b.index.backlogs.push((seq, value));
                }
                NetEvent::Signal => {}
                NetEvent::LoadStart => b.index.loads.push(LoadLife {
                    number: conn as u16,
                    connections: value,
                    start: seq,
                    start_ns: t,
                    end: NEVER,
                    end_ns: 0,
                    reported: 0,
                    table: LoadTable::default(),
                }),
                NetEvent::LoadEnd => {
                    if let Some(l) = b
                        .index
                        .loads
                        .iter_mut()
                        .rev()
                        .find(|l| l.number as u32 == conn && l.end == NEVER)
                    {
                        l.end = seq;
                        l.end_ns = t;
                        l.reported = value;
                    }
                }
            }
            if matches!(
                event,
                NetEvent::Accept
                    | NetEvent::Connect
                    | NetEvent::Send
                    | NetEvent::Arrive
                    | NetEvent::Handle
                    | NetEvent::Respond
                    | NetEvent::Receive
                    | NetEvent::Failed
                    | NetEvent::LoadStart
            ) {
                activity.push((seq, t));
            }
            if let Some(c) = touched {
                b.settle(c, seq, t);
            }
            b.index.events.push(seq);
            b.index.counts.push(b.counts);
        }
        let mut index = b.index;
        index.build_segments(&activity);
        index.build_loads();
        index
    }

    /// The time axes: the run cut where a load generator starts and after
    /// it ends; each part with request activity gets sixty buckets over
    /// its span, with their latency figures.
    fn build_segments(&mut self, activity: &[(u32, u64)]) {
        let mut cuts: Vec<u32> = vec![0];
        for l in &self.loads {
            cuts.push(l.start);
            if l.end != NEVER {
                cuts.push(l.end + 1);
            }
        }
        cuts.sort_unstable();
        cuts.dedup();
        for (i, &cut) in cuts.iter().enumerate() {
            let next = cuts.get(i + 1).copied().unwrap_or(NEVER);
            let a = activity.partition_point(|x| x.0 < cut);
            let b = activity.partition_point(|x| x.0 < next);
            let (Some(&(first_seq, first)), Some(&(_, last))) = (
                activity.get(a),
                b.checked_sub(1).and_then(|j| activity.get(j)),
            ) else {
                continue;
            };
            if a >= b {
                continue;
            }
            let axis = TimeAxis {
                start_ns: first,
                bucket_ns: last.saturating_sub(first).max(1) / BUCKETS as u64 + 1,
            };
            let ra = self.receipts.partition_point(|r| r.seq < cut);
            let rb = self.receipts.partition_point(|r| r.seq < next);
            let part = &self.receipts[ra..rb];
            let mut bucket_first: Vec<u32> = (0..=BUCKETS)
                .map(|j| {
                    let t = first + j as u64 * axis.bucket_ns;
                    (ra + part.partition_point(|r| r.time_ns < t)) as u32
                })
                .collect();
            // Receipts before the axis starts count in the first bucket.
            bucket_first[0] = ra as u32;
            bucket_first[BUCKETS] = rb as u32;
            let buckets = (0..BUCKETS)
                .map(|j| {
                    let (x, y) = (bucket_first[j] as usize, bucket_first[j + 1] as usize);
                    let mut lat: Vec<u64> =
                        self.receipts[x..y].iter().map(|r| r.latency_ns).collect();
                    LatencyStats::of(&mut lat)
                })
                .collect();
            self.segments.push(Segment {
                first_seq,
                axis,
                buckets,
                bucket_first,
            });
        }
    }

    /// The segment the cursor is in (or the last one before it; the first
    /// when the cursor comes before any).
    fn segment_at(&self, cursor: u32) -> Option<&Segment> {
        let i = self.segments.partition_point(|s| s.first_seq <= cursor);
        self.segments.get(i.saturating_sub(1))
    }

    /// The time axis the charts and lanes use at `cursor`: that of the
    /// stretch of the run the cursor is in (a load generator's run, or the
    /// requests between them).
    pub fn axis_at(&self, cursor: u32) -> Option<TimeAxis> {
        self.segment_at(cursor).map(|s| s.axis)
    }

    /// Each finished load generator's table.
    fn build_loads(&mut self) {
        for l in &mut self.loads {
            if l.end == NEVER {
                continue;
            }
            let mut table = LoadTable {
                duration_ns: l.end_ns.saturating_sub(l.start_ns),
                ..LoadTable::default()
            };
            let mut lat = Vec::new();
            for r in &self.requests {
                if r.sent == NEVER || r.sent < l.start || r.sent > l.end {
                    continue;
                }
                table.sent += 1;
                if r.received <= l.end {
                    table.responses += 1;
                    table.classes[status_class(r.status)] += 1;
                    lat.push(r.received_ns.saturating_sub(r.sent_ns));
                } else if r.failed <= l.end {
                    table.errors += 1;
                }
            }
            let dropped_at = |seq: u32| {
                let i = self.events.partition_point(|&s| s <= seq);
                i.checked_sub(1).map_or(0, |i| self.counts[i].dropped)
            };
            table.errors += dropped_at(l.end) - dropped_at(l.start);
            table.latency = LatencyStats::of(&mut lat);
            l.table = table;
        }
    }

    /// No server listened: the player hides the view.
    pub fn is_empty(&self) -> bool {
        self.servers.is_empty()
    }

    /// The running totals at `cursor`.
    pub fn counts_at(&self, cursor: u32) -> NetCounts {
        let i = self.events.partition_point(|&s| s <= cursor);
        i.checked_sub(1)
            .map_or_else(NetCounts::default, |i| self.counts[i])
    }

    /// The servers that have listened by `cursor`, with whether each has
    /// closed since.
    pub fn servers_at(&self, cursor: u32) -> Vec<(ServerLife, bool)> {
        self.servers
            .iter()
            .filter(|s| s.listen <= cursor)
            .map(|s| (*s, s.closed <= cursor))
            .collect()
    }

    /// The latest backlog report at or before `cursor`: (seq, value).
    pub fn backlog_at(&self, cursor: u32) -> Option<(u32, u32)> {
        let i = self.backlogs.partition_point(|b| b.0 <= cursor);
        i.checked_sub(1).map(|i| self.backlogs[i])
    }

    /// A request's latency (write to whole response), once received.
    pub fn latency_ns(&self, request: u32) -> Option<u64> {
        let r = self.requests.get(request as usize)?;
        (r.received != NEVER && r.sent != NEVER).then(|| r.received_ns.saturating_sub(r.sent_ns))
    }

    /// Connection `conn`'s change in force at `cursor`.
    fn change_at(&self, conn: u32, cursor: u32) -> Option<&Change> {
        let changes = &self.conns.get(conn as usize)?.changes;
        let i = changes.partition_point(|c| c.seq <= cursor);
        changes.get(i.checked_sub(1)?)
    }

    /// Connection `conn` at `cursor` (`None`: not opened yet).
    pub fn lane_at(&self, conn: u32, cursor: u32) -> Option<LaneAt> {
        let life = self.conns.get(conn as usize)?;
        if life.first == NEVER || life.first > cursor {
            return None;
        }
        let (state, request) = match self.change_at(conn, cursor) {
            Some(c) => (c.state, (c.request != NEVER).then_some(c.request)),
            None => (ConnState::Connecting, None),
        };
        Some(LaneAt {
            conn,
            state,
            request,
            served: life.served.partition_point(|&s| s <= cursor) as u32,
            server: life.server,
        })
    }

    /// Up to `max` connections at `cursor` for lanes: the open ones
    /// before the closed, the busiest (most responses) first among those,
    /// shown in connection order. Only the latest 4096 connections opened
    /// are considered, so that a frame stays cheap.
    pub fn lanes_at(&self, cursor: u32, max: usize) -> Vec<LaneAt> {
        const CONSIDER: usize = 4096;
        let opened = self
            .conn_order
            .partition_point(|&c| self.conns[c as usize].first <= cursor);
        let from = opened.saturating_sub(CONSIDER);
        let mut lanes: Vec<LaneAt> = self.conn_order[from..opened]
            .iter()
            .filter_map(|&c| self.lane_at(c, cursor))
            .collect();
        lanes.sort_by_key(|l| {
            (
                l.state == ConnState::Closed,
                std::cmp::Reverse(l.served),
                l.conn,
            )
        });
        lanes.truncate(max);
        lanes.sort_by_key(|l| l.conn);
        lanes
    }

    /// Connection `conn`'s lane over `width` columns spanning
    /// `[from_ns, to_ns)`, up to `cursor` (whose time is `now_ns`): each
    /// column the state it spent most of its time in (`None`: before it
    /// opened, or after the cursor).
    pub fn lane_cells(
        &self,
        conn: u32,
        cursor: u32,
        now_ns: u64,
        (from_ns, to_ns): (u64, u64),
        width: usize,
    ) -> Vec<Option<ConnState>> {
        let mut out = vec![None; width];
        let Some(life) = self.conns.get(conn as usize) else {
            return out;
        };
        if width == 0 || life.first == NEVER || life.first > cursor || to_ns <= from_ns {
            return out;
        }
        let upto = life.changes.partition_point(|c| c.seq <= cursor);
        let changes = &life.changes[..upto];
        let span = (to_ns - from_ns) as u128;
        let col_start = |i: usize| from_ns + (span * i as u128 / width as u128) as u64;
        // Changes before the axis starts set the first column's state.
        let mut k = changes.partition_point(|c| c.time_ns <= from_ns);
        let mut state: Option<ConnState> = k.checked_sub(1).map(|i| changes[i].state);
        for (i, cell) in out.iter_mut().enumerate() {
            let (a, b) = (col_start(i), col_start(i + 1).max(col_start(i) + 1));
            if a > now_ns {
                break;
            }
            let end = b.min(now_ns.max(a + 1));
            // Time in each state over [a, end).
            let mut spent = [0u64; 6];
            let mut t = a;
            while k < changes.len() && changes[k].time_ns < end {
                if let Some(s) = state {
                    spent[s as usize] += changes[k].time_ns.saturating_sub(t);
                }
                // A change in the column counts at least a little, so
                // short requests show.
                spent[changes[k].state as usize] += 1;
                t = changes[k].time_ns.max(t);
                state = Some(changes[k].state);
                k += 1;
            }
            if let Some(s) = state {
                spent[s as usize] += end.saturating_sub(t);
            }
            *cell = state.map(|_| {
                // Ties go to the state most worth seeing (active first).
                let order = [
                    ConnState::Serving,
                    ConnState::Waiting,
                    ConnState::Returning,
                    ConnState::Connecting,
                    ConnState::Idle,
                    ConnState::Closed,
                ];
                let mut best = order[0];
                for s in order {
                    if spent[s as usize] > spent[best as usize] {
                        best = s;
                    }
                }
                best
            });
            if spent.iter().all(|&v| v == 0) {
                *cell = None;
            }
        }
        out
    }

    /// The chart buckets of the cursor's axis up to the cursor (`now_ns`:
    /// its time): the finished ones, and the one in progress with what it
    /// has so far.
    pub fn series(&self, cursor: u32, now_ns: u64) -> Vec<BucketPoint> {
        let Some(seg) = self.segment_at(cursor) else {
            return Vec::new();
        };
        let axis = seg.axis;
        if now_ns < axis.start_ns {
            return Vec::new();
        }
        let current = ((now_ns - axis.start_ns) / axis.bucket_ns) as usize;
        let mut out: Vec<BucketPoint> = (0..current.min(BUCKETS))
            .map(|i| BucketPoint {
                start_ns: axis.start_ns + i as u64 * axis.bucket_ns,
                elapsed_ns: axis.bucket_ns,
                latency: seg.buckets[i],
            })
            .collect();
        if current < BUCKETS {
            let start_ns = axis.start_ns + current as u64 * axis.bucket_ns;
            let a = seg.bucket_first[current] as usize;
            let end = seg.bucket_first[BUCKETS] as usize;
            let k = self
                .receipts
                .partition_point(|r| r.seq <= cursor)
                .clamp(a, end);
            let mut lat: Vec<u64> = self.receipts[a..k].iter().map(|r| r.latency_ns).collect();
            out.push(BucketPoint {
                start_ns,
                elapsed_ns: now_ns - start_ns,
                latency: LatencyStats::of(&mut lat),
            });
        }
        out
    }

    /// The responses received in the `window_ns` up to the cursor (at
    /// `now_ns`), or if none came then, in the `window_ns` up to the
    /// latest one before it: "latency now". Returns the figures and the
    /// window's end.
    pub fn recent(&self, cursor: u32, now_ns: u64, window_ns: u64) -> (LatencyStats, u64) {
        let k = self.receipts.partition_point(|r| r.seq <= cursor);
        let Some(last) = k.checked_sub(1).map(|i| self.receipts[i]) else {
            return (LatencyStats::default(), now_ns);
        };
        let end = if now_ns.saturating_sub(last.time_ns) < window_ns {
            now_ns
        } else {
            last.time_ns
        };
        let from = end.saturating_sub(window_ns);
        let a = self.receipts[..k].partition_point(|r| r.time_ns <= from);
        let mut lat: Vec<u64> = self.receipts[a..k].iter().map(|r| r.latency_ns).collect();
        (LatencyStats::of(&mut lat), end)
    }

    /// The load generators started by `cursor` (`now_ns`: its time).
    pub fn loads_at(&self, cursor: u32, now_ns: u64) -> Vec<LoadAt> {
        self.loads
            .iter()
            .filter(|l| l.start <= cursor)
            .map(|l| {
                if l.end <= cursor {
                    LoadAt::Done(*l)
                } else {
                    let a = self.receipts.partition_point(|r| r.seq < l.start);
                    let k = self.receipts.partition_point(|r| r.seq <= cursor);
                    LoadAt::Running {
                        life: *l,
                        responses: k.saturating_sub(a) as u32,
                        elapsed_ns: now_ns.saturating_sub(l.start_ns),
                    }
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Event, Phase};

    /// A trace from `(time_ns, event, conn, status, value)` rows, with a
    /// non-net event between each, so cursors fall between net events too.
    fn trace(rows: &[(u64, NetEvent, u16, u16, u32)]) -> Trace {
        let mut t = Trace::default();
        for &(time, event, conn, status, value) in rows {
            t.push(Event::new(time, 1, Phase::Poll, Kind::DrainStart));
            t.push(Event::new(
                time,
                1,
                Phase::Poll,
                Kind::Net {
                    event,
                    conn,
                    status,
                    value,
                },
            ));
        }
        t
    }

    use NetEvent as N;

    /// One server, two connections, three requests: r0 and r1 answered
    /// quickly, r2 held 10 ms by a blocked handler, then everything closes.
    fn two_connections() -> Trace {
        trace(&[
            (0, N::Listen, 0, 0, 8080),
            (0, N::LoadStart, 0, 0, 2),
            (1_000, N::Backlog, 0, 0, 2),
            (1_000, N::Accept, 0, 0, 0),
            (1_000, N::Connect, 0, 0, 0),
            (1_000, N::Send, 0, 0, 0),
            (2_000, N::Accept, 1, 0, 0),
            (2_000, N::Connect, 1, 0, 0),
            (2_000, N::Send, 1, 0, 1),
            (3_000, N::Arrive, 0, 0, 0),
            (3_000, N::Handle, 0, 0, 0),
            (3_000, N::Respond, 0, 200, 0),
            (3_000, N::Idle, 0, 0, 0),
            (4_000, N::Arrive, 1, 0, 1),
            (4_000, N::Handle, 1, 0, 1),
            (4_000, N::Respond, 1, 500, 1),
            (5_000, N::Receive, 0, 200, 0),
            (5_000, N::Send, 0, 0, 2),
            (6_000, N::Receive, 1, 500, 1),
            (7_000, N::Arrive, 0, 0, 2),
            (7_000, N::Handle, 0, 0, 2),
            (17_000, N::Respond, 0, 200, 2),
            (18_000, N::Receive, 0, 200, 2),
            (18_000, N::LoadEnd, 0, 0, 3),
            (19_000, N::Close, 0, 0, 0),
            (19_000, N::Close, 1, 0, 0),
            (20_000, N::ServerClose, 0, 0, 0),
        ])
    }

    /// The seq of the `n`-th net event (0-based) in a [`trace`].
    fn at(n: u32) -> u32 {
        2 * n + 1
    }

    #[test]
    fn counts_follow_the_requests_through_their_stages() {
        let t = two_connections();
        let ix = NetIndex::build(&t);
        assert!(!ix.is_empty());
        assert_eq!(ix.counts_at(0), NetCounts::default(), "before the listen");
        let c = ix.counts_at(at(8));
        assert_eq!((c.sent, c.in_kernel, c.active, c.listening), (2, 2, 2, 1));
        assert_eq!(c.backlog, 2);
        // r0 answered and idle on its connection, r1 at the server.
        let c = ix.counts_at(at(13));
        assert_eq!((c.in_kernel, c.arrived, c.handling), (0, 1, 0));
        assert_eq!((c.returning, c.responded), (1, 1));
        assert_eq!((c.active, c.idle), (2, 0), "r0 still on its way back");
        // r2 handled for 10 ms: the server's one request in flight.
        let c = ix.counts_at(at(20));
        assert_eq!((c.handling, c.active, c.idle), (1, 1, 1));
        assert_eq!(c.client_in_flight(), 1);
        let end = ix.counts_at(t.events.len() as u32);
        assert_eq!(
            (end.received, end.closed, end.active, end.listening),
            (3, 2, 0, 0)
        );
        assert_eq!(end.connections(), 2);
    }

    #[test]
    fn lanes_show_each_connections_state_and_busiest_first() {
        let t = two_connections();
        let ix = NetIndex::build(&t);
        assert!(ix.lane_at(1, at(5)).is_none(), "c1 not opened yet");
        let l = ix.lane_at(0, at(20)).expect("c0 open");
        assert_eq!(
            (l.state, l.request, l.served),
            (ConnState::Serving, Some(2), 1)
        );
        let l = ix.lane_at(1, at(20)).expect("c1 open");
        assert_eq!(
            (l.state, l.request, l.served),
            (ConnState::Idle, Some(1), 1)
        );
        assert_eq!(
            ix.lane_at(0, at(5)).map(|l| l.state),
            Some(ConnState::Waiting)
        );
        // One lane: the busiest (c0 served two by the end).
        let lanes = ix.lanes_at(at(22), 1);
        assert_eq!(lanes.len(), 1);
        assert_eq!((lanes[0].conn, lanes[0].served), (0, 2));
        // Closed ones last.
        let lanes = ix.lanes_at(t.events.len() as u32, 5);
        assert!(lanes.iter().all(|l| l.state == ConnState::Closed));
    }

    #[test]
    fn a_lane_shows_the_state_each_column_spent_most_time_in() {
        let t = two_connections();
        let ix = NetIndex::build(&t);
        // 20 columns of 1 µs over 0..20 µs; the cursor at the end.
        let end = t.events.len() as u32;
        let cells = ix.lane_cells(0, end, 20_000, (0, 20_000), 20);
        assert_eq!(cells[0], None, "not open before 1 µs");
        assert_eq!(cells[1], Some(ConnState::Waiting));
        assert_eq!(cells[10], Some(ConnState::Serving), "the blocked handler");
        assert_eq!(cells[17], Some(ConnState::Returning));
        assert_eq!(cells[19], Some(ConnState::Closed));
        // Up to a cursor: nothing after its time.
        let cells = ix.lane_cells(0, at(20), 7_000, (0, 20_000), 20);
        assert!(cells[8..].iter().all(Option::is_none), "{cells:?}");
    }

    #[test]
    fn latencies_and_percentiles_per_bucket_up_to_the_cursor() {
        let t = two_connections();
        let ix = NetIndex::build(&t);
        assert_eq!(ix.latency_ns(0), Some(4_000));
        assert_eq!(ix.latency_ns(1), Some(4_000));
        assert_eq!(ix.latency_ns(2), Some(13_000));
        assert_eq!(ix.latency_ns(3), None);
        // The load's axis spans its requests (0 to 18 µs) in 60 buckets.
        let axis = ix.axis_at(at(10)).expect("an axis");
        assert_eq!((axis.start_ns, axis.bucket_ns), (0, 18_000 / 60 + 1));
        let end = t.events.len() as u32 - 1;
        let series = ix.series(end, 20_000);
        assert_eq!(series.len(), BUCKETS);
        let total: u32 = series.iter().map(|b| b.latency.count).sum();
        assert_eq!(total, 3);
        let max_p99 = series.iter().map(|b| b.latency.p99).max();
        assert_eq!(max_p99, Some(13_000));
        // Before r2's response: only the two fast ones, nothing from later.
        let early = ix.series(at(18), 6_000);
        assert_eq!(early.iter().map(|b| b.latency.count).sum::<u32>(), 2);
        assert!(early.iter().all(|b| b.latency.max <= 4_000));
        assert!(early.last().is_some_and(|b| b.start_ns <= 6_000));
        assert!(ix.series(0, 0).len() <= 1);
    }

    #[test]
    fn recent_latency_looks_back_from_the_cursor_or_the_last_response() {
        let t = two_connections();
        let ix = NetIndex::build(&t);
        // At r1's receipt (6 µs): r0 and r1 in the last 5 µs.
        let (s, end) = ix.recent(at(18), 6_000, 5_000);
        assert_eq!((s.count, s.max, end), (2, 4_000, 6_000));
        // Long after the last response: the window ends at it (18 µs).
        let (s, end) = ix.recent(t.events.len() as u32, 90_000, 5_000);
        assert_eq!((s.count, s.p99, end), (1, 13_000, 18_000));
        assert_eq!(ix.recent(0, 0, 5_000).0.count, 0);
    }

    #[test]
    fn a_load_generators_table_appears_at_its_end() {
        let t = two_connections();
        let ix = NetIndex::build(&t);
        match ix.loads_at(at(18), 6_000).as_slice() {
            [LoadAt::Running { responses, .. }] => assert_eq!(*responses, 2),
            other => panic!("{other:?}"),
        }
        let done = ix.loads_at(at(23), 18_000);
        let [LoadAt::Done(l)] = done.as_slice() else {
            panic!("{done:?}")
        };
        let table = l.table;
        assert_eq!((table.sent, table.responses, l.reported), (3, 3, 3));
        assert_eq!(table.non_2xx(), 1);
        assert_eq!(table.errors, 0);
        assert_eq!(table.duration_ns, 18_000);
        assert_eq!((table.latency.p50, table.latency.p99), (4_000, 13_000));
        assert_eq!(table.latency.max, 13_000);
        assert!((table.latency.mean - 7_000.0).abs() < 1e-6);
        assert!((table.per_second() - 3.0 / 18e-6).abs() < 1.0);
    }

    #[test]
    fn queued_failed_and_dropped_requests_are_counted() {
        let t = trace(&[
            (0, N::Listen, 0, 0, 80),
            (0, N::Queued, 3, 0, 7),
            (1, N::Accept, 0, 0, 0),
            (1, N::Connect, 0, 0, 3),
            (1, N::Reuse, 0, 0, 7),
            (2, N::Send, 0, 0, 7),
            (3, N::Failed, 0, 0, 7),
            (4, N::Dropped, 1, 0, 0),
            (5, N::Close, 0, 0, 1),
        ]);
        let ix = NetIndex::build(&t);
        let c = ix.counts_at(at(1));
        assert_eq!((c.queued, c.sent, c.connections()), (1, 0, 0));
        let c = ix.counts_at(at(5));
        assert_eq!((c.queued, c.in_kernel, c.active), (0, 1, 1));
        let c = ix.counts_at(at(6));
        assert_eq!((c.in_kernel, c.failed, c.active, c.idle), (0, 1, 0, 1));
        let c = ix.counts_at(at(8));
        assert_eq!((c.dropped, c.closed, c.connections()), (1, 2, 2));
        assert_eq!(ix.latency_ns(7), None);
    }

    #[test]
    fn a_connection_closed_under_its_requests_leaves_none_in_flight() {
        let t = trace(&[
            (0, N::Listen, 0, 0, 80),
            (1, N::Accept, 0, 0, 0),
            (1, N::Connect, 0, 0, 0),
            (2, N::Send, 0, 0, 0),
            (3, N::Arrive, 0, 0, 0),
            (3, N::Handle, 0, 0, 0),
            (4, N::Close, 0, 0, 1),
            (5, N::Close, 0, 0, 0),
        ]);
        let ix = NetIndex::build(&t);
        let c = ix.counts_at(at(5));
        assert_eq!((c.handling, c.active), (1, 1));
        let c = ix.counts_at(at(7));
        assert_eq!((c.handling, c.client_in_flight(), c.closed), (0, 0, 1));
        assert_eq!(c.connections(), 1, "a second close changes nothing");
    }

    #[test]
    fn each_load_generator_gets_its_own_time_axis() {
        let t = trace(&[
            (0, N::Listen, 0, 0, 80),
            (1_000, N::Accept, 0, 0, 0),
            (1_000, N::Connect, 0, 0, 0),
            (1_000, N::Send, 0, 0, 0),
            (1_500, N::Arrive, 0, 0, 0),
            (1_500, N::Handle, 0, 0, 0),
            (1_500, N::Respond, 0, 200, 0),
            (2_000, N::Receive, 0, 200, 0),
            (100_000, N::LoadStart, 0, 0, 1),
            (100_000, N::Accept, 1, 0, 0),
            (100_000, N::Connect, 1, 0, 0),
            (100_000, N::Send, 1, 0, 1),
            (100_500, N::Arrive, 1, 0, 1),
            (100_500, N::Handle, 1, 0, 1),
            (100_500, N::Respond, 1, 200, 1),
            (101_000, N::Receive, 1, 200, 1),
            (200_000, N::LoadEnd, 0, 0, 1),
            (300_000, N::Send, 0, 0, 2),
            (300_500, N::Arrive, 0, 0, 2),
            (300_500, N::Handle, 0, 0, 2),
            (300_500, N::Respond, 0, 200, 2),
            (310_000, N::Receive, 0, 200, 2),
        ]);
        let ix = NetIndex::build(&t);
        let start = |n: u32| ix.axis_at(at(n)).map(|a| a.start_ns);
        assert_eq!(start(0), Some(1_000), "before any request: the first axis");
        assert_eq!(start(7), Some(1_000));
        assert_eq!(start(8), Some(100_000), "the load's own axis");
        assert_eq!(start(16), Some(100_000), "its end still shows it");
        assert_eq!(start(17), Some(300_000), "the requests after it");
        let load = ix.axis_at(at(15)).expect("an axis");
        assert_eq!(load.bucket_ns, 1_000 / BUCKETS as u64 + 1);
        // The load's chart holds its response only.
        let series = ix.series(at(16), 200_000);
        assert_eq!(series.iter().map(|b| b.latency.count).sum::<u32>(), 1);
        assert_eq!(series.iter().map(|b| b.latency.max).max(), Some(1_000));
        let after = ix.series(at(21), 310_000);
        assert_eq!(after.iter().map(|b| b.latency.max).max(), Some(10_000));
    }

    #[test]
    fn latency_stats_are_samples() {
        let s = LatencyStats::of(&mut [1, 2, 3, 4, 100]);
        assert_eq!((s.p50, s.p99, s.p2_5, s.max, s.min), (3, 100, 1, 100, 1));
        assert!((s.mean - 22.0).abs() < 1e-9);
        assert_eq!(LatencyStats::of(&mut []), LatencyStats::default());
    }

    #[test]
    fn a_trace_without_servers_is_empty() {
        let ix = NetIndex::build(&Trace::default());
        assert!(ix.is_empty());
        assert!(ix.series(0, 0).is_empty() || ix.series(0, 0)[0].latency.count == 0);
        assert!(ix.lanes_at(0, 4).is_empty());
        assert!(ix.loads_at(0, 0).is_empty());
    }
}
