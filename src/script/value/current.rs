//! The runtime of the scenario running on this thread, for the few values
//! that must read it to print or to be made: a stream's class, a
//! histogram's statistics, `process.env`, a received buffer. The host
//! installs it with the scenario's context (`host::ctx::Ctx::install`) and
//! removes it when the run ends.

use std::cell::RefCell;

use super::objects::Rh;
use crate::runtime::Shared;

thread_local! {
    static RUNTIME: RefCell<Option<Shared<Rh>>> = const { RefCell::new(None) };
}

/// The running scenario's runtime (None outside a run).
pub fn runtime() -> Option<Shared<Rh>> {
    RUNTIME.with(|r| r.borrow().clone())
}

/// Sets (or, with None, clears) the runtime of this thread's scenario.
pub fn install(rt: Option<Shared<Rh>>) {
    RUNTIME.with(|r| *r.borrow_mut() = rt);
}
