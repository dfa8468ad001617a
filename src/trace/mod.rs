//! The trace: the typed record of everything the runtime did.
//!
//! The trace is the shared vocabulary of workbench. The runtime appends to it;
//! the CLI prints it; the player, lessons and tests read it. Every view is a
//! pure function of (trace, cursor). This module depends on nothing else of
//! ours (the runtime writes into it, it never calls the runtime).

mod event;
pub mod fold;
pub mod fold_buffers;
pub mod fold_net;
pub mod fold_procs;
pub mod fold_streams;
pub mod loop_stats;
pub mod procs;
mod strings;
pub mod workers;
pub mod write;

pub use event::*;
pub use strings::{FnvBuild, StrId, Strings};

/// A recorded run: events in order (the index is the sequence number), the
/// callbacks they refer to, and the interned text.
#[derive(Debug, Default, Clone)]
pub struct Trace {
    pub events: Vec<Event>,
    pub callbacks: Vec<CallbackInfo>,
    pub strings: Strings,
    /// Races detected in this run, in detection order (see [`RaceKind`]).
    pub races: Vec<RaceInfo>,
    /// The script line running when events were recorded, run-length
    /// encoded: `(seq, line)` applies from event `seq` until the next
    /// entry; line 0 is "no script line" (the loop itself). Kept apart from
    /// the events so that they stay 32 bytes.
    pub lines: Vec<(u32, u32)>,
    /// Cluster workers and child processes: their lives, CPU and requests
    /// (empty when the run forked nothing).
    pub procs: procs::ProcLog,
}

impl Trace {
    /// Records that event `seq` was emitted while script line `line` ran
    /// (0: none).
    pub fn note_line(&mut self, seq: u32, line: u32) {
        if self.lines.last().map_or(line != 0, |&(_, l)| l != line) {
            self.lines.push((seq, line));
        }
    }

    /// The script line running when event `seq` was recorded, if any.
    pub fn line_at(&self, seq: u32) -> Option<u32> {
        let i = self.lines.partition_point(|&(s, _)| s <= seq);
        let (_, line) = *self.lines.get(i.checked_sub(1)?)?;
        (line > 0).then_some(line)
    }

    pub fn push(&mut self, event: Event) {
        self.events.push(event);
    }

    pub fn callback(&self, id: CbId) -> Option<&CallbackInfo> {
        self.callbacks.get(id.0 as usize)
    }

    pub fn text(&self, id: StrId) -> &str {
        self.strings.get(id)
    }

    /// Everything the run wrote to a stream, in order, as one string.
    pub fn output(&self, stream: Stream) -> String {
        let mut out = String::new();
        for e in &self.events {
            if let Kind::Console { stream: s, text } = e.kind
                && s == stream
            {
                out.push_str(self.text(text));
                out.push('\n');
            }
        }
        out
    }

    /// Bytes held by the event vector and callback table (console and label
    /// text excluded), for the "32 bytes per event" budget.
    pub fn structural_bytes(&self) -> usize {
        self.events.len() * std::mem::size_of::<Event>()
            + self.callbacks.len() * std::mem::size_of::<CallbackInfo>()
    }
}
