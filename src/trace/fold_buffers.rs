//! Buffer state folded from the trace: which backing stores exist at a
//! cursor, which views on them are still live (as far as the last `gc()`
//! knows), and how many bytes those views cover ("used") against the bytes
//! their stores hold ("retained").
//!
//! [`BufferIndex`] lists the buffer events once per trace, so a fold walks
//! only those (a trace without Buffers costs nothing per frame).

use super::{Kind, Trace};

/// The sequence numbers of a trace's buffer events, and every store's and
/// view's life, with running totals after each buffer event, so a frame
/// reads the state at any cursor without folding the whole trace
/// ([`BufferIndex::at`]; [`BufferFold`] is the plain fold it must agree
/// with).
#[derive(Debug, Default, Clone)]
pub struct BufferIndex {
    events: Vec<u32>,
    /// Pool slabs the whole run created (sizes the view).
    pub slabs: u32,
    /// Stores by id (ids the trace never names stay `None`).
    stores: Vec<Option<StoreLife>>,
    /// Views by id (creation order).
    views: Vec<ViewLife>,
    /// View ids by store id.
    views_by_store: Vec<Vec<u32>>,
    /// After the i-th buffer event: bytes covered by live views, bytes of
    /// stores neither freed nor detached, the current slab, gc count.
    used_after: Vec<u64>,
    retained_after: Vec<u64>,
    slab_after: Vec<u32>,
    gcs_after: Vec<u32>,
}

/// When a store was created, freed and detached (`NEVER` if not).
#[derive(Debug, Clone, Copy)]
struct StoreLife {
    bytes: u32,
    pool: bool,
    created: u32,
    freed: u32,
    detached: u32,
}

#[derive(Debug, Clone, Copy)]
struct ViewLife {
    store: u32,
    offset: u32,
    len: u32,
    created: u32,
    dead: u32,
}

const NEVER: u32 = u32::MAX;

/// The buffers view's state at a cursor, read from a [`BufferIndex`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BufferSnapshot {
    pub used: u64,
    pub retained: u64,
    pub gcs: u32,
    pub current_slab: Option<u32>,
    pub last_view: Option<u32>,
    /// Stores that exist at the cursor, in id order.
    pub stores: Vec<StoreFold>,
}

/// The union length of live intervals over one store's offsets: a segment
/// tree over the store's view endpoints (known in advance), with a cover
/// count per node, as for the area of a union of rectangles.
struct Coverage {
    coords: Vec<u32>,
    count: Vec<u32>,
    len: Vec<u64>,
}

impl Coverage {
    fn new(mut coords: Vec<u32>) -> Self {
        coords.sort_unstable();
        coords.dedup();
        let n = coords.len().max(2);
        Coverage {
            coords,
            count: vec![0; 4 * n],
            len: vec![0; 4 * n],
        }
    }

    fn covered(&self) -> u64 {
        self.len.get(1).copied().unwrap_or(0)
    }

    /// Adds `delta` (+1 or -1) over `[a, b)`.
    fn update(&mut self, a: u32, b: u32, delta: i32) {
        let m = self.coords.len();
        if m < 2 {
            return;
        }
        let (Ok(i), Ok(j)) = (self.coords.binary_search(&a), self.coords.binary_search(&b)) else {
            return;
        };
        if i < j {
            self.walk(1, 0, m - 1, i, j, delta);
        }
    }

    /// Node `node` covers the elementary segments `[lo, hi)` of coords.
    fn walk(&mut self, node: usize, lo: usize, hi: usize, i: usize, j: usize, delta: i32) {
        if j <= lo || hi <= i {
            return;
        }
        if i <= lo && hi <= j {
            self.count[node] = (self.count[node] as i64 + delta as i64).max(0) as u32;
        } else {
            let mid = (lo + hi) / 2;
            self.walk(2 * node, lo, mid, i, j, delta);
            self.walk(2 * node + 1, mid, hi, i, j, delta);
        }
        self.len[node] = if self.count[node] > 0 {
            (self.coords[hi] - self.coords[lo]) as u64
        } else if hi - lo == 1 {
            0
        } else {
            self.len[2 * node] + self.len[2 * node + 1]
        };
    }
}

