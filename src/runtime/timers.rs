//! JS timers as Node v20 keeps them (lib/internal/timers.js): one list per
//! truncated duration, lists in a priority queue keyed by (expiry, list id),
//! a ref count behind the single libuv timer, and the quirks that follow
//! (batching per list, list-id renewal on re-queue, `refresh` moving a timer
//! to the end of its list).

use std::collections::{BTreeMap, VecDeque};

use crate::trace::CbId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimerId(pub u32);

pub struct TimerEntry<F> {
    pub cb: CbId,
    /// `_onTimeout`; `None` once cleared or finished.
    pub func: Option<F>,
    /// `_idleTimeout`: the coerced delay (fractional kept), -1 when unenrolled.
    pub idle_timeout: f64,
    /// `_repeat` for intervals.
    pub repeat: Option<f64>,
    pub idle_start: u64,
    pub refed: bool,
    pub destroyed: bool,
    /// Bumped on every unlink/re-insert, so stale list slots are skipped.
    stamp: u32,
    in_list: Option<u64>,
}

struct TimerList {
    msecs: u64,
    expiry: u64,
    id: u64,
    /// Identity of this list object (a new list for the same duration is a
    /// different object, as in Node).
    uid: u64,
    members: VecDeque<(TimerId, u32)>,
    live: usize,
}

/// The libuv timer handle behind all JS timers.
#[derive(Debug, Default, Clone, Copy)]
pub struct UvTimer {
    pub due_ms: Option<u64>,
    pub refed: bool,
    /// Counts `uv_timer_start` calls, so the loop can order this timer
    /// against its other timers (libuv's `start_id`, see `eld.rs`).
    pub starts: u32,
}

impl UvTimer {
    /// `uv_timer_start` with an absolute timeout.
    pub fn start(&mut self, due_ms: u64) {
        self.due_ms = Some(due_ms);
        self.starts = self.starts.wrapping_add(1);
    }
}

pub struct Timers<F> {
    entries: Vec<TimerEntry<F>>,
    lists: BTreeMap<u64, TimerList>,
    list_counter: u64,
    list_uid: u64,
    ref_count: u32,
    /// `nextExpiry` in lib/internal/timers.js (u64::MAX for Infinity).
    next_expiry: u64,
    pub uv: UvTimer,
}

/// Delay coercion of the `Timeout` constructor: `after * 1`, then anything
/// not in [1, 2^31-1] becomes 1. Returns (delay, overflowed).
pub fn coerce_delay(after: f64) -> (f64, bool) {
    const TIMEOUT_MAX: f64 = 2_147_483_647.0;
    if (1.0..=TIMEOUT_MAX).contains(&after) {
        (after, false)
    } else {
        (1.0, after > TIMEOUT_MAX)
    }
}

impl<F: Clone> Default for Timers<F> {
    fn default() -> Self {
        Timers {
            entries: Vec::new(),
            lists: BTreeMap::new(),
            list_counter: 0,
            list_uid: 0,
            ref_count: 0,
            next_expiry: u64::MAX,
            uv: UvTimer::default(),
        }
    }
}

impl<F: Clone> Timers<F> {
    pub fn get(&self, id: TimerId) -> Option<&TimerEntry<F>> {
        self.entries.get(id.0 as usize)
    }

    pub fn ref_count(&self) -> u32 {
        self.ref_count
    }

    fn inc_ref(&mut self) {
        self.ref_count += 1;
        if self.ref_count == 1 {
            self.uv.refed = true;
        }
    }

    fn dec_ref(&mut self) {
        self.ref_count = self.ref_count.saturating_sub(1);
        if self.ref_count == 0 {
            self.uv.refed = false;
        }
    }

    /// `new Timeout(...)` followed by `insert`: `now` is the fresh libuv time.
    pub fn create(&mut self, cb: CbId, func: F, delay: f64, repeat: bool, now: u64) -> TimerId {
        let id = TimerId(self.entries.len() as u32);
        self.entries.push(TimerEntry {
            cb,
            func: Some(func),
            idle_timeout: delay,
            repeat: repeat.then_some(delay),
            idle_start: now,
            refed: true,
            destroyed: false,
            stamp: 0,
            in_list: None,
        });
        self.inc_ref();
        self.insert(id, delay, now);
        id
    }

