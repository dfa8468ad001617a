//! A load generator with the options and results of the `autocannon` npm
//! package (9.0.0, `lib/run.js` and `lib/httpClient.js`):
//!
//! - `connections` sockets; each writes `pipelining` requests at once
//!   (before its connect completes) and one more per response.
//! - With `amount`, each connection may write `floor(amount / connections)`
//!   requests (one more for the first `amount % connections`); its next
//!   attempt destroys the socket, dropping pipelined responses in flight.
//!   Without it, a `duration` timer (10 s by default) ends the run.
//! - A sample every second (`setInterval`, `sampleInt`): responses and
//!   bytes since the last one. The run ends at the first sample after the
//!   last connection is done or the duration is over, and the callback is
//!   called from that sample (the timers phase).
//! - Latency from the write to the response's end, in milliseconds,
//!   recorded as whole milliseconds (hdr-histogram-js truncates).
//! - A socket error counts in `errors` and the connection reconnects at
//!   once; a request unanswered for `timeout` seconds (10) counts in
//!   `timeouts` and `errors`.
//!
//! It runs on the scenario's own loop, as autocannon does when a script
//! `require`s it: its work per response ([`super::Costs::client_ns`]) is
//! loop time the server does not get.

use super::{Exchange, NetEvent, Owner, http};
use crate::runtime::driver::{Step, call_traced, close_scope, uncaught};
use crate::runtime::{HostTypes, Invoke, Origin, Runtime, Shared};
use crate::trace::CbId;

/// `autocannon(opts, cb)`'s options the model knows.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub target: http::Target,
    pub connections: u32,
    pub pipelining: u32,
    /// Stop after this many requests (autocannon's `amount`).
    pub amount: Option<u64>,
    /// Seconds (autocannon's default: 10); ignored when `amount` is set.
    pub duration_s: f64,
    /// Seconds before a request counts as a timeout (default 10).
    pub timeout_s: f64,
    pub method: String,
}

/// One of the generator's clients (`lib/httpClient.js`): a connection
/// slot that reconnects after an error.
#[derive(Debug, Clone)]
pub struct Client {
    pub conn: u32,
    /// Requests this client may write (`maxRequests`), if limited.
    pub cap: Option<u64>,
    pub sent: u64,
    pub done: bool,
    /// The request timeout's deadline (loop ms), reset on every write.
    pub timeout_at: u64,
}

/// One running load generator.
pub struct LoadGen<H: HostTypes> {
    pub options: LoadOptions,
    pub started_ns: u64,
    pub sent: u64,
    pub completed: u64,
    /// Responses by class: 1xx..5xx.
    pub classes: [u64; 5],
    pub errors: u64,
    pub timeouts: u64,
    pub resets: u64,
    pub bytes: u64,
    /// Latencies of the responses as recorded (whole ms), in arrival order.
    pub latencies_ms: Vec<u64>,
    /// The samples: responses and bytes per interval.
    pub samples: Vec<(u64, u64)>,
    /// Since the last sample.
    counter: u64,
    counted_bytes: u64,
    /// The next sample (loop ms).
    pub next_sample_ms: u64,
    /// `stop`: set when every client is done or the duration is over.
    pub stop: bool,
    pub cb: (H::Func, CbId),
    pub finished: bool,
    pub finished_ns: u64,
    pub clients: Vec<Client>,
}

/// The sample interval (`sampleInt`, ms).
pub const SAMPLE_MS: u64 = 1000;

impl<H: HostTypes> LoadGen<H> {
    /// The next timer this generator needs (loop ms).
    pub fn deadline_ms(&self) -> Option<u64> {
        if self.finished {
            return None;
        }
        let timeouts = self
            .clients
            .iter()
            .filter(|c| !c.done)
            .map(|c| c.timeout_at)
            .min();
        Some(timeouts.map_or(self.next_sample_ms, |t| t.min(self.next_sample_ms)))
    }

    fn duration_over(&self, loop_ms: u64) -> bool {
        self.options.amount.is_none()
            && loop_ms
                >= self.started_ns / 1_000_000 + (self.options.duration_s * 1000.0).round() as u64
    }

