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

use corosensei::stack::{DefaultStack, Stack};

/// What is kept free below the floor: one call level's frames (nested
/// expressions, a native function calling back, the host's bindings)
/// between two checks, with a wide margin.
pub const RED_ZONE: usize = 256 << 10;

/// The native stack a scenario's evaluation runs on: the call-depth limit
/// of a simple recursive function takes about 100 MiB (about 10 KiB a
/// level). Reserved, not committed: pages are touched as used.
pub const SCRIPT_STACK_BYTES: usize = 256 << 20;

/// A worker thread's stack (its thread is spawned with it): smaller than
/// the main script's, since every live worker reserves one (64 workers
/// reserve 4 GiB of address space, not 17), and about as deep as node's
/// (a worker's default `stackSizeMb` is 4, against the main thread's 1).
pub const WORKER_STACK_BYTES: usize = 64 << 20;

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
/// address is `limit`; dropping it restores the previous floor.
pub struct CoroutineFloor(usize);

impl CoroutineFloor {
    pub fn enter(limit: usize) -> Self {
        CoroutineFloor(rhai::set_stack_floor(limit + RED_ZONE))
    }
}

impl Drop for CoroutineFloor {
    fn drop(&mut self) {
        rhai::set_stack_floor(self.0);
    }
}
