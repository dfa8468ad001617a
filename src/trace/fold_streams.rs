//! Stream state folded from the trace, for the player's streams view: each
//! stream's buffer lengths against its highWaterMark, the signals (drain,
//! pause, resume, write() false...) near the cursor, and the total bytes
//! held in stream buffers over time.
//!
//! [`StreamIndex::build`] walks the trace once; [`StreamIndex::at`] answers
//! for a cursor with binary searches, so a frame costs O(streams · log n +
//! width · log n) however long the trace is.

use super::{Kind, StreamClass, StreamSide, StreamSignal, Trace};

#[derive(Debug, Clone)]
pub struct StreamInfo {
    pub class: StreamClass,
    pub label: String,
    pub hwm: u32,
    /// Sequence number of its creation.
    pub seq: u32,
    /// (seq, length) changes of the readable and the writable buffer.
    pub readable: Vec<(u32, u32)>,
    pub writable: Vec<(u32, u32)>,
    /// Largest length each buffer reached over the whole run.
    pub peak: (u32, u32),
}

#[derive(Debug, Clone, Default)]
pub struct StreamIndex {
    pub streams: Vec<StreamInfo>,
    /// (seq, stream, signal), in order.
    pub signals: Vec<(u32, u16, StreamSignal)>,
    /// (seq, time_ns, total buffered over every stream), at each change.
    pub memory: Vec<(u32, u64, u64)>,
}

/// One stream at the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamAt {
    pub readable: u32,
    pub writable: u32,
    /// The latest signal at or before the cursor, and how many events ago.
    pub last_signal: Option<(StreamSignal, u32)>,
    /// Paused (a 'pause' more recent than any 'resume').
    pub paused: bool,
    /// Waiting for 'drain' (a write() false more recent than any drain).
    pub need_drain: bool,
    pub ended: bool,
    pub closed: bool,
}

fn value_at(changes: &[(u32, u32)], seq: u32) -> u32 {
    let i = changes.partition_point(|&(s, _)| s <= seq);
    if i == 0 { 0 } else { changes[i - 1].1 }
}

impl StreamIndex {
    pub fn build(trace: &Trace) -> StreamIndex {
        let mut index = StreamIndex::default();
        let mut total: u64 = 0;
        for (seq, e) in trace.events.iter().enumerate() {
            let seq = seq as u32;
            match e.kind {
                Kind::StreamNew {
                    class,
                    stream,
                    hwm,
                    label,
                } => {
                    // Streams are numbered in creation order.
                    while index.streams.len() <= stream as usize {
                        index.streams.push(StreamInfo {
                            class,
                            label: trace.text(label).to_string(),
                            hwm,
                            seq,
                            readable: Vec::new(),
                            writable: Vec::new(),
                            peak: (0, 0),
                        });
                    }
                }
                Kind::StreamLevel {
                    side,
                    stream,
                    length,
                } => {
                    let Some(s) = index.streams.get_mut(stream as usize) else {
                        continue;
                    };
                    let (list, peak) = match side {
                        StreamSide::Readable => (&mut s.readable, &mut s.peak.0),
                        StreamSide::Writable => (&mut s.writable, &mut s.peak.1),
                    };
                    let before = list.last().map_or(0, |l| l.1);
                    list.push((seq, length));
                    *peak = (*peak).max(length);
                    total = (total + length as u64).saturating_sub(before as u64);
                    index.memory.push((seq, e.time_ns, total));
                }
                Kind::StreamSignal { signal, stream } => {
                    index.signals.push((seq, stream, signal));
                }
                _ => {}
            }
        }
        index
    }

    pub fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }

    /// Every stream's state at the cursor (streams created later are left
    /// out).
    pub fn at(&self, cursor: u32) -> Vec<(usize, StreamAt)> {
        let upto = self.signals.partition_point(|s| s.0 <= cursor);
        let mut out: Vec<(usize, StreamAt)> = self
            .streams
            .iter()
            .enumerate()
            .filter(|(_, s)| s.seq <= cursor)
            .map(|(i, s)| {
                (
                    i,
                    StreamAt {
                        readable: value_at(&s.readable, cursor),
                        writable: value_at(&s.writable, cursor),
                        last_signal: None,
                        paused: false,
                        need_drain: false,
                        ended: false,
                        closed: false,
                    },
                )
            })
            .collect();
        // Walk signals backwards until every shown stream has its answers;
        // bounded by a window so a frame stays cheap.
        const WINDOW: usize = 50_000;
        let mut decided = vec![0u8; self.streams.len()];
        for &(seq, stream, signal) in self.signals[..upto].iter().rev().take(WINDOW) {
            let Some((_, st)) = out.iter_mut().find(|(i, _)| *i == stream as usize) else {
                continue;
            };
            let d = &mut decided[stream as usize];
            if st.last_signal.is_none() {
                st.last_signal = Some((signal, cursor - seq));
            }
            match signal {
                StreamSignal::Pause if *d & 1 == 0 => {
                    st.paused = true;
                    *d |= 1;
                }
                StreamSignal::Resume if *d & 1 == 0 => *d |= 1,
                StreamSignal::WriteFalse if *d & 2 == 0 => {
                    st.need_drain = true;
                    *d |= 2;
                }
                StreamSignal::Drain if *d & 2 == 0 => *d |= 2,
                StreamSignal::End => st.ended = true,
                StreamSignal::Finish => st.ended = true,
                StreamSignal::Close => st.closed = true,
                _ => {}
            }
        }
        out
    }

    /// Total buffered bytes at the cursor.
    pub fn memory_at(&self, cursor: u32) -> u64 {
        let i = self.memory.partition_point(|m| m.0 <= cursor);
        if i == 0 { 0 } else { self.memory[i - 1].2 }
    }

    /// The total buffered over the trace up to the cursor, sampled into
    /// `width` columns (each column the value at its point in the run).
    pub fn memory_series(&self, cursor: u32, width: usize) -> Vec<u64> {
        let upto = self.memory.partition_point(|m| m.0 <= cursor);
        if upto == 0 || width == 0 {
            return Vec::new();
        }
        let n = upto.min(width);
        (0..n)
            .map(|col| {
                let i = if n == 1 {
                    upto - 1
                } else {
                    col * (upto - 1) / (n - 1)
                };
                self.memory[i].2
            })
            .collect()
    }

    /// The largest total over the whole run (the scale of the graph).
    /// The peak up to `cursor`: what has happened so far (the run's own
    /// peak would tell a learner what is about to happen).
    pub fn memory_peak_until(&self, cursor: u32) -> u64 {
        let upto = self.memory.partition_point(|m| m.0 <= cursor);
        self.memory[..upto].iter().map(|m| m.2).max().unwrap_or(0)
    }
}
