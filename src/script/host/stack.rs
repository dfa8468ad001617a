//! The native stack guard: Rhai's evaluator recurses, so a script's call
//! depth is bounded by the native stack it runs on. The patched Rhai refuses
//! a script function call that starts below a floor (`rhai::set_stack_floor`,
//! per thread) with the call-depth error; this module sets that floor for
//! the stack a script runs on: a scenario's ([`on_script_stack`]: its
//! thread's or one of its own) or an async body's coroutine stack
//! ([`CoroutineFloor`]), and makes that error JavaScript's catchable
//! `RangeError`. A script that recurses
//! without end gets "Maximum call stack size exceeded", never a Rust stack
//! overflow (an abort).

use std::cell::Cell;

use corosensei::stack::{DefaultStack, Stack};

/// What is kept free below the floor: one call level's frames (nested
/// expressions, a native function calling back, the host's bindings)
/// between two checks, with a wide margin.
pub const RED_ZONE: usize = 256 << 10;

/// The native stack a scenario's evaluation runs on: the call-depth limit
/// of a simple recursive function takes about 100 MiB (about 10 KiB a
/// level). Reserved, not committed: pages are touched as used.
pub const SCRIPT_STACK_BYTES: usize = 256 << 20;

/// A worker thread's stack (its thread is spawned with it): room for the
/// call-depth limit of a simple recursive function, as on the main thread,
/// without the main stack's spare (every live worker reserves one: 64
/// workers reserve 8 GiB of address space, not the 17 GiB of a 16 MiB
/// thread stack plus a 256 MiB script stack each).
pub const WORKER_STACK_BYTES: usize = 128 << 20;

/// Runs `f` (a whole scenario run: its main script and event loop) with
/// the stack guard set, on a stack of `bytes`: this thread's when it has
/// half that much left (the `workbench` scenario thread, a worker's),
/// else on a stack of its own on this same thread (a test's).
pub fn on_script_stack<R>(bytes: usize, f: impl FnOnce() -> R) -> R {
    rhai::set_stack_overflow_error(Some(range_error));
    if rhai::stack_floor() == 0
        && let Some(low) = thread_stack_low()
    {
        rhai::set_stack_floor(low + RED_ZONE);
    }
    let floor = rhai::stack_floor();
    if floor != 0 && here().saturating_sub(floor) >= bytes / 2 {
        return f();
    }
    match DefaultStack::new(bytes) {
        Ok(stack) => {
            let limit = stack.limit().get();
            corosensei::on_stack(stack, move || {
                let _floor = CoroutineFloor::enter(limit);
                f()
            })
        }
        Err(_) => f(),
    }
}

/// JavaScript's error for a runaway recursion, catchable as in node.
pub fn range_error(pos: rhai::Position) -> Box<rhai::EvalAltResult> {
    Box::new(rhai::EvalAltResult::ErrorRuntime(
        rhai::Dynamic::from(crate::script::value::JsError::new(
            "RangeError",
            STACK_MESSAGE,
        )),
        pos,
    ))
}

/// Node's message for a runaway recursion.
pub const STACK_MESSAGE: &str = "Maximum call stack size exceeded";

fn here() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// The lowest address of this thread's stack.
#[cfg(target_os = "linux")]
fn thread_stack_low() -> Option<usize> {
    // SAFETY: plain libc calls on an attribute object initialized by
    // `pthread_getattr_np` and destroyed once read.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return None;
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let got = libc::pthread_attr_getstack(&attr, &mut addr, &mut size);
        libc::pthread_attr_destroy(&mut attr);
        (got == 0 && !addr.is_null()).then_some(addr as usize)
    }
}

/// Elsewhere, the floor is guessed from the address of a local and the
/// smallest stack a scenario runs on (a test thread's 2 MiB).
#[cfg(not(target_os = "linux"))]
fn thread_stack_low() -> Option<usize> {
    here().checked_sub(2 << 20)
}

/// While alive, the floor is that of a coroutine stack whose lowest usable
/// address is `limit`, and the lowest address a script call started at
/// (`rhai::take_stack_lowest`) is this stack's; dropping it restores the
/// previous floor and lowest ([`Self::leave`] says how deep this stack was
/// used).
pub struct CoroutineFloor {
    floor: usize,
    lowest: usize,
}

impl CoroutineFloor {
    pub fn enter(limit: usize) -> Self {
        CoroutineFloor {
            floor: rhai::set_stack_floor(limit + RED_ZONE),
            lowest: rhai::take_stack_lowest(usize::MAX),
        }
    }

