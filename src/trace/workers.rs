//! Worker threads as the parent loop saw them, for the player's workers
//! view: when each was spawned, came online and exited, and the messages
//! that crossed. A pure function of the trace.

use super::{Kind, Trace, WorkerEvent};

/// One `Kind::Worker` event with where it is in the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerPoint {
    pub seq: u32,
    pub time_ns: u64,
    pub worker: u16,
    pub event: WorkerEvent,
    pub value: u32,
}

/// A worker's state at a cursor position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkerState {
    pub worker: u16,
    pub spawned_ns: u64,
    pub online_ns: Option<u64>,
    pub exited: Option<(u64, i32)>,
    pub errored: bool,
    /// Messages this loop posted to the worker, and their bytes (copied
    /// or moved).
    pub posted: u32,
    pub posted_bytes: u64,
    pub moved_bytes: u64,
    /// Messages received from the worker, and the bytes deserialized.
    pub received: u32,
    pub received_bytes: u64,
}

/// Every worker event of the run, in trace order.
pub fn points(trace: &Trace) -> Vec<WorkerPoint> {
    trace
        .events
        .iter()
        .enumerate()
        .filter_map(|(seq, e)| match e.kind {
            Kind::Worker {
                worker,
                event,
                value,
            } => Some(WorkerPoint {
                seq: seq as u32,
                time_ns: e.time_ns,
                worker,
                event,
                value,
            }),
            _ => None,
        })
        .collect()
}

/// The workers spawned by event `at` (inclusive) and their state then.
pub fn states_at(points: &[WorkerPoint], at: u32) -> Vec<WorkerState> {
    let mut states: Vec<WorkerState> = Vec::new();
    for p in points.iter().take_while(|p| p.seq <= at) {
        if p.event == WorkerEvent::Spawned {
            states.push(WorkerState {
                worker: p.worker,
                spawned_ns: p.time_ns,
                ..WorkerState::default()
            });
            continue;
        }
        let Some(s) = states.iter_mut().find(|s| s.worker == p.worker) else {
            continue;
        };
        match p.event {
            WorkerEvent::Spawned => {}
            WorkerEvent::Online => s.online_ns = Some(p.time_ns),
            WorkerEvent::Posted => {
                s.posted += 1;
                s.posted_bytes += p.value as u64;
            }
            WorkerEvent::Transferred => {
                s.posted += 1;
                s.moved_bytes += p.value as u64;
            }
            WorkerEvent::Received => {
                s.received += 1;
                s.received_bytes += p.value as u64;
            }
            WorkerEvent::Errored => s.errored = true,
            WorkerEvent::Exited => s.exited = Some((p.time_ns, p.value as i32)),
            WorkerEvent::Terminate => {}
        }
    }
    states
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(seq: u32, time_ns: u64, event: WorkerEvent, value: u32) -> WorkerPoint {
        WorkerPoint {
            seq,
            time_ns,
            worker: 1,
            event,
            value,
        }
    }

    #[test]
    fn state_follows_the_cursor() {
        let pts = [
            point(1, 0, WorkerEvent::Spawned, 0),
            point(2, 5, WorkerEvent::Posted, 9),
            point(5, 40, WorkerEvent::Online, 0),
            point(8, 90, WorkerEvent::Received, 12),
            point(9, 95, WorkerEvent::Exited, 0),
        ];
        assert!(states_at(&pts, 0).is_empty());
        let at_spawn = &states_at(&pts, 1)[0];
        assert_eq!(at_spawn.online_ns, None);
        let mid = &states_at(&pts, 5)[0];
        assert_eq!(
            (mid.posted, mid.posted_bytes, mid.online_ns),
            (1, 9, Some(40))
        );
        let end = &states_at(&pts, 9)[0];
        assert_eq!((end.received, end.exited), (1, Some((95, 0))));
    }
}
