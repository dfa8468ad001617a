//! Cores as a resource, under the virtual clock.
//!
//! A scenario has a number of cores (`os.availableParallelism()`,
//! [`super::net::VIRTUAL_CORES`] unless a flag or a knob says otherwise).
//! When several loops (processes, worker threads) run at once, their CPU
//! work is placed on a calendar of cores: a piece of work that starts at
//! `t` and needs `d` nanoseconds runs on the core that can take it
//! earliest, and if every core is taken at `t`, it waits. So eight
//! CPU-bound workers on two cores serve what two would.
//!
//! **The scheduling model.** The unit is one piece of a loop's CPU work
//! (a `busy()` call, the cost of parsing a request, of accepting a
//! connection...), cut into slices of at most [`SLICE_NS`]: each slice
//! takes the first free gap on any core, first come first served in the
//! order the co-simulation runs the loops (which is time order: the loop
//! that runs is never later than another, see `runtime/worker.rs`).
//! Between two slices of one piece of work the loop waits for the others
//! to catch up, so work they ask for meanwhile gets a core within a slice:
//! a long callback is time-sliced against the other processes, and a
//! short burst (the primary accepting a connection) is not starved by
//! workers computing. Linux's CFS slices more finely and weighs by past
//! use; the model keeps what a learner sees (throughput stops at the core
//! count, requests wait for a core) and stays deterministic. Thread-pool
//! threads are not placed on the calendar.

/// The longest piece of work placed at once: a loop with more to do
/// places it a slice at a time, letting the others catch up in between.
/// Linux's CFS lets a process that wakes up (the primary with a new
/// connection, a client with a response) preempt a CPU-bound one almost
/// at once; a quarter of a millisecond keeps that wait small without a
/// baton pass per microsecond (tests/procs.rs: 4 workers on 4 cores serve
/// nearly twice what 2 on 2 do).
pub const SLICE_NS: u64 = 250_000;

/// The most cores a scenario can ask for.
pub const MAX_CORES: usize = 64;

/// Where a slice of CPU work ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    pub core: u16,
    pub start_ns: u64,
    pub end_ns: u64,
}

/// The busy intervals of every core, in time order per core.
#[derive(Debug, Clone)]
pub struct Calendar {
    cores: Vec<Vec<(u64, u64)>>,
}

impl Calendar {
    pub fn new(cores: usize) -> Self {
        Calendar {
            cores: vec![Vec::new(); cores.clamp(1, MAX_CORES)],
        }
    }

    pub fn count(&self) -> usize {
        self.cores.len()
    }

    /// Places `work_ns` of CPU work that is ready at `ready_ns`, slice by
    /// slice; returns the slices (their last end is when the work is done).
    pub fn place(&mut self, ready_ns: u64, work_ns: u64) -> Vec<Placed> {
        let mut out = Vec::new();
        let mut at = ready_ns;
        let mut left = work_ns;
        while left > 0 {
            let d = left.min(SLICE_NS);
            let (core, start) = self.earliest(at, d);
            let busy = &mut self.cores[core];
            let i = busy.partition_point(|&(s, _)| s < start);
            busy.insert(i, (start, start + d));
            out.push(Placed {
                core: core as u16,
                start_ns: start,
                end_ns: start + d,
            });
            at = start + d;
            left -= d;
        }
        out
    }

    /// The core and start of the earliest gap of `d` at or after `at`
    /// (ties to the lowest core).
    fn earliest(&self, at: u64, d: u64) -> (usize, u64) {
        let mut best = (0, u64::MAX);
        for (c, busy) in self.cores.iter().enumerate() {
            let start = Self::gap(busy, at, d);
            if start < best.1 {
                best = (c, start);
            }
        }
        best
    }

    fn gap(busy: &[(u64, u64)], at: u64, d: u64) -> u64 {
        let mut start = at;
        // The first interval that ends after `at`.
        let first = busy.partition_point(|&(_, e)| e <= at);
        for &(s, e) in &busy[first..] {
            if start + d <= s {
                return start;
            }
            start = start.max(e);
        }
        start
    }

    /// Forgets intervals that ended before `floor` (no loop can ask for a
    /// core before it any more).
    pub fn prune(&mut self, floor: u64) {
        for busy in &mut self.cores {
            let n = busy.partition_point(|&(_, e)| e < floor);
            if n > 64 {
                busy.drain(..n);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_waits_for_a_core_when_all_are_taken() {
        let mut cal = Calendar::new(2);
        let a = cal.place(0, 10);
        let b = cal.place(0, 10);
        let c = cal.place(0, 10);
        assert_eq!((a[0].core, a[0].start_ns), (0, 0));
        assert_eq!((b[0].core, b[0].start_ns), (1, 0));
        // The third waits for the first core to free up.
        assert_eq!((c[0].start_ns, c[0].end_ns), (10, 20));
    }

    #[test]
    fn later_work_fills_an_earlier_gap() {
        let mut cal = Calendar::new(1);
        cal.place(100, 50);
        let early = cal.place(0, 30);
        assert_eq!((early[0].start_ns, early[0].end_ns), (0, 30));
        let squeezed = cal.place(20, 80);
        // 30..100 is free but too short for one slice of 80: after 150.
        assert_eq!(squeezed[0].start_ns, 150);
    }

    #[test]
    fn long_work_is_cut_into_slices() {
        let mut cal = Calendar::new(1);
        let s = cal.place(0, SLICE_NS * 2 + 5);
        assert_eq!(s.len(), 3);
        assert_eq!(s[2].end_ns, SLICE_NS * 2 + 5);
    }

    #[test]
    fn never_more_work_at_once_than_cores() {
        let mut cal = Calendar::new(3);
        let mut all = Vec::new();
        for i in 0..200u64 {
            all.extend(cal.place((i * 7919) % 1000, 1 + (i * 104_729) % 300));
        }
        // At every instant a slice starts, at most three are running.
        for p in &all {
            let t = p.start_ns;
            let running = all
                .iter()
                .filter(|q| q.start_ns <= t && t < q.end_ns)
                .count();
            assert!(running <= 3, "{running} slices run at {t}");
        }
    }
}
