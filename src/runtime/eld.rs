//! `perf_hooks.monitorEventLoopDelay`: Node's `IntervalHistogram`
//! (src/histogram.cc, src/node_perf.cc) over libuv timers, and the HDR
//! histogram (deps/histogram, hdr_histogram_c 0.11) it records into.
//!
//! Each monitor owns one libuv timer, started by `enable()` with
//! `uv_timer_start(t, cb, resolution, resolution)` and then `uv_unref`'d: it
//! never keeps the loop alive, but it sits in libuv's timer heap, so it
//! bounds the poll timeout. libuv 1.46 runs due timers in heap order
//! (timeout, then `start_id`, a loop-wide counter bumped by every
//! `uv_timer_start`), calling `uv_timer_again` (re-arm from the cached loop
//! time) before each callback. This module keeps that counter for every
//! timer of the loop: the monitors' timers and the single timer behind JS
//! timers ([`super::timers::UvTimer`]), whose restarts it learns from
//! `UvTimer::starts`.

use super::timers::UvTimer;

/// Which libuv timer is at the top of the heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UvTimerRef {
    /// The timer behind all JS timers (Node's `RunTimers`).
    Js,
    /// A monitor's sampling timer.
    Monitor(u32),
}

/// The HDR histogram Node creates for an event-loop-delay monitor: lowest
/// discernible value 1000 ns, highest `INT64_MAX`, 3 significant figures.
///
/// Bucketing, as hdr_histogram_c computes it for these parameters:
/// `unit_magnitude = floor(log2(1000)) = 9`, `sub_bucket_count = 2^11`
/// (`ceil(log2(2 * 10^3))`), half of it 1024. A value `v` falls in bucket
/// `b = 64 - clz(v | (2047 << 9)) - 20` and sub-bucket `s = v >> (b + 9)`:
/// values below 2^20 ns (about 1 ms) are kept in steps of 512 ns, each
/// doubling above that doubles the step (1024 ns up to 2 ms, 2048 ns up to
/// 4 ms, ... 131072 ns between 134 ms and 268 ms), so every value is known
/// to better than 1 part in 1024. What the statistics report are bucket
/// representatives, exactly as hdr_histogram returns them:
/// * `min`: the lowest value of the minimum's bucket (`INT64_MAX` when
///   empty);
/// * `max` and `percentile(p)`: the highest value of the bucket (so an
///   empty histogram answers 511 for any percentile, as Node prints);
/// * `mean` and `stddev`: over each bucket's midpoint (NaN when empty).
#[derive(Debug, Clone)]
pub struct Histogram {
    /// Counts by HDR counts index (sparse: a handful of buckets are used).
    counts: std::collections::BTreeMap<u32, u64>,
    total: u64,
    min_value: i64,
    max_value: i64,
}

const UNIT_MAGNITUDE: u32 = 9;
const SUB_BUCKET_HALF_COUNT_MAGNITUDE: u32 = 10;
const SUB_BUCKET_HALF_COUNT: i64 = 1 << SUB_BUCKET_HALF_COUNT_MAGNITUDE;
const SUB_BUCKET_COUNT: i64 = 2 * SUB_BUCKET_HALF_COUNT;
const SUB_BUCKET_MASK: i64 = (SUB_BUCKET_COUNT - 1) << UNIT_MAGNITUDE;
/// `counts_len` for highest trackable `INT64_MAX`: 44 buckets.
const COUNTS_LEN: i64 = 45 << SUB_BUCKET_HALF_COUNT_MAGNITUDE;

fn bucket_index(v: i64) -> i64 {
    let pow2ceiling = 64 - (v | SUB_BUCKET_MASK).leading_zeros() as i64;
    pow2ceiling - UNIT_MAGNITUDE as i64 - (SUB_BUCKET_HALF_COUNT_MAGNITUDE as i64 + 1)
}

fn sub_bucket_index(v: i64, bucket: i64) -> i64 {
    v >> (bucket + UNIT_MAGNITUDE as i64)
}