    /// `insert(item, msecs, start)`.
    fn insert(&mut self, id: TimerId, msecs: f64, start: u64) {
        let key = msecs.trunc() as u64;
        let entry = &mut self.entries[id.0 as usize];
        entry.idle_start = start;
        entry.stamp += 1;
        entry.in_list = Some(key);
        let stamp = entry.stamp;
        if !self.lists.contains_key(&key) {
            let expiry = start + key;
            self.list_counter += 1;
            self.list_uid += 1;
            self.lists.insert(
                key,
                TimerList {
                    msecs: key,
                    expiry,
                    id: self.list_counter,
                    uid: self.list_uid,
                    members: VecDeque::new(),
                    live: 0,
                },
            );
            if self.next_expiry > expiry {
                // scheduleTimer(msecs): uv_timer_start relative to the loop
                // time, which getLibuvNow just set to `start`.
                self.uv.start(start + key);
                self.next_expiry = expiry;
            }
        }
        let list = self.lists.get_mut(&key).expect("list was just ensured");
        list.members.push_back((id, stamp));
        list.live += 1;
    }

    fn unlink(&mut self, id: TimerId) {
        let entry = &mut self.entries[id.0 as usize];
        if let Some(key) = entry.in_list.take() {
            entry.stamp += 1;
            if let Some(list) = self.lists.get_mut(&key) {
                list.live = list.live.saturating_sub(1);
            }
        }
    }

    /// `unenroll(item)`.
    fn unenroll(&mut self, id: TimerId) {
        let entry = &mut self.entries[id.0 as usize];
        if entry.destroyed {
            return;
        }
        entry.destroyed = true;
        let was_refed = entry.refed;
        entry.refed = false;
        let idle_timeout = entry.idle_timeout;
        if was_refed {
            self.dec_ref();
        }
        self.unlink(id);
        // Node looks the list up by `_idleTimeout` (not truncated), so a
        // fractional delay never finds (and never removes) its list.
        if idle_timeout.fract() == 0.0 && idle_timeout >= 0.0 {
            let key = idle_timeout as u64;
            if self.lists.get(&key).is_some_and(|l| l.live == 0) {
                self.lists.remove(&key);
            }
        }
        self.entries[id.0 as usize].idle_timeout = -1.0;
    }

    /// `clearTimeout(t)`: returns the callback id when something was cleared.
    pub fn clear(&mut self, id: TimerId) -> Option<CbId> {
        let entry = self.entries.get_mut(id.0 as usize)?;
        entry.func.as_ref()?;
        entry.func = None;
        let cb = entry.cb;
        self.unenroll(id);
        Some(cb)
    }

    /// `timeout.refresh()`: re-insert with a fresh start, at the end of its list.
    pub fn refresh(&mut self, id: TimerId, now: u64) {
        let Some(entry) = self.entries.get(id.0 as usize) else {
            return;
        };
        if entry.func.is_some() && entry.idle_timeout >= 0.0 {
            let msecs = entry.idle_timeout;
            self.unlink(id);
            self.insert(id, msecs, now);
        }
    }

    pub fn set_ref(&mut self, id: TimerId, refed: bool) {
        let Some(entry) = self.entries.get_mut(id.0 as usize) else {
            return;
        };
        if entry.destroyed || entry.refed == refed {
            return;
        }
        entry.refed = refed;
        if refed {
            self.inc_ref();
        } else {
            self.dec_ref();
        }
    }

    pub fn has_ref(&self, id: TimerId) -> bool {
        self.entries.get(id.0 as usize).is_some_and(|e| e.refed)
    }

