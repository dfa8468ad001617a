//! Time for the model. One clock type, two modes: virtual time advances only
//! when the model says so (poll waits, `busy(ms)`, pool work), so runs are
//! byte-identical; real time reads the monotonic clock.

use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClockMode {
    #[default]
    Virtual,
    Real,
}

/// `Date.now()` at virtual time zero: a fixed, recognisable instant
/// (2024-01-01T00:00:00Z) so virtual runs print the same dates everywhere.
pub const VIRTUAL_EPOCH_MS: u64 = 1_704_067_200_000;

/// How far virtual time can go: 2^62 ns, about 146 years of model time.
/// Far beyond any lesson (node's longest timer is 24.8 days), and far
/// below where nanoseconds overflow a `u64` (about 584 years), so the
/// arithmetic on model times never wraps. A run that gets here (an
/// interval that keeps the loop alive for ever, `busy(1e16)`) ends with a
/// budget error instead of spinning.
pub const VIRTUAL_HORIZON_NS: u64 = 1 << 62;

#[derive(Debug)]
pub struct Clock {
    pub mode: ClockMode,
    virtual_ns: u64,
    start: Instant,
    epoch_ms: u64,
    /// libuv's cached loop time in ms (`uv_now`), updated by `update_loop_time`.
    loop_ms: u64,
    /// `performance.timeOrigin` as model time: 0 for the main thread, the
    /// thread's start for a worker (its `performance.now()` starts at 0).
    origin_ns: u64,
}

impl Clock {
    pub fn new(mode: ClockMode) -> Self {
        let epoch_ms = match mode {
            ClockMode::Virtual => VIRTUAL_EPOCH_MS,
            ClockMode::Real => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(VIRTUAL_EPOCH_MS),
        };
        Clock {
            mode,
            virtual_ns: 0,
            start: Instant::now(),
            epoch_ms,
            loop_ms: 0,
            origin_ns: 0,
        }
    }

    /// A worker thread's clock: the same time base as the process (`start`,
    /// `epoch_ms`), starting at `now_ns`, with its own time origin.
    pub fn for_worker(mode: ClockMode, start: Instant, epoch_ms: u64, now_ns: u64) -> Self {
        let mut c = Clock::new(mode);
        c.start = start;
        c.epoch_ms = epoch_ms;
        c.virtual_ns = now_ns;
        c.origin_ns = now_ns;
        c.loop_ms = now_ns / 1_000_000;
        c
    }

    /// The instant model time 0 stands for (real clock).
    pub fn start_instant(&self) -> Instant {
        self.start
    }

    pub fn epoch_ms(&self) -> u64 {
        self.epoch_ms
    }

    /// Nanoseconds since the process started.
    pub fn now_ns(&self) -> u64 {
        match self.mode {
            ClockMode::Virtual => self.virtual_ns,
            ClockMode::Real => self.start.elapsed().as_nanos() as u64,
        }
    }

    /// `uv_update_time`: the loop time becomes the current ms, truncated.
    pub fn update_loop_time(&mut self) -> u64 {
        self.loop_ms = self.now_ns() / 1_000_000;
        self.loop_ms
    }

    /// `uv_now`: the cached loop time.
    pub fn loop_ms(&self) -> u64 {
        self.loop_ms
    }

    /// Moves virtual time forward (no-op in real mode, where time moves itself).
    pub fn advance_to(&mut self, ns: u64) {
        if self.mode == ClockMode::Virtual && ns > self.virtual_ns {
            self.virtual_ns = ns;
        }
    }

    pub fn date_now_ms(&self) -> u64 {
        self.epoch_ms + self.now_ns() / 1_000_000
    }

    /// `performance.now()` in ms with sub-ms precision.
    pub fn performance_now_ms(&self) -> f64 {
        self.now_ns().saturating_sub(self.origin_ns) as f64 / 1e6
    }

    /// Instant corresponding to model time `ns` (real mode waits).
    pub fn instant_at(&self, ns: u64) -> Instant {
        self.start + Duration::from_nanos(ns)
    }
}
