//! Loop health from a trace, for views (the player plots these): how long
//! each loop iteration took and the event-loop-delay samples that
//! `perf_hooks.monitorEventLoopDelay` monitors recorded. A pure function of
//! the trace, like every view.

use super::{Kind, Trace};

/// One loop iteration: from its `IterationStart` to the next one (or to the
/// end of the run for the last).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IterationSpan {
    pub iteration: u32,
    /// Sequence number of the `IterationStart` event.
    pub seq: u32,
    pub start_ns: u64,
    pub end_ns: u64,
}

impl IterationSpan {
    pub fn duration_ns(&self) -> u64 {
        self.end_ns.saturating_sub(self.start_ns)
    }
}

/// A sample a monitor recorded (its first firing, which records nothing,
/// is left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EldPoint {
    pub seq: u32,
    /// When the monitor's timer fired.
    pub time_ns: u64,
    pub monitor: u16,
    /// The interval since the monitor's previous firing.
    pub delta_ns: u64,
}

/// Every loop iteration of the run with its duration.
pub fn iterations(trace: &Trace) -> Vec<IterationSpan> {
    let end = trace.events.last().map_or(0, |e| e.time_ns);
    let mut spans: Vec<IterationSpan> = Vec::new();
    for (seq, e) in trace.events.iter().enumerate() {
        if e.kind != Kind::IterationStart {
            continue;
        }
        if let Some(last) = spans.last_mut() {
            last.end_ns = e.time_ns;
        }
        spans.push(IterationSpan {
            iteration: e.iteration(),
            seq: seq as u32,
            start_ns: e.time_ns,
            end_ns: end,
        });
    }
    spans
}

/// Every event-loop-delay sample, in trace order.
pub fn eld_samples(trace: &Trace) -> Vec<EldPoint> {
    trace
        .events
        .iter()
        .enumerate()
        .filter_map(|(seq, e)| match e.kind {
            Kind::EldSample { monitor, delta_ns } if delta_ns.get() > 0 => Some(EldPoint {
                seq: seq as u32,
                time_ns: e.time_ns,
                monitor,
                delta_ns: delta_ns.get(),
            }),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Event, Phase, SplitU64};

    #[test]
    fn spans_and_samples() {
        let mut t = Trace::default();
        let ms = 1_000_000;
        t.push(Event::new(0, 0, Phase::Main, Kind::ScriptStart));
        t.push(Event::new(0, 1, Phase::Timers, Kind::IterationStart));
        t.push(Event::new(
            10 * ms,
            1,
            Phase::Timers,
            Kind::EldSample {
                monitor: 0,
                delta_ns: SplitU64::new(0),
            },
        ));
        t.push(Event::new(10 * ms, 2, Phase::Timers, Kind::IterationStart));
        let big = 5_000 * ms; // more than 32 bits of nanoseconds
        t.push(Event::new(
            big,
            2,
            Phase::Timers,
            Kind::EldSample {
                monitor: 0,
                delta_ns: SplitU64::new(big - 10 * ms),
            },
        ));
        t.push(Event::new(big, 2, Phase::Exit, Kind::Exit { code: 0 }));
        let spans = iterations(&t);
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[0].duration_ns(), 10 * ms);
        assert_eq!(spans[1].duration_ns(), big - 10 * ms);
        let samples = eld_samples(&t);
        assert_eq!(samples.len(), 1);
        assert_eq!(samples[0].delta_ns, big - 10 * ms);
        assert_eq!(samples[0].seq, 4);
    }
}