fn counts_index(v: i64) -> i64 {
    let b = bucket_index(v);
    let s = sub_bucket_index(v, b);
    ((b + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + (s - SUB_BUCKET_HALF_COUNT)
}

/// `hdr_value_at_index`: the lowest value counted at `index`.
fn value_at_index(index: i64) -> i64 {
    let mut b = (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) - 1;
    let mut s = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
    if b < 0 {
        s -= SUB_BUCKET_HALF_COUNT;
        b = 0;
    }
    s << (b + UNIT_MAGNITUDE as i64)
}

/// `hdr_size_of_equivalent_range`.
pub fn size_of_equivalent_range(v: i64) -> i64 {
    let b = bucket_index(v);
    let s = sub_bucket_index(v, b);
    let adjusted = if s >= SUB_BUCKET_COUNT { b + 1 } else { b };
    1 << (UNIT_MAGNITUDE as i64 + adjusted)
}

/// `lowest_equivalent_value`.
pub fn lowest_equivalent(v: i64) -> i64 {
    let b = bucket_index(v);
    sub_bucket_index(v, b) << (b + UNIT_MAGNITUDE as i64)
}

/// `highest_equivalent_value`.
pub fn highest_equivalent(v: i64) -> i64 {
    // Wrapping as in C (only the top bucket, near INT64_MAX, wraps).
    lowest_equivalent(v)
        .wrapping_add(size_of_equivalent_range(v))
        .wrapping_sub(1)
}

/// `hdr_median_equivalent_value`.
pub fn median_equivalent(v: i64) -> i64 {
    lowest_equivalent(v) + (size_of_equivalent_range(v) >> 1)
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: Default::default(),
            total: 0,
            min_value: i64::MAX,
            max_value: 0,
        }
    }
}

impl Histogram {
    /// `hdr_record_value`: false when the value is not trackable.
    pub fn record(&mut self, value: i64) -> bool {
        if value < 0 {
            return false;
        }
        let index = counts_index(value);
        if !(0..COUNTS_LEN).contains(&index) {
            return false;
        }
        *self.counts.entry(index as u32).or_default() += 1;
        self.total += 1;
        if value != 0 && value < self.min_value {
            self.min_value = value;
        }
        if value > self.max_value {
            self.max_value = value;
        }
        true
    }