impl BufferIndex {
    pub fn build(trace: &Trace) -> Self {
        let events: Vec<u32> = trace
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
        let mut index = BufferIndex {
            events,
            ..BufferIndex::default()
        };
        index.build_lives(trace);
        index
    }

    /// Lives of stores and views, then the running totals.
    fn build_lives(&mut self, trace: &Trace) {
        for &seq in &self.events {
            let Some(e) = trace.events.get(seq as usize) else {
                continue;
            };
            match e.kind {
                Kind::BufStore { store, bytes, pool } => {
                    let i = store as usize;
                    if self.stores.len() <= i {
                        self.stores.resize(i + 1, None);
                        self.views_by_store.resize(i + 1, Vec::new());
                    }
                    self.stores[i] = Some(StoreLife {
                        bytes,
                        pool,
                        created: seq,
                        freed: NEVER,
                        detached: NEVER,
                    });
                    self.slabs += u32::from(pool);
                }
                Kind::BufView {
                    store_lo,
                    store_hi,
                    offset,
                    len,
                } => {
                    let store = Kind::view_store(store_lo, store_hi);
                    let id = self.views.len() as u32;
                    self.views.push(ViewLife {
                        store,
                        offset,
                        len,
                        created: seq,
                        dead: NEVER,
                    });
                    if let Some(list) = self.views_by_store.get_mut(store as usize) {
                        list.push(id);
                    }
                }
                Kind::BufViewDead { view } => {
                    if let Some(v) = self.views.get_mut(view as usize)
                        && v.dead == NEVER
                    {
                        v.dead = seq;
                    }
                }
                Kind::BufFree { store } => {
                    if let Some(Some(s)) = self.stores.get_mut(store as usize) {
                        s.freed = s.freed.min(seq);
                    }
                }
                Kind::BufDetach { store } => {
                    if let Some(Some(s)) = self.stores.get_mut(store as usize) {
                        s.detached = s.detached.min(seq);
                    }
                }
                _ => {}
            }
        }
        // Running totals, event by event, with one coverage tree per store.
        let mut cover: Vec<Option<Coverage>> = self
            .views_by_store
            .iter()
            .map(|ids| {
                let coords: Vec<u32> = ids
                    .iter()
                    .map(|&v| self.views[v as usize])
                    .filter(|v| v.len > 0)
                    .flat_map(|v| [v.offset, v.offset + v.len])
                    .collect();
                (!coords.is_empty()).then(|| Coverage::new(coords))
            })
            .collect();
        let (mut used, mut retained, mut gcs) = (0u64, 0u64, 0u32);
        let mut slab = NEVER;
        let mut next_view = 0usize;
        let n = self.events.len();
        self.used_after.reserve(n);
        self.retained_after.reserve(n);
        self.slab_after.reserve(n);
        self.gcs_after.reserve(n);
        let apply = |cover: &mut Vec<Option<Coverage>>, v: ViewLife, delta: i32| -> i64 {
            match cover.get_mut(v.store as usize) {
                Some(Some(c)) if v.len > 0 => {
                    let before = c.covered() as i64;
                    c.update(v.offset, v.offset + v.len, delta);
                    c.covered() as i64 - before
                }
                _ => 0,
            }
        };
        for &seq in &self.events {
            let Some(e) = trace.events.get(seq as usize) else {
                continue;
            };
            match e.kind {
                Kind::BufStore { store, bytes, pool } => {
                    retained += bytes as u64;
                    if pool {
                        slab = store;
                    }
                }
                Kind::BufView { .. } => {
                    if let Some(v) = self.views.get(next_view).copied() {
                        used = (used as i64 + apply(&mut cover, v, 1)) as u64;
                    }
                    next_view += 1;
                }
                Kind::BufViewDead { view } => {
                    if let Some(v) = self.views.get(view as usize).copied()
                        && v.dead == seq
                    {
                        used = (used as i64 + apply(&mut cover, v, -1)) as u64;
                    }
                }
                Kind::BufFree { store } | Kind::BufDetach { store } => {
                    // A store leaves the accounting at its first free or detach.
                    if let Some(Some(s)) = self.stores.get(store as usize)
                        && s.freed.min(s.detached) == seq
                    {
                        retained = retained.saturating_sub(s.bytes as u64);
                    }
                }
                Kind::Gc { .. } => gcs += 1,
                _ => {}
            }
            self.used_after.push(used);
            self.retained_after.push(retained);
            self.slab_after.push(slab);
            self.gcs_after.push(gcs);
        }
    }

