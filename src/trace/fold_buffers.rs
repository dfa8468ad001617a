//! Buffer state folded from the trace: which backing stores exist at a
//! cursor, which views on them are still live (as far as the last `gc()`
//! knows), and how many bytes those views cover ("used") against the bytes
//! their stores hold ("retained").
//!
//! [`BufferIndex`] lists the buffer events once per trace, so a fold walks
//! only those (a trace without Buffers costs nothing per frame).

use super::{Kind, Trace};

/// The sequence numbers of a trace's buffer events.
#[derive(Debug, Default, Clone)]
pub struct BufferIndex {
    events: Vec<u32>,
    /// Pool slabs the whole run created (sizes the view).
    pub slabs: u32,
}

impl BufferIndex {
    pub fn build(trace: &Trace) -> Self {
        let events = trace
            .events
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                matches!(
                    e.kind,
                    Kind::BufStore { .. }
                        | Kind::BufView { .. }
                        | Kind::Gc { .. }
                        | Kind::BufViewDead { .. }
                        | Kind::BufFree { .. }
                        | Kind::BufDetach { .. }
                )
            })
            .map(|(seq, _)| seq as u32)
            .collect();
        let slabs = trace
            .events
            .iter()
            .filter(|e| matches!(e.kind, Kind::BufStore { pool: true, .. }))
            .count() as u32;
        BufferIndex { events, slabs }
    }

    /// No Buffer activity: the player hides the view.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

/// One backing store at the cursor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreFold {
    pub id: u32,
    pub bytes: u32,
    pub pool: bool,
    pub freed: bool,
    pub detached: bool,
    /// Views on it not yet found unreachable.
    pub live_views: u32,
}

/// One view (Buffer) at the cursor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ViewFold {
    pub store: u32,
    pub offset: u32,
    pub len: u32,
    pub dead: bool,
}

/// Buffers at a cursor position.
#[derive(Debug, Clone, Default)]
pub struct BufferFold {
    /// Every store created so far, by id.
    pub stores: Vec<StoreFold>,
    /// Every view created so far, by id.
    pub views: Vec<ViewFold>,
    /// The pool slab new small Buffers come from.
    pub current_slab: Option<u32>,
    pub gcs: u32,
    /// The last view created (for highlighting).
    pub last_view: Option<u32>,
}

impl BufferFold {
    /// Folds every buffer event at or before `cursor`.
    pub fn at(trace: &Trace, index: &BufferIndex, cursor: usize) -> Self {
        let mut f = BufferFold::default();
        let end = index.events.partition_point(|&s| s as usize <= cursor);
        for &seq in &index.events[..end] {
            let Some(e) = trace.events.get(seq as usize) else {
                continue;
            };
            match e.kind {
                Kind::BufStore { store, bytes, pool } => {
                    let i = store as usize;
                    if f.stores.len() <= i {
                        f.stores.resize(i + 1, StoreFold::default());
                    }
                    f.stores[i] = StoreFold {
                        id: store,
                        bytes,
                        pool,
                        ..StoreFold::default()
                    };
                    if pool {
                        f.current_slab = Some(store);
                    }
                }
                Kind::BufView {
                    store_lo,
                    store_hi,
                    offset,
                    len,
                } => {
                    let store = Kind::view_store(store_lo, store_hi);
                    if let Some(s) = f.stores.get_mut(store as usize) {
                        s.live_views += 1;
                    }
                    f.last_view = Some(f.views.len() as u32);
                    f.views.push(ViewFold {
                        store,
                        offset,
                        len,
                        dead: false,
                    });
                }
                Kind::Gc { .. } => f.gcs += 1,
                Kind::BufViewDead { view } => {
                    if let Some(v) = f.views.get_mut(view as usize) {
                        v.dead = true;
                        if let Some(s) = f.stores.get_mut(v.store as usize) {
                            s.live_views = s.live_views.saturating_sub(1);
                        }
                    }
                }
                Kind::BufFree { store } => {
                    if let Some(s) = f.stores.get_mut(store as usize) {
                        s.freed = true;
                    }
                }
                Kind::BufDetach { store } => {
                    if let Some(s) = f.stores.get_mut(store as usize) {
                        s.detached = true;
                    }
                }
                _ => {}
            }
        }
        f
    }

    /// Stores not yet freed: what the accounting still holds.
    pub fn retained_bytes(&self) -> u64 {
        self.stores
            .iter()
            .filter(|s| !s.freed && !s.detached)
            .map(|s| s.bytes as u64)
            .sum()
    }

    /// Bytes covered by live views, each byte once, per store.
    pub fn used_bytes(&self, store: u32) -> u64 {
        let mut ranges: Vec<(u32, u32)> = self
            .views
            .iter()
            .filter(|v| v.store == store && !v.dead && v.len > 0)
            .map(|v| (v.offset, v.offset + v.len))
            .collect();
        union_len(&mut ranges)
    }

    /// Bytes covered by live views in every store not yet freed.
    pub fn total_used_bytes(&self) -> u64 {
        let mut by_store: Vec<Vec<(u32, u32)>> = vec![Vec::new(); self.stores.len()];
        for v in self.views.iter().filter(|v| !v.dead && v.len > 0) {
            if let Some(r) = by_store.get_mut(v.store as usize) {
                r.push((v.offset, v.offset + v.len));
            }
        }
        by_store.iter_mut().map(|r| union_len(r)).sum()
    }
}

/// The length of a union of half-open ranges.
fn union_len(ranges: &mut [(u32, u32)]) -> u64 {
    ranges.sort_unstable();
    let mut total = 0u64;
    let mut cur: Option<(u32, u32)> = None;
    for &(a, b) in ranges.iter() {
        match cur {
            Some((s, e)) if a <= e => cur = Some((s, e.max(b))),
            Some((s, e)) => {
                total += (e - s) as u64;
                cur = Some((a, b));
            }
            None => cur = Some((a, b)),
        }
    }
    if let Some((s, e)) = cur {
        total += (e - s) as u64;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_counts_overlaps_once() {
        assert_eq!(union_len(&mut [(0, 4), (2, 6), (10, 12)]), 8);
        assert_eq!(union_len(&mut []), 0);
        assert_eq!(union_len(&mut [(5, 9), (0, 5)]), 9);
    }
}