    /// `hdr_reset`.
    pub fn reset(&mut self) {
        *self = Histogram::default();
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    /// `hdr_min`.
    pub fn min(&self) -> i64 {
        if self.counts.get(&0).is_some_and(|&c| c > 0) {
            return 0;
        }
        if self.min_value == i64::MAX {
            return i64::MAX;
        }
        lowest_equivalent(self.min_value)
    }

    /// `hdr_max`.
    pub fn max(&self) -> i64 {
        if self.max_value == 0 {
            return 0;
        }
        highest_equivalent(self.max_value)
    }

    /// `hdr_mean` (NaN when empty, as 0/0 in C).
    pub fn mean(&self) -> f64 {
        let mut total: i64 = 0;
        for (&index, &count) in &self.counts {
            let v = median_equivalent(value_at_index(index as i64));
            total = total.wrapping_add((count as i64).wrapping_mul(v));
        }
        total as f64 / self.total as f64
    }

    /// `hdr_stddev`.
    pub fn stddev(&self) -> f64 {
        let mean = self.mean();
        let mut sum = 0.0;
        for (&index, &count) in &self.counts {
            let dev = median_equivalent(value_at_index(index as i64)) as f64 - mean;
            sum += dev * dev * count as f64;
        }
        (sum / self.total as f64).sqrt()
    }

    /// `hdr_iter_percentile` with one tick per half distance, as Node's
    /// `Histogram::Percentiles` walks it for `histogram.percentiles`:
    /// (percentile, bucket value) pairs; a later pair with the same
    /// percentile replaces an earlier one in Node's map.
    pub fn percentiles(&self) -> Vec<(f64, i64)> {
        let mut out: Vec<(f64, i64)> = Vec::new();
        let mut push = |p: f64, v: i64| {
            if let Some(last) = out.last_mut()
                && last.0 == p
            {
                last.1 = v;
                return;
            }
            out.push((p, v));
        };
        let total = self.total;
        let mut to = 0.0f64;
        let mut cumulative = 0u64;
        let mut value = 0i64;
        for (&index, &count) in &self.counts {
            if count == 0 {
                continue;
            }
            cumulative += count;
            value = value_at_index(index as i64);
            let current = 100.0 * cumulative as f64 / total as f64;
            while to <= current {
                push(to, value);
                let temp = ((100.0 / (100.0 - to)).ln() / 2f64.ln()) as i64 + 1;
                let half_distance = 2f64.powi(temp as i32) as i64;
                to += 100.0 / half_distance as f64;
                if cumulative >= total {
                    break;
                }
            }
        }
        // The iteration's last step reports 100 with the last value seen.
        push(100.0, value);
        out
    }

    /// `hdr_value_at_percentile` for `0 < p <= 100`.
    pub fn percentile(&self, p: f64) -> i64 {
        let p = p.min(100.0);
        let wanted = ((p / 100.0) * self.total as f64 + 0.5) as i64;
        let wanted = wanted.max(1) as u64;
        let mut seen = 0;
        let mut value = 0;
        for (&index, &count) in &self.counts {
            seen += count;
            if seen >= wanted {
                value = value_at_index(index as i64);
                break;
            }
        }
        if p == 0.0 {
            lowest_equivalent(value)
        } else {
            highest_equivalent(value)
        }
    }
}

/// One `IntervalHistogram` made by `monitorEventLoopDelay`.
#[derive(Debug, Clone)]
pub struct Monitor {
    pub resolution_ms: u64,
    /// `kEnabled` (JS) / `enabled_` (C++).
    pub enabled: bool,
    /// The libuv timer's `timeout` while it is active.
    pub due_ms: Option<u64>,
    pub start_id: u64,
    /// `prev_` of `Histogram::RecordDelta` (0: no firing yet).
    prev_ns: u64,
    pub histogram: Histogram,
    /// `exceeds_`: deltas the histogram could not track.
    pub exceeds: u64,
}

/// The monitors of a run and libuv's timer ordering.
#[derive(Debug, Default)]
pub struct Eld {
    pub monitors: Vec<Monitor>,
    /// `loop->timer_counter`.
    counter: u64,
    js_start_id: u64,
    js_starts_seen: u32,
}

impl Eld {
    /// Gives the JS timer's latest `uv_timer_start` its place in the
    /// start order (call before any monitor timer starts).
    fn sync_js(&mut self, js: &UvTimer) {
        if js.starts != self.js_starts_seen {
            self.js_starts_seen = js.starts;
            self.js_start_id = self.counter;
            self.counter += 1;
        }
    }

    /// `new ELDHistogram(new _ELDHistogram(resolution))`: its id.
    pub fn create(&mut self, resolution_ms: u64) -> u32 {
        self.monitors.push(Monitor {
            resolution_ms,
            enabled: false,
            due_ms: None,
            start_id: 0,
            prev_ns: 0,
            histogram: Histogram::default(),
            exceeds: 0,
        });
        (self.monitors.len() - 1) as u32
    }

    pub fn get(&self, id: u32) -> Option<&Monitor> {
        self.monitors.get(id as usize)
    }

    fn start_timer(&mut self, id: u32, loop_ms: u64, js: &UvTimer) {
        self.sync_js(js);
        let start_id = self.counter;
        self.counter += 1;
        if let Some(m) = self.monitors.get_mut(id as usize) {
            m.due_ms = Some(loop_ms.saturating_add(m.resolution_ms));
            m.start_id = start_id;
        }
    }

    /// `enable()`: `uv_timer_start` from the cached loop time, then
    /// `uv_unref`. Returns whether the state changed.
    pub fn enable(&mut self, id: u32, loop_ms: u64, js: &UvTimer) -> bool {
        match self.monitors.get_mut(id as usize) {
            Some(m) if !m.enabled => m.enabled = true,
            _ => return false,
        }
        self.start_timer(id, loop_ms, js);
        true
    }