    fn client_of(&mut self, conn: u32) -> Option<&mut Client> {
        self.clients.iter_mut().find(|c| c.conn == conn && !c.done)
    }
}

/// `connections cannot be greater than amount`.
pub fn validate(options: &LoadOptions) -> Result<(), String> {
    if let Some(a) = options.amount
        && (options.connections as u64) > a
    {
        return Err("connections cannot be greater than amount".into());
    }
    Ok(())
}

impl<H: HostTypes> Runtime<H> {
    /// `autocannon(opts, cb)`: opens the connections and writes the first
    /// requests now.
    pub fn start_load(&mut self, options: LoadOptions, cb: (H::Func, CbId)) -> u32 {
        let id = self.net.loads.len() as u32;
        let now = self.clock.now_ns();
        let loop_ms = self.clock.loop_ms();
        let connections = options.connections.max(1);
        let port = options.target.port;
        let caps: Vec<Option<u64>> = (0..connections as u64)
            .map(|i| {
                options.amount.map(|a| {
                    let n = connections as u64;
                    a / n + u64::from(i < a % n)
                })
            })
            .collect();
        let timeout_ms = (options.timeout_s * 1000.0).round() as u64;
        self.net.loads.push(LoadGen {
            options,
            started_ns: now,
            sent: 0,
            completed: 0,
            classes: [0; 5],
            errors: 0,
            timeouts: 0,
            resets: 0,
            bytes: 0,
            latencies_ms: Vec::new(),
            samples: Vec::new(),
            counter: 0,
            counted_bytes: 0,
            next_sample_ms: loop_ms + SAMPLE_MS,
            stop: false,
            cb,
            finished: false,
            finished_ns: 0,
            clients: Vec::new(),
        });
        self.net_emit(NetEvent::LoadStart, id, 0, connections);
        for cap in caps {
            let conn = self.open_conn(port, Owner::Load(id));
            self.net.loads[id as usize].clients.push(Client {
                conn,
                cap,
                sent: 0,
                done: false,
                timeout_at: loop_ms + timeout_ms,
            });
            self.load_fill(id, conn);
        }
        id
    }

    /// A client's pipeline: `pipelining` requests at once.
    fn load_fill(&mut self, l: u32, conn: u32) {
        let n = self.net.loads[l as usize].options.pipelining.max(1);
        for _ in 0..n {
            if !self.load_send(l, conn) {
                break;
            }
        }
    }

    /// One request on `conn` (`_doRequest`); past the client's cap, the
    /// client is destroyed instead. Returns whether a request went out.
    fn load_send(&mut self, l: u32, conn: u32) -> bool {
        let loop_ms = self.clock.loop_ms();
        let (target, method, timeout_ms) = {
            let g = &mut self.net.loads[l as usize];
            if g.finished {
                return false;
            }
            let timeout_ms = (g.options.timeout_s * 1000.0).round() as u64;
            let Some(c) = g.client_of(conn) else {
                return false;
            };
            if c.cap.is_some_and(|cap| c.sent >= cap) {
                c.done = true;
                let all_done = g.clients.iter().all(|c| c.done);
                if all_done {
                    g.stop = true;
                }
                self.destroy_client_side(conn);
                return false;
            }
            c.sent += 1;
            c.timeout_at = loop_ms + timeout_ms;
            g.sent += 1;
            (
                g.options.target.clone(),
                g.options.method.clone(),
                timeout_ms,
            )
        };
        let _ = timeout_ms;
        let now = self.clock.now_ns();
        let ex = self.new_exchange(
            &method,
            &target,
            http::Headers::default(),
            super::ClientSide::Load(l),
        );
        let e = &mut self.net.exchanges[ex as usize];
        e.conn = Some(conn);
        e.sent_ns = now;
        self.write_request(ex);
        true
    }

