//! The process's memory budget (`--max-memory`): one cap for everything
//! workbench holds, on every thread (the main loop, workers, the thread
//! pool, messages in flight between them, the trace).
//!
//! A per-runtime cap multiplied with the workers (8 workers reached 8 GB)
//! and missed what is in no runtime (a message posted and not yet
//! received). So the count is made where all memory passes: a global
//! allocator that adds up the bytes the process holds. Allocation itself
//! never fails here (a refused allocation would abort); instead the model
//! asks before it allocates anything large ([`fits`]: a Buffer's backing
//! store, a message's copy of one) and looks at the total often while
//! scripts run ([`exhausted`]: every few thousand trace events and Rhai
//! operations), so a run stops with a located budget error, or a Buffer
//! allocation throws Node's `RangeError: Array buffer allocation failed`,
//! before the process grows far past the cap.
//!
//! Counting costs a thread-local add per allocation; threads settle with
//! the shared total every [`SETTLE_BYTES`] (and at once for an allocation
//! that large), so the total is exact to that much per thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// The default cap: 512 MiB for the whole process. Node itself has no
/// total cap on Buffers (V8's heap limit is about 4 GB here); the model's
/// is there so that a runaway script ends in a few seconds, not in swap
/// (a promise chain that never ends: about 3 s).
pub const DEFAULT_MAX_MEMORY: u64 = 512 << 20;

/// How far a thread's own count may drift before it settles with the
/// shared total.
const SETTLE_BYTES: i64 = 32 << 10;

/// Bytes the process holds (settled counts of all threads).
static IN_USE: AtomicI64 = AtomicI64::new(0);
/// The largest settled [`IN_USE`] seen.
static PEAK: AtomicI64 = AtomicI64::new(0);
/// The cap; no cap until the CLI sets one (a library user, a test
/// harness running many runs in one process).
static LIMIT: AtomicU64 = AtomicU64::new(u64::MAX);

thread_local! {
    /// This thread's unsettled count. `const`, without a destructor: usable
    /// inside the allocator and while the thread is being torn down.
    static UNSETTLED: Cell<i64> = const { Cell::new(0) };
}

fn record(delta: i64) {
    let settle = UNSETTLED
        .try_with(|u| {
            let v = u.get() + delta;
            if v.abs() >= SETTLE_BYTES {
                u.set(0);
                v
            } else {
                u.set(v);
                0
            }
        })
        .unwrap_or(delta);
    if settle != 0 {
        let now = IN_USE.fetch_add(settle, Ordering::Relaxed) + settle;
        if settle > 0 {
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
    }
}

/// The counting allocator: the system's, plus [`record`].
pub struct Counting;

// SAFETY: every method forwards to `System` unchanged; the counting
// touches only atomics and a const thread-local without a destructor, so
// it neither allocates nor unwinds.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            record(layout.size() as i64);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            record(layout.size() as i64);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) };
        record(-(layout.size() as i64));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            record(new_size as i64 - layout.size() as i64);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Sets the process's cap (`--max-memory`), in bytes.
pub fn set_limit(bytes: u64) {
    LIMIT.store(bytes, Ordering::Relaxed);
}

/// The process's cap, in bytes (`u64::MAX`: none).
pub fn limit() -> u64 {
    LIMIT.load(Ordering::Relaxed)
}

/// Bytes the process holds now (to within [`SETTLE_BYTES`] per thread).
pub fn in_use() -> u64 {
    IN_USE.load(Ordering::Relaxed).max(0) as u64
}

/// The most the process has held.
pub fn peak() -> u64 {
    PEAK.load(Ordering::Relaxed).max(0) as u64
}

/// What can still be allocated under the cap.
pub fn headroom() -> u64 {
    limit().saturating_sub(in_use())
}

/// May `bytes` more be allocated? Asked before every large allocation
/// the model makes for a script (a backing store, a message's copy).
pub fn fits(bytes: u64) -> bool {
    bytes <= headroom()
}

/// Is the process over its cap? Looked at often while scripts run.
pub fn exhausted() -> bool {
    in_use() > limit()
}

/// The cap as the budget messages print it.
pub fn describe_limit() -> String {
    format!("{} MiB", limit() >> 20)
}

/// What a run that passed the cap is told (the caller adds where).
pub fn budget_message() -> String {
    format!(
        "workbench: memory budget exceeded: the process holds {:.1} MiB, more than --max-memory \
         allows ({}). Something keeps growing: a queue that never drains, a promise chain or a \
         stream that never ends, values kept in an array or a closure (node would grow until \
         its heap limit, then stop with \"FATAL ERROR: Reached heap limit Allocation failed - \
         JavaScript heap out of memory\")",
        in_use() as f64 / (1u64 << 20) as f64,
        describe_limit()
    )
}