    /// `disable()`: `uv_timer_stop`. `prev_` is kept, so a later `enable()`
    /// records the whole gap as its first sample (measured on v20.20.2).
    pub fn disable(&mut self, id: u32) -> bool {
        match self.monitors.get_mut(id as usize) {
            Some(m) if m.enabled => {
                m.enabled = false;
                m.due_ms = None;
                true
            }
            _ => false,
        }
    }

    /// `reset()`: `hdr_reset`, and `prev_`, `count_`, `exceeds_` zeroed.
    pub fn reset(&mut self, id: u32) {
        if let Some(m) = self.monitors.get_mut(id as usize) {
            m.histogram.reset();
            m.prev_ns = 0;
            m.exceeds = 0;
        }
    }

    /// The earliest timeout over the whole heap, JS timer included
    /// (`uv__next_timeout` looks at ref'd and unref'd timers alike).
    pub fn next_timeout(&self, js: &UvTimer) -> Option<u64> {
        let monitors = self.monitors.iter().filter_map(|m| m.due_ms);
        js.due_ms.into_iter().chain(monitors).min()
    }

    /// `heap_min`: the timer libuv runs next, with its timeout.
    pub fn heap_min(&mut self, js: &UvTimer) -> Option<(u64, UvTimerRef)> {
        self.sync_js(js);
        let js_key = js.due_ms.map(|d| ((d, self.js_start_id), UvTimerRef::Js));
        let monitors = self.monitors.iter().enumerate().filter_map(|(i, m)| {
            m.due_ms
                .map(|d| ((d, m.start_id), UvTimerRef::Monitor(i as u32)))
        });
        js_key
            .into_iter()
            .chain(monitors)
            .min_by_key(|(key, _)| *key)
            .map(|((due, _), which)| (due, which))
    }

    /// A monitor's timer is due: `uv_timer_again` (re-armed from the cached
    /// loop time, so a blocked loop yields one long sample and no burst),
    /// then `RecordDelta()` at the precise time `now_ns`. Returns the delta
    /// (0 for the first firing, which only sets `prev_`).
    pub fn fire(&mut self, id: u32, now_ns: u64, loop_ms: u64, js: &UvTimer) -> u64 {
        self.start_timer(id, loop_ms, js);
        let Some(m) = self.monitors.get_mut(id as usize) else {
            return 0;
        };
        let mut delta = 0;
        if m.prev_ns > 0 {
            delta = now_ns.saturating_sub(m.prev_ns);
            if delta > 0 && !m.histogram.record(delta.min(i64::MAX as u64) as i64) {
                m.exceeds += 1;
            }
        }
        // uv_hrtime() is never 0 in a real process; the model's clock
        // starts at 0, so keep `prev_` non-zero ("has fired").
        m.prev_ns = now_ns.max(1);
        delta
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_boundaries() {
        // Below 2^20 ns the step is 512 ns.
        assert_eq!(lowest_equivalent(1000), 512);
        assert_eq!(highest_equivalent(1000), 1023);
        assert_eq!(size_of_equivalent_range(1_000_000), 512);
        // 10 ms: step 8192 ns (2^23 <= v < 2^24).
        assert_eq!(size_of_equivalent_range(10_000_000), 8192);
        assert_eq!(lowest_equivalent(10_000_000), 9_994_240);
        assert_eq!(highest_equivalent(10_000_000), 10_002_431);
        assert_eq!(median_equivalent(10_000_000), 9_998_336);
        // 200 ms: step 131072 ns.
        assert_eq!(size_of_equivalent_range(200_000_000), 131_072);
        assert_eq!(highest_equivalent(200_000_000), 200_015_871);
        // Values and indexes round-trip.
        for v in [
            0i64,
            511,
            512,
            1023,
            1 << 20,
            (1 << 20) + 1,
            123_456_789,
            i64::MAX,
        ] {
            let lo = lowest_equivalent(v);
            assert_eq!(value_at_index(counts_index(v)), lo, "v={v}");
            assert!(lo <= v && v <= highest_equivalent(v));
        }
        assert!(counts_index(i64::MAX) < COUNTS_LEN);
    }

    #[test]
    fn empty_histogram_as_node_prints_it() {
        let h = Histogram::default();
        assert_eq!(h.min(), i64::MAX);
        assert_eq!(h.max(), 0);
        assert!(h.mean().is_nan());
        assert!(h.stddev().is_nan());
        assert_eq!(h.count(), 0);
        // Node v20.20.2 prints 511 for h.percentile(50) of an empty one.
        assert_eq!(h.percentile(50.0), 511);
        assert_eq!(h.percentile(100.0), 511);
    }

    /// Values measured on Node v20.20.2 (resolution 20, 9 samples): the
    /// stats are bucket representatives of the recorded values.
    #[test]
    fn representatives() {
        let mut h = Histogram::default();
        for v in [20_086_800, 20_100_000, 20_119_000] {
            assert!(h.record(v));
        }
        assert_eq!(h.min(), 20_086_784);
        assert_eq!(h.max(), 20_119_551);
        assert_eq!(h.percentile(50.0), highest_equivalent(20_100_000));
    }

    fn lcg(seed: &mut u64) -> u64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *seed >> 33
    }