    /// Ends the stay on this stack: the lowest address a script call
    /// started at while on it.
    pub fn leave(self) -> usize {
        rhai::take_stack_lowest(usize::MAX)
        // `drop` restores the previous floor and lowest.
    }
}

impl Drop for CoroutineFloor {
    fn drop(&mut self) {
        rhai::set_stack_floor(self.floor);
        // The outer stack's own lowest: nested coroutines' stacks lie
        // anywhere in memory, so their addresses mean nothing to it.
        rhai::take_stack_lowest(self.lowest);
    }
}

/// How deep below the frame where it stops a stack must have been used
/// for its touched pages to matter: a recursion of a hundred levels.
const DIRTY_BYTES: usize = 1 << 20;

/// What the suspended async bodies of a thread may keep touched below
/// their frames (beyond it, a suspending body's pages are given back), and
/// what a finished body's stack may keep when it is pooled for the next.
const HELD_MAX: usize = 64 << 20;
const POOLED_DIRTY_MAX: usize = 16 << 20;

/// Stack kept below the frame of an `await` for the suspension's own
/// frames (a context switch saves a few registers).
const SUSPEND_MARGIN: usize = 64 << 10;

thread_local! {
    /// About the stack pointer of the body that suspended last.
    static SUSPEND_SP: Cell<usize> = const { Cell::new(0) };
    /// Bytes the suspended bodies of this thread keep touched below their
    /// frames (see [`DirtyStack`]).
    static HELD: Cell<usize> = const { Cell::new(0) };
}

/// Called by `await`, on the suspending body's stack.
pub fn note_suspend() {
    SUSPEND_SP.with(|s| s.set(here()));
}

/// The pages a coroutine stack had touched below its live frames: a deep
/// recursion leaves them resident, and a suspended async body would keep
/// them for as long as it waits (a few thousand bodies that each recursed a
/// thousand levels: gigabytes, not counted by the memory budget since no
/// allocator made them). Small amounts are kept (given back, they would
/// cost page faults at every resume); past [`HELD_MAX`] for the thread's
/// suspended bodies, a suspending body gives its pages back.
#[derive(Default)]
pub struct DirtyStack {
    /// Lowest address a script call started at since pages were given back.
    lowest: Option<usize>,
    /// What this body, suspended, counts in [`HELD`].
    held: usize,
}

impl DirtyStack {
    /// The body runs again: what it holds is no longer held suspended.
    pub fn resuming(&mut self) {
        HELD.with(|h| h.set(h.get().saturating_sub(self.held)));
        self.held = 0;
    }

    /// The body stopped running (suspended or ended); `lowest` is the
    /// lowest address a script call started at meanwhile.
    pub fn ran(&mut self, lowest: usize) {
        if lowest != usize::MAX {
            self.lowest = Some(self.lowest.map_or(lowest, |l| l.min(lowest)));
        }
    }

    /// The body suspended at `await` on the stack whose usable part starts
    /// at `limit`.
    pub fn suspended(&mut self, limit: usize) {
        let Some(lowest) = self.lowest else { return };
        let sp = SUSPEND_SP.with(Cell::get);
        let dirty = sp.saturating_sub(lowest);
        if dirty < DIRTY_BYTES {
            return;
        }
        let held = HELD.with(Cell::get);
        if held + dirty <= HELD_MAX {
            HELD.with(|h| h.set(held + dirty));
            self.held = dirty;
        } else {
            release_pages(limit, sp.saturating_sub(SUSPEND_MARGIN));
            self.lowest = None;
        }
    }

    /// The body ended; its stack (from `limit` to `base`) serves the next.
    pub fn finished(&mut self, limit: usize, base: usize) {
        if let Some(lowest) = self.lowest.take()
            && base.saturating_sub(lowest) > POOLED_DIRTY_MAX
        {
            release_pages(limit, base.saturating_sub(SUSPEND_MARGIN));
        }
    }
}

impl Drop for DirtyStack {
    fn drop(&mut self) {
        self.resuming();
    }
}

#[cfg(unix)]
fn release_pages(low: usize, high: usize) {
    const PAGE: usize = 4096;
    let lo = (low + PAGE - 1) & !(PAGE - 1);
    let hi = high & !(PAGE - 1);
    if hi > lo {
        // SAFETY: [lo, hi) lies inside a coroutine stack of this thread,
        // below every live frame of it (suspended or ended, with a margin);
        // MADV_DONTNEED only makes its pages read as zero when touched
        // again, which a stack's unused part may.
        unsafe {
            libc::madvise(lo as *mut libc::c_void, hi - lo, libc::MADV_DONTNEED);
        }
    }
}

#[cfg(not(unix))]
fn release_pages(_low: usize, _high: usize) {}