    /// The state at `cursor` in O(stores + log events).
    pub fn at(&self, cursor: usize) -> BufferSnapshot {
        let k = self.events.partition_point(|&s| s as usize <= cursor);
        let Some(last) = k.checked_sub(1) else {
            return BufferSnapshot::default();
        };
        let at = cursor as u32;
        let views_made = self.views.partition_point(|v| v.created <= at);
        let stores = self
            .stores
            .iter()
            .enumerate()
            .filter_map(|(id, s)| {
                let s = s.as_ref()?;
                (s.created <= at).then(|| StoreFold {
                    id: id as u32,
                    bytes: s.bytes,
                    pool: s.pool,
                    freed: s.freed <= at,
                    detached: s.detached <= at,
                    live_views: self.views_by_store[id]
                        .iter()
                        .map(|&v| self.views[v as usize])
                        .filter(|v| v.created <= at && v.dead > at)
                        .count() as u32,
                })
            })
            .collect();
        BufferSnapshot {
            used: self.used_after[last],
            retained: self.retained_after[last],
            gcs: self.gcs_after[last],
            current_slab: (self.slab_after[last] != NEVER).then_some(self.slab_after[last]),
            last_view: views_made.checked_sub(1).map(|v| v as u32),
            stores,
        }
    }

    /// The views of `store` made by `cursor`: (view id, fold).
    pub fn views_of(&self, store: u32, cursor: usize) -> Vec<(u32, ViewFold)> {
        let at = cursor as u32;
        self.views_by_store
            .get(store as usize)
            .map(|ids| {
                ids.iter()
                    .map(|&id| (id, self.views[id as usize]))
                    .filter(|(_, v)| v.created <= at)
                    .map(|(id, v)| {
                        (
                            id,
                            ViewFold {
                                store: v.store,
                                offset: v.offset,
                                len: v.len,
                                dead: v.dead <= at,
                            },
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Bytes of `store` covered by its live views at `cursor`.
    pub fn used_bytes(&self, store: u32, cursor: usize) -> u64 {
        let mut ranges: Vec<(u32, u32)> = self
            .views_of(store, cursor)
            .iter()
            .filter(|(_, v)| !v.dead && v.len > 0)
            .map(|(_, v)| (v.offset, v.offset + v.len))
            .collect();
        union_len(&mut ranges)
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
    fn coverage_tree_adds_and_removes_intervals() {
        let mut c = Coverage::new(vec![0, 4, 2, 6, 10, 12]);
        c.update(0, 4, 1);
        c.update(2, 6, 1);
        c.update(10, 12, 1);
        assert_eq!(c.covered(), 8);
        c.update(0, 4, -1);
        assert_eq!(c.covered(), 6);
        c.update(2, 6, -1);
        assert_eq!(c.covered(), 2);
    }

    #[test]
    fn union_counts_overlaps_once() {
        assert_eq!(union_len(&mut [(0, 4), (2, 6), (10, 12)]), 8);
        assert_eq!(union_len(&mut []), 0);
        assert_eq!(union_len(&mut [(5, 9), (0, 5)]), 9);
    }
}
