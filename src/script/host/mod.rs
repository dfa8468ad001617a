//! The host side of the runtime: Rhai values and functions as the model's
//! `HostTypes` ([`types`]), the context of the running scenario ([`ctx`]),
//! calling script functions and the driver's `Invoke` ([`call`]), the
//! coroutines that let an `async_fn` body suspend at `await`
//! ([`coroutine`]), how Rhai errors map onto JavaScript ([`errors`]), the
//! uncaught-error report ([`report`]), and what a worker thread starts from
//! ([`worker`], [`limits`]).
//!
//! It names the values, the lesson declarations and the source below it;
//! never the bindings (see the rules in `script/mod.rs`).

pub mod call;
pub mod coroutine;
pub mod ctx;
pub mod errors;
pub mod limits;
pub mod report;
pub mod stack;
pub mod types;
pub mod worker;

pub use call::{Host, call_from_script, call_method_from_script, start_async, start_module};
pub use coroutine::await_hook;
pub use ctx::{Ctx, CtxGuard, ctx};
pub use errors::{Classified, EXIT_BUDGET, StopToken, classify_error, decl_error, stop_error};
pub use limits::Limits;
pub use report::{NODE_VERSION, uncaught_report};
pub use worker::{Boot, ProcEntry, ProcSpec, WorkerEntry, WorkerSpec, boot_of, worker_runtime};