    /// A client's socket failed: counted; it reconnects at once.
    fn load_reconnect(&mut self, l: u32, conn: u32) {
        let port = self.net.loads[l as usize].options.target.port;
        let new_conn = self.open_conn(port, Owner::Load(l));
        {
            let g = &mut self.net.loads[l as usize];
            let Some(c) = g.client_of(conn) else { return };
            c.conn = new_conn;
        }
        self.destroy_client_side(conn);
        self.load_fill(l, new_conn);
    }

    /// The run is over: its sockets close, the event is recorded.
    fn finish_load(&mut self, l: u32) {
        let conns: Vec<u32> = {
            let g = &mut self.net.loads[l as usize];
            if g.finished {
                return;
            }
            g.finished = true;
            g.finished_ns = self.clock.now_ns();
            g.clients.iter().map(|c| c.conn).collect()
        };
        for c in conns {
            self.destroy_client_side(c);
        }
        let done = self.net.loads[l as usize].completed as u32;
        self.net_emit(NetEvent::LoadEnd, l, 0, done);
    }

    /// Forgets what a finished request carried (autocannon keeps nothing;
    /// a long run must not grow the model).
    fn drop_exchange_payload(&mut self, ex: u32) {
        if let Some(e) = self.net.exchanges.get_mut(ex as usize) {
            let Exchange {
                req_headers,
                res_headers,
                ..
            } = e;
            req_headers.0 = Vec::new();
            *res_headers = Vec::new();
        }
    }
}

/// A response of `l` is complete: recorded, then one more request.
pub fn on_response<H: HostTypes>(rt: &Shared<H>, l: u32, conn: u32, ex: u32) {
    let mut r = rt.borrow_mut();
    let cost = r.net.costs.client_ns;
    r.busy_ns(cost);
    let now = r.clock.now_ns();
    let (sent, status, bytes, keep) = {
        let e = &r.net.exchanges[ex as usize];
        (e.sent_ns, e.res.status, e.res.bytes, e.keep_alive)
    };
    {
        let g = &mut r.net.loads[l as usize];
        if g.finished {
            return;
        }
        // hdr-histogram-js records whole milliseconds (truncated).
        g.latencies_ms.push(now.saturating_sub(sent) / 1_000_000);
        g.completed += 1;
        g.counter += 1;
        g.bytes += bytes as u64;
        g.counted_bytes += bytes as u64;
        let class = (status / 100).clamp(1, 5) as usize - 1;
        g.classes[class] += 1;
    }
    r.drop_exchange_payload(ex);
    if keep {
        r.load_send(l, conn);
    }
}

/// A connection of `l` failed (refused, or closed under it): counted in
/// `errors`; the client reconnects and writes again.
pub fn on_error<H: HostTypes>(rt: &Shared<H>, l: u32, conn: u32, in_flight: bool) {
    let mut r = rt.borrow_mut();
    {
        let g = &mut r.net.loads[l as usize];
        if g.finished || g.client_of(conn).is_none() {
            return;
        }
        if in_flight {
            g.resets += 1;
        }
        g.errors += 1;
    }
    r.load_reconnect(l, conn);
}

