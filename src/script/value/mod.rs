//! Script values: what a Rhai value is in the model and how it converts.
//!
//! - [`objects`]: the script-visible objects (functions, promises, timers,
//!   errors, buffers, streams, namespaces) and [`Rh`], the runtime's host
//!   types;
//! - [`print`]: how every value prints (`util.inspect`'s tree, `String(v)`),
//!   formatted by [`inspect`] (Node's `util.inspect` rules);
//! - [`buffer`], [`stream`]: the conversions the host and the bindings
//!   share (Buffers as Node makes them, stream chunks and errors);
//! - [`lang`]: JavaScript's abstract operations (one number type,
//!   `ToNumber`, `===`, UTF-16 lengths, key order) for the standard library;
//! - [`clone`]: the structured clone (`postMessage`, `workerData`);
//! - [`current`]: the runtime of this thread's scenario, for the values
//!   that must read it.
//!
//! A layer low in `script`: it names nothing of the host, the bindings or
//! the lessons (see the rules in `script/mod.rs`).

pub mod buffer;
pub mod clone;
pub mod current;
pub mod inspect;
pub mod json;
pub mod lang;
pub mod net;
pub mod objects;
pub mod print;
pub mod procs;
pub mod stream;

pub use objects::*;
pub use print::{describe_received, to_inspect, to_js_string};