    /// The callbacks of the timers that keep the loop alive (scheduled,
    /// not cleared, ref'ed), intervals first: what a budget message names
    /// when time runs out.
    pub fn keeping_alive(&self) -> Vec<(CbId, bool)> {
        let mut out: Vec<(CbId, bool)> = self
            .entries
            .iter()
            .filter(|e| e.func.is_some() && e.refed && !e.destroyed && e.in_list.is_some())
            .map(|e| (e.cb, e.repeat.is_some()))
            .collect();
        out.sort_by_key(|(_, interval)| !interval);
        out
    }

    /// The list at the top of the priority queue: (msecs, uid, expiry).
    pub fn peek(&self) -> Option<(u64, u64, u64)> {
        self.lists
            .values()
            .min_by_key(|l| (l.expiry, l.id))
            .map(|l| (l.msecs, l.uid, l.expiry))
    }

    /// The earliest list expiry (what the libuv timer should be armed for).
    pub fn earliest_expiry(&self) -> Option<u64> {
        self.peek().map(|(_, _, e)| e)
    }

    pub fn begin_pass(&mut self) {
        self.next_expiry = u64::MAX;
    }

    /// Ends `processTimers`: records `nextExpiry` and answers the signed
    /// value RunTimers sees (None for 0: no lists left).
    pub fn end_pass(&mut self) -> Option<(u64, bool)> {
        let next = self.earliest_expiry()?;
        self.next_expiry = next;
        Some((next, self.ref_count > 0))
    }

    /// `listOnTimeout`'s loop head: the first timer of list (msecs, uid) if it
    /// is due at `now`. A list with nothing due is re-queued with a new id
    /// (it loses ties it used to win); an empty list is removed.
    pub fn peek_due(&mut self, msecs: u64, uid: u64, now: u64) -> Option<TimerId> {
        loop {
            let list = self.lists.get_mut(&msecs).filter(|l| l.uid == uid)?;
            let Some(&(id, stamp)) = list.members.front() else {
                self.lists.remove(&msecs);
                return None;
            };
            let entry = &self.entries[id.0 as usize];
            if entry.stamp != stamp || entry.in_list != Some(msecs) {
                list.members.pop_front();
                continue;
            }
            if (now as i64 - entry.idle_start as i64) < msecs as i64 {
                list.expiry = (entry.idle_start + msecs).max(now + 1);
                self.list_counter += 1;
                list.id = self.list_counter;
                return None;
            }
            return Some(id);
        }
    }

    /// `L.remove(timer)` and the cleared check: the callback to run, or None
    /// for a timer cleared meanwhile. The bool says whether it repeats.
    pub fn take(&mut self, id: TimerId) -> Option<(CbId, F, bool)> {
        self.unlink(id);
        let entry = self.entries.get_mut(id.0 as usize)?;
        match entry.func.clone() {
            Some(func) => Some((entry.cb, func, entry.repeat.is_some())),
            None => {
                if !entry.destroyed {
                    entry.destroyed = true;
                    if entry.refed {
                        entry.refed = false;
                        self.dec_ref();
                    }
                }
                None
            }
        }
    }

    /// The `finally` of `listOnTimeout` after a timer's callback.
    pub fn after_fire(&mut self, id: TimerId, repeat_start: Option<u64>) {
        let entry = &mut self.entries[id.0 as usize];
        match (entry.repeat, repeat_start) {
            (Some(repeat), Some(start)) if entry.idle_timeout != -1.0 => {
                entry.idle_timeout = repeat;
                self.insert(id, repeat, start);
            }
            _ => {
                if entry.in_list.is_none() && !entry.destroyed {
                    entry.destroyed = true;
                    entry.func = None;
                    if entry.refed {
                        entry.refed = false;
                        self.dec_ref();
                    }
                }
            }
        }
    }

    /// Is any list due to become due exactly one ms after `now`? (A race
    /// against a millisecond boundary in real Node.)
    pub fn due_next_ms(&self, now: u64) -> bool {
        self.lists
            .values()
            .any(|l| l.live > 0 && l.expiry == now + 1)
    }

    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }
}