/// The generator's timers, in the timers phase: request timeouts, the
/// duration, and the samples; the callback runs from the sample that
/// finds the run stopped.
pub fn run_timers<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I) -> Step {
    let count = rt.borrow().net.loads.len();
    for l in 0..count as u32 {
        // Request timeouts: the socket is destroyed and reconnected.
        loop {
            let expired = {
                let r = rt.borrow();
                let now = r.clock.loop_ms();
                let g = &r.net.loads[l as usize];
                if g.finished {
                    None
                } else {
                    g.clients
                        .iter()
                        .find(|c| !c.done && c.timeout_at <= now)
                        .map(|c| (c.conn, g.options.pipelining.max(1) as u64))
                }
            };
            let Some((conn, n)) = expired else { break };
            let mut r = rt.borrow_mut();
            {
                let g = &mut r.net.loads[l as usize];
                g.timeouts += n;
                g.errors += n;
            }
            r.load_reconnect(l, conn);
        }
        let due = {
            let r = rt.borrow();
            let g = &r.net.loads[l as usize];
            !g.finished && g.next_sample_ms <= r.clock.loop_ms()
        };
        if !due {
            continue;
        }
        let stop = {
            let mut r = rt.borrow_mut();
            let loop_ms = r.clock.loop_ms();
            let g = &mut r.net.loads[l as usize];
            let sample = (
                std::mem::take(&mut g.counter),
                std::mem::take(&mut g.counted_bytes),
            );
            g.samples.push(sample);
            g.next_sample_ms += SAMPLE_MS;
            if g.duration_over(loop_ms) {
                g.stop = true;
            }
            g.stop
        };
        if stop {
            rt.borrow_mut().finish_load(l);
            report(rt, host, l)?;
            close_scope(rt, host)?;
        }
    }
    Ok(())
}
/// autocannon's result object, as numbers the host puts in a map.
#[derive(Debug, Clone, Default)]
pub struct LoadResult {
    pub url: String,
    pub connections: u32,
    pub pipelining: u32,
    pub duration_s: f64,
    pub start_ms: f64,
    pub finish_ms: f64,
    pub errors: u64,
    pub timeouts: u64,
    pub resets: u64,
    pub non2xx: u64,
    pub classes: [u64; 5],
    pub latency: Stats,
    pub requests: Stats,
    pub throughput: Stats,
}

/// One of autocannon's histogram summaries (`hdr-histogram-percentiles-obj`).
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub average: f64,
    pub mean: f64,
    pub stddev: f64,
    pub min: f64,
    pub max: f64,
    pub total: f64,
    pub sent: f64,
    /// (name, value): `p0_001` .. `p99_999`.
    pub percentiles: Vec<(&'static str, f64)>,
}

/// The percentiles autocannon reports (`hdr-histogram-percentiles-obj`),
/// with their field names.
pub const PERCENTILES: [(&str, f64); 15] = [
    ("p0_001", 0.001),
    ("p0_01", 0.01),
    ("p0_1", 0.1),
    ("p1", 1.0),
    ("p2_5", 2.5),
    ("p10", 10.0),
    ("p25", 25.0),
    ("p50", 50.0),
    ("p75", 75.0),
    ("p90", 90.0),
    ("p97_5", 97.5),
    ("p99", 99.0),
    ("p99_9", 99.9),
    ("p99_99", 99.99),
    ("p99_999", 99.999),
];

/// An HDR histogram's equivalent range of `v` with `digits` significant
/// digits and a lowest discernible value of 1: (lowest value, size).
fn equivalent_range(v: u64, digits: u32) -> (u64, u64) {
    let largest = 2 * 10u64.pow(digits);
    let sub_count_magnitude = 64 - (largest - 1).leading_zeros();
    let half_magnitude = sub_count_magnitude.saturating_sub(1);
    let sub_count = 1u64 << (half_magnitude + 1);
    let mask = sub_count - 1;
    let pow2ceiling = 64 - (v | mask).leading_zeros();
    let bucket = pow2ceiling.saturating_sub(half_magnitude + 1);
    let sub = v >> bucket;
    let adjusted = if sub >= sub_count { bucket + 1 } else { bucket };
    (sub << bucket, 1u64 << adjusted)
}

