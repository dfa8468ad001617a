//! The coroutines that let an async body (an `async_fn` call, an ES
//! module's top level) suspend at `await`: each body runs on a stack of its
//! own ([`Coroutines::body`]); `await` ([`await_hook`]) suspends the
//! innermost one with the awaited value, and the host parks it
//! ([`Coroutines::park`]) under the id the runtime resumes it by. What a
//! body's end does (settle its promise) is the host's: `super::call`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use corosensei::stack::{DefaultStack, Stack};
use corosensei::{Coroutine, CoroutineResult, Yielder};
use rhai::{Dynamic, EvalAltResult, Position};

use super::stack::{CoroutineFloor, DirtyStack};
use crate::runtime::Promise;
use crate::script::value::{JsError, Rh};

/// What resumes a body: the awaited value, or the reason it rejected with.
pub type CoInput = Result<Dynamic, Dynamic>;
/// What a body suspends with: the awaited value and where.
pub type CoYield = (Dynamic, Position);
/// How a body ends.
pub type CoReturn = Result<Dynamic, Box<EvalAltResult>>;

/// An async body: a coroutine, and the lowest address of its stack (the
/// native stack guard's floor while it runs, see `super::stack`).
pub struct AsyncBody {
    co: Coroutine<CoInput, CoYield, CoReturn, DefaultStack>,
    limit: usize,
    /// What a deep recursion on its stack left touched.
    dirty: DirtyStack,
}

impl AsyncBody {
    /// Runs the body until it suspends at `await` or ends, with the stack
    /// guard on its own stack.
    pub fn resume(&mut self, input: CoInput) -> CoroutineResult<CoYield, CoReturn> {
        self.dirty.resuming();
        let floor = CoroutineFloor::enter(self.limit);
        let result = self.co.resume(input);
        self.dirty.ran(floor.leave());
        if matches!(result, CoroutineResult::Yield(_)) {
            self.dirty.suspended(self.limit);
        }
        result
    }
}

/// Finished bodies' stacks kept for the next bodies; more are unmapped.
const POOLED_STACKS: usize = 4;

/// Stack for one async body. Rhai's evaluator recurses: this holds the
/// call-depth limit's levels of a simple recursive function (the stack
/// guard ends a deeper or heavier one with the call-depth error). Only
/// reserved: pages are touched as used.
const COROUTINE_STACK_BYTES: usize = 64 << 20;

/// A body suspended at `await`, with the promise its end settles.
pub struct Suspended {
    pub body: AsyncBody,
    pub promise: Promise<Rh>,
}

thread_local! {
    /// Yielders of the async bodies currently executing, innermost last.
    static YIELDERS: RefCell<Vec<*const Yielder<CoInput, CoYield>>> = const { RefCell::new(Vec::new()) };
}

/// The async bodies of one scenario: those suspended at `await`, by id,
/// and the stacks of finished ones, kept for the next.
#[derive(Default)]
pub struct Coroutines {
    suspended: RefCell<HashMap<u32, Suspended>>,
    next_co: Cell<u32>,
    stacks: RefCell<Vec<DefaultStack>>,
}

impl Coroutines {
    /// A body that runs `body` on a stack of its own (a finished body's,
    /// when there is one), not started yet.
    pub fn body(
        &self,
        body: impl FnOnce() -> CoReturn + 'static,
    ) -> Result<AsyncBody, Box<EvalAltResult>> {
        let stack = match self.stacks.borrow_mut().pop() {
            Some(s) => s,
            None => DefaultStack::new(COROUTINE_STACK_BYTES)
                .map_err(|e| format!("cannot allocate a stack for an async function: {e}"))?,
        };
        let limit = stack.limit().get();
        let co = Coroutine::with_stack(
            stack,
            move |yielder: &Yielder<CoInput, CoYield>, _first: CoInput| {
                YIELDERS.with(|y| y.borrow_mut().push(yielder as *const _));
                let result = body();
                YIELDERS.with(|y| y.borrow_mut().pop());
                result
            },
        );
        Ok(AsyncBody {
            co,
            limit,
            dirty: DirtyStack::default(),
        })
    }

    /// Parks a body suspended at `await`: the id the runtime resumes it by.
    pub fn park(&self, body: AsyncBody, promise: Promise<Rh>) -> u32 {
        let id = self.next_co.get();
        self.next_co.set(id + 1);
        self.suspended
            .borrow_mut()
            .insert(id, Suspended { body, promise });
        id
    }

    /// Takes a parked body out to resume it.
    pub fn take(&self, id: u32) -> Option<Suspended> {
        self.suspended.borrow_mut().remove(&id)
    }

    /// A body that ended: its stack serves the next one.
    pub fn recycle(&self, body: AsyncBody) {
        if body.co.done() && self.stacks.borrow().len() < POOLED_STACKS {
            let (limit, mut dirty) = (body.limit, body.dirty);
            let stack = body.co.into_stack();
            dirty.finished(limit, stack.base().get());
            self.stacks.borrow_mut().push(stack);
        }
    }

    /// Drops the bodies still suspended (their frames unwind), at the end
    /// of a run, with the table borrow released.
    pub fn drop_suspended(&self) {
        let suspended: Vec<_> = self.suspended.borrow_mut().drain().collect();
        drop(suspended);
    }
}

/// Forgets the yielders of this thread (a run ended).
pub fn clear_yielders() {
    YIELDERS.with(|y| y.borrow_mut().clear());
}

/// The `await EXPR` hook: suspends the innermost async body.
pub fn await_hook(
    _ctx: &mut rhai::EvalContext,
    value: Dynamic,
    pos: Position,
) -> Result<Dynamic, Box<EvalAltResult>> {
    let yielder = YIELDERS.with(|y| y.borrow_mut().pop());
    let Some(yielder) = yielder else {
        return Err(Box::new(EvalAltResult::ErrorRuntime(
            Dynamic::from(JsError::new(
                "SyntaxError",
                "await is only valid in async functions (async_fn bodies)",
            )),
            pos,
        )));
    };
    // SAFETY: the pointer was pushed by the body now running on this stack;
    // the yielder lives as long as that body, which is suspended (not
    // dropped) while we wait, and the pointer is re-pushed before returning.
    super::stack::note_suspend();
    let input = unsafe { &*yielder }.suspend((value, pos));
    YIELDERS.with(|y| y.borrow_mut().push(yielder));
    match input {
        Ok(v) => Ok(v),
        Err(reason) => Err(Box::new(EvalAltResult::ErrorRuntime(reason, pos))),
    }
}