    #[test]
    fn statistics_match_brute_force_within_hdr_precision() {
        let mut seed = 7;
        for round in 0..20 {
            let mut h = Histogram::default();
            let n = 1 + (lcg(&mut seed) % 300) as usize;
            let mut values: Vec<i64> = (0..n)
                .map(|_| {
                    let base = [1_000_000, 10_000_000, 200_000_000][(lcg(&mut seed) % 3) as usize];
                    base + (lcg(&mut seed) % 5_000_000) as i64
                })
                .collect();
            for &v in &values {
                assert!(h.record(v));
            }
            values.sort();
            let tol = |v: f64| v / 1000.0;
            assert_eq!(h.count(), n as u64);
            assert_eq!(h.min(), lowest_equivalent(values[0]), "round {round}");
            assert_eq!(h.max(), highest_equivalent(values[n - 1]));
            let mean = values.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
            assert!(
                (h.mean() - mean).abs() <= tol(mean),
                "{} vs {mean}",
                h.mean()
            );
            let var = values
                .iter()
                .map(|&v| (v as f64 - mean).powi(2))
                .sum::<f64>()
                / n as f64;
            let sd = var.sqrt();
            assert!(
                (h.stddev() - sd).abs() <= tol(values[n - 1] as f64),
                "{} vs {sd}",
                h.stddev()
            );
            for p in [1.0, 25.0, 50.0, 90.0, 99.0, 99.9, 100.0] {
                // The sample at rank ceil-ish(p% of n), as hdr counts it.
                let rank = (((p / 100.0) * n as f64 + 0.5) as usize).max(1);
                let exact = values[rank - 1];
                assert_eq!(h.percentile(p), highest_equivalent(exact), "p{p} n{n}");
                assert!((h.percentile(p) - exact) as f64 <= tol(exact as f64));
            }
        }
    }

    #[test]
    fn one_sample_per_firing_and_no_catch_up() {
        let js = UvTimer::default();
        let mut eld = Eld::default();
        let id = eld.create(10);
        assert!(eld.enable(id, 0, &js));
        assert!(!eld.enable(id, 0, &js));
        assert_eq!(eld.get(id).unwrap().due_ms, Some(10));
        assert_eq!(eld.fire(id, 10_000_000, 10, &js), 0);
        // The loop was blocked until 215 ms: one sample, re-armed from 215.
        assert_eq!(eld.fire(id, 215_000_000, 215, &js), 205_000_000);
        assert_eq!(eld.get(id).unwrap().due_ms, Some(225));
        assert_eq!(eld.get(id).unwrap().histogram.count(), 1);
        assert!(eld.disable(id));
        assert!(!eld.disable(id));
    }

    #[test]
    fn heap_order_is_timeout_then_start_order() {
        let mut js = UvTimer::default();
        let mut eld = Eld::default();
        let id = eld.create(10);
        js.start(10);
        eld.enable(id, 0, &js);
        assert_eq!(eld.heap_min(&js), Some((10, UvTimerRef::Js)));
        js.start(10);
        assert_eq!(eld.heap_min(&js), Some((10, UvTimerRef::Monitor(id))));
    }
}