/// `histAsObj` and `addPercentiles` over a histogram of `samples`: mean
/// and standard deviation over each value's median equivalent, rounded up
/// to two decimals; `min` the lowest non-zero value; percentiles the
/// highest equivalent value at `max(1, round(p% × count))`.
pub fn histogram_stats(samples: &[u64], digits: u32) -> Stats {
    if samples.is_empty() {
        return Stats {
            percentiles: PERCENTILES.iter().map(|(n, _)| (*n, 0.0)).collect(),
            ..Stats::default()
        };
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let n = sorted.len() as f64;
    let median = |v: u64| {
        let (low, size) = equivalent_range(v, digits);
        low + size / 2
    };
    let highest = |v: u64| {
        let (low, size) = equivalent_range(v, digits);
        low + size - 1
    };
    let mean = sorted.iter().map(|&v| median(v) as f64).sum::<f64>() / n;
    let var = sorted
        .iter()
        .map(|&v| (median(v) as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    let up2 = |v: f64| (v * 100.0).ceil() / 100.0;
    let at = |p: f64| {
        let rank = ((p / 100.0) * n + 0.5).floor().max(1.0) as usize;
        highest(sorted[rank.min(sorted.len()) - 1]) as f64
    };
    let min_non_zero = sorted.iter().copied().find(|&v| v > 0).unwrap_or(0);
    let max = sorted.last().copied().unwrap_or(0);
    Stats {
        average: up2(mean),
        mean: up2(mean),
        stddev: up2(var.sqrt()),
        min: equivalent_range(min_non_zero, digits).0 as f64,
        max: if max == 0 { 0.0 } else { highest(max) as f64 },
        total: 0.0,
        sent: 0.0,
        percentiles: PERCENTILES
            .iter()
            .map(|(name, p)| (*name, at(*p)))
            .collect(),
    }
}

impl<H: HostTypes> LoadGen<H> {
    pub fn result(&self, epoch_ms: u64) -> LoadResult {
        let o = &self.options;
        let mut latency = histogram_stats(&self.latencies_ms, 5);
        latency.total = self.latencies_ms.len() as f64;
        let counts: Vec<u64> = self.samples.iter().map(|s| s.0).collect();
        let mut requests = histogram_stats(&counts, 3);
        requests.total = self.completed as f64;
        requests.sent = self.sent as f64;
        let bytes: Vec<u64> = self.samples.iter().map(|s| s.1).collect();
        let mut throughput = histogram_stats(&bytes, 3);
        throughput.total = self.bytes as f64;
        let elapsed_ms = self.finished_ns.saturating_sub(self.started_ns) / 1_000_000;
        LoadResult {
            url: format!(
                "http://{}:{}{}",
                o.target.host, o.target.port, o.target.path
            ),
            connections: o.connections,
            pipelining: o.pipelining,
            // `Math.round((Date.now() - startTime) / 10) / 100`
            duration_s: ((elapsed_ms as f64) / 10.0).round() / 100.0,
            start_ms: (epoch_ms + self.started_ns / 1_000_000) as f64,
            finish_ms: (epoch_ms + self.finished_ns / 1_000_000) as f64,
            errors: self.errors,
            timeouts: self.timeouts,
            resets: self.resets,
            non2xx: self.classes[0] + self.classes[2] + self.classes[3] + self.classes[4],
            classes: self.classes,
            latency,
            requests,
            throughput,
        }
    }
}

/// Calls the load generator's callback with `(null, result)`.
pub fn report<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I, l: u32) -> Step {
    let (func, cb, result) = {
        let r = rt.borrow();
        let g = &r.net.loads[l as usize];
        (g.cb.0.clone(), g.cb.1, g.result(r.clock.epoch_ms()))
    };
    let value = H::load_result(&result);
    if let Err(e) = call_traced(rt, host, &func, vec![H::null(), value], cb)? {
        uncaught(rt, host, e, Origin::UncaughtException)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_samples() {
        let s = histogram_stats(&[1, 2, 3, 4, 100], 5);
        let get = |n: &str| s.percentiles.iter().find(|(k, _)| *k == n).map(|(_, v)| *v);
        assert_eq!(get("p50"), Some(3.0));
        assert_eq!(get("p99"), Some(100.0));
        assert_eq!(s.max, 100.0);
        assert_eq!(s.mean, 22.0);
        // The lowest non-zero value.
        assert_eq!(histogram_stats(&[0, 0, 6], 5).min, 6.0);
    }

    #[test]
    fn three_digit_buckets() {
        // 12345 with 3 significant digits: the bucket [12344, 12352).
        assert_eq!(equivalent_range(12345, 3), (12344, 8));
        assert_eq!(equivalent_range(1000, 3), (1000, 1));
        assert_eq!(equivalent_range(7, 5), (7, 1));
    }
}
